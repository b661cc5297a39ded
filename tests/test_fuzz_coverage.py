"""Every public name of the package is refused bad input by some fuzz case, or is
excused with a reason (issue 14, item 3; the cases are in ``tests/test_fuzz_*.py``)."""

from __future__ import annotations

import importlib
import importlib.util
import inspect

import adjnets
from tests import (
    test_fuzz_beyond_manifold,
    test_fuzz_beyond_ntk,
    test_fuzz_beyond_subspace,
    test_fuzz_beyond_uncertainty,
    test_fuzz_calculus,
    test_fuzz_networks,
    test_fuzz_recurrent,
)

FILES = [
    test_fuzz_calculus,
    test_fuzz_networks,
    test_fuzz_recurrent,
    test_fuzz_beyond_subspace,
    test_fuzz_beyond_manifold,
    test_fuzz_beyond_uncertainty,
    test_fuzz_beyond_ntk,
]

PACKAGES = [
    "adjnets.calculus",
    "adjnets.networks",
    "adjnets.specific",
    "adjnets.specific.cnn",
    "adjnets.recurrent",
    "adjnets.training",
    "adjnets.data",
    "adjnets.beyond",
]


def public_names() -> set[str]:
    """The callables of ``adjnets.__all__`` and of every module's ``__all__`` (classes,
    functions and instances such as the losses and activations)."""
    modules = [adjnets]
    for package_name in PACKAGES:
        package = importlib.import_module(package_name)
        modules += [
            importlib.import_module(f"{package_name}.{m}")
            for m in getattr(package, "__all__", [])
            if importlib.util.find_spec(f"{package_name}.{m}") is not None
            and not hasattr(importlib.import_module(f"{package_name}.{m}"), "__path__")
        ]
    names = set()
    for module in modules:
        own = getattr(module, "__all__", None)
        if own is None:  # the names the module defines (or instances of its classes)
            own = [
                n
                for n, obj in vars(module).items()
                if not n.startswith("_")
                and getattr(obj, "__module__", module.__name__) == module.__name__
            ]
        for n in own:
            obj = getattr(module, n)
            if not inspect.ismodule(obj) and callable(obj):
                names.add(n)
    return names


def test_every_public_name_is_fuzzed_or_excused() -> None:
    fuzzed = {case.name.split(".")[0] for f in FILES for case in f.CASES}
    excused = {n for f in FILES for n in f.EXCUSED}
    missing = sorted(public_names() - fuzzed - excused)
    assert not missing, f"public names neither fuzzed nor excused: {missing}"


def test_excuses_name_public_names_and_give_reasons() -> None:
    names = public_names()
    for f in FILES:
        for name, reason in f.EXCUSED.items():
            assert name in names, f"{f.__name__} excuses {name}, not a public name"
            assert len(reason) > 10, f"{f.__name__} excuses {name} without a reason"
