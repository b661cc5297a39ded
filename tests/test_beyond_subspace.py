"""Networks on a subspace (Part IV, page F.1): the book's own Propositions F.1.1, F.1.2,
F.1.4 and Corollary F.1.3, checked by the adjoint identity, against central differences
and against JAX (1e-10)."""

from __future__ import annotations

import numpy as np
import pytest

from adjnets import MLP, cross_entropy, inner, one_hot, random_like, squared, tanh
from adjnets.autodiff import assert_close, jax, jnp, network, to_jax
from adjnets.beyond.subspace import (
    SubspaceNetwork,
    principal_projection,
    random_projection,
)
from adjnets.calculus.check import assert_adjoint, assert_directional, assert_gradient
from adjnets.training.loops import train

N_IN, K, N = 7, 3, 6


def setup(seed: int = 0, loss_out: int = 2):
    rng = np.random.default_rng(seed)
    data = rng.standard_normal((20, N_IN)) @ rng.standard_normal((N_IN, N_IN))
    proj = principal_projection(data, K)
    mlp = MLP((K, 5, 4, loss_out), tanh)
    F = SubspaceNetwork(proj, mlp.network)
    theta = F.init(rng)
    x = rng.standard_normal((N, N_IN))
    return rng, proj, F, theta, x


def jax_F(F, x, th):
    """F(x) = G(U(x - m)) written in JAX from the formula."""
    U, m = jnp.asarray(F.projection.basis), jnp.asarray(F.projection.mean)
    return network(F.network, (x - m) @ U.T, th)


# -- Proposition F.1.1 -----------------------------------------------------------------


@pytest.mark.thesis("Proposition F.1.1")
@pytest.mark.parametrize("kind", ["principal", "random"])
def test_projection_is_a_coisometry(kind):
    rng = np.random.default_rng(1)
    data = rng.standard_normal((30, N_IN))
    proj = (
        principal_projection(data, K)
        if kind == "principal"
        else random_projection(N_IN, K, rng, mean=data.mean(0))
    )
    P, Q = proj.linear, proj.projector
    v, w = rng.standard_normal((4, N_IN)), rng.standard_normal((4, K))
    assert_adjoint(P, v, w)
    assert_adjoint(Q, v, rng.standard_normal((4, N_IN)))
    np.testing.assert_allclose(P(P.adj(w)), w, rtol=0, atol=1e-13)  # P P* = id
    np.testing.assert_allclose(Q(Q(v)), Q(v), rtol=0, atol=1e-13)  # idempotent
    # the projector is self-adjoint: Q* = Q
    np.testing.assert_allclose(Q.adj(v), Q(v), rtol=0, atol=1e-13)
    assert np.all(np.linalg.norm(P(v), axis=1) <= np.linalg.norm(v, axis=1) + 1e-13)
    # v - P*P v is orthogonal to the subspace; lift(proj(x)) is the projection of x
    assert np.allclose(P(v - Q(v)), 0, atol=1e-13)
    x = data[:5]
    np.testing.assert_allclose(proj.lift(proj(x)), proj.mean + Q(x - proj.mean))
    # the affine map's derivative is P (it is affine: exact up to rounding)
    assert_directional(proj, P(v[0]), x[0], v[0], rtol=1e-9)


@pytest.mark.thesis("Proposition F.1.1")
def test_principal_directions_are_those_of_the_centred_data():
    rng = np.random.default_rng(2)
    scales = np.array([5.0, 3.0, 2.0, 0.1, 0.1])
    data = rng.standard_normal((500, 5)) * scales + 7.0
    proj = principal_projection(data, 3)
    np.testing.assert_allclose(proj.mean, data.mean(0))
    # the leading directions of these data are (nearly) the first three axes
    assert np.allclose(np.abs(proj.basis[:, :3]), np.eye(3), atol=0.05)
    # the eigenvectors of the covariance, largest eigenvalues first (signs fixed)
    c = data - data.mean(0)
    eigval, eigvec = np.linalg.eigh(c.T @ c)
    top = eigvec[:, ::-1][:, :3].T
    np.testing.assert_allclose(np.abs(np.sum(top * proj.basis, axis=1)), 1, atol=1e-10)
    assert np.all(proj.basis[np.arange(3), np.abs(proj.basis).argmax(1)] > 0)
    # the variance kept is the sum of the k largest eigenvalues
    kept = np.sum(proj(data) ** 2)
    np.testing.assert_allclose(kept, eigval[::-1][:3].sum(), rtol=1e-10)
    uncentred = principal_projection(data, 3, center=False)
    assert np.all(uncentred.mean == 0)


def test_random_projection_is_reproducible():
    a, b = random_projection(9, 4, 3), random_projection(9, 4, np.random.default_rng(3))
    np.testing.assert_array_equal(a.basis, b.basis)
    assert a.basis.shape == (4, 9) and np.all(a.mean == 0)


# -- Proposition F.1.2 -----------------------------------------------------------------


@pytest.mark.thesis("Proposition F.1.2")
def test_derivatives_of_a_network_on_a_subspace():
    rng, proj, F, theta, x = setup()
    lin = F.linearize(x, theta)
    np.testing.assert_allclose(lin.output, F(x, theta), rtol=1e-14)
    v, w = rng.standard_normal(x.shape), rng.standard_normal(lin.output.shape)
    u = random_like(rng, theta)
    assert_directional(lambda z: F(z, theta), lin.D(v), x, v, rtol=1e-7)
    assert_directional(lambda t: F(x, t), lin.grad(u), theta, u, rtol=1e-7)
    assert_adjoint(lin.D, v, w)
    assert_adjoint(lin.grad, u, w)
    # DF = DG . P and D*F = P* . D*G
    z = proj(x)
    fwd = F.network.forward(z, theta)
    np.testing.assert_allclose(
        lin.D.adj(w), proj.linear.adj(F.network.input_cotangent(fwd, w)), rtol=1e-14
    )
    # D*F takes values in the subspace: P*P leaves it unchanged
    np.testing.assert_allclose(
        proj.projector(lin.D.adj(w)), lin.D.adj(w), rtol=1e-12, atol=1e-14
    )


@pytest.mark.thesis("Proposition F.1.2")
def test_derivatives_against_jax():
    rng, _, F, theta, x = setup(3)
    lin = F.linearize(x, theta)
    th = to_jax(theta)
    v, w = rng.standard_normal(x.shape), rng.standard_normal(lin.output.shape)
    u = random_like(rng, theta)

    def f_x(z):
        return jax_F(F, z, th)

    out, jvp = jax.jvp(f_x, (jnp.asarray(x),), (jnp.asarray(v),))
    assert_close(lin.output, out)
    assert_close(lin.D(v), jvp)
    _, vjp = jax.vjp(f_x, jnp.asarray(x))
    assert_close(lin.D.adj(w), vjp(jnp.asarray(w))[0])

    def f_theta(t):
        return jax_F(F, jnp.asarray(x), t)

    _, jvp_t = jax.jvp(f_theta, (th,), (to_jax(u),))
    assert_close(lin.grad(u), jvp_t)
    _, vjp_t = jax.vjp(f_theta, th)
    assert_close(lin.grad.adj(w), vjp_t(jnp.asarray(w))[0])


# -- Corollary F.1.3 -------------------------------------------------------------------


@pytest.mark.thesis("Corollary F.1.3")
@pytest.mark.parametrize("loss", [squared, cross_entropy], ids=["squared", "ce"])
def test_loss_gradient_against_jax(loss):
    rng, proj, F, theta, x = setup(4)
    y = (
        one_hot(rng.integers(0, 2, N), 2)
        if loss is cross_entropy
        else rng.standard_normal((N, 2))
    )
    value, grad = F.loss_and_gradient(x, y, theta, loss, weight_decay=0.01)
    assert_gradient(
        lambda t: F.loss_and_gradient(x, y, t, loss, 0.01)[0], grad, theta, rng
    )

    def J(t):
        out = jax_F(F, jnp.asarray(x), t)
        data = (
            -jnp.sum(y * jax.nn.log_softmax(out, axis=-1))
            if loss is cross_entropy
            else 0.5 * jnp.sum((out - y) ** 2)
        )
        return data + 0.005 * sum(jnp.sum(a**2) for a in jax.tree_util.tree_leaves(t))

    assert abs(value - float(J(to_jax(theta)))) <= 1e-10 * abs(value)
    assert_close(grad, jax.grad(J)(to_jax(theta)))
    # the same as G's gradient at the projected points
    value_G, grad_G = F.network.loss_and_gradient(proj(x), y, theta, loss, 0.01)
    assert value == value_G
    assert_close(grad, grad_G, rtol=0)


@pytest.mark.thesis("Corollary F.1.3")
def test_training_f_is_training_g_on_projected_points():
    rng, proj, F, theta, x = setup(5)
    y = one_hot(rng.integers(0, 2, N), 2)
    th_F, h_F = train(F, theta, x, y, cross_entropy, lr=0.2, epochs=5)
    th_G, h_G = train(F.network, theta, proj(x), y, cross_entropy, lr=0.2, epochs=5)
    assert_close(th_F, th_G, rtol=1e-14)
    np.testing.assert_allclose(h_F, h_G, rtol=1e-14)
    stepped, value = F.gradient_step(x, y, theta, 0.1, cross_entropy)
    assert np.isfinite(value) and len(stepped) == len(theta)


# -- Proposition F.1.4 -----------------------------------------------------------------


@pytest.mark.thesis("Proposition F.1.4")
@pytest.mark.parametrize("loss", [squared, cross_entropy], ids=["squared", "ce"])
def test_tangent_loss_on_a_subspace_against_jax(loss):
    rng, proj, F, theta, x = setup(6)
    y = (
        one_hot(rng.integers(0, 2, N), 2)
        if loss is cross_entropy
        else rng.standard_normal((N, 2))
    )
    v = rng.standard_normal((2, *x.shape))
    beta = 0.1 * rng.standard_normal((2, N, 2))
    mu = 0.7
    value, grad = F.tangent_loss_and_gradient(x, y, v, beta, theta, mu, loss)
    R = F.tangent_penalty(x, v, beta, theta)

    def objective(t):
        out = jax_F(F, jnp.asarray(x), t)
        data = (
            -jnp.sum(y * jax.nn.log_softmax(out, axis=-1))
            if loss is cross_entropy
            else 0.5 * jnp.sum((out - y) ** 2)
        )
        # DF(x) . v_k by a JVP of F itself (through the projection), k = 1, 2
        tangents = [
            jax.jvp(lambda z: jax_F(F, z, t), (jnp.asarray(x),), (jnp.asarray(vk),))[1]
            for vk in v
        ]
        penalty = sum(
            jnp.sum((dk - bk) ** 2) for dk, bk in zip(tangents, beta, strict=True)
        )
        return data + mu * 0.5 * penalty / len(v), 0.5 * penalty / len(v)

    jax_value, jax_R = objective(to_jax(theta))
    assert abs(value - float(jax_value)) <= 1e-10 * abs(value)
    assert abs(R - float(jax_R)) <= 1e-10 * abs(R)
    assert_close(grad, jax.grad(lambda t: objective(t)[0])(to_jax(theta)))
    # G's tangent loss with the projected tangents P v
    value_G, grad_G = F.network.tangent_loss_and_gradient(
        proj(x), y, proj.linear(v), beta, theta, mu, loss
    )
    assert value == value_G
    assert_close(grad, grad_G, rtol=0)


@pytest.mark.thesis("Proposition F.1.4")
def test_tangents_orthogonal_to_the_subspace_are_invisible():
    rng, proj, F, theta, x = setup(7)
    v = rng.standard_normal((1, *x.shape))
    normal = v - proj.projector(v)  # the part of v orthogonal to the subspace
    beta = np.zeros((1, N, 2))
    assert F.tangent_penalty(x, normal, beta, theta) < 1e-28
    lin = F.linearize(x, theta)
    np.testing.assert_allclose(lin.D(v[0]), lin.D(proj.projector(v[0])), atol=1e-14)
    assert inner(lin.D(normal[0]), lin.D(normal[0])) < 1e-28
