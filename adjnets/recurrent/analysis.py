r"""Diagnostics of recurrent networks: how far back a loss's gradient reaches (thesis
section 1.2.2).

:func:`state_gradient_norms` measures vanishing and exploding gradients directly: the
BPTT errors of Theorem 5.1.5 when only the last step carries a loss are
:math:`\varepsilon_i = D_{h_i}J_L = D^*\mu_{L,i+1}(h_i)\cdot D^*g(h_L)\cdot e_L` (Lemma
5.1.4), a product of :math:`L-i` transition adjoints, whose norm shrinks or grows
geometrically in the lag :math:`L-i` for the vanilla cell and need not for gated cells.
"""

from __future__ import annotations

import numpy as np

from adjnets import validation
from adjnets.calculus.losses import Loss
from adjnets.calculus.spaces import Array
from adjnets.recurrent.rnn import (
    RNN,
    RNNParams,
    _chain_backward,
    _loss,
    _network,
    _sequences,
)


def state_gradient_norms(
    rnn: RNN,
    params: RNNParams,
    x: Array,
    y: Array,
    loss: Loss,
    per_sequence: bool = False,
) -> Array:
    r"""The norms :math:`\lVert D_{h_i}J_L\rVert` of the last step's loss gradient in
    every earlier state.

    With :math:`J_L = J(y_L, \hat y_L)` the loss of the final step alone (summed over
    the batch), back-propagation through time (Theorem 5.1.5) with the error injected
    only at step :math:`L` gives :math:`\varepsilon_L = D^*g(h_L)\cdot e_L` and
    :math:`\varepsilon_i = D^*f_{i+1}(h_i)\cdot\varepsilon_{i+1}`, continued down to
    :math:`\varepsilon_0 = D_{h_0}J_L`. Entry :math:`k` of the result is the norm at lag
    :math:`k = L - i`.

    Parameters
    ----------
    rnn : RNN
        Any recurrent network of :mod:`adjnets.recurrent.rnn` (vanilla, GRU, LSTM cell,
        ...).
    params : RNNParams
    x : array (N, L, n_x)
        Input sequences, starting from :math:`h_0 = 0`.
    y : array (N, L, n_y) or (N, n_y)
        Targets; only the last step's, :math:`y_L`, is used.
    loss : Loss
    per_sequence : bool
        If false, the Frobenius norm of the batch's gradient
        :math:`D_{h_i}J_L\in\mathbb R^{N\times n_h}` (the gradient of the summed loss);
        if true, one norm per sequence.

    Returns
    -------
    array (L + 1,) or (N, L + 1)
        ``norms[..., k]`` is :math:`\lVert D_{h_{L-k}}J_L\rVert`, for lags
        :math:`k = 0,\dots,L`.

    Raises
    ------
    ValueError
        For shapes that disagree, a length-0 sequence or a non-finite entry.
    TypeError
        For arguments of the wrong kind.
    """
    who = "state_gradient_norms"
    _network(rnn, who)
    _loss(loss, who)
    x = _sequences("x", x, rnn.cell.n_x, who)
    params = RNNParams(*validation.tree_like("params", params, rnn.param_shapes, who))
    N, L = x.shape[:2]
    y = validation.as_float_array("y", y, who)
    if y.ndim == 2 and y.shape[0] == N:
        y_last = y
    elif y.ndim == 3 and y.shape[:2] == (N, L):
        y_last = y[:, -1]
    else:
        raise ValueError(
            "state_gradient_norms expected targets of shape (N, L, n_y) or (N, n_y) "
            f"with N = {N}, got {y.shape}"
        )
    fwd = rnn._forward(x, params, np.zeros((N, rnn.cell.n_h)))
    readout = fwd.readouts[-1]
    loss.check(readout.output, y_last)
    injected = [np.zeros_like(fwd.states[0]) for _ in range(L - 1)]
    injected.append(readout.D.adj(loss.error(readout.output, y_last)))
    eps = _chain_backward(fwd.cells, injected)  # eps_1 .. eps_L
    eps = [fwd.cells[0].D.adj(eps[0]), *eps]  # eps_0 .. eps_L
    E = np.stack(eps[::-1], axis=-2)  # (N, L + 1, n_h), lag k = L - i
    per: Array = np.sqrt(np.sum(E**2, axis=-1))
    if per_sequence:
        return per
    total: Array = np.sqrt(np.sum(per**2, axis=0))
    return total
