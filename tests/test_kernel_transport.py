"""The book's kernels talk over Unix sockets (``book/_ext/kernel_transport.py``).

A notebook is executed in a fresh Python process the way myst-nb executes a page (its
``direct`` executor, which calls ``single_nb_execution``), once with the extension
installed and once without. With it, the kernel must run, its connection file must say
IPC with sockets in a private folder outside the page's folder, ipykernel must not log
its "running over TCP without encryption" warning, and nothing may be left behind.
Without it, the same run logs the warning: the check of stderr can fail.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
TCP_WARNING = "Kernel is running over TCP without encryption"

# The cell reports how its kernel is connected: the connection file ipykernel was given.
CELL = """\
import json, os
from ipykernel import get_connection_file

info = json.load(open(get_connection_file()))
folder = os.path.dirname(info["ip"]) if info["transport"] == "ipc" else ""
mode = oct(os.stat(folder).st_mode & 0o777) if folder else ""
print(json.dumps({"transport": info["transport"], "ip": info["ip"], "mode": mode,
                  "answer": 6 * 7}))
"""

SCRIPT = """\
import sys

import nbformat

sys.path.insert(0, {ext!r})
import kernel_transport

if sys.argv[1] == "ipc":
    kernel_transport.install()
from myst_nb.core.execute import direct

notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell({cell!r})])
notebook.metadata["kernelspec"] = {{"name": "python3", "display_name": "Python 3"}}
result = direct.single_nb_execution(
    notebook, cwd=sys.argv[2], timeout=120, allow_errors=False
)
assert result.err is None, result.exc_string
print(notebook.cells[0].outputs[0]["text"], end="")
"""


def execute(transport: str, folder: Path) -> tuple[dict, str]:
    """Run the one-cell notebook in ``folder``; its report and the process's stderr."""
    script = SCRIPT.format(ext=str(ROOT / "book" / "_ext"), cell=CELL)
    result = subprocess.run(
        [sys.executable, "-c", script, transport, str(folder)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1]), result.stderr


def test_kernels_use_ipc_in_a_private_folder_without_the_warning(tmp_path):
    page_folder = tmp_path / "book"
    page_folder.mkdir()
    report, stderr = execute("ipc", page_folder)
    assert report["answer"] == 42  # the kernel works
    assert report["transport"] == "ipc"
    sockets = Path(report["ip"])
    assert sockets.is_absolute()
    assert not sockets.is_relative_to(page_folder)
    assert report["mode"] == "0o700"  # only the user who builds can connect
    assert TCP_WARNING not in stderr
    assert not sockets.parent.exists(), "the socket folder was left behind"
    assert list(page_folder.iterdir()) == []  # nothing written next to the page


def test_without_the_extension_the_warning_is_logged(tmp_path):
    """The control: the same run over TCP logs the warning the build must not."""
    report, stderr = execute("tcp", tmp_path)
    assert report["transport"] == "tcp"
    assert TCP_WARNING in stderr


def test_the_inline_execution_mode_is_refused():
    """myst-nb's inline mode starts kernels outside the wrapped function."""
    from sphinx.errors import ConfigError

    sys.path.insert(0, str(ROOT / "book" / "_ext"))
    try:
        import kernel_transport
    finally:
        sys.path.remove(str(ROOT / "book" / "_ext"))

    class Config:
        nb_execution_mode = "inline"

    with pytest.raises(ConfigError):
        kernel_transport._check_mode(None, Config())
    Config.nb_execution_mode = "force"
    kernel_transport._check_mode(None, Config())


def test_the_book_registers_the_extension():
    config = (ROOT / "_config.yml").read_text(encoding="utf-8")
    assert "kernel_transport: book/_ext" in config
