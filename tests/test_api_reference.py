"""The API reference (book/api/) cannot fall behind the package.

Sphinx's autodoc documents whatever a module exports, so a new function appears by itself; what
can drift is the hand-written part: the list of modules the reference pages name, and the list of
top-level exports on ``book/api/index.md``. These tests fail when either misses something.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import re

import adjnets
from tests.notebook_pages import BOOK

API = BOOK / "api"


def _api_text() -> str:
    return "\n".join(p.read_text() for p in sorted(API.glob("*.md")))


def test_every_module_has_an_automodule() -> None:
    modules = {
        m.name
        for m in pkgutil.walk_packages(adjnets.__path__, "adjnets.")
        if not any(part.startswith("_") for part in m.name.split("."))
    }
    documented = set(
        re.findall(
            r"^\.\. automodule:: (adjnets(?:\.\w+)+)\s*$", _api_text(), flags=re.M
        )
    )
    assert modules - documented == set(), "modules missing from book/api/*.md"
    assert documented - modules == set(), (
        "book/api/*.md documents modules that do not exist"
    )


def test_every_top_level_export_is_listed_on_the_index() -> None:
    index = (API / "index.md").read_text()
    missing = []
    for name in adjnets.__all__:
        if name == "__version__":
            continue
        obj = getattr(adjnets, name)
        if inspect.ismodule(obj):
            # a subpackage: listed as adjnets.<name>
            homes = {obj.__name__.rsplit(".", 1)[0]}
        elif inspect.isclass(obj) or inspect.isfunction(obj):
            homes = {obj.__module__}
        else:  # data such as tanh or squared: documented in a module that binds it
            homes = {
                m.name
                for m in pkgutil.walk_packages(adjnets.__path__, "adjnets.")
                if m.name != "adjnets.autodiff"
                and getattr(importlib.import_module(m.name), name, None) is obj
            }
        if not any(f"{home}.{name}`" in index for home in homes):
            missing.append(name)
    assert missing == [], "top-level exports not listed on book/api/index.md"


def test_the_check_fails_on_a_missing_name(monkeypatch) -> None:
    monkeypatch.setattr(
        adjnets, "__all__", [*adjnets.__all__, "inner_product_of_nothing"]
    )
    monkeypatch.setattr(
        adjnets, "inner_product_of_nothing", lambda: None, raising=False
    )
    try:
        test_every_top_level_export_is_listed_on_the_index()
    except AssertionError:
        return
    raise AssertionError("a name missing from the index went unnoticed")
