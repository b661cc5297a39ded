"""Numbered results of the thesis checked against references independent of adjnets.

Real-time recurrent learning (thesis section 5.1.1): the gradient of the loss of one
step, (5.12), and the map carried forward, (5.10) and (5.42), are compared step by step
with JAX's reverse mode through :func:`adjnets.autodiff.rnn_states` and with central
differences of the step's loss. These use only the public API of
:mod:`adjnets.recurrent.rnn` (``RNN``, ``rtrl_start``, ``rtrl_step``), with no mask.
"""

from __future__ import annotations

import numpy as np
import pytest

from adjnets import (
    RNN,
    Dense,
    RNNParams,
    VanillaCell,
    VanillaParams,
    cross_entropy,
    one_hot,
    sigmoid,
    squared,
    tanh,
    tree_map,
)
from adjnets.autodiff import assert_close, dense, jax, jnp, rnn_states, to_jax
from adjnets.calculus.check import assert_gradient
from adjnets.recurrent.rnn import rtrl_start, rtrl_step

N, L, N_X, N_H, N_Y = 3, 5, 2, 4, 3


def _case(loss):
    """A vanilla cell with a nonlinear readout g(h) = sigmoid(Vh + c), so that
    D*g(h_i) in (5.12) is not just V^T; a nonzero initial state h_0."""
    rng = np.random.default_rng(11)
    rnn = RNN(VanillaCell(N_H, N_X, tanh), Dense(N_H, N_Y, sigmoid))
    params = rnn.init(rng)
    params = RNNParams(
        VanillaParams(*(a + 0.3 * rng.standard_normal(a.shape) for a in params.theta)),
        tree_map(lambda a: a + 0.3 * rng.standard_normal(a.shape), params.zeta),
    )
    x = rng.standard_normal((N, L, N_X))
    h0 = 0.5 * rng.standard_normal((N, N_H))
    if loss is squared:
        y = rng.standard_normal((N, L, N_Y))
    else:
        y = one_hot(rng.integers(0, N_Y, N * L), N_Y).reshape(N, L, N_Y)
    return rnn, params, x, y, h0


def _jax_step_loss(rnn, loss, x, y, h0, i):
    """theta, zeta -> J(y_i, y_hat_i), the loss of step i alone, in JAX."""
    X, Y, H0 = jnp.asarray(x), jnp.asarray(y[:, i]), jnp.asarray(h0)

    def J(params):
        hs = rnn_states(params, X, "tanh", H0)
        out = dense(rnn.readout, hs[:, i], params[1])
        if loss is squared:
            return 0.5 * jnp.sum((out - Y) ** 2)
        return -jnp.sum(Y * jax.nn.log_softmax(out, axis=-1))

    return J


@pytest.mark.thesis("Theorem 5.1.3", "Lemma 5.1.2", "Theorem 5.1.1")
@pytest.mark.parametrize(
    "loss", [squared, cross_entropy], ids=["squared", "cross-entropy"]
)
def test_rtrl_gradient_of_each_step_against_jax(loss):
    # (5.12): grad_theta J(y_i, y_hat_i) = grad*_theta alpha_i(h) . D*g(h_i) . e_i at
    # every step i, known at step i with nothing of the later steps; and (Theorem
    # 5.1.1) grad_zeta J(y_i, y_hat_i) = grad*_zeta g(h_i) . e_i
    rnn, params, x, y, h0 = _case(loss)
    state = rtrl_start(rnn, N, h0)
    total_value, total = 0.0, None
    for i in range(L):
        value, grads, state = rtrl_step(rnn, params, state, x[:, i], y[:, i], loss)
        J = _jax_step_loss(rnn, loss, x, y, h0, i)
        expected_value, expected = jax.value_and_grad(J)(to_jax(params))
        assert value == pytest.approx(float(expected_value), rel=1e-12)
        assert_close(grads, expected, rtol=1e-10)
        assert isinstance(grads, RNNParams)
        total_value += value
        total = grads if total is None else tree_map(np.add, total, grads)
    # the steps add up to the gradient of the whole sequence's loss (5.4)
    value, gradient = rnn.loss_and_gradient_rtrl(x, y, params, loss, h0=h0)
    assert value == pytest.approx(total_value, rel=1e-13)
    assert_close(gradient, total, rtol=1e-13)


@pytest.mark.thesis("Theorem 5.1.3")
def test_rtrl_gradient_of_each_step_against_central_differences():
    rnn, params, x, y, h0 = _case(squared)
    state, rng = rtrl_start(rnn, N, h0), np.random.default_rng(3)
    for i in range(L):
        _, grads, state = rtrl_step(rnn, params, state, x[:, i], y[:, i], squared)

        def step_loss(p, i=i):
            return squared.value(rnn(x, p, h0)[:, i], y[:, i])

        assert_gradient(step_loss, grads, params, rng, rtol=1e-7)


@pytest.mark.thesis("Lemma 5.1.2")
def test_rtrl_carried_map_is_the_parameter_derivative_of_the_head_map():
    # (5.10), held on the basis of E_h as in (5.42): A_{i,j} = grad*_theta alpha_i(h).e_j
    # is the theta-gradient of <e_j, h_i>, the Jacobian of h_i in theta, stream by stream
    rnn, params, x, y, h0 = _case(squared)
    X, H0 = jnp.asarray(x), jnp.asarray(h0)
    zeta = to_jax(params.zeta)
    state = rtrl_start(rnn, N, h0)
    for i in range(L):
        _, _, state = rtrl_step(rnn, params, state, x[:, i], y[:, i], squared)

        def h_i(theta, i=i):
            return rnn_states((theta, zeta), X, "tanh", H0)[:, i]

        jacobian = jax.jacrev(h_i)(to_jax(params.theta))  # leaves (N, n_h, *shape)
        assert_close(state.A, jacobian, rtol=1e-10)
        np.testing.assert_allclose(
            state.h, np.asarray(h_i(to_jax(params.theta))), rtol=1e-13
        )
