"""The book's MathJax macros in JupyterLab: a hidden first cell on every notebook page.

    .venv/bin/python -m tests.page_macros            # write the cell into every page
    .venv/bin/python -m tests.page_macros --check    # exit 1 if a page's copy is out of date

The book defines its macros (``\\inner``, ``\\Dadj``, ...) once, in ``_config.yml`` (``sphinx:
config: mathjax3_config: tex: macros``; ``book/_ext/latex_pdf.py`` turns them into LaTeX for
the PDF). jupyterlab-myst, which renders the pages' markdown cells in JupyterLab, reads neither:
it takes a notebook's front matter, where MyST defines macros (``math:``), only from a YAML
block at the top of the notebook's *first markdown cell*, not from the notebook's metadata
(the page's own YAML header). So every notebook page opens with a markdown cell that holds only
such a block, written here from ``_config.yml``:

- ``math:`` the macros, as KaTeX takes them (it counts a macro's arguments from its ``#n``);
- ``numbering: equation: false``: MyST numbers every displayed equation, the book none (an
  equation shows a number only when the page gives it the thesis's with ``\\tag``), so without
  it such an equation would show two numbers in JupyterLab.

The cell is tagged ``remove-cell``, so myst-nb leaves it out of the book (HTML and PDF); the
notebook a reader downloads keeps it, where it does the same in JupyterLab. jupytext reads and
writes it unchanged (``tests/test_lab.py`` checks that saving a page from JupyterLab gives back
the same file, and that every page's cell is this module's).
"""

from __future__ import annotations

import sys
from pathlib import Path

import yaml

from tests.notebook_pages import BOOK, ROOT, notebook_pages

CONFIG = ROOT / "_config.yml"
MARKER = '+++ {"tags": ["remove-cell"]}'


def config_macros(config: Path = CONFIG) -> dict[str, str]:
    """``{"\\\\inner": definition, ...}``: the macros of ``_config.yml``, as MyST names them."""
    data = yaml.safe_load(config.read_text(encoding="utf-8"))
    macros = data["sphinx"]["config"]["mathjax3_config"]["tex"]["macros"]
    return {
        "\\" + name: value[0] if isinstance(value, list) else value
        for name, value in macros.items()
    }


def _quoted(text: str) -> str:
    """``text`` as a single-quoted YAML scalar (backslashes stay as they are)."""
    return "'" + text.replace("'", "''") + "'"


def cell_source(config: Path = CONFIG) -> str:
    """The source of the cell: a YAML front-matter block and nothing else."""
    lines = [
        "---",
        "# For JupyterLab (jupyterlab-myst) only; the book leaves this cell out. The book's",
        "# macros (_config.yml), written by `python -m tests.page_macros`; do not edit.",
        "math:",
        *(
            f"  {_quoted(name)}: {_quoted(macro)}"
            for name, macro in config_macros(config).items()
        ),
        "numbering:",
        "  equation: false",
        "---",
    ]
    return "\n".join(lines)


def split_header(text: str) -> tuple[str, str]:
    """The page's YAML header (through its closing ``---`` line) and the rest."""
    assert text.startswith("---\n"), "a notebook page starts with its YAML header"
    end = text.index("\n---\n", 3) + len("\n---\n")
    return text[:end], text[end:]


def with_macros(text: str, config: Path = CONFIG) -> str:
    """The page ``text`` with the macro cell first (added, or brought up to date)."""
    header, body = split_header(text)
    start = f"\n{MARKER}\n\n---\n"
    if body.startswith(start):
        # the cell ends at its closing `---`, followed by the next cell's `+++`
        end = body.index("\n---\n\n+++\n", len(start) - 1) + len("\n---\n\n+++\n")
        body = "\n" + body[end:].lstrip("\n")
    return f"{header}\n{MARKER}\n\n{cell_source(config)}\n\n+++\n{body}"


def main(argv: list[str] | None = None) -> int:
    check = "--check" in (argv if argv is not None else sys.argv[1:])
    stale = []
    for page in notebook_pages(BOOK):
        text = page.read_text(encoding="utf-8")
        new = with_macros(text)
        if new != text:
            stale.append(page.relative_to(ROOT))
            if not check:
                page.write_text(new, encoding="utf-8")
    for name in stale:
        print(("out of date: " if check else "wrote ") + str(name))
    return 1 if check and stale else 0


if __name__ == "__main__":
    sys.exit(main())
