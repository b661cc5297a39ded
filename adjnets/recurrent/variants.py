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

import functools
from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np

from adjnets import validation
from adjnets.calculus.linear import LinearMap
from adjnets.calculus.losses import Loss
from adjnets.calculus.maps import Layer, Linearization, _unvalidated
from adjnets.calculus.spaces import Array, Tree, tree_map
from adjnets.networks.network import Network, NetworkLayer, Params
from adjnets.recurrent.rnn import (
    Cell,
    CellLinearization,
    _chain_backward,
    _chain_gradient,
    _loss,
    _sequence_loss,
    _sequences,
    _sizes,
    _targets,
)
from adjnets.validation import binary_mask


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

    def __post_init__(self) -> None:
        if not isinstance(self.network, Network):
            raise TypeError(
                "NetworkCell expected network to be a Network, got "
                f"{type(self.network).__name__}"
            )
        _sizes("NetworkCell", n_h=self.n_h, n_x=self.n_x)

    def init(self, rng: np.random.Generator) -> Params:
        return self.network.init(validation.generator(rng, "NetworkCell.init"))

    def _joint(self, h: Array, x: Array) -> Array:
        return np.concatenate([h, x], axis=-1)

    def __call__(self, h: Array, x: Array, theta: Params) -> Array:
        layer = NetworkLayer(self.network)
        h_new: Array = _unvalidated(layer, "__call__")(self._joint(h, x), theta)
        return h_new

    def linearize(self, h: Array, x: Array, theta: Params) -> CellLinearization:
        layer = NetworkLayer(self.network)
        lin = _unvalidated(layer, "linearize")(self._joint(h, x), theta)
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

    def __post_init__(self) -> None:
        for name in ("forward_cell", "backward_cell"):
            if not isinstance(getattr(self, name), Cell):
                raise TypeError(
                    f"BidirectionalRNN expected {name} to be a Cell, got "
                    f"{type(getattr(self, name)).__name__}"
                )
        if not isinstance(self.readout, Layer):
            raise TypeError(
                "BidirectionalRNN expected readout to be a Layer, got "
                f"{type(self.readout).__name__}"
            )
        if self.forward_cell.n_x != self.backward_cell.n_x:
            raise ValueError(
                "BidirectionalRNN expected two cells of the same n_x, got "
                f"{self.forward_cell.n_x} and {self.backward_cell.n_x}"
            )
        n = self.forward_cell.n_h + self.backward_cell.n_h
        shape = self.readout.input_shape
        if shape is not None and tuple(shape) != (n,):
            raise ValueError(
                f"BidirectionalRNN expected a readout on states of shape ({n},), got "
                f"one on {tuple(shape)}"
            )

    @functools.cached_property
    def param_shapes(self) -> Any:
        """The shapes of the parameters, a :class:`BiParams` of trees of shapes."""
        return validation.shapes(self.init(np.random.default_rng(0)))

    def init(self, rng: np.random.Generator) -> BiParams:
        """Random parameters of the two cells and of the prediction layer.

        Raises
        ------
        TypeError
            If ``rng`` is neither a Generator nor an integer seed (``None`` included).
        """
        rng = validation.generator(rng, "BidirectionalRNN.init")
        return BiParams(
            self.forward_cell.init(rng),
            self.backward_cell.init(rng),
            self.readout.init(rng),
        )

    def _inputs(self, x: Array, params: BiParams, who: str) -> tuple[Array, BiParams]:
        x = _sequences("x", x, self.forward_cell.n_x, who)
        return x, BiParams(
            *validation.tree_like("params", params, self.param_shapes, who)
        )

    def _run(
        self, x: Array, params: BiParams
    ) -> tuple[list[CellLinearization], list[CellLinearization], list[Linearization]]:
        N, L = x.shape[:2]
        fstep, bstep = (
            self.forward_cell._step_linearize,
            self.backward_cell._step_linearize,
        )
        read = _unvalidated(self.readout, "linearize")
        hf, hb = (
            np.zeros((N, self.forward_cell.n_h)),
            np.zeros((N, self.backward_cell.n_h)),
        )
        fcells, bcells, fstates, bstates = [], [], [], []
        for i in range(L):
            lin = fstep(hf, x[:, i], params.forward)
            fcells.append(lin)
            hf = lin.output
            fstates.append(hf)
        for i in range(L - 1, -1, -1):  # the backward chain reads x_L, ..., x_1
            lin = bstep(hb, x[:, i], params.backward)
            bcells.append(lin)
            hb = lin.output
            bstates.append(hb)
        ros = [
            read(np.concatenate([f, b], axis=-1), params.zeta)
            for f, b in zip(fstates, bstates[::-1], strict=True)
        ]
        return fcells, bcells, ros

    def __call__(self, x: Array, params: BiParams) -> Array:
        """The predictions, shape ``(N, L, n_y)``, of sequences ``x`` of shape
        ``(N, L, n_x)``, :math:`N, L\\ge 1`."""
        x, params = self._inputs(x, params, "BidirectionalRNN.__call__")
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

        Raises
        ------
        ValueError
            For shapes that disagree, a length-0 sequence, a mask entry not 0 or 1, or
            a non-finite input, parameter, or target where the mask is 1.
        """
        who = "BidirectionalRNN.loss_and_gradient"
        x, params = self._inputs(x, params, who)
        _loss(loss, who)
        m = binary_mask("mask", mask, x.shape[:2], who)
        y = _targets(y, x.shape[:2], m, who)
        fcells, bcells, ros = self._run(x, params)
        value, E = _sequence_loss(np.stack([r.output for r in ros], axis=1), y, loss, m)
        L, n_f = len(ros), self.forward_cell.n_h
        c = [r.D.adj(E[:, i]) for i, r in enumerate(ros)]
        eps_f = _chain_backward(fcells, [ci[..., :n_f] for ci in c])
        eps_b = _chain_backward(bcells, [c[L - 1 - j][..., n_f:] for j in range(L)])
        g_zeta = ros[0].grad.adj(E[:, 0])
        for i in range(1, L):
            g_zeta = tree_map(np.add, g_zeta, ros[i].grad.adj(E[:, i]))
        return value, BiParams(
            _chain_gradient(fcells, eps_f),
            _chain_gradient(bcells, eps_b),
            g_zeta,
        )
