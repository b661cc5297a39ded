"""The checks themselves must fail on wrong input: a check that cannot fail is no check."""

import numpy as np
import pytest

from adjnets import LinearMap
from adjnets.calculus.check import (
    assert_adjoint,
    assert_directional,
    central_difference,
)


def test_assert_adjoint_accepts_a_true_adjoint_and_rejects_a_wrong_one():
    rng = np.random.default_rng(0)
    A = rng.standard_normal((3, 4))
    v, w = rng.standard_normal(4), rng.standard_normal(3)
    assert assert_adjoint(LinearMap.from_matrix(A), v, w) < 1e-14
    wrong = LinearMap(lambda x: A @ x, lambda y: 1.000001 * (A.T @ y))
    with pytest.raises(AssertionError, match="adjoint identity fails"):
        assert_adjoint(wrong, v, w)


def test_central_difference_is_second_order():
    x, v = np.array([0.3]), np.array([1.0])
    errs = [
        abs(central_difference(np.sin, x, v, h)[0] - np.cos(0.3)) for h in (1e-2, 1e-3)
    ]
    # error O(h^2): a factor 100 per decade, allow some slack
    assert errs[1] < errs[0] / 50


def test_assert_directional_rejects_a_wrong_derivative():
    x, v = np.array([0.3, -1.2]), np.array([1.0, 2.0])
    assert_directional(np.sin, np.cos(x) * v, x, v)
    with pytest.raises(AssertionError, match="central difference"):
        assert_directional(np.sin, 1.01 * np.cos(x) * v, x, v)


def test_second_directional_and_gradient_checks_can_fail():
    from adjnets.calculus.check import assert_gradient, assert_second_directional

    rng = np.random.default_rng(1)
    x, v1, v2 = rng.standard_normal((3, 4))
    # f(x) = sin(x) elementwise: D^2 f(x)(v1, v2) = -sin(x) v1 v2
    assert_second_directional(np.sin, -np.sin(x) * v1 * v2, x, v1, v2)
    with pytest.raises(AssertionError):
        assert_second_directional(np.sin, np.sin(x) * v1 * v2, x, v1, v2)

    # g(x) = sum(x^3)/3: gradient x^2
    def g(z):
        return float(np.sum(z**3) / 3)

    assert_gradient(g, x**2, x, rng)
    with pytest.raises(AssertionError, match="gradient disagrees"):
        assert_gradient(g, x**2 + 0.01, x, rng)
