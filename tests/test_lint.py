"""The tools that keep the code clean pass: ruff (format and lint) and mypy (strict).

The configurations are in ``pyproject.toml`` (``[tool.ruff]``, ``[tool.mypy]``), the
versions in ``requirements.txt``; ``make lint`` runs the same three commands, and
``.pre-commit-config.yaml`` runs them at the same versions before a commit (the last test
here checks that the versions agree). The tools are run from the virtual environment
beside the interpreter that runs the tests, so PATH plays no part.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def run(tool: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(BIN / tool), *args], cwd=ROOT, capture_output=True, text=True, check=False
    )


@pytest.mark.parametrize(
    "command",
    [
        ("ruff", "format", "--check", "."),
        ("ruff", "check", "--no-fix", "."),
        ("mypy",),
    ],
    ids=["ruff format", "ruff check", "mypy"],
)
def test_tool_reports_nothing(command):
    done = run(*command)
    assert done.returncode == 0, f"{' '.join(command)}:\n{done.stdout}{done.stderr}"


def pinned(name: str) -> str:
    text = (ROOT / "requirements.txt").read_text()
    match = re.search(rf"(?mi)^{re.escape(name)}==(\S+)$", text)
    assert match, f"{name} is not pinned in requirements.txt"
    return match.group(1)


def test_pre_commit_runs_the_pinned_versions():
    config = yaml.safe_load((ROOT / ".pre-commit-config.yaml").read_text())
    hooks = {h["id"]: h for repo in config["repos"] for h in repo["hooks"]}
    assert set(hooks) == {"ruff-format", "ruff-check", "mypy"}
    for hook in hooks.values():
        deps = hook.get("additional_dependencies", [])
        tool = "ruff" if hook["id"].startswith("ruff") else "mypy"
        assert f"{tool}=={pinned(tool)}" in deps, f"{hook['id']}: {deps}"
        assert hook["language"] == "python"
    assert f"numpy=={pinned('numpy')}" in hooks["mypy"]["additional_dependencies"]
