"""Chapter 5: the generic and the vanilla RNN, BPTT and RTRL, against each other and JAX (1e-10)."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from adjnets import Dense, cross_entropy, one_hot, squared, tanh
from adjnets.autodiff import assert_close, jax, jnp, rnn_states, to_jax
from adjnets.calculus.check import assert_adjoint
from adjnets.calculus.linear import LinearMap
from adjnets.calculus.spaces import random_like, tree_map
from adjnets.recurrent.rnn import (
    RNN,
    RNNForward,
    RNNParams,
    VanillaCell,
    VanillaRNN,
    backpropagate_chain,
    chain_parameter_gradient,
    head_parameter_derivative,
    transition_derivative,
)

N, L, NX, NH, NY = 3, 6, 2, 4, 3


@pytest.fixture(params=["squared", "cross-entropy"])
def case(request):
    rng = np.random.default_rng(31)
    rnn = VanillaRNN(NX, NH, NY, tanh)
    params = rnn.init(rng)
    params = RNNParams(
        params.theta._replace(b=0.3 * rng.standard_normal(NH)), params.zeta
    )
    x = rng.standard_normal((N, L, NX))
    loss = squared if request.param == "squared" else cross_entropy
    y = (
        rng.standard_normal((N, L, NY))
        if loss is squared
        else one_hot(rng.integers(0, NY, N * L), NY).reshape(N, L, NY)
    )
    mask = np.ones((N, L))
    mask[0, 4:] = 0  # a shorter sequence
    mask[1, 2] = 0  # a missing target
    return rng, rnn, params, x, y, mask, loss


def jax_loss(x, y, mask, loss):
    X, Y, M = map(jnp.asarray, (x, y, mask))

    def J(params):
        _, (V, c) = params
        total = 0.0
        for i, h in enumerate(jnp.unstack(rnn_states(params, X), axis=1)):
            out = h @ V.T + c
            if loss is squared:
                per = 0.5 * jnp.sum((out - Y[:, i]) ** 2, axis=-1)
            else:
                per = -jnp.sum(Y[:, i] * jax.nn.log_softmax(out, axis=-1), axis=-1)
            total = total + jnp.sum(M[:, i] * per)
        return total

    return J


def check_against_jax(rnn, method, params, x, y, mask, loss):
    value, grads = method(x, y, params, loss, mask)
    J = jax_loss(x, y, mask, loss)
    assert value == pytest.approx(float(J(to_jax(params))), rel=1e-12)
    assert_close(grads, jax.grad(J)(to_jax(params)))


@pytest.mark.thesis("Theorem 5.1.7", "Algorithm 5.1.2", "Theorem 5.1.1")
def test_generic_bptt_against_jax(case):
    _, rnn, params, x, y, mask, loss = case
    check_against_jax(rnn, rnn.loss_and_gradient_bptt, params, x, y, mask, loss)


@pytest.mark.thesis("Theorem 5.1.3", "Algorithm 5.1.1", "Lemma 5.1.2")
def test_generic_rtrl_against_jax(case):
    _, rnn, params, x, y, mask, loss = case
    check_against_jax(rnn, rnn.loss_and_gradient_rtrl, params, x, y, mask, loss)


@pytest.mark.thesis(
    "Theorem 5.2.3", "Theorem 5.2.4", "Algorithm 5.2.1", "Theorem 5.2.2"
)
def test_vanilla_bptt_against_jax(case):
    _, rnn, params, x, y, mask, loss = case
    check_against_jax(rnn, rnn.bptt, params, x, y, mask, loss)


@pytest.mark.thesis("Algorithm 5.2.2")
def test_vanilla_rtrl_against_jax_and_bptt(case):
    _, rnn, params, x, y, mask, loss = case
    check_against_jax(rnn, rnn.rtrl, params, x, y, mask, loss)
    assert_close(
        rnn.rtrl(x, y, params, loss, mask)[1], rnn.bptt(x, y, params, loss, mask)[1]
    )


@pytest.mark.thesis("Theorem 5.1.5")
def test_bptt_errors_are_the_state_gradients(case):
    _, rnn, params, x, y, mask, loss = case
    fwd = rnn.forward(x, params)
    _, errs = rnn.errors(fwd, y, loss, mask)
    eps = rnn.backpropagate_through_time(fwd, errs)
    th, (V, c) = to_jax(params)
    X, Y, M = map(jnp.asarray, (x, y, mask))
    # eps_i = D_{h_i} J: the loss of steps >= i as a function of h_i
    for i in range(1, L + 1):

        def rest(h, i=i):
            total = 0.0
            for k in range(i, L + 1):
                if k > i:
                    h = jnp.tanh(h @ th[0].T + X[:, k - 1] @ th[1].T + th[2])
                out = h @ V.T + c
                per = (
                    0.5 * jnp.sum((out - Y[:, k - 1]) ** 2, -1)
                    if loss is squared
                    else -jnp.sum(Y[:, k - 1] * jax.nn.log_softmax(out, -1), -1)
                )
                total = total + jnp.sum(M[:, k - 1] * per)
            return total

        assert_close(eps[i - 1], jax.grad(rest)(jnp.asarray(fwd.states[i])))


@pytest.mark.thesis("Lemma 5.1.4")
def test_derivative_of_mu(case):
    rng, rnn, params, x, _, _, _ = case
    fwd = rnn.forward(x, params)
    th = to_jax(params.theta)
    i, j = 1, 4
    v, w = rng.standard_normal((2, N, NH))

    def mu(h):  # f_j o ... o f_{i+1}
        for k in range(i + 1, j + 1):
            h = jnp.tanh(h @ th[0].T + jnp.asarray(x[:, k - 1]) @ th[1].T + th[2])
        return h

    D = transition_derivative(fwd, j, i)
    assert_close(D(v), jax.jvp(mu, (jnp.asarray(fwd.states[i]),), (jnp.asarray(v),))[1])
    assert_adjoint(D, v, w)
    # D mu_{i,i+1} = id
    np.testing.assert_array_equal(transition_derivative(fwd, i, i)(v), v)


@pytest.mark.thesis("Lemma 5.1.6")
@pytest.mark.parametrize("k", range(1, L + 1))
def test_head_parameter_derivative(case, k):
    rng, rnn, params, x, _, _, _ = case
    fwd = rnn.forward(x, params)
    u = random_like(rng, params.theta)

    def alpha_k(theta):
        return rnn_states((theta, None), jnp.asarray(x))[:, k - 1]

    expected = jax.jvp(alpha_k, (to_jax(params.theta),), (to_jax(u),))[1]
    G = head_parameter_derivative(fwd, k)
    assert_close(G(u), expected)
    assert_adjoint(G, u, rng.standard_normal((N, NH)))


@pytest.mark.thesis("Theorem 5.2.1")
def test_vanilla_cell_derivatives(case):
    rng, rnn, params, x, _, _, _ = case
    h, xi = rng.standard_normal((N, NH)), x[:, 0]
    lin = rnn.cell.linearize(h, xi, params.theta)
    th = to_jax(params.theta)

    def f(hh, t):
        return jnp.tanh(hh @ t[0].T + jnp.asarray(xi) @ t[1].T + t[2])

    v, w = rng.standard_normal((2, N, NH))
    u = random_like(rng, params.theta)
    assert_close(
        lin.D(v), jax.jvp(lambda hh: f(hh, th), (jnp.asarray(h),), (jnp.asarray(v),))[1]
    )
    assert_close(
        lin.grad(u), jax.jvp(lambda t: f(jnp.asarray(h), t), (th,), (to_jax(u),))[1]
    )
    assert_adjoint(lin.D, v, w)
    assert_adjoint(lin.grad, u, w)
    # per-sequence adjoints sum to the batch adjoint
    each = lin.grad_adjoint_each(w)
    assert_close(tree_map(lambda a: a.sum(axis=0), each), lin.grad.adj(w), rtol=1e-13)


def test_truncated_bptt_is_exact_without_truncation_and_biased_with_it(case):
    _, rnn, params, x, y, mask, loss = case
    exact = rnn.loss_and_gradient_bptt(x, y, params, loss, mask)[1]
    assert_close(
        rnn.truncated_bptt(x, y, params, loss, every=L, back=L, mask=mask)[1],
        exact,
        rtol=1e-13,
    )
    assert_close(
        rnn.truncated_bptt(x, y, params, loss, every=1, back=L, mask=mask)[1],
        exact,
        rtol=1e-13,
    )
    short = rnn.truncated_bptt(x, y, params, loss, every=2, back=2, mask=mask)[1]
    # the prediction gradient is never truncated
    assert_close(short.zeta, exact.zeta, rtol=1e-13)
    diff = np.abs(short.theta.W - exact.theta.W).max()
    assert diff > 1e-6


def test_generic_rnn_with_any_readout_layer():
    rng = np.random.default_rng(2)
    rnn = RNN(VanillaCell(4, 2), Dense(4, 3, tanh))
    params = rnn.init(rng)
    x, y = rng.standard_normal((2, 5, 2)), rng.standard_normal((2, 5, 3))
    a = rnn.loss_and_gradient_bptt(x, y, params, squared)[1]
    b = rnn.loss_and_gradient_rtrl(x, y, params, squared)[1]
    assert_close(a, b)


def test_bad_inputs():
    rnn = VanillaRNN(2, 3, 1)
    params = rnn.init(np.random.default_rng(0))
    with pytest.raises(ValueError, match=r"shape \(N, L, 2\)"):
        rnn(np.zeros((2, 5)), params)
    with pytest.raises(ValueError, match=r"h0 of shape \(2, 3\)"):
        rnn(np.zeros((2, 5, 2)), params, h0=np.zeros((3, 3)))
    with pytest.raises(ValueError, match="mask of shape"):
        rnn.bptt(
            np.zeros((2, 5, 2)),
            np.zeros((2, 5, 1)),
            params,
            squared,
            mask=np.ones((2, 4)),
        )
    with pytest.raises(ValueError, match="every to be an integer >= 1"):
        rnn.truncated_bptt(
            np.zeros((2, 5, 2)), np.zeros((2, 5, 1)), params, squared, every=0, back=1
        )


def test_tangent_loss_of_the_rnn_against_jax(case):
    # the thesis's first future work: the higher-order loss for a recurrent network
    rng, rnn, params, x, y, mask, loss = case
    K, mu = 2, 0.7
    v, beta = rng.standard_normal((K, N, L, NX)), rng.standard_normal((K, N, L, NY))
    value, grads = rnn.tangent_loss_and_gradient(x, y, v, beta, params, mu, loss, mask)
    base = jax_loss(x, y, mask, loss)
    X, M = jnp.asarray(x), jnp.asarray(mask)

    def outputs(p, xx):
        _, (V, c) = p
        return rnn_states(p, xx) @ V.T + c

    def J(p):
        R = 0.0
        for k in range(K):
            _, tau = jax.jvp(lambda xx: outputs(p, xx), (X,), (jnp.asarray(v[k]),))
            R = R + 0.5 * jnp.sum(M[..., None] * (tau - jnp.asarray(beta[k])) ** 2) / K
        return base(p) + mu * R

    assert value == pytest.approx(float(J(to_jax(params))), rel=1e-12)
    assert_close(grads, jax.grad(J)(to_jax(params)))


# ---- long chains (issue 14, item 5): loops, not nested compositions; linear cost


def product_of_steps(fwd, j, i, v):
    """Df_j ... Df_{i+1} v, one step derivative after the other (the reference)."""
    for k in range(i + 1, j + 1):
        v = fwd.cells[k - 1].D(v)
    return v


def adjoint_product_of_steps(fwd, j, i, w):
    """D*f_{i+1} ... D*f_j w."""
    for k in range(j, i, -1):
        w = fwd.cells[k - 1].D.adj(w)
    return w


def sum_of_terms(fwd, k, u):
    """Lemma 5.1.6 term by term: sum_j Dmu_{k,j+1}(h_j) grad f_j(h_{j-1}) u."""
    return sum(
        product_of_steps(fwd, k, j, fwd.cells[j - 1].grad(u)) for j in range(1, k + 1)
    )


def adjoint_sum_of_terms(fwd, k, w):
    """sum_j grad* f_j(h_{j-1}) D*mu_{k,j+1}(h_j) w."""
    parts = [
        fwd.cells[j - 1].grad.adj(adjoint_product_of_steps(fwd, k, j, w))
        for j in range(1, k + 1)
    ]
    total = parts[0]
    for part in parts[1:]:
        total = tree_map(np.add, total, part)
    return total


def rel(a, b):
    from adjnets.calculus.spaces import norm

    return norm(tree_map(np.subtract, a, b)) / norm(b)


@pytest.mark.thesis("Lemma 5.1.4")
def test_transition_derivative_is_the_product_of_the_steps(case):
    rng, rnn, params, x, _, _, _ = case
    fwd = rnn.forward(x, params)
    for i in range(L + 1):
        for j in range(L + 1):
            v, w = rng.standard_normal((2, N, NH))
            D = transition_derivative(fwd, j, i)
            np.testing.assert_array_equal(D(v), product_of_steps(fwd, j, i, v))
            np.testing.assert_array_equal(
                D.adj(w), adjoint_product_of_steps(fwd, j, i, w)
            )
            assert_adjoint(D, v, w)
            # and the recursion (5.13)
            if j >= i + 1:
                recursion = transition_derivative(fwd, j, i + 1) @ fwd.cells[i].D
                np.testing.assert_array_equal(D(v), recursion(v))


@pytest.mark.thesis("Lemma 5.1.6")
def test_head_parameter_derivative_is_the_sum_of_lemma_5_1_6(case):
    # the Horner-like recursion against the sum of (5.21) term by term, every k
    rng, rnn, params, x, _, _, _ = case
    fwd = rnn.forward(x, params)
    for k in range(1, L + 1):
        G = head_parameter_derivative(fwd, k)
        u, w = random_like(rng, params.theta), rng.standard_normal((N, NH))
        assert rel(G(u), sum_of_terms(fwd, k, u)) < 1e-13
        assert rel(G.adj(w), adjoint_sum_of_terms(fwd, k, w)) < 1e-13
        assert_adjoint(G, u, w)


def counting(fwd):
    """``fwd`` with every step and parameter derivative counting its applications."""
    counts = {"D": 0, "D*": 0, "grad": 0, "grad*": 0}

    def wrap(f, key):
        def counted(a):
            counts[key] += 1
            return f(a)

        return counted

    cells = [
        dataclasses.replace(
            c,
            D=LinearMap(wrap(c.D.apply, "D"), wrap(c.D.adjoint_apply, "D*")),
            grad=LinearMap(
                wrap(c.grad.apply, "grad"), wrap(c.grad.adjoint_apply, "grad*")
            ),
        )
        for c in fwd.cells
    ]
    return RNNForward(fwd.states, cells, fwd.readouts), counts


def test_chains_cost_one_application_per_step():
    rng = np.random.default_rng(4)
    rnn, n = VanillaRNN(NX, NH, NY), 40
    params = rnn.init(rng)
    fwd, counts = counting(rnn.forward(rng.standard_normal((N, n, NX)), params))
    v, w, u = rng.standard_normal((N, NH)), rng.standard_normal((N, NH)), params.theta
    for k in range(1, n + 1):
        for key in counts:
            counts[key] = 0
        G = head_parameter_derivative(fwd, k)
        G(u)
        G.adj(w)
        # k - 1 step derivatives and k parameter derivatives each way, where the sum
        # term by term applies k (k - 1) / 2 step derivatives
        assert counts == {"D": k - 1, "D*": k - 1, "grad": k, "grad*": k}
    for i, j in [(0, n), (3, 17), (5, 5), (9, 2)]:
        for key in counts:
            counts[key] = 0
        D = transition_derivative(fwd, j, i)
        D(v)
        D.adj(w)
        assert counts["D"] == counts["D*"] == max(j - i, 0)


def test_long_chains_do_not_recurse():
    # nested compositions (one call per step) overflowed the recursion limit of 1000
    rng = np.random.default_rng(5)
    n = 2000
    rnn = VanillaRNN(1, 3, 1)
    params = rnn.init(rng)
    fwd = rnn.forward(rng.standard_normal((2, n, 1)), params)
    v, w = rng.standard_normal((2, 2, 3))
    D = transition_derivative(fwd, n, 0)
    np.testing.assert_array_equal(D(v), product_of_steps(fwd, n, 0, v))
    np.testing.assert_array_equal(D.adj(w), adjoint_product_of_steps(fwd, n, 0, w))
    assert_adjoint(D, v, w)
    G = head_parameter_derivative(fwd, n)
    u = random_like(rng, params.theta)
    assert_adjoint(G, u, w)
    # the adjoint is BPTT with an error injected at step n only (Theorem 5.1.5)
    injected = [np.zeros_like(w)] * (n - 1) + [w]
    eps = backpropagate_chain(fwd.cells, injected)
    assert rel(G.adj(w), chain_parameter_gradient(fwd.cells, eps)) < 1e-12
    # and the tangent is the RTRL forward recursion run to step n
    t = fwd.cells[0].grad(u)
    for cell in fwd.cells[1:]:
        t = cell.D(t) + cell.grad(u)
    np.testing.assert_array_equal(G(u), t)


def test_chain_indices_are_checked(case):
    _, rnn, params, x, _, _, _ = case
    fwd = rnn.forward(x, params)
    with pytest.raises(ValueError, match=rf"j to be an integer in \[0, {L}\]"):
        transition_derivative(fwd, L + 1, 0)
    with pytest.raises(ValueError, match=rf"i to be an integer in \[0, {L}\]"):
        transition_derivative(fwd, 2, -1)
    for k, error in ((0, ValueError), (L + 1, ValueError), (2.0, TypeError)):
        with pytest.raises(error, match=rf"k to be an integer in \[1, {L}\]"):
            head_parameter_derivative(fwd, k)
    with pytest.raises(TypeError, match=rf"k to be an integer in \[1, {L}\]"):
        head_parameter_derivative(fwd, True)
