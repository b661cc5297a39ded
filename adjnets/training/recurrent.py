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

import numbers

import numpy as np

from adjnets._args import binary_mask, generator, positive_int
from adjnets.calculus.losses import Loss
from adjnets.calculus.spaces import Array, Tree, norm, tree_map
from adjnets.recurrent.rnn import RNN, RNNParams, rtrl_start, rtrl_step

__all__ = ["train_online_rtrl", "train_rnn"]


def _is_rate(value: object, zero_ok: bool = False) -> bool:
    """Whether ``value`` is a finite real number > 0 (>= 0 with ``zero_ok``)."""
    if not isinstance(value, numbers.Real):
        return False
    rate = float(value)
    return (rate >= 0 if zero_ok else rate > 0) and rate < np.inf


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

    Returns
    -------
    params : RNNParams
        The trained parameters (the given ones are not modified).
    history : numpy.ndarray, shape (epochs,)
        The mean loss per target step of each epoch, averaged over its minibatches as
        they were met (before each step).
    """
    if not _is_rate(lr):
        raise ValueError(f"train_rnn expected a positive learning rate, got {lr!r}")
    epochs, batch_size = (
        positive_int("epochs", epochs),
        positive_int("batch_size", batch_size),
    )
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    m = binary_mask("mask", mask, x.shape[:2], "train_rnn")
    if not m.any():
        raise ValueError("train_rnn expected a mask with at least one target (a 1)")
    rng = generator(rng)
    grad_fn = getattr(rnn, "bptt", rnn.loss_and_gradient_bptt)
    history = np.empty(epochs)
    N = x.shape[0]
    for epoch in range(epochs):
        order = rng.permutation(N)
        total, count = 0.0, 0.0
        for start in range(0, N, batch_size):
            idx = order[start : start + batch_size]
            n_targets = float(m[idx].sum())
            if n_targets == 0:
                continue
            value, g = grad_fn(x[idx], y[idx], params, loss, m[idx])
            g = _clipped(_divided(g, n_targets), clip)
            params = tree_map(lambda p, d: p - lr * d, params, g)
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

    Returns
    -------
    params : RNNParams
        The parameters after the stream.
    losses : numpy.ndarray, shape (T,)
        The loss of each step (summed over the streams), each computed with the
        parameters of that moment, before the step's own update.
    """
    if not _is_rate(lr, zero_ok=True):
        raise ValueError(f"train_online_rtrl expected a learning rate >= 0, got {lr!r}")
    every = positive_int("every", every)
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    if x.ndim != 3 or y.ndim != 3 or x.shape[:2] != y.shape[:2]:
        raise ValueError(
            "train_online_rtrl expected streams (N, T, n_x) and (N, T, n_y), got "
            f"{x.shape} and {y.shape}"
        )
    N, T = x.shape[:2]
    m = binary_mask("mask", mask, (N, T), "train_online_rtrl")
    state = rtrl_start(rnn, N, h0)
    losses = np.empty(T)
    acc, n_acc = None, 0.0
    for i in range(T):
        value, g, state = rtrl_step(rnn, params, state, x[:, i], y[:, i], loss, m[:, i])
        losses[i] = value
        acc = g if acc is None else tree_map(np.add, acc, g)
        n_acc += float(m[:, i].sum())
        if (i + 1) % every == 0 or i == T - 1:
            if n_acc > 0 and lr > 0:
                step = _clipped(_divided(acc, n_acc), clip)
                params = tree_map(lambda p, d: p - lr * d, params, step)
            acc, n_acc = None, 0.0
    return params, losses
