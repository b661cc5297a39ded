r"""Recurrent networks (thesis chapter 5): the generic RNN, BPTT and RTRL.

A sequence :math:`\mathbf x = (x_1,\dots,x_L)\in E_x^L` drives a hidden state through
one transition map used at every step, :math:`h_i = f(h_{i-1}; x_i; \theta)`, and one
prediction map :math:`\hat y_i = g(h_i;\zeta)`; the loss is
:math:`\mathcal J = \sum_i J(y_i, \hat y_i)` (equation 5.4). Suppressing the input and
the parameters, :math:`f_i = f(\,\cdot\,; x_i;\theta)`, the head map is
:math:`\alpha_i = f_i\circ\dots\circ f_1` (5.1) and
:math:`\mu_{j,i} = f_j\circ\dots\circ f_i` (5.2).

Arrays: a batch of sequences is ``x`` of shape ``(N, L, n_x)`` (batch first, then time),
targets ``y`` of shape ``(N, L, n_y)``, hidden states ``(N, n_h)``. A ``mask`` of shape
``(N, L)`` marks the steps that carry a target (1) or not (0): shorter sequences and
missing targets simply contribute no loss, as the thesis prescribes (section 5.1.1). The
loss of a batch is the sum over its sequences and steps. A mask holds 0s and 1s (or
booleans); any other entry (0.5, 2, -1, NaN) is refused with a ValueError by every
method that takes one. Every method computes its value and its errors from the one
weighted loss of :func:`sequence_loss`, so the gradient is always the derivative of the
value returned.

A transition *cell* implements :meth:`Cell.linearize`, which returns
:math:`f_i(h_{i-1})`, the state derivative :math:`Df_i(h_{i-1})`, the parameter
derivative :math:`\nabla_\theta f_i(h_{i-1})` (whose adjoint sums over the batch, as a
shared parameter's must) and the per-sequence parameter adjoint needed by RTRL. The
prediction map is any :class:`adjnets.calculus.maps.Layer`.
"""

from __future__ import annotations

import functools
import numbers
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np

from adjnets import validation
from adjnets.calculus.elementwise import Elementwise, tanh
from adjnets.calculus.linear import LinearMap
from adjnets.calculus.losses import Loss, squared
from adjnets.calculus.maps import Layer, Linearization, _unvalidated
from adjnets.calculus.spaces import Array, Tree, sum_outer, tree_map
from adjnets.networks.layers import Dense, DenseParams
from adjnets.pages.thesis import implements
from adjnets.validation import binary_mask


@dataclass(frozen=True)
class CellLinearization:
    r"""A transition map's value and derivatives at :math:`(h_{i-1}, x_i, \theta)`.

    Attributes
    ----------
    output : array (N, n_h)
        :math:`h_i = f_i(h_{i-1})`.
    D : LinearMap
        :math:`Df_i(h_{i-1})`, on batches of hidden states (extra leading axes allowed).
    grad : LinearMap
        :math:`\nabla_\theta f_i(h_{i-1})`; its adjoint sums over the batch.
    grad_adjoint_each : callable
        :math:`w\mapsto\bigl(\nabla^*_\theta f_i(h^{(s)}_{i-1})\cdot w^{(s)}\bigr)_s`,
        one parameter tree per sequence :math:`s` (every leaf gains the leading axes of
        ``w``), not summed: RTRL follows each sequence's own
        :math:`\nabla_\theta\alpha_i`.
    """

    output: Array
    D: LinearMap
    grad: LinearMap
    grad_adjoint_each: Callable[[Array], Tree]


class Cell(ABC):
    r"""A transition map :math:`f(h; x; \theta)` of a recurrent network.

    Like a :class:`~adjnets.calculus.maps.Layer`, a cell checks its arguments at its
    boundary: the ``__call__`` and ``linearize`` a subclass defines are wrapped (when
    the class is created) so that :meth:`validate` runs first, and the unchecked
    originals stay available as ``_step`` and ``_step_linearize`` for the recurrent
    networks, which validate a whole sequence once and then call them at every step.
    """

    n_x: int

    # n_h is read-only: a field of most cells, computed by LSTMCell; declared as a
    # property to the type checker only, since a property here would block the fields
    if TYPE_CHECKING:

        @property
        def n_h(self) -> int: ...

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        for name, raw in (("__call__", "_step"), ("linearize", "_step_linearize")):
            method = cls.__dict__.get(name)
            if method is not None and not getattr(method, "_validated", False):
                setattr(cls, raw, method)
                setattr(cls, name, _validated_cell(method))

    @functools.cached_property
    def param_shapes(self) -> Any:
        """The shapes of the transition parameters, a tree like :meth:`init`'s."""
        return validation.shapes(self.init(np.random.default_rng(0)))

    def validate(self, h: Array, x: Array, theta: Tree) -> tuple[Array, Array, Tree]:
        """``h``, ``x`` and ``theta`` as finite float64 arrays (or a tree of them) of
        the cell's shapes, ``h`` and ``x`` with the same leading axes; a ValueError or
        TypeError naming the cell and the argument otherwise."""
        who = type(self).__name__
        h = validation.batch("h", h, (self.n_h,), who)
        x = validation.batch("x", x, (self.n_x,), who)
        if h.shape[:-1] != x.shape[:-1]:
            raise ValueError(
                f"{who} expected h and x with the same leading axes, got shapes "
                f"{h.shape} and {x.shape}"
            )
        return h, x, validation.tree_like("theta", theta, self.param_shapes, who)

    def _step(self, h: Array, x: Array, theta: Tree) -> Array:
        """:meth:`__call__` without the checks (set for every subclass)."""
        raise NotImplementedError

    def _step_linearize(self, h: Array, x: Array, theta: Tree) -> CellLinearization:
        """:meth:`linearize` without the checks (set for every subclass)."""
        raise NotImplementedError

    @abstractmethod
    def init(self, rng: np.random.Generator) -> Tree:
        """Random transition parameters."""

    @abstractmethod
    def __call__(self, h: Array, x: Array, theta: Tree) -> Array:
        r""":math:`f(h; x; \theta)`."""

    @abstractmethod
    def linearize(self, h: Array, x: Array, theta: Tree) -> CellLinearization:
        """Value and derivatives at one step."""

    def joint_layer(self) -> Layer:
        r"""The cell as one layer of the joint state :math:`(h, x)`, for the
        higher-order loss of an RNN; a cell that has one overrides this."""
        raise NotImplementedError(
            f"{type(self).__name__} is not one layer of (h, x), as the higher-order "
            "loss of an RNN needs"
        )

    def to_joint(self, theta: Tree) -> Tree:
        """The parameters as those of :meth:`joint_layer`."""
        raise NotImplementedError(f"{type(self).__name__} has no joint layer")

    def from_joint(self, g: Tree) -> Tree:
        """Parameters (or a gradient) of :meth:`joint_layer` as the cell's own."""
        raise NotImplementedError(f"{type(self).__name__} has no joint layer")


def _validated_cell(method: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(method)
    def wrapped(self: Cell, h: Array, x: Array, theta: Tree) -> Any:
        return method(self, *self.validate(h, x, theta))

    wrapped._validated = True  # type: ignore[attr-defined]
    return wrapped


def _sizes(who: str, **sizes: object) -> None:
    """Each size a positive integer (TypeError for a float or bool, ValueError below
    1)."""
    for name, value in sizes.items():
        validation.positive_int(name, value, who=who)


class VanillaParams(NamedTuple):
    r"""Transition parameters of the vanilla RNN:
    :math:`(W, U, b)\in\mathbb R^{n_h\times n_h}\times\mathbb R^{n_h\times
    n_x}\times\mathbb R^{n_h}`."""

    W: Array
    U: Array
    b: Array


@dataclass(frozen=True)
class VanillaCell(Cell):
    r"""The vanilla transition :math:`f(h; x; W, U, b) = \Psi(Wh + Ux + b)` (thesis
    equation 5.23).

    With :math:`z = Wh + Ux + b` (Theorem 5.2.1):

    .. math::
        Df(h) = D\Psi(z)\cdot W,\qquad D^*f(h) = W^T\cdot D\Psi(z),

        \nabla^*_W f(h)\cdot v = (\Psi'(z)\odot v)\,h^T,\quad
        \nabla^*_U f(h)\cdot v = (\Psi'(z)\odot v)\,x^T,


        \nabla^*_b f(h)\cdot v = \Psi'(z)\odot v .
    """

    n_h: int
    n_x: int
    activation: Elementwise = tanh

    def __post_init__(self) -> None:
        _sizes("VanillaCell", n_h=self.n_h, n_x=self.n_x)
        if not isinstance(self.activation, Elementwise):
            raise TypeError(
                "VanillaCell expected activation to be an Elementwise map, got "
                f"{type(self.activation).__name__}"
            )

    def init(self, rng: np.random.Generator, gain: float = 1.0) -> VanillaParams:
        """Random parameters: :math:`W` of scale ``gain`` :math:`/\\sqrt{n_h}`,
        :math:`U` of scale :math:`1/\\sqrt{n_x}`, :math:`b = 0`.

        Raises
        ------
        TypeError
            If ``rng`` is neither a Generator nor an integer seed (``None`` included).
        """
        rng = validation.generator(rng, "VanillaCell.init")
        gain = validation.real("gain", gain, "VanillaCell.init")
        W = gain / np.sqrt(self.n_h) * rng.standard_normal((self.n_h, self.n_h))
        U = 1.0 / np.sqrt(self.n_x) * rng.standard_normal((self.n_h, self.n_x))
        return VanillaParams(W, U, np.zeros(self.n_h))

    def __call__(self, h: Array, x: Array, theta: VanillaParams) -> Array:
        W, U, b = theta
        return self.activation(h @ W.T + x @ U.T + b)

    def joint_layer(self) -> Dense:
        r"""The cell as one dense layer of the joint state :math:`(h, x)`:
        :math:`\Psi([W\ U][h; x] + b)`.

        Used by the higher-order loss of the RNN, which needs second derivatives in
        :math:`(h, x)`; :meth:`to_joint` and :meth:`from_joint` map the parameters and
        their gradients (the split of :math:`[W\ U]` is an isometry, so
        :meth:`from_joint` is also the adjoint of :meth:`to_joint`).
        """
        return Dense(self.n_h + self.n_x, self.n_h, self.activation)

    def to_joint(self, theta: VanillaParams) -> DenseParams:
        r"""The parameters :math:`(W, U, b)` as those of :meth:`joint_layer`:
        :math:`([W\ U], b)`."""
        return DenseParams(np.hstack([theta.W, theta.U]), theta.b)

    def from_joint(self, g: DenseParams) -> VanillaParams:
        r"""Split parameters :math:`([W\ U], b)` of :meth:`joint_layer` (or their
        gradient) into :math:`(W, U, b)`."""
        return VanillaParams(g.W[:, : self.n_h], g.W[:, self.n_h :], g.b)

    @implements("Theorem 5.2.1")
    def linearize(self, h: Array, x: Array, theta: VanillaParams) -> CellLinearization:
        W, U, b = theta
        z = h @ W.T + x @ U.T + b
        s = self.activation.derivative(z)

        def grad_apply(u: VanillaParams) -> Array:
            return s * (h @ u.W.T + x @ u.U.T + u.b)

        def grad_adjoint(w: Array) -> VanillaParams:
            a = s * w  # (..., N, n_h): sums over every leading axis
            return VanillaParams(
                sum_outer(a, h), sum_outer(a, x), a.reshape(-1, self.n_h).sum(axis=0)
            )

        def grad_adjoint_each(w: Array) -> VanillaParams:
            a = s * w  # (..., N, n_h)
            return VanillaParams(
                a[..., :, None] * h[:, None, :], a[..., :, None] * x[:, None, :], a
            )

        return CellLinearization(
            output=self.activation.psi(z),
            D=LinearMap(lambda v: s * (v @ W.T), lambda w: (s * w) @ W, "Df_i(h)"),
            grad=LinearMap(grad_apply, grad_adjoint, "∇f_i(h)"),
            grad_adjoint_each=grad_adjoint_each,
        )


def sequence_loss(
    out: Array, y: Array, loss: Loss, mask: Array | None = None
) -> tuple[float, Array]:
    r"""The loss :math:`\mathcal J = \sum_i J(y_i,\hat y_i)` (5.4) of a batch and the
    errors :math:`e_i` (5.9).

    With the mask :math:`m\in\{0, 1\}^{N\times L}` as the weights of the steps' losses,

    .. math::
        \mathcal J = \sum_{s=1}^N\sum_{i=1}^L m_{s,i}\,J(y_{s,i}, \hat y_{s,i}),
        \qquad
        e_{s,i} = m_{s,i}\,\nabla_{\hat y}J(y_{s,i}, \hat y_{s,i})
        = \nabla_{\hat y_{s,i}}\mathcal J ,

    both from the same :math:`m`, so that the errors, and every gradient
    back-propagated from them, are derivatives of the value returned. The computation
    holds for any real weights; the mask is restricted to 0s and 1s by
    :func:`adjnets.validation.binary_mask`.

    Parameters
    ----------
    out, y : arrays (N, L, n_y)
        The predictions and the targets.
    loss : Loss
    mask : array (N, L) of 0s and 1s or of booleans, optional
        Steps where it is 0 carry no target: they add nothing to the loss and their
        error is zero (their target may be NaN). All ones if omitted. Any other entry
        is a ValueError.

    Raises
    ------
    ValueError
        For shapes that disagree, a mask entry not 0 or 1, or a non-finite output or
        target where the mask is 1.
    TypeError
        For a non-real array or a ``loss`` that is not a
        :class:`~adjnets.calculus.losses.Loss`.
    """
    who = "sequence_loss"
    _loss(loss, who)
    out = validation.batch("out", out, None, who)
    if out.ndim != 3:
        raise ValueError(f"{who} expected out of shape (N, L, n_y), got {out.shape}")
    m = binary_mask("mask", mask, out.shape[:2], who)
    y = _targets(y, out.shape[:2], m, who)
    loss.check(out, y)
    return _sequence_loss(out, y, loss, m)


def _loss(loss: object, who: str) -> None:
    if not isinstance(loss, Loss):
        raise TypeError(
            f"{who} expected loss to be a Loss (such as squared), got "
            f"{type(loss).__name__}"
        )


def _targets(y: object, NL: tuple[int, ...], m: Array, who: str) -> Array:
    """``y`` as a float64 array of shape ``(*NL, n_y)``, finite where the mask ``m``
    (of shape ``NL``) is 1: a masked-out target is never read and may be NaN."""
    a = validation.as_float_array("y", y, who, finite=False)
    if a.ndim != len(NL) + 1 or a.shape[: len(NL)] != tuple(NL):
        want = ", ".join(str(n) for n in NL)
        raise ValueError(f"{who} expected y of shape ({want}, n_y), got {a.shape}")
    validation.all_finite(
        "y where the mask is 1", np.where(m[..., None] != 0, a, 0.0), who
    )
    return a


def _sequence_loss(out: Array, y: Array, loss: Loss, m: Array) -> tuple[float, Array]:
    """:func:`sequence_loss` on arguments already checked, ``m`` the mask array."""
    loss.check(out, y)
    keep = m != 0  # steps of weight 0 are left out, so their targets may be NaN
    if keep.all():  # no step left out: m J = J and m e = e
        return loss._value(out, y), loss._error(out, y)
    y_eff = np.where(keep[..., None], y, 0.0)
    value = 0.0
    for w in np.unique(m[keep]):  # sum of m J: one term per weight, for a mask only 1
        value += float(w) * loss._value(out[m == w], y_eff[m == w])
    return value, m[..., None] * loss._error(out, y_eff)


@dataclass(frozen=True)
class RNNForward:
    r"""Forward propagation through a batch of sequences.

    Attributes
    ----------
    states : list of arrays (N, n_h)
        :math:`h_0, h_1, \dots, h_L`.
    cells : list of CellLinearization
        ``cells[i - 1]`` is :math:`f_i` linearized at :math:`h_{i-1}`.
    readouts : list of Linearization
        ``readouts[i - 1]`` is :math:`g` linearized at :math:`h_i`; its output is
        :math:`\hat y_i`.
    """

    states: list[Array]
    cells: list[CellLinearization]
    readouts: list[Linearization]

    @property
    def outputs(self) -> Array:
        r"""The predictions :math:`\hat y_1,\dots,\hat y_L`, shape ``(N, L, n_y)``."""
        return np.stack([r.output for r in self.readouts], axis=1)


class RNNParams(NamedTuple):
    r"""The parameters of a recurrent network: transition :math:`\theta` and prediction
    :math:`\zeta`."""

    theta: Tree
    zeta: Tree


@dataclass(frozen=True)
class RNN:
    r"""A recurrent network: a transition cell :math:`f` and a prediction layer
    :math:`g` (thesis 5.1).

    Parameters
    ----------
    cell : Cell
        The transition :math:`f(h; x;\theta)`.
    readout : Layer
        The prediction :math:`g(h;\zeta)`, e.g. ``Dense(n_h, n_y)`` for
        :math:`g(h) = Vh + c` (equation 5.24).
    """

    cell: Cell
    readout: Layer

    def __post_init__(self) -> None:
        who = type(self).__name__
        if not isinstance(self.cell, Cell):
            raise TypeError(
                f"{who} expected cell to be a Cell, got {type(self.cell).__name__}"
            )
        if not isinstance(self.readout, Layer):
            raise TypeError(
                f"{who} expected readout to be a Layer, got "
                f"{type(self.readout).__name__}"
            )
        shape = self.readout.input_shape
        if shape is not None and tuple(shape) != (self.cell.n_h,):
            raise ValueError(
                f"{who} expected a readout on states of shape ({self.cell.n_h},), got "
                f"one on {tuple(shape)}"
            )

    def init(self, rng: np.random.Generator) -> RNNParams:
        """Random parameters of the cell and of the prediction layer.

        Raises
        ------
        TypeError
            If ``rng`` is neither a Generator nor an integer seed (``None`` included).
        """
        rng = validation.generator(rng, f"{type(self).__name__}.init")
        return RNNParams(self.cell.init(rng), self.readout.init(rng))

    @functools.cached_property
    def param_shapes(self) -> Any:
        """The shapes of the parameters, an :class:`RNNParams` of trees of shapes."""
        return validation.shapes(self.init(np.random.default_rng(0)))

    def _who(self, method: str) -> str:
        return f"{type(self).__name__}.{method}"

    def _inputs(
        self, x: Array, params: RNNParams, h0: Array | None, method: str
    ) -> tuple[Array, RNNParams, Array]:
        """The sequences ``x`` (N, L >= 1, n_x), the parameters and the initial state
        (zeros if ``h0`` is None), checked once for a whole pass."""
        who = self._who(method)
        x = _sequences("x", x, self.cell.n_x, who)
        params = RNNParams(
            *validation.tree_like("params", params, self.param_shapes, who)
        )
        return x, params, _initial_state(h0, x.shape[0], self.cell.n_h, who)

    def _mask(self, mask: Array | None, x: Array | RNNForward, method: str) -> Array:
        """``mask`` checked by :func:`adjnets.validation.binary_mask` for the sequences
        ``x`` (or those of a forward pass)."""
        shape = (
            (x.states[0].shape[0], len(x.cells))
            if isinstance(x, RNNForward)
            else np.shape(x)[:2]
        )
        return binary_mask("mask", mask, shape, self._who(method))

    def _loss_inputs(
        self,
        x: Array,
        y: Array,
        params: RNNParams,
        loss: Loss,
        mask: Array | None,
        h0: Array | None,
        method: str,
    ) -> tuple[Array, Array, RNNParams, Array, Array]:
        """:meth:`_inputs`, and the loss, the mask and the targets (finite where the
        mask is 1)."""
        x, params, h = self._inputs(x, params, h0, method)
        _loss(loss, self._who(method))
        m = self._mask(mask, x, method)
        return x, _targets(y, x.shape[:2], m, self._who(method)), params, h, m

    def forward(
        self, x: Array, params: RNNParams, h0: Array | None = None
    ) -> RNNForward:
        r"""Forward propagation :math:`h_i = f_i(h_{i-1})`, :math:`\hat y_i = g(h_i)`
        (equation 5.3).

        Raises
        ------
        ValueError
            Unless ``x`` has shape ``(N, L, n_x)`` with :math:`N, L\ge 1`, ``h0`` shape
            ``(N, n_h)`` and ``params`` the shapes of :meth:`init`'s, all finite.
        """
        x, params, h = self._inputs(x, params, h0, "forward")
        return self._forward(x, params, h)

    def _forward(self, x: Array, params: RNNParams, h: Array) -> RNNForward:
        step, read = self.cell._step_linearize, _unvalidated(self.readout, "linearize")
        states, cells, readouts = [h], [], []
        for i in range(x.shape[1]):
            lin = step(states[-1], x[:, i], params.theta)
            cells.append(lin)
            states.append(lin.output)
            readouts.append(read(lin.output, params.zeta))
        return RNNForward(states, cells, readouts)

    def __call__(self, x: Array, params: RNNParams, h0: Array | None = None) -> Array:
        """The predictions, shape ``(N, L, n_y)``; arguments as for :meth:`forward`."""
        x, params, h = self._inputs(x, params, h0, "__call__")
        read = _unvalidated(self.readout, "__call__")
        out = []
        for i in range(x.shape[1]):
            h = self.cell._step(h, x[:, i], params.theta)
            out.append(read(h, params.zeta))
        return np.stack(out, axis=1)

    def errors(
        self, fwd: RNNForward, y: Array, loss: Loss, mask: Array | None = None
    ) -> tuple[float, list[Array]]:
        r"""The loss (5.4) and the prediction errors :math:`e_i` (5.9), zero where
        ``mask`` is 0: both from :func:`sequence_loss`'s one weighted loss."""
        who = self._who("errors")
        _forward_pass(fwd, who)
        _loss(loss, who)
        m = self._mask(mask, fwd, "errors")
        return self._errors(fwd, _targets(y, m.shape, m, who), loss, m)

    def _errors(
        self, fwd: RNNForward, y: Array, loss: Loss, m: Array
    ) -> tuple[float, list[Array]]:
        value, E = _sequence_loss(fwd.outputs, y, loss, m)
        return value, [E[:, i] for i in range(E.shape[1])]

    @implements("Theorem 5.1.1")
    def readout_gradient(self, fwd: RNNForward, errs: list[Array]) -> Tree:
        r""":math:`\nabla_\zeta\mathcal J = \sum_i \nabla^*_\zeta g(h_i)\cdot e_i`
        (Theorem 5.1.1, equation 5.7)."""
        return self._readout_gradient(
            fwd, _errors_of(fwd, errs, self._who("readout_gradient"))
        )

    def _readout_gradient(self, fwd: RNNForward, errs: list[Array]) -> Tree:
        parts = [r.grad.adj(e) for r, e in zip(fwd.readouts, errs, strict=True)]
        total = parts[0]
        for p in parts[1:]:
            total = tree_map(np.add, total, p)
        return total

    @implements("Theorem 5.1.5")
    def backpropagate_through_time(
        self, fwd: RNNForward, errs: list[Array]
    ) -> list[Array]:
        r"""The errors :math:`\varepsilon_i = D_{h_i}\mathcal J` (Theorem 5.1.5).

        :math:`\varepsilon_{L+1} = 0` and
        :math:`\varepsilon_i = D^*f_{i+1}(h_i)\cdot\varepsilon_{i+1}
        + D^*g(h_i)\cdot e_i`.
        Returns :math:`[\varepsilon_1, \dots, \varepsilon_L]`.
        """
        errs = _errors_of(fwd, errs, self._who("backpropagate_through_time"))
        return self._backpropagate(fwd, errs)

    def _backpropagate(self, fwd: RNNForward, errs: list[Array]) -> list[Array]:
        injected = [r.D.adj(e) for r, e in zip(fwd.readouts, errs, strict=True)]
        return _chain_backward(fwd.cells, injected)

    @implements("Theorem 5.1.7", "Algorithm 5.1.2")
    def loss_and_gradient_bptt(
        self,
        x: Array,
        y: Array,
        params: RNNParams,
        loss: Loss,
        mask: Array | None = None,
        h0: Array | None = None,
    ) -> tuple[float, RNNParams]:
        r"""The loss and its gradient by backpropagation through time (Theorem 5.1.7,
        Algorithm 5.1.2).

        :math:`\nabla_\theta\mathcal J
        = \sum_i\nabla^*_\theta f_i(h_{i-1})\cdot\varepsilon_i`
        (5.22), with :math:`\varepsilon_i` from :meth:`backpropagate_through_time`.
        """
        x, y, params, h, m = self._loss_inputs(
            x, y, params, loss, mask, h0, "loss_and_gradient_bptt"
        )
        fwd = self._forward(x, params, h)
        value, errs = self._errors(fwd, y, loss, m)
        eps = self._backpropagate(fwd, errs)
        return value, RNNParams(
            _chain_gradient(fwd.cells, eps), self._readout_gradient(fwd, errs)
        )

    @implements("Lemma 5.1.2", "Theorem 5.1.3", "Algorithm 5.1.1")
    def loss_and_gradient_rtrl(
        self,
        x: Array,
        y: Array,
        params: RNNParams,
        loss: Loss,
        mask: Array | None = None,
        h0: Array | None = None,
    ) -> tuple[float, RNNParams]:
        r"""The loss and its gradient by real-time recurrent learning (Theorem 5.1.3,
        Algorithm 5.1.1).

        RTRL carries the linear map
        :math:`\nabla^*_\theta\alpha_i(h)\in\mathcal L(E_h; H_T)` forward (Lemma 5.1.2),

        .. math::

            \nabla^*_\theta\alpha_i(h)
            = \nabla^*_\theta\alpha_{i-1}(h)\cdot D^*f_i(h_{i-1})
            + \nabla^*_\theta f_i(h_{i-1}),

        held, for each sequence, as its values
        :math:`A_{i,j} = \nabla^*_\theta\alpha_i(h)\cdot\bar e_j` on the basis
        :math:`\{\bar e_j\}` of :math:`E_h` (equation 5.42): an array with axes
        (sequence, :math:`j`, parameter). Each step adds
        :math:`\nabla_\theta J(y_i,\hat y_i)
        = \nabla^*_\theta\alpha_i(h)\cdot D^*g(h_i)\cdot e_i`
        (5.12), so the gradient is complete when the sequence ends, with no backward
        pass; the price is the :math:`n_h\times\dim H_T` numbers per sequence carried
        forward.
        """
        x, y, params, h, m = self._loss_inputs(
            x, y, params, loss, mask, h0, "loss_and_gradient_rtrl"
        )
        state, value, total = RTRLState(h, None), 0.0, None
        for i in range(x.shape[1]):
            v, g, state = _rtrl_step(
                self, params, state, x[:, i], y[:, i], loss, m[:, i]
            )
            value += v
            total = g if total is None else tree_map(np.add, total, g)
        assert total is not None  # x has at least one step
        return value, total

    def tangent_loss_and_gradient(
        self,
        x: Array,
        y: Array,
        v: Array,
        beta: Array,
        params: RNNParams,
        mu: float,
        loss: Loss,
        mask: Array | None = None,
    ) -> tuple[float, RNNParams]:
        r"""The higher-order (tangent) loss of thesis section 3.3 for a recurrent
        network, and its gradient.

        The thesis names this as its first future work (chapter 6). With tangent
        sequences :math:`\mathbf v_k = (v_{k,1},\dots,v_{k,L})` of the input and targets
        :math:`\beta_{k,i}`,

        .. math::
            \mathcal J_H = \mathcal J + \mu R,\qquad
            R = \frac1{2K}\sum_k\sum_{s,i}m_{s,i}\bigl\lVert D_{\mathbf x}\hat
            y_{s,i}\cdot\mathbf v_k - \beta_{k,s,i}\bigr\rVert^2 ,

        with the mask :math:`m` of :math:`\mathcal J` (:func:`sequence_loss`): a step
        without a target has no tangent target either. :math:`R` is the weighted squared
        loss of :func:`sequence_loss` on the :math:`K` tangent sequences, so its value
        and its errors come from the same :math:`m`.

        Forward, the tangent of the state obeys :math:`t_0 = 0`,
        :math:`t_i = Df_i\cdot(t_{i-1}, v_i)` (the cell's derivative in its joint
        argument :math:`(h_{i-1}, x_i)`), and :math:`\tau_i = Dg(h_i)\cdot t_i`. The
        pair :math:`(h_i, t_i)` is the state of an RNN in its own right, so
        back-propagating through it gives the gradient. With :math:`e_i` the prediction
        errors and :math:`r_i = \mu\,m_i(\tau_i - \beta_i)/K`, the adjoint states are
        :math:`b_{L+1} = a_{L+1} = 0` and

        .. math::
            b_i &= D^*g(h_i)\,r_i + \bigl[D^*f_{i+1}\,b_{i+1}\bigr]_h,\\
            a_i &= D^*g(h_i)\,e_i + (t_i\lrcorner D^2g(h_i))^*r_i
                  + \bigl[D^*f_{i+1}\,a_{i+1}
                  + ((t_i, v_{i+1})\lrcorner D^2f_{i+1})^*b_{i+1}\bigr]_h,

        where :math:`[\cdot]_h` keeps the hidden-state part of a joint cotangent, and

        .. math::
            \nabla_\theta\mathcal J_H
            = \sum_i \nabla^*_\theta f_i\,a_i
            + ((t_{i-1}, v_i)\lrcorner D\nabla_\theta f_i)^*b_i,

            \nabla_\zeta\mathcal J_H
            = \sum_i \nabla^*_\zeta g\,e_i + (t_i\lrcorner D\nabla_\zeta g)^*r_i ,

        which are Theorems 3.3.3 and 3.3.4 applied step by step, each step now receiving
        a loss. The cell must provide ``joint_layer``, ``to_joint`` and ``from_joint``
        (as :class:`VanillaCell` does); ``v`` has shape ``(K, N, L, n_x)`` and ``beta``
        ``(K, N, L, n_y)``.
        """
        method = "tangent_loss_and_gradient"
        who = self._who(method)
        x, y, params, h, m = self._loss_inputs(x, y, params, loss, mask, None, method)
        v = validation.batch("v", v, x.shape, who, leading=1)
        beta = validation.as_float_array("beta", beta, who, finite=False)
        mu = validation.nonnegative("mu", mu, who)
        K, N, L = v.shape[0], x.shape[0], x.shape[1]
        layer, th = self.cell.joint_layer(), self.cell.to_joint(params.theta)
        n_h = self.cell.n_h
        lins, ros, ts = [], [], []
        t = np.zeros((K, N, n_h))
        step, read = (
            _unvalidated(layer, "linearize"),
            _unvalidated(self.readout, "linearize"),
        )
        for i in range(L):
            lin = step(np.concatenate([h, x[:, i]], axis=-1), th)
            t = lin.D(np.concatenate([t, v[:, :, i]], axis=-1))
            h = lin.output
            ro = read(h, params.zeta)
            lins.append(lin)
            ros.append(ro)
            ts.append(t)
        # (K, N, L, n_y)
        tau = np.stack([ro.D(t) for ro, t in zip(ros, ts, strict=True)], axis=2)
        if beta.shape != tau.shape:
            raise ValueError(
                f"tangent_loss_and_gradient expected beta of shape {tau.shape}, got "
                f"{beta.shape}"
            )
        # a tangent target where the mask is 0 is never read, so it may be NaN
        validation.all_finite(
            "beta where the mask is 1", np.where(m[..., None] != 0, beta, 0.0), who
        )
        value, errs = self._errors(RNNForward([], [], ros), y, loss, m)
        # R and its errors r_i from one weighted squared loss, with the same mask
        R, r = _sequence_loss(
            tau.reshape(K * N, L, -1),
            beta.reshape(K * N, L, -1),
            squared,
            np.broadcast_to(m, (K, N, L)).reshape(K * N, L),
        )
        value += mu * R / K
        r = (mu / K) * r.reshape(tau.shape)
        g_th = tree_map(np.zeros_like, th)
        g_ze = tree_map(np.zeros_like, params.zeta)
        a = b = None
        for i in range(L - 1, -1, -1):
            ro, t_i, r_i = ros[i], ts[i], r[:, :, i]
            b_new = ro.D.adj(r_i)
            a_new = ro.D.adj(errs[i]) + ro.D2.left_hook(t_i).adj(r_i).sum(axis=0)
            # the cell of step i+1 sees (h_i, x_{i+1}) with tangent (t_i, v_{i+1})
            if a is not None:
                nxt, w_next = (
                    lins[i + 1],
                    np.concatenate([t_i, v[:, :, i + 1]], axis=-1),
                )
                b_new = b_new + nxt.D.adj(b)[..., :n_h]
                a_new = (
                    a_new
                    + nxt.D.adj(a)[..., :n_h]
                    + nxt.D2.left_hook(w_next).adj(b)[..., :n_h].sum(axis=0)
                )
            a, b = a_new, b_new
            t_prev = ts[i - 1] if i > 0 else np.zeros_like(t_i)
            w_i = np.concatenate([t_prev, v[:, :, i]], axis=-1)
            g_th = tree_map(np.add, g_th, lins[i].tangent_grad_adjoint(w_i, a, b))
            g_ze = tree_map(np.add, g_ze, ro.tangent_grad_adjoint(t_i, errs[i], r_i))
        return value, RNNParams(self.cell.from_joint(g_th), g_ze)

    def truncated_bptt(
        self,
        x: Array,
        y: Array,
        params: RNNParams,
        loss: Loss,
        every: int,
        back: int,
        mask: Array | None = None,
        h0: Array | None = None,
    ) -> tuple[float, RNNParams]:
        r"""Truncated BPTT: every ``every`` steps, back-propagate for ``back`` steps
        only (thesis 5.1.4).

        At each step :math:`t = \ell, 2\ell, \dots` (and at :math:`L`) the errors of the
        steps since the previous such :math:`t` are sent back through at most :math:`m`
        steps, starting from :math:`\varepsilon = 0`; the transition gradient collects
        :math:`\nabla^*_\theta f_i(h_{i-1})\cdot\varepsilon_i` over those steps. The
        prediction gradient is exact. With :math:`\ell = m = L` this is
        :meth:`loss_and_gradient_bptt`; in general the dependence of a loss on states
        more than :math:`m` steps back is dropped, which biases the gradient (and keeps
        exploding products bounded). With :math:`m<\ell` the losses of the first
        :math:`\ell - m` steps of each window reach no transition at all: only their
        prediction gradient counts.
        """
        who = self._who("truncated_bptt")
        every = validation.positive_int("every", every, who=who)
        back = validation.positive_int("back", back, who=who)
        x, y, params, h, m = self._loss_inputs(
            x, y, params, loss, mask, h0, "truncated_bptt"
        )
        fwd = self._forward(x, params, h)
        value, errs = self._errors(fwd, y, loss, m)
        L = len(fwd.cells)
        g_theta = tree_map(np.zeros_like, params.theta)
        ends = sorted(set(range(every, L + 1, every)) | {L})
        start = 0
        for t in ends:  # losses of steps start+1..t, sent back to max(t - back + 1, 1)
            eps = np.zeros_like(fwd.states[0])
            for i in range(t, max(t - back, 0), -1):
                if i < t:
                    eps = fwd.cells[i].D.adj(eps)
                if i > start:
                    eps = eps + fwd.readouts[i - 1].D.adj(errs[i - 1])
                g_theta = tree_map(np.add, g_theta, fwd.cells[i - 1].grad.adj(eps))
            start = t
        return value, RNNParams(g_theta, self._readout_gradient(fwd, errs))


def _sequences(name: str, x: object, n_x: int, who: str) -> Array:
    """``x`` as finite float64 sequences of shape ``(N, L, n_x)``, ``N, L >= 1``: a
    sequence of no steps has no loss and no gradient, so it is refused."""
    a = validation.as_float_array(name, x, who)
    if a.ndim != 3 or a.shape[2] != n_x or a.shape[0] == 0 or a.shape[1] == 0:
        raise ValueError(
            f"{who} expected {name} of shape (N, L, {n_x}) with at least one sequence "
            f"(N >= 1) and at least one step (L >= 1), got shape {a.shape}"
        )
    return a


def _initial_state(h0: object, N: int, n_h: int, who: str) -> Array:
    """Zeros of shape ``(N, n_h)`` for ``None``, else ``h0`` checked to that shape."""
    if h0 is None:
        return np.zeros((N, n_h))
    h = validation.batch("h0", h0, (n_h,), who, leading=1)
    if h.shape[0] != N:
        raise ValueError(f"{who} expected h0 of shape ({N}, {n_h}), got {h.shape}")
    return h.copy() if h is h0 else h  # a forward pass's states[0] is no view of h0


def _network(rnn: object, who: str) -> None:
    if not isinstance(rnn, RNN):
        raise TypeError(f"{who} expected rnn to be an RNN, got {type(rnn).__name__}")


def _forward_pass(fwd: object, who: str) -> None:
    if not isinstance(fwd, RNNForward):
        raise TypeError(
            f"{who} expected fwd to be an RNNForward (from RNN.forward), got "
            f"{type(fwd).__name__}"
        )


def _errors_of(fwd: RNNForward, errs: object, who: str) -> list[Array]:
    """The errors ``errs`` checked against a forward pass: one finite array of the
    shape of each prediction."""
    _forward_pass(fwd, who)
    if not isinstance(errs, list | tuple) or len(errs) != len(fwd.readouts):
        raise ValueError(
            f"{who} expected errs as a list of {len(fwd.readouts)} arrays (one per "
            f"step), got {validation.describe(errs)}"
        )
    return [
        validation.batch(f"errs[{i}]", e, np.shape(r.output), who, leading=0)
        for i, (e, r) in enumerate(zip(errs, fwd.readouts, strict=True))
    ]


def _cells_of(cells: object, who: str) -> list[CellLinearization]:
    if (
        not isinstance(cells, list | tuple)
        or not cells
        or not all(isinstance(c, CellLinearization) for c in cells)
    ):
        raise ValueError(
            f"{who} expected cells as a non-empty list of CellLinearization, got "
            f"{validation.describe(cells)}"
        )
    return list(cells)


class RTRLState(NamedTuple):
    r"""What real-time recurrent learning carries from step to step.

    Attributes
    ----------
    h : array (N, n_h)
        The current hidden state :math:`h_i` of each stream.
    A : tree or None
        :math:`\nabla^*_\theta\alpha_i(h)` of each stream, held as its values
        :math:`A_{i,j} = \nabla^*_\theta\alpha_i(h)\cdot\bar e_j` on the basis of
        :math:`E_h` (equation 5.42): every leaf of the transition parameters gains the
        leading axes ``(N, n_h)``. ``None`` stands for the zero map
        :math:`\nabla^*_\theta\alpha_0(h)`.
    """

    h: Array
    A: Tree | None


def rtrl_start(rnn: RNN, n_streams: int, h0: Array | None = None) -> RTRLState:
    r"""The state of RTRL before the first step: :math:`h_0` and
    :math:`\nabla^*_\theta\alpha_0 = 0`.

    Raises
    ------
    TypeError
        If ``rnn`` is not an :class:`RNN` or ``n_streams`` not an integer.
    ValueError
        If ``n_streams < 1`` or ``h0`` is not a finite ``(n_streams, n_h)`` array.
    """
    who = "rtrl_start"
    _network(rnn, who)
    n_streams = validation.positive_int("n_streams", n_streams, who=who)
    h = _initial_state(h0, n_streams, rnn.cell.n_h, who)
    return RTRLState(h, None)


def rtrl_step(
    rnn: RNN,
    params: RNNParams,
    state: RTRLState,
    x_i: Array,
    y_i: Array,
    loss: Loss,
    mask_i: Array | None = None,
) -> tuple[float, RNNParams, RTRLState]:
    r"""One step of RTRL: the loss of step :math:`i`, its gradient, and the carried
    state.

    With :math:`h_i = f_i(h_{i-1})`, the carried map is updated by Lemma 5.1.2,

    .. math::
        A_{i,j} = \sum_k\langle\bar e_k, D^*f_i(h_{i-1})\cdot\bar e_j\rangle A_{i-1,k}
                  + \nabla^*_\theta f_i(h_{i-1})\cdot\bar e_j \qquad (5.42),

    and the gradient of this step's loss is, by Theorems 5.1.3 and 5.1.1,

    .. math::
        \nabla_\theta J(y_i,\hat y_i)
        = \sum_j\langle\bar e_j, D^*g(h_i)\cdot e_i\rangle A_{i,j},
        \qquad \nabla_\zeta J(y_i,\hat y_i) = \nabla^*_\zeta g(h_i)\cdot e_i .

    Summed over :math:`i = 1,\dots,L` with fixed parameters, these are
    :meth:`~adjnets.recurrent.rnn.RNN.loss_and_gradient_rtrl`'s gradient. The parameters
    may change between calls (online learning); :math:`A` then mixes derivatives taken
    at different parameters and is only an approximation of
    :math:`\nabla^*_\theta\alpha_i`, as in Williams and Zipser's real-time learning.

    Parameters
    ----------
    x_i : array (N, n_x)
    y_i : array (N, n_y)
    mask_i : array (N,), optional
        1 where the step has a target, 0 where it has none (booleans allowed; any
        other entry is a ValueError). The value and the gradient are those of
        :func:`sequence_loss` with this mask.

    Raises
    ------
    ValueError
        For shapes that disagree with ``rnn`` and ``state``, a mask entry not 0 or 1,
        or a non-finite input, state, parameter, or target where the mask is 1.
    TypeError
        For arguments of the wrong kind (``state`` not an :class:`RTRLState`, ...).
    """
    who = "rtrl_step"
    _network(rnn, who)
    _loss(loss, who)
    params = RNNParams(*validation.tree_like("params", params, rnn.param_shapes, who))
    if not isinstance(state, RTRLState):
        raise TypeError(
            f"{who} expected state to be an RTRLState, got {type(state).__name__}"
        )
    h = validation.batch("state.h", state.h, (rnn.cell.n_h,), who, leading=1)
    N = h.shape[0]
    x_i = validation.batch("x_i", x_i, (rnn.cell.n_x,), who, leading=1)
    if x_i.shape[0] != N:
        raise ValueError(
            f"{who} expected x_i of shape ({N}, {rnn.cell.n_x}), got {x_i.shape}"
        )
    m = binary_mask("mask_i", mask_i, (N,), who)
    y_i = _targets(y_i, (N,), m, who)
    return _rtrl_step(rnn, params, RTRLState(h, state.A), x_i, y_i, loss, m)


def _rtrl_step(
    rnn: RNN,
    params: RNNParams,
    state: RTRLState,
    x_i: Array,
    y_i: Array,
    loss: Loss,
    m: Array,
) -> tuple[float, RNNParams, RTRLState]:
    """:func:`rtrl_step` on checked arguments, ``m`` the mask array."""
    n_h = rnn.cell.n_h
    h = state.h
    N = h.shape[0]
    lin = rnn.cell._step_linearize(h, x_i, params.theta)
    basis = np.broadcast_to(np.eye(n_h)[:, None, :], (n_h, N, n_h))  # basis[j, s] = e_j
    # (N, n_h, ...)
    own = tree_map(lambda a: np.moveaxis(a, 0, 1), lin.grad_adjoint_each(basis))
    if state.A is None:
        A = own
    else:
        M = lin.D.adj(basis)  # M[j, s, k] = <e_k, D*f_i(h_{i-1}) e_j>
        coeff = np.moveaxis(M, 0, 1)  # (N, j, k)

        def update(prev: Array, o: Array) -> Array:
            flat = prev.reshape(N, n_h, -1)
            updated: Array = (coeff @ flat).reshape(prev.shape) + o
            return updated

        A = tree_map(update, state.A, own)
    h_new = lin.output
    r = _unvalidated(rnn.readout, "linearize")(h_new, params.zeta)
    value, E = _sequence_loss(r.output[:, None], y_i[:, None], loss, m[:, None])
    e = E[:, 0]
    c = r.D.adj(e)  # D*g(h_i) e_i, (N, n_h)
    g_theta = tree_map(lambda a: _pair_rows(c, a), A)
    return value, RNNParams(g_theta, r.grad.adj(e)), RTRLState(h_new, A)


def backpropagate_chain(
    cells: list[CellLinearization], injected: list[Array]
) -> list[Array]:
    r"""Back-propagation along a chain of transitions with cotangents injected at every
    state.

    :math:`\varepsilon_L = c_L` and
    :math:`\varepsilon_i = D^*f_{i+1}(h_i)\cdot\varepsilon_{i+1} + c_i`: the recursion
    of Theorem 5.1.5 with :math:`c_i = D^*g(h_i)\cdot e_i`, shared by every recurrent
    network here (a bidirectional network runs it once per direction).

    Raises
    ------
    ValueError
        Unless there are as many cotangents as cells (at least one), each finite and of
        the shape of its cell's output.
    """
    who = "backpropagate_chain"
    cells = _cells_of(cells, who)
    return _chain_backward(cells, _per_cell("injected", injected, cells, who))


def _per_cell(
    name: str, values: object, cells: list[CellLinearization], who: str
) -> list[Array]:
    """``values``: one finite array per cell, of the shape of that cell's output."""
    if not isinstance(values, list | tuple) or len(values) != len(cells):
        raise ValueError(
            f"{who} expected {name} as a list of {len(cells)} arrays (one per cell), "
            f"got {validation.describe(values)}"
        )
    return [
        validation.batch(f"{name}[{i}]", v, cell.output.shape, who, leading=0)
        for i, (v, cell) in enumerate(zip(values, cells, strict=True))
    ]


def _chain_backward(
    cells: list[CellLinearization], injected: list[Array]
) -> list[Array]:
    eps = [injected[-1]]
    for i in range(len(cells) - 1, 0, -1):  # thesis step i = L-1, ..., 1
        eps.append(cells[i].D.adj(eps[-1]) + injected[i - 1])
    return eps[::-1]


def chain_parameter_gradient(cells: list[CellLinearization], eps: list[Array]) -> Tree:
    r""":math:`\sum_i\nabla^*_\theta f_i(h_{i-1})\cdot\varepsilon_i` (equation 5.22).

    Raises
    ------
    ValueError
        Unless there are as many errors as cells (at least one), each finite and of the
        shape of its cell's output.
    """
    who = "chain_parameter_gradient"
    cells = _cells_of(cells, who)
    return _chain_gradient(cells, _per_cell("eps", eps, cells, who))


def _chain_gradient(cells: list[CellLinearization], eps: list[Array]) -> Tree:
    total = cells[0].grad.adj(eps[0])
    for c, e in zip(cells[1:], eps[1:], strict=True):
        total = tree_map(np.add, total, c.grad.adj(e))
    return total


def _chain_indices(fwd: RNNForward, who: str, *pairs: tuple[str, object, int]) -> None:
    """TypeError unless each ``(name, value, minimum)`` is an integer, ValueError
    unless it is in ``[minimum, L]``, ``L`` the length of the forward pass."""
    _forward_pass(fwd, who)
    L = len(fwd.cells)
    for name, value, minimum in pairs:
        want = f"{who} expected {name} to be an integer in [{minimum}, {L}], got"
        if isinstance(value, bool | np.bool_) or not isinstance(
            value, numbers.Integral
        ):
            raise TypeError(f"{want} {validation.describe(value)}")
        if not minimum <= int(value) <= L:
            raise ValueError(f"{want} {value!r}")


@implements("Lemma 5.1.4")
def transition_derivative(fwd: RNNForward, j: int, i: int) -> LinearMap:
    r""":math:`D\mu_{j,i+1}(h_i) = Df_j(h_{j-1})\cdots Df_{i+1}(h_i)` (Lemma 5.1.4); the
    identity if :math:`j < i+1`.

    The recursion :math:`D\mu_{j,i+1}(h_i) = D\mu_{j,i+2}(h_{i+1})\cdot Df_{i+1}(h_i)`
    (5.13), unrolled, is the product of the step derivatives stored by
    :meth:`RNN.forward`. It is applied as a loop, not built as nested compositions
    (which would nest one call per step and exceed Python's recursion limit on long
    sequences): :math:`v\mapsto Df_{i+1}` first, then :math:`Df_{i+2}`, ..., then
    :math:`Df_j`; the adjoint
    :math:`D^*\mu_{j,i+1}(h_i) = D^*f_{i+1}(h_i)\cdots D^*f_j(h_{j-1})` loops in
    reverse, from :math:`D^*f_j` to :math:`D^*f_{i+1}`. Either costs :math:`j - i`
    step applications.

    Parameters
    ----------
    fwd : RNNForward
        A forward pass of :math:`L` steps.
    j, i : int
        :math:`0\le i\le L` and :math:`0\le j\le L`.
    """
    _chain_indices(fwd, "transition_derivative", ("j", j, 0), ("i", i, 0))
    steps = [cell.D for cell in fwd.cells[i:j]]  # Df_{i+1}, ..., Df_j

    def apply(v: Tree) -> Tree:
        for D in steps:
            v = D.apply(v)
        return v

    def adjoint(w: Tree) -> Tree:
        for D in reversed(steps):
            w = D.adjoint_apply(w)
        return w

    return LinearMap(apply, adjoint, f"Dμ_{j},{i + 1}(h_{i})" if steps else "id")


@implements("Lemma 5.1.6")
def head_parameter_derivative(fwd: RNNForward, k: int) -> LinearMap:
    r""":math:`\nabla_\theta\alpha_k(h)
    = \sum_{j=1}^k D\mu_{k,j+1}(h_j)\cdot\nabla_\theta f_j(h_{j-1})`
    (Lemma 5.1.6).

    The sum is evaluated by a Horner-like recursion, not term by term: each
    :math:`D\mu_{k,j+1}` shares its factors with the next, so, with :math:`u` the
    parameter tangent,

    .. math::
        t_0 = 0,\qquad t_j = Df_j(h_{j-1})\cdot t_{j-1} + \nabla_\theta f_j(h_{j-1})
        \cdot u,\qquad \nabla_\theta\alpha_k(h)\cdot u = t_k

    (the recursion (5.11) of the proof, RTRL's forward recursion), and its adjoint runs
    the same chain backwards, as BPTT does (Theorem 5.1.5):

    .. math::
        w_k = w,\qquad w_{j-1} = D^*f_j(h_{j-1})\cdot w_j,\qquad
        \nabla^*_\theta\alpha_k(h)\cdot w = \sum_{j=1}^k
        \nabla^*_\theta f_j(h_{j-1})\cdot w_j .

    Either costs :math:`k-1` applications of a step derivative and :math:`k` of a
    parameter derivative, where the :math:`k` terms one by one would cost
    :math:`k(k-1)/2` of the first. The adjoint is the RTRL map
    :math:`\nabla^*_\theta\alpha_k(h)` of Lemma 5.1.2, unrolled.

    Parameters
    ----------
    fwd : RNNForward
        A forward pass of :math:`L` steps.
    k : int
        :math:`1\le k\le L`.
    """
    _chain_indices(fwd, "head_parameter_derivative", ("k", k, 1))
    cells = fwd.cells[:k]

    def apply(u: Tree) -> Tree:
        t = cells[0].grad.apply(u)
        for cell in cells[1:]:
            t = cell.D.apply(t) + cell.grad.apply(u)
        return t

    def adjoint(w: Tree) -> Tree:
        total = cells[-1].grad.adjoint_apply(w)
        for cell, nxt in zip(cells[-2::-1], cells[:0:-1], strict=True):
            w = nxt.D.adjoint_apply(w)  # w_j = D*f_{j+1}(h_j) w_{j+1}
            total = tree_map(np.add, total, cell.grad.adjoint_apply(w))
        return total

    return LinearMap(apply, adjoint, f"∇α_{k}(h)")


def _pair_rows(c: Array, A: Array) -> Array:
    r""":math:`\sum_{s,j} c_{sj}A_{sj\cdots}` for ``c`` of shape (N, n_h) and ``A`` of
    shape (N, n_h, ...).

    The gradient of RTRL's step loss from the carried derivatives (5.46): one
    matrix-vector product.
    """
    paired: Array = (c.reshape(-1) @ A.reshape(c.size, -1)).reshape(A.shape[2:])
    return paired


def _apply_rows(a: Array, A: Array) -> Array:
    r""":math:`\sum_k a_{sjk}A_{sk\cdots}` for ``a`` of shape (N, n_h, n_h): batched
    matrix products (BLAS)."""
    return (a @ A.reshape(A.shape[0], A.shape[1], -1)).reshape(
        a.shape[:2] + A.shape[2:]
    )


class VanillaRNN(RNN):
    r"""The vanilla RNN of thesis section 5.2, with fused BPTT and RTRL.

    :math:`h_i = \Psi(Wh_{i-1} + Ux_i + b)` (5.23) and :math:`\hat y_i = Vh_i + c`
    (5.24). The generic :meth:`RNN.loss_and_gradient_bptt` and
    :meth:`RNN.loss_and_gradient_rtrl` apply to it; :meth:`bptt` and :meth:`rtrl`
    compute the same gradients from the explicit formulas of Theorems 5.2.3-5.2.4 and
    equations (5.40)-(5.46), with one matrix product per step and no linear-map objects,
    as Algorithms 5.2.1 and 5.2.2 do.

    Parameters
    ----------
    n_x, n_h, n_y : int
        The sizes of the input :math:`x_i`, of the hidden state :math:`h_i` and of the
        prediction :math:`\hat y_i`.
    activation : Elementwise
        :math:`\Psi`.

    Examples
    --------
    Three sequences of length 5; BPTT and RTRL, two ways to the same gradient, agree:

    >>> import numpy as np
    >>> from adjnets import VanillaRNN, norm, squared, tree_map
    >>> rnn = VanillaRNN(n_x=2, n_h=4, n_y=1)
    >>> rng = np.random.default_rng(0)
    >>> params = rnn.init(rng)  # RNNParams(theta=(W, U, b), zeta=(V, c))
    >>> x, y = rng.standard_normal((3, 5, 2)), rng.standard_normal((3, 5, 1))
    >>> rnn(x, params).shape  # one prediction per step
    (3, 5, 1)
    >>> J1, g1 = rnn.bptt(x, y, params, squared)  # backpropagation through time
    >>> J2, g2 = rnn.rtrl(x, y, params, squared)  # real-time recurrent learning
    >>> difference = norm(tree_map(np.subtract, g1, g2))
    >>> print(np.isclose(J1, J2), difference < 1e-12 * norm(g1))
    True True
    """

    cell: VanillaCell

    def __init__(self, n_x: int, n_h: int, n_y: int, activation: Elementwise = tanh):
        _sizes("VanillaRNN", n_x=n_x, n_h=n_h, n_y=n_y)
        super().__init__(VanillaCell(n_h, n_x, activation), Dense(n_h, n_y))

    def _forward_arrays(
        self, x: Array, params: RNNParams, h: Array
    ) -> tuple[list[Array], list[Array], Array, Array]:
        (W, U, b), (V, c) = params
        L = x.shape[1]
        xu = x @ U.T + b  # (N, L, n_h): the input terms of every step at once
        hs, slopes = [h], []
        act = self.cell.activation
        for i in range(L):
            h, slope = act.value_and_derivative(hs[-1] @ W.T + xu[:, i])
            hs.append(h)
            slopes.append(slope)
        H = np.stack(hs[1:], axis=1)  # (N, L, n_h)
        return hs, slopes, H, H @ V.T + c

    @implements("Theorem 5.2.2", "Theorem 5.2.3", "Theorem 5.2.4", "Algorithm 5.2.1")
    def bptt(
        self,
        x: Array,
        y: Array,
        params: RNNParams,
        loss: Loss,
        mask: Array | None = None,
        h0: Array | None = None,
    ) -> tuple[float, RNNParams]:
        r"""Loss and gradient by BPTT for the vanilla RNN (Theorems 5.2.3 and 5.2.4,
        Algorithm 5.2.1).

        .. math::
            \varepsilon_i = W^T\bigl(\Psi'(z_{i+1})\odot\varepsilon_{i+1}\bigr)
            + V^Te_i,\qquad
            \nabla_W\mathcal J = \sum_i(\Psi'(z_i)\odot\varepsilon_i)\,h_{i-1}^T,

        and likewise
        :math:`\nabla_U\mathcal J = \sum_i(\Psi'(z_i)\odot\varepsilon_i)\,x_i^T`,
        :math:`\nabla_b\mathcal J = \sum_i\Psi'(z_i)\odot\varepsilon_i`; the prediction
        gradients are :math:`\nabla_V\mathcal J = \sum_i e_ih_i^T` and
        :math:`\nabla_c\mathcal J = \sum_i e_i` (Theorem 5.2.2 in 5.8). Note the index
        of :math:`z` in the first term: the thesis prints :math:`D\Psi(z_i)` in (5.39)
        where its own Algorithm 5.2.1 (line 17) has :math:`z_{i+1}`.
        """
        x, y, params, h, m = self._loss_inputs(x, y, params, loss, mask, h0, "bptt")
        hs, slopes, H, out = self._forward_arrays(x, params, h)
        value, E = _sequence_loss(out, y, loss, m)
        (W, _U, _b), (V, _c) = params
        L = x.shape[1]
        back = E @ V  # V^T e_i for every step, (N, L, n_h)
        deltas = np.empty_like(H)  # delta_i = Psi'(z_i) (.) eps_i
        eps = back[:, L - 1]
        for i in range(L - 1, -1, -1):
            if i < L - 1:
                eps = deltas[:, i + 1] @ W + back[:, i]
            deltas[:, i] = slopes[i] * eps
        # h_0, ..., h_{L-1}
        H_prev = np.concatenate([hs[0][:, None], H[:, :-1]], axis=1)
        g_theta = VanillaParams(
            sum_outer(deltas, H_prev), sum_outer(deltas, x), deltas.sum(axis=(0, 1))
        )
        g_zeta = DenseParams(sum_outer(E, H), E.sum(axis=(0, 1)))
        return value, RNNParams(g_theta, g_zeta)

    @implements("Algorithm 5.2.2")
    def rtrl(
        self,
        x: Array,
        y: Array,
        params: RNNParams,
        loss: Loss,
        mask: Array | None = None,
        h0: Array | None = None,
    ) -> tuple[float, RNNParams]:
        r"""Loss and gradient by RTRL for the vanilla RNN (equations 5.40-5.46,
        Algorithm 5.2.2).

        For each sequence the tensors
        :math:`A^W_i\in\mathbb R^{n_h}\otimes\mathbb R^{n_h\times n_h}`, :math:`A^U_i`
        and :math:`A^b_i` (index :math:`j` first) evolve by (5.43)-(5.45),

        .. math::

            A^\theta_{i,j} = \sum_k\langle W\bar e_k,
            \Psi'(z_i)\odot\bar e_j\rangle A^\theta_{i-1,k}
            + (\Psi'(z_i)\odot\bar e_j)\otimes(\cdot)_i ,

        with :math:`(\cdot)_i = h_{i-1}^T, x_i^T, 1`; here the coefficient
        :math:`\langle W\bar e_k, \Psi'(z_i)\odot\bar e_j\rangle = \Psi'(z_i)_jW_{jk}`
        makes the sum one batched matrix product, and the second term is nonzero only in
        row :math:`j`. Each step adds
        :math:`\sum_j\langle\bar e_j, V^Te_i\rangle A^\theta_{i,j}` (5.46).
        """
        x, y, params, h, m = self._loss_inputs(x, y, params, loss, mask, h0, "rtrl")
        (W, U, b), (V, c) = params
        N, L = x.shape[0], x.shape[1]
        n_h, n_x = self.cell.n_h, self.cell.n_x
        act = self.cell.activation
        AW = np.zeros((N, n_h, n_h, n_h))
        AU = np.zeros((N, n_h, n_h, n_x))
        Ab = np.zeros((N, n_h, n_h))
        gW, gU, gb = np.zeros_like(W), np.zeros_like(U), np.zeros_like(b)
        eye = np.eye(n_h)
        value = 0.0
        gV, gc = np.zeros_like(V), np.zeros_like(c)
        for i in range(L):
            z = h @ W.T + x[:, i] @ U.T + b
            h_new, s = act.value_and_derivative(z)  # s = Psi'(z), (N, n_h)
            a = s[:, :, None] * W  # a[s, j, k] = Psi'(z)_j W_jk
            AW = _apply_rows(a, AW)
            AW[:, np.arange(n_h), np.arange(n_h), :] += s[:, :, None] * h[:, None, :]
            AU = _apply_rows(a, AU)
            AU[:, np.arange(n_h), np.arange(n_h), :] += (
                s[:, :, None] * x[:, i][:, None, :]
            )
            Ab = _apply_rows(a, Ab) + s[:, :, None] * eye
            h = h_new
            out = h @ V.T + c
            v, e = _sequence_loss(out[:, None], y[:, i : i + 1], loss, m[:, i : i + 1])
            value += v
            vt = e[:, 0] @ V  # <e_j, V^T e_i> for every j, (N, n_h)
            gW += _pair_rows(vt, AW)
            gU += _pair_rows(vt, AU)
            gb += _pair_rows(vt, Ab)
            gV += e[:, 0].T @ h  # (5.37) in (5.8), accumulated as the stream goes
            gc += e[:, 0].sum(axis=0)
        return value, RNNParams(VanillaParams(gW, gU, gb), DenseParams(gV, gc))
