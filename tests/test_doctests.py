"""The examples in the docstrings of ``adjnets`` run and print what they show.

Every ``>>>`` example of the package (the numpydoc *Examples* sections, and the quick
start in the package docstring) is collected here, one test per docstring, and run by
:mod:`doctest` with the option flags of ``doctest_optionflags`` in pyproject.toml. Only
``adjnets`` is collected: ``--doctest-modules`` in ``addopts`` would also import every
module of ``tests/`` and ``book/_ext``. ``pytest --doctest-modules adjnets`` runs the
same examples through pytest's own doctest plugin.

A docstring that a user reads first (``help(adjnets.MLP)``) must show an example:
``test_main_names_have_examples`` fails when one of them loses its *Examples* section.
"""

from __future__ import annotations

import doctest
import importlib
import importlib.util
import inspect
import pkgutil

import numpy as np
import pytest

import adjnets

# adjnets.autodiff needs the optional JAX; without it, its examples (if any) are skipped
MODULES = [
    "adjnets",
    *(
        m.name
        for m in pkgutil.walk_packages(adjnets.__path__, "adjnets.")
        if m.name != "adjnets.autodiff" or importlib.util.find_spec("jax")
    ),
]


def _doctests() -> dict[str, doctest.DocTest]:
    finder = doctest.DocTestFinder(exclude_empty=True)
    found = {}
    for name in MODULES:
        for test in finder.find(importlib.import_module(name)):
            if test.examples:
                found[test.name] = test
    return found


DOCTESTS = _doctests()

# the names whose docstrings must carry an Examples section
MAIN_NAMES = [
    "MLP",
    "Dense",
    "Network",
    "Conv2d",
    "conv_layer",
    "cnn",
    "MaxPool2d",
    "TiedAutoencoder",
    "VanillaRNN",
    "GRUCell",
    "LSTMCell",
    "train",
    "load_digits",
    "softmax",
    "D_softmax",
    "Loss",
    "assert_adjoint",
    "assert_directional",
    "assert_gradient",
    "LinearMap",
    "BilinearMap",
    "Elementwise",
    "inner",
    "one_hot",
    "Adam",
    "fit",
]


_DEFAULT_PRINT = dict(np.get_printoptions())


def _optionflags(config: pytest.Config) -> int:
    flags = 0
    for name in config.getini("doctest_optionflags"):
        flags |= doctest.OPTIONFLAGS_BY_NAME[name]
    return flags


def test_examples_are_found() -> None:
    assert "adjnets" in DOCTESTS, "the package docstring's quick start was not found"
    assert len(DOCTESTS) >= len(MAIN_NAMES)


@pytest.mark.parametrize("name", sorted(DOCTESTS))
def test_docstring_examples(name: str, pytestconfig: pytest.Config) -> None:
    test = DOCTESTS[name]
    test.globs = dict(test.globs)  # a fresh namespace of the module's globals
    runner = doctest.DocTestRunner(optionflags=_optionflags(pytestconfig))
    report: list[str] = []
    # NumPy's default printing, whatever an earlier test set
    with np.printoptions(**_DEFAULT_PRINT):
        runner.run(test, out=report.append, clear_globs=True)
    assert runner.failures == 0, "".join(report)


@pytest.mark.parametrize("name", MAIN_NAMES)
def test_main_names_have_examples(name: str) -> None:
    obj = getattr(adjnets, name)
    doc = inspect.getdoc(obj) or ""
    assert "\nExamples\n--------\n" in doc and ">>> " in doc, (
        f"adjnets.{name} has no Examples section"
    )
    summary = doc.splitlines()[0]
    assert summary and not summary.startswith((":", "..")), (
        f"adjnets.{name}'s docstring should open with a plain-language summary"
    )
