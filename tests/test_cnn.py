"""Section 4.2, the CNN: the thesis's literal definitions, the vectorised maps, and
JAX (rtol 1e-10)."""

from __future__ import annotations

import dataclasses
import itertools

import numpy as np
import pytest

from adjnets import (
    Dense,
    Elementwise,
    cross_entropy,
    leaky_relu,
    one_hot,
    relu,
    softplus,
    squared,
    tanh,
)
from adjnets.autodiff import assert_close, jax, jnp, to_jax
from adjnets.autodiff import conv2d as jax_conv
from adjnets.autodiff import max_pool2d as jax_pool
from adjnets.autodiff import network as jax_network
from adjnets.calculus.check import assert_adjoint
from adjnets.calculus.spaces import inner, leaves, random_like, tree_map
from adjnets.networks.layers import Then, _evaluation_order
from adjnets.specific.cnn.layers import (
    Conv2d,
    ConvParams,
    Flatten,
    MaxPool2d,
    cnn,
    conv_filter_adjoint,
    conv_input_adjoint,
    conv_layer,
    conv_output_size,
    convolution,
    convolve,
    crops,
    thesis_filter,
)
from adjnets.specific.cnn.operators import (
    crop,
    crop_adjoint,
    embed,
    gamma,
    gamma_prime,
    kappa,
    max_derivative,
    thesis_convolve,
    thesis_filter_adjoint,
    thesis_input_adjoint,
    thesis_max,
    thesis_pool,
    thesis_pool_adjoint,
    thesis_pool_derivative,
    window_argmax,
)

# -- literal definitions: cropping and embedding ----------------------------------------------


@pytest.mark.thesis("Lemma 4.2.1")
def test_the_adjoint_of_cropping_is_embedding_in_every_channel():
    rng = np.random.default_rng(0)
    n, ell, m, p, q = 5, 4, 3, 2, 3
    x = rng.standard_normal((n, ell, m))
    for k, l in itertools.product(range(1, n - p + 2), range(1, ell - q + 2)):
        y = rng.standard_normal((p, q))
        # kappa* = Em (proof of Lemma 4.2.1), and K*(y) = sum_j Em(y) (x) e_j
        z = rng.standard_normal((n, ell))
        assert np.vdot(y, kappa(z, k, l, p, q)) == pytest.approx(
            np.vdot(embed(y, k, l, n, ell), z), rel=1e-13
        )
        adj = crop_adjoint(y, k, l, (n, ell, m))
        assert np.vdot(y, crop(x, k, l, p, q)) == pytest.approx(
            np.vdot(adj, x), rel=1e-13
        )
        for j in range(m):
            np.testing.assert_array_equal(adj[..., j], embed(y, k, l, n, ell))
    # Em embeds into the zero matrix at (k, l)
    E = embed(np.arange(1.0, 7.0).reshape(2, 3), 2, 1, 4, 4)
    np.testing.assert_array_equal(E[1:3, 0:3], [[1, 2, 3], [4, 5, 6]])
    assert E.sum() == 21


@pytest.mark.parametrize("stride", [1, 2, 3])
@pytest.mark.parametrize(
    "shape,kernel", [((6, 7, 2), (3, 2)), ((5, 5, 3), (2, 2)), ((7, 4, 1), (1, 3))]
)
def test_vectorised_crops_equal_the_literal_definition(shape, kernel, stride):
    rng = np.random.default_rng(1)
    x = rng.standard_normal((2, *shape))  # a batch of 2
    p, q = kernel
    X = crops(x, kernel, stride)
    nh, lh = (shape[0] - p) // stride + 1, (shape[1] - q) // stride + 1
    assert X.shape == (2, nh, lh, p, q, shape[2])
    assert np.shares_memory(X, x)  # a strided view: no copy
    for b, k, l in itertools.product(range(2), range(1, nh + 1), range(1, lh + 1)):
        top_left = gamma(k, l, stride)
        for j in range(shape[2]):  # per channel: kappa (4.13)
            np.testing.assert_array_equal(
                X[b, k - 1, l - 1, ..., j], kappa(x[b, ..., j], *top_left, p, q)
            )
        # summed over channels: the thesis's cropping operator K (4.12)
        np.testing.assert_allclose(
            X[b, k - 1, l - 1].sum(-1), crop(x[b], *top_left, p, q), rtol=1e-14
        )


@pytest.mark.thesis("Lemma 4.2.6")
def test_cropping_against_a_basis_element():
    # <kappa_{gamma(k,l,r)}(z), E_{k',l'}> = <z, E_{gamma'(k,l,k',l',r)}>, for every window
    # (k, l) in [n2] x [l2] (here 3 x 4, windows beyond the [r] x [r] of the printed statement)
    z = np.random.default_rng(2).standard_normal((7, 9))
    r = 2
    for k, l in itertools.product(range(1, 7 // r + 1), range(1, 9 // r + 1)):
        window = kappa(z, *gamma(k, l, r), r, r)
        for k_, l_ in itertools.product(range(1, r + 1), repeat=2):
            i, j = gamma_prime(k, l, k_, l_, r)
            assert window[k_ - 1, l_ - 1] == z[i - 1, j - 1]
    assert gamma_prime(3, 2, 1, 3, 3) == (7, 6)


# -- the thesis's convolution and the general one ------------------------------------------------


@pytest.mark.parametrize("stride", [1, 2])
def test_the_thesis_convolution_is_the_general_one_with_a_channel_shared_filter(stride):
    rng = np.random.default_rng(3)
    x, W = rng.standard_normal((6, 5, 3)), rng.standard_normal((3, 2, 4))
    expected = convolve(thesis_filter(W, 3), x, stride)
    assert expected.shape == (
        conv_output_size(6, 3, stride),
        conv_output_size(5, 2, stride),
        4,
    )
    np.testing.assert_allclose(thesis_convolve(W, x, stride), expected, rtol=1e-13)
    # ... so it sees only the sum of the input channels
    x_summed = np.zeros_like(x)
    x_summed[..., 0] = x.sum(-1)
    np.testing.assert_allclose(
        thesis_convolve(W, x_summed, stride), expected, rtol=1e-12
    )


@pytest.mark.thesis("Theorem 4.2.2")
@pytest.mark.parametrize("stride", [1, 2])
def test_the_thesis_filter_adjoint(stride):
    rng = np.random.default_rng(4)
    x, U = rng.standard_normal((6, 5, 3)), rng.standard_normal((3, 2, 4))
    y = rng.standard_normal(thesis_convolve(U, x, stride).shape)
    got = thesis_filter_adjoint(x, y, (3, 2), stride)
    assert np.vdot(got, U) == pytest.approx(
        np.vdot(y, thesis_convolve(U, x, stride)), rel=1e-12
    )
    # the general filter gradient, pulled back through thesis_filter (whose adjoint sums over m1)
    np.testing.assert_allclose(
        got, conv_filter_adjoint(x, y, (3, 2), stride).sum(axis=2), rtol=1e-12
    )


@pytest.mark.thesis("Theorem 4.2.3")
@pytest.mark.parametrize("stride", [1, 2])
def test_the_thesis_input_adjoint(stride):
    rng = np.random.default_rng(5)
    x, W = rng.standard_normal((6, 5, 3)), rng.standard_normal((3, 2, 4))
    z = rng.standard_normal(thesis_convolve(W, x, stride).shape)
    got = thesis_input_adjoint(W, z, x.shape, stride)
    assert np.vdot(got, x) == pytest.approx(
        np.vdot(z, thesis_convolve(W, x, stride)), rel=1e-12
    )
    np.testing.assert_allclose(
        got, conv_input_adjoint(thesis_filter(W, 3), z, (6, 5), stride), rtol=1e-12
    )


CONV_CASES = [(1, (0, 0)), (1, (1, 1)), (2, (0, 0)), (2, (1, 1)), (3, (1, 0))]


@pytest.mark.thesis("Theorem 4.2.2", "Theorem 4.2.3")
@pytest.mark.parametrize("stride,pad", CONV_CASES)
def test_both_hooks_of_the_convolution_have_their_adjoints(stride, pad):
    rng = np.random.default_rng(6)
    # K = 2, N = 3
    x, W = rng.standard_normal((2, 3, 7, 6, 2)), rng.standard_normal((3, 2, 2, 4))
    C = convolution((7, 6), (3, 2), stride, pad)
    z = rng.standard_normal(C(W, x).shape)
    assert_adjoint(C.left_hook(W), x, z)  # (W -| C)*: the transposed convolution
    # (C |_ x)*: the filter gradient, summed over K and N
    assert_adjoint(C.right_hook(x), W, z)
    # the bilinear identity the two hooks share
    assert np.vdot(z, C(W, x)) == pytest.approx(
        np.vdot(C.left_adjoint(W, z), x), rel=1e-12
    )


# -- the convolution layer against JAX -------------------------------------------------------------


@pytest.fixture(params=CONV_CASES, ids=lambda c: f"stride{c[0]}-pad{c[1][0]}{c[1][1]}")
def conv_case(request):
    stride, pad = request.param
    rng = np.random.default_rng(7)
    layer = Conv2d(2, 4, (3, 2), stride, pad)
    theta = ConvParams(rng.standard_normal(layer.filter_shape), rng.standard_normal(4))
    # 7 x 6 is not divisible by the strides 2 and 3
    x = rng.standard_normal((3, 7, 6, 2))
    return rng, layer, theta, x, layer.linearize(x, theta)


def _conv_of(layer, theta=None, x=None):
    if theta is None:
        return lambda th: jax_conv(
            jnp.asarray(x), th[0], th[1], layer.stride, layer.pad
        )
    return lambda z: jax_conv(z, *to_jax(theta), layer.stride, layer.pad)


def test_conv_layer_value_and_output_size(conv_case):
    _, layer, theta, x, lin = conv_case
    expected = _conv_of(layer, theta)(jnp.asarray(x))
    assert_close(lin.output, expected)
    assert_close(layer(x, theta), expected)
    s, (ph, pw) = layer.stride, layer.pad
    assert lin.output.shape == (
        3,
        (7 + 2 * ph - 3) // s + 1,
        (6 + 2 * pw - 2) // s + 1,
        4,
    )
    assert lin.output.shape[1:] == layer.output_shape((7, 6, 2))


@pytest.mark.thesis("Theorem 4.2.3")
def test_conv_layer_state_derivative_and_adjoint(conv_case):
    rng, layer, theta, x, lin = conv_case
    f = _conv_of(layer, theta)
    v, w = (
        rng.standard_normal((2, *x.shape)),
        rng.standard_normal((2, *lin.output.shape)),
    )
    _, vjp = jax.vjp(f, jnp.asarray(x))
    for k in range(2):  # K = 2 tangents per point
        assert_close(
            lin.D(v)[k], jax.jvp(f, (jnp.asarray(x),), (jnp.asarray(v[k]),))[1]
        )
        assert_close(lin.D.adj(w)[k], vjp(jnp.asarray(w[k]))[0])
    assert_adjoint(lin.D, v, w)


@pytest.mark.thesis("Theorem 4.2.2")
def test_conv_layer_parameter_derivative_and_adjoint(conv_case):
    rng, layer, theta, x, lin = conv_case
    f = _conv_of(layer, x=x)
    u, w = random_like(rng, theta), rng.standard_normal(lin.output.shape)
    assert_close(lin.grad(u), jax.jvp(f, (to_jax(theta),), (to_jax(u),))[1])
    _, vjp = jax.vjp(f, to_jax(theta))
    assert_close(lin.grad.adj(w), vjp(jnp.asarray(w))[0])
    assert_adjoint(lin.grad, u, w)
    # K cotangents per point: the adjoint sums over them
    wk = rng.standard_normal((2, *lin.output.shape))
    assert_close(
        lin.grad.adj(wk),
        tree_map(np.add, lin.grad.adj(wk[0]), lin.grad.adj(wk[1])),
        rtol=1e-13,
    )


def test_conv_layer_second_and_mixed_derivatives(conv_case):
    rng, layer, theta, x, lin = conv_case
    v, v2 = rng.standard_normal((2, *x.shape))
    u, w = random_like(rng, theta), rng.standard_normal(lin.output.shape)
    f = _conv_of(layer, theta)

    def directional(z):
        return jax.jvp(f, (z,), (jnp.asarray(v2),))[1]

    d2 = jax.jvp(directional, (jnp.asarray(x),), (jnp.asarray(v),))[1]
    assert not np.any(d2) and not np.any(lin.D2(v, v2))  # affine in x: D^2 = 0
    assert lin.D2(v, v2).shape == lin.output.shape

    def grad_at(z):
        return jax.jvp(
            lambda th: jax_conv(z, th[0], th[1], layer.stride, layer.pad),
            (to_jax(theta),),
            (to_jax(u),),
        )[1]

    # D grad h . (v, u) = C(U, v)
    expected = jax.jvp(grad_at, (jnp.asarray(x),), (jnp.asarray(v),))[1]
    assert_close(lin.D_grad(v, u), expected)
    assert_adjoint(lin.D_grad.left_hook(v), u, w)
    assert_adjoint(lin.D_grad.right_hook(u), v, w)
    assert_adjoint(lin.D2.left_hook(v), v2, w)


# -- max-pooling ----------------------------------------------------------------------------------


@pytest.mark.thesis("Lemma 4.2.4")
def test_derivative_of_max():
    rng = np.random.default_rng(8)
    z, v = rng.standard_normal((2, 3, 3))
    assert thesis_max(z) == z.max()
    # a unique maximiser: JAX's derivative is one-hot there
    grad = jax.grad(jnp.max)(jnp.asarray(z))
    assert max_derivative(z, v) == pytest.approx(float(jnp.sum(grad * v)), rel=1e-15)
    assert max_derivative(z, v) == v[np.unravel_index(z.argmax(), z.shape)]


@pytest.mark.thesis("Remark 4.2.5")
def test_ties_go_to_the_first_maximiser_in_row_major_order():
    # no JAX here: its tie rule (splitting the derivative) differs from ours, on purpose
    window = np.array([[1.0, 3.0], [3.0, 0.0]])
    assert window_argmax(window) == (1, 2)
    assert window_argmax(np.full((3, 3), 2.0)) == (1, 1)
    assert max_derivative(window, np.array([[0.0, 5.0], [7.0, 0.0]])) == 5.0
    # the same rule inside MaxPool2d: the whole cotangent goes to the first maximiser
    y = np.zeros((1, 4, 4, 1))
    y[0, :2, :2, 0] = window
    y[0, 2:, 2:, 0] = 2.0  # a window of four equal maxima
    lin = MaxPool2d(2).linearize(y)
    back = lin.D.adj(np.ones((1, 2, 2, 1)))[0, ..., 0]
    assert back[0, 1] == 1.0 and back[1, 0] == 0.0
    assert back[2, 2] == 1.0 and back[2:, 2:].sum() == 1.0
    v = np.arange(16.0).reshape(1, 4, 4, 1)
    assert (
        lin.D(v)[0, 0, 0, 0] == v[0, 0, 1, 0] and lin.D(v)[0, 1, 1, 0] == v[0, 2, 2, 0]
    )
    # and in the thesis's formulas (4.24), (4.26)
    np.testing.assert_array_equal(
        thesis_pool_adjoint(y[0, ..., 0], np.ones((2, 2)), 2), back
    )


@pytest.fixture(
    params=[(2, (3, 7, 6, 2)), (3, (2, 6, 8, 3))], ids=["r2-odd", "r3-remainder"]
)
def pool_case(request):
    r, shape = request.param
    rng = np.random.default_rng(9)
    y = rng.standard_normal(shape)  # continuous random entries: no ties
    return rng, MaxPool2d(r), y, MaxPool2d(r).linearize(y)


@pytest.mark.thesis("Theorem 4.2.7", "Lemma 4.2.4")
def test_max_pooling_against_jax(pool_case):
    rng, pool, y, lin = pool_case

    def f(z):
        return jax_pool(z, pool.r)

    assert_close(lin.output, f(jnp.asarray(y)), rtol=0)
    assert_close(pool(y), lin.output, rtol=0)
    n, ell = y.shape[1:3]
    assert lin.output.shape[1:3] == (n // pool.r, ell // pool.r)
    v, w = (
        rng.standard_normal((2, *y.shape)),
        rng.standard_normal((2, *lin.output.shape)),
    )
    _, vjp = jax.vjp(f, jnp.asarray(y))
    for k in range(2):
        assert_close(
            lin.D(v)[k], jax.jvp(f, (jnp.asarray(y),), (jnp.asarray(v[k]),))[1]
        )
        assert_close(lin.D.adj(w)[k], vjp(jnp.asarray(w[k]))[0])
    assert_adjoint(lin.D, v, w)
    # the dropped rows and columns get no cotangent
    back = lin.D.adj(w)
    assert not np.any(back[..., (n // pool.r) * pool.r :, :, :])
    assert not np.any(back[..., (ell // pool.r) * pool.r :, :])
    # D^2 = 0 (piecewise linear), as JAX's second derivative away from ties
    d2 = jax.jvp(
        lambda z: jax.jvp(f, (z,), (jnp.asarray(v[0]),))[1],
        (jnp.asarray(y),),
        (jnp.asarray(v[1]),),
    )[1]
    assert not np.any(d2) and not np.any(lin.D2(v[0], v[1]))
    assert_adjoint(lin.D2.left_hook(v[0]), v[1], w[0])


@pytest.mark.thesis("Theorem 4.2.7", "Lemma 4.2.6")
def test_max_pooling_is_the_thesis_formula_channel_by_channel(pool_case):
    rng, pool, y, lin = pool_case
    v, z = rng.standard_normal(y.shape), rng.standard_normal(lin.output.shape)
    for b, j in itertools.product(range(y.shape[0]), range(y.shape[-1])):
        # (4.18)-(4.19)
        np.testing.assert_array_equal(
            lin.output[b, ..., j], thesis_pool(y[b, ..., j], pool.r)
        )
        np.testing.assert_array_equal(
            lin.D(v)[b, ..., j],
            thesis_pool_derivative(y[b, ..., j], v[b, ..., j], pool.r),
        )
        # (4.27)
        np.testing.assert_array_equal(
            lin.D.adj(z)[b, ..., j],
            thesis_pool_adjoint(y[b, ..., j], z[b, ..., j], pool.r),
        )


def test_flatten_and_its_adjoint():
    rng = np.random.default_rng(10)
    z = rng.standard_normal((3, 4, 5, 2))
    lin = Flatten().linearize(z)
    np.testing.assert_array_equal(lin.output, z.reshape(3, 40))
    v, w = rng.standard_normal((2, 3, 4, 5, 2)), rng.standard_normal((2, 3, 40))
    assert lin.D(v).shape == (2, 3, 40)
    assert assert_adjoint(lin.D, v, w) < 1e-15
    # an isometry: the adjoint is the inverse
    np.testing.assert_array_equal(lin.D.adj(lin.D(v)), v)
    assert lin.D2.left_hook(v).adj(w).shape == v.shape and not np.any(lin.D2(v, v))


# -- the CNN layer and the CNN ------------------------------------------------------------------


@pytest.mark.thesis("Theorem 4.2.8")
@pytest.mark.parametrize("pool", [1, 2])
def test_cnn_layer_derivatives(pool):
    rng = np.random.default_rng(11)
    layer = conv_layer(2, 3, 3, tanh, pool, stride=1, pad=1)
    assert isinstance(layer, Then) and isinstance(layer.first, Conv2d)
    theta = ConvParams(rng.standard_normal((3, 3, 2, 3)), rng.standard_normal(3))
    x = rng.standard_normal((2, 5, 5, 2))
    lin = layer.linearize(x, theta)

    def f(z, th):
        out = jnp.tanh(jax_conv(z, th[0], th[1], 1, (1, 1)))
        return jax_pool(out, pool) if pool > 1 else out

    assert_close(lin.output, f(jnp.asarray(x), to_jax(theta)))
    w, v = rng.standard_normal(lin.output.shape), rng.standard_normal(x.shape)
    _, vjp_x = jax.vjp(lambda z: f(z, to_jax(theta)), jnp.asarray(x))
    _, vjp_th = jax.vjp(lambda th: f(jnp.asarray(x), th), to_jax(theta))
    assert_close(
        lin.D(v),
        jax.jvp(lambda z: f(z, to_jax(theta)), (jnp.asarray(x),), (jnp.asarray(v),))[1],
    )
    assert_close(lin.D.adj(w), vjp_x(jnp.asarray(w))[0])
    assert_close(lin.grad.adj(w), vjp_th(jnp.asarray(w))[0])
    # the formulas (4.32)-(4.33), with the hooks the right way round:
    #   D* f = (W -| C)* . D Psi(z) . D* Phi(Psi(z)),
    #   grad*_W f = (C |_ x)* . D Psi(z) . D* Phi(Psi(z))
    z = convolve(theta.W, x, 1, 1) + theta.b
    back = w if pool == 1 else MaxPool2d(pool).linearize(np.tanh(z)).D.adj(w)
    back = tanh.derivative(z) * back
    assert_close(
        lin.D.adj(w), conv_input_adjoint(theta.W, back, (5, 5), 1, 1), rtol=1e-13
    )
    assert_close(lin.grad.adj(w).W, conv_filter_adjoint(x, back, 3, 1, 1), rtol=1e-13)


JAX_ACTIVATIONS = {
    "tanh": jnp.tanh,
    "relu": jax.nn.relu,
    "softplus": jax.nn.softplus,
    "leaky_relu(0.1)": lambda z: jnp.where(z > 0, z, 0.1 * z),
}


@pytest.mark.thesis("Proposition P.1")
@pytest.mark.parametrize("psi", [tanh, relu, softplus, leaky_relu(0.1)], ids=str)
def test_pooling_commutes_with_a_nondecreasing_activation(psi):
    rng = np.random.default_rng(13)
    swapped = conv_layer(2, 3, 2, psi, 2)
    as_printed = Then(
        swapped.first, (dataclasses.replace(psi, nondecreasing=False), MaxPool2d(2))
    )
    assert [type(g) for g in swapped._order] == [MaxPool2d, Elementwise]
    assert as_printed._order == as_printed.maps
    theta = ConvParams(rng.standard_normal((2, 2, 2, 3)), rng.standard_normal(3))
    x = rng.standard_normal((4, 9, 9, 2))
    a, b = swapped.linearize(x, theta), as_printed.linearize(x, theta)
    v, v2 = rng.standard_normal(x.shape), rng.standard_normal(x.shape)
    u = random_like(rng, theta)
    w = rng.standard_normal(a.output.shape)
    pairs = [
        (a.output, b.output),
        (swapped(x, theta), a.output),
        (a.D(v), b.D(v)),
        (a.D.adj(w), b.D.adj(w)),
        (a.grad(u), b.grad(u)),
        (a.D2(v, v2), b.D2(v, v2)),
        (a.D_grad(v, u), b.D_grad(v, u)),
        *zip(leaves(a.grad.adj(w)), leaves(b.grad.adj(w)), strict=True),
    ]
    for left, right in pairs:
        assert_close(left, right, rtol=1e-13)
    # and both against JAX, which differentiates the thesis's order
    act = JAX_ACTIVATIONS[psi.name]

    def f(z, th):
        return jax_pool(act(jax_conv(z, th[0], th[1], 1, (0, 0))), 2)

    _, vjp = jax.vjp(f, jnp.asarray(x), to_jax(theta))
    dx, dth = vjp(jnp.asarray(w))
    assert_close(a.D.adj(w), dx)
    assert_close(a.grad.adj(w), dth)


def test_evaluation_order_moves_only_a_nondecreasing_activation_before_pooling():
    pool, flat = MaxPool2d(2), Flatten()
    unmarked = dataclasses.replace(tanh, nondecreasing=False)
    assert _evaluation_order((tanh, pool)) == (pool, tanh)
    assert _evaluation_order((unmarked, pool)) == (unmarked, pool)
    assert _evaluation_order((tanh, flat)) == (tanh, flat)
    assert _evaluation_order((pool, tanh)) == (pool, tanh)
    assert _evaluation_order((relu, pool, tanh, pool)) == (pool, relu, pool, tanh)
    with pytest.raises(TypeError, match="nondecreasing"):
        Elementwise("odd", np.sin, np.cos, np.sin, nondecreasing="no")


@pytest.fixture
def small_cnn():
    """Two convolution layers (tanh, then softplus), pooling, flatten and a dense layer;
    a batch of 4."""
    rng = np.random.default_rng(12)
    net = cnn(
        (9, 9, 2),
        [3, 4],
        3,
        kernels=[3, 2],
        pools=[2, 1],
        strides=[1, 2],
        pads=[1, 0],
        activation=[tanh, softplus],
    )
    theta = tree_map(lambda a: a + 0.3 * rng.standard_normal(a.shape), net.init(rng))
    x = rng.standard_normal((4, 9, 9, 2))
    return rng, net, theta, x


def test_the_cnn_builder(small_cnn):
    _, net, theta, x = small_cnn
    assert net.L == 3 and isinstance(net.layers[-1], Dense)
    assert isinstance(net.layers[1].maps[-1], Flatten)
    # 9x9 -> conv 3x3 pad 1 -> 9x9 -> pool 2 -> 4x4 -> conv 2x2 stride 2 -> 2x2x4 -> 16
    assert net.layers[-1].n_in == 16
    assert_close(net(x, theta), jax_network(net, jnp.asarray(x), to_jax(theta)))


@pytest.mark.thesis("Algorithm 4.2.1", "Theorem 4.2.8")
def test_cnn_loss_gradient_and_step(small_cnn):
    rng, net, theta, x = small_cnn
    y = one_hot(rng.integers(0, 3, 4), 3)
    value, grads = net.loss_and_gradient(x, y, theta, cross_entropy)

    def J(th):
        return -jnp.sum(
            jnp.asarray(y)
            * jax.nn.log_softmax(jax_network(net, jnp.asarray(x), th), axis=-1)
        )

    J_and_grad = jax.jit(jax.value_and_grad(J))
    expected_value, expected = J_and_grad(to_jax(theta))
    assert value == pytest.approx(float(expected_value), rel=1e-12)
    assert_close(grads, expected)
    eta = 1e-2
    new, old_value = net.gradient_step(x, y, theta, eta, cross_entropy)
    assert old_value == value
    assert_close(new, tree_map(lambda t, g: t - eta * g, theta, grads), rtol=1e-14)
    assert net.loss_and_gradient(x, y, new, cross_entropy)[0] < value


def test_cnn_tangent_loss_gradient(small_cnn, loss=cross_entropy):
    # the higher-order loss through max-pooling: its D^2 = 0 away from ties, as in JAX
    rng, net, theta, x = small_cnn
    v, beta, mu = (
        rng.standard_normal((2, *x.shape)),
        rng.standard_normal((2, 4, 3)),
        0.7,
    )
    y = (
        rng.standard_normal((4, 3))
        if loss is squared
        else one_hot(rng.integers(0, 3, 4), 3)
    )
    value, grads = net.tangent_loss_and_gradient(x, y, v, beta, theta, mu, loss)
    X, Y, V, B = map(jnp.asarray, (x, y, v, beta))

    def J(th):
        out = jax_network(net, X, th)
        base = (
            0.5 * jnp.sum((out - Y) ** 2)
            if loss is squared
            else -jnp.sum(Y * jax.nn.log_softmax(out, axis=-1))
        )
        R = 0.0
        for k in range(2):
            _, jv = jax.jvp(lambda z: jax_network(net, z, th), (X,), (V[k],))
            R = R + 0.5 * jnp.sum((jv - B[k]) ** 2) / 2
        return base + mu * R

    expected_value, expected = jax.jit(jax.value_and_grad(J))(to_jax(theta))
    assert value == pytest.approx(float(expected_value), rel=1e-12)
    assert_close(grads, expected)


# -- errata checks (the computations behind the book's erratum boxes) ---------------------------


def test_stride_footnote_overruns_when_the_filter_is_wider_than_the_stride():
    # footnote 4: n1 = Delta n_hat_1. With n1 = 6, p = 3, Delta = 1 that gives 6 windows, but the
    # 5th and 6th overrun the image; the windows that fit number floor((n1 - p)/Delta) + 1 = 4
    x = np.zeros((6, 6, 1))
    assert conv_output_size(6, 3, 1) == 4
    with pytest.raises(ValueError, match=r"k in \[1, 4\]"):
        crop(x, *gamma(6 // 1, 1, 1), 3, 3)
    # with p <= Delta the footnote's count is right: n1 = 6, p = 2, Delta = 2 gives 3 = 6 / 2
    assert conv_output_size(6, 2, 2) == 3


def test_pooling_crops_are_r_by_r():
    # after (4.19) the crop kappa_{gamma(k,l,r)} is said to map into R^{n2 x l2}; it is r x r
    y = np.random.default_rng(13).standard_normal((6, 6))  # n_hat = 6, r = 2: n2 = 3
    assert kappa(y, *gamma(2, 3, 2), 2, 2).shape == (2, 2) != thesis_pool(y, 2).shape


def test_the_hooks_of_theorem_4_2_8_belong_to_the_other_derivative():
    # (4.30) ends grad_W f with (W -| C), a map of x; (4.31) ends Df with (C |_ x), a map of W
    layer = Conv2d(2, 3, 3)
    rng = np.random.default_rng(14)
    theta, x = layer.init(rng), rng.standard_normal((1, 6, 6, 2))
    C = convolution((6, 6), 3)
    lin = layer.linearize(x, theta)
    U, v = rng.standard_normal(theta.W.shape), rng.standard_normal(x.shape)
    # Df = (W -| C)
    np.testing.assert_allclose(lin.D(v), C.left_hook(theta.W)(v), rtol=1e-14)
    np.testing.assert_allclose(
        lin.grad(ConvParams(U, np.zeros(3))), C.right_hook(x)(U), rtol=1e-14
    )
    with pytest.raises(ValueError):  # the printed (W -| C) cannot take a filter
        C.left_hook(theta.W)(U)


def test_a_channel_shared_final_filter_is_not_fully_connected():
    # section 4.2.2: a final filter covering the whole input makes the thesis's C "fully connected",
    # but with its channel-shared filters the output sees only the sum of the channels
    rng = np.random.default_rng(15)
    W = rng.standard_normal((4, 4, 3))  # p = n_L, q = l_L, m_{L+1} = 3 outputs
    x = rng.standard_normal((4, 4, 2))
    out = thesis_convolve(W, x)
    assert out.shape == (1, 1, 3)  # n_hat_L = n_L - p_L + 1 = 1, not n_L
    # channels swapped: same
    np.testing.assert_allclose(thesis_convolve(W, x[..., ::-1]), out, rtol=1e-13)


# -- bad inputs -----------------------------------------------------------------------------------


def test_bad_inputs_raise_value_errors():
    layer, rng = Conv2d(2, 3, (3, 2), stride=2, pad=1), np.random.default_rng(16)
    theta = layer.init(rng)
    with pytest.raises(ValueError, match="does not fit"):
        conv_output_size(2, 5)
    with pytest.raises(ValueError, match="does not fit"):
        Conv2d(2, 3, (3, 2)).linearize(np.zeros((1, 2, 5, 2)), theta)
    with pytest.raises(ValueError, match=r"\(\.\.\., n, l, 2\)"):
        layer(np.zeros((1, 5, 5, 3)), theta)
    with pytest.raises(ValueError, match=r"W of shape \(3, 2, 2, 3\)"):
        layer.linearize(
            np.zeros((1, 5, 5, 2)), ConvParams(np.zeros((3, 2, 3)), np.zeros(3))
        )
    with pytest.raises(ValueError, match="stride"):
        Conv2d(2, 3, 3, stride=0)
    with pytest.raises(ValueError, match="pad"):
        Conv2d(2, 3, 3, pad=-1)
    with pytest.raises(ValueError, match="kernel"):
        Conv2d(2, 3, (3, 2, 1))
    with pytest.raises(ValueError, match="z of shape"):
        conv_input_adjoint(np.zeros((3, 3, 1, 1)), np.zeros((1, 2, 2, 1)), (6, 6))
    with pytest.raises(ValueError, match="same m1"):
        convolve(np.zeros((3, 3, 2, 1)), np.zeros((5, 5, 3)))
    with pytest.raises(ValueError, match="n, l >= 3"):
        MaxPool2d(3)(np.zeros((1, 2, 5, 1)))
    with pytest.raises(ValueError, match="r to be an integer >= 1"):
        MaxPool2d(0)
    with pytest.raises(ValueError, match=r"\(\.\.\., n, l, m\)"):
        Flatten()(np.zeros((4, 4)))
    with pytest.raises(ValueError, match=r"k in \[1, 3\]"):
        kappa(np.zeros((4, 4)), 4, 1, 2, 2)
    with pytest.raises(ValueError, match="pooling window 2 of layer 2"):
        cnn((5, 5, 1), [2, 2], 3, kernels=3, pools=[1, 2])
    with pytest.raises(ValueError, match="2 pools"):
        cnn((9, 9, 1), [2, 2], 3, pools=[2])
    with pytest.raises(ValueError, match="at least one convolution layer"):
        cnn((9, 9, 1), [], 3)
    net = cnn((6, 6, 1), [2], 3)
    with pytest.raises(ValueError, match=r"expected x of shape \(\.\.\., 6, 6, 1\)"):
        net(np.zeros((2, 6, 6, 2)), net.init(rng))


def test_inner_product_of_a_batch_gradient_is_the_sum_over_points(small_cnn):
    rng, net, theta, x = small_cnn
    y = rng.standard_normal((4, 3))
    _, whole = net.loss_and_gradient(x, y, theta, squared)
    u = random_like(rng, theta)
    parts = sum(
        inner(net.loss_and_gradient(x[j : j + 1], y[j : j + 1], theta, squared)[1], u)
        for j in range(4)
    )
    assert inner(whole, u) == pytest.approx(parts, rel=1e-12)


def test_then_pulls_a_cotangent_back_once_and_never_serves_a_stale_one():
    # D*f and grad* f share D*g_1 ... D*g_k w; an array changed in place between the
    # two calls must be pulled back again
    rng = np.random.default_rng(14)
    layer = conv_layer(2, 3, 2, tanh, 2)
    theta = ConvParams(rng.standard_normal((2, 2, 2, 3)), rng.standard_normal(3))
    x = rng.standard_normal((2, 7, 7, 2))
    lin = layer.linearize(x, theta)
    w = rng.standard_normal(lin.output.shape)
    first = lin.D.adj(w)
    assert_close(lin.D.adj(w), first, rtol=0)
    w *= 3.0
    fresh = layer.linearize(x, theta)
    assert_close(lin.D.adj(w), fresh.D.adj(w), rtol=1e-15)
    assert_close(lin.D.adj(w), 3.0 * first, rtol=1e-13)
    assert_close(lin.grad.adj(w).W, fresh.grad.adj(w).W, rtol=1e-15)
    assert_adjoint(lin.D, rng.standard_normal(x.shape), w)
