r"""Parameter-dependent maps :math:`f(x;\theta)` and their derivatives (thesis section
2.3).

A layer of a network is a map :math:`f: E\times H\to F` with a *state* :math:`x\in E`
and a *parameter* :math:`\theta\in H`. Everything back-propagation needs of it at one
point :math:`(x, \theta)` is collected by :meth:`~adjnets.calculus.maps.Layer.linearize`
in a :class:`~adjnets.calculus.maps.Linearization`:

* :math:`Df(x;\theta)\in\mathcal L(E;F)`, with adjoint :math:`D^*f(x;\theta)`;
* :math:`\nabla f(x;\theta)\in\mathcal L(H;F)`, with adjoint
  :math:`\nabla^*f(x;\theta)`;
* the second derivative :math:`D^2f(x;\theta)\in\mathcal L(E,E;F)` and the mixed
  derivative :math:`D\nabla f(x;\theta)\in\mathcal L(E,H;F)`, as bilinear maps whose
  hooks have adjoints (used by the higher-order loss of thesis section 3.3).

Computing them together at one point lets a layer share the work (a dense layer computes
:math:`Wx+b` and :math:`\Psi'` once for all four).

Batches: a state may carry any number of leading axes (a batch of :math:`N` points, or
:math:`K` tangent directions at each of them); the parameter is shared, so
:math:`\nabla^*` sums over those axes, as the adjoint of
:math:`\theta\mapsto (f(x_j;\theta))_j` must.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any, Generic, NamedTuple, TypeVar

import numpy as np

from adjnets import validation
from adjnets.calculus.derivatives import composite_second_derivative
from adjnets.calculus.elementwise import Elementwise, identity
from adjnets.calculus.linear import BilinearMap, LinearMap
from adjnets.calculus.maps import (
    Layer,
    Linearization,
    StateLinearization,
    StateMap,
    _unvalidated,
)
from adjnets.calculus.spaces import Array, Tree, sum_extra_leading, sum_outer
from adjnets.pages.thesis import implements

__all__ = [
    "Dense",
    "DenseParams",
    "Layer",
    "Linearization",
    "StateLinearization",
    "StateMap",
    "Then",
]


def _check_widths(layer: Any, who: str) -> None:
    """``layer.n_in`` and ``layer.n_out`` as ints >= 1 and ``layer.activation`` an
    Elementwise (the constructor checks of :class:`Dense` and its tied variant)."""
    for name in ("n_in", "n_out"):
        value = validation.positive_int(name, getattr(layer, name), who=who)
        object.__setattr__(layer, name, value)
    if not isinstance(layer.activation, Elementwise):
        raise TypeError(
            f"{who} expected activation to be an Elementwise, got "
            f"{type(layer.activation).__name__}"
        )


def _sum_leading(a: Array) -> Array:
    total: Array = a.reshape(-1, a.shape[-1]).sum(axis=0)
    return total


class DenseParams(NamedTuple):
    r"""Parameters of a dense layer, a point of
    :math:`\mathbb R^{m\times n}\times\mathbb R^m`."""

    W: Array
    b: Array


@dataclass(frozen=True)
class Dense(Layer):
    r"""A dense (fully-connected) layer with an elementwise activation (thesis 4.1).

    The layer is :math:`f(x; W, b) = \Psi(Wx + b)` (equation 4.1).

    With :math:`z = Wx+b`, its derivatives are (Lemmas 4.1.2 and 4.1.3 of the thesis)

    .. math::
        Df(x)\cdot v = \Psi'(z)\odot Wv, \qquad D^*f(x)\cdot w = W^T(\Psi'(z)\odot w),

        \nabla f(x)\cdot(U, c) = \Psi'(z)\odot(Ux + c), \qquad
        \nabla^*f(x)\cdot w = \bigl((\Psi'(z)\odot w)\,x^T,\ \Psi'(z)\odot w\bigr),

    and, for the higher-order loss, by the product rule and Proposition 2.4.2,

    .. math::
        D^2f(x)\cdot(v_1, v_2) = \Psi''(z)\odot Wv_1\odot Wv_2,

        D\nabla f(x)\cdot(v, (U, c)) = \Psi''(z)\odot Wv\odot(Ux+c) + \Psi'(z)\odot Uv .

    Parameters
    ----------
    n_in, n_out : int
        :math:`n` and :math:`m`: the layer maps :math:`\mathbb R^n` to
        :math:`\mathbb R^m`.
    activation : Elementwise
        :math:`\Psi`; the identity gives an affine layer.

    Raises
    ------
    TypeError
        If a width is not an integer (a float, a bool, ``None``) or ``activation`` is
        not an :class:`~adjnets.calculus.elementwise.Elementwise`.
    ValueError
        If a width is below 1. The layer's ``__call__`` and ``linearize`` refuse
        inputs whose last axis is not ``n_in``, parameters of other shapes and
        non-finite values (:class:`~adjnets.calculus.maps.Layer`).

    Examples
    --------
    A layer :math:`\mathbb R^3\to\mathbb R^2`, linearized at a point: its derivative
    and the adjoint satisfy :math:`\langle w, Df(x)\cdot v\rangle =
    \langle D^*f(x)\cdot w, v\rangle`.

    >>> import numpy as np
    >>> from adjnets import Dense, inner, tanh
    >>> rng = np.random.default_rng(0)
    >>> layer = Dense(3, 2, tanh)  # f(x; W, b) = tanh(Wx + b)
    >>> theta = layer.init(rng)  # DenseParams(W, b), W of shape (2, 3)
    >>> x, v, w = rng.standard_normal(3), rng.standard_normal(3), rng.standard_normal(2)
    >>> lin = layer.linearize(x, theta)  # f(x), Df(x), ∇f(x), D²f(x), D∇f(x)
    >>> lin.output.shape, lin.D(v).shape, lin.D.adj(w).shape
    ((2,), (2,), (3,))
    >>> print(np.isclose(inner(w, lin.D(v)), inner(lin.D.adj(w), v)))
    True
    """

    n_in: int
    n_out: int
    activation: Elementwise = identity

    def __post_init__(self) -> None:
        _check_widths(self, "Dense")

    @property
    def input_shape(self) -> tuple[int, ...]:
        r"""``(n_in,)``: one input point is a vector of :math:`\mathbb R^n`."""
        return (self.n_in,)

    def init(self, rng: np.random.Generator, gain: float = 1.0) -> DenseParams:
        r"""Weights :math:`N(0, \text{gain}^2/n)`, zero biases."""
        rng = validation.generator(rng, f"{self!r}.init")
        gain = validation.positive("gain", gain, f"{self!r}.init")
        W = gain / np.sqrt(self.n_in) * rng.standard_normal((self.n_out, self.n_in))
        return DenseParams(W, np.zeros(self.n_out))

    def __call__(self, x: Array, theta: DenseParams) -> Array:
        W, b = theta
        return self.activation(x @ W.T + b)

    @implements("Lemma 4.1.2", "Lemma 4.1.3")
    def linearize(self, x: Array, theta: DenseParams) -> Linearization:
        W, b = theta
        z = x @ W.T + b
        psi = self.activation
        out, s1 = psi.value_and_derivative(z)
        # Psi''(z), on first use only:
        s2 = functools.cache(lambda: psi._second_derivative(z, out))
        memo: dict[str, Array] = {}  # a plain gradient never needs it

        # v @ W.T for the last tangent seen: D, D2 and D_grad share it
        def vW(v: Array) -> Array:
            # Compared by value against a private copy, so a tangent changed in place is
            # never served a stale product (the copy and comparison cost one pass, the
            # product n_out).
            seen = memo.get("v")
            if seen is None or seen.shape != np.shape(v) or not np.array_equal(seen, v):
                memo["v"], memo["vW"] = np.array(v, dtype=float), v @ W.T
            return memo["vW"]

        def grad_apply(u: DenseParams) -> Array:
            return s1 * (x @ u.W.T + u.b)

        def grad_adjoint(w: Array) -> DenseParams:
            a = s1 * w
            return DenseParams(sum_outer(a, x), _sum_leading(a))

        def d2_apply(v1: Array, v2: Array) -> Array:
            return s2() * vW(v1) * (v2 @ W.T)

        def d2_adjoint(v: Array, w: Array) -> Array:
            return (s2() * vW(v) * w) @ W

        def dgrad_apply(v: Array, u: DenseParams) -> Array:
            return s2() * vW(v) * (x @ u.W.T + u.b) + s1 * (v @ u.W.T)

        def dgrad_left_adjoint(v: Array, w: Array) -> DenseParams:
            a = s2() * vW(v) * w
            return DenseParams(sum_outer(a, x) + sum_outer(s1 * w, v), _sum_leading(a))

        def tangent_grad_adjoint(v: Array, e_t: Array, e_v: Array) -> DenseParams:
            # grad_adjoint(e_t) + dgrad_left_adjoint(v, e_v), with one outer product
            # with x for both; each term first summed over the tangent axes that x lacks
            # (e_t may have none)
            a = sum_extra_leading(s1 * e_t, x.ndim) + sum_extra_leading(
                s2() * vW(v) * e_v, x.ndim
            )
            return DenseParams(
                sum_outer(a, x) + sum_outer(s1 * e_v, v), _sum_leading(a)
            )

        def dgrad_right_adjoint(u: DenseParams, w: Array) -> Array:
            return (s2() * (x @ u.W.T + u.b) * w) @ W + (s1 * w) @ u.W

        return Linearization(
            output=out,
            D=LinearMap(lambda v: s1 * vW(v), lambda w: (s1 * w) @ W, "Df(x)"),
            grad=LinearMap(grad_apply, grad_adjoint, "∇f(x)"),
            D2=BilinearMap(d2_apply, d2_adjoint, d2_adjoint, "D²f(x)"),
            D_grad=BilinearMap(
                dgrad_apply, dgrad_left_adjoint, dgrad_right_adjoint, "D∇f(x)"
            ),
            fused_tangent_grad_adjoint=tangent_grad_adjoint,
        )


H = TypeVar("H", bound=Layer)


def _pullback(maps: list[LinearMap]) -> Callable[[Tree], Tree]:
    r""":math:`w\mapsto Dg_1^*\cdots Dg_k^*\,w` for the derivatives ``maps`` of
    :math:`g_1, \dots, g_k`, remembering its last array argument and result.

    The argument is compared by value with a private copy, so an array changed in
    place is never served a stale result (one pass over :math:`w`, against a pass
    through every map's adjoint)."""
    memo: dict[str, Any] = {}

    def pulled(w: Tree) -> Tree:
        remembered = isinstance(w, np.ndarray)
        if remembered:
            seen = memo.get("w")
            if seen is not None and seen.shape == w.shape and np.array_equal(seen, w):
                return memo["back"]
        back = w
        for D in reversed(maps):
            back = D.adj(back)
        if remembered:
            memo["w"], memo["back"] = w.copy(), back
        return back

    return pulled


@implements("Proposition P.1")
def _evaluation_order(maps: tuple[StateMap, ...]) -> tuple[StateMap, ...]:
    r"""The order in which :class:`Then` applies ``maps``: as given, except that a
    nondecreasing elementwise :math:`\Psi` directly followed by a map :math:`g` that
    commutes with it is moved after :math:`g`.

    By the book's own Proposition P.1 (not the thesis's), :math:`g\circ\Psi =
    \Psi\circ g` for max-pooling :math:`g = \Phi`, with the same first and second
    derivatives wherever each window's maximiser is unique, so the composite is
    unchanged; :math:`\Psi`, :math:`\Psi'` and :math:`\Psi''` are then computed on
    the pooled output, :math:`r^2` times smaller.
    """
    order = list(maps)
    for i in range(len(order) - 1):
        g, h = order[i], order[i + 1]
        if (
            isinstance(g, Elementwise)
            and g.nondecreasing
            and h.commutes_with_nondecreasing
        ):
            order[i], order[i + 1] = h, g
    return tuple(order)


@dataclass(frozen=True)
class Then(Layer, Generic[H]):
    r"""A layer followed by parameter-free maps:
    :math:`f = g_k\circ\dots\circ g_1\circ h(\,\cdot\,;\theta)`.

    A CNN layer :math:`\Phi\circ\Psi\circ C(W, \cdot)` (thesis equation 4.28) is
    ``Then(conv, (activation, pooling))``. Its derivatives come from those of the pieces
    by the chain rules of chapter 2: :math:`Df = Dg\cdot Dh` (2.3),
    :math:`\nabla f = Dg\cdot\nabla h` (Lemma 2.3.1), :math:`D^2 f` by Lemma 2.2.1, and
    :math:`D\nabla f(v, u) = D^2g(Dh\,v, \nabla h\,u) + Dg\cdot D\nabla h(v, u)` by the
    same product rule
    (:func:`adjnets.calculus.derivatives.composite_second_derivative`).

    The maps are applied in the order given, with one exception that changes no value
    and no derivative: a nondecreasing elementwise map directly followed by a map that
    commutes with it (max-pooling; see
    :attr:`~adjnets.calculus.maps.StateMap.commutes_with_nondecreasing`) is applied
    after that map instead, on its smaller output (the book's own Proposition P.1).
    A CNN layer :math:`\Phi\circ\Psi\circ C` is evaluated as
    :math:`\Psi\circ\Phi\circ C`: the activation and its derivatives act on a
    quarter of the entries when :math:`r = 2`.

    Parameters
    ----------
    first : Layer
        :math:`h`, the layer that holds the parameters.
    maps : tuple of StateMap
        :math:`g_1, \dots, g_k`, applied in order after ``first`` (but see above).

    Raises
    ------
    TypeError
        If ``first`` is not a Layer or ``maps`` not a tuple of StateMap.
    """

    first: H
    maps: tuple[StateMap, ...]
    _order: tuple[StateMap, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not isinstance(self.first, Layer):
            raise TypeError(
                f"Then expected first to be a Layer, got {type(self.first).__name__}"
            )
        maps = tuple(self.maps) if isinstance(self.maps, tuple | list) else None
        if maps is None or not all(isinstance(g, StateMap) for g in maps):
            raise TypeError(
                "Then expected maps as a tuple of StateMap, got "
                f"{type(self.maps).__name__} {self.maps!r}"[:200]
            )
        object.__setattr__(self, "maps", maps)
        object.__setattr__(self, "_order", _evaluation_order(maps))

    @property
    def input_shape(self) -> tuple[int, ...] | None:
        """That of ``first``."""
        return self.first.input_shape

    def init(self, rng: np.random.Generator) -> Tree:
        return self.first.init(rng)

    def __call__(self, x: Tree, theta: Tree) -> Tree:
        y = _unvalidated(self.first, "__call__")(x, theta)  # validated by Then
        for g in self._order:
            y = _unvalidated(g, "__call__")(y)
        return y

    def linearize(self, x: Tree, theta: Tree) -> Linearization:
        first: Linearization = _unvalidated(self.first, "linearize")(x, theta)
        lin, maps = first, []
        for g in self._order:
            s = _unvalidated(g, "linearize")(lin.output)
            maps.append(s.D)
            lin = Linearization(
                output=s.output,
                D=s.D @ lin.D,
                grad=s.D @ lin.grad,
                D2=composite_second_derivative(s.D2, s.D, lin.D, lin.D, lin.D2),
                D_grad=composite_second_derivative(
                    s.D2, s.D, lin.D, lin.grad, lin.D_grad
                ),
            )
        if not maps:
            return lin
        pulled = _pullback(maps)
        # D*f and grad* f both start with D*g_1 ... D*g_k w; back-propagation asks for
        # both at the same w, which is pulled back through the maps once
        return replace(
            lin,
            D=LinearMap(lin.D, lambda w: first.D.adj(pulled(w)), lin.D.name),
            grad=LinearMap(
                lin.grad, lambda w: first.grad.adj(pulled(w)), lin.grad.name
            ),
        )
