"""pytest plugin: the nbval regression of the book's MyST Markdown pages.

nbval only reads ``.ipynb`` files, and a page read from Markdown has no outputs to compare. So
for each notebook page in ``book/`` this plugin

1. checks that the page's code cells are exactly those of its stored reference
   ``tests/reference/<page>.ipynb`` (otherwise the test ``<page>::reference is current`` fails and
   names the command that regenerates the reference);
2. merges the reference outputs into the page and hands it to nbval, which re-executes every
   cell and compares each output with the stored one, after the substitutions of
   ``tests/nbval_sanitize.cfg`` (memory addresses, float noise past 6 decimals).

The kernel runs in a fresh empty folder outside the clone, not in ``book/``: the notebook a
reader downloads from the book (the page's code, which ``tests/test_downloads.py`` checks is
the code nbval runs here) has no clone around it either, only the installed ``adjnets``. So
this regression is also the test that every downloaded notebook runs on its own.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from unittest import mock

import nbval.plugin
import pytest

from tests.notebook_pages import (
    FIX_COMMAND,
    is_notebook_page,
    merge_reference,
    pin_kernels,
)

# the kernels nbval starts compute as the ones that made the references did
pin_kernels()
collect_ignore = ["tests/reference", "_build", ".venv"]


def pytest_configure(config):
    config.addinivalue_line(
        "markers",
        "thesis(*results): the test checks these numbered results of the thesis, e.g. "
        '@pytest.mark.thesis("Theorem 3.2.5"); the traceability appendix lists it',
    )


class ReferenceIsCurrent(pytest.Item):
    """Fails when the page's code no longer matches its stored reference outputs."""

    def __init__(self, *, problem: str | None, **kwargs):
        super().__init__(**kwargs)
        self.problem = problem

    def runtest(self) -> None:
        if self.problem is not None:
            raise AssertionError(self.problem)

    def repr_failure(self, excinfo, style=None):
        return str(excinfo.value)

    def reportinfo(self):
        return self.path, 0, f"{self.path.name}::reference is current"


class MystNotebook(nbval.plugin.IPyNbFile):
    """A MyST Markdown page of the book, run and compared by nbval against its reference."""

    def collect(self):
        root = self.config.rootpath
        nb, problem = merge_reference(
            Path(self.path), root / "book", root / "tests" / "reference"
        )
        yield ReferenceIsCurrent.from_parent(
            self, name="reference is current", problem=problem
        )
        if problem is not None:
            return
        with mock.patch.object(
            nbval.plugin, "nbformat", mock.Mock(read=lambda *a, **k: nb)
        ):
            yield from super().collect()

    def setup(self):
        """Start the page's kernel in a new empty folder, as a downloaded notebook runs."""
        self.workdir = Path(tempfile.mkdtemp(prefix=f"adjnets-{Path(self.path).stem}-"))
        start_kernel = nbval.plugin.RunningKernel

        def in_workdir(kernel_name, cwd=None, **kwargs):
            return start_kernel(kernel_name, cwd=str(self.workdir), **kwargs)

        with mock.patch.object(nbval.plugin, "RunningKernel", in_workdir):
            super().setup()

    def teardown(self):
        """Stop the kernel; a page must leave the reader's folder as it found it."""
        try:
            super().teardown()
            left = sorted(p.name for p in self.workdir.iterdir())
        finally:
            shutil.rmtree(self.workdir, ignore_errors=True)
        if left:
            raise AssertionError(
                f"{Path(self.path).name} wrote {left} into its working directory, which "
                "is the reader's own folder when the notebook is downloaded"
            )


def pytest_collect_file(file_path: Path, parent):
    book = parent.config.rootpath / "book"
    if (
        file_path.suffix == ".md"
        and book in file_path.parents
        and is_notebook_page(file_path)
    ):
        return MystNotebook.from_parent(parent, path=file_path)
    return None


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    """A failed cell of a page says which command updates the page's reference."""
    report = yield
    if (
        report.failed
        and report.when == "call"
        and isinstance(item.parent, MystNotebook)
    ):
        page = Path(item.parent.path).relative_to(item.config.rootpath)
        report.sections.append(
            (
                "how to update the reference",
                "The page's outputs no longer match its stored reference. "
                "If the change is intended, "
                f"regenerate it with `{FIX_COMMAND.format(page=page)}` and commit it.",
            )
        )
    return report
