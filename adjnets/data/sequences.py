r"""Synthetic sequences for the recurrent networks of thesis chapter 5.

Seeded (``rng`` is a :class:`numpy.random.Generator` or an integer seed); arrays are
float64 with the layout of :mod:`adjnets.recurrent.rnn`, batch first, then time.

* :func:`kicked_oscillator`: a damped oscillator driven by random kicks, sampled at unit
  time steps, whose frequency may change from step to step;
* :func:`next_step`: turns signals into next-step prediction data;
* :func:`delayed_recall`: a task with a long dependence, :math:`y_i = x_{i-d}`, whose
  first :math:`d` steps carry no target (a mask);
* :func:`adding_problem`: the adding problem of Hochreiter and Schmidhuber (1997), a
  sequence of random numbers of which two are marked, whose target, given only at the
  last step, is the sum of the two. The first mark falls in the first half of the
  sequence, so the target depends on an input at least :math:`L/2` steps back: the
  gradient of the loss must reach that far back through the transition maps (Theorem
  5.1.5), which is where a vanilla RNN's gradient vanishes (thesis section 1.2.2).
"""

from __future__ import annotations

import numpy as np

from adjnets import validation
from adjnets.calculus.spaces import Array
from adjnets.validation import generator, positive_int

__all__ = [
    "ADDING_TRIVIAL_MSE",
    "adding_problem",
    "delayed_recall",
    "kicked_oscillator",
    "next_step",
]


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

    Raises
    ------
    ValueError
        If ``omega`` is not of shape (n, T) with n, T >= 1 or has a non-finite entry,
        ``rho`` is not in (0, 1), ``burn_in`` is negative or ``rng`` a negative seed.
    TypeError
        If ``omega`` is not an array of real numbers, ``rho`` not a real number,
        ``burn_in`` not an integer, or ``rng`` neither a generator nor a seed.
    """
    who = "kicked_oscillator"
    omega = validation.as_float_array("omega", omega, who)
    if omega.ndim != 2 or min(omega.shape) < 1:
        raise ValueError(
            f"{who} expected omega of shape (n, T) with n, T >= 1, got shape "
            f"{omega.shape}"
        )
    rho = validation.real("rho", rho, who, minimum=0.0, strict=True, below=1.0)
    burn_in = positive_int("burn_in", burn_in, minimum=0, who=who)
    rng = generator(rng, who)
    n, _T = omega.shape
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

    Raises
    ------
    ValueError
        If ``signal`` is not of shape (n, T+1) with n, T >= 1 or has a non-finite
        entry.
    TypeError
        If ``signal`` is not an array of real numbers.
    """
    signal = validation.as_float_array("signal", signal, "next_step")
    if signal.ndim != 2 or signal.shape[0] < 1 or signal.shape[1] < 2:
        raise ValueError(
            "next_step expected signal of shape (n, T+1) with n, T >= 1, got shape "
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

    Raises
    ------
    ValueError
        If ``n`` or ``length`` is below 1, ``delay`` is negative or not below
        ``length``, or ``rng`` is a negative seed.
    TypeError
        If ``n``, ``length`` or ``delay`` is not an integer, or ``rng`` neither a
        generator nor a seed (``None`` included).
    """
    who = "delayed_recall"
    n = positive_int("n", n, who=who)
    length = positive_int("length", length, who=who)
    delay = positive_int("delay", delay, minimum=0, who=who)
    if delay >= length:
        raise ValueError(
            f"{who} expected delay < length, got delay {delay} and length {length}"
        )
    x = generator(rng, who).standard_normal((n, length, 1))
    y = np.zeros_like(x)
    y[:, delay:] = x[:, : length - delay]
    mask = np.ones((n, length))
    mask[:, :delay] = 0.0
    return x, y, mask


ADDING_TRIVIAL_MSE = 1.0 / 6.0
r"""The mean squared error of the best constant prediction in :func:`adding_problem`.

The target :math:`u_a + u_b` is a sum of two independent :math:`U(0, 1)` numbers, with
mean 1 and variance :math:`2\cdot\tfrac1{12} = \tfrac16`; predicting 1 whatever the
input scores :math:`\tfrac16`, and no prediction that ignores the input scores less.
"""


def adding_problem(
    n: int, length: int, rng: np.random.Generator | int = 0
) -> tuple[Array, Array, Array]:
    r"""The adding problem: add the two marked numbers of a sequence, answer at the last
    step.

    Each sequence :math:`s` has inputs :math:`x_i = (u_i, m_i)\in\mathbb R^2`,
    :math:`i = 1,\dots,L`, with :math:`u_i\sim U(0, 1)` independent and
    :math:`m_i\in\{0, 1\}` a marker that is 1 at exactly two steps, :math:`a` drawn
    uniformly from the first half :math:`\{1,\dots,\lfloor L/2\rfloor\}` and :math:`b`
    from the second half :math:`\{\lfloor L/2\rfloor + 1,\dots,L\}`. The target is

    .. math:: y_L = u_a + u_b ,

    at the last step only: the mask (see :func:`adjnets.recurrent.rnn.sequence_loss`) is
    1 at :math:`i = L` and 0 elsewhere, where the target is set to 0 and never read. A
    prediction that ignores the input does no better than the mean squared error
    :data:`ADDING_TRIVIAL_MSE` :math:`= 1/6`.

    Parameters
    ----------
    n : int
        Number of sequences, at least 1.
    length : int
        :math:`L`, at least 2.
    rng : numpy.random.Generator or int
        A generator, or a seed for :func:`numpy.random.default_rng`.

    Returns
    -------
    x : numpy.ndarray, shape (n, length, 2)
        The numbers :math:`u_i` in channel 0, the markers :math:`m_i` in channel 1.
    y : numpy.ndarray, shape (n, length, 1)
        :math:`u_a + u_b` at the last step, 0 elsewhere.
    mask : numpy.ndarray, shape (n, length)
        1 at the last step, 0 elsewhere.

    Raises
    ------
    ValueError
        If ``n`` is below 1, ``length`` below 2, or ``rng`` is a negative seed.
    TypeError
        If ``n`` or ``length`` is not an integer, or ``rng`` neither a generator nor a
        seed (``None`` included).
    """
    n = positive_int("n", n, who="adding_problem")
    length = positive_int("length", length, minimum=2, who="adding_problem")
    rng = generator(rng, "adding_problem")
    half = length // 2
    u = rng.uniform(0.0, 1.0, size=(n, length))
    a = rng.integers(0, half, size=n)
    b = rng.integers(half, length, size=n)
    rows = np.arange(n)
    marks = np.zeros((n, length))
    marks[rows, a] = 1.0
    marks[rows, b] = 1.0
    x = np.stack([u, marks], axis=-1)
    y = np.zeros((n, length, 1))
    y[:, -1, 0] = u[rows, a] + u[rows, b]
    mask = np.zeros((n, length))
    mask[:, -1] = 1.0
    return x, y, mask
