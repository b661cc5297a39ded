"""The checks themselves must fail on wrong input: a check that cannot fail is no check."""

import numpy as np
import pytest

from adjnets import LinearMap
from adjnets.check import assert_adjoint, assert_directional, central_difference


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
    errs = [abs(central_difference(np.sin, x, v, h)[0] - np.cos(0.3)) for h in (1e-2, 1e-3)]
    assert errs[1] < errs[0] / 50  # error O(h^2): a factor 100 per decade, allow some slack


def test_assert_directional_rejects_a_wrong_derivative():
    x, v = np.array([0.3, -1.2]), np.array([1.0, 2.0])
    assert_directional(np.sin, np.cos(x) * v, x, v)
    with pytest.raises(AssertionError, match="central difference"):
        assert_directional(np.sin, 1.01 * np.cos(x) * v, x, v)
