"""The nbval regression harness (conftest.py) is itself tested: it must catch a changed output.

Each test builds a one-page book in a temporary folder with the project's conftest.py and
sanitizer, stores a reference for the page, edits the page or the reference, and runs pytest on
it in a subprocess.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.notebook_pages import make_reference

pytest_plugins = ["pytester"]

ROOT = Path(__file__).resolve().parent.parent

PAGE = """---
jupytext:
  text_representation:
    extension: .md
    format_name: myst
kernelspec:
  display_name: Python 3
  language: python
  name: python3
---

# A page

```{{code-cell}} ipython3
import math
print(f"{{math.pi * {factor}:.9f}}")
```

```{{code-cell}} ipython3
object()
```
"""


@pytest.fixture
def book(pytester: pytest.Pytester) -> Path:
    """A temporary project with one notebook page and its stored reference."""
    root = pytester.path
    shutil.copy(ROOT / "conftest.py", root / "conftest.py")
    (root / "tests").mkdir()
    for name in ("__init__.py", "notebook_pages.py", "nbval_sanitize.cfg"):
        shutil.copy(ROOT / "tests" / name, root / "tests" / name)
    (root / "book").mkdir()
    page = root / "book" / "page.md"
    page.write_text(PAGE.format(factor=1))
    make_reference(page, root / "book", root / "tests" / "reference")
    return root


def run(pytester: pytest.Pytester) -> pytest.RunResult:
    return pytester.runpytest_subprocess(
        "book",
        "-p",
        "no:cacheprovider",
        "--nbval-current-env",
        "--nbval-sanitize-with",
        "tests/nbval_sanitize.cfg",
    )


def test_unchanged_page_passes(pytester, book):
    result = run(pytester)
    # the reference check and both cells; the object() repr differs only by its memory address
    result.assert_outcomes(passed=3)


def test_changed_printed_number_fails(pytester, book):
    reference = book / "tests" / "reference" / "page.ipynb"
    text = reference.read_text()
    assert "3.141592654" in text
    reference.write_text(text.replace("3.141592654", "3.141593654"))
    result = run(pytester)
    result.assert_outcomes(passed=2, failed=1)
    result.stdout.fnmatch_lines(
        ["*Cell outputs differ*", "*make reference PAGES=book/page.md*"]
    )


def test_noise_past_six_decimals_is_ignored(pytester, book):
    reference = book / "tests" / "reference" / "page.ipynb"
    text = reference.read_text()
    reference.write_text(text.replace("3.141592654", "3.141592999"))
    run(pytester).assert_outcomes(passed=3)


def test_changed_code_names_the_fix(pytester, book):
    (book / "book" / "page.md").write_text(PAGE.format(factor=2))
    result = run(pytester)
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "*page.md has changed since its reference outputs were stored*",
            "*make reference*",
        ]
    )


def test_missing_reference_names_the_fix(pytester, book):
    (book / "tests" / "reference" / "page.ipynb").unlink()
    result = run(pytester)
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        ["*no reference outputs*make reference PAGES=book/page.md*"]
    )


WHERE = """---
kernelspec:
  display_name: Python 3
  language: python
  name: python3
---

# Where a page runs

```{code-cell} ipython3
import os
from pathlib import Path

here = Path.cwd()
# a new empty folder, with no project (conftest.py, book/) in it or above it
assert os.listdir(here) == [], os.listdir(here)
assert not any((p / "conftest.py").exists() for p in (here, *here.parents))
print("empty and outside the project")
```
"""


def test_page_runs_in_an_empty_folder_outside_the_project(pytester, book):
    """As a downloaded notebook does: the reference is made there too, and so is the run."""
    page = book / "book" / "where.md"
    page.write_text(WHERE)
    make_reference(page, book / "book", book / "tests" / "reference")
    result = run(pytester)
    result.assert_outcomes(passed=5)


def test_page_that_writes_into_its_folder_fails(pytester, book):
    page = book / "book" / "page.md"
    page.write_text(
        PAGE.format(factor=1)
        + '\n```{code-cell} ipython3\nopen("x.txt", "w").close()\n```\n'
    )
    make_reference(page, book / "book", book / "tests" / "reference")
    result = run(pytester)
    result.assert_outcomes(passed=4, errors=1)
    result.stdout.fnmatch_lines(["*page.md wrote *x.txt* into its working directory*"])
    assert "how to update the reference" not in result.stdout.str()
