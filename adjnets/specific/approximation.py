r"""Piecewise-linear interpolation written as a one-hidden-layer ReLU network.

The constructive half of the universal approximation theorem for ReLU networks in one
dimension (the appendix page *Universal approximation with ReLU hat functions*): the
interpolant of a function at knots :math:`t_0<\dots<t_n` is, exactly, a network with one
hidden layer of :math:`n+1` ReLUs placed at the knots and a linear output layer. Nothing
is trained; every weight is written down from the knots and the values.
"""

from __future__ import annotations

import numpy as np

from adjnets import validation
from adjnets.calculus.elementwise import identity, relu
from adjnets.calculus.spaces import Array
from adjnets.networks.layers import Dense, DenseParams
from adjnets.networks.network import Network

__all__ = ["hat_network", "hat_slopes"]


def hat_slopes(knots: Array, values: Array) -> Array:
    r"""The output weights :math:`c_k = \sigma_k - \sigma_{k-1}` of :func:`hat_network`.

    With the segment slopes :math:`\sigma_k = (y_{k+1}-y_k)/(t_{k+1}-t_k)` for
    :math:`k = 0, \dots, n-1` and :math:`\sigma_{-1} = \sigma_n = 0`, :math:`c_k` is the
    jump of the interpolant's slope at the knot :math:`t_k` (:math:`k = 0, \dots, n`).

    Parameters
    ----------
    knots : array_like, shape (n + 1,)
        Strictly increasing knots :math:`t_0 < \dots < t_n`, :math:`n \ge 1`.
    values : array_like, shape (n + 1,)
        The values :math:`y_k` to interpolate.

    Returns
    -------
    ndarray, shape (n + 1,)

    Raises
    ------
    ValueError
        For knots and values of different shapes, fewer than two knots, knots not
        strictly increasing, or a non-finite entry.
    TypeError
        For arrays that are not real numbers.
    """
    t, y = _knots(knots, values, "hat_slopes")
    return _slopes(t, y)


def _knots(knots: Array, values: Array, who: str) -> tuple[Array, Array]:
    t = validation.as_float_array("knots", knots, who)
    y = validation.as_float_array("values", values, who)
    if t.ndim != 1 or t.size < 2:
        raise ValueError(
            f"{who} expected knots of shape (n + 1,) with n >= 1, got shape {t.shape}"
        )
    if y.shape != t.shape:
        raise ValueError(
            f"{who} expected values of the knots' shape {t.shape}, got {y.shape}"
        )
    steps = np.diff(t)
    if not np.all(steps > 0):
        k = int(np.argmin(steps > 0))
        raise ValueError(
            f"{who} expected strictly increasing knots, got t[{k}] = {t[k]:g} >= "
            f"t[{k + 1}] = {t[k + 1]:g}"
        )
    return t, y


def _slopes(t: Array, y: Array) -> Array:
    s = np.diff(y) / np.diff(t)
    return np.diff(np.concatenate([[0.0], s, [0.0]]))


def hat_network(
    knots: Array, values: Array
) -> tuple[Network, tuple[DenseParams, DenseParams]]:
    r"""The piecewise-linear interpolant of ``values`` at ``knots`` as a ReLU network.

    For knots :math:`t_0<\dots<t_n` and values :math:`y_0, \dots, y_n`, the network

    .. math::
        N(x) = y_0 + \sum_{k=0}^{n} c_k\,\operatorname{ReLU}(x - t_k),
        \qquad c_k = \sigma_k - \sigma_{k-1},

    with the segment slopes :math:`\sigma_k = (y_{k+1}-y_k)/(t_{k+1}-t_k)` and
    :math:`\sigma_{-1} = \sigma_n = 0`, equals the piecewise-linear interpolant of the
    points :math:`(t_k, y_k)` on :math:`[t_0, t_n]`, and is constant (:math:`y_0`, resp.
    :math:`y_n`) outside it, like :func:`numpy.interp`. It is the sum
    :math:`\sum_k y_k\varphi_k` of the hat functions :math:`\varphi_k` (each a
    combination of three ReLUs, at :math:`t_{k-1}`, :math:`t_k`, :math:`t_{k+1}`) with
    the coefficients of equal ReLUs collected.

    As layers (:class:`adjnets.networks.layers.Dense`), :math:`N = f_2\circ f_1` with

    .. math::
        f_1(x) = \operatorname{ReLU}(\mathbf 1\,x - t), \quad
        W_1 = \mathbf 1\in\mathbb R^{(n+1)\times 1},\ b_1 = -t;

        f_2(z) = c^T z + y_0, \quad W_2 = c^T\in\mathbb R^{1\times(n+1)},\ b_2 = y_0 .

    Parameters
    ----------
    knots : array_like, shape (n + 1,)
        Strictly increasing knots, :math:`n \ge 1`.
    values : array_like, shape (n + 1,)
        Values :math:`y_k` at the knots.

    Returns
    -------
    network : Network
        ``Network([Dense(1, n + 1, relu), Dense(n + 1, 1)])``; inputs have shape
        ``(N, 1)``.
    params : tuple of DenseParams
        :math:`((W_1, b_1), (W_2, b_2))` as above.

    Raises
    ------
    ValueError, TypeError
        As :func:`hat_slopes`.
    """
    t, y = _knots(knots, values, "hat_network")
    c = _slopes(t, y)
    m = t.size
    network = Network([Dense(1, m, relu), Dense(m, 1, identity)])
    params = (
        DenseParams(np.ones((m, 1)), -t.copy()),
        DenseParams(c[None, :], np.array([y[0]])),
    )
    return network, params
