r"""The two kinds of maps a network is built from, and what their derivatives are at a
point.

* A :class:`Layer` is a parameter-dependent map :math:`f(x;\theta)` (thesis section
  2.3). :meth:`Layer.linearize` returns a :class:`Linearization`: :math:`f(x;\theta)`,
  :math:`Df(x;\theta)`, :math:`\nabla f(x;\theta)`, and the bilinear
  :math:`D^2f(x;\theta)` and :math:`D\nabla f(x;\theta)` used by the higher-order loss
  (thesis section 3.3).
* A :class:`StateMap` is a map without parameters, such as an elementwise function or
  max-pooling; :meth:`StateMap.linearize` returns a :class:`StateLinearization`:
  :math:`g(z)`, :math:`Dg(z)` and :math:`D^2 g(z)`.

Computing the derivatives together at one point lets a map share work between them (a
dense layer computes :math:`Wx+b` and :math:`\Psi'` once for all of them).

Batches: a state may carry any number of leading axes (a batch of :math:`N` points, or
:math:`K` tangent directions at each of them); a parameter is shared by all of them, so
:math:`\nabla^*` sums over those axes, as the adjoint of
:math:`\theta\mapsto (f(x_j;\theta))_j` must.
"""

from __future__ import annotations

import functools
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any, ClassVar

import numpy as np

from adjnets import validation
from adjnets.calculus.linear import BilinearMap, LinearMap
from adjnets.calculus.spaces import Tree, tree_map


@dataclass(frozen=True)
class Linearization:
    r"""A layer's value and derivatives at one point :math:`(x,\theta)`.

    Attributes
    ----------
    output : tree
        :math:`f(x;\theta)`.
    D : LinearMap
        :math:`Df(x;\theta)`; ``D.adj`` is :math:`D^*f(x;\theta)`.
    grad : LinearMap
        :math:`\nabla f(x;\theta)`; ``grad.adj`` is :math:`\nabla^*f(x;\theta)`.
    D2 : BilinearMap
        :math:`D^2 f(x;\theta)`, so ``D2.left_hook(v)`` is
        :math:`(v\lrcorner D^2f(x;\theta))`.
    D_grad : BilinearMap
        :math:`D\nabla f(x;\theta)`, so ``D_grad.left_hook(v)`` is
        :math:`(v\lrcorner D\nabla f(x;\theta))` and ``D_grad.swap()`` is
        :math:`\nabla D f`.
    fused_tangent_grad_adjoint : callable, optional
        ``(v, e_t, e_v)`` to the same tree as :meth:`tangent_grad_adjoint`, computed
        with shared work where a layer knows how (a dense layer forms one outer product
        with :math:`x` for both terms).
    """

    output: Tree
    D: LinearMap
    grad: LinearMap
    D2: BilinearMap
    D_grad: BilinearMap
    fused_tangent_grad_adjoint: Callable[[Tree, Tree, Tree], Tree] | None = None

    def tangent_grad_adjoint(self, v: Tree, e_t: Tree, e_v: Tree) -> Tree:
        r""":math:`\nabla^*f(x;\theta)\cdot e^t
        + (v\lrcorner D\nabla f(x;\theta))^*\cdot e^v`.

        The layer's term in the gradient of the higher-order loss (thesis Theorem
        3.3.4).
        """
        if self.fused_tangent_grad_adjoint is not None:
            return self.fused_tangent_grad_adjoint(v, e_t, e_v)
        return tree_map(np.add, self.grad.adj(e_t), self.D_grad.left_hook(v).adj(e_v))

    def checked(self, x: Tree, theta: Tree, who: str) -> Linearization:
        r"""The same linearization, with the shapes of the vectors given to
        :math:`Df`, :math:`D^*f`, :math:`\nabla f` and :math:`\nabla^*f` checked.

        A tangent :math:`v` must have the shape of :math:`x` (after any leading axes of
        tangent directions), a cotangent :math:`w` that of :math:`f(x;\theta)`, and a
        parameter direction :math:`u` exactly that of :math:`\theta`; anything else is a
        ValueError (a vector of one point where a batch is meant would otherwise be
        broadcast over the batch).
        """
        xs, ys, ts = (
            validation.shapes(x),
            validation.shapes(self.output),
            validation.shapes(theta),
        )
        return replace(
            self,
            D=_checked_map(self.D, "v", xs, None, "w", ys, who + ": Df(x)"),
            grad=_checked_map(self.grad, "u", ts, 0, "w", ys, who + ": ∇f(x)"),
        )


def _checked_map(
    L: LinearMap,
    name: str,
    domain: Any,
    leading: int | None,
    adj_name: str,
    codomain: Any,
    who: str,
) -> LinearMap:
    return LinearMap(
        validation.checked(L.apply, name, domain, who, leading),
        validation.checked(L.adjoint_apply, adj_name, codomain, who + "*", None),
        L.name,
    )


def _unvalidated(obj: Layer | StateMap, name: str) -> Callable[..., Any]:
    """``obj``'s ``__call__`` or ``linearize`` as its class wrote it, without the
    boundary checks: for a caller that has validated the arguments once already (a
    network over its layers, a recurrent network over its time steps)."""
    method = getattr(type(obj), name)
    return functools.partial(getattr(method, "__wrapped__", method), obj)


@functools.lru_cache(maxsize=1024)
def _param_shapes(layer: Layer) -> Any:
    return validation.shapes(layer.init(np.random.default_rng(0)))


def _validated_linearize(method: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(method)
    def linearize(self: Layer, x: Tree, theta: Tree) -> Linearization:
        x, theta = self.validate(x, theta)
        lin: Linearization = method(self, x, theta)
        return lin.checked(x, theta, self._who())

    linearize._validated = True  # type: ignore[attr-defined]
    return linearize


def _validated_call(method: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(method)
    def call(self: Layer, x: Tree, theta: Tree) -> Tree:
        x, theta = self.validate(x, theta)
        return method(self, x, theta)

    call._validated = True  # type: ignore[attr-defined]
    return call


class Layer(ABC):
    """A parameter-dependent map :math:`f(x;\\theta)`: one layer of a network.

    Every layer checks its arguments at its boundary, the same way: the ``__call__`` and
    ``linearize`` a subclass defines are wrapped (when the class is created) so that
    :meth:`validate` runs first, and the maps of the returned linearization check the
    shapes of what they are given (:meth:`Linearization.checked`). A subclass declares
    its spaces through :attr:`input_shape` and :meth:`init`; its own code then receives
    float64 arrays of the right shapes only.
    """

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        for name, wrap in (
            ("__call__", _validated_call),
            ("linearize", _validated_linearize),
        ):
            method = cls.__dict__.get(name)
            if method is not None and not getattr(method, "_validated", False):
                setattr(cls, name, wrap(method))

    @property
    def input_shape(self) -> tuple[int, ...] | None:
        """The shape of one input point :math:`x`, or ``None`` when the layer takes
        any (a convolution takes images of any size)."""
        return None

    @property
    def param_shapes(self) -> Any:
        """The shapes of the parameter :math:`\\theta`, a tree like :meth:`init`'s.

        Read from a draw of :meth:`init`, once per distinct layer: layers are frozen
        dataclasses, equal when their fields are, so the shapes are kept by value (a
        network that builds its layers anew on each call does not draw again).
        """
        try:
            return _param_shapes(self)
        except TypeError:  # a layer that cannot be hashed: draw every time
            return validation.shapes(self.init(np.random.default_rng(0)))

    def _who(self) -> str:
        return repr(self)

    def validate(self, x: Tree, theta: Tree) -> tuple[Tree, Tree]:
        """``x`` and ``theta`` as float64 arrays (or trees of them), checked against
        :attr:`input_shape` and :attr:`param_shapes` and for non-finite entries; a
        ValueError or TypeError naming the layer and the argument otherwise."""
        who = self._who()
        return (
            _points("x", x, self.input_shape, who),
            validation.tree_like("theta", theta, self.param_shapes, who),
        )

    @abstractmethod
    def init(self, rng: np.random.Generator) -> Tree:
        """Random initial parameters."""

    @abstractmethod
    def __call__(self, x: Tree, theta: Tree) -> Tree:
        r""":math:`f(x;\theta)`."""

    @abstractmethod
    def linearize(self, x: Tree, theta: Tree) -> Linearization:
        r"""Value and derivatives at :math:`(x, \theta)`."""


@dataclass(frozen=True)
class StateLinearization:
    r"""A parameter-free map's value and derivatives at one point :math:`z`.

    Attributes
    ----------
    output : tree
        :math:`g(z)`.
    D : LinearMap
        :math:`Dg(z)`.
    D2 : BilinearMap
        :math:`D^2g(z)`.
    """

    output: Tree
    D: LinearMap
    D2: BilinearMap


class StateMap(ABC):
    """A map :math:`g(z)` without parameters, placed after a layer (see
    :class:`adjnets.networks.layers.Then`).

    Its ``__call__`` and ``linearize`` check :math:`z` at the boundary as a
    :class:`Layer`'s do (float64, finite, of :attr:`input_shape` after any leading
    axes), and :math:`Dg(z)` and :math:`D^*g(z)` check the shapes they are given.
    """

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        for name, wrap in (
            ("__call__", _validated_state_call),
            ("linearize", _validated_state_linearize),
        ):
            method = cls.__dict__.get(name)
            if method is not None and not getattr(method, "_validated", False):
                setattr(cls, name, wrap(method))

    commutes_with_nondecreasing: ClassVar[bool] = False
    r"""Whether :math:`g\circ\Psi = \Psi\circ g`, with the same first and second
    derivatives, for every nondecreasing elementwise :math:`\Psi` (max-pooling:
    the book's own Proposition P.1). :class:`~adjnets.networks.layers.Then` then
    applies :math:`\Psi` after :math:`g`, on its smaller output."""

    @property
    def input_shape(self) -> tuple[int, ...] | None:
        """The shape of one point :math:`z`, or ``None`` for any."""
        return None

    def validate(self, z: Tree) -> Tree:
        """``z`` as float64 array(s), finite and of :attr:`input_shape`."""
        return _points("z", z, self.input_shape, repr(self))

    @abstractmethod
    def __call__(self, z: Tree) -> Tree:
        """:math:`g(z)`."""

    @abstractmethod
    def linearize(self, z: Tree) -> StateLinearization:
        """Value and derivatives at :math:`z`."""


def _points(name: str, value: Tree, point: tuple[int, ...] | None, who: str) -> Tree:
    """A state (an array, or a tuple of arrays for a layer whose state is a product)
    checked and converted leaf by leaf with :func:`adjnets.validation.batch`."""
    if isinstance(value, tuple) and not all(isinstance(v, int | float) for v in value):
        return tree_map(lambda leaf: validation.batch(name, leaf, None, who), value)
    return validation.batch(name, value, point, who)


def _validated_state_call(method: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(method)
    def call(self: StateMap, z: Tree) -> Tree:
        return method(self, self.validate(z))

    call._validated = True  # type: ignore[attr-defined]
    return call


def _validated_state_linearize(method: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(method)
    def linearize(self: StateMap, z: Tree) -> StateLinearization:
        z = self.validate(z)
        lin: StateLinearization = method(self, z)
        zs, ys = validation.shapes(z), validation.shapes(lin.output)
        return replace(
            lin, D=_checked_map(lin.D, "v", zs, None, "w", ys, repr(self) + ": Dg(z)")
        )

    linearize._validated = True  # type: ignore[attr-defined]
    return linearize
