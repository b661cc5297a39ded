"""Tests of adjnets.calculus.linear.LinearMap: adjoints, composition, and matrices in chosen
layouts."""

from __future__ import annotations

import numpy as np
import pytest
from numpy.testing import assert_allclose

from adjnets import LinearMap, inner
from adjnets.calculus.check import adjoint_error, assert_adjoint


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(1729)


def right_multiply(x: np.ndarray) -> LinearMap:
    """W -> W x on R^{m x n}, with adjoint w -> w x^T (both acting on batches)."""
    return LinearMap(lambda U: U @ x, lambda w: w[..., :, None] * x, "(.)x")


def sandwich(A: np.ndarray, B: np.ndarray) -> LinearMap:
    """X -> A X B, with adjoint Y -> A^T Y B^T (both acting on batches)."""
    return LinearMap(lambda X: A @ X @ B, lambda Y: A.T @ Y @ B.T, "A(.)B")


# --------------------------------------------------------------------------- from_matrix


def test_from_matrix_applies_a_and_its_adjoint_applies_a_transpose(rng):
    A = rng.standard_normal((3, 4))
    L = LinearMap.from_matrix(A)
    v, w = rng.standard_normal(4), rng.standard_normal(3)
    assert_allclose(L(v), A @ v, rtol=1e-14)
    assert_allclose(L.adj(w), A.T @ w, rtol=1e-14)
    # batches are rows
    V = rng.standard_normal((5, 4))
    assert_allclose(L(V), V @ A.T, rtol=1e-14)


def test_from_matrix_satisfies_the_adjoint_identity(rng):
    A = rng.standard_normal((3, 4))
    L = LinearMap.from_matrix(A)
    v, w = rng.standard_normal(4), rng.standard_normal(3)
    assert (
        abs(inner(w, L(v)) - inner(L.adj(w), v)) <= 1e-12 * abs(inner(w, L(v))) + 1e-14
    )
    assert assert_adjoint(L, v, w) <= 1e-12
    assert (
        assert_adjoint(L, rng.standard_normal((6, 4)), rng.standard_normal((6, 3)))
        <= 1e-12
    )


def test_adjoint_of_adjoint_is_the_map(rng):
    A = rng.standard_normal((3, 4))
    L = LinearMap.from_matrix(A, name="A")
    v = rng.standard_normal(4)
    assert_allclose(L.adj.adj(v), L(v), rtol=1e-14)
    assert repr(L.adj) == "LinearMap(A*)"
    assert repr(L.adj.adj) == "LinearMap(A)"


def test_a_wrong_adjoint_is_caught(rng):
    A = rng.standard_normal((3, 3))
    wrong = LinearMap(lambda v: v @ A.T, lambda w: w @ A.T)  # A instead of A^T
    v, w = rng.standard_normal(3), rng.standard_normal(3)
    assert adjoint_error(wrong, v, w) > 1e-3
    with pytest.raises(AssertionError, match="adjoint identity fails"):
        assert_adjoint(wrong, v, w)


def test_from_matrix_rejects_a_non_matrix():
    with pytest.raises(ValueError, match="expected A as a 2-d array"):
        LinearMap.from_matrix(np.ones(3))


# --------------------------------------------------------------------------- composition


def test_composition_applies_the_right_map_first(rng):
    A1, A2 = rng.standard_normal((4, 3)), rng.standard_normal((2, 4))
    L = LinearMap.from_matrix(A2, "A2") @ LinearMap.from_matrix(A1, "A1")
    v = rng.standard_normal(3)
    assert_allclose(L(v), A2 @ (A1 @ v), rtol=1e-14)
    assert repr(L) == "LinearMap(A2·A1)"


def test_composition_obeys_the_reversing_rule(rng):
    # (L2 L1)* = L1* L2*
    A1, A2 = rng.standard_normal((4, 3)), rng.standard_normal((2, 4))
    L1, L2 = LinearMap.from_matrix(A1), LinearMap.from_matrix(A2)
    w = rng.standard_normal((5, 2))
    assert_allclose((L2 @ L1).adj(w), L1.adj(L2.adj(w)), rtol=1e-14)
    assert_allclose((L2 @ L1).adj(w), w @ (A2 @ A1), rtol=1e-13)
    assert_allclose((L1.adj @ L2.adj)(w), (L2 @ L1).adj(w), rtol=1e-14)


def test_composition_of_matrix_free_maps_satisfies_the_adjoint_identity(rng):
    # R^{3x4} --(A . B)--> R^{2x5} --( . x)--> R^2
    A, B, x = (
        rng.standard_normal((2, 3)),
        rng.standard_normal((4, 5)),
        rng.standard_normal(5),
    )
    L = right_multiply(x) @ sandwich(A, B)
    v, w = rng.standard_normal((3, 4)), rng.standard_normal(2)
    assert assert_adjoint(L, v, w) <= 1e-12
    assert_allclose(L.adj(w), A.T @ np.outer(w, x) @ B.T, rtol=1e-13)


def test_composition_with_a_non_map_is_a_type_error():
    L = LinearMap.from_matrix(np.eye(2))
    with pytest.raises(TypeError):
        L @ 2.0


# --------------------------------------------------------------------------- to_matrix


@pytest.mark.parametrize("order", ["C", "F"])
def test_to_matrix_of_from_matrix_is_the_matrix(rng, order):
    A = rng.standard_normal((3, 4))
    L = LinearMap.from_matrix(A)
    assert_allclose(L.to_matrix((4,), "numerator", order), A, rtol=0, atol=0)
    assert_allclose(L.to_matrix((4,), "denominator", order), A.T, rtol=0, atol=0)


def test_default_layout_is_numerator_in_c_order(rng):
    x = rng.standard_normal(3)
    L = right_multiply(x)
    assert_allclose(
        L.to_matrix((2, 3)), L.to_matrix((2, 3), "numerator", "C"), rtol=0, atol=0
    )


def test_to_matrix_of_right_multiplication_in_all_four_conventions():
    # W -> W x on R^{2x3}:  vec_F(W x) = (x^T kron I_m) vec_F(W),
    #                      vec_C(W x) = (I_m kron x^T) vec_C(W)
    x = np.array([1.0, 2.0, 3.0])
    m, n = 2, 3
    L = right_multiply(x)
    I = np.eye(m)
    expected = {
        ("numerator", "F"): np.kron(x[None, :], I),
        ("numerator", "C"): np.kron(I, x[None, :]),
        ("denominator", "F"): np.kron(x[:, None], I),
        ("denominator", "C"): np.kron(I, x[:, None]),
    }
    for (layout, order), M in expected.items():
        got = L.to_matrix((m, n), layout=layout, order=order)
        assert got.shape == M.shape
        assert_allclose(got, M, rtol=0, atol=0)
    # spelled out, numerator layout with column-major vec:
    assert_allclose(
        L.to_matrix((2, 3), "numerator", "F"),
        [[1, 0, 2, 0, 3, 0], [0, 1, 0, 2, 0, 3]],
        rtol=0,
        atol=0,
    )


@pytest.mark.parametrize("layout", ["numerator", "denominator"])
def test_to_matrix_of_a_sandwich_is_a_kronecker_product(rng, layout):
    # vec_F(A X B) = (B^T kron A) vec_F(X);  vec_C(A X B) = (A kron B^T) vec_C(X)
    A, B = rng.standard_normal((2, 3)), rng.standard_normal((4, 5))
    L = sandwich(A, B)
    for order, M in (("F", np.kron(B.T, A)), ("C", np.kron(A, B.T))):
        got = L.to_matrix((3, 4), layout=layout, order=order)
        assert_allclose(
            got, M if layout == "numerator" else M.T, rtol=1e-13, atol=1e-14
        )


@pytest.mark.parametrize("order", ["C", "F"])
def test_matrix_of_the_adjoint_is_the_transpose(rng, order):
    A, B = rng.standard_normal((2, 3)), rng.standard_normal((4, 5))
    L = sandwich(A, B)
    assert_allclose(
        L.adj.to_matrix((2, 5), order=order),
        L.to_matrix((3, 4), order=order).T,
        rtol=1e-13,
    )


def test_to_matrix_of_a_linear_functional_is_a_row(rng):
    # U -> <G, U> on R^{2x3}: one row holding G, flattened in the chosen order
    G = rng.standard_normal((2, 3))
    ell = LinearMap(
        lambda U: np.sum(G * U, axis=(-2, -1)), lambda s: np.multiply.outer(s, G)
    )
    assert_allclose(ell.to_matrix((2, 3), order="C"), G.reshape(1, 6), rtol=0, atol=0)
    assert_allclose(
        ell.to_matrix((2, 3), order="F"), G.reshape(1, 6, order="F"), rtol=0, atol=0
    )
    assert_allclose(
        ell.to_matrix((2, 3), "denominator", "C"), G.reshape(6, 1), rtol=0, atol=0
    )


@pytest.mark.parametrize(
    ("layout", "order"),
    [("row", "C"), ("Numerator", "C"), ("numerator", "K"), ("numerator", "c")],
)
def test_to_matrix_rejects_unknown_layout_or_order(layout, order):
    L = LinearMap.from_matrix(np.eye(2))
    with pytest.raises(ValueError, match=r"expected (layout|order) "):
        L.to_matrix((2,), layout=layout, order=order)
