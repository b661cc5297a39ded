r"""Finite-dimensional real inner product spaces, represented by NumPy arrays (thesis
section 2.1).

* :math:`\mathbb{R}^n`, :math:`\mathbb{R}^{n\times m}` and tensor products such as
  :math:`\mathbb{R}^{n\times l}\otimes\mathbb{R}^m` are arrays of the matching shape,
  with the Frobenius inner product :math:`\langle A, B\rangle = \sum_{k} A_k B_k`; on
  matrices this is :math:`\operatorname{tr}(A B^T)`, and on simple tensors it is the
  product of the factors' inner products, as the thesis requires.
* A direct product :math:`E_1\times\dots\times E_r` is a tuple (or a NamedTuple, such as
  a layer's parameters) whose entries are points of the factors, with
  :math:`\langle (e_i)_i, (\bar e_i)_i\rangle = \sum_i \langle e_i, \bar e_i\rangle`.

Such nested tuples of arrays are called *trees* here.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeAlias

import numpy as np
import numpy.typing as npt

from adjnets import validation

Array: TypeAlias = npt.NDArray[np.float64]
r"""A point of :math:`\mathbb{R}^n`, of a matrix space or of a tensor product of them
(or a batch of such points): a float64 array, the type of every array of the package."""

Labels: TypeAlias = npt.NDArray[np.integer]
"""Integer class labels, one per point of a batch."""

# Any to the type checker: each layer declares its own state and parameter types (an
# array, a NamedTuple of arrays), which a recursive union would not let it do.
Tree: TypeAlias = Any
"""A point of an inner product space: an array, or a (Named)tuple of trees."""


def _is_node(tree: Tree) -> bool:
    return isinstance(tree, tuple)


def _rebuild(node: tuple[Tree, ...], children: list[Tree]) -> tuple[Tree, ...]:
    if hasattr(node, "_fields"):  # NamedTuple: keep its type and field names
        return type(node)(*children)
    return tuple(children)


def leaves(tree: Tree) -> list[Array]:
    """Return the arrays of a tree, depth first, in order."""
    if _is_node(tree):
        return [leaf for child in tree for leaf in leaves(child)]
    return [tree]


def tree_map(fn: Callable[..., Any], tree: Tree, *rest: Tree) -> Tree:
    """Apply ``fn`` leaf by leaf to one or more trees of the same structure.

    Parameters
    ----------
    fn : callable
        Takes one array from each tree and returns an array.
    tree, *rest : tree
        Trees with the same nesting; NamedTuples keep their type.

    Raises
    ------
    ValueError
        If the trees do not have the same structure.
    """
    if _is_node(tree):
        for other in rest:
            if not _is_node(other) or len(other) != len(tree):
                raise ValueError(
                    "tree_map expected trees of the same structure: a tuple of "
                    f"{len(tree)} "
                    f"entries, got {type(other).__name__}"
                )
        children = [tree_map(fn, *parts) for parts in zip(tree, *rest, strict=True)]
        return _rebuild(tree, children)
    for other in rest:
        if _is_node(other):
            raise ValueError(
                "tree_map expected trees of the same structure: an array, got a tuple"
            )
    return fn(tree, *rest)


def inner(a: Tree, b: Tree) -> float:
    r"""Inner product :math:`\langle a, b\rangle` of two points of the same space.

    For arrays this is :math:`\sum_k a_k b_k` (so :math:`\operatorname{tr}(A B^T)` for
    matrices); for tuples it is the sum over the entries (thesis section 2.1, direct
    products).

    Raises
    ------
    ValueError
        If the two points do not have the same structure and shapes, or an entry is
        not finite.
    TypeError
        If an array is not of real numbers (booleans, complex numbers, strings).

    Examples
    --------
    The Frobenius inner product of two matrices, and that of a direct product, the sum
    over its components:

    >>> import numpy as np
    >>> from adjnets import inner
    >>> A, B = np.array([[1.0, 2.0], [3.0, 4.0]]), np.eye(2)
    >>> inner(A, B)  # tr(A B^T)
    5.0
    >>> inner((A, np.ones(3)), (B, np.ones(3)))
    8.0
    """
    pa, pb = leaves(a), leaves(b)
    if len(pa) != len(pb):
        raise ValueError(
            f"inner expected two points of one space, got {len(pa)} and {len(pb)} "
            "arrays"
        )
    total = 0.0
    for x, y in zip(pa, pb, strict=True):
        # integers become float64 here: an int64 dot product would overflow silently
        x = validation.as_float_array("a", x, "inner")
        y = validation.as_float_array("b", y, "inner")
        if x.shape != y.shape:
            raise ValueError(
                f"inner expected a and b of one shape, got {x.shape} and {y.shape}"
            )
        total += float(np.vdot(x, y))
    return total


def norm(a: Tree) -> float:
    r"""The norm :math:`\lVert a\rVert = \sqrt{\langle a, a\rangle}` induced by
    :func:`inner`."""
    return float(np.sqrt(inner(a, a)))


def random_like(rng: np.random.Generator, tree: Tree) -> Tree:
    """A random point of the space ``tree`` lives in: standard normal float64 entries.

    Parameters
    ----------
    rng : numpy.random.Generator
        Source of randomness, e.g. ``numpy.random.default_rng(0)``.
    tree : tree
        Any point of the space; only its structure and shapes are used.

    Raises
    ------
    TypeError
        If ``rng`` is neither a generator nor an integer seed (``None`` included).
    """
    rng = validation.generator(rng, "random_like")
    return tree_map(lambda leaf: rng.standard_normal(np.shape(leaf)), tree)


def sum_outer(a: Array, x: Array) -> Array:
    r""":math:`\sum_j a_j\otimes x_j = \sum_j a_j x_j^T`, summed over the leading axes
    of ``a``.

    This is how a parameter shared by a batch collects its adjoint: for a dense layer
    :math:`\nabla_W^*\cdot\Delta = \sum_j\delta_j x_j^T` over the points :math:`j` of
    the batch (and over time steps, for an RNN). ``a`` has shape (..., m) and ``x``
    (..., n); ``x`` may lack some leading axes of ``a`` (``K`` tangent directions in
    front of the batch, say), on which it does not depend, so ``a`` is summed over those
    first. One matrix product.

    A building block of the layers' adjoints, called inside their loops: it checks kinds
    and shapes (cheap), not finiteness (see :mod:`adjnets.validation`).

    Returns
    -------
    array, shape (m, n)

    Raises
    ------
    ValueError
        If ``a`` or ``x`` has no axis, or the leading axes of ``x`` do not match (or
        broadcast to) the last leading axes of ``a``.
    TypeError
        If ``a`` or ``x`` is not an array of real numbers.
    """
    a = validation.as_float_array("a", a, "sum_outer", finite=False)
    x = validation.as_float_array("x", x, "sum_outer", finite=False)
    if a.ndim and x.ndim and x.ndim <= a.ndim:
        if a.shape[a.ndim - x.ndim : -1] == x.shape[:-1]:
            a = sum_extra_leading(a, x.ndim)
        try:
            x = np.broadcast_to(x, a.shape[:-1] + x.shape[-1:])
        except ValueError:
            pass
        else:
            return a.reshape(-1, a.shape[-1]).T @ x.reshape(-1, x.shape[-1])
    raise ValueError(
        "sum_outer expected a of shape (..., m) and x of shape (..., n) whose leading "
        f"axes match the last leading axes of a, got shapes {a.shape} and {x.shape}"
    )


def sum_extra_leading(a: Array, ndim: int) -> Array:
    r"""``a`` summed over its leading axes beyond the last ``ndim``; if there are none,
    ``a`` itself (a view of the argument, not a copy: the callers only read it).

    A batch of :math:`K` tangent directions at :math:`N` points, shape (K, N, m),
    becomes the (N, m) array of the sums over :math:`k`: what a map that does not depend
    on :math:`k` sees of it through an adjoint.

    Raises
    ------
    ValueError
        If ``ndim`` is negative or larger than ``a.ndim``.
    TypeError
        If ``a`` is not an array of real numbers or ``ndim`` not an integer.
    """
    a = validation.as_float_array("a", a, "sum_extra_leading", finite=False)
    ndim = validation.positive_int("ndim", ndim, minimum=0, who="sum_extra_leading")
    if ndim > a.ndim:
        raise ValueError(
            f"sum_extra_leading expected ndim <= a.ndim = {a.ndim}, got {ndim}"
        )
    extra = a.ndim - ndim
    return a.reshape((-1, *a.shape[extra:])).sum(axis=0) if extra > 0 else a
