"""Masks of recurrent networks (issue 14, item 2): every path's gradient is the derivative
of the value it returns, and a mask holds 0s and 1s (or booleans) or is refused."""

from __future__ import annotations

import re

import numpy as np
import pytest

from adjnets import Dense, Network, cross_entropy, one_hot, squared, tanh
from adjnets.calculus.check import assert_gradient
from adjnets.calculus.spaces import tree_map
from adjnets.networks.network import NetworkLayer
from adjnets.recurrent.gated import GRUCell, LSTMCell
from adjnets.recurrent.rnn import (
    RNN,
    VanillaCell,
    VanillaRNN,
    rtrl_start,
    rtrl_step,
    sequence_loss,
)
from adjnets.recurrent.variants import BidirectionalRNN, NetworkCell
from adjnets.training.recurrent import train_online_rtrl, train_rnn

N, L, NX, NH, NY, K = 3, 5, 2, 3, 2, 2


def _masks() -> dict[str, np.ndarray]:
    scattered = np.ones((N, L))
    scattered[0, 3:] = 0  # a shorter sequence
    scattered[1, 2] = 0  # a missing target
    whole = np.ones((N, L))
    whole[1] = 0  # a whole sequence without targets
    first_last = np.ones((N, L))
    first_last[:, 0] = 0
    first_last[2, -1] = 0
    only_last = np.zeros((N, L))
    only_last[:, -1] = 1
    return {
        "all-ones": np.ones((N, L)),
        "scattered": scattered,
        "whole-sequence": whole,
        "first-and-last": first_last,
        "only-last": only_last,
        "all-zeros": np.zeros((N, L)),
    }


MASKS = _masks()


def _data(rng, loss):
    x = rng.standard_normal((N, L, NX))
    y = (
        rng.standard_normal((N, L, NY))
        if loss is squared
        else one_hot(rng.integers(0, NY, N * L), NY).reshape(N, L, NY)
    )
    return x, y


def _rtrl_steps(rnn, x, y, params, loss, mask):
    """The sum of :func:`rtrl_step`'s values and gradients along the sequences."""
    state, value, total = rtrl_start(rnn, N), 0.0, None
    for i in range(L):
        v, g, state = rtrl_step(rnn, params, state, x[:, i], y[:, i], loss, mask[:, i])
        value += v
        total = g if total is None else tree_map(np.add, total, g)
    return value, total


def _path(name, rng, loss):
    """``(method(params, mask) -> (value, gradient), params)`` for one path."""
    x, y = _data(rng, loss)
    vanilla = RNN(VanillaCell(NH, NX), Dense(NH, NY, tanh))
    fused = VanillaRNN(NX, NH, NY)
    gru = RNN(GRUCell(NH, NX), Dense(NH, NY))
    lstm_cell = LSTMCell(NH, NX)
    lstm = RNN(lstm_cell, lstm_cell.readout(NY))
    deep = RNN(
        NetworkCell(Network([Dense(NH + NX, 4, tanh), Dense(4, NH, tanh)]), NH, NX),
        NetworkLayer(Network([Dense(NH, NY)])),
    )
    bi = BidirectionalRNN(VanillaCell(NH, NX), GRUCell(2, NX), Dense(NH + 2, NY))
    v = rng.standard_normal((K, N, L, NX))
    beta = rng.standard_normal((K, N, L, NY))

    def nan_where_masked(a, m):
        a = a.copy()
        a[..., m == 0, :] = np.nan  # a masked step's target may be anything
        return a

    def generic(model, method):
        return lambda p, m: getattr(model, method)(
            x, nan_where_masked(y, m), p, loss, m
        )

    paths = {
        "generic-bptt": (vanilla, generic(vanilla, "loss_and_gradient_bptt")),
        "generic-rtrl": (vanilla, generic(vanilla, "loss_and_gradient_rtrl")),
        "truncated-exact": (
            vanilla,
            lambda p, m: vanilla.truncated_bptt(
                x, nan_where_masked(y, m), p, loss, every=L, back=L, mask=m
            ),
        ),
        "rtrl-steps": (
            vanilla,
            lambda p, m: _rtrl_steps(vanilla, x, nan_where_masked(y, m), p, loss, m),
        ),
        "vanilla-fused-bptt": (fused, generic(fused, "bptt")),
        "vanilla-fused-rtrl": (fused, generic(fused, "rtrl")),
        "gru-bptt": (gru, generic(gru, "loss_and_gradient_bptt")),
        "gru-rtrl": (gru, generic(gru, "loss_and_gradient_rtrl")),
        "lstm-bptt": (lstm, generic(lstm, "loss_and_gradient_bptt")),
        "lstm-rtrl": (lstm, generic(lstm, "loss_and_gradient_rtrl")),
        "deep-bptt": (deep, generic(deep, "loss_and_gradient_bptt")),
        "bidirectional": (bi, generic(bi, "loss_and_gradient")),
        "tangent": (
            fused,
            lambda p, m: fused.tangent_loss_and_gradient(
                x,
                nan_where_masked(y, m),
                v,
                nan_where_masked(beta, m),
                p,
                0.7,
                loss,
                m,
            ),
        ),
    }
    model, method = paths[name]
    return method, model.init(rng)


PATHS = [
    "generic-bptt",
    "generic-rtrl",
    "truncated-exact",
    "rtrl-steps",
    "vanilla-fused-bptt",
    "vanilla-fused-rtrl",
    "gru-bptt",
    "gru-rtrl",
    "lstm-bptt",
    "lstm-rtrl",
    "deep-bptt",
    "bidirectional",
    "tangent",
]


@pytest.mark.parametrize("loss", [squared, cross_entropy], ids=["squared", "ce"])
@pytest.mark.parametrize("mask_name", list(MASKS))
@pytest.mark.parametrize("path", PATHS)
def test_gradient_is_the_derivative_of_the_returned_value(path, mask_name, loss):
    rng = np.random.default_rng(7)
    method, params = _path(path, rng, loss)
    mask = MASKS[mask_name]
    value, grad = method(params, mask)
    assert np.isfinite(value)
    if mask_name == "all-zeros":
        assert value == 0.0
        assert all(np.all(a == 0) for a in _leaves(grad))
        return

    def J(p):
        return method(p, mask)[0]

    for _ in range(3):  # three random directions in the parameters
        assert_gradient(J, grad, params, rng, rtol=1e-7)
    # the same mask as booleans and as integers gives the same numbers
    for other in (mask.astype(bool), mask.astype(np.int64)):
        v2, g2 = method(params, other)
        assert v2 == value
        pairs = zip(_leaves(g2), _leaves(grad), strict=True)
        assert all(np.array_equal(a, b) for a, b in pairs)


def _leaves(tree):
    if isinstance(tree, tuple):
        return [leaf for t in tree for leaf in _leaves(t)]
    return [np.asarray(tree)]


def test_masked_steps_are_left_out_of_the_value():
    rng = np.random.default_rng(3)
    rnn = VanillaRNN(NX, NH, NY)
    params = rnn.init(rng)
    x, y = _data(rng, squared)
    mask = MASKS["scattered"]
    out = rnn(x, params)
    expected = sum(
        0.5 * np.sum((out[s, i] - y[s, i]) ** 2)
        for s in range(N)
        for i in range(L)
        if mask[s, i]
    )
    for method in (rnn.bptt, rnn.rtrl, rnn.loss_and_gradient_bptt):
        assert method(x, y, params, squared, mask)[0] == pytest.approx(expected, 1e-14)


# ------------------------------------------------------------------ one weighted loss


@pytest.fixture
def any_weights(monkeypatch):
    """Lift the refusal of masks that are not 0/1, in every module that applies it."""
    import adjnets.recurrent.rnn
    import adjnets.recurrent.variants
    import adjnets.training.recurrent

    def weights(name, value, shape, who):
        m = np.ones(shape) if value is None else np.asarray(value, dtype=float)
        assert m.shape == shape
        return m

    for module in (adjnets.recurrent.rnn, adjnets.recurrent.variants):
        monkeypatch.setattr(module, "binary_mask", weights)
    monkeypatch.setattr(adjnets.training.recurrent, "binary_mask", weights)


@pytest.mark.parametrize("loss", [squared, cross_entropy], ids=["squared", "ce"])
@pytest.mark.parametrize("path", PATHS)
def test_value_and_gradient_come_from_one_weighted_loss(any_weights, path, loss):
    # the API accepts 0/1 only; with the refusal lifted, weights 0.5, 2, -1 weight the
    # value and the gradient alike: every path computes both from sequence_loss's m
    rng = np.random.default_rng(11)
    method, params = _path(path, rng, loss)
    m = rng.choice([0.5, 2.0, -1.0, 0.0, 1.0], size=(N, L))
    _, grad = method(params, m)
    for _ in range(3):
        assert_gradient(lambda p: method(p, m)[0], grad, params, rng, rtol=1e-7)


@pytest.mark.parametrize("loss", [squared, cross_entropy], ids=["squared", "ce"])
def test_sequence_loss_weights_each_step(any_weights, loss):
    rng = np.random.default_rng(5)
    out, y = _data(rng, loss)
    m = rng.choice([0.5, 2.0, -1.0, 0.0, 1.0], size=(N, L))
    y[m == 0] = np.nan
    value, errors = sequence_loss(out, y, loss, m)
    per_step = sum(
        m[s, i] * loss.value(out[s, i][None], y[s, i][None])
        for s in range(N)
        for i in range(L)
        if m[s, i] != 0
    )
    assert value == pytest.approx(per_step, rel=1e-13)
    for _ in range(3):
        assert_gradient(lambda o: sequence_loss(o, y, loss, m)[0], errors, out, rng)
    assert np.all(errors[m == 0] == 0)


# ---------------------------------------------------------------------- bad masks

BAD_VALUES = [0.5, 2.0, -1.0, np.nan, np.inf, 1e-300]


def _entry_points():
    rng = np.random.default_rng(0)
    fused = VanillaRNN(NX, NH, NY)
    p = fused.init(rng)
    x, y = _data(rng, squared)
    bi = BidirectionalRNN(VanillaCell(NH, NX), VanillaCell(NH, NX), Dense(2 * NH, NY))
    pb = bi.init(rng)
    v, beta = rng.standard_normal((K, N, L, NX)), rng.standard_normal((K, N, L, NY))
    out = fused(x, p)
    state = rtrl_start(fused, N)
    return {
        "sequence_loss": lambda m: sequence_loss(out, y, squared, m),
        "loss_and_gradient_bptt": lambda m: fused.loss_and_gradient_bptt(
            x, y, p, squared, m
        ),
        "loss_and_gradient_rtrl": lambda m: fused.loss_and_gradient_rtrl(
            x, y, p, squared, m
        ),
        "truncated_bptt": lambda m: fused.truncated_bptt(
            x, y, p, squared, every=2, back=2, mask=m
        ),
        "bptt": lambda m: fused.bptt(x, y, p, squared, m),
        "rtrl": lambda m: fused.rtrl(x, y, p, squared, m),
        "tangent_loss_and_gradient": lambda m: fused.tangent_loss_and_gradient(
            x, y, v, beta, p, 0.5, squared, m
        ),
        "BidirectionalRNN.loss_and_gradient": lambda m: bi.loss_and_gradient(
            x, y, pb, squared, m
        ),
        "rtrl_step": lambda m: rtrl_step(
            fused, p, state, x[:, 0], y[:, 0], squared, m[:, 0]
        ),
        "train_rnn": lambda m: train_rnn(
            fused, p, x, y, squared, lr=0.1, epochs=1, batch_size=2, mask=m
        ),
        "train_online_rtrl": lambda m: train_online_rtrl(
            fused, p, x, y, squared, lr=0.1, mask=m
        ),
    }


ENTRY_POINTS = list(_entry_points())


@pytest.mark.parametrize("entry", ENTRY_POINTS)
@pytest.mark.parametrize("bad", BAD_VALUES, ids=str)
def test_a_mask_that_is_not_0_or_1_is_refused(entry, bad):
    call = _entry_points()[entry]
    mask = np.ones((N, L))
    mask[1, 0] = bad
    name = "mask_i" if entry == "rtrl_step" else "mask"
    index = r"\(1,\)" if entry == "rtrl_step" else r"\(1, 0\)"
    with pytest.raises(ValueError) as info:
        call(mask)
    message = str(info.value)
    assert f"expected {name} with entries in {{0, 1}} (or booleans)" in message
    assert f"got {float(bad)!r} at index" in message
    assert entry.split(".")[-1] in message  # the function refusing it
    assert re.search(index, message)


@pytest.mark.parametrize("entry", ENTRY_POINTS)
def test_a_mask_of_another_shape_or_kind_is_refused(entry):
    call = _entry_points()[entry]
    name = "mask_i" if entry == "rtrl_step" else "mask"
    if entry != "rtrl_step":  # rtrl_step is handed a column
        with pytest.raises(ValueError, match=rf"expected mask of shape \({N}, {L}\)"):
            call(np.ones((N, L + 1)))
        with pytest.raises(ValueError, match=rf"expected mask of shape \({N}, {L}\)"):
            call(np.ones((L, N)))
    for kind in (np.full((N, L), "1"), np.ones((N, L), dtype=complex)):
        with pytest.raises(TypeError, match=rf"expected {name} of 0s and 1s.*dtype"):
            call(kind)
    call(np.ones((N, L), dtype=bool))  # booleans are masks
    call(np.ones((N, L), dtype=np.int8))
    negative_zero = np.ones((N, L))
    negative_zero[0, 0] = -0.0  # is 0
    call(negative_zero)


def test_rtrl_step_mask_of_wrong_shape():
    rng = np.random.default_rng(0)
    rnn = VanillaRNN(NX, NH, NY)
    p = rnn.init(rng)
    x, y = _data(rng, squared)
    with pytest.raises(
        ValueError, match=rf"rtrl_step expected mask_i of shape \({N},\)"
    ):
        rtrl_step(rnn, p, rtrl_start(rnn, N), x[:, 0], y[:, 0], squared, np.ones(N + 1))
