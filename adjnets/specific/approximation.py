r"""Piecewise-linear interpolation written as a one-hidden-layer ReLU network.

The constructive half of the universal approximation theorem for ReLU networks in one
dimension (the appendix page *Universal approximation with ReLU hat functions*): the
interpolant of a function at knots :math:`t_0<\dots<t_n` is, exactly, a network with one
hidden layer of :math:`n+1` ReLUs placed at the knots and a linear output layer. Nothing
is trained; every weight is written down from the knots and the values.
"""

from __future__ import annotations

import numpy as np

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
    """
    t = np.asarray(knots, dtype=float)
    y = np.asarray(values, dtype=float)
    if t.ndim != 1 or t.shape != y.shape or t.size < 2:
        raise ValueError(
            "hat_slopes expected knots and values of the same shape (n + 1,) with n "
            ">= 1, "
            f"got {t.shape} and {y.shape}"
        )
    if not np.all(np.diff(t) > 0):
        raise ValueError("hat_slopes expected strictly increasing knots")
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
    """
    t = np.asarray(knots, dtype=float)
    y = np.asarray(values, dtype=float)
    c = hat_slopes(t, y)
    m = t.size
    network = Network([Dense(1, m, relu), Dense(m, 1, identity)])
    params = (
        DenseParams(np.ones((m, 1)), -t.copy()),
        DenseParams(c[None, :], np.array([y[0]])),
    )
    return network, params
