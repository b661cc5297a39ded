r"""Recurrent networks past the thesis's vanilla RNN (its section 5.3 and chapter 6
future work).

* :class:`NetworkCell`: a *deep* transition, :math:`f(h; x;\theta) = F([h; x];\theta)`
  for any network :math:`F` of chapter 3; with
  :class:`adjnets.networks.network.NetworkLayer` as the prediction map :math:`g`, this
  is the deep RNN of Pascanu et al. (2013), the thesis's section 5.3.3.
* :class:`BidirectionalRNN`: two chains of hidden states, one reading the sequence
  forwards and one backwards, both feeding the prediction at every step (Schuster and
  Paliwal, 1997; the thesis's section 5.3.2).

Both are trained by BPTT (:func:`adjnets.recurrent.rnn.backpropagate_chain`, Theorem
5.1.5 applied to each chain); gated cells are in :mod:`adjnets.recurrent.gated`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from adjnets._args import binary_mask
from adjnets.calculus.linear import LinearMap
from adjnets.calculus.losses import Loss
from adjnets.calculus.maps import Layer, Linearization
from adjnets.calculus.spaces import Array, Tree, tree_map
from adjnets.networks.network import Network, NetworkLayer, Params
from adjnets.recurrent.rnn import (
    Cell,
    CellLinearization,
    backpropagate_chain,
    chain_parameter_gradient,
    sequence_loss,
)


@dataclass(frozen=True)
class NetworkCell(Cell):
    r"""A deep transition :math:`f(h; x; \theta) = F([h; x]; \theta)` for a chapter-3
    network :math:`F`.

    :math:`F` maps :math:`\mathbb R^{n_h+n_x}` to :math:`\mathbb R^{n_h}`. Then
    :math:`D_hf\cdot v = DF\cdot(v, 0)`, :math:`D_h^*f\cdot w = [D^*F\cdot w]_h` (the
    hidden part of the back-propagated cotangent), and
    :math:`\nabla^*_\theta f = \nabla^*_\theta F` (Lemma 3.2.1). RTRL, which needs each
    sequence's own parameter adjoint, is not provided: train with BPTT.
    """

    network: Network
    n_h: int
    n_x: int

    def init(self, rng: np.random.Generator) -> Params:
        return self.network.init(rng)

    def _joint(self, h: Array, x: Array) -> Array:
        h, x = np.asarray(h, dtype=float), np.asarray(x, dtype=float)
        if (
            h.shape[-1] != self.n_h
            or x.shape[-1] != self.n_x
            or h.shape[:-1] != x.shape[:-1]
        ):
            raise ValueError(
                f"NetworkCell expected hidden states (N, {self.n_h}) and inputs (N, "
                f"{self.n_x}), "
                f"got {h.shape} and {x.shape}"
            )
        return np.concatenate([h, x], axis=-1)

    def __call__(self, h: Array, x: Array, theta: Params) -> Array:
        h_new: Array = self.network(self._joint(h, x), theta)
        return h_new

    def linearize(self, h: Array, x: Array, theta: Params) -> CellLinearization:
        lin = NetworkLayer(self.network).linearize(self._joint(h, x), theta)
        n_h, n_x = self.n_h, self.n_x

        def each(w: Array) -> Tree:
            raise NotImplementedError(
                "RTRL needs each sequence's parameter adjoint, which NetworkCell does "
                "not provide; "
                "train a deep RNN with loss_and_gradient_bptt"
            )

        return CellLinearization(
            output=lin.output,
            D=LinearMap(
                lambda v: lin.D(
                    np.concatenate([v, np.zeros((*v.shape[:-1], n_x))], axis=-1)
                ),
                lambda w: lin.D.adj(w)[..., :n_h],
                "D_hF",
            ),
            grad=lin.grad,
            grad_adjoint_each=each,
        )


class BiParams(NamedTuple):
    """Parameters of a bidirectional RNN: forward and backward transitions,
    prediction."""

    forward: Tree
    backward: Tree
    zeta: Tree


@dataclass(frozen=True)
class BidirectionalRNN:
    r"""A bidirectional RNN:
    :math:`\overrightarrow h_i = f(\overrightarrow h_{i-1}; x_i)`,
    :math:`\overleftarrow h_i = f'(\overleftarrow h_{i+1}; x_i)` and
    :math:`\hat y_i = g([\overrightarrow h_i; \overleftarrow h_i])`.

    The two chains do not interact; each receives, at each step, its part of
    :math:`D^*g\cdot e_i`, and BPTT (Theorem 5.1.5) runs along each chain in its own
    direction: forwards-in-time errors flow back from :math:`L` to 1, backwards-in-time
    ones from 1 to :math:`L`. The readout maps :math:`\mathbb R^{n_h+n_h'}` to the
    outputs.
    """

    forward_cell: Cell
    backward_cell: Cell
    readout: Layer

    def init(self, rng: np.random.Generator) -> BiParams:
        """Random parameters of the two cells and of the prediction layer."""
        return BiParams(
            self.forward_cell.init(rng),
            self.backward_cell.init(rng),
            self.readout.init(rng),
        )

    def _run(
        self, x: Array, params: BiParams
    ) -> tuple[list[CellLinearization], list[CellLinearization], list[Linearization]]:
        x = np.asarray(x, dtype=float)
        if (
            x.ndim != 3
            or x.shape[2] != self.forward_cell.n_x
            or x.shape[2] != self.backward_cell.n_x
        ):
            raise ValueError(
                "BidirectionalRNN expected sequences of shape (N, L, "
                f"{self.forward_cell.n_x}), got {x.shape}"
            )
        N, L = x.shape[:2]
        hf, hb = (
            np.zeros((N, self.forward_cell.n_h)),
            np.zeros((N, self.backward_cell.n_h)),
        )
        fcells, bcells, fstates, bstates = [], [], [], []
        for i in range(L):
            lin = self.forward_cell.linearize(hf, x[:, i], params.forward)
            fcells.append(lin)
            hf = lin.output
            fstates.append(hf)
        for i in range(L - 1, -1, -1):  # the backward chain reads x_L, ..., x_1
            lin = self.backward_cell.linearize(hb, x[:, i], params.backward)
            bcells.append(lin)
            hb = lin.output
            bstates.append(hb)
        ros = [
            self.readout.linearize(np.concatenate([f, b], axis=-1), params.zeta)
            for f, b in zip(fstates, bstates[::-1], strict=True)
        ]
        return fcells, bcells, ros

    def __call__(self, x: Array, params: BiParams) -> Array:
        return np.stack([r.output for r in self._run(x, params)[2]], axis=1)

    def loss_and_gradient(
        self,
        x: Array,
        y: Array,
        params: BiParams,
        loss: Loss,
        mask: Array | None = None,
    ) -> tuple[float, BiParams]:
        """The loss (5.4) and its gradient in the three parameters, by BPTT along both
        chains.

        ``mask`` is as for :func:`~adjnets.recurrent.rnn.sequence_loss` (0s and 1s or
        booleans, shape ``(N, L)``), whose one weighted loss gives both the value and
        the errors that are back-propagated.
        """
        fcells, bcells, ros = self._run(x, params)
        m = binary_mask(
            "mask", mask, np.shape(x)[:2], "BidirectionalRNN.loss_and_gradient"
        )
        value, E = sequence_loss(np.stack([r.output for r in ros], axis=1), y, loss, m)
        L, n_f = len(ros), self.forward_cell.n_h
        c = [r.D.adj(E[:, i]) for i, r in enumerate(ros)]
        eps_f = backpropagate_chain(fcells, [ci[..., :n_f] for ci in c])
        eps_b = backpropagate_chain(bcells, [c[L - 1 - j][..., n_f:] for j in range(L)])
        g_zeta = ros[0].grad.adj(E[:, 0])
        for i in range(1, L):
            g_zeta = tree_map(np.add, g_zeta, ros[i].grad.adj(E[:, i]))
        return value, BiParams(
            chain_parameter_gradient(fcells, eps_f),
            chain_parameter_gradient(bcells, eps_b),
            g_zeta,
        )
