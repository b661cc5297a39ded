"""The performance appendix carries the stored results with it: ``python -m benchmarks.page``.

``book/appendix-performance.md`` shows the run stored in ``benchmarks/results.json``. So that
the notebook a reader downloads from the book runs on its own, outside the repository, the page
holds a copy of the results as a Python literal in a hidden cell (tagged ``remove-cell``: it is
in the downloaded notebook, not in the HTML). ``python -m benchmarks`` writes the copy whenever
it writes ``benchmarks/results.json``; ``python -m benchmarks.page`` writes it from the stored
file. Both also update that cell's code in the page's nbval reference
(``tests/reference/appendix-performance.ipynb``), which has no output, so no other step is
needed. ``tests/test_downloads.py`` checks that the page's copy is the file's.

Imports nothing but the standard library and nbformat (no PyTorch or JAX), so the tests can.
"""

from __future__ import annotations

import ast
import json
import re
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results.json"
PAGE = ROOT / "book" / "appendix-performance.md"
REFERENCE = ROOT / "tests" / "reference" / "appendix-performance.ipynb"
WIDTH = 88

HEADER = (
    "# The stored run of `make benchmark`: a copy of benchmarks/results.json, which the\n"
    "# benchmark writes here too, so that this notebook runs without the repository.\n"
)
_CELL = re.compile(
    r"(```\{code-cell\} ipython3\n:tags: \[remove-cell\]\n\n)"
    + re.escape(HEADER)
    + r"results = .*?\n(```\n)",
    re.DOTALL,
)


def _lines(value: Any, head: str, tail: str, indent: int) -> list[str]:
    """``value`` as a Python literal, after ``head`` and before ``tail``, in lines of at
    most ``WIDTH`` columns: inline when it fits; otherwise a dict one item a line, a list
    of numbers packed, another list one item a line, a string in pieces."""
    inline = f"{head}{value!r}{tail}"
    if len(inline) <= WIDTH:
        return [inline]
    pad = " " * (indent + 1)
    if isinstance(value, dict):
        body = [
            line
            for key, item in value.items()
            for line in _lines(item, f"{pad}{key!r}: ", ",", indent + 1)
        ]
        return [head + "{", *body, " " * indent + "}" + tail]
    if isinstance(value, list) and all(isinstance(v, int | float) for v in value):
        body, line = [], pad
        for item in value:
            if len(line) + len(repr(item)) + 2 > WIDTH:
                body.append(line.rstrip())
                line = pad
            line += f"{item!r}, "
        return [head + "[", *body, line.rstrip(), " " * indent + "]" + tail]
    if isinstance(value, list):
        body = [line for item in value for line in _lines(item, pad, ",", indent + 1)]
        return [head + "[", *body, " " * indent + "]" + tail]
    if isinstance(value, str):
        words, pieces = re.split(r"(?<= )", value), [""]
        for word in words:
            if pieces[-1] and len(pad) + len(repr(pieces[-1] + word)) > WIDTH:
                pieces.append("")
            pieces[-1] += word
        return [head + "(", *(pad + repr(s) for s in pieces), " " * indent + ")" + tail]
    raise ValueError(f"{inline[:60]}... does not fit in {WIDTH} columns")


def cell_source(results: dict[str, Any]) -> str:
    """The code of the page's hidden cell: ``results = {...}``, at most 88 columns wide."""
    lines = _lines(results, "results = ", "", 0)
    too_long = [line for line in lines if len(line) > WIDTH]
    if too_long:
        raise ValueError(f"lines longer than {WIDTH} columns: {too_long}")
    return HEADER + "\n".join(lines)


def page_results(text: str) -> dict[str, Any]:
    """The results held by the page's hidden cell (``text`` is the page's Markdown)."""
    match = _CELL.search(text)
    if match is None:
        raise ValueError("the page has no hidden cell of stored results")
    body = match.group(0).split(HEADER, 1)[1].removesuffix("```\n")
    tree = ast.parse(body, mode="exec")
    (assign,) = tree.body
    if not (
        isinstance(assign, ast.Assign) and ast.unparse(assign.targets[0]) == "results"
    ):
        raise ValueError("the hidden cell should be one assignment `results = {...}`")
    value: dict[str, Any] = ast.literal_eval(assign.value)
    return value


def embed(results: dict[str, Any], text: str) -> str:
    """``text`` (the page's Markdown) with ``results`` in its hidden cell."""
    if _CELL.search(text) is None:
        raise ValueError("the page has no hidden cell of stored results")
    source = cell_source(results)
    return _CELL.sub(lambda m: m.group(1) + source + "\n" + m.group(2), text, count=1)


def write(
    results: dict[str, Any], page: Path = PAGE, reference: Path = REFERENCE
) -> list[Path]:
    """Put ``results`` into the page's hidden cell and into that cell of its reference.

    Returns the files written. A reference without that cell is left alone: it is out of
    date anyway, and the nbval regression names the command that regenerates it.
    """
    import nbformat

    page.write_text(embed(results, page.read_text(encoding="utf-8")), encoding="utf-8")
    written = [page]
    if reference.exists():
        nb = nbformat.read(reference, as_version=4)
        cells = [
            c for c in nb.cells if c.cell_type == "code" and c.source.startswith(HEADER)
        ]
        if len(cells) == 1:
            cells[0].source = cell_source(results)
            nbformat.write(nb, reference)
            written.append(reference)
    return written


def main(argv: list[str]) -> int:
    """Copy ``benchmarks/results.json`` (or the file named) into the page."""
    source = Path(argv[0]) if argv else RESULTS
    for path in write(json.loads(source.read_text(encoding="utf-8"))):
        print(f"{path}: holds the results of {source}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
