"""The three lists of dependencies cannot drift apart.

Every third-party module imported by the package (``adjnets/``) or by a page of the book
(``book/``) must come from a distribution that is pinned in ``requirements.txt`` (what ``make``
installs) and listed in ``environment.yml`` (what Binder installs), at the same version.
"""

from __future__ import annotations

import ast
import re
import sys
from importlib.metadata import packages_distributions

import pytest
import yaml

from tests.notebook_pages import BOOK, ROOT, notebook_pages, read_page

FIRST_PARTY = {"adjnets", "__future__"}


def canonical(name: str) -> str:
    """PEP 503 normalised distribution name."""
    return re.sub(r"[-_.]+", "-", name).lower()


def top_level_imports(source: str) -> set[str]:
    """Top-level module names imported by Python source (IPython magics are skipped)."""
    code = "\n".join(
        line for line in source.splitlines() if not line.lstrip().startswith(("%", "!"))
    )
    names = set()
    for node in ast.walk(ast.parse(code)):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


def third_party_imports() -> dict[str, set[str]]:
    """Third-party top-level modules, each with the files that import it."""
    sources = {p: p.read_text() for p in (ROOT / "adjnets").rglob("*.py")}
    for page in notebook_pages(BOOK):
        cells = [c.source for c in read_page(page).cells if c.cell_type == "code"]
        sources[page] = "\n".join(cells)
    found: dict[str, set[str]] = {}
    for path, source in sources.items():
        for name in (
            top_level_imports(source) - FIRST_PARTY - set(sys.stdlib_module_names)
        ):
            found.setdefault(name, set()).add(str(path.relative_to(ROOT)))
    return found


def pins(lines: list[str]) -> dict[str, str]:
    """``{canonical name: version}`` from ``name==version`` requirement lines."""
    out = {}
    for line in lines:
        m = re.match(r"^\s*([A-Za-z0-9_.\-]+)\s*==\s*([^\s;#]+)", line)
        if m:
            out[canonical(m.group(1))] = m.group(2)
    return out


def requirement_pins() -> dict[str, str]:
    return pins((ROOT / "requirements.txt").read_text().splitlines())


def environment_pins() -> dict[str, str]:
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    pip_lines = next(
        d["pip"] for d in env["dependencies"] if isinstance(d, dict) and "pip" in d
    )
    return pins(pip_lines)


def test_imports_are_found():
    imports = third_party_imports()
    assert "numpy" in imports, (
        "the scan should see at least numpy, which adjnets imports"
    )


@pytest.mark.parametrize("module", sorted(third_party_imports()))
def test_import_is_pinned_everywhere(module):
    dists = packages_distributions().get(module)
    assert dists, f"{module} is imported but no installed distribution provides it"
    dist = canonical(dists[0])
    required, environment = requirement_pins(), environment_pins()
    assert dist in required, (
        f"{dist} (imported as {module}) is not pinned in requirements.txt"
    )
    assert dist in environment, (
        f"{dist} (imported as {module}) is missing from environment.yml"
    )


def test_environment_matches_requirements():
    required = requirement_pins()
    for dist, version in environment_pins().items():
        if dist in required:
            assert version == required[dist], (
                f"environment.yml pins {dist}=={version} but requirements.txt pins {required[dist]}"
            )


def test_every_pin_is_exact():
    lines = [
        line
        for line in (ROOT / "requirements.txt").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    assert len(pins(lines)) == len(lines), (
        "every line of requirements.txt must be name==version"
    )
