"""Tests of adjnets.data.sequences: synthetic sequence data, BPTT training and step-by-step RTRL."""

from __future__ import annotations

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

from adjnets import (
    RNN,
    Dense,
    VanillaCell,
    VanillaRNN,
    cross_entropy,
    one_hot,
    squared,
    tanh,
)
from adjnets.calculus.spaces import norm, tree_map
from adjnets.data.sequences import delayed_recall, kicked_oscillator, next_step
from adjnets.recurrent.rnn import rtrl_start, rtrl_step
from adjnets.training.recurrent import train_online_rtrl, train_rnn


def rel(a, b):
    return norm(tree_map(np.subtract, a, b)) / norm(b)


def test_kicked_oscillator_has_unit_variance_and_its_best_predictor_error():
    rho, omega = 0.97, 0.4
    s = kicked_oscillator(np.full((200, 400), omega), rho=rho, rng=1)
    assert s.shape == (200, 400) and s.dtype == np.float64
    assert_allclose(s.var(), 1.0, rtol=0.08)
    residual = s[:, 2:] - 2 * rho * np.cos(omega) * s[:, 1:-1] + rho**2 * s[:, :-2]
    kappa2 = (
        (1 - rho**2)
        * ((1 + rho**2) ** 2 - 4 * rho**2 * np.cos(omega) ** 2)
        / (1 + rho**2)
    )
    assert_allclose(residual.var(), kappa2, rtol=0.03)


def test_generators_are_reproducible_and_validate():
    om = np.full((3, 10), 0.3)
    assert_array_equal(kicked_oscillator(om, rng=4), kicked_oscillator(om, rng=4))
    assert not np.allclose(kicked_oscillator(om, rng=4), kicked_oscillator(om, rng=5))
    with pytest.raises(ValueError, match="rho"):
        kicked_oscillator(om, rho=1.0)
    with pytest.raises(ValueError, match=r"shape \(n, T\)"):
        kicked_oscillator(np.zeros(5))
    with pytest.raises(ValueError, match="delay < length"):
        delayed_recall(2, 5, 5)


def test_next_step_and_delayed_recall():
    s = np.arange(12.0).reshape(2, 6)
    x, y = next_step(s)
    assert x.shape == y.shape == (2, 5, 1)
    assert_array_equal(y[:, :-1], x[:, 1:])
    x, y, mask = delayed_recall(4, 10, 3, rng=0)
    assert x.shape == y.shape == (4, 10, 1) and mask.shape == (4, 10)
    assert_array_equal(mask[:, :3], 0) and np.all(mask[:, 3:] == 1)
    assert_array_equal(y[:, 3:], x[:, :7])


@pytest.mark.parametrize("loss_name", ["squared", "cross-entropy"])
@pytest.mark.parametrize("generic", [False, True])
def test_rtrl_steps_sum_to_the_gradient(loss_name, generic):
    rng = np.random.default_rng(3)
    N, L, NX, NH, NY = 3, 7, 2, 4, 3
    rnn = (
        RNN(VanillaCell(NH, NX), Dense(NH, NY, tanh))
        if generic
        else VanillaRNN(NX, NH, NY)
    )
    params = rnn.init(rng)
    x = rng.standard_normal((N, L, NX))
    loss = squared if loss_name == "squared" else cross_entropy
    y = (
        rng.standard_normal((N, L, NY))
        if loss is squared
        else one_hot(rng.integers(0, NY, N * L), NY).reshape(N, L, NY)
    )
    mask = np.ones((N, L))
    mask[0, 5:] = 0
    mask[2, 1] = 0
    value, exact = rnn.loss_and_gradient_bptt(x, y, params, loss, mask)
    state, total, acc = rtrl_start(rnn, N), 0.0, None
    for i in range(L):
        v, g, state = rtrl_step(rnn, params, state, x[:, i], y[:, i], loss, mask[:, i])
        total += v
        acc = g if acc is None else tree_map(np.add, acc, g)
        prefix = rnn.loss_and_gradient_bptt(
            x[:, : i + 1], y[:, : i + 1], params, loss, mask[:, : i + 1]
        )[1]
        # the exact gradient of the loss so far, at every step
        assert rel(acc, prefix) < 1e-10
    assert total == pytest.approx(value, rel=1e-13)
    assert rel(acc, exact) < 1e-10
    assert state.A.W.shape == (N, NH, NH, NH)


def test_online_rtrl_without_updates_changes_nothing_and_learns_with_them():
    rnn = VanillaRNN(1, 6, 1)
    p = rnn.init(np.random.default_rng(1))
    x, y = next_step(kicked_oscillator(np.full((1, 801), 0.3), rng=2))
    same, losses = train_online_rtrl(rnn, p, x, y, squared, lr=0.0)
    assert rel(same, p) == 0.0
    assert_allclose(losses, 0.5 * ((rnn(x, p) - y)[0, :, 0]) ** 2, rtol=1e-12)
    _, losses = train_online_rtrl(rnn, p, x, y, squared, lr=0.05, clip=1.0)
    assert losses[-200:].mean() < 0.2 * losses[:200].mean()
    with pytest.raises(ValueError, match="every"):
        train_online_rtrl(rnn, p, x, y, squared, lr=0.1, every=0)


def test_train_rnn_reduces_the_loss_and_is_reproducible():
    om = np.random.default_rng(0).uniform(0.2, 0.5, (64, 1))
    x, y = next_step(kicked_oscillator(np.repeat(om, 31, axis=1), rng=1))
    rnn = VanillaRNN(1, 8, 1)
    p = rnn.init(np.random.default_rng(2))
    a, hist_a = train_rnn(
        rnn, p, x, y, squared, lr=0.05, epochs=8, batch_size=16, rng=3, clip=1.0
    )
    b, hist_b = train_rnn(
        rnn, p, x, y, squared, lr=0.05, epochs=8, batch_size=16, rng=3, clip=1.0
    )
    assert rel(a, b) == 0.0 and np.array_equal(hist_a, hist_b)
    assert hist_a[-1] < 0.5 * hist_a[0]
    # one full-batch step without clipping is a step of lr on the mean loss
    mask = np.ones(x.shape[:2])
    mask[:, :5] = 0
    one, _ = train_rnn(
        rnn, p, x, y, squared, lr=0.1, epochs=1, batch_size=64, mask=mask
    )
    _, g = rnn.bptt(x, y, p, squared, mask)
    expected = tree_map(lambda q, d: q - 0.1 * d / mask.sum(), p, g)
    assert rel(one, expected) < 1e-14
    with pytest.raises(ValueError, match=r"\blr\b"):
        train_rnn(rnn, p, x, y, squared, lr=-1.0, epochs=1, batch_size=4)


def test_training_loops_take_boolean_masks_and_refuse_a_mask_without_targets():
    rng = np.random.default_rng(4)
    rnn = VanillaRNN(1, 4, 1)
    p = rnn.init(rng)
    x, y = rng.standard_normal((6, 9, 1)), rng.standard_normal((6, 9, 1))
    mask = rng.uniform(size=(6, 9)) < 0.7
    kwargs = {"lr": 0.1, "epochs": 2, "batch_size": 4, "rng": 1}
    a, hist_a = train_rnn(rnn, p, x, y, squared, mask=mask, **kwargs)
    b, hist_b = train_rnn(rnn, p, x, y, squared, mask=mask.astype(float), **kwargs)
    assert rel(a, b) == 0.0 and np.array_equal(hist_a, hist_b)
    c, losses_c = train_online_rtrl(rnn, p, x, y, squared, lr=0.1, every=3, mask=mask)
    d, losses_d = train_online_rtrl(
        rnn, p, x, y, squared, lr=0.1, every=3, mask=mask.astype(float)
    )
    assert rel(c, d) == 0.0 and np.array_equal(losses_c, losses_d)
    with pytest.raises(ValueError, match="train_rnn expected a mask with at least one"):
        train_rnn(rnn, p, x, y, squared, mask=np.zeros((6, 9)), **kwargs)
    with pytest.raises(ValueError, match=r"train_rnn expected mask with entries in"):
        train_rnn(rnn, p, x, y, squared, mask=np.full((6, 9), 0.5), **kwargs)
