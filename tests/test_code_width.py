"""The code the book shows fits its code column: at most 88 characters a line.

At 1280 px the book's code column shows 88 columns (book/_static/layout.css), and the pages
show the package's own source (``adjnets.pages.display.source``) beside their code cells; a longer
line would need horizontal scrolling, which ``make browser-check`` reports page by page.
This test names the line. ``ruff format`` (``[tool.ruff]`` in pyproject.toml) keeps code
within the width; docstrings, comments and strings it cannot wrap are wrapped by hand.
"""

from __future__ import annotations

import pytest

from tests.notebook_pages import ROOT, notebook_pages, read_page

WIDTH = 88


def long_lines(name: str, text: str, width: int = WIDTH) -> list[str]:
    """``name:line: text`` for every line of ``text`` longer than ``width`` characters."""
    return [
        f"{name}:{k}: {line[:60]}... ({len(line)} characters)"
        for k, line in enumerate(text.splitlines(), 1)
        if len(line) > width
    ]


def test_long_lines_are_named():
    assert long_lines("x.py", "a = 1\n" + "b" * 89 + "\n") == [
        f"x.py:2: {'b' * 60}... (89 characters)"
    ]
    assert long_lines("x.py", "b" * 88) == []


@pytest.mark.parametrize(
    "module",
    sorted((ROOT / "adjnets").rglob("*.py")),
    ids=lambda p: p.relative_to(ROOT / "adjnets").as_posix(),
)
def test_package_lines_fit_the_code_column(module):
    assert long_lines(module.name, module.read_text(encoding="utf-8")) == []


@pytest.mark.parametrize("page", notebook_pages(), ids=lambda p: p.name)
def test_code_cells_fit_the_code_column(page):
    cells = [c.source for c in read_page(page).cells if c.cell_type == "code"]
    problems = [p for k, c in enumerate(cells) for p in long_lines(f"cell {k}", c)]
    assert problems == []
