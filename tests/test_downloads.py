"""The notebook a reader downloads from a page runs on its own, outside the repository.

The book offers every notebook page as ``_build/html/_sources/<page>.ipynb``: myst-nb's
conversion of the page (``notebook_pages.read_download``), executed. The nbval regression
(``conftest.py``) already runs each page's code in a new empty folder outside the clone, with
only the installed ``adjnets``; these tests check that the code it runs is the downloaded
notebook's, that the notebook declares its kernel, and the two pages that need more than
``adjnets``: the performance appendix carries its stored results with it, and the
traceability appendix, which reads the repository, finds it or says plainly that it needs it.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
import yaml

from adjnets.pages.thesis import RepositoryNotFoundError, find_repository
from benchmarks import page as performance
from tests.notebook_pages import (
    BOOK,
    PINNED_KERNELS,
    ROOT,
    merge_reference,
    notebook_pages,
    read_download,
    read_page,
)

PAGES = notebook_pages()
KERNELSPEC = {
    "display_name": "Python 3 (ipykernel)",
    "language": "python",
    "name": "python3",
}


def code(nb: nbformat.NotebookNode) -> list[str]:
    return [c.source.rstrip() for c in nb.cells if c.cell_type == "code"]


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_download_is_the_code_the_regression_runs(page):
    """myst-nb's notebook has the cells jupytext's has, which nbval runs outside the clone."""
    download = read_download(page)
    assert code(download) == code(read_page(page))
    assert dict(download.metadata.kernelspec) == KERNELSPEC
    nbformat.validate(download)


# --- the performance appendix: its results travel with it ------------------------------


def test_performance_page_holds_the_stored_results():
    stored = json.loads(performance.RESULTS.read_text(encoding="utf-8"))
    held = performance.page_results(performance.PAGE.read_text(encoding="utf-8"))
    assert held == stored, (
        "book/appendix-performance.md holds other results than benchmarks/results.json; "
        "copy them into the page with `.venv/bin/python -m benchmarks.page`"
    )


def test_performance_page_is_what_the_benchmark_writes():
    text = performance.PAGE.read_text(encoding="utf-8")
    stored = json.loads(performance.RESULTS.read_text(encoding="utf-8"))
    assert performance.embed(stored, text) == text


def test_performance_page_reads_no_file():
    """The page takes its numbers from its hidden cell, not from the repository."""
    cells = code(read_download(performance.PAGE))
    assert cells[0].startswith(performance.HEADER)
    assert not any("results.json" in c for c in cells[1:])
    first_code = next(
        c for c in read_download(performance.PAGE).cells if c.cell_type == "code"
    )
    assert "remove-cell" in first_code.metadata["tags"]


def test_benchmark_writes_page_and_reference(tmp_path):
    """After a new run the page holds it and its reference is still current."""
    book, references = tmp_path / "book", tmp_path / "reference"
    book.mkdir()
    references.mkdir()
    page = Path(shutil.copy(performance.PAGE, book / performance.PAGE.name))
    reference = references / performance.REFERENCE.name
    shutil.copy(performance.REFERENCE, reference)
    results = json.loads(performance.RESULTS.read_text(encoding="utf-8"))
    results["date"] = "2030-01-01T00:00:00+00:00"
    results["cases"][0]["note"] = "a note " * 30
    results["cases"][0]["times"]["adjnets"]["samples"].append(0.125)

    assert performance.write(results, page, reference) == [page, reference]

    assert performance.page_results(page.read_text(encoding="utf-8")) == results
    assert all(
        len(line) <= 88 for line in performance.cell_source(results).splitlines()
    )
    assert merge_reference(page, book, references)[1] is None


def test_page_results_refuses_code():
    text = performance.PAGE.read_text(encoding="utf-8")
    held = performance.page_results(text)
    hacked = text.replace("results = {", "results = print() or {", 1)
    with pytest.raises(ValueError):
        performance.page_results(hacked)
    assert performance.page_results(performance.embed(held, hacked)) == held


# --- the traceability appendix: it reads the repository ----------------------------------


def test_repository_is_found_from_the_editable_install(tmp_path):
    assert find_repository() == ROOT
    assert find_repository(start=tmp_path, package=ROOT / "adjnets") == ROOT


def test_repository_is_found_from_the_working_directory(tmp_path):
    """adjnets installed as a package (Binder) and the page run inside a clone."""
    installed = tmp_path / "site-packages" / "adjnets"
    assert find_repository(start=BOOK, package=installed) == ROOT
    assert find_repository(start=ROOT / "tests" / "data", package=installed) == ROOT


def test_no_repository_says_what_is_needed(tmp_path):
    url = yaml.safe_load((ROOT / "_config.yml").read_text())["repository"]["url"]
    with pytest.raises(RepositoryNotFoundError) as error:
        find_repository(start=tmp_path, package=tmp_path / "site-packages" / "adjnets")
    message = str(error.value)
    assert "reads the adjnets repository" in message
    assert f"git clone {url}" in message
    assert "book/traceability.md" in message
    # the page's first cell that the book shows says the same, with the same address (the
    # cell before it holds the macros for JupyterLab: tests/page_macros.py)
    first = next(
        c.source
        for c in read_download(BOOK / "traceability.md").cells
        if "remove-cell" not in c.metadata.get("tags", [])
    )
    assert "reads the repository" in first and f"git clone {url}" in first


def test_downloaded_traceability_notebook_outside_a_clone(tmp_path):
    """Run as a reader would, with adjnets installed outside any clone, in an empty folder:
    the first code cell stops with the plain message, not a failed assertion."""
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError

    site = tmp_path / "site-packages"
    shutil.copytree(
        ROOT / "adjnets", site / "adjnets", ignore=shutil.ignore_patterns("__pycache__")
    )
    workdir = tmp_path / "downloads"
    workdir.mkdir()
    nb = read_download(BOOK / "traceability.md")
    env = {**os.environ, **PINNED_KERNELS, "PYTHONPATH": str(site)}
    client = NotebookClient(
        nb,
        timeout=120,
        kernel_name="python3",
        resources={"metadata": {"path": str(workdir)}},
    )
    with pytest.raises(CellExecutionError) as error:
        client.execute(env=env)
    message = str(error.value)
    assert "RepositoryNotFoundError" in message
    assert "AssertionError" not in message
    assert f"installed adjnets ({site / 'adjnets'})" in message
    first_code = next(c for c in nb.cells if c.cell_type == "code")
    assert first_code.outputs[-1].ename == "RepositoryNotFoundError"
    assert list(workdir.iterdir()) == []


def test_kernel_sees_the_copy_first(tmp_path):
    """The test above relies on PYTHONPATH coming before the editable install."""
    site = tmp_path / "site-packages"
    (site / "adjnets").mkdir(parents=True)
    (site / "adjnets" / "__init__.py").write_text("")
    out = subprocess.run(
        [sys.executable, "-c", "import adjnets; print(adjnets.__file__)"],
        env={**os.environ, "PYTHONPATH": str(site)},
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert out.strip() == str(site / "adjnets" / "__init__.py")
