"""The dense layer's linearization against JAX: D, grad, D^2, D grad and every hook's adjoint."""

from __future__ import annotations

import numpy as np
import pytest

from adjnets import Dense, DenseParams, identity, relu, sigmoid, softplus, tanh
from adjnets.autodiff import assert_close, dense, jax, jnp, to_jax
from adjnets.calculus.check import assert_adjoint
from adjnets.calculus.spaces import inner, random_like


@pytest.fixture(params=[tanh, sigmoid, softplus, identity, relu], ids=lambda f: f.name)
def case(request):
    rng = np.random.default_rng(8)
    layer = Dense(4, 3, request.param)
    theta = layer.init(rng)
    theta = DenseParams(theta.W, 0.5 * rng.standard_normal(3))
    x = rng.standard_normal((5, 4))
    return rng, layer, theta, x, layer.linearize(x, theta)


def test_value(case):
    _, layer, theta, x, lin = case
    assert_close(lin.output, dense(layer, jnp.asarray(x), to_jax(theta)))
    assert_close(layer(x, theta), lin.output, rtol=0)


@pytest.mark.thesis("Lemma 4.1.2", "Lemma 4.1.3")
def test_state_derivative_and_adjoint(case):
    rng, layer, theta, x, lin = case
    # K = 2 tangents
    v, w = rng.standard_normal((2, 5, 4)), rng.standard_normal((2, 5, 3))

    def f(z):
        return dense(layer, z, to_jax(theta))

    for k in range(2):
        assert_close(
            lin.D(v)[k], jax.jvp(f, (jnp.asarray(x),), (jnp.asarray(v[k]),))[1]
        )
        assert_close(
            lin.D.adj(w)[k], jax.vjp(f, jnp.asarray(x))[1](jnp.asarray(w[k]))[0]
        )
    assert_adjoint(lin.D, v, w)


@pytest.mark.thesis("Lemma 4.1.2", "Lemma 4.1.3")
def test_parameter_derivative_and_adjoint(case):
    rng, layer, theta, x, lin = case
    u, w = random_like(rng, theta), rng.standard_normal((5, 3))

    def f(th):
        return dense(layer, jnp.asarray(x), th)

    assert_close(lin.grad(u), jax.jvp(f, (to_jax(theta),), (to_jax(u),))[1])
    assert_close(lin.grad.adj(w), jax.vjp(f, to_jax(theta))[1](jnp.asarray(w))[0])
    assert_adjoint(lin.grad, u, w)
    # with K cotangents per point the adjoint sums over them: <grad* w, u> = sum_k <w_k, grad u>
    wk = rng.standard_normal((2, 5, 3))
    lhs = sum(float(np.sum(wk[k] * lin.grad(u))) for k in range(2))
    assert inner(lin.grad.adj(wk), u) == pytest.approx(lhs, rel=1e-12)


def test_second_derivative_and_its_hooks(case):
    rng, layer, theta, x, lin = case
    v1, v2, w = (
        rng.standard_normal((5, 4)),
        rng.standard_normal((5, 4)),
        rng.standard_normal((5, 3)),
    )

    def f(z):
        return dense(layer, z, to_jax(theta))

    def directional(z):
        return jax.jvp(f, (z,), (jnp.asarray(v2),))[1]

    expected = jax.jvp(directional, (jnp.asarray(x),), (jnp.asarray(v1),))[1]
    if layer.activation in (identity, relu):
        assert not np.any(lin.D2(v1, v2)) and not np.any(expected)
    else:
        assert_close(lin.D2(v1, v2), expected)
    assert_adjoint(lin.D2.left_hook(v1), v2, w)
    assert_adjoint(lin.D2.right_hook(v2), v1, w)


def test_mixed_derivative_and_its_hooks(case):
    rng, layer, theta, x, lin = case
    v, u, w = (
        rng.standard_normal((5, 4)),
        random_like(rng, theta),
        rng.standard_normal((5, 3)),
    )

    def grad_at(z):
        return jax.jvp(lambda th: dense(layer, z, th), (to_jax(theta),), (to_jax(u),))[
            1
        ]

    # D grad f . (v, u)
    expected = jax.jvp(grad_at, (jnp.asarray(x),), (jnp.asarray(v),))[1]
    assert_close(lin.D_grad(v, u), expected)
    assert_close(lin.D_grad.swap()(u, v), expected)  # grad D f . (u, v)
    assert_adjoint(lin.D_grad.left_hook(v), u, w)
    assert_adjoint(lin.D_grad.right_hook(u), v, w)

    # the adjoint of the hooked map is the derivative of theta-adjoint (Lemma 2.3.2), from JAX
    def adj_at(z):
        return jax.vjp(lambda th: dense(layer, z, th), to_jax(theta))[1](
            jnp.asarray(w)
        )[0]

    assert_close(
        lin.D_grad.left_hook(v).adj(w),
        jax.jvp(adj_at, (jnp.asarray(x),), (jnp.asarray(v),))[1],
    )


def test_shapes_are_checked():
    layer, rng = Dense(4, 3), np.random.default_rng(0)
    theta = layer.init(rng)
    with pytest.raises(
        ValueError, match=r"x of shape \(\.\.\., 4\), got shape \(2, 5\)"
    ):
        layer(np.zeros((2, 5)), theta)
    with pytest.raises(ValueError, match=r"theta.W of shape \(3, 4\)"):
        layer(np.zeros((2, 4)), DenseParams(np.zeros((4, 3)), np.zeros(3)))
    with pytest.raises(ValueError, match=r"x of shape \(\.\.\., 4\)"):
        layer.linearize(np.float64(1.0), theta)


@pytest.mark.parametrize("activation", [tanh, sigmoid, softplus], ids=lambda f: f.name)
def test_then_composes_the_derivatives_of_its_pieces(activation):
    # Then(affine, (Psi,)) is the dense layer: every derivative must agree with the fused one
    from adjnets.networks.layers import Then

    rng = np.random.default_rng(9)
    fused, composed = Dense(4, 3, activation), Then(Dense(4, 3), (activation,))
    theta = DenseParams(rng.standard_normal((3, 4)), rng.standard_normal(3))
    x, v, v2 = rng.standard_normal((3, 5, 4))
    u, w = random_like(rng, theta), rng.standard_normal((5, 3))
    a, b = fused.linearize(x, theta), composed.linearize(x, theta)
    assert_close(b.output, a.output, rtol=1e-15)
    assert_close(b.D(v), a.D(v))
    assert_close(b.D.adj(w), a.D.adj(w))
    assert_close(b.grad.adj(w), a.grad.adj(w))
    assert_close(b.D2(v, v2), a.D2(v, v2))
    assert_close(b.D2.left_hook(v).adj(w), a.D2.left_hook(v).adj(w))
    assert_close(b.D_grad(v, u), a.D_grad(v, u))
    assert_close(b.D_grad.left_hook(v).adj(w), a.D_grad.left_hook(v).adj(w))
    assert_close(b.D_grad.right_hook(u).adj(w), a.D_grad.right_hook(u).adj(w))
    assert_close(composed(x, theta), a.output, rtol=1e-15)


def test_fused_tangent_term_equals_its_two_adjoints(case):
    # Dense fuses grad*(e_t) + (v -| D grad)^*(e_v) into one outer product with x; the plain
    # Linearization computes the two adjoints separately: both must agree.
    rng, _, _, x, lin = case
    v = rng.standard_normal((2, *x.shape))
    e_t, e_v = rng.standard_normal((2, 2, x.shape[0], 3))
    fused = lin.tangent_grad_adjoint(v, e_t, e_v)
    plain = type(lin)(
        lin.output, lin.D, lin.grad, lin.D2, lin.D_grad
    ).tangent_grad_adjoint(v, e_t, e_v)
    separate = [
        a + b
        for a, b in zip(
            lin.grad.adj(e_t), lin.D_grad.left_hook(v).adj(e_v), strict=True
        )
    ]
    assert lin.fused_tangent_grad_adjoint is not None
    assert_close(fused, plain, rtol=1e-13)
    assert_close(fused, separate, rtol=1e-13)
    # e_t without the tangent axis (as the RNN's tangent loss passes it) counts once, not K times
    e_t1 = e_t[0]
    separate1 = [
        a + b
        for a, b in zip(
            lin.grad.adj(e_t1), lin.D_grad.left_hook(v).adj(e_v), strict=True
        )
    ]
    assert_close(lin.tangent_grad_adjoint(v, e_t1, e_v), separate1, rtol=1e-13)
    # a tangent changed in place is not served the cached product v @ W.T of its old value
    before = lin.D(v)
    v *= 2.0
    assert_close(lin.D(v), 2.0 * before, rtol=1e-14)
