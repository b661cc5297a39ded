r"""Synthetic tasks with a long-range dependence, for the recurrent networks of thesis
section 5.3.

:func:`adding_problem` is the adding problem of Hochreiter and Schmidhuber (1997): a
sequence of random numbers in which two are marked, and whose target, given only at the
last step, is the sum of the two marked numbers. The first mark falls in the first half
of the sequence, so the target depends on an input at least :math:`L/2` steps back: the
gradient of the loss must reach that far back through the transition maps (Theorem
5.1.5), which is where a vanilla RNN's gradient vanishes (thesis section 1.2.2).

Arrays follow :mod:`adjnets.rnn`: batch first, then time, float64.
"""

from __future__ import annotations

import numbers

import numpy as np

__all__ = ["adding_problem", "ADDING_TRIVIAL_MSE"]

Array = np.ndarray

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

    at the last step only: the mask (see :func:`adjnets.rnn.sequence_loss`) is 1 at
    :math:`i = L` and 0 elsewhere, where the target is set to 0 and never read. A
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
    """
    for name, value, minimum in (("n", n, 1), ("length", length, 2)):
        if (
            isinstance(value, bool)
            or not isinstance(value, numbers.Integral)
            or value < minimum
        ):
            raise ValueError(
                f"adding_problem expected {name} to be an integer >= {minimum}, got "
                f"{value!r}"
            )
    n, length = int(n), int(length)
    rng = rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)
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
