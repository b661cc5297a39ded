"""The pages as notebooks: JupyterLab (``make lab``), Binder (``environment.yml``, ``postBuild``).

- ``make lab`` and Binder install the same JupyterLab and jupyterlab-myst;
- saving a page from JupyterLab writes back exactly the file it read: jupytext's contents
  manager reads and writes the page under ``book/jupytext.toml``, which keeps jupytext's own
  version out of the page's header (each upgrade would otherwise change every page), and the
  page is already in the form jupytext writes (a blank line after a code cell's ``:tags:``) and
  names the kernel as JupyterLab does once the kernel has started (ipykernel's
  ``display_name``).  JupyterLab saves an open page on its own every two minutes once the
  kernel has started, so a page in any other form changes by merely being read;
- every page opens with the cell that gives jupyterlab-myst the book's macros
  (``tests/page_macros.py``): ``_config.yml``'s, and left out of the book by myst-nb;
- ``postBuild`` leaves nothing untracked or ignored in the clone it runs in.

What jupyterlab-myst renders is checked in a browser by ``tests/lab_check.py``, not here.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import jupytext
import pytest
from jupytext.config import find_jupytext_configuration_file, load_jupytext_config

from tests.notebook_pages import BOOK, ROOT, notebook_pages, read_download
from tests.page_macros import cell_source, config_macros, with_macros
from tests.test_dependencies import canonical, environment_pins, pins

LAB_PACKAGES = ("jupyterlab", "jupyterlab-myst")
PAGES = notebook_pages(BOOK)


def makefile_lab_pins() -> dict[str, str]:
    """``{canonical name: version}`` of the Makefile's ``JUPYTERLAB`` (what make lab installs)."""
    text = (ROOT / "Makefile").read_text(encoding="utf-8")
    m = re.search(r"^JUPYTERLAB\s*:=\s*(.+)$", text, flags=re.MULTILINE)
    assert m, "the Makefile defines no JUPYTERLAB"
    return pins(m.group(1).split())


def test_lab_pins_match_environment():
    make, binder = makefile_lab_pins(), environment_pins()
    for name in map(canonical, LAB_PACKAGES):
        assert name in make, f"the Makefile's JUPYTERLAB does not pin {name}"
        assert binder.get(name) == make[name], (
            f"environment.yml pins {name}=={binder.get(name)}, "
            f"the Makefile's JUPYTERLAB {name}=={make[name]}"
        )


def test_pages_find_the_jupytext_configuration():
    # `make lab` serves book/, and jupytext's contents manager looks for its configuration only
    # inside the folder it serves: the file must be in book/ itself.
    for page in PAGES:
        found = find_jupytext_configuration_file(str(page.parent))
        assert found == str(BOOK / "jupytext.toml"), f"{page.name}: {found}"


def save_as_jupyterlab_does(page: Path) -> str:
    """The text jupytext's contents manager writes when ``page`` is opened and saved."""
    config = load_jupytext_config(str(page))
    nb = jupytext.read(page, config=config)
    return jupytext.writes(nb, fmt=page.suffix, config=config)


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_saving_a_page_writes_no_jupytext_version(page):
    assert "jupytext_version" not in save_as_jupyterlab_does(page)


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_saving_a_page_round_trips(page):
    saved = save_as_jupyterlab_does(page)
    original = page.read_text(encoding="utf-8")
    if saved != original:
        lines, new = original.splitlines(), saved.splitlines()
        k = next(
            (i for i, (a, b) in enumerate(zip(lines, new, strict=False)) if a != b),
            min(len(lines), len(new)),
        )
        pytest.fail(
            f"saving {page.name} from JupyterLab would change it, first at line {k + 1}: "
            f"{lines[k : k + 1]} becomes {new[k : k + 1]}.  jupytext writes a blank line "
            f"after a code cell's `:tags:` (or other `:option:`) lines: "
            f"`.venv/bin/jupytext --to md:myst {page.relative_to(ROOT)}` rewrites the page "
            f"in the form it saves"
        )


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_page_names_the_kernel_as_jupyterlab_does(page):
    # When the kernel starts, JupyterLab writes the kernel's own spec into the notebook.
    from jupyter_client.kernelspec import KernelSpecManager

    kernelspec = jupytext.read(page).metadata["kernelspec"]
    spec = KernelSpecManager().get_kernel_spec(kernelspec["name"])
    assert kernelspec == {
        "display_name": spec.display_name,
        "language": spec.language,
        "name": kernelspec["name"],
    }, (
        f"{page.name}: JupyterLab would rewrite its kernelspec (display_name {spec.display_name!r})"
    )


def test_macro_cell_holds_every_macro_of_the_config():
    import yaml

    front = yaml.safe_load(cell_source().removeprefix("---\n").removesuffix("\n---"))
    assert front["math"] == config_macros()
    assert {"\\inner", "\\Dadj", "\\gradadj", "\\had"} <= set(front["math"])
    assert front["numbering"] == {"equation": False}


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_page_opens_with_the_books_macros(page):
    """jupyterlab-myst reads front matter only from the first markdown cell."""
    text = page.read_text(encoding="utf-8")
    assert with_macros(text) == text, (
        f"{page.name} does not open with the cell of _config.yml's macros: "
        f"run `.venv/bin/python -m tests.page_macros`"
    )
    first = jupytext.read(page).cells[0]
    assert first.cell_type == "markdown"
    assert first.metadata == {"tags": ["remove-cell"]}
    assert first.source == cell_source()


def test_book_leaves_the_macro_cell_out():
    """myst-nb skips a cell tagged remove-cell: the book (HTML, PDF) has no trace of it."""
    import logging

    import yaml
    from markdown_it.renderer import RendererHTML
    from myst_nb.core.nb_to_tokens import notebook_to_tokens
    from myst_parser.config.main import MdParserConfig
    from myst_parser.parsers.mdit import create_md_parser

    config = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))
    extensions = set(config["parse"]["myst_enable_extensions"])
    parser = create_md_parser(
        MdParserConfig(enable_extensions=extensions), RendererHTML
    )
    nb = read_download(BOOK / "02-preliminaries.md")
    assert nb.cells[0].source == cell_source()
    tokens = notebook_to_tokens(nb, parser, {}, logging.getLogger(__name__))
    cells = {t.meta["index"] for t in tokens if t.meta and "index" in t.meta}
    assert 0 not in cells and 1 in cells


@pytest.mark.wheel
def test_postbuild_leaves_the_clone_clean(tmp_path):
    """Run postBuild as Binder does, in a copy of the working tree made into a fresh clone.

    The environment is a virtual environment whose ``.pth`` file lends it this one's
    packages (pip, jupytext), so only adjnets is installed into it; pip builds the editable
    wheel in its isolated environment, with setuptools from PyPI or pip's cache.
    """
    if shutil.which("git") is None:
        pytest.skip("needs git")
    clone = tmp_path / "clone"
    files = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        check=True,
    ).stdout.decode()
    for name in filter(None, files.split("\0")):
        source = ROOT / name
        if source.is_file():
            (clone / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, clone / name)
    git = ["git", "-c", "user.name=test", "-c", "user.email=test@example.org"]
    for command in (["init", "-q"], ["add", "-A"], ["commit", "-q", "-m", "copy"]):
        subprocess.run([*git, *command], cwd=clone, check=True)

    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", venv], check=True)
    site = Path(
        sysconfig.get_paths(vars={"base": str(venv), "platbase": str(venv)})["purelib"]
    )
    (site / "_lend.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    config = tmp_path / "jupyter-config"
    env = {
        **os.environ,
        "PATH": f"{venv / 'bin'}{os.pathsep}{Path(sys.executable).parent}"
        f"{os.pathsep}{os.environ['PATH']}",
        "JUPYTER_CONFIG_DIR": str(config),
        "PIP_DISABLE_PIP_VERSION_CHECK": "1",
    }
    env.pop("VIRTUAL_ENV", None)
    run = subprocess.run(
        ["bash", "postBuild"], cwd=clone, env=env, capture_output=True, text=True
    )
    assert run.returncode == 0, run.stdout + run.stderr

    status = subprocess.run(
        ["git", "status", "--porcelain", "--ignored", "--untracked-files=all"],
        cwd=clone,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert status == "", f"postBuild left in the clone:\n{status}"
    imported = subprocess.run(
        [venv / "bin" / "python", "-c", "import adjnets; print(adjnets.__file__)"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    assert Path(imported) == clone / "adjnets" / "__init__.py", (
        "postBuild should install adjnets in editable mode, from the clone"
    )
    viewer = config / "labconfig" / "default_setting_overrides.json"
    assert '"markdown": "Jupytext Notebook"' in viewer.read_text(), viewer.read_text()
