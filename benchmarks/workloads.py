"""The benchmark workloads: the same maps, data and float64 gradients in adjnets, PyTorch and JAX.

Each workload builds its data once (seeded ``numpy.random.default_rng``) and returns a
:class:`Case`: one function per library that computes the loss and its gradient, a converter of
each library's result to a list of NumPy arrays in adjnets's parameter order (used once, for the
agreement check, never inside the timed region), and the number of floating-point operations of
the matrix products (and convolutions) the gradient needs, for GFLOP/s.

Import this module only after the thread settings are in the environment (``benchmarks.__main__``
does that): NumPy, PyTorch and JAX read them when they are first imported.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from itertools import pairwise

import jax
import jax.numpy as jnp
import numpy as np
import torch
from jax import lax

import adjnets
from adjnets.calculus.elementwise import tanh
from adjnets.calculus.losses import cross_entropy, one_hot, squared
from adjnets.recurrent.rnn import VanillaRNN
from adjnets.specific.autoencoder import TiedAutoencoder, TiedParams
from adjnets.specific.cnn.layers import cnn
from adjnets.specific.mlp import MLP

jax.config.update("jax_enable_x64", True)
torch.set_default_dtype(torch.float64)

F64 = torch.float64


@dataclass
class Case:
    """One workload: what to run in each library and how to compare the results."""

    key: str
    label: str
    group: str
    flops: float
    run: dict[str, Callable[[], object]]
    to_numpy: dict[str, Callable[[object], tuple[float, list[np.ndarray]]]]
    note: str = ""
    params: dict = field(default_factory=dict)


def leaves(tree) -> list[np.ndarray]:
    """The arrays of a (nested) tuple, in order."""
    if isinstance(tree, tuple | list):
        return [a for t in tree for a in leaves(t)]
    return [np.asarray(tree, dtype=float)]


def relative_error(a: list[np.ndarray], b: list[np.ndarray]) -> float:
    r""":math:`\lVert a - b\rVert / \lVert b\rVert` over all arrays of two gradients."""
    if len(a) != len(b) or any(x.shape != y.shape for x, y in zip(a, b, strict=True)):
        raise ValueError(
            f"gradients of different shapes: {[x.shape for x in a]} and {[y.shape for y in b]}"
        )
    diff = np.sqrt(sum(float(np.sum((x - y) ** 2)) for x, y in zip(a, b, strict=True)))
    return diff / np.sqrt(sum(float(np.sum(y**2)) for y in b))


def _t(a: np.ndarray, grad: bool = False) -> torch.Tensor:
    return torch.tensor(np.ascontiguousarray(a), dtype=F64, requires_grad=grad)


def _torch_out(result) -> tuple[float, list[np.ndarray]]:
    value, grads = result
    return float(torch.as_tensor(value).detach()), [g.detach().numpy() for g in grads]


def _jax_out(result) -> tuple[float, list[np.ndarray]]:
    value, grads = result
    return float(value), leaves(
        tuple(np.asarray(g) for g in jax.tree_util.tree_leaves(grads))
    )


def _adj_out(result) -> tuple[float, list[np.ndarray]]:
    value, grads = result
    return float(value), leaves(grads)


def _jax_run(fn, *args):
    def run():
        return jax.block_until_ready(fn(*args))

    return run


# -- MLP (thesis 4.1) ----------------------------------------------------------------------------


def _mlp_torch(x, y, layers, n_layers):
    h = x
    for i, (W, b) in enumerate(layers):
        h = torch.addmm(b, h, W.T)
        if i < n_layers - 1:
            h = torch.tanh(h)
    return -(y * torch.log_softmax(h, dim=1)).sum()


def _mlp_jax(params, x, y):
    h = x
    for i, (W, b) in enumerate(params):
        h = h @ W.T + b
        if i < len(params) - 1:
            h = jnp.tanh(h)
    return -jnp.sum(y * jax.nn.log_softmax(h, axis=1))


def dense_flops(N: int, sizes: tuple[int, ...]) -> float:
    """Matrix-product flops of a dense network's gradient: forward, weight gradients,
    back-propagation (no input gradient)."""
    prods = [n * m for n, m in pairwise(sizes)]
    return 2.0 * N * (2 * sum(prods) + sum(prods[1:]))


def mlp_case(key: str, sizes: tuple[int, ...], N: int, seed: int = 0) -> Case:
    rng = np.random.default_rng(seed)
    mlp = MLP(sizes, tanh)
    theta = mlp.init(rng)
    for layer in theta:  # non-zero biases, so that their gradients are checked too
        layer.b[:] = 0.1 * rng.standard_normal(layer.b.shape)
    x = rng.standard_normal((N, sizes[0]))
    y = one_hot(rng.integers(0, sizes[-1], N), sizes[-1])

    tx, ty = _t(x), _t(y)
    tparams = [(_t(W, True), _t(b, True)) for W, b in theta]
    flat = [p for layer in tparams for p in layer]

    def torch_run():
        loss = _mlp_torch(tx, ty, tparams, len(tparams))
        return loss, torch.autograd.grad(loss, flat)

    jparams = tuple((jnp.asarray(W), jnp.asarray(b)) for W, b in theta)
    jgrad = jax.jit(jax.value_and_grad(_mlp_jax))
    return Case(
        key,
        f"MLP {'-'.join(map(str, sizes))}, batch {N}",
        "mlp",
        dense_flops(N, sizes),
        run={
            "adjnets": lambda: mlp.loss_and_gradient(x, y, theta, cross_entropy),
            "torch": torch_run,
            "jax": _jax_run(jgrad, jparams, jnp.asarray(x), jnp.asarray(y)),
        },
        to_numpy={"adjnets": _adj_out, "torch": _torch_out, "jax": _jax_out},
        note="tanh hidden layers, identity output, softmax cross-entropy; "
        "adjnets: MLP.loss_and_gradient",
        params={"sizes": list(sizes), "batch": N},
    )


# -- CNN (thesis 4.2) ----------------------------------------------------------------------------


def _pool_jax(z, r):
    return lax.reduce_window(z, -jnp.inf, lax.max, (1, r, r, 1), (1, r, r, 1), "VALID")


def cnn_case(N: int = 64, channels=(16, 32), n_out: int = 10, seed: int = 1) -> Case:
    rng = np.random.default_rng(seed)
    net = cnn((28, 28, 1), list(channels), n_out, kernels=3, pools=2, activation=tanh)
    theta = net.init(rng)
    for layer in theta:
        layer.b[:] = 0.1 * rng.standard_normal(layer.b.shape)
    x = rng.standard_normal((N, 28, 28, 1))
    y = one_hot(rng.integers(0, n_out, N), n_out)
    convs, (Wd, bd) = theta[:-1], theta[-1]

    # PyTorch: NCHW images and (m_out, m_in, p, q) filters; the flatten before the dense layer
    # goes back to adjnets's (row, column, channel) order, so the dense weight is the same.
    tx, ty = _t(x.transpose(0, 3, 1, 2)), _t(y)
    tconv = [(_t(W.transpose(3, 2, 0, 1), True), _t(b, True)) for W, b in convs]
    tdense = (_t(Wd, True), _t(bd, True))
    flat = [p for layer in tconv for p in layer] + list(tdense)

    def torch_run():
        h = tx
        for W, b in tconv:
            h = torch.max_pool2d(torch.tanh(torch.conv2d(h, W, b)), 2)
        h = h.permute(0, 2, 3, 1).reshape(N, -1)
        out = torch.addmm(tdense[1], h, tdense[0].T)
        loss = -(ty * torch.log_softmax(out, dim=1)).sum()
        return loss, torch.autograd.grad(loss, flat)

    def torch_out(result):
        value, grads = result
        g = [t.detach().numpy() for t in grads]
        for i in range(len(convs)):
            g[2 * i] = g[2 * i].transpose(2, 3, 1, 0)
        return float(value.detach()), g

    def jax_loss(params, x, y):
        h = x
        for W, b in params[:-1]:
            z = lax.conv_general_dilated(
                h, W, (1, 1), "VALID", dimension_numbers=("NHWC", "HWIO", "NHWC")
            )
            h = _pool_jax(jnp.tanh(z + b), 2)
        W, b = params[-1]
        out = h.reshape(h.shape[0], -1) @ W.T + b
        return -jnp.sum(y * jax.nn.log_softmax(out, axis=1))

    jparams = tuple((jnp.asarray(W), jnp.asarray(b)) for W, b in theta)
    jgrad = jax.jit(jax.value_and_grad(jax_loss))

    flops, n, m = 0.0, 28, 1
    for i, c in enumerate(channels):
        conv = 2.0 * N * (n - 2) ** 2 * 9 * m * c
        # forward, filter gradient, input gradient (not for the data)
        flops += conv * (2 if i == 0 else 3)
        n, m = (n - 2) // 2, c
    flops += 3 * 2.0 * N * n * n * m * n_out
    return Case(
        "cnn",
        f"CNN 28x28x1, conv 3x3 {channels[0]}, pool 2, conv 3x3 {channels[1]}, pool 2, "
        f"dense {n_out}; batch {N}",
        "cnn",
        flops,
        run={
            "adjnets": lambda: net.loss_and_gradient(x, y, theta, cross_entropy),
            "torch": torch_run,
            "jax": _jax_run(jgrad, jparams, jnp.asarray(x), jnp.asarray(y)),
        },
        to_numpy={"adjnets": _adj_out, "torch": torch_out, "jax": _jax_out},
        note="tanh, max-pooling 2x2, softmax cross-entropy; "
        "adjnets: adjnets.specific.cnn.layers.cnn(...).loss_and_gradient (the generic Network)",
        params={"batch": N, "channels": list(channels)},
    )


# -- tied auto-encoder (thesis 4.3) ----------------------------------------------------------------


def autoencoder_case(sizes=(784, 256, 64), N: int = 256, seed: int = 2) -> Case:
    rng = np.random.default_rng(seed)
    # sigmoid in every layer, weights shared by the transpose
    ae = TiedAutoencoder(sizes)
    Ws, bs = ae.init(rng)
    bs = tuple(0.1 * rng.standard_normal(b.shape) for b in bs)
    theta = TiedParams(Ws, bs)
    x = rng.random((N, sizes[0]))
    L = len(sizes) - 1

    tx = _t(x)
    tW = [_t(W, True) for W in Ws]
    tb = [_t(b, True) for b in bs]

    def torch_run():
        h = tx
        for i in range(L):
            h = torch.sigmoid(torch.addmm(tb[i], h, tW[i].T))
        for i in range(L):
            h = torch.sigmoid(torch.addmm(tb[L + i], h, tW[L - 1 - i]))
        loss = 0.5 * ((h - tx) ** 2).sum()
        return loss, torch.autograd.grad(loss, tW + tb)

    def jax_loss(params, x):
        Ws, bs = params
        h = x
        for i in range(L):
            h = jax.nn.sigmoid(h @ Ws[i].T + bs[i])
        for i in range(L):
            h = jax.nn.sigmoid(h @ Ws[L - 1 - i] + bs[L + i])
        return 0.5 * jnp.sum((h - x) ** 2)

    jparams = (tuple(map(jnp.asarray, Ws)), tuple(map(jnp.asarray, bs)))
    jgrad = jax.jit(jax.value_and_grad(jax_loss))
    widths = tuple(sizes) + tuple(sizes[-2::-1])
    return Case(
        "autoencoder",
        f"tied auto-encoder {'-'.join(map(str, widths))}, batch {N}",
        "autoencoder",
        dense_flops(N, widths),
        run={
            "adjnets": lambda: ae.loss_and_gradient(x, theta, squared),
            "torch": torch_run,
            "jax": _jax_run(jgrad, jparams, jnp.asarray(x)),
        },
        to_numpy={"adjnets": _adj_out, "torch": _torch_out, "jax": _jax_out},
        note="sigmoid in every layer, decoder weights the transposes of the encoder's, "
        "squared loss; adjnets: TiedAutoencoder.loss_and_gradient",
        params={"sizes": list(sizes), "batch": N},
    )


# -- vanilla RNN (thesis 5.2): BPTT ----------------------------------------------------------------


def _rnn_data(n_x, n_h, n_y, N, L, seed):
    rng = np.random.default_rng(seed)
    rnn = VanillaRNN(n_x, n_h, n_y, tanh)
    params = rnn.init(rng)
    params.theta.b[:] = 0.1 * rng.standard_normal(n_h)
    params.zeta.b[:] = 0.1 * rng.standard_normal(n_y)
    x = rng.standard_normal((N, L, n_x))
    y = rng.standard_normal((N, L, n_y))
    return rnn, params, x, y


def rnn_bptt_case(
    n_x: int = 32,
    n_h: int = 128,
    n_y: int = 10,
    N: int = 32,
    L: int = 100,
    seed: int = 3,
) -> Case:
    rnn, params, x, y = _rnn_data(n_x, n_h, n_y, N, L, seed)
    (W, U, b), (V, c) = params

    tx, ty = _t(x), _t(y)
    tp = [_t(a, True) for a in (W, U, b, V, c)]

    def torch_run():
        tW, tU, tb, tV, tc = tp
        xu = torch.matmul(tx, tU.T) + tb
        h = torch.zeros(N, n_h, dtype=F64)
        hs = []
        for i in range(L):
            h = torch.tanh(torch.addmm(xu[:, i], h, tW.T))
            hs.append(h)
        out = torch.matmul(torch.stack(hs, dim=1), tV.T) + tc
        loss = 0.5 * ((out - ty) ** 2).sum()
        return loss, torch.autograd.grad(loss, tp)

    def jax_loss(p, x, y):
        W, U, b, V, c = p
        xu = jnp.swapaxes(x @ U.T + b, 0, 1)  # (L, N, n_h)

        def step(h, xu_i):
            h = jnp.tanh(h @ W.T + xu_i)
            return h, h

        _, H = lax.scan(step, jnp.zeros((x.shape[0], W.shape[0])), xu)
        out = jnp.swapaxes(H, 0, 1) @ V.T + c
        return 0.5 * jnp.sum((out - y) ** 2)

    jparams = tuple(map(jnp.asarray, (W, U, b, V, c)))
    jgrad = jax.jit(jax.value_and_grad(jax_loss))
    flops = 2.0 * N * L * (n_x * n_h * 2 + n_h * n_h * 3 + n_h * n_y * 3)
    return Case(
        "rnn_bptt",
        f"vanilla RNN by BPTT: hidden {n_h}, input {n_x}, output {n_y}, length {L}, batch {N}",
        "rnn",
        flops,
        run={
            "adjnets": lambda: rnn.bptt(x, y, params, squared),
            "torch": torch_run,
            "jax": _jax_run(jgrad, jparams, jnp.asarray(x), jnp.asarray(y)),
        },
        to_numpy={"adjnets": _adj_out, "torch": _torch_out, "jax": _jax_out},
        note="tanh transition, affine readout, squared loss at every step; "
        "adjnets: VanillaRNN.bptt; JAX: lax.scan",
        params={"n_x": n_x, "n_h": n_h, "n_y": n_y, "batch": N, "length": L},
    )


# -- vanilla RNN: RTRL -----------------------------------------------------------------------------


def _rtrl_generic(xp, W, U, b, V, c, x, y, zeros):
    """RTRL for the vanilla RNN (thesis equations 5.40-5.46) in any array library with einsum.

    The sensitivities A^W (N, j, n_h, n_h), A^U (N, j, n_h, n_x), A^b (N, j, n_h) of the state
    to the transition parameters are carried forward; each step adds their contraction with
    V^T e_i to the gradient. The same algorithm as adjnets's VanillaRNN.rtrl, written with the
    library's own einsum, so the comparison is of array engines, not of algorithms.
    """
    N, L, n_x = x.shape
    n_h = W.shape[0]
    eye = xp.eye(n_h, dtype=W.dtype)
    h = zeros((N, n_h))
    AW, AU, Ab = (
        zeros((N, n_h, n_h, n_h)),
        zeros((N, n_h, n_h, n_x)),
        zeros((N, n_h, n_h)),
    )
    gW, gU, gb, gV, gc = (
        zeros(W.shape),
        zeros(U.shape),
        zeros(b.shape),
        zeros(V.shape),
        zeros(c.shape),
    )
    value = 0.0
    for i in range(L):
        xi = x[:, i]
        z = h @ W.T + xi @ U.T + b
        hn = xp.tanh(z)
        s = 1.0 - hn * hn
        a = s[:, :, None] * W
        AW = xp.einsum("sjk,skpq->sjpq", a, AW) + xp.einsum("sj,jp,sq->sjpq", s, eye, h)
        AU = xp.einsum("sjk,skpq->sjpq", a, AU) + xp.einsum(
            "sj,jp,sq->sjpq", s, eye, xi
        )
        Ab = xp.einsum("sjk,skp->sjp", a, Ab) + s[:, :, None] * eye
        h = hn
        e = h @ V.T + c - y[:, i]
        value = value + 0.5 * (e * e).sum()
        vt = e @ V
        gW = gW + xp.einsum("sj,sjpq->pq", vt, AW)
        gU = gU + xp.einsum("sj,sjpq->pq", vt, AU)
        gb = gb + xp.einsum("sj,sjp->p", vt, Ab)
        gV = gV + e.T @ h
        gc = gc + e.sum(0)
    return value, (gW, gU, gb, gV, gc)


def rnn_rtrl_case(
    n_h: int, n_x: int = 8, n_y: int = 4, N: int = 8, L: int = 10, seed: int = 4
) -> Case:
    rnn, params, x, y = _rnn_data(n_x, n_h, n_y, N, L, seed)
    (W, U, b), (V, c) = params
    tp = [_t(a) for a in (W, U, b, V, c)]
    tx, ty = _t(x), _t(y)

    def torch_run():
        with torch.no_grad():
            return _rtrl_generic(
                torch, *tp, tx, ty, lambda s: torch.zeros(s, dtype=F64)
            )

    jrtrl = jax.jit(
        lambda p, x, y: _rtrl_generic(
            jnp, *p, x, y, lambda s: jnp.zeros(s, dtype=jnp.float64)
        )
    )
    jparams = tuple(map(jnp.asarray, (W, U, b, V, c)))
    P = n_h * (n_h + n_x + 1)
    flops = (
        2.0 * N * L * (n_h * n_h * P + n_h * P + n_h * n_h + n_h * n_x + 2 * n_h * n_y)
    )
    return Case(
        f"rnn_rtrl_{n_h}",
        f"vanilla RNN by RTRL: hidden {n_h}, input {n_x}, output {n_y}, length {L}, batch {N}",
        "rtrl",
        flops,
        run={
            "adjnets": lambda: rnn.rtrl(x, y, params, squared),
            "torch": torch_run,
            "jax": _jax_run(jrtrl, jparams, jnp.asarray(x), jnp.asarray(y)),
        },
        to_numpy={"adjnets": _adj_out, "torch": _torch_out, "jax": _jax_out},
        note="the same RTRL recurrence in each library (einsum in PyTorch and JAX, "
        "batched matmul in adjnets), no automatic differentiation; adjnets: VanillaRNN.rtrl",
        params={"n_x": n_x, "n_h": n_h, "n_y": n_y, "batch": N, "length": L},
    )


# -- the tangent loss (thesis 3.3) --------------------------------------------------------------


def tangent_case(
    sizes=(64, 512, 512, 10), N: int = 256, K: int = 1, mu: float = 0.1, seed: int = 5
) -> Case:
    rng = np.random.default_rng(seed)
    mlp = MLP(sizes, tanh)
    net = mlp.network
    theta = mlp.init(rng)
    for layer in theta:
        layer.b[:] = 0.1 * rng.standard_normal(layer.b.shape)
    x = rng.standard_normal((N, sizes[0]))
    y = one_hot(rng.integers(0, sizes[-1], N), sizes[-1])
    v = rng.standard_normal((K, N, sizes[0]))
    beta = 0.1 * rng.standard_normal((K, N, sizes[-1]))
    n_layers = len(theta)

    tx, ty, tv, tbeta = _t(x), _t(y), _t(v), _t(beta)
    tparams = [(_t(W, True), _t(b, True)) for W, b in theta]
    flat = [p for layer in tparams for p in layer]

    def torch_forward(inp):
        h = inp
        for i, (W, b) in enumerate(tparams):
            h = torch.addmm(b, h, W.T)
            if i < n_layers - 1:
                h = torch.tanh(h)
        return h

    def torch_run():
        xg = tx.clone().requires_grad_(True)
        out = torch_forward(xg)
        loss = -(ty * torch.log_softmax(out, dim=1)).sum()
        penalty = 0.0
        for k in range(K):  # DF(x) v_k by the double-backward trick
            u = torch.zeros_like(out, requires_grad=True)
            (g,) = torch.autograd.grad(out, xg, grad_outputs=u, create_graph=True)
            (jvp,) = torch.autograd.grad(g, u, grad_outputs=tv[k], create_graph=True)
            penalty = penalty + ((jvp - tbeta[k]) ** 2).sum()
        total = loss + mu * 0.5 / K * penalty
        return total, torch.autograd.grad(total, flat)

    def jax_forward(params, h):
        for i, (W, b) in enumerate(params):
            h = h @ W.T + b
            if i < len(params) - 1:
                h = jnp.tanh(h)
        return h

    def jax_loss(params, x, y, v, beta):
        def f(inp):
            return jax_forward(params, inp)

        out = f(x)
        penalty = 0.0
        for k in range(K):
            _, jvp = jax.jvp(f, (x,), (v[k],))
            penalty = penalty + jnp.sum((jvp - beta[k]) ** 2)
        return -jnp.sum(y * jax.nn.log_softmax(out, axis=1)) + mu * 0.5 / K * penalty

    jparams = tuple((jnp.asarray(W), jnp.asarray(b)) for W, b in theta)
    jgrad = jax.jit(jax.value_and_grad(jax_loss))
    return Case(
        "tangent",
        f"tangent loss J + mu R, MLP {'-'.join(map(str, sizes))}, batch {N}, {K} tangent per point",
        "tangent",
        (1 + K) * dense_flops(N, sizes),
        run={
            "adjnets": lambda: net.tangent_loss_and_gradient(
                x, y, v, beta, theta, mu, cross_entropy
            ),
            "torch": torch_run,
            "jax": _jax_run(jgrad, jparams, *map(jnp.asarray, (x, y, v, beta))),
        },
        to_numpy={"adjnets": _adj_out, "torch": _torch_out, "jax": _jax_out},
        note=(
            "adjnets: Network.tangent_loss_and_gradient (Theorems 3.3.1-3.3.4); PyTorch: DF(x)v by "
            "double backward, then backward; JAX: grad of a loss that calls jax.jvp"
        ),
        params={"sizes": list(sizes), "batch": N, "K": K, "mu": mu},
    )


def all_cases(quick: bool = False) -> list[Callable[[], Case]]:
    """Constructors of every workload, in the order of the report."""
    return [
        lambda: mlp_case("mlp", (64, 512, 512, 10), 256),
        lambda: mlp_case("mlp_wide", (1024, 1024, 1024), 256),
        lambda: cnn_case(),
        lambda: autoencoder_case(),
        lambda: rnn_bptt_case(),
        lambda: rnn_rtrl_case(16),
        lambda: rnn_rtrl_case(32),
        lambda: rnn_rtrl_case(64),
        lambda: tangent_case(),
    ]


def versions() -> dict[str, str]:
    import jaxlib

    return {
        "adjnets": adjnets.__version__,
        "numpy": np.__version__,
        "torch": torch.__version__,
        "jax": jax.__version__,
        "jaxlib": jaxlib.__version__,
    }
