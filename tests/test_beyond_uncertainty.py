"""Tests of page F.3 (adjnets.beyond.uncertainty): the book's own results F.3.1-F.3.6,
checked against adjoint identities, central differences, JAX and dense computations."""

from __future__ import annotations

import numpy as np
import pytest

from adjnets import (
    Dense,
    Network,
    assert_adjoint,
    assert_gradient,
    cross_entropy,
    inner,
    one_hot,
    random_like,
    squared,
    tanh,
)
from adjnets.beyond.uncertainty import (
    Dropout,
    conjugate_gradient,
    dropout_loss_and_gradient,
    dropout_network,
    dropout_penalty,
    expected_calibration_error,
    expected_dropout_loss_and_gradient,
    ggn,
    laplace,
    loss_hessian,
    parameter_derivative,
    predictive_variance_cg,
)
from adjnets.calculus.spaces import leaves, tree_map

rng = np.random.default_rng(0)
NET = Network([Dense(2, 4, tanh), Dense(4, 3, tanh), Dense(3, 2)])
THETA = NET.init(rng)
X = rng.standard_normal((5, 2))


def flat(tree: object) -> np.ndarray:
    return np.concatenate([leaf.ravel() for leaf in leaves(tree)])


def unflat(e: np.ndarray, theta: object) -> object:
    """A flat vector as a tree shaped like ``theta``."""
    pieces, start = [], 0
    for leaf in leaves(theta):
        pieces.append(e[start : start + leaf.size].reshape(leaf.shape))
        start += leaf.size
    it = iter(pieces)
    return tree_map(lambda _: next(it), theta)


def dense_matrix(L: object, theta: object) -> np.ndarray:
    """The matrix of a linear map on parameter trees, column by column."""
    size = flat(theta).size
    return np.array([flat(L(unflat(e, theta))) for e in np.eye(size)]).T  # type: ignore[operator]


def jax_jacobian(net: Network, x: np.ndarray, theta: object) -> np.ndarray:
    """The Jacobian of the outputs in the flattened parameters, by JAX."""
    import jax

    from adjnets import autodiff

    sizes = [leaf.size for leaf in leaves(theta)]
    shapes = [leaf.shape for leaf in leaves(theta)]

    def f(flat_theta: jax.Array) -> jax.Array:
        parts, start = [], 0
        for size, shape in zip(sizes, shapes, strict=True):
            parts.append(flat_theta[start : start + size].reshape(shape))
            start += size
        it = iter(parts)
        tree = tree_map(lambda _: next(it), autodiff.tuple_tree(theta))
        return autodiff.network(net, x, tree).reshape(-1)

    return np.asarray(jax.jacfwd(f)(flat(theta)))


@pytest.mark.thesis("Proposition F.3.1")
def test_parameter_derivative_against_jax_and_differences() -> None:
    J = parameter_derivative(NET, NET.forward(X, THETA))
    u = random_like(rng, THETA)
    jac = jax_jacobian(NET, X, THETA)
    np.testing.assert_allclose(
        np.asarray(J(u)).ravel(), jac @ flat(u), rtol=1e-10, atol=1e-12
    )
    assert assert_adjoint(J, u, rng.standard_normal((5, 2))) < 1e-12

    def F(t: object) -> object:
        return NET(X, t)

    from adjnets import assert_directional

    assert assert_directional(F, J(u), THETA, u) < 1e-7


@pytest.mark.thesis("Proposition F.3.2")
@pytest.mark.parametrize("loss", [squared, cross_entropy], ids=["squared", "ce"])
def test_ggn_against_dense_jax(loss: object) -> None:
    G = ggn(NET, X, THETA, loss)  # type: ignore[arg-type]
    jac = jax_jacobian(NET, X, THETA)
    out = NET(X, THETA)
    if loss is squared:
        H = np.eye(out.size)
    else:
        p = np.exp(out - out.max(1, keepdims=True))
        p /= p.sum(1, keepdims=True)
        H = np.zeros((out.size, out.size))
        for j in range(X.shape[0]):
            block = np.diag(p[j]) - np.outer(p[j], p[j])
            H[2 * j : 2 * j + 2, 2 * j : 2 * j + 2] = block
    dense = jac.T @ H @ jac
    mine = dense_matrix(G, THETA)
    np.testing.assert_allclose(mine, dense, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(mine, mine.T, atol=1e-12)
    assert np.linalg.eigvalsh(mine).min() > -1e-10
    u, v = random_like(rng, THETA), random_like(rng, THETA)
    assert abs(inner(v, G(u)) - inner(G(v), u)) < 1e-10 * (1 + abs(inner(v, G(u))))


def test_loss_hessian_is_the_derivative_of_the_error() -> None:
    out = rng.standard_normal((4, 3))
    y = one_hot(np.array([0, 1, 2, 0]), 3)
    w = rng.standard_normal((4, 3))
    H = loss_hessian(cross_entropy, out)
    h = 1e-6
    diff = (
        cross_entropy.error(out + h * w, y) - cross_entropy.error(out - h * w, y)
    ) / (2 * h)
    np.testing.assert_allclose(H(w), diff, rtol=1e-7, atol=1e-9)
    np.testing.assert_allclose(loss_hessian(squared, out)(w), w)


@pytest.mark.thesis("Proposition F.3.3")
def test_predictive_variance_cg_against_dense() -> None:
    lam = 0.5
    x_new = rng.standard_normal((3, 2))
    jac = jax_jacobian(NET, X, THETA)
    jac_new = jax_jacobian(NET, x_new, THETA)
    A = jac.T @ jac + lam * np.eye(jac.shape[1])
    dense = np.diag(jac_new @ np.linalg.solve(A, jac_new.T)).reshape(3, 2)
    cg = predictive_variance_cg(NET, X, THETA, squared, x_new, lam)
    np.testing.assert_allclose(cg, dense, rtol=1e-8)


def test_conjugate_gradient_solves_a_matrix() -> None:
    from adjnets import LinearMap

    M = rng.standard_normal((6, 6))
    A = M @ M.T + np.eye(6)
    b = rng.standard_normal(6)
    s, k = conjugate_gradient(LinearMap.from_matrix(A), b)
    np.testing.assert_allclose(A @ s, b, rtol=1e-9)
    assert k <= 12


@pytest.mark.thesis("Algorithm F.3.4")
@pytest.mark.parametrize("loss", [squared, cross_entropy], ids=["squared", "ce"])
def test_laplace_matches_the_dense_posterior(loss: object) -> None:
    lam = 0.7
    post = laplace(NET, X, THETA, loss, lam, steps=100, rng=0)  # type: ignore[arg-type]
    assert post.exact
    G = dense_matrix(ggn(NET, X, THETA, loss), THETA)  # type: ignore[arg-type]
    Sigma = np.linalg.inv(G + lam * np.eye(G.shape[0]))
    u = random_like(rng, THETA)
    np.testing.assert_allclose(flat(post.covariance(u)), Sigma @ flat(u), rtol=1e-8)
    x_new = rng.standard_normal((4, 2))
    jac_new = jax_jacobian(NET, x_new, THETA)
    dense = np.diag(jac_new @ Sigma @ jac_new.T).reshape(4, 2)
    np.testing.assert_allclose(post.predictive_variance(x_new), dense, rtol=1e-8)
    probs = post.predictive_probabilities(x_new)
    np.testing.assert_allclose(probs.sum(1), 1.0)
    # another prior precision with the same Ritz pairs
    Sigma2 = np.linalg.inv(G + 3.0 * np.eye(G.shape[0]))
    dense2 = np.diag(jac_new @ Sigma2 @ jac_new.T).reshape(4, 2)
    np.testing.assert_allclose(post.predictive_variance(x_new, 3.0), dense2, rtol=1e-8)


def test_truncated_lanczos_overestimates_nothing_it_captured() -> None:
    post = laplace(NET, X, THETA, squared, 1.0, steps=3, rng=0)
    assert not post.exact and post.eigenvalues.shape == (3,)
    V = post.eigenvectors
    np.testing.assert_allclose(V.T @ V, np.eye(3), atol=1e-12)


def test_expected_calibration_error() -> None:
    p = np.array([[0.9, 0.1], [0.8, 0.2], [0.6, 0.4], [0.3, 0.7]])
    y = np.array([0, 1, 0, 1])
    # bins of width 0.5: all confidences in [0.5, 1): accuracy 3/4, mean conf 0.75
    assert expected_calibration_error(p, y, 2) == pytest.approx(0.0)
    # ten bins: |1-0.9| + |0-0.8| + |1-0.6| + |1-0.7|, over 4
    assert expected_calibration_error(p, y, 10) == pytest.approx(1.6 / 4)


@pytest.mark.thesis("Proposition F.3.5")
def test_dropout_is_self_adjoint_with_mean_identity() -> None:
    z = rng.standard_normal((5, 4))
    mask = rng.random((5, 4)) > 0.3
    drop = Dropout(mask, 0.3)
    lin = drop.linearize(z)
    assert (
        assert_adjoint(lin.D, rng.standard_normal((5, 4)), rng.standard_normal((5, 4)))
        < 1e-12
    )
    np.testing.assert_allclose(lin.D(z), drop(z))
    np.testing.assert_allclose(lin.D.adj(z), lin.D(z))
    # the mean over all masks of D_m is the identity
    n, p = 4, 0.3
    masks = (np.arange(2**n)[:, None] >> np.arange(n)) & 1
    prob = (1 - p) ** masks.sum(1) * p ** (n - masks.sum(1))
    mean = sum(w * Dropout(m, p)(z[0]) for w, m in zip(prob, masks, strict=True))
    np.testing.assert_allclose(mean, z[0], rtol=1e-12)
    # a layer followed by dropout: its gradient by the package's backprop
    net = dropout_network(NET, 1, rng.random((5, 4)) > 0.5, 0.5)
    y = rng.standard_normal((5, 2))

    def J(t: object) -> float:
        return net.loss_and_gradient(X, y, t, squared)[0]

    _, grad = net.loss_and_gradient(X, y, THETA, squared)
    assert assert_gradient(J, grad, THETA, rng) < 1e-7


@pytest.mark.thesis("Proposition F.3.6")
def test_expected_gradient_before_an_affine_layer() -> None:
    net = Network([Dense(2, 5, tanh), Dense(5, 2)])
    theta = net.init(rng)
    y = rng.standard_normal((5, 2))
    p = 0.25
    EJ, Egrad = expected_dropout_loss_and_gradient(net, 1, X, y, theta, squared, p)
    J0, grad0 = net.loss_and_gradient(X, y, theta, squared)
    R = dropout_penalty(net, X, theta, p)
    np.testing.assert_allclose(EJ, J0 + R, rtol=1e-12)
    diff = tree_map(np.subtract, Egrad, grad0)

    def pen(t: object) -> float:
        return dropout_penalty(net, X, t, p)

    assert assert_gradient(pen, diff, theta, rng) < 1e-7


def test_expected_gradient_differs_in_general_and_monte_carlo_converges() -> None:
    y = rng.standard_normal((5, 2))
    p = 0.25
    _, Egrad = expected_dropout_loss_and_gradient(NET, 1, X, y, THETA, squared, p)
    _, grad0 = NET.loss_and_gradient(X, y, THETA, squared)
    gap = np.sqrt(
        inner(tree_map(np.subtract, Egrad, grad0), tree_map(np.subtract, Egrad, grad0))
    )
    assert gap > 1e-3
    _, mc = dropout_loss_and_gradient(NET, 1, X, y, THETA, squared, p, 4000, 0)
    err = np.sqrt(
        inner(tree_map(np.subtract, mc, Egrad), tree_map(np.subtract, mc, Egrad))
    )
    assert err < 0.2 * gap
