"""Part IV, page F.4: the empirical neural tangent kernel and its infinite-width limit
(the book's own results F.4.1 to F.4.3), checked in float64 against brute-force
Jacobians, JAX (rtol 1e-10), central differences and Monte Carlo."""

from __future__ import annotations

import numpy as np
import pytest

from adjnets import random_like, squared, tanh
from adjnets.autodiff import jax, jnp, network, to_jax
from adjnets.beyond.ntk import (
    NTKNetwork,
    arccos_kernel,
    kernel_movement,
    monte_carlo_ntk,
    relu_ntk_limit,
)
from adjnets.calculus.check import assert_adjoint, assert_directional, assert_gradient


def _jacobian_kernel(model, theta, x, x2):
    """Theta = J J^T from JAX's Jacobian of theta -> F(x; S theta), materialised (one
    Jacobian of the two batches together, then split)."""

    def F(th):
        xs = jnp.asarray(np.concatenate([x, x2]))
        return network(model.net, xs, model.scaling(th)).ravel()

    jac = jax.jacrev(F)(to_jax(theta))
    k, n = model.widths[-1], len(x)
    rows = (n + len(x2)) * k
    flat = np.concatenate([np.asarray(a).reshape(rows, -1) for p in jac for a in p], 1)
    J1, J2 = flat[: n * k], flat[n * k :]
    K = (J1 @ J2.T).reshape(n, k, len(x2), k).transpose(0, 2, 1, 3)
    return K[:, :, 0, 0] if k == 1 else K


@pytest.mark.parametrize(
    ("widths", "activation", "beta"),
    [((3, 7, 1), None, 1.0), ((3, 6, 5, 2), tanh, 0.4), ((2, 9, 1), None, 0.0)],
)
@pytest.mark.thesis("Proposition F.4.1")
def test_kernel_from_gram_matrices_matches_jax_jacobian_products(
    widths, activation, beta
):
    rng = np.random.default_rng(41)
    kw = {} if activation is None else {"activation": activation}
    model = NTKNetwork(widths, beta=beta, **kw)
    theta = model.init(rng)
    x, x2 = rng.standard_normal((5, widths[0])), rng.standard_normal((3, widths[0]))
    K = model.kernel(x, theta, x2)
    expected = _jacobian_kernel(model, theta, x, x2)
    np.testing.assert_allclose(K, expected, rtol=1e-10, atol=1e-12)
    # the kernel of a batch with itself is symmetric and positive semi-definite
    Kxx = model.kernel(x, theta)
    k = widths[-1]
    M = Kxx if k == 1 else Kxx.transpose(0, 2, 1, 3).reshape(5 * k, 5 * k)
    np.testing.assert_allclose(M, M.T, rtol=0, atol=1e-13)
    assert np.linalg.eigvalsh(M).min() > -1e-12 * np.abs(M).max()


@pytest.mark.thesis("Proposition F.4.1")
def test_kernel_is_the_composition_of_the_parameter_derivative_and_its_adjoint():
    rng = np.random.default_rng(42)
    model = NTKNetwork((4, 8, 3), beta=0.5)
    theta = model.init(rng)
    x = rng.standard_normal((6, 4))
    J = model.parameter_derivative(x, theta)
    u = random_like(rng, theta)
    assert_adjoint(J, u, rng.standard_normal((6, 3)))
    assert_directional(lambda t: model(x, t), J(u), theta, u, rtol=1e-7)
    # Theta(x_i, x_j)_{pq} = <grad* F . e_{jq}, grad* F . e_{ip}> = (J J^* e_{jq})_{ip}
    K = model.kernel(x, theta)
    for j, q in [(0, 0), (3, 2), (5, 1)]:
        e = np.zeros((6, 3))
        e[j, q] = 1.0
        np.testing.assert_allclose(K[:, j, :, q], J(J.adj(e)), rtol=1e-12, atol=1e-14)


def test_loss_gradient_in_the_ntk_parameters():
    rng = np.random.default_rng(43)
    model = NTKNetwork((3, 10, 1))
    theta = model.init(rng)
    x, y = rng.standard_normal((7, 3)), rng.standard_normal((7, 1))
    value, grad = model.loss_and_gradient(x, y, theta, squared)
    assert np.isclose(value, squared.value(model(x, theta), y))
    assert_gradient(lambda t: model.loss_and_gradient(x, y, t)[0], grad, theta, rng)


def test_arccos_kernels_closed_forms():
    x = np.array([[1.0, 0.0], [0.0, 2.0], [-3.0, 0.0], [0.0, 0.0]])
    k0, k1 = arccos_kernel(x, order=0), arccos_kernel(x, order=1)
    np.testing.assert_allclose(np.diag(k0)[:3], 1.0)  # angle 0
    np.testing.assert_allclose(k0[0, 1], 0.5)  # right angle
    np.testing.assert_allclose(k0[0, 2], 0.0, atol=1e-15)  # opposite
    np.testing.assert_allclose(k1[1, 1], 4.0)  # ||x||^2
    np.testing.assert_allclose(k1[0, 1], 2.0 / np.pi)  # ||x|| ||x'|| / pi
    assert np.all(k0[3] == 0) and np.all(k1[:, 3] == 0)  # a zero vector


@pytest.mark.thesis("Proposition F.4.2")
def test_limit_against_a_monte_carlo_average_of_random_features():
    """The closed form against a plain average over random weights (independent of
    monte_carlo_ntk): E relu(w.a) relu(w.a') + E v^2 1 1 <a, a'> + beta^2."""
    rng = np.random.default_rng(44)
    x = rng.standard_normal((4, 3))
    beta, m = 0.8, 400_000
    limit = relu_ntk_limit(x, beta=beta)
    a = np.concatenate([x / np.sqrt(3), np.full((4, 1), beta)], axis=1)
    z = a @ rng.standard_normal((4, m))
    r, ind = np.maximum(z, 0), (z > 0).astype(float)
    estimate = (r @ r.T + (a @ a.T) * (ind @ ind.T)) / m + beta**2
    np.testing.assert_allclose(estimate, limit, rtol=0.02)


@pytest.mark.thesis("Proposition F.4.2")
def test_wide_network_kernel_approaches_the_limit():
    rng = np.random.default_rng(45)
    x = rng.standard_normal((5, 2))
    limit = relu_ntk_limit(x, beta=0.5)
    errors = []
    for m in (64, 16384):
        model = NTKNetwork((2, m, 1), beta=0.5)
        K = model.kernel(x, model.init(rng))
        errors.append(np.linalg.norm(K - limit) / np.linalg.norm(limit))
    assert errors[1] < 0.03 and errors[1] < errors[0] / 3


@pytest.mark.thesis("Corollary F.4.3")
def test_monte_carlo_is_unbiased_and_its_error_scales_like_one_over_root_m():
    rng = np.random.default_rng(46)
    x = rng.standard_normal((3, 2))
    limit = relu_ntk_limit(x, x[:2], beta=1.0)
    mean, stderr = monte_carlo_ntk(x, x[:2], beta=1.0, samples=100_000, rng=rng)
    assert mean.shape == stderr.shape == (3, 2)
    assert np.all(np.abs(mean - limit) < 5 * stderr)
    # the standard error halves when the number of units is multiplied by four
    _, small = monte_carlo_ntk(x, beta=1.0, samples=25_000, rng=rng)
    _, large = monte_carlo_ntk(x, beta=1.0, samples=100_000, rng=rng)
    np.testing.assert_allclose(small / large, 2.0, rtol=0.1)
    # the width-m network's kernel is a width-m average: mean-square error sigma^2 / m
    m, trials = 256, 60
    model = NTKNetwork((2, m, 1))
    full = relu_ntk_limit(x)
    squares = [
        np.sum((model.kernel(x, model.init(rng)) - full) ** 2) for _ in range(trials)
    ]
    sigma2 = (large * np.sqrt(100_000)) ** 2
    np.testing.assert_allclose(np.mean(squares), np.sum(sigma2) / m, rtol=0.4)


def test_kernel_moves_less_for_wider_networks():
    rng = np.random.default_rng(47)
    t = np.linspace(0, 2 * np.pi, 8, endpoint=False)
    x = np.stack([np.cos(t), np.sin(t)], axis=1)
    y = np.sin(2 * t)[:, None]
    moves = []
    for m in (16, 1024):
        model = NTKNetwork((2, m, 1))
        result = kernel_movement(model, model.init(rng), x, y, lr=0.5, steps=100)
        assert result.history[-1] < 0.2 * result.history[0]
        moves.append(result.movement)
    assert moves[1] < moves[0] / 3
