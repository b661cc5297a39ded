"""Fuzz cases of chapter 5 and of the training loops (issue 14, item 3): every public
callable of :mod:`adjnets.recurrent` and :mod:`adjnets.training` refuses bad input."""

from __future__ import annotations

import numpy as np
import pytest

from adjnets.calculus.losses import squared
from adjnets.networks.layers import Dense
from adjnets.networks.network import Network
from adjnets.recurrent.analysis import state_gradient_norms
from adjnets.recurrent.gated import GRUCell, LSTMCell, ReadH
from adjnets.recurrent.rnn import (
    RNN,
    VanillaCell,
    VanillaRNN,
    backpropagate_chain,
    chain_parameter_gradient,
    head_parameter_derivative,
    rtrl_start,
    rtrl_step,
    sequence_loss,
    transition_derivative,
)
from adjnets.recurrent.variants import BidirectionalRNN, NetworkCell
from adjnets.specific.mlp import MLP
from adjnets.training.loops import train
from adjnets.training.optim import (
    SGD,
    AdaGrad,
    Adam,
    GradientDescent,
    HeavyBall,
    Nesterov,
    fit,
    iterate,
)
from adjnets.training.recurrent import train_online_rtrl, train_rnn
from adjnets.validation import NonFiniteLossError
from tests._fuzz import Bad, params, refuses

RNG = np.random.default_rng(0)
N, L, NX, NH, NY = 2, 4, 2, 3, 1
X = RNG.standard_normal((N, L, NX))
Y = RNG.standard_normal((N, L, NY))
V_RNN = VanillaRNN(NX, NH, NY)
P = V_RNN.init(np.random.default_rng(1))
GRU = RNN(GRUCell(NH, NX), Dense(NH, NY))
PG = GRU.init(np.random.default_rng(2))
FWD = V_RNN.forward(X, P)
H = np.zeros((N, NH))
CELL = VanillaCell(NH, NX)
BI = BidirectionalRNN(VanillaCell(NH, NX), VanillaCell(NH, NX), Dense(2 * NH, NY))
PB = BI.init(np.random.default_rng(3))
NET = Network((Dense(NH + NX, NH),))
NCELL = NetworkCell(NET, NH, NX)


def nan_at(a: np.ndarray, value: float = np.nan) -> np.ndarray:
    b = np.array(a, dtype=float)
    b.flat[0] = value
    return b


def quiet(fn):
    """``fn`` with NumPy's overflow warnings off: a diverging step overflows before
    its loss is seen to be non-finite."""

    def run():
        with np.errstate(all="ignore"):
            return fn()

    return run


def mlp_problem():
    mlp = MLP((1, 4, 1))
    x = np.linspace(-1, 1, 8)[:, None]
    return mlp, mlp.init(np.random.default_rng(0)), x, np.sin(3 * x)


MLP_, TH, XM, YM = mlp_problem()


def lg(x, y, th):
    return MLP_.loss_and_gradient(x, y, th, squared)


CASES: list[Bad] = [
    # cells: sizes, arguments
    Bad("VanillaCell", "n_h 0", lambda: VanillaCell(0, 2), ValueError, "n_h"),
    Bad("VanillaCell", "n_x float", lambda: VanillaCell(3, 2.0), TypeError, "n_x"),
    Bad("VanillaCell", "n_h True", lambda: VanillaCell(True, 2), TypeError, "n_h"),
    Bad("VanillaCell", "n_h None", lambda: VanillaCell(None, 2), TypeError, "n_h"),
    Bad("VanillaCell.init", "rng None", lambda: CELL.init(None), TypeError, "rng"),
    Bad(
        "VanillaCell.__call__",
        "h wrong width",
        lambda: CELL(np.zeros((N, 4)), X[:, 0], P.theta),
        ValueError,
        r"\bh\b",
    ),
    Bad(
        "VanillaCell.linearize",
        "NaN in x",
        lambda: CELL.linearize(H, nan_at(X[:, 0]), P.theta),
        ValueError,
        "finite values in x",
    ),
    Bad(
        "VanillaCell.linearize",
        "complex h",
        lambda: CELL.linearize(H + 0j, X[:, 0], P.theta),
        TypeError,
        r"\bh\b",
    ),
    Bad(
        "VanillaCell.__call__",
        "theta W of the wrong shape",
        lambda: CELL(H, X[:, 0], P.theta._replace(W=np.zeros((3, 2)))),
        ValueError,
        r"theta\.W",
    ),
    Bad("GRUCell", "n_h -1", lambda: GRUCell(-1, 2), ValueError, "n_h"),
    Bad("GRUCell", "n_x 3.0", lambda: GRUCell(3, 3.0), TypeError, "n_x"),
    Bad(
        "GRUCell.__call__",
        "inf in theta",
        lambda: GRU.cell(
            H, X[:, 0], PG.theta._replace(c=PG.theta.c._replace(b=np.full(NH, np.inf)))
        ),
        ValueError,
        r"theta\.c\.b",
    ),
    Bad("GRUCell.init", "rng None", lambda: GRUCell(2, 2).init(None), TypeError, "rng"),
    Bad("LSTMCell", "n_units 0", lambda: LSTMCell(0, 2), ValueError, "n_units"),
    Bad("LSTMCell", "n_x bool", lambda: LSTMCell(2, True), TypeError, "n_x"),
    Bad(
        "LSTMCell.linearize",
        "state of n_units, not 2 n_units",
        lambda: LSTMCell(3, 2).linearize(
            np.zeros((N, 3)), X[:, 0], LSTMCell(3, 2).init(np.random.default_rng(0))
        ),
        ValueError,
        r"\bh of shape \(\.\.\., 6\)",
    ),
    Bad(
        "ReadH",
        "n_state < n_h",
        lambda: ReadH(Dense(3, 1), 3, 2),
        ValueError,
        "n_state",
    ),
    Bad("ReadH", "layer not a Layer", lambda: ReadH(None, 3, 6), TypeError, "layer"),
    Bad(
        "ReadH.__call__",
        "wrong state width",
        lambda: ReadH(Dense(3, 1), 3, 6)(np.zeros((2, 3)), PG.zeta),
        ValueError,
        r"\bx of shape",
    ),
    Bad("NetworkCell", "n_h 0", lambda: NetworkCell(NET, 0, NX), ValueError, "n_h"),
    Bad(
        "NetworkCell",
        "network None",
        lambda: NetworkCell(None, 3, 2),
        TypeError,
        "network",
    ),
    Bad(
        "NetworkCell.__call__",
        "x of the wrong width",
        lambda: NCELL(H, np.zeros((N, 5)), NET.init(np.random.default_rng(0))),
        ValueError,
        r"\bx of shape",
    ),
    # RNN construction
    Bad("VanillaRNN", "n_y 0", lambda: VanillaRNN(2, 3, 0), ValueError, "n_y"),
    Bad("VanillaRNN", "n_h float", lambda: VanillaRNN(2, 3.0, 1), TypeError, "n_h"),
    Bad("VanillaRNN", "n_x None", lambda: VanillaRNN(None, 3, 1), TypeError, "n_x"),
    Bad(
        "RNN",
        "cell not a Cell",
        lambda: RNN(Dense(3, 3), Dense(3, 1)),
        TypeError,
        "cell",
    ),
    Bad(
        "RNN",
        "readout of the wrong width",
        lambda: RNN(CELL, Dense(4, 1)),
        ValueError,
        "readout",
    ),
    Bad("RNN.init", "rng None", lambda: V_RNN.init(None), TypeError, "rng"),
    # RNN: sequences
    Bad(
        "VanillaRNN.__call__",
        "x 2-d",
        lambda: V_RNN(X[0], P),
        ValueError,
        r"\bx of shape",
    ),
    Bad(
        "VanillaRNN.forward",
        "length-0 sequences",
        lambda: V_RNN.forward(X[:, :0], P),
        ValueError,
        "at least one step",
    ),
    Bad(
        "RNN.forward",
        "wrong n_x",
        lambda: GRU.forward(X[..., :1], PG),
        ValueError,
        r"\bx of shape",
    ),
    Bad("RNN.__call__", "bool x", lambda: GRU(X > 0, PG), TypeError, r"\bx\b"),
    Bad(
        "RNN.__call__",
        "string x",
        lambda: GRU(np.full((2, 2, 2), "a"), PG),
        TypeError,
        r"\bx\b",
    ),
    Bad(
        "RNN.__call__",
        "NaN in x",
        lambda: GRU(nan_at(X), PG),
        ValueError,
        "finite values in x",
    ),
    Bad(
        "RNN.__call__",
        "inf in h0",
        lambda: GRU(X, PG, h0=nan_at(H, np.inf)),
        ValueError,
        "finite values in h0",
    ),
    Bad(
        "RNN.__call__",
        "h0 of the wrong batch",
        lambda: GRU(X, PG, h0=H[:1]),
        ValueError,
        "h0",
    ),
    Bad(
        "VanillaRNN.bptt",
        "NaN in params",
        lambda: V_RNN.bptt(
            X, Y, P._replace(zeta=P.zeta._replace(b=np.array([np.nan]))), squared
        ),
        ValueError,
        r"params\.zeta\.b",
    ),
    Bad(
        "VanillaRNN.bptt",
        "params of another network",
        lambda: V_RNN.bptt(X, Y, PG, squared),
        (TypeError, ValueError),
        "params",
    ),
    Bad(
        "VanillaRNN.bptt",
        "NaN in a target the mask keeps",
        lambda: V_RNN.bptt(X, nan_at(Y), P, squared),
        ValueError,
        "y where the mask is 1",
    ),
    Bad(
        "VanillaRNN.bptt",
        "y of the wrong length",
        lambda: V_RNN.bptt(X, Y[:, :2], P, squared),
        ValueError,
        r"\by of shape",
    ),
    Bad(
        "VanillaRNN.bptt",
        "loss not a Loss",
        lambda: V_RNN.bptt(X, Y, P, "squared"),
        TypeError,
        "loss",
    ),
    Bad(
        "VanillaRNN.rtrl",
        "mask 0.5",
        lambda: V_RNN.rtrl(X, Y, P, squared, mask=np.full((N, L), 0.5)),
        ValueError,
        "mask",
    ),
    Bad(
        "VanillaRNN.rtrl",
        "inf in x",
        lambda: V_RNN.rtrl(nan_at(X, np.inf), Y, P, squared),
        ValueError,
        r"\bx\b",
    ),
    Bad(
        "RNN.loss_and_gradient_bptt",
        "targets of the wrong width",
        lambda: GRU.loss_and_gradient_bptt(X, np.zeros((N, L, 2)), PG, squared),
        ValueError,
        "targets",
    ),
    Bad(
        "RNN.loss_and_gradient_rtrl",
        "length-0 sequences",
        lambda: GRU.loss_and_gradient_rtrl(X[:, :0], Y[:, :0], PG, squared),
        ValueError,
        "at least one step",
    ),
    Bad(
        "RNN.truncated_bptt",
        "every 0",
        lambda: GRU.truncated_bptt(X, Y, PG, squared, every=0, back=1),
        ValueError,
        "every",
    ),
    Bad(
        "RNN.truncated_bptt",
        "back 2.0",
        lambda: GRU.truncated_bptt(X, Y, PG, squared, every=1, back=2.0),
        TypeError,
        "back",
    ),
    Bad(
        "RNN.tangent_loss_and_gradient",
        "negative mu",
        lambda: V_RNN.tangent_loss_and_gradient(
            X, Y, np.zeros((1, *X.shape)), np.zeros((1, N, L, NY)), P, -1.0, squared
        ),
        ValueError,
        "mu",
    ),
    Bad(
        "RNN.tangent_loss_and_gradient",
        "v of the wrong shape",
        lambda: V_RNN.tangent_loss_and_gradient(
            X, Y, np.zeros((1, N, L, 3)), np.zeros((1, N, L, NY)), P, 1.0, squared
        ),
        ValueError,
        r"\bv of shape",
    ),
    Bad(
        "RNN.errors",
        "fwd not a forward pass",
        lambda: V_RNN.errors(None, Y, squared),
        TypeError,
        "fwd",
    ),
    Bad(
        "RNN.readout_gradient",
        "too few errors",
        lambda: V_RNN.readout_gradient(FWD, [np.zeros((N, NY))]),
        ValueError,
        "errs",
    ),
    Bad(
        "RNN.backpropagate_through_time",
        "an error of the wrong shape",
        lambda: V_RNN.backpropagate_through_time(FWD, [np.zeros(NY)] * L),
        ValueError,
        r"errs\[0\]",
    ),
    # sequence_loss and the chain functions
    Bad(
        "sequence_loss",
        "out 2-d",
        lambda: sequence_loss(Y[0], Y[0], squared),
        ValueError,
        "out",
    ),
    Bad(
        "sequence_loss",
        "NaN target kept",
        lambda: sequence_loss(Y, nan_at(Y), squared),
        ValueError,
        "y where the mask is 1",
    ),
    Bad(
        "sequence_loss",
        "mask -1",
        lambda: sequence_loss(Y, Y, squared, -np.ones((N, L))),
        ValueError,
        "mask",
    ),
    Bad(
        "backpropagate_chain",
        "no cells",
        lambda: backpropagate_chain([], []),
        ValueError,
        "cells",
    ),
    Bad(
        "backpropagate_chain",
        "NaN cotangent",
        lambda: backpropagate_chain(FWD.cells, [nan_at(H)] * L),
        ValueError,
        r"injected\[0\]",
    ),
    Bad(
        "chain_parameter_gradient",
        "one error too many",
        lambda: chain_parameter_gradient(FWD.cells, [H] * (L + 1)),
        ValueError,
        "eps",
    ),
    Bad(
        "transition_derivative",
        "j past L",
        lambda: transition_derivative(FWD, L + 1, 0),
        ValueError,
        r"\bj\b",
    ),
    Bad(
        "transition_derivative",
        "i float",
        lambda: transition_derivative(FWD, 1, 0.0),
        TypeError,
        r"\bi\b",
    ),
    Bad(
        "head_parameter_derivative",
        "k 0",
        lambda: head_parameter_derivative(FWD, 0),
        ValueError,
        r"\bk\b",
    ),
    Bad(
        "head_parameter_derivative",
        "fwd None",
        lambda: head_parameter_derivative(None, 1),
        TypeError,
        "fwd",
    ),
    # RTRL step by step
    Bad(
        "rtrl_start", "0 streams", lambda: rtrl_start(V_RNN, 0), ValueError, "n_streams"
    ),
    Bad(
        "rtrl_start",
        "streams 2.0",
        lambda: rtrl_start(V_RNN, 2.0),
        TypeError,
        "n_streams",
    ),
    Bad(
        "rtrl_start",
        "h0 NaN",
        lambda: rtrl_start(V_RNN, N, nan_at(H)),
        ValueError,
        "h0",
    ),
    Bad("rtrl_start", "rnn not an RNN", lambda: rtrl_start(CELL, N), TypeError, "rnn"),
    Bad(
        "rtrl_step",
        "x_i of another batch",
        lambda: rtrl_step(V_RNN, P, rtrl_start(V_RNN, N), X[:1, 0], Y[:, 0], squared),
        ValueError,
        "x_i",
    ),
    Bad(
        "rtrl_step",
        "NaN target",
        lambda: rtrl_step(
            V_RNN, P, rtrl_start(V_RNN, N), X[:, 0], nan_at(Y[:, 0]), squared
        ),
        ValueError,
        r"\by\b",
    ),
    Bad(
        "rtrl_step",
        "state not an RTRLState",
        lambda: rtrl_step(V_RNN, P, H, X[:, 0], Y[:, 0], squared),
        TypeError,
        "state",
    ),
    # analysis
    Bad(
        "state_gradient_norms",
        "x 2-d",
        lambda: state_gradient_norms(V_RNN, P, X[0], Y, squared),
        ValueError,
        r"\bx of shape",
    ),
    Bad(
        "state_gradient_norms",
        "NaN target",
        lambda: state_gradient_norms(V_RNN, P, X, nan_at(Y), squared),
        ValueError,
        r"\by\b",
    ),
    # bidirectional
    Bad(
        "BidirectionalRNN",
        "readout of the wrong width",
        lambda: BidirectionalRNN(CELL, CELL, Dense(NH, NY)),
        ValueError,
        "readout",
    ),
    Bad("BidirectionalRNN.init", "rng None", lambda: BI.init(None), TypeError, "rng"),
    Bad(
        "BidirectionalRNN.__call__",
        "length 0",
        lambda: BI(X[:, :0], PB),
        ValueError,
        "at least one step",
    ),
    Bad(
        "BidirectionalRNN.loss_and_gradient",
        "NaN target",
        lambda: BI.loss_and_gradient(X, nan_at(Y), PB, squared),
        ValueError,
        r"\by\b",
    ),
    # optimisers
    Bad("GradientDescent", "lr 0", lambda: GradientDescent(0.0), ValueError, "lr"),
    Bad("GradientDescent", "lr NaN", lambda: GradientDescent(np.nan), ValueError, "lr"),
    Bad("GradientDescent", "lr True", lambda: GradientDescent(True), TypeError, "lr"),
    Bad(
        "GradientDescent.step",
        "a (2,) gradient for a (3, 2) parameter",
        lambda: GradientDescent(0.1).step(np.ones((3, 2)), np.ones(2), ()),
        ValueError,
        "grad",
    ),
    Bad(
        "GradientDescent.step",
        "NaN gradient",
        lambda: GradientDescent(0.1).step(np.ones(2), np.array([np.nan, 1.0]), ()),
        ValueError,
        "grad",
    ),
    Bad("SGD", "lr inf", lambda: SGD(np.inf), ValueError, "lr"),
    Bad("HeavyBall", "beta -0.1", lambda: HeavyBall(0.1, -0.1), ValueError, "beta"),
    Bad("HeavyBall", "beta 1", lambda: HeavyBall(0.1, 1.0), ValueError, "beta"),
    Bad(
        "HeavyBall.step",
        "state of other shapes",
        lambda: HeavyBall(0.1).step(
            np.ones(3), np.ones(3), HeavyBall(0.1).init(np.ones(2))
        ),
        ValueError,
        "state",
    ),
    Bad("Nesterov", "negative lr", lambda: Nesterov(-0.1), ValueError, "lr"),
    Bad(
        "Nesterov.position",
        "NaN theta",
        lambda: Nesterov(0.1).position(
            np.array([np.nan]), Nesterov(0.1).init(np.ones(1))
        ),
        ValueError,
        "theta",
    ),
    Bad("AdaGrad", "negative delta", lambda: AdaGrad(0.1, -1e-8), ValueError, "delta"),
    Bad(
        "AdaGrad.init",
        "bool theta",
        lambda: AdaGrad(0.1).init(np.ones(2) > 0),
        TypeError,
        "theta",
    ),
    Bad("Adam", "beta2 NaN", lambda: Adam(0.1, beta2=np.nan), ValueError, "beta2"),
    Bad("Adam", "negative eps", lambda: Adam(0.1, eps=-1.0), ValueError, "eps"),
    Bad(
        "Adam",
        "bias_correction 1",
        lambda: Adam(0.1, bias_correction=1),
        TypeError,
        "bias_correction",
    ),
    Bad(
        "iterate",
        "steps -1",
        lambda: iterate(SGD(0.1), lambda t: t, np.ones(2), -1),
        ValueError,
        "steps",
    ),
    Bad(
        "iterate",
        "steps 2.0",
        lambda: iterate(SGD(0.1), lambda t: t, np.ones(2), 2.0),
        TypeError,
        "steps",
    ),
    Bad(
        "iterate",
        "optimizer None",
        lambda: iterate(None, lambda t: t, np.ones(2), 2),
        TypeError,
        "optimizer",
    ),
    Bad(
        "iterate",
        "diverging step size",
        quiet(lambda: iterate(SGD(1e300), lambda t: 1e300 * t, np.ones(2), 10)),
        NonFiniteLossError,
        "step",
    ),
    Bad(
        "iterate",
        "a gradient of the wrong shape",
        lambda: iterate(SGD(0.1), lambda t: np.ones(3), np.ones(2), 2),
        ValueError,
        "gradient",
    ),
    Bad(
        "fit",
        "batch_size above N",
        lambda: fit(SGD(0.1), lg, TH, XM, YM, epochs=1, batch_size=9),
        ValueError,
        "batch_size",
    ),
    Bad(
        "fit",
        "epochs 0",
        lambda: fit(SGD(0.1), lg, TH, XM, YM, epochs=0, batch_size=2),
        ValueError,
        "epochs",
    ),
    Bad(
        "fit",
        "rng None",
        lambda: fit(SGD(0.1), lg, TH, XM, YM, epochs=1, batch_size=2, rng=None),
        TypeError,
        "rng",
    ),
    Bad(
        "fit",
        "NaN in x",
        lambda: fit(SGD(0.1), lg, TH, nan_at(XM), YM, epochs=1, batch_size=2),
        ValueError,
        r"\bx\b",
    ),
    # training loops
    Bad(
        "train",
        "lr NaN",
        lambda: train(MLP_, TH, XM, YM, squared, lr=np.nan, epochs=1),
        ValueError,
        "lr",
    ),
    Bad(
        "train",
        "epochs True",
        lambda: train(MLP_, TH, XM, YM, squared, lr=0.1, epochs=True),
        TypeError,
        "epochs",
    ),
    Bad(
        "train",
        "rng None",
        lambda: train(MLP_, TH, XM, YM, squared, lr=0.1, epochs=1, rng=None),
        TypeError,
        "rng",
    ),
    Bad(
        "train",
        "inf in y",
        lambda: train(MLP_, TH, XM, nan_at(YM, np.inf), squared, lr=0.1, epochs=1),
        ValueError,
        r"\by\b",
    ),
    Bad(
        "train",
        "weight_decay NaN",
        lambda: train(MLP_, TH, XM, YM, squared, lr=0.1, epochs=1, weight_decay=np.nan),
        ValueError,
        "weight_decay",
    ),
    Bad(
        "train_rnn",
        "lr -1",
        lambda: train_rnn(V_RNN, P, X, Y, squared, lr=-1.0, epochs=1, batch_size=1),
        ValueError,
        "lr",
    ),
    Bad(
        "train_rnn",
        "clip -1",
        lambda: train_rnn(
            V_RNN, P, X, Y, squared, lr=0.1, epochs=1, batch_size=1, clip=-1.0
        ),
        ValueError,
        "clip",
    ),
    Bad(
        "train_rnn",
        "batch_size above N",
        lambda: train_rnn(V_RNN, P, X, Y, squared, lr=0.1, epochs=1, batch_size=3),
        ValueError,
        "batch_size",
    ),
    Bad(
        "train_rnn",
        "rng None",
        lambda: train_rnn(
            V_RNN, P, X, Y, squared, lr=0.1, epochs=1, batch_size=1, rng=None
        ),
        TypeError,
        "rng",
    ),
    Bad(
        "train_rnn",
        "epochs 1.0",
        lambda: train_rnn(V_RNN, P, X, Y, squared, lr=0.1, epochs=1.0, batch_size=1),
        TypeError,
        "epochs",
    ),
    Bad(
        "train_rnn",
        "NaN target",
        lambda: train_rnn(
            V_RNN, P, X, nan_at(Y), squared, lr=0.1, epochs=1, batch_size=1
        ),
        ValueError,
        r"\by\b",
    ),
    Bad(
        "train_online_rtrl",
        "lr NaN",
        lambda: train_online_rtrl(V_RNN, P, X, Y, squared, lr=np.nan),
        ValueError,
        "lr",
    ),
    Bad(
        "train_online_rtrl",
        "every 0",
        lambda: train_online_rtrl(V_RNN, P, X, Y, squared, lr=0.1, every=0),
        ValueError,
        "every",
    ),
    Bad(
        "train_online_rtrl",
        "length 0",
        lambda: train_online_rtrl(V_RNN, P, X[:, :0], Y[:, :0], squared, lr=0.1),
        ValueError,
        "at least one step",
    ),
    Bad(
        "train_online_rtrl",
        "h0 wrong width",
        lambda: train_online_rtrl(V_RNN, P, X, Y, squared, lr=0.1, h0=np.zeros((N, 2))),
        ValueError,
        "h0",
    ),
]

EXCUSED: dict[str, str] = {
    "Optimizer": "the base class; every concrete optimiser is fuzzed",
    "NonFiniteLossError": "an exception class; the loops that raise it are tested "
    "with a step size that diverges (tests/test_training.py)",
    "Cell": "abstract: every concrete cell (vanilla, GRU, LSTM, network) is fuzzed",
    "CellLinearization": "a record of a cell's value and maps, built by the cells",
    "RNNForward": "a record of a forward pass, built by RNN.forward",
    "RNNParams": "a NamedTuple of parameters, checked where it is used",
    "RTRLState": "a NamedTuple carried by rtrl_step, checked there",
    "VanillaParams": "a NamedTuple of parameters, checked where it is used",
    "GRUParams": "a NamedTuple of parameters, checked where it is used",
    "LSTMParams": "a NamedTuple of parameters, checked where it is used",
    "GateParams": "a NamedTuple of parameters, checked where it is used",
    "BiParams": "a NamedTuple of parameters, checked where it is used",
    "Velocity": "a NamedTuple state of the momentum methods, checked by step",
    "SquaredSum": "a NamedTuple state of AdaGrad, checked by step",
    "AdamState": "a NamedTuple state of Adam, checked by step",
}


@params(CASES)
def test_refuses(case: Bad) -> None:
    refuses(case)


# valid edge cases keep working


def test_lists_are_accepted() -> None:
    out = V_RNN(X.tolist(), P)
    np.testing.assert_allclose(out, V_RNN(X, P))
    v1, _ = V_RNN.bptt(X.tolist(), Y.tolist(), P, squared)
    v2, _ = V_RNN.bptt(X, Y, P, squared)
    assert v1 == pytest.approx(v2)
    theta, _ = GradientDescent(0.1).step([1.0, 2.0], [1.0, 1.0], ())
    np.testing.assert_allclose(theta, [0.9, 1.9])


def test_batch_of_one_sequence_of_length_one_and_int_inputs() -> None:
    x = np.ones((1, 1, NX), dtype=int)
    assert V_RNN(x, P).shape == (1, 1, NY)
    value, _ = GRU.loss_and_gradient_rtrl(x, np.zeros((1, 1, NY)), PG, squared)
    assert np.isfinite(value)


def test_masked_out_nan_targets_are_allowed() -> None:
    y = Y.copy()
    y[:, -1] = np.nan
    mask = np.ones((N, L))
    mask[:, -1] = 0
    for fn in (V_RNN.bptt, V_RNN.rtrl, GRU.loss_and_gradient_bptt):
        value, _ = fn(X, y, P if fn.__self__ is V_RNN else PG, squared, mask)
        assert np.isfinite(value)
    params, _ = train_rnn(
        V_RNN, P, X, y, squared, lr=0.1, epochs=1, batch_size=1, mask=mask
    )
    assert np.isfinite(V_RNN(X, params)).all()


DIVERGING = [
    ("fit", lambda: fit(SGD(1e6), lg, TH, XM, YM, epochs=50, batch_size=2)),
    (
        "train",
        lambda: train(MLP_, TH, XM, YM, squared, lr=1e6, epochs=50, batch_size=2),
    ),
    (
        "train_rnn",
        lambda: train_rnn(
            V_RNN, P, X, 1e3 * Y, squared, lr=1e8, epochs=50, batch_size=1
        ),
    ),
    (
        "train_online_rtrl",
        lambda: train_online_rtrl(V_RNN, P, X, 1e150 * Y, squared, lr=1e10),
    ),
]


def test_iterate_stops_on_a_diverging_step_size() -> None:
    with np.errstate(all="ignore"), pytest.raises(NonFiniteLossError, match="step"):
        iterate(SGD(1e300), lambda t: 1e300 * t, np.ones(2), 10)


@pytest.mark.parametrize(("who", "call"), DIVERGING, ids=[d[0] for d in DIVERGING])
def test_a_diverging_step_size_stops_the_loop(who, call) -> None:
    # the core's NonFiniteLossError names the step and the last finite loss
    with np.errstate(all="ignore"), pytest.raises(NonFiniteLossError) as info:
        call()
    message = str(info.value)
    assert message.startswith(who) and "at step" in message, message
    assert "last finite loss" in message, message
