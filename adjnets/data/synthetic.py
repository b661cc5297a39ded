r"""Small synthetic data sets for the book's training examples (thesis chapter 3).

Every generator is seeded: ``rng`` may be a :class:`numpy.random.Generator` or an
integer seed for :func:`numpy.random.default_rng`, so a page that passes the same seed
gets the same points on every machine. Inputs are float64 arrays with the batch as the
leading axis, as everywhere in :mod:`adjnets`.

* :func:`noisy_curve`: a 1-d regression problem, :math:`y = g(x) + \varepsilon` with the
  smooth curve :func:`curve`.
* :func:`two_moons` and :func:`two_spirals`: 2-d binary classification problems whose
  classes are not linearly separable, with integer labels (turn them into targets with
  :func:`adjnets.calculus.losses.one_hot`).
"""

from __future__ import annotations

import numpy as np

from adjnets import validation
from adjnets.calculus.spaces import Array, Labels


def curve(x: Array) -> Array:
    r"""The noiseless regression target :math:`g(x) = \sin(\pi x) + \tfrac12 x`.

    Parameters
    ----------
    x : array_like
        Any shape; applied entry by entry.

    Returns
    -------
    numpy.ndarray
        :math:`g(x)`, float64, of the shape of ``x``.

    Raises
    ------
    ValueError
        If ``x`` has a non-finite entry.
    TypeError
        If ``x`` is not an array of real numbers.
    """
    x = validation.as_float_array("x", x, "curve")
    return np.sin(np.pi * x) + 0.5 * x


def noisy_curve(
    n: int,
    noise: float = 0.1,
    rng: np.random.Generator | int = 0,
    low: float = -1.0,
    high: float = 1.0,
) -> tuple[Array, Array]:
    r"""Points of a noisy 1-d curve: :math:`y_j = g(x_j) + \varepsilon_j` (regression).

    The inputs :math:`x_j` are uniform on ``[low, high]``, :math:`g` is :func:`curve`
    and the noise :math:`\varepsilon_j \sim N(0, \text{noise}^2)` is independent of
    them.

    Parameters
    ----------
    n : int
        Number of points, at least 1.
    noise : float
        Standard deviation of the noise, at least 0.
    rng : numpy.random.Generator or int
        Source of randomness, or a seed for :func:`numpy.random.default_rng`.
    low, high : float
        The interval the inputs are drawn from, ``low < high``.

    Returns
    -------
    x, y : numpy.ndarray
        Both of shape ``(n, 1)``: a batch of points of
        :math:`E_1 = E_{L+1} = \mathbb R`.

    Raises
    ------
    ValueError
        If ``n`` is below 1, ``noise`` is negative, ``low >= high``, a number is not
        finite, or ``rng`` is a negative seed.
    TypeError
        If ``n`` is not an integer, a number not real, or ``rng`` neither a generator
        nor a seed (``None`` included).
    """
    who = "noisy_curve"
    n = validation.positive_int("n", n, who=who)
    noise = validation.nonnegative("noise", noise, who)
    low = validation.real("low", low, who)
    high = validation.real("high", high, who, minimum=low, strict=True)
    rng = validation.generator(rng, who)
    x = rng.uniform(low, high, size=(n, 1))
    y = curve(x) + noise * rng.standard_normal((n, 1))
    return x, y


def two_moons(
    n: int, noise: float = 0.1, rng: np.random.Generator | int = 0
) -> tuple[Array, Labels]:
    r"""Two interleaved half circles in the plane, one per class (binary
    classification).

    Class 0 lies on the upper half of the unit circle, :math:`(\cos t, \sin t)`, and
    class 1 on the lower half circle :math:`(1 - \cos t,\ \tfrac12 - \sin t)`, with
    :math:`t` uniform on :math:`[0, \pi]`; Gaussian noise of standard deviation
    ``noise`` is added to both coordinates. The points are centred (the mean of the two
    curves, :math:`(\tfrac12, \tfrac14)`, is subtracted) so that they suit a network
    without input normalisation.

    Parameters
    ----------
    n : int
        Number of points, at least 2; class 0 gets :math:`\lceil n/2\rceil` of them.
    noise : float
        Standard deviation of the noise, at least 0.
    rng : numpy.random.Generator or int
        Source of randomness, or a seed for :func:`numpy.random.default_rng`.

    Returns
    -------
    x : numpy.ndarray
        Shape ``(n, 2)``, float64.
    labels : numpy.ndarray
        Shape ``(n,)``, integers in ``{0, 1}``. The points are shuffled.

    Raises
    ------
    ValueError
        If ``n`` is below 2, ``noise`` is negative or not finite, or ``rng`` is a
        negative seed.
    TypeError
        If ``n`` is not an integer, ``noise`` not a real number, or ``rng`` neither a
        generator nor a seed (``None`` included).
    """
    n = validation.positive_int("n", n, minimum=2, who="two_moons")
    noise = validation.nonnegative("noise", noise, "two_moons")
    rng = validation.generator(rng, "two_moons")
    labels = np.arange(n) % 2
    t = rng.uniform(0.0, np.pi, size=n)
    upper = np.stack([np.cos(t), np.sin(t)], axis=-1)
    lower = np.stack([1.0 - np.cos(t), 0.5 - np.sin(t)], axis=-1)
    x = np.where(labels[:, None] == 0, upper, lower) - np.array([0.5, 0.25])
    x = x + noise * rng.standard_normal((n, 2))
    order = rng.permutation(n)
    return x[order], labels[order]


def two_spirals(
    n: int, noise: float = 0.05, turns: float = 1.0, rng: np.random.Generator | int = 0
) -> tuple[Array, Labels]:
    r"""Two interleaved spirals in the plane, one per class (binary classification).

    Class 0 is the spiral :math:`r(\cos\varphi, \sin\varphi)` with
    :math:`r = \varphi/\varphi_{\max}` and :math:`\varphi` uniform on
    :math:`[\pi/4, \varphi_{\max}]`,
    :math:`\varphi_{\max} = \pi/4 + 2\pi\,\text{turns}`; class 1 is the same spiral
    turned by :math:`\pi`. Gaussian noise of standard deviation ``noise`` is added to
    both coordinates.

    Parameters
    ----------
    n : int
        Number of points, at least 2; class 0 gets :math:`\lceil n/2\rceil` of them.
    noise : float
        Standard deviation of the noise, at least 0.
    turns : float
        Number of turns of each spiral, positive.
    rng : numpy.random.Generator or int
        Source of randomness, or a seed for :func:`numpy.random.default_rng`.

    Returns
    -------
    x : numpy.ndarray
        Shape ``(n, 2)``, float64, inside the disc of radius about 1.
    labels : numpy.ndarray
        Shape ``(n,)``, integers in ``{0, 1}``. The points are shuffled.

    Raises
    ------
    ValueError
        If ``n`` is below 2, ``noise`` is negative, ``turns`` is not positive, a
        number is not finite, or ``rng`` is a negative seed.
    TypeError
        If ``n`` is not an integer, a number not real, or ``rng`` neither a generator
        nor a seed (``None`` included).
    """
    who = "two_spirals"
    n = validation.positive_int("n", n, minimum=2, who=who)
    noise = validation.nonnegative("noise", noise, who)
    turns = validation.positive("turns", turns, who)
    rng = validation.generator(rng, who)
    labels = np.arange(n) % 2
    phi_max = np.pi / 4 + 2 * np.pi * turns
    phi = rng.uniform(np.pi / 4, phi_max, size=n)
    angle = phi + np.pi * labels
    x = (phi / phi_max)[:, None] * np.stack([np.cos(angle), np.sin(angle)], axis=-1)
    x = x + noise * rng.standard_normal((n, 2))
    order = rng.permutation(n)
    return x[order], labels[order]
