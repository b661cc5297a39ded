"""The dependencies of the book's pages on adjnets (``book/_ext/page_dependencies.py``).

``make book`` re-executes a page only when it is outdated, and a page is outdated when its
text or one of the files noted as its dependencies changed. These tests check that the
analysis finds the modules a page runs (and not the whole package behind ``adjnets``'s
re-exports), that it follows names to the module that defines them as Python does, and
that no page reads another page's outputs.
"""

from __future__ import annotations

import importlib
import inspect
import re
import sys
import textwrap
from pathlib import Path

import pytest

from tests.notebook_pages import notebook_pages, read_download

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "book" / "_ext"))

import page_dependencies as pd  # noqa: E402  (book/_ext is not a package)

PAGES = notebook_pages()


@pytest.fixture(scope="module")
def index() -> pd.PackageIndex:
    return pd.PackageIndex(ROOT)


def files_of(page: str, index: pd.PackageIndex) -> set[str]:
    deps = pd.page_dependencies(ROOT / "book" / page, ROOT, index)
    return {str(f.relative_to(ROOT)) for f in deps.files}


def test_rnn_page_depends_on_the_rnn_and_not_on_the_cnn(index):
    files = files_of("05-rnn.md", index)
    assert "adjnets/recurrent/rnn.py" in files
    assert "adjnets/specific/cnn/layers.py" not in files
    assert "adjnets/recurrent/gated.py" not in files  # the GRU/LSTM are 05-3's


def test_cnn_page_depends_on_the_cnn_modules(index):
    files = files_of("04-2-cnn.md", index)
    assert {
        "adjnets/specific/cnn/layers.py",
        "adjnets/specific/cnn/operators.py",
    } <= files
    assert "adjnets/recurrent/rnn.py" not in files


def test_digits_loader_brings_the_data_file(index):
    assert "adjnets/data/digits.npz" in files_of("04-1-mlp.md", index)
    assert "adjnets/data/digits.npz" not in files_of("05-rnn.md", index)


def test_traceability_page_depends_on_every_module_and_the_results_table(index):
    """The table lists the implementations that ``import adjnets`` registers, so every
    module is a dependency; the box labels and test markers are a digest instead."""
    deps = pd.page_dependencies(ROOT / "book" / "traceability.md", ROOT, index)
    files = {str(f.relative_to(ROOT)) for f in deps.files}
    every_module = {str(m.path.relative_to(ROOT)) for m in index.modules.values()}
    assert every_module - {"adjnets/autodiff.py"} <= files
    assert "adjnets/pages/thesis_results.tsv" in files
    assert deps.reads_traceability


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_every_page_depends_on_adjnets_files_that_exist(page, index):
    deps = pd.page_dependencies(page, ROOT, index)
    modules = [f for f in deps.files if f.suffix == ".py"]
    assert modules, f"{page.name} uses no adjnets module"
    assert all(f.is_file() for f in deps.files)
    assert all(f.is_relative_to(ROOT) for f in deps.files)
    # only the traceability page reads the clone's pages and tests
    assert deps.reads_traceability == (page.name == "traceability.md")


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_the_analysis_reads_the_cells_the_build_executes(page):
    """The same code cells as myst-nb with the book's MyST extensions."""
    import yaml

    config = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))
    extensions = config["parse"]["myst_enable_extensions"]
    built = [c.source for c in read_download(page).cells if c.cell_type == "code"]
    assert pd.code_cells(page, extensions) == built


@pytest.mark.parametrize("name", sorted(importlib.import_module("adjnets").__all__))
def test_names_resolve_to_the_module_python_finds(name, index):
    """The static resolution agrees with ``obj.__module__`` for every exported name."""
    import adjnets

    obj = getattr(adjnets, name)
    module = index.module_of(("adjnets", (name,)))
    if inspect.ismodule(obj):
        assert module == obj.__name__
    elif inspect.isclass(obj) or inspect.isfunction(obj):
        assert module == obj.__module__
    else:  # an instance (``hadamard``) or a constant: assigned where it resolves to
        assert name in index.modules[module].defined


def write_page(tmp_path: Path, code: str) -> Path:
    page = tmp_path / "page.md"
    page.write_text(
        "---\njupytext:\n  text_representation:\n    format_name: myst\n"
        "kernelspec:\n  name: python3\n  display_name: Python 3\n---\n\n"
        f"# A page\n\n```{{code-cell}} ipython3\n{textwrap.dedent(code)}```\n",
        encoding="utf-8",
    )
    return page


def module_files(page: Path, index: pd.PackageIndex) -> set[str]:
    deps = pd.page_dependencies(page, ROOT, index)
    return {str(f.relative_to(ROOT)) for f in deps.files}


def imports_closure(module: str, index: pd.PackageIndex) -> set[str]:
    """The files of ``module`` and of every package module its top level imports, and
    the data they read, by a plain walk (the reference the analysis is checked
    against)."""
    seen, todo = set(), [module]
    while todo:
        current = todo.pop()
        if current in seen:
            continue
        seen.add(current)
        todo += [index.module_of(ref) for ref in index.modules[current].top_level.refs]
    files = {index.modules[m].path for m in seen}
    files |= {data for m in seen for data in index.modules[m].data}
    return {str(f.relative_to(ROOT)) for f in files}


def test_from_adjnets_import_mlp_is_mlp_and_its_imports(tmp_path, index):
    page = write_page(tmp_path, "from adjnets import MLP\nMLP\n")
    files = module_files(page, index)
    expected = imports_closure("adjnets.specific.mlp", index) | {"adjnets/__init__.py"}
    assert files == expected
    assert "adjnets/specific/mlp.py" in files
    assert "adjnets/networks/network.py" in files  # an MLP is a Network
    assert "adjnets/recurrent/gated.py" not in files


def test_attribute_chains_after_import_adjnets(tmp_path, index):
    page = write_page(
        tmp_path, "import adjnets\n\nadjnets.calculus.losses.one_hot([1], 2)\n"
    )
    files = module_files(page, index)
    assert "adjnets/calculus/losses.py" in files
    assert "adjnets/recurrent/rnn.py" not in files  # not everything adjnets imports


def test_a_bare_import_of_the_package_runs_all_of_it(tmp_path, index):
    page = write_page(tmp_path, "import adjnets  # noqa: F401\n")
    files = module_files(page, index)
    assert {"adjnets/recurrent/gated.py", "adjnets/specific/cnn/layers.py"} <= files


def test_source_of_a_module_shown_on_a_page_is_a_dependency(tmp_path, index):
    page = write_page(
        tmp_path,
        """
        from adjnets import source
        from adjnets.recurrent import gated

        source(gated.GRUCell)
        """,
    )
    assert "adjnets/recurrent/gated.py" in module_files(page, index)


def test_imports_inside_a_function_count_when_it_is_used(tmp_path, index):
    """``traceability`` imports all of adjnets when called; ``implements`` does not."""
    uses_implements = write_page(
        tmp_path, "from adjnets.pages.thesis import implements\n"
    )
    assert "adjnets/recurrent/gated.py" not in module_files(uses_implements, index)
    uses_table = write_page(tmp_path, "from adjnets.pages.thesis import traceability\n")
    assert "adjnets/recurrent/gated.py" in module_files(uses_table, index)


def test_a_file_the_page_names_is_a_dependency(tmp_path, index):
    page = write_page(
        tmp_path,
        """
        from pathlib import Path

        from adjnets.pages.display import markdown_table

        text = Path("pyproject.toml").read_text()
        """,
    )
    assert "pyproject.toml" in module_files(page, index)


def test_an_unreadable_cell_is_an_error_not_an_empty_dependency_list(tmp_path, index):
    page = write_page(tmp_path, "from adjnets import (\n")
    with pytest.raises(ValueError, match="cannot parse"):
        pd.page_dependencies(page, ROOT, index)


def test_magics_are_skipped(tmp_path, index):
    page = write_page(tmp_path, "%matplotlib inline\nfrom adjnets import relu\n")
    assert "adjnets/calculus/elementwise.py" in module_files(page, index)


GLUE_REFERENCE = re.compile(r"\{glue(?::\w+)?\}`([^`]*)`|```\{glue(?::\w+)?\}\s+(\S+)")


@pytest.mark.parametrize("page", sorted((ROOT / "book").rglob("*.md")), ids=str)
def test_no_page_reads_another_pages_glued_values(page):
    """A glue reference without ``page::`` reads the page's own values only (myst-nb's
    ``retrieve_glue_data``), so re-executing a page can never leave another stale."""
    text = page.read_text(encoding="utf-8")
    for match in GLUE_REFERENCE.finditer(text):
        key = match.group(1) or match.group(2)
        assert "::" not in key, f"{page.name} glues {key!r} from another page"


def test_traceability_digest_follows_labels_not_prose(tmp_path):
    """The traceability page is re-read when a label or marker changes, not prose."""
    import shutil

    for folder in ("book", "tests"):
        shutil.copytree(
            ROOT / folder,
            tmp_path / folder,
            ignore=shutil.ignore_patterns("reference", "_build", "__pycache__"),
        )
    before = pd.traceability_digest(tmp_path)
    rnn = tmp_path / "book" / "05-rnn.md"
    rnn.write_text(rnn.read_text(encoding="utf-8") + "\nOne more sentence.\n")
    assert pd.traceability_digest(tmp_path) == before
    label = re.search(r"^:label: (thm-\d+-\d+-\d+)$", rnn.read_text(), re.MULTILINE)
    assert label, "05-rnn.md states no theorem"
    rnn.write_text(rnn.read_text().replace(label.group(0), ":label: thm-9-9-9"))
    assert pd.traceability_digest(tmp_path) != before
