"""Parameters on a manifold (Part IV, page F.2; the book's own results): the tangent
projection, the Riemannian gradient of an RNN against JAX, the retractions' derivative
at 0 against JAX, the first-order decrease of a step, training that stays on the
manifold, and the slope bounds of the state gradient (float64, rtol 1e-10 for JAX)."""

from __future__ import annotations

import numpy as np
import pytest

from adjnets import RNNParams, VanillaRNN, identity, squared, tanh
from adjnets.autodiff import assert_close, jax, jnp, rnn_states, to_jax
from adjnets.beyond.manifold import (
    manifold_distance,
    project_tangent,
    random_stiefel,
    retract,
    riemannian_gradient,
    riemannian_step,
    slope_bounds,
    train_orthogonal_rnn,
)
from adjnets.calculus.check import assert_adjoint, assert_directional
from adjnets.calculus.linear import LinearMap
from adjnets.calculus.spaces import inner, norm, tree_map
from adjnets.data.sequences import adding_problem
from adjnets.recurrent.analysis import state_gradient_norms

N, L, NX, NH, NY = 3, 6, 2, 5, 1


def orthogonal_rnn(seed, activation=tanh):
    rng = np.random.default_rng(seed)
    rnn = VanillaRNN(NX, NH, NY, activation)
    p = rnn.init(rng)
    p = p._replace(theta=p.theta._replace(W=random_stiefel(NH, NH, rng)))
    x, y = rng.standard_normal((N, L, NX)), rng.standard_normal((N, L, NY))
    return rnn, p, x, y, rng


def jax_loss(params, x, y):
    """The summed squared loss of the vanilla RNN, written in JAX from (5.23)-(5.24)."""
    H = rnn_states(params, jnp.asarray(x))
    V, c = params[1]
    return 0.5 * jnp.sum((H @ V.T + c - y) ** 2)


# -- Proposition F.2.1: the tangent projection -----------------------------------------


@pytest.mark.thesis("Proposition F.2.1")
@pytest.mark.parametrize("n, p", [(6, 3), (5, 5), (4, 1)])
def test_projection_is_the_orthogonal_projection_onto_the_tangent_space(n, p):
    rng = np.random.default_rng(n * 10 + p)
    W = random_stiefel(n, p, rng)
    V, U = rng.standard_normal((2, n, p))
    T = project_tangent(W, V)
    skew = W.T @ T + T.T @ W
    assert np.abs(skew).max() < 1e-14 * max(1.0, np.abs(V).max())  # tangent
    np.testing.assert_allclose(project_tangent(W, T), T, atol=1e-14)  # idempotent
    P = LinearMap(lambda v: project_tangent(W, v), lambda w: project_tangent(W, w), "P")
    assert_adjoint(P, V, U)  # self-adjoint
    # V - P V is normal: orthogonal to every tangent vector
    assert abs(inner(V - T, project_tangent(W, U))) < 1e-13 * norm(V) * norm(U)


def test_projection_of_a_batch_is_that_of_each_matrix():
    rng = np.random.default_rng(1)
    W = np.stack([random_stiefel(4, 2, rng) for _ in range(3)])
    V = rng.standard_normal((3, 4, 2))
    each = np.stack([project_tangent(W[k], V[k]) for k in range(3)])
    np.testing.assert_allclose(project_tangent(W, V), each, rtol=1e-14, atol=1e-15)
    assert manifold_distance(W).shape == (3,)
    assert np.all(manifold_distance(W) < 1e-14)


def test_random_stiefel_is_on_the_manifold_and_seeded():
    W = random_stiefel(7, 3, 5)
    assert W.shape == (7, 3) and manifold_distance(W) < 1e-14
    np.testing.assert_array_equal(W, random_stiefel(7, 3, 5))


# -- Proposition F.2.2: the Riemannian gradient, against JAX ---------------------------


@pytest.mark.thesis("Proposition F.2.2")
def test_riemannian_gradient_is_the_projection_of_jax_gradient():
    rnn, p, x, y, _ = orthogonal_rnn(2)
    value, g = riemannian_gradient(rnn, x, y, p, squared)
    assert value == pytest.approx(float(jax_loss(to_jax(p), x, y)), rel=1e-12)
    euclid = jax.grad(jax_loss)(to_jax(p), x, y)
    W = jnp.asarray(p.theta.W)
    GW = euclid[0][0]
    expected = ((GW - W @ (0.5 * (W.T @ GW + GW.T @ W)), *euclid[0][1:]), euclid[1])
    assert_close(g, expected)
    # and the projected part is tangent
    assert np.abs(W.T @ g.theta.W + g.theta.W.T @ W).max() < 1e-13


@pytest.mark.thesis("Proposition F.2.2")
def test_riemannian_gradient_represents_the_derivative_along_the_manifold():
    """<grad J, V> = d/dt J(R_W(tV)) for tangent V: the Riemannian gradient is the
    gradient of J restricted to the manifold."""
    rnn, p, x, y, rng = orthogonal_rnn(3)
    _, g = riemannian_gradient(rnn, x, y, p, squared)
    V = project_tangent(p.theta.W, rng.standard_normal((NH, NH)))

    def along(t):
        W = retract(p.theta.W, t * V)
        return rnn.bptt(x, y, p._replace(theta=p.theta._replace(W=W)), squared)[0]

    h = 1e-5
    slope = (along(h) - along(-h)) / (2 * h)
    assert inner(g.theta.W, V) == pytest.approx(slope, rel=1e-7)


# -- Proposition F.2.3: the retractions ------------------------------------------------


def jax_cayley(W, V):
    n = W.shape[0]
    Pi_V = V - 0.5 * W @ (W.T @ V)
    A = Pi_V @ W.T - W @ Pi_V.T
    return jnp.linalg.solve(jnp.eye(n) - 0.5 * A, (jnp.eye(n) + 0.5 * A) @ W)


def jax_qr(W, V):
    Q, R = jnp.linalg.qr(W + V)
    return Q * jnp.sign(jnp.diag(R))


@pytest.mark.thesis("Proposition F.2.3")
@pytest.mark.parametrize("n, p", [(6, 3), (5, 5)])
@pytest.mark.parametrize("method", ["cayley", "qr", "polar"])
def test_retraction_lands_on_the_manifold_and_starts_at_w(method, n, p):
    rng = np.random.default_rng(n + p)
    W = random_stiefel(n, p, rng)
    V = rng.standard_normal((n, p))  # any step, tangent or not
    assert manifold_distance(retract(W, V, method)) < 1e-13
    np.testing.assert_allclose(retract(W, 0 * V, method), W, atol=1e-14)


@pytest.mark.thesis("Proposition F.2.3")
@pytest.mark.parametrize("n, p", [(6, 3), (5, 5)])
@pytest.mark.parametrize("method, jax_map", [("cayley", jax_cayley), ("qr", jax_qr)])
def test_retraction_matches_jax_and_its_derivative_at_zero_is_the_identity(
    method, jax_map, n, p
):
    rng = np.random.default_rng(10 * n + p)
    W = random_stiefel(n, p, rng)
    V = project_tangent(W, rng.standard_normal((n, p)))
    assert_close(retract(W, 0.3 * V, method), jax_map(jnp.asarray(W), 0.3 * V))
    _, tangent = jax.jvp(lambda t: jax_map(jnp.asarray(W), t * V), (0.0,), (1.0,))
    assert_close(tangent, V)  # DR_W(0) . V = V, by JAX


@pytest.mark.thesis("Proposition F.2.3")
def test_polar_retraction_is_the_closed_form_and_starts_with_velocity_v():
    rng = np.random.default_rng(4)
    W = random_stiefel(6, 3, rng)
    V = project_tangent(W, rng.standard_normal((6, 3)))
    # for tangent V, (W + V)^T (W + V) = I + V^T V: the polar factor is explicit
    lam, Q = np.linalg.eigh(np.eye(3) + V.T @ V)
    closed = (W + V) @ (Q / np.sqrt(lam)) @ Q.T
    np.testing.assert_allclose(retract(W, V, "polar"), closed, rtol=1e-12, atol=1e-13)
    assert_directional(
        lambda t: retract(W, t[0] * V, "polar"), V, np.zeros(1), np.ones(1)
    )
    # and the polar factor is the nearest point: closer than Cayley's and QR's
    d = {m: np.linalg.norm(retract(W, V, m) - (W + V)) for m in ("cayley", "qr")}
    assert np.linalg.norm(closed - (W + V)) <= min(d.values())


# -- Proposition F.2.4: the step decreases the loss at first order ---------------------


@pytest.mark.thesis("Proposition F.2.4")
@pytest.mark.parametrize("method", ["cayley", "qr", "polar"])
def test_step_slope_is_minus_the_squared_riemannian_gradient(method):
    rnn, p, x, y, _ = orthogonal_rnn(5)
    value, g = riemannian_gradient(rnn, x, y, p, squared)

    def J(eta):
        return rnn.bptt(x, y, riemannian_step(p, g, eta, method), squared)[0]

    h = 1e-6
    slope = (J(h) - value) / h  # one-sided: the step needs eta > 0
    assert slope == pytest.approx(-(norm(g) ** 2), rel=1e-4)
    assert J(1e-3) < value


@pytest.mark.thesis("Proposition F.2.4")
def test_step_slope_against_jax():
    """d/d eta J(step(eta)) at 0, by JAX through the Cayley retraction, equals
    -||grad J||^2 (1e-10)."""
    rnn, p, x, y, _ = orthogonal_rnn(6)
    _, g = riemannian_gradient(rnn, x, y, p, squared)
    P, G = to_jax(p), to_jax(g)

    def J(eta):
        moved = tree_map(lambda a, b: a - eta * b, P, G)
        W = jax_cayley(P[0][0], -eta * G[0][0])
        return jax_loss(((W, *moved[0][1:]), moved[1]), x, y)

    _, slope = jax.jvp(J, (0.0,), (1.0,))
    assert float(slope) == pytest.approx(-(norm(g) ** 2), rel=1e-10)


@pytest.mark.thesis("Proposition F.2.4")
def test_step_projects_a_euclidean_gradient_first():
    rnn, p, x, y, _ = orthogonal_rnn(7)
    _, g_e = rnn.bptt(x, y, p, squared)
    _, g_r = riemannian_gradient(rnn, x, y, p, squared)
    a, b = riemannian_step(p, g_e, 0.1), riemannian_step(p, g_r, 0.1)
    assert norm(tree_map(np.subtract, a, b)) < 1e-14 * norm(a)


# -- Algorithm F.2.5: training stays on the manifold -----------------------------------


@pytest.mark.thesis("Algorithm F.2.5")
@pytest.mark.parametrize("method", ["cayley", "qr", "polar"])
def test_training_stays_on_the_manifold_and_reduces_the_loss(method):
    x, y, m = adding_problem(64, 8, rng=0)
    rnn = VanillaRNN(2, 6, 1)
    p = rnn.init(np.random.default_rng(1))
    p = p._replace(theta=p.theta._replace(W=random_stiefel(6, 6, 2)))
    trained, history = train_orthogonal_rnn(
        rnn, p, x, y, squared, lr=0.1, epochs=8, batch_size=16, mask=m, method=method
    )
    assert manifold_distance(trained.theta.W) < 1e-12
    assert history[-1] < history[0]
    assert all(np.all(np.isfinite(leaf)) for leaf in (trained.zeta.W, trained.theta.U))


def test_training_is_train_rnn_with_the_riemannian_step():
    """Two epochs by hand, step by step, give the same parameters."""
    x, y, m = adding_problem(32, 6, rng=3)
    rnn = VanillaRNN(2, 4, 1)
    p = rnn.init(np.random.default_rng(4))
    p = p._replace(theta=p.theta._replace(W=random_stiefel(4, 4, 5)))
    trained, _ = train_orthogonal_rnn(
        rnn, p, x, y, squared, lr=0.2, epochs=2, batch_size=16, rng=7, mask=m
    )
    rng, q = np.random.default_rng(7), p
    for _ in range(2):
        order = rng.permutation(32)
        for s in (0, 16):
            idx = order[s : s + 16]
            _, g = riemannian_gradient(rnn, x[idx], y[idx], q, squared, m[idx])
            q = riemannian_step(q, tree_map(lambda a: a / 16, g), 0.2)
    assert norm(tree_map(np.subtract, trained, q)) < 1e-12 * norm(q)


# -- Corollary F.2.6: the slopes alone bound the state gradient ------------------------


@pytest.mark.thesis("Corollary F.2.6")
def test_state_gradient_norms_lie_between_the_slope_bounds():
    rnn, p, x, y, _ = orthogonal_rnn(8)
    lower, upper = slope_bounds(rnn, p, x)
    norms = state_gradient_norms(rnn, p, x, y, squared, per_sequence=True)
    ratio = norms / norms[:, :1]
    assert np.all(lower <= ratio * (1 + 1e-12)) and np.all(ratio <= upper * (1 + 1e-12))
    assert np.all(upper <= 1.0) and np.all(lower > 0)


@pytest.mark.thesis("Corollary F.2.6")
def test_with_a_linear_cell_the_state_gradient_norm_is_constant():
    rnn, p, x, y, _ = orthogonal_rnn(9, activation=identity)
    lower, upper = slope_bounds(rnn, p, x)
    np.testing.assert_array_equal(lower, np.ones_like(lower))
    np.testing.assert_array_equal(upper, np.ones_like(upper))
    norms = state_gradient_norms(rnn, p, x, y, squared, per_sequence=True)
    np.testing.assert_allclose(norms / norms[:, :1], 1.0, rtol=1e-12)


def test_a_non_orthogonal_weight_is_refused_where_the_manifold_is_assumed():
    rnn, p, x, y, _ = orthogonal_rnn(10)
    bad = RNNParams(p.theta._replace(W=1.01 * p.theta.W), p.zeta)
    with pytest.raises(ValueError, match="orthonormal columns"):
        riemannian_gradient(rnn, x, y, bad, squared)
    with pytest.raises(ValueError, match="orthonormal columns"):
        slope_bounds(rnn, bad, x)
