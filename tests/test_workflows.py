"""The GitHub workflows (``.github/workflows/*.yml``): linted, and tied to ``.ci/run``.

- actionlint, with ShellCheck on every ``run:`` script, reports nothing: syntax,
  expressions, contexts, job dependencies, shell; ShellCheck reports nothing on the
  scripts they call, ``.ci/run`` and ``.ci/system-packages``.
- zizmor reports nothing, offline, at its *pedantic* persona: stricter than the default
  ("regular"), it also wants concurrency limits, names, comments on permissions.  The
  one ignore comment allowed is ``unpinned-images``: the container image is pinned by
  tag, not digest (``ci.yml`` says why).  ``--no-config``: no configuration file can
  silence a finding.
- The workflows cannot drift from ``.ci/run``, the CI script the README names:
  ``ci.yml`` runs ``.ci/system-packages`` and the same ``make`` targets in the same
  order; ``publish.yml`` builds the site with exactly the targets ``.ci/run`` builds it
  with (``book``, ``pdf``); ``release.yml`` runs ``make dist``.
- No workflow writes the repository's URL: it lives in ``_config.yml`` only, and the
  workflows use the ``github`` context, so a fork publishes itself.

The tools are pinned in ``requirements.txt`` and run from ``.venv/bin`` (next to
``sys.executable``, whatever PATH says), with no network and no GitHub token.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
WORKFLOWS = ROOT / ".github" / "workflows"
CI_RUN = ROOT / ".ci" / "run"
BIN = Path(sys.executable).parent  # .venv/bin (not resolved: that would leave the venv)
SITE_TARGETS = ["book", "pdf"]  # what builds the site publish.yml publishes

# `make <target>` or the system-packages script (`./` optional), as a command: not part
# of a longer word or path.  Options before the target are not used in these scripts.
COMMAND = re.compile(
    r"(?<![\w./-])(?:\./)?(make\s+(?!-)[\w.-]+|\.ci/system-packages)(?![\w.-])"
)
GITHUB_REPO = re.compile(r"(?<![\w.-])github\.com[/:][\w.-]+/[\w.-]+", re.IGNORECASE)


def ci_commands(script: str) -> list[str]:
    """The ``make <target>`` and ``.ci/system-packages`` commands of a shell script."""
    code = "\n".join(re.sub(r"(^|\s)#.*", "", line) for line in script.splitlines())
    return [re.sub(r"\s+", " ", command) for command in COMMAND.findall(code)]


def workflow_commands(text: str) -> list[str]:
    """``ci_commands`` of a workflow's ``run:`` steps, job after job, in order."""
    jobs = yaml.safe_load(text)["jobs"].values()
    steps = [step for job in jobs for step in job.get("steps", [])]
    return [command for step in steps for command in ci_commands(step.get("run", ""))]


def make_targets(commands: list[str]) -> list[str]:
    return [command.split()[1] for command in commands if command.startswith("make ")]


def repository_literals(text: str) -> list[str]:
    """Every ``github.com/<owner>/<name>`` (or ``github.com:<owner>/<name>``)."""
    return GITHUB_REPO.findall(text)


def workflow_files() -> list[Path]:
    files = sorted(WORKFLOWS.glob("*.yml"))
    assert {"ci.yml", "publish.yml", "release.yml"} <= {f.name for f in files}
    return files


def run_tool(name: str, *args: str, stdin: str | None = None) -> str | None:
    """Run a tool of .venv/bin in the repository; its output if it fails, else None."""
    tool = BIN / name
    assert tool.is_file(), f"{tool} is missing: `make test` installs it"
    # No GitHub token, and nothing from the environment, reaches the tools.
    prefixes = ("GH_", "GITHUB_", "ZIZMOR_")
    env = {k: v for k, v in os.environ.items() if not k.startswith(prefixes)}
    result = subprocess.run(
        [str(tool), *args], cwd=ROOT, env=env, input=stdin, capture_output=True,
        text=True, timeout=300,
    )  # fmt: skip
    return None if result.returncode == 0 else result.stdout + result.stderr


# --- the static checks ---------------------------------------------------------------


def actionlint(*inputs: str, stdin: str | None = None) -> str | None:
    shellcheck = str(BIN / "shellcheck")
    return run_tool(
        "actionlint", "-no-color", "-shellcheck", shellcheck, "-pyflakes", "", *inputs,
        stdin=stdin,
    )  # fmt: skip


def test_actionlint_reports_nothing():
    failure = actionlint(*(str(f.relative_to(ROOT)) for f in workflow_files()))
    assert failure is None, f"actionlint:\n{failure}"


def test_actionlint_runs_shellcheck():
    job = "  j:\n    runs-on: ubuntu-latest\n    steps:\n      - run: rm -rf $DIR/x\n"
    failure = actionlint("-", stdin=f"on: push\njobs:\n{job}")
    assert failure and "SC2086" in failure, failure


def test_shellcheck_ci_scripts():
    # the two scripts the workflows call; actionlint checks only the `run:` steps
    failure = run_tool("shellcheck", ".ci/run", ".ci/system-packages")
    assert failure is None, f"shellcheck:\n{failure}"


def test_zizmor_reports_nothing():
    files = workflow_files()
    failure = run_tool(
        "zizmor", "--offline", "--no-config", "--persona=pedantic", "--no-progress",
        "--format=plain", "--color=never", "--render-links=never",
        *(str(f.relative_to(ROOT)) for f in files),
    )  # fmt: skip
    assert failure is None, f"zizmor:\n{failure}"
    ignore = re.compile(r"zizmor: ?ignore\[([^\]]*)\]")
    ignored = {rule for f in files for rule in ignore.findall(f.read_text())}
    assert ignored <= {"unpinned-images"}, f"zizmor findings ignored inline: {ignored}"


def test_actions_are_pinned_with_their_version():
    # zizmor checks the pins; the version comments only online (ref-version-mismatch)
    pinned = re.compile(r"uses: [\w.-]+/[\w./-]+@[0-9a-f]{40} # v\d+(\.\d+)*")
    for path in workflow_files():
        for uses in re.findall(r"uses:.*", path.read_text()):
            assert pinned.fullmatch(uses), f"{path.name}: {uses}"


# --- the workflows follow .ci/run ----------------------------------------------------


def test_ci_runs_what_ci_run_runs():
    expected = ci_commands(CI_RUN.read_text())
    assert expected[0] == ".ci/system-packages"
    assert {"make test", "make book"} <= set(expected)
    assert workflow_commands((WORKFLOWS / "ci.yml").read_text()) == expected


def test_publish_builds_the_site_as_ci_run_does():
    ci_run = make_targets(ci_commands(CI_RUN.read_text()))
    site = [target for target in ci_run if target in SITE_TARGETS]
    assert site == SITE_TARGETS
    publish = workflow_commands((WORKFLOWS / "publish.yml").read_text())
    assert make_targets(publish) == site


def test_release_runs_make_dist():
    release = workflow_commands((WORKFLOWS / "release.yml").read_text())
    assert make_targets(release) == ["dist"]


def test_no_workflow_names_the_repository():
    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    url = config["repository"]["url"].removesuffix(".git").rstrip("/")
    assert repository_literals(url), url
    for path in workflow_files():
        text = path.read_text()
        assert url.lower() not in text.lower(), path.name
        assert not repository_literals(text), path.name


# --- the helpers, on small texts, so that the tests above cannot pass vacuously -----

RUN_TEXT = """\
# .ci/run: make test, then make book
.ci/system-packages
make test
make book  # the HTML
make pdf
"""

WORKFLOW_TEXT = """\
name: CI
on: push
jobs:
  a:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@0000000000000000000000000000000000000000 # v0
      - run: ./.ci/system-packages
      - run: |
          make test  # then make nothing
          # make book
          make  book PAGES=x && make -j2 ; cmake foo ; make_thing bar
  b:
    runs-on: ubuntu-latest
    steps:
      - run: make pdf
"""


def test_ci_commands():
    commands = [".ci/system-packages", "make test", "make book", "make pdf"]
    assert ci_commands(RUN_TEXT) == commands
    assert ci_commands("x/.ci/system-packages; .ci/system-packages-old") == []
    assert ci_commands("echo make-test; cmake foo; make_thing bar; make -j2") == []


def test_workflow_commands_drift():
    assert workflow_commands(WORKFLOW_TEXT) == ci_commands(RUN_TEXT)
    extra = workflow_commands(WORKFLOW_TEXT + "      - run: make foo\n")
    assert make_targets(extra) == ["test", "book", "pdf", "foo"]
    assert extra != ci_commands(RUN_TEXT)
    swapped = WORKFLOW_TEXT.replace("make pdf", "make dist")
    assert workflow_commands(swapped) != ci_commands(RUN_TEXT)
    no_packages = WORKFLOW_TEXT.replace("      - run: ./.ci/system-packages\n", "")
    assert ".ci/system-packages" not in workflow_commands(no_packages)


def test_repository_literals():
    text = "# see https://github.com/Owner/Name.git\nuses: a/b@c # v1"
    assert repository_literals(text) == ["github.com/Owner/Name.git"]
    assert repository_literals("git@github.com:o/n") == ["github.com:o/n"]
    context = "repo: ${{ github.repository }}  # https://docs.github.com/en/actions"
    assert repository_literals(context + "\nhttps://github.com") == []
