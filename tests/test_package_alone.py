"""The package on its own: what a user of ``pip install adjnets`` who never sees the book
gets.

* The README's quick start and the example of the package docstring (``help(adjnets)``)
  are the same program, printing the same lines (tests/test_doctests.py runs the
  docstring's; tests/test_wheel.py runs the README's against the installed wheel).
* ``import adjnets`` needs only NumPy and the standard library; every other import in
  ``adjnets/`` belongs to an optional extra of pyproject.toml, and fails without it with
  a ``ModuleNotFoundError`` that names the extra.
* The extras are pinned as requirements.txt pins them.
* The top level exports what the quick start and the main workflows use.
"""

from __future__ import annotations

import ast
import doctest
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

import adjnets
from tests.test_dependencies import canonical, requirement_pins, top_level_imports
from tests.test_wheel import readme_quick_start

ROOT = Path(__file__).resolve().parent.parent

# every third-party module adjnets/ may import besides NumPy: module -> (the importing
# module of adjnets, the extra of pyproject.toml that provides it)
OPTIONAL = {"jax": ("adjnets.autodiff", "jax"), "jaxlib": ("adjnets.autodiff", "jax")}


def _project() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]


def _docstring_quick_start() -> tuple[str, str]:
    """The source and the expected output of the package docstring's examples."""
    examples = doctest.DocTestParser().get_examples(adjnets.__doc__)
    return (
        "".join(e.source for e in examples),
        "".join(e.want for e in examples),
    )


def test_quick_start_is_the_package_docstring_example() -> None:
    readme_code, readme_output = readme_quick_start(
        (ROOT / "README.md").read_text(encoding="utf-8")
    )
    code, output = _docstring_quick_start()
    # the same statements (comments and line breaks aside), printing the same lines
    assert ast.dump(ast.parse(code)) == ast.dump(ast.parse(readme_code)), (
        "README.md's quick start and adjnets/__init__.py's Examples have drifted apart"
    )
    assert output == readme_output


def test_the_comparison_sees_a_changed_statement() -> None:
    code, _ = _docstring_quick_start()
    changed = code.replace("epochs=5", "epochs=6")
    assert changed != code
    assert ast.dump(ast.parse(changed)) != ast.dump(ast.parse(code))


def _third_party_imports() -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for path in (ROOT / "adjnets").rglob("*.py"):
        module = ".".join(path.relative_to(ROOT).with_suffix("").parts)
        module = module.removesuffix(".__init__")
        for name in top_level_imports(path.read_text(encoding="utf-8")):
            if name not in sys.stdlib_module_names and name not in (
                "adjnets",
                "__future__",
            ):
                found.setdefault(name, set()).add(module)
    return found


def test_numpy_is_the_only_required_import() -> None:
    found = _third_party_imports()
    assert "numpy" in found
    for name, modules in found.items():
        if name == "numpy":
            continue
        assert name in OPTIONAL, (
            f"{sorted(modules)} import {name}, which is neither NumPy nor an optional "
            "extra: add it to an extra of pyproject.toml and to OPTIONAL here"
        )
        assert modules == {OPTIONAL[name][0]}, (name, modules)


def test_scikit_learn_is_not_needed() -> None:
    # the digits are bundled (adjnets/data/digits.npz)
    assert "sklearn" not in _third_party_imports()


def test_extras_are_declared_and_pinned_as_in_requirements() -> None:
    extras = _project()["optional-dependencies"]
    required = requirement_pins()
    for _where, extra in OPTIONAL.values():
        assert extra in extras, f"pyproject.toml has no extra {extra!r}"
    for extra, requirements in extras.items():
        for requirement in requirements:
            m = re.fullmatch(r"([A-Za-z0-9_.\-]+)==(\S+)", requirement)
            assert m, f"extra {extra}: {requirement!r} is not name==version"
            name, version = canonical(m.group(1)), m.group(2)
            assert required.get(name) == version, (
                f"extra {extra} pins {name}=={version}, requirements.txt "
                f"{required.get(name)}"
            )


def _run(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
    )


@pytest.mark.parametrize("missing", sorted(OPTIONAL))
def test_a_missing_extra_is_named(missing: str) -> None:
    where, extra = OPTIONAL[missing]
    # sys.modules[name] = None makes `import name` raise ModuleNotFoundError, as if the
    # distribution were not installed
    code = (
        "import sys\n"
        f"sys.modules[{missing!r}] = None\n"
        "import adjnets\n"  # the package itself does not need it
        "try:\n"
        f"    import {where}\n"
        "except ModuleNotFoundError as error:\n"
        "    print(type(error).__name__, error.name, sep='|')\n"
        "    print(error)\n"
        "    print(isinstance(error.__cause__, ImportError))\n"
        "else:\n"
        "    print('imported')\n"
    )
    done = _run(code)
    assert done.returncode == 0, done.stderr
    kind, message, cause = done.stdout.splitlines()
    assert kind.startswith("ModuleNotFoundError|")
    assert f"pip install 'adjnets[{extra}]'" in message
    assert message.startswith(f"{where} needs ")
    assert cause == "True"  # chained from the original ImportError


def test_import_adjnets_does_not_import_the_extras() -> None:
    done = _run(
        "import sys, adjnets\n"
        f"print(sorted(m for m in {sorted(OPTIONAL)!r} if m in sys.modules))\n"
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


@pytest.mark.parametrize(
    "name",
    [
        # the quick start
        "MLP",
        "train",
        "load_digits",
        "one_hot",
        "cross_entropy",
        "assert_gradient",
        # the networks, losses, optimisers and checks of the main workflows
        "Network",
        "Dense",
        "cnn",
        "TiedAutoencoder",
        "VanillaRNN",
        "squared",
        "softmax",
        "Adam",
        "GradientDescent",
        "fit",
        "assert_adjoint",
        "assert_directional",
        "LinearMap",
        "inner",
    ],
)
def test_top_level_names(name: str) -> None:
    assert name in adjnets.__all__
    assert getattr(adjnets, name) is not None


def test_all_names_exist() -> None:
    assert len(set(adjnets.__all__)) == len(adjnets.__all__)
    missing = [n for n in adjnets.__all__ if not hasattr(adjnets, n)]
    assert missing == []


def test_adjoint_names_of_compositions() -> None:
    # found while writing LinearMap's example: (A·B*)* was named A·B
    from adjnets import LinearMap

    A, B = LinearMap(abs, abs, "A"), LinearMap(abs, abs, "B")
    assert repr(A.adj.adj) == "LinearMap(A)"
    assert repr((A @ B).adj) == "LinearMap((A·B)*)"
    assert repr((A @ B).adj.adj) == "LinearMap(A·B)"
    assert repr((A @ B.adj).adj) == "LinearMap((A·B*)*)"
    assert repr((A @ B.adj).adj.adj) == "LinearMap(A·B*)"


def test_train_takes_an_mlp_but_tangents_need_a_network() -> None:
    import numpy as np

    from adjnets import MLP, norm, squared, train, tree_map

    mlp = MLP((2, 3, 1))
    rng = np.random.default_rng(0)
    x, y = rng.standard_normal((4, 2)), rng.standard_normal((4, 1))
    theta = mlp.init(rng)
    trained, history = train(mlp, theta, x, y, squared, lr=0.1, epochs=2)
    assert history.shape == (2,) and len(trained) == 2
    # the MLP's fused step and its generic network's step are the same algorithm
    generic, _ = train(mlp.network, theta, x, y, squared, lr=0.1, epochs=2)
    difference = tree_map(np.subtract, trained, generic)
    assert norm(difference) <= 1e-12 * norm(trained)
    v = rng.standard_normal((1, 4, 2))
    with pytest.raises(TypeError, match=r"a Network for training with tangents"):
        train(mlp, theta, x, y, squared, lr=0.1, epochs=1, v=v, mu=1.0)
    train(mlp.network, theta, x, y, squared, lr=0.1, epochs=1, v=v, mu=1.0)
