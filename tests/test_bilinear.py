"""BilinearMap: hooks, their adjoints, swap."""

import numpy as np
import pytest

from adjnets import BilinearMap
from adjnets.calculus.check import assert_adjoint


def matrix_product_map():
    # B(X, Y) = X Y on R^{2x3} x R^{3x4} -> R^{2x4}; (X -| B)^* Z = X^T Z, (B |- Y)^* Z = Z Y^T
    return BilinearMap(
        lambda X, Y: X @ Y, lambda X, Z: X.T @ Z, lambda Y, Z: Z @ Y.T, "XY"
    )


def test_hooks_apply_the_map_and_have_adjoints():
    rng = np.random.default_rng(0)
    X, Y, Z = (
        rng.standard_normal((2, 3)),
        rng.standard_normal((3, 4)),
        rng.standard_normal((2, 4)),
    )
    B = matrix_product_map()
    np.testing.assert_allclose(B.left_hook(X)(Y), X @ Y)
    np.testing.assert_allclose(B.right_hook(Y)(X), X @ Y)
    assert_adjoint(B.left_hook(X), Y, Z)
    assert_adjoint(B.right_hook(Y), X, Z)


def test_swap_exchanges_the_arguments_and_the_hooks():
    rng = np.random.default_rng(1)
    X, Y, Z = (
        rng.standard_normal((2, 3)),
        rng.standard_normal((3, 4)),
        rng.standard_normal((2, 4)),
    )
    S = matrix_product_map().swap()
    np.testing.assert_allclose(S(Y, X), X @ Y)
    assert_adjoint(S.left_hook(Y), X, Z)
    assert_adjoint(S.right_hook(X), Y, Z)


def test_a_wrong_hook_adjoint_is_caught():
    rng = np.random.default_rng(2)
    X, Y, Z = (
        rng.standard_normal((2, 3)),
        rng.standard_normal((3, 4)),
        rng.standard_normal((2, 4)),
    )
    wrong = BilinearMap(
        lambda X, Y: X @ Y, lambda X, Z: 2 * X.T @ Z, lambda Y, Z: Z @ Y.T
    )
    with pytest.raises(AssertionError):
        assert_adjoint(wrong.left_hook(X), Y, Z)
