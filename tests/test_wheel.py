"""The release: what ``make dist`` builds installs, and works on its own.

Builds the sdist and the wheel (``python -m build``: the sdist first, then the wheel
from the unpacked sdist, so a file missing from the sdist is missing from the wheel too)
into a temporary folder, checks both listings (the package with its data, LICENSE,
README and metadata; nothing of the book, the tests, the benchmarks or CI), installs the
wheel into a fresh virtual environment outside the clone, and there, from a folder
outside the clone, runs the quick-start block of README.md's "Use the package" section
and compares what it prints with what the README says it prints.

Marked ``wheel``: ``pytest -m "not wheel"`` skips it. It needs PyPI or pip's cache (the
build requirements, NumPy, trove-classifiers) and takes about half a minute.
"""

from __future__ import annotations

import email.parser
import json
import os
import re
import subprocess
import sys
import tarfile
import tomllib
import zipfile
from pathlib import Path

import pytest

import adjnets

pytestmark = pytest.mark.wheel

ROOT = Path(__file__).resolve().parent.parent
VERSION = adjnets.__version__
MODULES = sorted(
    p.relative_to(ROOT).as_posix() for p in (ROOT / "adjnets").rglob("*.py")
)
PACKAGE_DATA = [
    "adjnets/py.typed",
    "adjnets/pages/thesis_results.tsv",
    *(f"adjnets/pages/own_results/F{k}.tsv" for k in (1, 2, 3, 4)),
    "adjnets/pages/own_results/P.tsv",
    "adjnets/data/digits.npz",
]
NOT_RELEASED = ("book/", "tests/", "benchmarks/", ".github/", ".ci/", "conftest.py")


def run(args, **kwargs) -> subprocess.CompletedProcess:
    done = subprocess.run(args, capture_output=True, text=True, check=False, **kwargs)
    assert done.returncode == 0, (
        f"{' '.join(map(str, args))} failed ({done.returncode}):\n"
        f"{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    )
    return done


def clean_env() -> dict[str, str]:
    """A user's shell: no PYTHONPATH into the clone, no active virtual environment."""
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "PYTHONSTARTUP")
    }
    env.update(PIP_DISABLE_PIP_VERSION_CHECK="1", PYTHONNOUSERSITE="1")
    return env


def readme_quick_start(readme: str) -> tuple[str, str]:
    """The ``python`` block of README.md's "Use the package" section and the ``text``
    block after it, which shows what the code prints."""
    section = re.search(r"^## Use the package\n(.*?)(?=^## )", readme, re.M | re.S)
    assert section, 'README.md has no "## Use the package" section'
    code = re.search(r"^```python\n(.*?)^```$", section.group(1), re.M | re.S)
    assert code, 'README.md\'s "Use the package" has no ```python block'
    output = re.search(
        r"^```text\n(.*?)^```$", section.group(1)[code.end() :], re.M | re.S
    )
    assert output, "README.md shows no ```text block of what the quick start prints"
    return code.group(1), output.group(1)


@pytest.fixture(scope="module")
def dists(tmp_path_factory) -> tuple[Path, Path]:
    out = tmp_path_factory.mktemp("dist")
    run([sys.executable, "-m", "build", "--outdir", str(out), str(ROOT)])
    (sdist,) = out.glob("*.tar.gz")
    (wheel,) = out.glob("*.whl")
    assert sdist.name == f"adjnets-{VERSION}.tar.gz"
    assert wheel.name == f"adjnets-{VERSION}-py3-none-any.whl"
    return sdist, wheel


@pytest.fixture(scope="module")
def venv(dists, tmp_path_factory) -> Path:
    """A fresh virtual environment outside the clone with the wheel installed (and NumPy
    at the version the book pins, from PyPI or pip's cache)."""
    _, wheel = dists
    home = tmp_path_factory.mktemp("venv")
    run([sys.executable, "-m", "venv", str(home / "env")], env=clean_env())
    python = home / "env" / "bin" / "python"
    numpy = re.search(
        r"^numpy==(\S+)$", (ROOT / "requirements.txt").read_text(), re.M
    ).group(1)
    run(
        [
            python,
            "-m",
            "pip",
            "install",
            "--quiet",
            str(wheel),
            f"numpy=={numpy}",
            "trove-classifiers",
        ],
        env=clean_env(),
        cwd=home,
    )
    return python


def test_sdist_listing(dists):
    sdist, _ = dists
    with tarfile.open(sdist) as tar:
        names = [m.name for m in tar.getmembers() if m.isfile()]
    prefix = f"adjnets-{VERSION}/"
    assert all(n.startswith(prefix) for n in names), names
    files = {n[len(prefix) :] for n in names}
    leaked = sorted(f for f in files if f.startswith(NOT_RELEASED))
    assert not leaked, f"the sdist holds files of the book, tests or CI: {leaked}"
    metadata = {f for f in files if f.startswith("adjnets.egg-info/")}
    expected = {"LICENSE", "README.md", "pyproject.toml", "MANIFEST.in", "PKG-INFO"}
    expected |= {"setup.cfg", *MODULES, *PACKAGE_DATA}
    assert files - metadata == expected


def test_wheel_listing(dists):
    _, wheel = dists
    with zipfile.ZipFile(wheel) as whl:
        files = set(whl.namelist())
        licence = whl.read(f"adjnets-{VERSION}.dist-info/licenses/LICENSE")
    info = f"adjnets-{VERSION}.dist-info/"
    expected = {*MODULES, *PACKAGE_DATA}
    expected |= {info + f for f in ("METADATA", "WHEEL", "RECORD", "top_level.txt")}
    expected.add(info + "licenses/LICENSE")
    assert files == expected
    assert licence == (ROOT / "LICENSE").read_bytes()


def test_wheel_metadata(dists):
    _, wheel = dists
    with zipfile.ZipFile(wheel) as whl:
        text = whl.read(f"adjnets-{VERSION}.dist-info/METADATA").decode()
    meta = email.parser.Parser().parsestr(text)
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert meta["Name"] == "adjnets" and meta["Version"] == VERSION
    assert meta["Metadata-Version"] >= "2.4"  # PEP 639
    assert meta["License-Expression"] == "MIT"
    assert meta.get_all("License-File") == ["LICENSE"]
    assert not meta.get_all("License")  # the old free-text field, superseded
    requires = [r for r in meta.get_all("Requires-Dist") if "extra ==" not in r]
    assert requires == ["numpy>=2.0"], "NumPy is the only runtime dependency"
    urls = dict(u.split(", ", 1) for u in meta.get_all("Project-URL"))
    assert urls == project["urls"]
    assert meta.get_all("Classifier") == project["classifiers"]
    assert meta.get_payload().startswith("# adjnets\n"), "the README is the description"


def test_classifiers_are_known_to_pypi(dists, venv):
    # trove-classifiers is the list PyPI accepts; an unknown classifier fails the upload
    _, wheel = dists
    with zipfile.ZipFile(wheel) as whl:
        text = whl.read(f"adjnets-{VERSION}.dist-info/METADATA").decode()
    classifiers = email.parser.Parser().parsestr(text).get_all("Classifier")
    code = (
        "import json, sys\n"
        "from trove_classifiers import classifiers, deprecated_classifiers\n"
        "given = json.load(sys.stdin)\n"
        "print(json.dumps([c for c in given\n"
        "                  if c not in classifiers or c in deprecated_classifiers]))\n"
    )
    done = run([venv, "-c", code], input=json.dumps(classifiers), env=clean_env())
    assert json.loads(done.stdout) == []


def test_installed_package_stands_alone(venv):
    code = (
        "import importlib.util, sys\n"
        "import adjnets\n"
        "from adjnets.data.digits import load_digits\n"
        "x_train, x_test, y_train, y_test = load_digits()\n"
        "print(adjnets.__file__)\n"
        "print(adjnets.__version__, x_train.shape, x_test.shape)\n"
        "print(importlib.util.find_spec('sklearn'), importlib.util.find_spec('jax'))\n"
    )
    done = run([venv, "-c", code], env=clean_env(), cwd=venv.parent.parent)
    where, versions, absent = done.stdout.splitlines()
    assert Path(where).is_relative_to(venv.parent.parent), "imported from the clone"
    assert versions == f"{VERSION} (1437, 8, 8) (360, 8, 8)"
    assert absent == "None None"


def test_readme_quick_start(venv, tmp_path):
    code, expected = readme_quick_start(
        (ROOT / "README.md").read_text(encoding="utf-8")
    )
    script = tmp_path / "quick_start.py"
    script.write_text(code, encoding="utf-8")
    done = run([venv, str(script)], env=clean_env(), cwd=tmp_path)
    assert done.stdout == expected, "the README's quick start prints something else"
    assert done.stderr == ""


def test_installed_package_names_the_missing_extra(venv):
    # JAX is not installed in the fresh environment: adjnets.autodiff says which extra
    code = (
        "try:\n"
        "    from adjnets import autodiff\n"
        "except ModuleNotFoundError as error:\n"
        "    print(error)\n"
    )
    done = run([venv, "-c", code], env=clean_env(), cwd=venv.parent.parent)
    assert done.stdout.strip() == (
        "adjnets.autodiff needs JAX, an optional dependency of adjnets: "
        "pip install 'adjnets[jax]'"
    )
