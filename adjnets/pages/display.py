"""Show the package's own code on a page of the book, so that page and package cannot
drift.

``source(Network.backpropagate)`` as the last expression of a notebook cell renders the
function's source, syntax-highlighted, taken from the installed package at build time.
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
        objects = tuple(
            obj.fget if isinstance(obj, property) else obj for obj in objects
        )
        self.text = "\n\n".join(
            textwrap.dedent(inspect.getsource(obj)).rstrip() for obj in objects
        )

    def _repr_markdown_(self) -> str:
        return f"```python\n{self.text}\n```"

    def __repr__(self) -> str:
        return self.text


def source(*objects: Any) -> Source:
    """The source of ``objects`` (functions, classes, methods), for display in a
    notebook."""
    return Source(*objects)


class Markdown:
    """Markdown text that a notebook (and the book) renders; its plain-text form is the
    same text."""

    def __init__(self, text: str):
        self.text = text

    def _repr_markdown_(self) -> str:
        return self.text

    def __repr__(self) -> str:
        return self.text


def markdown_table(header: list[str], rows: list[list[str]]) -> Markdown:
    """A Markdown pipe table; cells may hold MyST roles (the book renders outputs as
    MyST)."""
    if any(len(row) != len(header) for row in rows):
        raise ValueError(f"markdown_table expected rows of {len(header)} cells")

    def line(cells: list[str]) -> str:
        return (
            "| "
            + " | ".join(c.replace("|", "\\|").replace("\n", " ") for c in cells)
            + " |"
        )

    return Markdown(
        "\n".join([line(header), line(["---"] * len(header)), *map(line, rows)])
    )
