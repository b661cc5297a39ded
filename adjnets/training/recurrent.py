r"""Training loops for the recurrent networks of thesis chapter 5.

* :func:`train_rnn`: minibatch gradient descent with BPTT (Algorithm 5.1.2 or 5.2.1,
  repeated);
* :func:`train_online_rtrl`: real-time recurrent learning run step by step along a
  stream (Lemma 5.1.2 and Theorem 5.1.3) with :class:`~adjnets.recurrent.rnn.RTRLState`,
  :func:`~adjnets.recurrent.rnn.rtrl_start` and
  :func:`~adjnets.recurrent.rnn.rtrl_step`, carrying :math:`\nabla^*_\theta\alpha_i(h)`
  forward so that the gradient of each new loss is available as soon as its target
  arrives.

The data sets they are trained on are in :mod:`adjnets.data.sequences`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

import numpy as np

from adjnets import validation
from adjnets.calculus.losses import Loss
from adjnets.calculus.spaces import Array, Tree, norm, tree_map
from adjnets.recurrent.rnn import (
    RNN,
    RNNParams,
    RTRLState,
    _initial_state,
    _loss,
    _network,
    _rtrl_step,
    _sequences,
    _targets,
)
from adjnets.validation import binary_mask, generator, positive_int

__all__ = ["train_online_rtrl", "train_rnn"]


def _divided(tree: Tree, n: float) -> Tree:
    return tree_map(lambda a: a / n, tree)


def _clipped(g: Tree, clip: float | None) -> Tree:
    if clip is None:
        return g
    size = norm(g)
    return g if size <= clip else tree_map(lambda a: a * (clip / size), g)


def train_rnn(
    rnn: RNN,
    params: RNNParams,
    x: Array,
    y: Array,
    loss: Loss,
    *,
    lr: float,
    epochs: int,
    batch_size: int,
    rng: np.random.Generator | int = 0,
    mask: Array | None = None,
    clip: float | None = None,
) -> tuple[RNNParams, Array]:
    r"""Minibatch gradient descent on a recurrent network, each gradient by BPTT.

    Each epoch shuffles the :math:`N` sequences and takes one step per minibatch
    :math:`A`,

    .. math::
        \zeta \leftarrow \zeta - \frac{\text{lr}}{n_A}\,\nabla_\zeta\mathcal J_A, \qquad
        \theta \leftarrow \theta - \frac{\text{lr}}{n_A}\,\nabla_\theta\mathcal J_A,

    where :math:`\mathcal J_A` is the summed loss (5.4) of the minibatch and :math:`n_A`
    its number of target steps (the sum of its mask), so ``lr`` is a step size for the
    mean loss per target. With ``clip``, the mean gradient
    :math:`g = \nabla\mathcal J_A/n_A` (both parameter sets together) is rescaled to
    norm ``clip`` when it is longer (gradient clipping by norm). The gradient is
    :meth:`~adjnets.recurrent.rnn.VanillaRNN.bptt` when the network has it (Algorithm
    5.2.1), :meth:`~adjnets.recurrent.rnn.RNN.loss_and_gradient_bptt` otherwise
    (Algorithm 5.1.2). ``mask`` (shape ``(N, L)``, 0s and 1s or booleans; any other
    entry is a ValueError) is that of :func:`~adjnets.recurrent.rnn.sequence_loss`, so
    each step follows the gradient of the loss it records.

    Raises
    ------
    TypeError
        For an argument of the wrong kind (``rng=None``, a float ``epochs``, a
        boolean array, ``rnn`` not an RNN).
    ValueError
        For sizes or rates out of range (a negative ``clip``, ``batch_size`` above
        :math:`N`), shapes that disagree, a length-0 sequence, a mask entry not 0 or 1,
        or a non-finite input, parameter, or target where the mask is 1.
    adjnets.validation.NonFiniteLossError
        If a minibatch's loss is not finite: the message names the step and the last
        finite loss.

    Returns
    -------
    params : RNNParams
        The trained parameters (the given ones are not modified).
    history : numpy.ndarray, shape (epochs,)
        The mean loss per target step of each epoch, averaged over its minibatches as
        they were met (before each step).
    """
    who = "train_rnn"
    _network(rnn, who)
    lr = validation.positive("lr", lr, who)
    clip = None if clip is None else validation.positive("clip", clip, who)
    data = _minibatch_data(rnn, x, y, loss, mask, epochs, batch_size, rng, who)
    params = RNNParams(*validation.tree_like("params", params, rnn.param_shapes, who))

    def update(params: RNNParams, g: RNNParams) -> RNNParams:
        new: RNNParams = tree_map(lambda p, d: p - lr * d, params, _clipped(g, clip))
        return new

    return _minibatch_descent(rnn, params, data, update, who)


class _MinibatchData(NamedTuple):
    """The checked arguments of a minibatch training loop."""

    x: Array
    y: Array
    mask: Array
    loss: Loss
    epochs: int
    batch_size: int
    rng: np.random.Generator


def _minibatch_data(
    rnn: RNN,
    x: object,
    y: object,
    loss: Loss,
    mask: object,
    epochs: object,
    batch_size: object,
    rng: object,
    who: str,
) -> _MinibatchData:
    """Check what :func:`train_rnn` and the loops built like it share."""
    _loss(loss, who)
    epochs = positive_int("epochs", epochs, who=who)
    batch_size = positive_int("batch_size", batch_size, who=who)
    rng = generator(rng, who)
    x = _sequences("x", x, rnn.cell.n_x, who)
    N = x.shape[0]
    if batch_size > N:
        raise ValueError(f"{who} expected batch_size <= N = {N}, got {batch_size}")
    m = binary_mask("mask", mask, x.shape[:2], who)
    if not m.any():
        raise ValueError(
            f"{who} expected a mask with at least one target (a 1), got 0s"
        )
    y = _targets(y, x.shape[:2], m, who)
    return _MinibatchData(x, y, m, loss, epochs, batch_size, rng)


def _minibatch_descent(
    rnn: RNN,
    params: RNNParams,
    data: _MinibatchData,
    update: Callable[[RNNParams, RNNParams], RNNParams],
    who: str,
) -> tuple[RNNParams, Array]:
    """The loop of :func:`train_rnn`: per epoch, shuffle; per minibatch, the mean
    gradient per target by BPTT, then ``params = update(params, mean gradient)``.
    Returns the parameters and the mean loss per target of each epoch."""
    x, y, m = data.x, data.y, data.mask
    N = x.shape[0]
    grad_fn = getattr(rnn, "bptt", rnn.loss_and_gradient_bptt)
    history = np.empty(data.epochs)
    step, last = 0, None
    for epoch in range(data.epochs):
        order = data.rng.permutation(N)
        total, count = 0.0, 0.0
        for start in range(0, N, data.batch_size):
            idx = order[start : start + data.batch_size]
            n_targets = float(m[idx].sum())
            if n_targets == 0:
                continue
            value, g = grad_fn(x[idx], y[idx], params, data.loss, m[idx])
            last = validation.finite_loss(value, step, last, who)
            step += 1
            params = update(params, _divided(g, n_targets))
            total, count = total + value, count + n_targets
        history[epoch] = total / count
    return params, history


def train_online_rtrl(
    rnn: RNN,
    params: RNNParams,
    x: Array,
    y: Array,
    loss: Loss,
    *,
    lr: float,
    every: int = 1,
    clip: float | None = None,
    mask: Array | None = None,
    h0: Array | None = None,
) -> tuple[RNNParams, Array]:
    r"""Learn online along streams with RTRL: update the parameters every ``every``
    steps.

    The streams ``x`` (shape ``(N, T, n_x)``) are read one step at a time by
    :func:`~adjnets.recurrent.rnn.rtrl_step`. The gradients of the step losses are
    summed; after every ``every`` steps the parameters take the step
    :math:`-\text{lr}/n\cdot g` with :math:`g` that sum and :math:`n` its number of
    targets (``clip`` bounds the norm of :math:`g/n`), and the sum restarts from zero.
    The hidden state and :math:`A` are carried on across updates, so after the first
    update :math:`A` is the approximation of :func:`~adjnets.recurrent.rnn.rtrl_step`.
    With ``every`` :math:`\ge T` every step is computed with the initial parameters, so
    the gradients are exact, and the one update comes at the end. ``mask`` (shape
    ``(N, T)``, 0s and 1s or booleans; any other entry is a ValueError) marks the steps
    with a target, as for :func:`~adjnets.recurrent.rnn.sequence_loss`.

    Raises
    ------
    TypeError, ValueError
        For arguments of the wrong kind or value (see :func:`train_rnn`).
    adjnets.validation.NonFiniteLossError
        If a step's loss is not finite: the message names the step and the last
        finite loss.

    Returns
    -------
    params : RNNParams
        The parameters after the stream.
    losses : numpy.ndarray, shape (T,)
        The loss of each step (summed over the streams), each computed with the
        parameters of that moment, before the step's own update.
    """
    who = "train_online_rtrl"
    _network(rnn, who)
    _loss(loss, who)
    lr = validation.nonnegative("lr", lr, who)
    every = positive_int("every", every, who=who)
    clip = None if clip is None else validation.positive("clip", clip, who)
    x = _sequences("x", x, rnn.cell.n_x, who)
    N, T = x.shape[:2]
    m = binary_mask("mask", mask, (N, T), who)
    y = _targets(y, (N, T), m, who)
    params = RNNParams(*validation.tree_like("params", params, rnn.param_shapes, who))
    state = RTRLState(_initial_state(h0, N, rnn.cell.n_h, who), None)
    losses = np.empty(T)
    acc, n_acc = None, 0.0
    last = None
    for i in range(T):
        value, g, state = _rtrl_step(
            rnn, params, state, x[:, i], y[:, i], loss, m[:, i]
        )
        last = validation.finite_loss(value, i, last, who)
        losses[i] = value
        acc = g if acc is None else tree_map(np.add, acc, g)
        n_acc += float(m[:, i].sum())
        if (i + 1) % every == 0 or i == T - 1:
            if n_acc > 0 and lr > 0:
                step = _clipped(_divided(acc, n_acc), clip)
                params = tree_map(lambda p, d: p - lr * d, params, step)
            acc, n_acc = None, 0.0
    return params, losses
