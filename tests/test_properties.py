r"""Property-based tests (Hypothesis): the adjoint identities and the gradients hold for
random architectures, not only for the fixed ones of the other tests.

For random widths, depths, activations, convolution kernels, strides, paddings and
pooling windows, sequence lengths and batch sizes (1 included), in float64:

(a) the adjoint identities :math:`\langle w, Dv\rangle = \langle D^*w, v\rangle` and
    :math:`\langle w, \nabla u\rangle = \langle\nabla^*w, u\rangle` (relative error
    1e-12, :func:`adjnets.calculus.check.assert_adjoint`) of the linearizations of the
    layers (dense, convolution, CNN layer, max-pooling, flatten, tied dense, the vanilla,
    GRU and LSTM cells) and of whole networks (a network of dense layers, an MLP, a CNN,
    the tied auto-encoder, a recurrent network unrolled over its sequence);
(b) the gradient of the returned loss, and the loss itself, against JAX's automatic
    differentiation of the forward maps of :mod:`adjnets.autodiff` (relative 1e-10):
    networks of dense layers and MLPs with the squared and the cross-entropy loss, CNNs
    (stride 1: see the comment of the test), the vanilla RNN by BPTT and by RTRL, the
    tied auto-encoder;
(c) the gradient against a central difference of the returned loss along a random
    direction (relative 1e-6 of the gradient's norm): the same models, strided CNNs and
    activations JAX does not know included, and the GRU and LSTM networks by BPTT and
    RTRL.

Each example of (b) is a new architecture that JAX compiles, a fraction of a second:
those properties run 6 to 10 examples in the ``ci`` profile, the others 25 to 40.

The architecture is drawn by Hypothesis strategies, so a failure shrinks to a small
architecture; the array contents come from ``numpy.random.default_rng(seed)`` with a
drawn ``seed`` (faster than drawing arrays entry by entry). Continuous random data puts
no point on a kink of the ReLU or a tie of max-pooling, except with probability zero;
the ties that do occur (ReLU zeros in a pooling window) are between entries of zero
derivative, where every tie rule agrees.

The settings profiles are those of ``tests/_hypothesis.py``: ``ci``, the default,
runs a fixed, derandomised set of examples (so ``make test`` is deterministic) and
saves nothing; ``HYPOTHESIS_PROFILE=dev`` explores at random with twice the examples,
``HYPOTHESIS_PROFILE=thorough`` with ten times::

    HYPOTHESIS_PROFILE=thorough .venv/bin/python -m pytest tests/test_properties.py
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from adjnets import (
    MLP,
    RNN,
    Conv2d,
    ConvParams,
    Dense,
    Flatten,
    GRUCell,
    LinearMap,
    LSTMCell,
    MaxPool2d,
    Network,
    NetworkLayer,
    TiedAutoencoder,
    TiedDense,
    TiedParams,
    VanillaRNN,
    assert_adjoint,
    assert_gradient,
    cnn,
    conv_layer,
    cross_entropy,
    identity,
    leaky_relu,
    one_hot,
    random_like,
    relu,
    sigmoid,
    softplus,
    squared,
    tanh,
    tree_map,
)
from adjnets.recurrent.rnn import head_parameter_derivative, transition_derivative
from tests._hypothesis import examples

autodiff = pytest.importorskip("adjnets.autodiff")
jax, jnp = autodiff.jax, autodiff.jnp

JAX_RTOL = 1e-10
FD_RTOL = 1e-6
H = 1e-6  # the step of the central differences
# relative to ‖∇J‖‖v‖: a random architecture now and then gives a direction almost
# orthogonal to the gradient, and a search finds it
GRADIENT_CHECK = {"rtol": FD_RTOL, "h": H, "relative_to": "norms"}

# -- strategies ------------------------------------------------------------------------

SEEDS = st.integers(0, 2**32 - 1)
# the activations adjnets.autodiff writes in JAX, and one it does not
JAX_ACTIVATIONS = st.sampled_from([identity, tanh, sigmoid, softplus, relu])
ACTIVATIONS = st.one_of(JAX_ACTIVATIONS, st.just(leaky_relu(0.1)))
WIDTHS = st.integers(1, 5)
BATCHES = st.integers(1, 4)
LOSSES = st.sampled_from([squared, cross_entropy])


def perturbed(rng, theta, scale=0.3):
    """The initial parameters plus noise: nonzero biases, no symmetric point."""
    return tree_map(lambda a: a + scale * rng.standard_normal(np.shape(a)), theta)


def targets(rng, loss, shape):
    """Targets for ``loss``: standard normal, or one-hot along the last axis."""
    if loss is squared:
        return rng.standard_normal(shape)
    labels = rng.integers(0, shape[-1], int(np.prod(shape[:-1])))
    return one_hot(labels, shape[-1]).reshape(shape)


@st.composite
def dense_networks(draw, activations=ACTIVATIONS, max_depth=4):
    """A network of 1 to ``max_depth`` dense layers of random widths and
    activations."""
    depth = draw(st.integers(1, max_depth))
    widths = draw(st.lists(WIDTHS, min_size=depth + 1, max_size=depth + 1))
    acts = draw(st.lists(activations, min_size=depth, max_size=depth))
    return Network([Dense(widths[i], widths[i + 1], acts[i]) for i in range(depth)])


@st.composite
def conv_shapes(draw):
    """A convolution (kernel, stride, pad) along one axis and an image size it fits;
    the pad may exceed the kernel."""
    kernel = draw(st.integers(1, 3))
    stride = draw(st.integers(1, 3))
    pad = draw(st.integers(0, 2))
    size = draw(st.integers(max(1, kernel - 2 * pad), kernel - 2 * pad + 5))
    return kernel, stride, pad, size


def conv_out(size, kernel, stride, pad):
    return (size + 2 * pad - kernel) // stride + 1


@st.composite
def cnns(draw, activations=JAX_ACTIVATIONS, max_stride=2):
    """A CNN from :func:`adjnets.cnn`: 1 or 2 convolution layers of random kernels
    (pairs), strides, paddings smaller than the kernel and pooling windows, then a dense
    layer; returns the network and the shape of one input image."""
    in_shape = (draw(st.integers(3, 8)), draw(st.integers(3, 8)), draw(WIDTHS))
    size = list(in_shape[:2])
    kernels, strides, pads, pools, channels, acts = [], [], [], [], [], []
    for _ in range(draw(st.integers(1, 2))):
        kernel = tuple(draw(st.integers(1, min(3, n))) for n in size)
        pad = tuple(draw(st.integers(0, k - 1)) for k in kernel)
        stride = draw(st.integers(1, max_stride))
        out = [
            conv_out(n, k, stride, p) for n, k, p in zip(size, kernel, pad, strict=True)
        ]
        pool = draw(st.integers(1, max(1, min(3, *out))))
        kernels.append(kernel)
        pads.append(pad)
        strides.append(stride)
        pools.append(pool)
        channels.append(draw(st.integers(1, 3)))
        acts.append(draw(activations))
        size = [n // pool for n in out]
    net = cnn(
        in_shape,
        channels,
        draw(WIDTHS),
        kernels=kernels,
        pools=pools,
        strides=strides,
        pads=pads,
        activation=acts,
        output=draw(activations),
    )
    return net, in_shape


@st.composite
def autoencoders(draw, activations=JAX_ACTIVATIONS):
    """A tied auto-encoder of 1 to 3 encoder layers, the transpose tying the
    weights."""
    sizes = draw(st.lists(WIDTHS, min_size=2, max_size=4))
    acts = draw(st.lists(activations, min_size=2 * len(sizes) - 2, max_size=8))
    return TiedAutoencoder(sizes, acts[: 2 * len(sizes) - 2])


CELLS = st.sampled_from(["vanilla", "gru", "lstm"])


def recurrent(kind, n_x, n_h, n_y, activation=tanh):
    """A recurrent network with a vanilla, GRU or LSTM cell and a dense readout."""
    if kind == "vanilla":
        return VanillaRNN(n_x, n_h, n_y, activation)
    if kind == "gru":
        return RNN(GRUCell(n_h, n_x), Dense(n_h, n_y))
    cell = LSTMCell(n_h, n_x)
    return RNN(cell, cell.readout(n_y))


# -- checks ----------------------------------------------------------------------------


def check_linearization(lin, x, theta, rng, n_tangents=0):
    """The adjoint identities of ``lin.D`` (with ``n_tangents`` tangents per point, in
    front of the batch axis, if positive) and of ``lin.grad``."""
    out = lin.output
    lead = (n_tangents,) if n_tangents else ()
    v = tree_map(lambda a: rng.standard_normal(lead + np.shape(a)), x)
    w = tree_map(lambda a: rng.standard_normal(lead + np.shape(a)), out)
    assert_adjoint(lin.D, v, w)
    if theta is not None:
        assert_adjoint(lin.grad, random_like(rng, theta), random_like(rng, out))


def jax_loss(loss, outputs, y):
    """The loss of ``outputs`` (a JAX array) against ``y``, written in JAX."""
    y = jnp.asarray(y)
    if loss is squared:
        return 0.5 * jnp.sum((outputs - y) ** 2)
    return -jnp.sum(y * jax.nn.log_softmax(outputs, axis=-1))


def check_against_jax(value, grads, J, theta):
    """The loss and its gradient against ``jax.value_and_grad(J)``.

    Compiled once, with XLA's optimisations mostly off: each example is a new
    architecture, so compiling dominates and the compiled program runs once.
    """
    previous = jax.config.values["jax_disable_most_optimizations"]
    jax.config.update("jax_disable_most_optimizations", True)
    try:
        expected = jax.jit(jax.value_and_grad(J))(autodiff.to_jax(theta))
    finally:
        jax.config.update("jax_disable_most_optimizations", previous)
    assert value == pytest.approx(float(expected[0]), rel=JAX_RTOL)
    autodiff.assert_close(grads, expected[1], rtol=JAX_RTOL)
    return expected


# -- (a) adjoint identities of layers ----------------------------------------------------


@examples(40)
@given(
    n_in=WIDTHS,
    n_out=WIDTHS,
    activation=ACTIVATIONS,
    batch=BATCHES,
    k=st.integers(0, 2),
    seed=SEEDS,
)
def test_dense_layer_adjoints(n_in, n_out, activation, batch, k, seed):
    rng = np.random.default_rng(seed)
    layer = Dense(n_in, n_out, activation)
    theta = perturbed(rng, layer.init(rng))
    x = rng.standard_normal((batch, n_in))
    check_linearization(layer.linearize(x, theta), x, theta, rng, k)


@examples(40)
@given(
    rows=conv_shapes(),
    cols=conv_shapes(),
    m_in=st.integers(1, 3),
    m_out=st.integers(1, 3),
    batch=BATCHES,
    k=st.integers(0, 2),
    seed=SEEDS,
)
def test_convolution_layer_adjoints(rows, cols, m_in, m_out, batch, k, seed):
    # the stride is per layer: that of the rows; pads up to 2, larger than a kernel of 1
    (p, stride, ph, n), (q, _, pw, ell) = rows, cols
    rng = np.random.default_rng(seed)
    layer = Conv2d(m_in, m_out, (p, q), stride, (ph, pw))
    theta = ConvParams(
        rng.standard_normal(layer.filter_shape), rng.standard_normal(m_out)
    )
    x = rng.standard_normal((batch, n, ell, m_in))
    lin = layer.linearize(x, theta)
    assert lin.output.shape[1:3] == (
        conv_out(n, p, stride, ph),
        conv_out(ell, q, stride, pw),
    )
    check_linearization(lin, x, theta, rng, k)


@examples(30)
@given(
    rows=conv_shapes(),
    cols=conv_shapes(),
    m_in=st.integers(1, 3),
    m_out=st.integers(1, 3),
    activation=ACTIVATIONS,
    pool=st.integers(1, 3),
    batch=BATCHES,
    seed=SEEDS,
)
def test_cnn_layer_adjoints(rows, cols, m_in, m_out, activation, pool, batch, seed):
    # convolution, activation, max-pooling (Theorem 4.2.8); the image grows to fit the
    # pooling window
    (p, stride, ph, n), (q, _, pw, ell) = rows, cols
    n += max(0, stride * (pool - 1) - (n + 2 * ph - p))
    ell += max(0, stride * (pool - 1) - (ell + 2 * pw - q))
    rng = np.random.default_rng(seed)
    layer = conv_layer(m_in, m_out, (p, q), activation, pool, stride, (ph, pw))
    theta = perturbed(rng, layer.init(rng))
    x = rng.standard_normal((batch, n, ell, m_in))
    check_linearization(layer.linearize(x, theta), x, theta, rng, 2)


@examples(40)
@given(
    r=st.integers(1, 4),
    extra=st.tuples(st.integers(0, 5), st.integers(0, 5)),
    m=st.integers(1, 3),
    batch=BATCHES,
    k=st.integers(0, 2),
    seed=SEEDS,
)
def test_max_pooling_and_flatten_adjoints(r, extra, m, batch, k, seed):
    rng = np.random.default_rng(seed)
    y = rng.standard_normal((batch, r + extra[0], r + extra[1], m))
    pool = MaxPool2d(r).linearize(y)
    check_linearization(pool, y, None, rng, k)
    check_linearization(Flatten().linearize(pool.output), pool.output, None, rng, k)


@examples(30)
@given(
    n_in=WIDTHS,
    n_out=WIDTHS,
    activation=ACTIVATIONS,
    batch=BATCHES,
    seed=SEEDS,
)
def test_tied_dense_layer_adjoints(n_in, n_out, activation, batch, seed):
    rng = np.random.default_rng(seed)
    layer = TiedDense(n_in, n_out, activation)
    theta = perturbed(rng, layer.init(rng))
    x = rng.standard_normal((batch, n_in))
    check_linearization(layer.linearize(x, theta), x, theta, rng, 2)


@examples(40)
@given(
    kind=CELLS,
    n_x=WIDTHS,
    n_h=WIDTHS,
    activation=ACTIVATIONS,
    batch=BATCHES,
    k=st.integers(0, 2),
    seed=SEEDS,
)
def test_recurrent_cell_adjoints(kind, n_x, n_h, activation, batch, k, seed):
    rng = np.random.default_rng(seed)
    cell = recurrent(kind, n_x, n_h, 1, activation).cell
    theta = perturbed(rng, cell.init(rng))
    h, x = rng.standard_normal((batch, cell.n_h)), rng.standard_normal((batch, n_x))
    check_linearization(cell.linearize(h, x, theta), h, theta, rng, k)


# -- (a) adjoint identities of networks ----------------------------------------------------


@examples(40)
@given(net=dense_networks(), batch=BATCHES, seed=SEEDS)
def test_network_adjoints(net, batch, seed):
    # DF by forward propagation of tangents, D*F by back-propagation (Theorem 3.2.5);
    # grad F and grad* F (Lemma 3.2.1)
    rng = np.random.default_rng(seed)
    theta = perturbed(rng, net.init(rng))
    x = rng.standard_normal((batch, net.layers[0].n_in))
    check_linearization(NetworkLayer(net).linearize(x, theta), x, theta, rng)


@examples(25)
@given(
    sizes=st.lists(WIDTHS, min_size=2, max_size=5),
    activation=ACTIVATIONS,
    batch=BATCHES,
    seed=SEEDS,
)
def test_mlp_adjoints_and_fused_backpropagation(sizes, activation, batch, seed):
    rng = np.random.default_rng(seed)
    mlp = MLP(tuple(sizes), activation)
    theta = perturbed(rng, mlp.init(rng))
    x = rng.standard_normal((batch, sizes[0]))
    lin = NetworkLayer(mlp.network).linearize(x, theta)
    check_linearization(lin, x, theta, rng)
    # the MLP's fused back-propagation (Theorem 4.1.4) is D* of the tail maps
    states, pre = mlp.forward(x, theta)
    e = rng.standard_normal(states[-1].shape)
    deltas = mlp.backpropagate(pre, theta, e)
    autodiff.assert_close(deltas[0] @ theta[0].W, lin.D.adj(e), rtol=1e-12)


@examples(30)
@given(arch=cnns(ACTIVATIONS), batch=BATCHES, seed=SEEDS)
def test_cnn_adjoints(arch, batch, seed):
    net, in_shape = arch
    rng = np.random.default_rng(seed)
    theta = perturbed(rng, net.init(rng))
    x = rng.standard_normal((batch, *in_shape))
    check_linearization(NetworkLayer(net).linearize(x, theta), x, theta, rng)


@examples(30)
@given(ae=autoencoders(ACTIVATIONS), batch=BATCHES, seed=SEEDS)
def test_tied_autoencoder_adjoints(ae, batch, seed):
    # F(x; theta) = N(x; S theta) with the sharing map S linear: grad_theta F . u is
    # grad N . S u, and its adjoint is the tied grad* F = S* grad* N (Lemma 4.3.4)
    rng = np.random.default_rng(seed)
    theta = perturbed(rng, ae.init(rng))
    x = rng.standard_normal((batch, ae.sizes[0]))
    lin = NetworkLayer(ae.network).linearize(x, ae.share(theta))
    fwd = ae.forward(x, theta)
    u, w = random_like(rng, theta), rng.standard_normal(lin.output.shape)
    assert_adjoint(ae.sharing, u, random_like(rng, ae.share(theta)))
    tied = LinearMap(
        lambda t: lin.grad(ae.share(t)), lambda e: ae.grad_adjoint(fwd, e), "∇F"
    )
    assert_adjoint(tied, u, w)
    check_linearization(lin, x, None, rng)


@examples(30)
@given(
    kind=CELLS,
    n_x=WIDTHS,
    n_h=WIDTHS,
    length=st.integers(1, 5),
    batch=BATCHES,
    seed=SEEDS,
)
def test_unrolled_recurrent_network_adjoints(kind, n_x, n_h, length, batch, seed):
    # D mu_{j,i+1} (Lemma 5.1.4) and grad alpha_k (Lemma 5.1.6), whose adjoint RTRL
    # follows (Lemma 5.1.2), for every 0 <= i <= j <= L and every k
    rng = np.random.default_rng(seed)
    rnn = recurrent(kind, n_x, n_h, 2)
    params = perturbed(rng, rnn.init(rng))
    x = rng.standard_normal((batch, length, n_x))
    fwd = rnn.forward(x, params)
    shape = (batch, rnn.cell.n_h)
    for j in range(length + 1):
        for i in range(j + 1):
            D = transition_derivative(fwd, j, i)
            assert_adjoint(D, rng.standard_normal(shape), rng.standard_normal(shape))
        if j:
            G = head_parameter_derivative(fwd, j)
            assert_adjoint(
                G, random_like(rng, params.theta), rng.standard_normal(shape)
            )


# -- (b) loss gradients against JAX ------------------------------------------------------
#
# Each example is a new architecture, so JAX compiles anew (a fraction of a second, far
# more than the NumPy side): these properties run fewer examples than the others.


@st.composite
def dense_models(draw):
    """A network of dense layers, or an MLP (whose gradient is fused, Theorem 4.1.5),
    with activations JAX knows, and a loss."""
    if draw(st.booleans()):
        model = draw(dense_networks(JAX_ACTIVATIONS))
        net, n_in, n_out = model, model.layers[0].n_in, model.layers[-1].n_out
    else:
        sizes = draw(st.lists(WIDTHS, min_size=2, max_size=5))
        act, output = draw(JAX_ACTIVATIONS), draw(JAX_ACTIVATIONS)
        model = MLP(tuple(sizes), act, output)
        net, n_in, n_out = model.network, sizes[0], sizes[-1]
    return model, net, n_in, n_out


def dense_problem(model, n_in, n_out, loss, batch, seed):
    rng = np.random.default_rng(seed)
    theta = perturbed(rng, model.init(rng))
    x = rng.standard_normal((batch, n_in))
    return rng, theta, x, targets(rng, loss, (batch, n_out))


@examples(10)
@given(model=dense_models(), loss=LOSSES, batch=BATCHES, seed=SEEDS)
def test_dense_loss_gradient_against_jax(model, loss, batch, seed):
    model, net, n_in, n_out = model
    _, theta, x, y = dense_problem(model, n_in, n_out, loss, batch, seed)
    X = jnp.asarray(x)
    check_against_jax(
        *model.loss_and_gradient(x, y, theta, loss),
        lambda th: jax_loss(loss, autodiff.network(net, X, th), y),
        theta,
    )


def cnn_problem(arch, loss, batch, seed):
    net, in_shape = arch
    rng = np.random.default_rng(seed)
    theta = perturbed(rng, net.init(rng))
    x = rng.standard_normal((batch, *in_shape))
    return rng, net, theta, x, targets(rng, loss, (batch, net.layers[-1].n_out))


@examples(8)
@given(arch=cnns(max_stride=1), loss=LOSSES, batch=BATCHES, seed=SEEDS)
def test_cnn_loss_gradient_against_jax(arch, loss, batch, seed):
    # stride 1 only: XLA (jaxlib 0.10.2, CPU) aborts the whole process ("Check failed:
    # ... Window dimensions do not match RHS shape") on the input gradient of some
    # strided padded convolutions, jitted or not; the smallest found: jax.grad of the
    # sum of conv_general_dilated(ones((1, 4, 3, 1)), ones((2, 3, 1, 1)), (2, 2),
    # [(1, 1), (1, 1)], dimension_numbers=("NHWC", "HWIO", "NHWC")). adjnets's strided
    # convolutions are checked against central differences below instead
    _, net, theta, x, y = cnn_problem(arch, loss, batch, seed)
    X = jnp.asarray(x)
    check_against_jax(
        *net.loss_and_gradient(x, y, theta, loss),
        lambda th: jax_loss(loss, autodiff.network(net, X, th), y),
        theta,
    )


@st.composite
def vanilla_rnns(draw):
    """A vanilla RNN with an activation JAX knows, and the shape of its input."""
    n_x, n_h, n_y = draw(WIDTHS), draw(WIDTHS), draw(WIDTHS)
    rnn = VanillaRNN(n_x, n_h, n_y, draw(JAX_ACTIVATIONS))
    return rnn, (draw(BATCHES), draw(st.integers(1, 6)), n_x), n_y


def rnn_problem(arch, loss, seed):
    rnn, shape, n_y = arch
    rng = np.random.default_rng(seed)
    params = perturbed(rng, rnn.init(rng))
    x = rng.standard_normal(shape)
    return rng, rnn, params, x, targets(rng, loss, (*shape[:2], n_y))


@examples(6)
@given(arch=vanilla_rnns(), loss=LOSSES, seed=SEEDS)
def test_vanilla_rnn_bptt_and_rtrl_against_jax(arch, loss, seed):
    _, rnn, params, x, y = rnn_problem(arch, loss, seed)
    X = jnp.asarray(x)

    def J(p):
        _, (V, c) = p
        states = autodiff.rnn_states(p, X, rnn.cell.activation.name)
        return jax_loss(loss, states @ V.T + c, y)

    expected_value, expected = check_against_jax(
        *rnn.bptt(x, y, params, loss), J, params
    )
    value, grads = rnn.rtrl(x, y, params, loss)
    assert value == pytest.approx(float(expected_value), rel=JAX_RTOL)
    autodiff.assert_close(grads, expected, rtol=JAX_RTOL)


@examples(6)
@given(ae=autoencoders(), loss=LOSSES, batch=BATCHES, seed=SEEDS)
def test_tied_autoencoder_loss_gradient_against_jax(ae, loss, batch, seed):
    rng = np.random.default_rng(seed)
    theta = perturbed(rng, ae.init(rng))
    x = rng.uniform(0.0, 1.0, (batch, ae.sizes[0]))
    value, grads = ae.loss_and_gradient(x, theta, loss)
    assert isinstance(grads, TiedParams)
    X = jnp.asarray(x)
    check_against_jax(
        value,
        grads,
        lambda th: jax_loss(loss, autodiff.tied_autoencoder(ae, None, X, th), x),
        theta,
    )


# -- (c) loss gradients against central differences --------------------------------------


@examples(40)
@given(model=dense_models(), loss=LOSSES, batch=BATCHES, seed=SEEDS)
def test_dense_loss_gradient_against_central_differences(model, loss, batch, seed):
    model, _, n_in, n_out = model
    rng, theta, x, y = dense_problem(model, n_in, n_out, loss, batch, seed)
    grads = model.loss_and_gradient(x, y, theta, loss)[1]
    assert_gradient(
        lambda t: model.loss_and_gradient(x, y, t, loss)[0],
        grads,
        theta,
        rng,
        **GRADIENT_CHECK,
    )


@examples(30)
@given(arch=cnns(ACTIVATIONS), loss=LOSSES, batch=BATCHES, seed=SEEDS)
def test_cnn_loss_gradient_against_central_differences(arch, loss, batch, seed):
    rng, net, theta, x, y = cnn_problem(arch, loss, batch, seed)
    grads = net.loss_and_gradient(x, y, theta, loss)[1]
    assert_gradient(
        lambda t: net.loss_and_gradient(x, y, t, loss)[0],
        grads,
        theta,
        rng,
        **GRADIENT_CHECK,
    )


@examples(30)
@given(arch=vanilla_rnns(), loss=LOSSES, seed=SEEDS)
def test_vanilla_rnn_bptt_and_rtrl_against_central_differences(arch, loss, seed):
    rng, rnn, params, x, y = rnn_problem(arch, loss, seed)
    for method in (rnn.bptt, rnn.rtrl):
        grads = method(x, y, params, loss)[1]
        assert_gradient(
            lambda p: rnn.bptt(x, y, p, loss)[0], grads, params, rng, **GRADIENT_CHECK
        )


@examples(30)
@given(
    kind=CELLS,
    n_x=WIDTHS,
    n_h=WIDTHS,
    n_y=WIDTHS,
    length=st.integers(1, 5),
    loss=LOSSES,
    batch=BATCHES,
    seed=SEEDS,
)
def test_recurrent_bptt_and_rtrl_against_central_differences(
    kind, n_x, n_h, n_y, length, loss, batch, seed
):
    # the generic BPTT (Theorem 5.1.7) and RTRL (Theorem 5.1.3), for every cell
    rng = np.random.default_rng(seed)
    rnn = recurrent(kind, n_x, n_h, n_y)
    params = perturbed(rng, rnn.init(rng))
    x = rng.standard_normal((batch, length, n_x))
    y = targets(rng, loss, (batch, length, n_y))
    value, bptt = rnn.loss_and_gradient_bptt(x, y, params, loss)
    rtrl_value, rtrl = rnn.loss_and_gradient_rtrl(x, y, params, loss)
    assert rtrl_value == pytest.approx(value, rel=1e-13)
    autodiff.assert_close(rtrl, bptt, rtol=1e-12)

    def J(p):
        return rnn.loss_and_gradient_bptt(x, y, p, loss)[0]

    assert_gradient(J, bptt, params, rng, **GRADIENT_CHECK)


@examples(30)
@given(ae=autoencoders(ACTIVATIONS), loss=LOSSES, batch=BATCHES, seed=SEEDS)
def test_tied_autoencoder_loss_gradient_against_central_differences(
    ae, loss, batch, seed
):
    rng = np.random.default_rng(seed)
    theta = perturbed(rng, ae.init(rng))
    x = rng.uniform(0.0, 1.0, (batch, ae.sizes[0]))
    grads = ae.loss_and_gradient(x, theta, loss)[1]
    assert_gradient(
        lambda t: ae.loss_and_gradient(x, t, loss)[0],
        grads,
        theta,
        rng,
        **GRADIENT_CHECK,
    )
