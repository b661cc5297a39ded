r"""Linear maps held matrix-free, each together with its adjoint (thesis section 2.1).

For :math:`L\in\mathcal{L}(E_1;E_2)` the adjoint :math:`L^*\in\mathcal{L}(E_2;E_1)` is
the map with :math:`\langle L^* w, v\rangle = \langle w, L v\rangle` for all
:math:`v\in E_1`, :math:`w\in E_2`. A :class:`LinearMap` stores both actions, so that
``L.adj`` is again a :class:`LinearMap` and composition obeys the reversing rule
:math:`(L_2 L_1)^* = L_1^* L_2^*` by construction.

Convention: both actions accept a batch, that is, an array with extra *leading* axes (a
point of :math:`\mathbb{R}^N\otimes E`), and act on each point of it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

import numpy as np

from adjnets import validation
from adjnets.calculus.spaces import Array, Tree


@dataclass(frozen=True)
class LinearMap:
    r"""A linear map :math:`L` together with its adjoint :math:`L^*`.

    Parameters
    ----------
    apply : callable
        :math:`v\mapsto L v`.
    adjoint_apply : callable
        :math:`w\mapsto L^* w`. Nothing checks that it *is* the adjoint: use
        :func:`adjnets.calculus.check.assert_adjoint` for that.
    name : str, optional
        Shown in ``repr``; composition and adjoint build their names from it.

    Examples
    --------
    A matrix as a linear map: its adjoint is the transpose, and the adjoint identity
    :math:`\langle w, Lv\rangle = \langle L^*w, v\rangle` holds:

    >>> import numpy as np
    >>> from adjnets import LinearMap, inner
    >>> L = LinearMap.from_matrix(np.array([[1.0, 2.0], [0.0, 1.0]]))
    >>> L(np.array([1.0, 1.0])), L.adj(np.array([1.0, 1.0]))
    (array([3., 1.]), array([1., 3.]))
    >>> v, w = np.array([1.0, -2.0]), np.array([3.0, 0.5])
    >>> inner(w, L(v)), inner(L.adj(w), v)
    (-10.0, -10.0)

    Composition applies the right-hand map first; the adjoint of a composition is the
    composition of the adjoints in reverse order:

    >>> M = L @ L.adj  # L·L*: apply L* first
    >>> M, M.adj
    (LinearMap(A·A*), LinearMap((A·A*)*))
    >>> np.allclose(M.adj(v), L(L.adj(v)))  # (L·L*)* = L**·L* = L·L*
    True
    """

    apply: Callable[[Tree], Tree]
    adjoint_apply: Callable[[Tree], Tree]
    name: str = "L"

    # ``L @ array`` must not be taken over by NumPy's matmul: only maps compose with
    # ``@``
    __array_ufunc__ = None

    def __post_init__(self) -> None:
        validation.function("apply", self.apply, "LinearMap")
        validation.function("adjoint_apply", self.adjoint_apply, "LinearMap")
        validation.instance("name", self.name, str, "LinearMap")

    def __call__(self, v: Tree) -> Tree:
        return self.apply(v)

    @property
    def adj(self) -> LinearMap:
        r"""The adjoint :math:`L^*`, itself a :class:`LinearMap` whose adjoint is
        :math:`L`."""
        name = self.name
        if name.startswith("(") and name.endswith(")*") and _balanced(name[1:-2]):
            name = name[1:-2]  # (A·B)* -> A·B
        elif name.endswith("*") and "·" not in name:
            name = name[:-1]  # A* -> A
        else:  # A·B* is not an adjoint as a whole: (A·B*)*
            name = f"({name})*" if "·" in name else f"{name}*"
        return LinearMap(self.adjoint_apply, self.apply, name)

    def __matmul__(self, other: LinearMap) -> LinearMap:
        r"""Composition :math:`L_2\cdot L_1` (``L2 @ L1``: apply ``L1`` first).

        The adjoint of the composition is :math:`L_1^*\cdot L_2^*` (thesis section 2.1).
        """
        if not isinstance(other, LinearMap):
            return NotImplemented
        first, second = other, self
        return LinearMap(
            lambda v: second.apply(first.apply(v)),
            lambda w: first.adjoint_apply(second.adjoint_apply(w)),
            f"{second.name}·{first.name}",
        )

    def __repr__(self) -> str:
        return f"LinearMap({self.name})"

    @classmethod
    def from_matrix(cls, A: Array, name: str = "A") -> LinearMap:
        r"""The map :math:`v\mapsto A v` on :math:`\mathbb{R}^n`, with adjoint
        :math:`w\mapsto A^T w`.

        Batches are rows: a batch ``V`` of shape ``(N, n)`` maps to ``V @ A.T``. The map
        checks that its argument ends with an axis of length ``n`` (``m`` for the
        adjoint).

        Raises
        ------
        ValueError
            If ``A`` is not a 2-d array or has a non-finite entry.
        TypeError
            If ``A`` is not an array of real numbers (booleans, complex numbers).
        """
        who = "LinearMap.from_matrix"
        A = validation.as_float_array("A", A, who)
        if A.ndim != 2:
            raise ValueError(f"{who} expected A as a 2-d array, got shape {A.shape}")
        m, n = A.shape
        return cls(
            validation.checked(
                lambda v: v @ A.T, "v", (n,), f"LinearMap({name})", None
            ),
            validation.checked(lambda w: w @ A, "w", (m,), f"LinearMap({name})*", None),
            name,
        )

    def to_matrix(
        self,
        in_shape: tuple[int, ...],
        layout: Literal["numerator", "denominator"] = "numerator",
        order: Literal["C", "F"] = "C",
    ) -> Array:
        r"""Materialise the map as a matrix, in a chosen layout and vectorisation order.

        The map itself has no layout. A matrix of it needs two arbitrary choices: how to
        flatten the points of the domain and codomain into columns (``order``: row-major
        ``"C"`` or the column-major ``"F"`` of :math:`\operatorname{vec}`), and whether
        the rows index outputs (``"numerator"`` layout) or inputs (``"denominator"``
        layout, the transpose). The introduction of the book uses this to show the
        ambiguity the thesis avoids (section 1.3).

        Parameters
        ----------
        in_shape : tuple of int
            Shape of one point of the domain.
        layout : {"numerator", "denominator"}
        order : {"C", "F"}

        Returns
        -------
        numpy.ndarray
            ``(dim codomain, dim domain)`` in numerator layout, its transpose in
            denominator layout.

        Raises
        ------
        ValueError
            If ``layout`` or ``order`` is none of the above, or a length of
            ``in_shape`` is below 1.
        TypeError
            If ``in_shape`` is not a tuple of integers.
        """
        who = "LinearMap.to_matrix"
        if layout not in ("numerator", "denominator"):
            raise ValueError(
                f"{who} expected layout 'numerator' or 'denominator', got {layout!r}"
            )
        if order not in ("C", "F"):
            raise ValueError(f"{who} expected order 'C' or 'F', got {order!r}")
        if not isinstance(in_shape, tuple | list):
            raise TypeError(
                f"{who} expected in_shape as a tuple of integers, got "
                f"{type(in_shape).__name__} {in_shape!r}"
            )
        in_shape = tuple(
            validation.positive_int("in_shape", d, who=who) for d in in_shape
        )
        n = int(np.prod(in_shape))
        # the n basis vectors, as a batch
        basis = _unflatten(np.eye(n), in_shape, order)
        images = np.asarray(self.apply(basis))
        columns = _flatten(images, order)  # row j: L e_j, flattened
        return columns.T if layout == "numerator" else columns


def _balanced(name: str) -> bool:
    """Whether the parentheses of ``name`` pair up: ``A·(B·C)`` does, ``A)·(B`` not."""
    depth = 0
    for char in name:
        depth += {"(": 1, ")": -1}.get(char, 0)
        if depth < 0:
            return False
    return depth == 0


def _flatten(batch: Array, order: str) -> Array:
    """Flatten each point of a batch (leading axis) in C or Fortran order."""
    if order == "F":
        batch = batch.transpose((0, *range(batch.ndim - 1, 0, -1)))
    return batch.reshape(batch.shape[0], -1)


def _unflatten(rows: Array, shape: tuple[int, ...], order: str) -> Array:
    """Inverse of :func:`_flatten`: reshape each row to ``shape`` in C or Fortran
    order."""
    if order == "F":
        out = rows.reshape((rows.shape[0], *shape[::-1]))
        return out.transpose((0, *range(len(shape), 0, -1)))
    return rows.reshape((rows.shape[0], *shape))


@dataclass(frozen=True)
class BilinearMap:
    r"""A bilinear map :math:`B\in\mathcal{L}(E_1, E_2; E_3)` with the adjoints of its
    two hooks.

    Hooking a point into one slot leaves a linear map of the other (thesis section 2.1):

    .. math:: (e_1 \lrcorner B)\cdot e_2 = B(e_1, e_2) = (B \llcorner e_2)\cdot e_1 .

    The two adjoints are all that back-propagation needs of :math:`B`, so they are
    declared with it, as for the dense layer's :math:`W x`, whose hooks give both
    :math:`D^*` and :math:`\nabla^*`.

    Parameters
    ----------
    apply : callable
        :math:`(e_1, e_2)\mapsto B(e_1, e_2)`.
    left_adjoint : callable
        :math:`(e_1, e_3)\mapsto (e_1\lrcorner B)^*\cdot e_3 \in E_2`.
    right_adjoint : callable
        :math:`(e_2, e_3)\mapsto (B\llcorner e_2)^*\cdot e_3 \in E_1`.
    name : str, optional

    Examples
    --------
    The Hadamard product :math:`B(a, b) = a\odot b`: hooking a point into either slot
    gives a linear map whose adjoint passes the check:

    >>> import numpy as np
    >>> from adjnets import assert_adjoint, hadamard
    >>> rng = np.random.default_rng(0)
    >>> a, b, w = rng.standard_normal((3, 4))
    >>> np.allclose(hadamard.left_hook(a)(b), a * b)  # (a ⌟ B)·b = B(a, b)
    True
    >>> print(assert_adjoint(hadamard.right_hook(b), a, w) < 1e-12)
    True
    """

    apply: Callable[[Tree, Tree], Tree]
    left_adjoint: Callable[[Tree, Tree], Tree]
    right_adjoint: Callable[[Tree, Tree], Tree]
    name: str = "B"

    def __post_init__(self) -> None:
        for field in ("apply", "left_adjoint", "right_adjoint"):
            validation.function(field, getattr(self, field), "BilinearMap")
        validation.instance("name", self.name, str, "BilinearMap")

    def __call__(self, e1: Tree, e2: Tree) -> Tree:
        return self.apply(e1, e2)

    def left_hook(self, e1: Tree) -> LinearMap:
        r"""The linear map :math:`(e_1\lrcorner B): e_2\mapsto B(e_1, e_2)`."""
        return LinearMap(
            lambda e2: self.apply(e1, e2),
            lambda e3: self.left_adjoint(e1, e3),
            f"(e⌟{self.name})",
        )

    def right_hook(self, e2: Tree) -> LinearMap:
        r"""The linear map :math:`(B\llcorner e_2): e_1\mapsto B(e_1, e_2)`."""
        return LinearMap(
            lambda e1: self.apply(e1, e2),
            lambda e3: self.right_adjoint(e2, e3),
            f"({self.name}⌞e)",
        )

    def swap(self) -> BilinearMap:
        r"""The same map with its arguments exchanged,
        :math:`(e_2, e_1)\mapsto B(e_1, e_2)`.

        For a parameter-dependent map this turns :math:`D\nabla f` into
        :math:`\nabla D f` (thesis section 2.3.2).
        """
        return BilinearMap(
            lambda e2, e1: self.apply(e1, e2),
            self.right_adjoint,
            self.left_adjoint,
            f"{self.name}ᵀ",
        )
