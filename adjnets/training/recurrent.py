r"""Synthetic sequence data and small training loops for the recurrent networks of
thesis chapter 5.

Data (seeded: ``rng`` is a :class:`numpy.random.Generator` or an integer seed; arrays
are float64 with the layout of :mod:`adjnets.rnn`, batch first, then time):

* :func:`kicked_oscillator`: a damped oscillator driven by random kicks, sampled at unit
  time steps, whose frequency may change from step to step;
* :func:`next_step`: turns signals into next-step prediction data;
* :func:`delayed_recall`: a task with a long dependence, :math:`y_i = x_{i-d}`, whose
  first :math:`d` steps carry no target (a mask).

Training:

* :func:`train_rnn`: minibatch gradient descent with BPTT (Algorithm 5.1.2 or 5.2.1,
  repeated);
* :class:`~adjnets.rnn.RTRLState`, :func:`~adjnets.rnn.rtrl_start`,
  :func:`~adjnets.rnn.rtrl_step` and :func:`train_online_rtrl`: real-time recurrent
  learning run step by step along a stream (Lemma 5.1.2 and Theorem 5.1.3), carrying
  :math:`\nabla^*_\theta\alpha_i(h)` forward so that the gradient of each new loss is
  available as soon as its target arrives.
"""

from __future__ import annotations

import numbers
from typing import NamedTuple

import numpy as np

from adjnets.losses import Loss
from adjnets.rnn import RTRLState, rtrl_start, rtrl_step  # noqa: F401  (re-exported)
from adjnets.rnn import RNN, RNNParams, sequence_loss
from adjnets.spaces import Tree, norm, tree_map

Array = np.ndarray


def _rng(rng: np.random.Generator | int) -> np.random.Generator:
    return rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)


def _positive_int(name: str, value: object, minimum: int = 1) -> int:
    if (
        isinstance(value, bool)
        or not isinstance(value, numbers.Integral)
        or value < minimum
    ):
        raise ValueError(
            f"expected {name} to be an integer >= {minimum}, got {value!r}"
        )
    return int(value)


def kicked_oscillator(
    omega: Array,
    rho: float = 0.97,
    rng: np.random.Generator | int = 0,
    burn_in: int = 200,
) -> Array:
    r"""Signals of a damped oscillator driven by random kicks, with unit stationary
    variance.

    Each signal follows the second-order recursion of a damped oscillator sampled at
    unit steps,

    .. math::
        s_{t+1} = 2\rho\cos(\omega_t)\,s_t - \rho^2 s_{t-1} + \kappa_t\,\xi_{t+1},
        \qquad \xi_t \sim N(0, 1),

    with damping :math:`0 < \rho < 1` per step and angular frequency :math:`\omega_t`
    (radians per step). The kick size :math:`\kappa_t` is chosen so that, for a constant
    frequency, the stationary variance of :math:`s` is one:
    :math:`\kappa^2 = (1+\rho^2)^{-1}(1-\rho^2)\bigl((1+\rho^2)^2
    - 4\rho^2\cos^2\omega\bigr)`.
    The recursion runs ``burn_in`` steps at the first frequency before the returned
    samples. The best predictor of :math:`s_{t+1}` from the past (knowing
    :math:`\omega_t` and :math:`\rho`) is the first two terms, with mean squared error
    :math:`\kappa_t^2`.

    Parameters
    ----------
    omega : array_like, shape (n, T)
        The frequency of each of the :math:`n` signals at each of the :math:`T` steps.
    rho : float
        Damping per step, in :math:`(0, 1)`.
    rng : numpy.random.Generator or int
    burn_in : int

    Returns
    -------
    numpy.ndarray, shape (n, T)
        The signals :math:`s_1, \dots, s_T`.
    """
    omega = np.asarray(omega, dtype=float)
    if omega.ndim != 2 or omega.shape[1] < 1:
        raise ValueError(
            f"kicked_oscillator expected frequencies of shape (n, T), got {omega.shape}"
        )
    if not 0.0 < rho < 1.0:
        raise ValueError(f"kicked_oscillator expected 0 < rho < 1, got {rho!r}")
    burn_in = _positive_int("burn_in", burn_in, minimum=0)
    rng = _rng(rng)
    n, T = omega.shape
    omega = np.concatenate([np.repeat(omega[:, :1], burn_in, axis=1), omega], axis=1)
    c = np.cos(omega)
    kick = np.sqrt(
        (1 - rho**2) * ((1 + rho**2) ** 2 - 4 * rho**2 * c**2) / (1 + rho**2)
    )
    xi = rng.standard_normal(omega.shape)
    s_prev, s = np.zeros(n), np.zeros(n)
    out = np.empty(omega.shape)
    for t in range(omega.shape[1]):
        s_prev, s = s, 2 * rho * c[:, t] * s - rho**2 * s_prev + kick[:, t] * xi[:, t]
        out[:, t] = s
    return out[:, burn_in:]


def next_step(signal: Array) -> tuple[Array, Array]:
    r"""Next-step prediction data from signals: :math:`x_i = s_i`,
    :math:`y_i = s_{i+1}`.

    Parameters
    ----------
    signal : array_like, shape (n, T+1)

    Returns
    -------
    x, y : numpy.ndarray, shape (n, T, 1)
    """
    signal = np.asarray(signal, dtype=float)
    if signal.ndim != 2 or signal.shape[1] < 2:
        raise ValueError(
            "next_step expected signals of shape (n, T+1) with T >= 1, got "
            f"{signal.shape}"
        )
    return signal[:, :-1, None], signal[:, 1:, None]


def delayed_recall(
    n: int, length: int, delay: int, rng: np.random.Generator | int = 0
) -> tuple[Array, Array, Array]:
    r"""A task with a long dependence: recall the input seen ``delay`` steps ago.

    The inputs are independent, :math:`x_i \sim N(0, 1)`, and the targets are
    :math:`y_i = x_{i-d}` for :math:`i > d`. The first :math:`d` steps have no target:
    their mask is 0 (their target is set to 0).

    Returns
    -------
    x, y : numpy.ndarray, shape (n, length, 1)
    mask : numpy.ndarray, shape (n, length)
    """
    n, length = _positive_int("n", n), _positive_int("length", length)
    delay = _positive_int("delay", delay, minimum=0)
    if delay >= length:
        raise ValueError(
            f"delayed_recall expected delay < length, got delay {delay} and length "
            f"{length}"
        )
    x = _rng(rng).standard_normal((n, length, 1))
    y = np.zeros_like(x)
    y[:, delay:] = x[:, : length - delay]
    mask = np.ones((n, length))
    mask[:, :delay] = 0.0
    return x, y, mask


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
    :meth:`~adjnets.rnn.VanillaRNN.bptt` when the network has it (Algorithm 5.2.1),
    :meth:`~adjnets.rnn.RNN.loss_and_gradient_bptt` otherwise (Algorithm 5.1.2).

    Returns
    -------
    params : RNNParams
        The trained parameters (the given ones are not modified).
    history : numpy.ndarray, shape (epochs,)
        The mean loss per target step of each epoch, averaged over its minibatches as
        they were met (before each step).
    """
    if not (isinstance(lr, numbers.Real) and 0 < lr < np.inf):
        raise ValueError(f"train_rnn expected a positive learning rate, got {lr!r}")
    epochs, batch_size = (
        _positive_int("epochs", epochs),
        _positive_int("batch_size", batch_size),
    )
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    m = np.ones(x.shape[:2]) if mask is None else np.asarray(mask, dtype=float)
    rng = _rng(rng)
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
            g = _clipped(tree_map(lambda a: a / n_targets, g), clip)
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
    :func:`rtrl_step`. The gradients of the step losses are summed; after every
    ``every`` steps the parameters take the step :math:`-\text{lr}/n\cdot g` with
    :math:`g` that sum and :math:`n` its number of targets (``clip`` bounds the norm of
    :math:`g/n`), and the sum restarts from zero. The hidden state and :math:`A` are
    carried on across updates, so after the first update :math:`A` is the approximation
    of :func:`rtrl_step`. With ``every`` :math:`\ge T` every step is computed with the
    initial parameters, so the gradients are exact, and the one update comes at the end.

    Returns
    -------
    params : RNNParams
        The parameters after the stream.
    losses : numpy.ndarray, shape (T,)
        The loss of each step (summed over the streams), each computed with the
        parameters of that moment, before the step's own update.
    """
    if not (isinstance(lr, numbers.Real) and 0 <= lr < np.inf):
        raise ValueError(f"train_online_rtrl expected a learning rate >= 0, got {lr!r}")
    every = _positive_int("every", every)
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    if x.ndim != 3 or y.ndim != 3 or x.shape[:2] != y.shape[:2]:
        raise ValueError(
            "train_online_rtrl expected streams (N, T, n_x) and (N, T, n_y), got "
            f"{x.shape} and {y.shape}"
        )
    N, T = x.shape[:2]
    m = np.ones((N, T)) if mask is None else np.asarray(mask, dtype=float)
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
                step = _clipped(tree_map(lambda a: a / n_acc, acc), clip)
                params = tree_map(lambda p, d: p - lr * d, params, step)
            acc, n_acc = None, 0.0
    return params, losses
