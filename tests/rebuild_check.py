"""Check that ``make book``'s incremental builds execute exactly the pages they must.

Run as ``.venv/bin/python tests/rebuild_check.py`` (or ``make rebuild-check``); it is not
a pytest test (it takes several minutes). On a throw-away copy of the repository (without
``.venv``, ``_build`` and ``.git``) it builds the book with the venv's jupyter-book and
the flags of ``make book``, four times:

1. from scratch: every notebook page is executed;
2. again, nothing changed: no page is executed;
3. after a one-line prose edit to one page: only that page is executed;
4. after an edit to one adjnets module: exactly the pages whose dependencies
   (``book/_ext/page_dependencies.py``) include it are executed, and the API reference
   page that documents the module is read again.

Which pages ran is read from myst-nb's log ("<page>: Executing notebook ..."). Every
build must succeed under ``-W`` and must not log the kernel-transport warning, and no
build may leave files in the copy outside ``_build``. The kernels import the copy's
adjnets (``PYTHONPATH``), not the editable install of the clone the script runs from.
Prints the time of each build; exits with status 1 if a check fails (the copy is then
kept for inspection).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
JUPYTER_BOOK = ROOT / ".venv" / "bin" / "jupyter-book"
# make book's command (the Makefile's book target, without ALL=1)
BUILD = ["build", ".", "-W", "-n", "--keep-going"]
IGNORED = (".venv", "_build", ".git", "__pycache__", ".lock-venv", ".pytest_cache")

ANSI = re.compile(r"\x1b\[[0-9;]*m")
EXECUTED = re.compile(r"^(?P<page>\S+\.(?:md|ipynb)): Executing notebook", re.MULTILINE)
EXECUTION_TIME = re.compile(
    r"^(?P<page>\S+\.(?:md|ipynb)): Executed notebook in (?P<seconds>[\d.]+) seconds",
    re.MULTILINE,
)
READ = re.compile(r"reading sources\.\.\. \[\s*\d+%\] (?P<doc>\S+)")
TCP_WARNING = "Kernel is running over TCP without encryption"


@dataclass
class Build:
    """One build of the copy: how long it took, which pages it executed and read."""

    seconds: float
    executed: set[str]
    read: set[str]
    log: Path


class CheckFailed(Exception):
    pass


def check(condition: bool, message: str) -> None:
    if not condition:
        raise CheckFailed(message)


def copy_repository(dest: Path) -> None:
    shutil.copytree(ROOT, dest, ignore=shutil.ignore_patterns(*IGNORED), symlinks=True)


def files_outside_build(copy: Path) -> set[str]:
    return {
        str(p.relative_to(copy))
        for p in copy.rglob("*")
        if p.is_file()
        and "_build" not in p.relative_to(copy).parts
        and "__pycache__" not in p.parts
    }


def build(copy: Path, name: str) -> Build:
    """Build the book in ``copy``; the log goes to ``copy/<name>.log`` (outside
    ``_build``, and removed from the file listing that checks for litter)."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(
        [str(copy), *filter(None, [os.environ.get("PYTHONPATH")])]
    )
    log = copy.parent / (re.sub(r"[^\w.-]+", "-", name) + ".log")
    start = time.perf_counter()
    with log.open("w") as out:
        result = subprocess.run(
            [str(JUPYTER_BOOK), *BUILD],
            cwd=copy,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            check=False,
        )
    seconds = time.perf_counter() - start
    text = ANSI.sub("", log.read_text(encoding="utf-8", errors="replace"))
    check(result.returncode == 0, f"{name}: the build failed (log: {log})")
    check(TCP_WARNING not in text, f"{name}: a kernel ran over TCP (log: {log})")
    executed = {
        str(Path(m["page"]).resolve().relative_to(copy.resolve()))
        for m in EXECUTED.finditer(text)
    }
    read = {m["doc"] for m in READ.finditer(text)}
    print(f"{name}: {seconds:.1f} s, {len(executed)} page(s) executed", flush=True)
    times = {
        str(Path(m["page"]).resolve().relative_to(copy.resolve())): m["seconds"]
        for m in EXECUTION_TIME.finditer(text)
    }
    for page in sorted(executed):
        print(f"    {page} ({times.get(page, '?')} s)")
    return Build(seconds, executed, read, log)


def expected_pages(copy: Path, module: str) -> set[str]:
    """The notebook pages whose dependencies include ``module`` (a path in the copy)."""
    sys.path.insert(0, str(copy / "book" / "_ext"))
    try:
        import page_dependencies as pd
    finally:
        del sys.path[0]
    from tests.notebook_pages import notebook_pages

    index = pd.PackageIndex(copy)
    return {
        str(page.relative_to(copy))
        for page in notebook_pages(copy / "book")
        if (copy / module).resolve() in pd.page_dependencies(page, copy, index).files
    }


def run(copy: Path, page: str, module: str) -> list[tuple[str, Build]]:
    sys.path.insert(0, str(ROOT))
    from tests.notebook_pages import notebook_pages

    all_pages = {str(p.relative_to(copy)) for p in notebook_pages(copy / "book")}
    before = files_outside_build(copy)
    builds = []

    full = build(copy, "full build")
    builds.append(("full build", full))
    check(full.executed == all_pages, f"full build: missed {all_pages - full.executed}")
    check(files_outside_build(copy) == before, "the build left files outside _build")

    again = build(copy, "no change")
    builds.append(("no change", again))
    check(not again.executed, f"no change: executed {sorted(again.executed)}")

    (copy / page).write_text(
        (copy / page).read_text(encoding="utf-8")
        + "\nA sentence added by tests/rebuild_check.py.\n",
        encoding="utf-8",
    )
    prose = build(copy, f"prose edit of {page}")
    builds.append((f"prose edit of {page}", prose))
    check(prose.executed == {page}, f"prose edit: executed {sorted(prose.executed)}")

    expected = expected_pages(copy, module)
    check(bool(expected), f"no page depends on {module}")
    source = copy / module
    source.write_text(
        source.read_text(encoding="utf-8") + "\n# edited by tests/rebuild_check.py\n",
        encoding="utf-8",
    )
    package = build(copy, f"edit of {module}")
    builds.append((f"edit of {module}", package))
    check(
        package.executed == expected,
        f"edit of {module}: executed {sorted(package.executed)}, "
        f"expected {sorted(expected)}",
    )
    # the API pages that document the module (autodoc notes the module as their
    # dependency)
    automodule = re.compile(
        rf"automodule:: {re.escape(module.removesuffix('.py').replace('/', '.'))}$",
        re.MULTILINE,
    )
    api_pages = {
        str(p.relative_to(copy).with_suffix(""))
        for p in (copy / "book" / "api").glob("*.md")
        if automodule.search(p.read_text(encoding="utf-8"))
    }
    check(bool(api_pages), f"no API page documents {module}")
    check(
        api_pages <= package.read,
        f"edit of {module}: API pages not re-read: {sorted(api_pages - package.read)}",
    )
    check(files_outside_build(copy) == before, "a build left files outside _build")
    return builds


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--page", default="book/01-introduction.md")
    parser.add_argument("--module", default="adjnets/recurrent/gated.py")
    parser.add_argument("--keep", action="store_true", help="keep the copy")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="adjnets-rebuild-"))
    copy = work / "adjnets"
    copy_repository(copy)
    print(f"copy: {copy}", flush=True)
    try:
        builds = run(copy, args.page, args.module)
    except CheckFailed as failure:
        print(f"FAILED: {failure}\nthe copy is kept: {work}", file=sys.stderr)
        return 1
    print("\nbuild                                  seconds  executed")
    for name, result in builds:
        print(f"{name:<38} {result.seconds:7.1f}  {len(result.executed)}")
    if args.keep:
        print(f"the copy is kept: {work}")
    else:
        shutil.rmtree(work)
    return 0


if __name__ == "__main__":
    sys.exit(main())
