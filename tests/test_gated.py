"""Gated cells (GRU, LSTM; the thesis's section 5.3.1) and state-gradient norms, against
JAX (1e-10)."""

from __future__ import annotations

import numpy as np
import pytest

from adjnets import Dense, cross_entropy, one_hot, squared, tanh
from adjnets.autodiff import assert_close, jax, jnp, to_jax
from adjnets.calculus.check import assert_adjoint
from adjnets.calculus.spaces import random_like, tree_map
from adjnets.recurrent.analysis import state_gradient_norms
from adjnets.recurrent.gated import GateParams, GRUCell, GRUParams, LSTMCell, ReadH
from adjnets.recurrent.rnn import RNN, RNNParams, VanillaCell

N, L, NX, NY = 3, 6, 2, 3
# GRU state size; LSTM units, state [h; c] of size 6 (one size: JAX compiles less)
NH = NU = 3
K = 5  # tangent directions


# ---- independent JAX forward maps, from the formulas (few primitives: JAX compiles each one)


def mv(W, h):
    """W h for every point h on the last axis (one dot_general)."""
    return jax.lax.dot_general(h, W, (((h.ndim - 1,), (1,)), ((), ())))


def jax_gru(h, x, th):
    (Wr, Ur, br), (Wu, Uu, bu), (Wc, Uc, bc) = th
    r = jax.nn.sigmoid(mv(Wr, h) + mv(Ur, x) + br)
    u = jax.nn.sigmoid(mv(Wu, h) + mv(Uu, x) + bu)
    c = jnp.tanh(mv(Wc, r * h) + mv(Uc, x) + bc)
    return (1.0 - u) * h + u * c


def jax_lstm(s, x, th):
    h, c = s[..., :NU], s[..., NU:]
    pre = [mv(W, h) + mv(U, x) + b for W, U, b in th]
    i, f, o, g = (
        jax.nn.sigmoid(pre[0]),
        jax.nn.sigmoid(pre[1]),
        jax.nn.sigmoid(pre[2]),
        jnp.tanh(pre[3]),
    )
    c_new = f * c + i * g
    return jnp.concatenate([o * jnp.tanh(c_new), c_new], axis=-1)


def jax_readout(kind, s, ze):
    V, b = ze
    h = s[..., :NU] if kind == "lstm" else s
    return mv(V, h) + b


def per_step(out, y, loss):
    if loss is squared:
        return 0.5 * jnp.sum((out - y) ** 2, -1)
    return -jnp.sum(y * jax.nn.log_softmax(out, -1), -1)


def make(kind, rng):
    if kind == "gru":
        cell = GRUCell(NH, NX)
        rnn = RNN(cell, Dense(NH, NY))
    else:
        cell = LSTMCell(NU, NX)
        rnn = RNN(cell, cell.readout(NY))
    params = rnn.init(rng)
    # nonzero biases, so that no gate sits at a symmetric point
    theta = tree_map(
        lambda a: a + 0.3 * rng.standard_normal(a.shape) if a.ndim == 1 else a,
        params.theta,
    )
    zeta = params.zeta._replace(b=0.2 * rng.standard_normal(NY))
    return cell, rnn, RNNParams(theta, zeta), (jax_gru if kind == "gru" else jax_lstm)


KINDS = ["gru", "lstm"]


# ---- one step


def check_step(cell, f, theta, h, x, v, w, u):
    r"""D, D*, grad, grad* and grad*_each of ``cell`` at (h, x) against jax.jvp / jax.vjp of ``f``.

    The tangents ``v`` and cotangents ``w`` have shape ``(K, *h.shape)`` or ``h.shape``: since f
    acts pointwise over leading axes, JAX differentiates it at the point broadcast to their shape.
    """
    lin = cell.linearize(h, x, theta)
    th, H, X = to_jax(theta), jnp.asarray(h), jnp.asarray(x)
    assert_close(lin.output, f(H, X, th), rtol=1e-13)
    assert_close(cell(h, x, theta), lin.output, rtol=0)
    HK, XK = (
        jnp.broadcast_to(H, v.shape),
        jnp.broadcast_to(X, v.shape[:-1] + X.shape[-1:]),
    )
    assert_close(
        lin.D(v), jax.jvp(lambda hh: f(hh, XK, th), (HK,), (jnp.asarray(v),))[1]
    )
    assert_close(
        lin.D.adj(w), jax.vjp(lambda hh: f(hh, XK, th), HK)[1](jnp.asarray(w))[0]
    )
    assert_close(lin.grad(u), jax.jvp(lambda t: f(H, X, t), (th,), (to_jax(u),))[1])
    pull_t = jax.vjp(lambda t: f(HK, XK, t), th)[1]
    # summed over every leading axis
    assert_close(lin.grad.adj(w), pull_t(jnp.asarray(w))[0])
    assert_adjoint(lin.D, v, w)
    assert_adjoint(lin.grad, u, w.reshape((-1, *h.shape))[0])
    # per-sequence adjoints: each leaf gains the leading axes of w; they sum to grad*, and each is
    # the parameter cotangent of its own sequence alone (w zero on the other sequences)
    each = lin.grad_adjoint_each(w)
    for leaf, ref in zip(
        jax.tree_util.tree_leaves(tuple(each)),
        jax.tree_util.tree_leaves(tuple(theta)),
        strict=True,
    ):
        assert leaf.shape == w.shape[:-1] + ref.shape
    lead = tuple(range(w.ndim - 1))
    assert_close(
        tree_map(lambda a: a.sum(axis=lead), each), lin.grad.adj(w), rtol=1e-13
    )
    alone = np.zeros_like(w)
    # sequence 1 (the batch axis is the last leading axis)
    alone[..., 1, :] = w[..., 1, :]
    own = tree_map(lambda a: np.take(a, 1, axis=w.ndim - 2).sum(axis=lead[:-1]), each)
    assert_close(own, pull_t(jnp.asarray(alone))[0])


@pytest.mark.parametrize("kind", KINDS)
def test_cell_derivatives_against_jax(kind):
    rng = np.random.default_rng(11)
    cell, _, params, f = make(kind, rng)
    n = cell.n_h
    u = random_like(rng, params.theta)
    # at a batch of N points, with K tangents in front of the batch axis: (K, N, n)
    h, x = rng.standard_normal((N, n)), rng.standard_normal((N, NX))
    v, w = rng.standard_normal((2, K, N, n))
    check_step(cell, f, params.theta, h, x, v, w, u)
    # at a point with an extra leading axis itself, (K, N, n)
    h, x = rng.standard_normal((K, N, n)), rng.standard_normal((K, N, NX))
    v, w = rng.standard_normal((2, K, N, n))
    check_step(cell, f, params.theta, h, x, v, w, u)


def test_gru_reset_gate_acts_before_the_matrix_product():
    # r = (0, 1) and u = 1: h' = c = tanh(W_c (r (.) h) + U_c x + b_c) sees h_2 only, through
    # column 2 of W_c; the other variant, tanh(U_c x + b_c + r (.) W_c h), sees row 2 instead
    rng = np.random.default_rng(3)
    cell = GRUCell(2, 1)
    th = cell.init(rng)
    th = th._replace(r=GateParams(0 * th.r.W, 0 * th.r.U, np.array([-50.0, 50.0])))
    th = th._replace(u=GateParams(0 * th.u.W, 0 * th.u.U, np.full(2, 50.0)))
    h, x = rng.standard_normal((1, 2)), rng.standard_normal((1, 1))
    r = np.array([0.0, 1.0])
    ours = np.tanh((r * h) @ th.c.W.T + x @ th.c.U.T + th.c.b)
    other = np.tanh(x @ th.c.U.T + th.c.b + r * (h @ th.c.W.T))
    np.testing.assert_allclose(cell(h, x, th), ours, rtol=1e-12)
    assert np.abs(ours - other).max() > 1e-2


def test_lstm_memory_path_is_the_forget_gate():
    # D_c c' = diag(f): with the forget gate open and the input gate shut, c is carried unchanged
    rng = np.random.default_rng(4)
    cell = LSTMCell(2, 1)
    th = cell.init(rng)

    def zero(p, b):
        return p._replace(W=0 * p.W, U=0 * p.U, b=np.full(2, b))

    th = th._replace(i=zero(th.i, -50.0), f=zero(th.f, 50.0))
    s, x = rng.standard_normal((1, 4)), rng.standard_normal((1, 1))
    lin = cell.linearize(s, x, th)
    np.testing.assert_allclose(lin.output[:, 2:], s[:, 2:], rtol=1e-12)
    # (2, 1, 4)
    e_c = np.concatenate([np.zeros((2, 1, 2)), np.eye(2)[:, None, :]], axis=-1)
    np.testing.assert_allclose(
        lin.D.adj(e_c)[..., 2:], np.eye(2)[:, None, :], atol=1e-12
    )


def test_readh_derivatives_against_jax():
    rng = np.random.default_rng(5)
    layer = ReadH(Dense(NU, NY, tanh), NU, 2 * NU)
    ze = layer.init(rng)
    s = rng.standard_normal((N, 2 * NU))
    lin = layer.linearize(s, ze)
    Z = to_jax(ze)

    def g(ss, z):
        return jnp.tanh(mv(z[0], ss[..., :NU]) + z[1])

    S = jnp.asarray(s)
    v1, v2 = rng.standard_normal((2, N, 2 * NU))
    w = rng.standard_normal((N, NY))
    u = random_like(rng, ze)
    assert_close(lin.output, g(S, Z), rtol=1e-13)
    assert_close(lin.D(v1), jax.jvp(lambda ss: g(ss, Z), (S,), (jnp.asarray(v1),))[1])
    assert_close(lin.D.adj(w), jax.vjp(lambda ss: g(ss, Z), S)[1](jnp.asarray(w))[0])
    assert_close(lin.grad(u), jax.jvp(lambda z: g(S, z), (Z,), (to_jax(u),))[1])

    def d1(ss):
        return jax.jvp(lambda t: g(t, Z), (ss,), (jnp.asarray(v1),))[1]

    assert_close(lin.D2(v1, v2), jax.jvp(d1, (S,), (jnp.asarray(v2),))[1])

    def dg(ss):
        return jax.jvp(lambda z: g(ss, z), (Z,), (to_jax(u),))[1]

    assert_close(lin.D_grad(v1, u), jax.jvp(dg, (S,), (jnp.asarray(v1),))[1])
    for L_ in (lin.D2.left_hook(v1), lin.D2.right_hook(v2), lin.D_grad.right_hook(u)):
        assert_adjoint(L_, v2, w)
    assert_adjoint(lin.D, v1, w)
    assert_adjoint(lin.D_grad.left_hook(v1), u, w)
    np.testing.assert_array_equal(lin.D.adj(w)[:, NU:], 0.0)  # P* embeds into zeros


# ---- whole networks


def jax_loss(kind, f, x, y, mask, loss):
    X, Y, M = map(jnp.asarray, (x, y, mask))
    n = NH if kind == "gru" else 2 * NU

    def J(p):
        th, ze = p
        h, total = jnp.zeros((N, n)), 0.0
        for i in range(L):
            h = f(h, X[:, i], th)
            total = total + jnp.sum(
                M[:, i] * per_step(jax_readout(kind, h, ze), Y[:, i], loss)
            )
        return total

    return J


@pytest.mark.thesis(
    "Theorem 5.1.7", "Algorithm 5.1.2", "Theorem 5.1.3", "Algorithm 5.1.1"
)
@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize(
    "loss", [squared, cross_entropy], ids=["squared", "cross-entropy"]
)
def test_gated_rnn_gradients_against_jax(kind, loss):
    rng = np.random.default_rng(21)
    _, rnn, params, f = make(kind, rng)
    x = rng.standard_normal((N, L, NX))
    if loss is squared:
        y = rng.standard_normal((N, L, NY))
    else:
        y = one_hot(rng.integers(0, NY, N * L), NY).reshape(N, L, NY)
    mask = np.ones((N, L))
    mask[0, 4:] = 0  # a shorter sequence
    mask[1, 2] = 0  # a missing target
    y[0, 4:] = np.nan  # targets past the end of a sequence are never read
    J = jax_loss(kind, f, x, np.nan_to_num(y), mask, loss)
    expected_value, expected = jax.value_and_grad(J)(to_jax(params))
    for method in (rnn.loss_and_gradient_bptt, rnn.loss_and_gradient_rtrl):
        value, grads = method(x, y, params, loss, mask)
        assert value == pytest.approx(float(expected_value), rel=1e-12)
        assert_close(grads, expected)
    np.testing.assert_allclose(
        rnn(x, params), rnn.forward(x, params).outputs, rtol=1e-14
    )


# ---- state-gradient norms


@pytest.mark.thesis("Theorem 5.1.5", "Lemma 5.1.4")
@pytest.mark.parametrize("kind", KINDS)
def test_state_gradient_norms_against_jax(kind):
    rng = np.random.default_rng(31)
    _, rnn, params, f = make(kind, rng)
    x = rng.standard_normal((N, L, NX))
    y = one_hot(rng.integers(0, NY, N * L), NY).reshape(N, L, NY)
    norms = state_gradient_norms(rnn, params, x, y, cross_entropy)
    each = state_gradient_norms(rnn, params, x, y, cross_entropy, per_sequence=True)
    assert norms.shape == (L + 1,) and each.shape == (N, L + 1)
    th, ze = to_jax(params)
    X, YL = jnp.asarray(x), jnp.asarray(y[:, -1])
    states = [jnp.zeros((N, rnn.cell.n_h))]
    for i in range(L):
        states.append(f(states[-1], X[:, i], th))

    # D_{h_i} J_L, with J_L the last step's loss as a function of h_i
    for i in range(L + 1):

        def last_loss(h, i=i):
            for k in range(i, L):
                h = f(h, X[:, k], th)
            return jnp.sum(per_step(jax_readout(kind, h, ze), YL, cross_entropy))

        G = np.asarray(jax.grad(last_loss)(states[i]))
        assert norms[L - i] == pytest.approx(np.linalg.norm(G), rel=1e-10)
        np.testing.assert_allclose(
            each[:, L - i], np.linalg.norm(G, axis=-1), rtol=1e-10
        )


def test_vanilla_gradients_vanish_and_gated_ones_need_not():
    # a contracting vanilla cell: ||D_{h_i} J_L|| decays geometrically in the lag. An LSTM whose
    # forget gate is nearly open (f ~ sigmoid(5)) and input gate mostly shut carries the memory
    # path diag(f) back almost unchanged; a GRU whose update gate is nearly shut has Df ~ 1 - u.
    rng = np.random.default_rng(0)
    Lg, n = 30, 4
    x, y = rng.standard_normal((2, Lg, 1)), rng.standard_normal((2, Lg, 1))
    van = RNN(VanillaCell(n, 1), Dense(n, 1))
    pv = van.init(rng)
    pv = RNNParams(pv.theta._replace(W=0.5 * pv.theta.W), pv.zeta)
    cell = LSTMCell(n, 1)
    lstm = RNN(cell, cell.readout(1))
    pl = lstm.init(rng)
    th = pl.theta
    pl = RNNParams(
        th._replace(
            f=th.f._replace(b=np.full(n, 5.0)), i=th.i._replace(b=np.full(n, -2.0))
        ),
        pl.zeta,
    )
    gru = RNN(GRUCell(n, 1), Dense(n, 1))
    pg = gru.init(rng)
    pg = RNNParams(
        pg.theta._replace(u=pg.theta.u._replace(b=np.full(n, -5.0))), pg.zeta
    )
    ratio = {
        name: norms[Lg] / norms[0]
        for name, norms in (
            ("vanilla", state_gradient_norms(van, pv, x, y, squared)),
            ("lstm", state_gradient_norms(lstm, pl, x, y, squared)),
            ("gru", state_gradient_norms(gru, pg, x, y, squared)),
        )
    }
    assert ratio["vanilla"] < 1e-8
    assert ratio["lstm"] > 1e-2 and ratio["gru"] > 1e-2


# ---- bad inputs


def test_bad_shapes():
    rng = np.random.default_rng(0)
    gru, lstm = GRUCell(3, 2), LSTMCell(3, 2)
    tg, tl = gru.init(rng), lstm.init(rng)
    with pytest.raises(ValueError, match=r"GRUCell expected h of shape \(\.\.\., 3\)"):
        gru(np.zeros((2, 4)), np.zeros((2, 2)), tg)
    with pytest.raises(ValueError, match="same leading axes"):
        gru.linearize(np.zeros((2, 3)), np.zeros((3, 2)), tg)
    with pytest.raises(ValueError, match=r"theta\.u\.b of shape \(3,\)"):
        gru(
            np.zeros((2, 3)),
            np.zeros((2, 2)),
            tg._replace(u=tg.u._replace(b=np.zeros(4))),
        )
    with pytest.raises(TypeError, match="GRUParams"):
        gru(np.zeros((2, 3)), np.zeros((2, 2)), tl)
    with pytest.raises(ValueError, match=r"LSTMCell expected h of shape \(\.\.\., 6\)"):
        lstm.linearize(np.zeros((2, 3)), np.zeros((2, 2)), tl)
    with pytest.raises(ValueError, match=r"theta\.f\.W of shape \(3, 3\)"):
        lstm(
            np.zeros((2, 6)),
            np.zeros((2, 2)),
            tl._replace(f=tl.f._replace(W=np.zeros((3, 2)))),
        )
    with pytest.raises(ValueError, match=r"expected x of shape \(\.\.\., 6\)"):
        lstm.readout(1)(np.zeros((2, 3)), Dense(3, 1).init(rng))
    rnn = RNN(gru, Dense(3, 1))
    p = rnn.init(rng)
    with pytest.raises(ValueError, match=r"shape \(N, L, 2\)"):
        rnn(np.zeros((2, 5, 3)), p)
    with pytest.raises(ValueError, match="targets of shape"):
        state_gradient_norms(rnn, p, np.zeros((2, 5, 2)), np.zeros((3, 5, 1)), squared)
    with pytest.raises(ValueError, match="targets of the output's shape"):
        state_gradient_norms(rnn, p, np.zeros((2, 5, 2)), np.zeros((2, 2)), squared)
    assert isinstance(p.theta, GRUParams)
