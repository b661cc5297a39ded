"""Tests of adjnets.calculus.spaces: inner products on arrays, tensor and direct products."""

from typing import NamedTuple

import numpy as np
import pytest
from numpy.testing import assert_allclose

from adjnets.calculus.spaces import (
    inner,
    leaves,
    norm,
    random_like,
    sum_extra_leading,
    sum_outer,
    tree_map,
)


class Pair(NamedTuple):
    W: np.ndarray
    b: np.ndarray


def test_matrix_inner_product_is_trace():
    rng = np.random.default_rng(0)
    A, B = rng.standard_normal((3, 4)), rng.standard_normal((3, 4))
    assert_allclose(inner(A, B), np.trace(A @ B.T), rtol=1e-14)


def test_tensor_product_inner_product_is_product_of_factors():
    # <e1 (x) e2, f1 (x) f2> = <e1, f1><e2, f2>, with the tensor product as an outer product
    rng = np.random.default_rng(1)
    e1, f1 = rng.standard_normal((2, 5))
    e2, f2 = rng.standard_normal((2, 3, 2))
    lhs = inner(np.multiply.outer(e1, e2), np.multiply.outer(f1, f2))
    assert_allclose(lhs, inner(e1, f1) * inner(e2, f2), rtol=1e-13)


def test_direct_product_inner_product_is_sum():
    rng = np.random.default_rng(2)
    p, q = (
        random_like(rng, Pair(np.zeros((2, 3)), np.zeros(2))),
        random_like(rng, Pair(np.zeros((2, 3)), np.zeros(2))),
    )
    assert_allclose(inner(p, q), inner(p.W, q.W) + inner(p.b, q.b), rtol=1e-14)


def test_equation_2_1_sum_of_inner_products_as_one_tensor():
    # sum_i <U_i, V_i> = <sum_i U_i (x) e_i, sum_i V_i (x) e_i> for an orthonormal set {e_i}
    rng = np.random.default_rng(3)
    U, V = rng.standard_normal((2, 4, 3))  # four vectors of R^3 each
    E = np.eye(4)
    lhs = sum(inner(U[i], V[i]) for i in range(4))
    stacked_U = sum(np.multiply.outer(U[i], E[i]) for i in range(4))
    stacked_V = sum(np.multiply.outer(V[i], E[i]) for i in range(4))
    assert_allclose(lhs, inner(stacked_U, stacked_V), rtol=1e-13)


def test_tree_map_keeps_namedtuple_type():
    p = Pair(np.ones((2, 2)), np.zeros(2))
    q = tree_map(lambda a, b: a + 2 * b, p, p)
    assert isinstance(q, Pair)
    assert_allclose(q.W, 3 * np.ones((2, 2)))
    assert [a.shape for a in leaves(q)] == [(2, 2), (2,)]


def test_norm():
    assert norm((np.array([3.0]), np.array([[4.0]]))) == pytest.approx(5.0)


def test_random_like_is_seeded():
    like = Pair(np.zeros((2, 3)), np.zeros(2))
    a = random_like(np.random.default_rng(7), like)
    b = random_like(np.random.default_rng(7), like)
    assert_allclose(a.W, b.W)
    assert a.W.shape == (2, 3) and a.b.shape == (2,)


def test_mismatched_points_raise():
    with pytest.raises(ValueError, match=r"same shape|one shape"):
        inner(np.zeros(3), np.zeros(4))
    with pytest.raises(ValueError, match="one space"):
        inner((np.zeros(3), np.zeros(2)), np.zeros(3))
    with pytest.raises(ValueError, match="same structure"):
        tree_map(np.add, (np.zeros(1), np.zeros(1)), np.zeros(1))


def test_sum_outer_is_the_sum_of_the_points_outer_products():
    rng = np.random.default_rng(11)
    # K = 3 in front of a only
    a, x = rng.standard_normal((3, 5, 4)), rng.standard_normal((5, 2))
    expected = sum(np.outer(a[k, j], x[j]) for k in range(3) for j in range(5))
    np.testing.assert_allclose(sum_outer(a, x), expected, rtol=1e-13)
    np.testing.assert_allclose(
        sum_outer(a, np.broadcast_to(x, (3, 5, 2))), expected, rtol=1e-13
    )
    np.testing.assert_allclose(
        sum_outer(a[0, 0], x[0]), np.outer(a[0, 0], x[0]), rtol=1e-15
    )
    np.testing.assert_allclose(sum_extra_leading(a, 2), a.sum(axis=0), rtol=1e-15)
    assert sum_extra_leading(x, 2) is x  # nothing to sum: no copy
