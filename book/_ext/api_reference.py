"""Small adjustments of autodoc's output for the API reference (book/api/).

* A NamedTuple's fields are not listed as members with the docstring "Alias for field number k":
  the class signature already names them, and the class docstring says what they are.
* A class shows its base classes ("Bases: Layer") unless its only base is ``object``; autodoc's own
  ``:show-inheritance:`` would print "Bases: object" on every plain class.
"""

from __future__ import annotations

import typing
from typing import Any

from sphinx.application import Sphinx
from sphinx.util.typing import restify


def _skip_namedtuple_field(
    app: Sphinx, what: str, name: str, obj: Any, skip: bool, options: Any
):
    if type(obj).__name__ == "_tuplegetter" and (obj.__doc__ or "").startswith(
        "Alias for field"
    ):
        return True
    return None


def _add_bases(
    app: Sphinx, what: str, name: str, obj: Any, options: Any, lines: list[str]
) -> None:
    if (
        what != "class"
        or not isinstance(obj, type)
        or name.rsplit(".", 1)[-1] != obj.__name__
    ):
        return  # not a class, or an alias such as ``SGD = GradientDescent``
    # ``object`` says nothing, and ``Generic[T]`` is typing for the type checker: its type
    # variable has no page to link to
    bases = [
        b
        for b in obj.__dict__.get("__orig_bases__", obj.__bases__)
        if b is not object and typing.get_origin(b) is not typing.Generic
    ]
    if bases:
        lines[:0] = ["Bases: " + ", ".join(restify(b) for b in bases), ""]


def setup(app: Sphinx) -> dict[str, Any]:
    app.connect("autodoc-skip-member", _skip_namedtuple_field)
    app.connect("autodoc-process-docstring", _add_bases)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
