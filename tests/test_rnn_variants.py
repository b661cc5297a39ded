"""Deep and bidirectional RNNs (past the thesis), against JAX (rtol 1e-10)."""

from __future__ import annotations

import numpy as np
import pytest

from adjnets import Dense, Network, cross_entropy, one_hot, softplus, squared, tanh
from adjnets.autodiff import assert_close, jax, jnp, network, to_jax
from adjnets.calculus.check import assert_adjoint
from adjnets.calculus.spaces import random_like
from adjnets.networks.network import NetworkLayer
from adjnets.recurrent.rnn import RNN, VanillaCell
from adjnets.recurrent.variants import BidirectionalRNN, NetworkCell

N, L, NX, NH, NY = 3, 5, 2, 4, 3


def targets(rng, loss):
    if loss is squared:
        return rng.standard_normal((N, L, NY))
    return one_hot(rng.integers(0, NY, N * L), NY).reshape(N, L, NY)


def per_step(out, y, loss):
    if loss is squared:
        return 0.5 * jnp.sum((out - y) ** 2, -1)
    return -jnp.sum(y * jax.nn.log_softmax(out, -1), -1)


@pytest.mark.parametrize(
    "loss", [squared, cross_entropy], ids=["squared", "cross-entropy"]
)
def test_deep_rnn_against_jax(loss):
    rng = np.random.default_rng(41)
    f_net = Network([Dense(NH + NX, 6, tanh), Dense(6, NH, tanh)])
    g_net = Network([Dense(NH, 5, softplus), Dense(5, NY)])
    rnn = RNN(NetworkCell(f_net, NH, NX), NetworkLayer(g_net))
    params = rnn.init(rng)
    x, y = rng.standard_normal((N, L, NX)), targets(rng, loss)
    mask = np.ones((N, L))
    mask[2, 3:] = 0
    value, grads = rnn.loss_and_gradient_bptt(x, y, params, loss, mask)
    X, Y, M = map(jnp.asarray, (x, y, mask))

    def J(p):
        th, ze = p
        h, total = jnp.zeros((N, NH)), 0.0
        for i in range(L):
            h = network(f_net, jnp.concatenate([h, X[:, i]], -1), th)
            total = total + jnp.sum(
                M[:, i] * per_step(network(g_net, h, ze), Y[:, i], loss)
            )
        return total

    assert value == pytest.approx(float(J(to_jax(params))), rel=1e-12)
    assert_close(grads, jax.grad(J)(to_jax(params)))


def test_network_cell_and_layer_derivatives():
    rng = np.random.default_rng(42)
    f_net = Network([Dense(NH + NX, 6, tanh), Dense(6, NH, tanh)])
    cell = NetworkCell(f_net, NH, NX)
    theta = cell.init(rng)
    h, x = rng.standard_normal((N, NH)), rng.standard_normal((N, NX))
    lin = cell.linearize(h, x, theta)
    v, w = rng.standard_normal((2, N, NH))
    u = random_like(rng, theta)
    assert_adjoint(lin.D, v, w)
    assert_adjoint(lin.grad, u, w)

    def f(hh):
        return network(f_net, jnp.concatenate([hh, jnp.asarray(x)], -1), to_jax(theta))

    assert_close(lin.D(v), jax.jvp(f, (jnp.asarray(h),), (jnp.asarray(v),))[1])
    with pytest.raises(NotImplementedError, match="loss_and_gradient_bptt"):
        lin.grad_adjoint_each(w)
    layer = NetworkLayer(f_net)
    llin = layer.linearize(np.concatenate([h, x], -1), theta)
    assert_adjoint(llin.D, rng.standard_normal((N, NH + NX)), w)
    assert_adjoint(llin.grad, u, w)
    with pytest.raises(ValueError, match="NetworkCell expected"):
        cell(h[:, :2], x, theta)


@pytest.mark.parametrize(
    "loss", [squared, cross_entropy], ids=["squared", "cross-entropy"]
)
def test_bidirectional_rnn_against_jax(loss):
    rng = np.random.default_rng(43)
    brnn = BidirectionalRNN(
        VanillaCell(NH, NX, tanh), VanillaCell(3, NX, tanh), Dense(NH + 3, NY)
    )
    params = brnn.init(rng)
    x, y = rng.standard_normal((N, L, NX)), targets(rng, loss)
    mask = np.ones((N, L))
    mask[0, 0] = 0
    value, grads = brnn.loss_and_gradient(x, y, params, loss, mask)
    X, Y, M = map(jnp.asarray, (x, y, mask))

    def chain(th, xs):
        W, U, b = th
        h, out = jnp.zeros((N, W.shape[0])), []
        for xi in xs:
            h = jnp.tanh(h @ W.T + xi @ U.T + b)
            out.append(h)
        return out

    def J(p):
        fw, bw, (V, c) = p
        hf = chain(fw, [X[:, i] for i in range(L)])
        hb = chain(bw, [X[:, i] for i in range(L - 1, -1, -1)])[::-1]
        total = 0.0
        for i in range(L):
            out = jnp.concatenate([hf[i], hb[i]], -1) @ V.T + c
            total = total + jnp.sum(M[:, i] * per_step(out, Y[:, i], loss))
        return total

    assert value == pytest.approx(float(J(to_jax(params))), rel=1e-12)
    assert_close(grads, jax.grad(J)(to_jax(params)))
    # every prediction depends on the whole sequence: the last input moves the first output
    x2 = x.copy()
    x2[:, -1] += 1.0
    assert np.abs(brnn(x2, params)[:, 0] - brnn(x, params)[:, 0]).max() > 1e-6
    with pytest.raises(ValueError, match=r"BidirectionalRNN.__call__ expected x"):
        brnn(x[..., :1], params)
