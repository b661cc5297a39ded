"""The book's notebook pages and their stored reference outputs, for the nbval regression.

A *notebook page* is a MyST Markdown file in ``book/`` whose front matter names a Jupyter kernel.
Its reference is ``tests/reference/<page>.ipynb``: the page converted by jupytext and executed
in a new empty folder outside the clone, where a downloaded notebook runs too (images dropped,
since nbval does not compare them). ``conftest.py`` merges the reference's outputs into the
page and lets nbval re-run and compare it, in such a folder; ``make reference``
(``python -m tests.references``) rewrites the references.
"""

from __future__ import annotations

import copy
import os
import platform
import tempfile
from pathlib import Path

import jupytext
import nbformat

ROOT = Path(__file__).resolve().parent.parent
BOOK = ROOT / "book"
REFERENCES = ROOT / "tests" / "reference"
FIX_COMMAND = "make reference PAGES={page}"
DROPPED_MIME_TYPES = ("image/png", "image/jpeg", "image/svg+xml", "application/pdf")

# The pages train networks for many steps, which carries a difference in the last bit of one
# product into the printed digits.  NumPy's ufuncs and OpenBLAS pick their kernels by the CPU
# (AVX-512 or AVX2 on x86-64), and those round differently, so on x86-64 the kernels that run the
# pages are fixed to the AVX2 ones every x86-64 machine of the last decade has: OpenBLAS's
# Haswell kernels (what it picks on AMD Zen anyway) and NumPy's dispatch without its AVX-512
# paths.  The references are made and compared under the same settings.
PINNED_KERNELS = (
    {
        "OPENBLAS_CORETYPE": "Haswell",
        "NPY_DISABLE_CPU_FEATURES": "X86_V4 AVX512_ICL AVX512_SPR",
    }
    if platform.machine().lower() in ("x86_64", "amd64")
    else {}
)


def pin_kernels() -> None:
    """Make the kernels that execute the pages (started after this call) use ``PINNED_KERNELS``."""
    os.environ.update(PINNED_KERNELS)


def is_notebook_page(path: Path) -> bool:
    """Whether ``path`` is a MyST Markdown notebook (its front matter has a kernelspec)."""
    if path.suffix != ".md":
        return False
    head = path.read_text(encoding="utf-8")[:2000]
    return head.startswith("---") and "kernelspec:" in head.split("\n---", 1)[0]


def notebook_pages(book: Path = BOOK) -> list[Path]:
    """All notebook pages under ``book``, sorted (none in hidden folders such as
    JupyterLab's ``.ipynb_checkpoints``)."""
    return sorted(
        p
        for p in book.rglob("*.md")
        if not any(part.startswith(".") for part in p.relative_to(book).parts)
        and is_notebook_page(p)
    )


def reference_path(
    page: Path, book: Path = BOOK, references: Path = REFERENCES
) -> Path:
    """Where the reference outputs of ``page`` are stored."""
    return (references / page.resolve().relative_to(book.resolve())).with_suffix(
        ".ipynb"
    )


def read_page(page: Path) -> nbformat.NotebookNode:
    """The page as a notebook without outputs."""
    return jupytext.read(page, fmt="md:myst")


def read_download(page: Path) -> nbformat.NotebookNode:
    """The page as the notebook a reader downloads from the book, without its outputs.

    myst-nb converts the page with its own reader (not jupytext), with the MyST extensions
    of ``_config.yml``; the book's build then executes it and offers it as
    ``_build/html/_sources/<page>.ipynb``, every cell kept (those tagged ``remove-input`` or
    ``remove-cell`` too, with their tags) and the front matter's kernelspec in its metadata.
    """
    import yaml
    from myst_nb.core.read import read_myst_markdown_notebook
    from myst_parser.config.main import MdParserConfig

    config = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))
    extensions = set(config.get("parse", {}).get("myst_enable_extensions", []))
    return read_myst_markdown_notebook(
        page.read_text(encoding="utf-8"),
        MdParserConfig(enable_extensions=extensions),
        add_source_map=True,
        path=page,
    )


def _code_sources(nb: nbformat.NotebookNode) -> list[str]:
    return [cell.source.rstrip() for cell in nb.cells if cell.cell_type == "code"]


def merge_reference(
    page: Path, book: Path = BOOK, references: Path = REFERENCES
) -> tuple[nbformat.NotebookNode, str | None]:
    """The page with its reference outputs, or an explanation of why they cannot be used.

    Returns
    -------
    notebook, problem
        ``problem`` is ``None`` when the reference exists and its code cells are exactly the
        page's; otherwise it says what differs and which command regenerates the reference.
    """
    nb = read_page(page)
    ref_path = reference_path(page, book, references)
    fix = FIX_COMMAND.format(
        page=page.relative_to(book.parent) if page.is_absolute() else page
    )
    if not ref_path.exists():
        return (
            nb,
            f"{page.name} has no reference outputs ({ref_path.name} is missing); run `{fix}`",
        )
    ref = nbformat.read(ref_path, as_version=4)
    ours, theirs = _code_sources(nb), _code_sources(ref)
    if ours != theirs:
        if len(ours) != len(theirs):
            what = f"the page has {len(ours)} code cells, its reference {len(theirs)}"
        else:
            k = next(
                i for i, (a, b) in enumerate(zip(ours, theirs, strict=True)) if a != b
            )
            what = f"code cell {k} differs:\n--- page\n{ours[k]}\n--- reference\n{theirs[k]}"
        return nb, (
            f"{page.name} has changed since its reference outputs were stored ({what}).\n"
            f"If the change is intended, regenerate the reference with `{fix}` and commit it."
        )
    ref_cells = iter(cell for cell in ref.cells if cell.cell_type == "code")
    for cell in nb.cells:
        if cell.cell_type == "code":
            stored = next(ref_cells)
            cell.outputs = copy.deepcopy(stored.outputs)
            cell.execution_count = stored.execution_count
    return nb, None


def _strip(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """Drop image payloads and run metadata, which nbval does not compare; number the cells.

    jupytext gives every cell a random id on each read; ids by position keep a regenerated
    reference identical wherever its outputs are.
    """
    for i, cell in enumerate(nb.cells):
        cell["id"] = f"cell-{i:03d}"
        cell.metadata.pop("execution", None)
        for output in cell.get("outputs", []):
            for mime in DROPPED_MIME_TYPES:
                output.get("data", {}).pop(mime, None)
            output.get("metadata", {}).clear()
    return nb


def make_reference(
    page: Path, book: Path = BOOK, references: Path = REFERENCES
) -> Path:
    """Execute ``page`` in a new empty folder and store its outputs as its reference."""
    from nbclient import NotebookClient

    pin_kernels()
    nb = read_page(page)
    with tempfile.TemporaryDirectory(prefix=f"adjnets-{page.stem}-") as workdir:
        NotebookClient(
            nb,
            timeout=600,
            kernel_name="python3",
            resources={"metadata": {"path": workdir}},
        ).execute()
    out = reference_path(page, book, references)
    out.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(_strip(nb), out)
    return out
