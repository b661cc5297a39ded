r"""The pages as notebooks in JupyterLab, with jupyterlab-myst, checked in headless Chromium.

    .venv/bin/python tests/lab_check.py [--screenshots DIR] [PAGE.md ...]
    # default pages: 02-preliminaries.md 05-rnn.md; DIR: a PNG of each page's first \inner

It needs the JupyterLab that `make lab` installs into .venv, and Debian's Chromium.

Starts JupyterLab from ``.venv`` on 127.0.0.1 (a free port, a random token, ``--allow-root``
when run as root) over a temporary copy of ``book/``, so that nothing it writes (checkpoints,
an autosave) reaches the repository, with jupytext as the default viewer of ``.md`` files as
``make lab`` and Binder set it.  It opens each page through Debian's Chromium
(``tests/browser_check.start_chromium``), waits until jupyterlab-myst has rendered every
markdown cell, and fails unless the page

- opened as a notebook (jupytext, the default viewer), with every markdown cell rendered as MyST;
- shows an admonition (``aside.myst-admonition``), a box of sphinx-proof (``aside.myst-proof``,
  with a title) and formulas typeset by KaTeX, inline and displayed;
- knows the book's macros (the page's first cell, ``tests/page_macros.py``): no formula fails
  with an undefined control sequence, and a formula with ``\inner`` is typeset;
- numbers no equation itself (``numbering: equation: false`` in that cell): an equation shows
  only the thesis's number its ``\tag`` gives it, as in the book.

It prints, without failing, what it counts of the known limits that ``book/index.md`` lists:
citations not found, references to other pages not found.

This file is not named ``test_*.py``, so pytest does not collect it: it needs Chromium and
JupyterLab.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.browser_check import start_chromium  # noqa: E402

BIN = ROOT / ".venv" / "bin"
DEFAULT_PAGES = ("02-preliminaries.md", "05-rnn.md")
RENDER_TIMEOUT = (
    600  # seconds; headless Chromium without a GPU renders a long page slowly
)
# No autosave (the copy is thrown away anyway) and every cell in the page, not only those in
# view, so that all of them render.
USER_SETTINGS = {
    "@jupyterlab/docmanager-extension/plugin.jupyterlab-settings": {"autosave": False},
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {
        "windowingMode": "none"
    },
}

COUNT_JS = """
const nb = document.querySelector('.jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook');
if (!nb) return null;
const md = nb.querySelectorAll('.jp-MarkdownCell');
const titles = {};
nb.querySelectorAll('.myst .text-yellow-600[title]').forEach(e => {
  const t = e.getAttribute('title').replace(/:.*/s, '');
  titles[t] = (titles[t] || 0) + 1;
});
return {
  markdown: md.length,
  rendered: Array.from(md).filter(c => c.querySelector('.myst')).length,
  text: Array.from(nb.querySelectorAll('.myst')).map(e => e.textContent.length).join(','),
  admonitions: nb.querySelectorAll('.myst aside.myst-admonition').length,
  proofs: nb.querySelectorAll('.myst aside.myst-proof').length,
  proof_titles: Array.from(nb.querySelectorAll('.myst aside.myst-proof'))
    .map(e => e.textContent.trim().slice(0, 40)).filter(t => t).length,
  katex: nb.querySelectorAll('.myst .katex').length,
  katex_display: nb.querySelectorAll('.myst .katex-display').length,
  // KaTeX keeps a formula's TeX in its MathML annotation
  inner: Array.from(nb.querySelectorAll('.myst .katex annotation'))
    .filter(e => e.textContent.includes('\\\\inner')).length,
  equation_numbers: nb.querySelectorAll('.myst a[title="Link to this Equation"]').length,
  problems: titles,
};
"""


SCROLL_JS = """
const nb = document.querySelector('.jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook');
const math = Array.from(nb.querySelectorAll('.myst .katex annotation'))
  .find(e => e.textContent.includes('\\\\inner'));
(math ? math.closest('.katex') : nb).scrollIntoView({block: 'center'});
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_lab(
    book: Path, config: Path, port: int, token: str
) -> subprocess.Popen[bytes]:
    """JupyterLab over ``book``, set up as ``make lab`` sets it up, answering on ``port``."""
    if not (BIN / "jupyter-lab").exists():
        sys.exit(
            "JupyterLab is not in .venv: run `make lab` once (Ctrl-C it), then retry"
        )
    env = {**os.environ, "JUPYTER_CONFIG_DIR": str(config)}
    subprocess.run(
        [BIN / "jupytext-config", "set-default-viewer", "markdown"], env=env, check=True
    )
    for name, settings in USER_SETTINGS.items():
        path = config / "lab" / "user-settings" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(settings))
    command = [
        BIN / "jupyter-lab",
        "--no-browser",
        "--ServerApp.ip=127.0.0.1",
        f"--ServerApp.port={port}",
        f"--IdentityProvider.token={token}",
        f"--ServerApp.root_dir={book}",
        *(["--allow-root"] if os.geteuid() == 0 else []),
    ]
    lab = subprocess.Popen(
        command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    status = f"http://127.0.0.1:{port}/api/status?token={token}"
    for _ in range(120):
        try:
            urllib.request.urlopen(status, timeout=2)
            return lab
        except OSError:
            time.sleep(0.5)
    lab.terminate()
    sys.exit("JupyterLab did not answer within a minute")


def check_page(
    driver,
    port: int,
    token: str,
    page: str,
    book: Path,
    screenshots: Path | None = None,
) -> list[str]:
    """Open ``page`` (served from ``book``) and return what fails (empty: it renders)."""
    driver.get(f"http://127.0.0.1:{port}/lab/tree/{page}?reset&token={token}")
    start, counts, previous = time.monotonic(), None, None
    while time.monotonic() - start < RENDER_TIMEOUT:
        counts = driver.execute_script(COUNT_JS)
        done = (
            counts and counts["markdown"] and counts["rendered"] == counts["markdown"]
        )
        # jupyterlab-myst renders the cells in bursts, re-rendering earlier ones: wait until
        # the rendered text stops changing
        if done and counts["text"] == previous:
            break
        if counts and not counts["rendered"] and time.monotonic() - start > 180:
            break  # not one cell in three minutes: jupyterlab-myst is not rendering
        previous = counts["text"] if counts else None
        time.sleep(4)
    seconds = time.monotonic() - start
    if not counts:
        return [f"{page} did not open as a notebook (is jupytext the default viewer?)"]
    counts.pop("text")
    print(f"{page}: {seconds:.0f} s, {json.dumps(counts)}")
    failures = []
    if counts["rendered"] < counts["markdown"]:
        failures.append(
            f"{page}: {counts['rendered']} of {counts['markdown']} markdown cells rendered "
            f"as MyST in {RENDER_TIMEOUT} s (is jupyterlab-myst installed and enabled?)"
        )
    for key, what in (
        ("admonitions", "no admonition"),
        ("proofs", "no prf box"),
        ("proof_titles", "no prf box with a title"),
        ("katex", "no inline formula typeset by KaTeX"),
        ("katex_display", "no displayed formula typeset by KaTeX"),
    ):
        if not counts[key]:
            failures.append(f"{page}: {what}")
    undefined = counts["problems"].get("Undefined control sequence", 0)
    if undefined:
        failures.append(
            f"{page}: {undefined} formulas with an undefined control sequence (does the "
            f"page open with the cell of `python -m tests.page_macros`?)"
        )
    uses_inner = "\\inner" in (book / page).read_text(encoding="utf-8")
    if uses_inner and not counts["inner"]:
        failures.append(f"{page}: no formula with \\inner typeset")
    if counts["equation_numbers"]:
        failures.append(
            f"{page}: {counts['equation_numbers']} equations numbered by MyST "
            f"(the book numbers none; the page's first cell turns MyST's numbering off)"
        )
    if screenshots is not None:
        driver.execute_script(SCROLL_JS)
        time.sleep(1)
        screenshots.mkdir(parents=True, exist_ok=True)
        driver.save_screenshot(str(screenshots / f"{Path(page).stem}.png"))
    return failures


def main(argv: list[str] | None = None) -> int:
    args = list(argv if argv is not None else sys.argv[1:])
    screenshots = None
    if "--screenshots" in args:
        k = args.index("--screenshots")
        screenshots = Path(args[k + 1]).resolve()
        del args[k : k + 2]
    pages = args or list(DEFAULT_PAGES)
    with tempfile.TemporaryDirectory(prefix="lab-check-") as tmp:
        book = Path(tmp) / "book"
        shutil.copytree(
            ROOT / "book",
            book,
            ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__"),
        )
        port, token = free_port(), secrets.token_hex(16)
        lab = start_lab(book, Path(tmp) / "jupyter-config", port, token)
        driver = start_chromium(str(Path(tmp) / "chromium"))
        driver.set_script_timeout(120)
        driver.set_window_size(1400, 1000)
        try:
            failures = [
                f
                for page in pages
                for f in check_page(driver, port, token, page, book, screenshots)
            ]
        finally:
            driver.quit()
            lab.terminate()
            lab.wait(timeout=30)
    for failure in failures:
        print("FAIL", failure)
    print("lab check:", "failed" if failures else "passed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
