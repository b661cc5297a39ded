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

from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

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


class Layer(ABC):
    """A parameter-dependent map :math:`f(x;\\theta)`: one layer of a network."""

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
    :class:`adjnets.networks.layers.Then`)."""

    @abstractmethod
    def __call__(self, z: Tree) -> Tree:
        """:math:`g(z)`."""

    @abstractmethod
    def linearize(self, z: Tree) -> StateLinearization:
        """Value and derivatives at :math:`z`."""
