"""Chapter 2's rules for derivatives of compositions, against JAX (rtol 1e-10)."""

from __future__ import annotations

import numpy as np
import pytest

from adjnets import Dense, sigmoid, tanh
from adjnets.autodiff import assert_close, dense, jax, jnp, to_jax
from adjnets.calculus.check import assert_adjoint
from adjnets.calculus.derivatives import (
    chain_rule,
    derivative_of_adjoint,
    derivative_of_parameter_adjoint,
    parameter_chain_rule,
    second_order_chain_rule,
)
from adjnets.calculus.spaces import random_like

F_LAYER, G_LAYER = Dense(4, 5, tanh), Dense(5, 3, sigmoid)


@pytest.fixture
def point():
    rng = np.random.default_rng(11)
    theta_f, theta_g = F_LAYER.init(rng), G_LAYER.init(rng)
    x = rng.standard_normal((6, 4))
    lin_f = F_LAYER.linearize(x, theta_f)
    lin_g = G_LAYER.linearize(lin_f.output, theta_g)
    return rng, theta_f, theta_g, x, lin_f, lin_g


def jax_composite(theta_f, theta_g):
    tf, tg = to_jax(theta_f), to_jax(theta_g)
    return lambda z: dense(G_LAYER, dense(F_LAYER, z, tf), tg)


def test_chain_rule(point):
    rng, theta_f, theta_g, x, lin_f, lin_g = point
    v, w = rng.standard_normal((6, 4)), rng.standard_normal((6, 3))
    D = chain_rule(lin_g.D, lin_f.D)
    _, jv = jax.jvp(
        jax_composite(theta_f, theta_g), (jnp.asarray(x),), (jnp.asarray(v),)
    )
    assert_close(D(v), jv)
    assert_adjoint(D, v, w)


@pytest.mark.thesis("Lemma 2.2.1")
def test_second_order_chain_rule(point):
    rng, theta_f, theta_g, x, lin_f, lin_g = point
    v1, v2, w = (
        rng.standard_normal((6, 4)),
        rng.standard_normal((6, 4)),
        rng.standard_normal((6, 3)),
    )
    D2 = second_order_chain_rule(lin_g.D2, lin_g.D, lin_f.D, lin_f.D2)
    comp = jax_composite(theta_f, theta_g)

    def directional(z):
        return jax.jvp(comp, (z,), (jnp.asarray(v2),))[1]

    _, expected = jax.jvp(directional, (jnp.asarray(x),), (jnp.asarray(v1),))
    assert_close(D2(v1, v2), expected)
    assert_close(D2(v2, v1), expected)  # symmetry of the second derivative
    assert_adjoint(D2.left_hook(v1), v2, w)
    assert_adjoint(D2.right_hook(v2), v1, w)


@pytest.mark.thesis("Lemma 2.2.2")
def test_derivative_of_the_adjoint(point):
    rng, theta_f, theta_g, x, lin_f, lin_g = point
    v, w = rng.standard_normal((6, 4)), rng.standard_normal((6, 3))
    tf, tg = to_jax(theta_f), to_jax(theta_g)

    def adjoint_at(z):  # x -> D* g(f(x)) . w
        _, vjp = jax.vjp(lambda s: dense(G_LAYER, s, tg), dense(F_LAYER, z, tf))
        return vjp(jnp.asarray(w))[0]

    _, expected = jax.jvp(adjoint_at, (jnp.asarray(x),), (jnp.asarray(v),))
    assert_close(derivative_of_adjoint(lin_g.D2, lin_f.D, v)(w), expected)


@pytest.mark.thesis("Lemma 2.3.1")
def test_parameter_chain_rule(point):
    rng, theta_f, theta_g, x, lin_f, lin_g = point
    u, w = random_like(rng, theta_f), rng.standard_normal((6, 3))
    grad = parameter_chain_rule(lin_g.D, lin_f.grad)
    tg = to_jax(theta_g)
    _, expected = jax.jvp(
        lambda th: dense(G_LAYER, dense(F_LAYER, jnp.asarray(x), th), tg),
        (to_jax(theta_f),),
        (to_jax(u),),
    )
    assert_close(grad(u), expected)
    assert_adjoint(grad, u, w)


@pytest.mark.thesis("Lemma 2.3.2")
def test_derivative_of_the_parameter_adjoint(point):
    rng, theta_f, _, x, lin_f, _ = point
    v, w = rng.standard_normal((6, 4)), rng.standard_normal((6, 5))

    def grad_adjoint_at(z):  # x -> grad* f(x; theta) . w
        _, vjp = jax.vjp(lambda th: dense(F_LAYER, z, th), to_jax(theta_f))
        return vjp(jnp.asarray(w))[0]

    _, expected = jax.jvp(grad_adjoint_at, (jnp.asarray(x),), (jnp.asarray(v),))
    got = derivative_of_parameter_adjoint(lin_f.D_grad, v)(w)
    assert_close(got, expected)
    # the second form of the lemma: (grad D g |_ v)^* w, with grad D g = (D grad g) swapped
    assert_close(lin_f.D_grad.swap().right_hook(v).adj(w), expected)
