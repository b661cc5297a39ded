"""Show the package's own code on a page of the book, so that page and package cannot drift.

``source(Network.backpropagate)`` as the last expression of a notebook cell renders the function's
source, syntax-highlighted, taken from the installed package at build time.
"""

from __future__ import annotations

import inspect
import textwrap
from typing import Any


class Source:
    """The source code of one or more Python objects, displayed as a code block."""

    def __init__(self, *objects: Any):
        if not objects:
            raise ValueError("source expected at least one function or class")
        self.text = "\n\n".join(textwrap.dedent(inspect.getsource(obj)).rstrip() for obj in objects)

    def _repr_markdown_(self) -> str:
        return f"```python\n{self.text}\n```"

    def __repr__(self) -> str:
        return self.text


def source(*objects: Any) -> Source:
    """The source of ``objects`` (functions, classes, methods), for display in a notebook."""
    return Source(*objects)
