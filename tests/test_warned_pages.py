"""A page that warned is read again by the next build (``book/_ext/warned_pages.py``).

A small Sphinx project is built twice with ``-W --keep-going``, as ``make book`` builds,
with one page that warns: while it is read (an unknown role) or while its references
are resolved (a link to a missing document). Without the extension the second build
passes, since Sphinx does not read the unchanged page again; with it, the second build
fails again, and once the page is fixed the build passes.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
WARNINGS = {
    "reading": "A :no-such-role:`x` role.",
    "resolving": "A link to :doc:`no-such-page`.",
}


def make_project(folder: Path, extension: bool, text: str) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    extensions = ["warned_pages"] if extension else []
    (folder / "conf.py").write_text(
        f"import sys\nsys.path.insert(0, {str(ROOT / 'book' / '_ext')!r})\n"
        f"extensions = {extensions!r}\n"
    )
    (folder / "index.rst").write_text("Index\n=====\n\n.. toctree::\n\n   page\n")
    write_page(folder, text)


def write_page(folder: Path, text: str) -> None:
    (folder / "page.rst").write_text(f"Page\n====\n\n{text}\n")


def build(folder: Path) -> subprocess.CompletedProcess[str]:
    doctrees, html = folder / "_build" / "doctrees", folder / "_build" / "html"
    strict = ["-W", "--keep-going", "-q"]  # make book's flags
    return subprocess.run(
        [sys.executable, "-m", "sphinx", *strict, "-d", str(doctrees), folder, html],
        capture_output=True,
        text=True,
        check=False,
    )


@pytest.mark.parametrize("phase", WARNINGS)
def test_a_page_that_warned_fails_the_next_build_too(tmp_path, phase):
    make_project(tmp_path, extension=True, text=WARNINGS[phase])
    assert build(tmp_path).returncode != 0
    again = build(tmp_path)
    assert again.returncode != 0, "the unchanged page was not read again"
    assert "page" in again.stderr
    write_page(tmp_path, "Fixed.")
    fixed = build(tmp_path)
    assert fixed.returncode == 0, fixed.stderr
    assert build(tmp_path).returncode == 0  # and it stays clean


def test_without_the_extension_the_next_build_passes(tmp_path):
    """The problem the extension solves: Sphinx forgets a warning it has reported."""
    make_project(tmp_path, extension=False, text=WARNINGS["reading"])
    assert build(tmp_path).returncode != 0
    assert build(tmp_path).returncode == 0
