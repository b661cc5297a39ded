r"""Numerical checks used by every page and test of the book.

* :func:`assert_adjoint`: the defining identity of the adjoint,
  :math:`\langle w, L v\rangle = \langle L^* w, v\rangle`, at random points (no finite
  differences involved, so it holds to rounding error).
* :func:`central_difference` and :func:`assert_directional`: a derivative
  :math:`Df(x)\cdot v` against :math:`\bigl(f(x+hv) - f(x-hv)\bigr)/2h`, whose error is
  :math:`O(h^2)`.

Each check raises ``AssertionError`` with the measured error when it fails, and returns
that error when it passes, so a page can show it.

Examples
--------
The adjoint identity of a linear map, and a derivative against a central difference:

>>> import numpy as np
>>> from adjnets import LinearMap, assert_adjoint, assert_directional
>>> rng = np.random.default_rng(0)
>>> A = rng.standard_normal((3, 2))
>>> error = assert_adjoint(LinearMap.from_matrix(A), np.ones(2), np.ones(3))
>>> x, v = rng.standard_normal(2), rng.standard_normal(2)
>>> print(assert_directional(np.sin, np.cos(x) * v, x, v) < 1e-7)  # D sin(x)·v
True
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal

import numpy as np

from adjnets import validation
from adjnets.calculus.linear import LinearMap
from adjnets.calculus.spaces import Tree, inner, norm, random_like, tree_map

ADJOINT_RTOL = 1e-12
"""Default relative tolerance of the adjoint identity (float64)."""


def adjoint_error(L: LinearMap, v: Tree, w: Tree) -> float:
    r"""Relative mismatch of :math:`\langle w, Lv\rangle` and
    :math:`\langle L^*w, v\rangle`.

    The difference is divided by
    :math:`\lVert w\rVert\lVert Lv\rVert + \lVert L^*w\rVert\lVert v\rVert`, the size of
    the terms summed by the two inner products, so that the measure does not blow up
    when the inner product itself is close to zero.

    Raises
    ------
    TypeError
        If ``L`` is not a :class:`~adjnets.calculus.linear.LinearMap`, or ``v``,
        ``w`` not real arrays.
    ValueError
        If ``v`` or ``w`` has a non-finite entry, or ``L v`` and ``w`` (or ``L* w``
        and ``v``) differ in shape.
    """
    validation.instance("L", L, LinearMap, "adjoint_error")
    v = _point("v", v, "adjoint_error")
    w = _point("w", w, "adjoint_error")
    Lv, Ladj_w = L(v), L.adj(w)
    left, right = inner(w, Lv), inner(Ladj_w, v)
    scale = norm(w) * norm(Lv) + norm(Ladj_w) * norm(v)
    return abs(left - right) / scale if scale > 0 else abs(left - right)


def assert_adjoint(L: LinearMap, v: Tree, w: Tree, rtol: float = ADJOINT_RTOL) -> float:
    r"""Assert that ``L.adj`` is the adjoint of ``L``, at the points ``v`` and ``w``.

    The identity :math:`\langle w, Lv\rangle = \langle L^*w, v\rangle` must hold to
    relative ``rtol``.

    Parameters
    ----------
    L : LinearMap
    v, w : tree
        Points of the domain and the codomain of ``L``.
    rtol : float

    Returns
    -------
    float
        The relative error measured by :func:`adjoint_error`.

    Raises
    ------
    AssertionError
        If the relative error exceeds ``rtol``.
    ValueError, TypeError
        As :func:`adjoint_error`, or if ``rtol`` is not a positive finite number.

    Examples
    --------
    A matrix and its transpose pass; twice the transpose does not:

    >>> import numpy as np
    >>> from adjnets import LinearMap, assert_adjoint
    >>> rng = np.random.default_rng(0)
    >>> A = rng.standard_normal((3, 2))
    >>> L = LinearMap.from_matrix(A)  # L v = A v, L* w = A^T w
    >>> v, w = rng.standard_normal(2), rng.standard_normal(3)
    >>> print(assert_adjoint(L, v, w) < 1e-12)
    True
    >>> assert_adjoint(LinearMap(L, lambda w: 2 * w @ A, "B"), v, w)
    Traceback (most recent call last):
    ...
    AssertionError: adjoint identity fails for LinearMap(B): relative error ... > 1e-12
    """
    rtol = validation.positive("rtol", rtol, "assert_adjoint")
    err = adjoint_error(L, v, w)
    if not err <= rtol:
        raise AssertionError(
            f"adjoint identity fails for {L!r}: relative error {err:.3e} > {rtol:.0e}"
        )
    return err


def central_difference(
    f: Callable[[Tree], Tree], x: Tree, v: Tree, h: float = 1e-6
) -> Tree:
    r"""The central difference :math:`\bigl(f(x+hv) - f(x-hv)\bigr)/(2h)`.

    Raises
    ------
    ValueError
        If ``v`` does not have the structure and shapes of ``x``, an entry of either
        is not finite, or ``h`` is not a positive finite number.
    TypeError
        If ``f`` is not callable, or ``x``, ``v`` not (trees of) real arrays.
    """
    x, v, h = _direction(f, x, v, h, "central_difference")
    return _central_difference(f, x, v, h)


def _point(name: str, x: Tree, who: str) -> Tree:
    """A point (an array or a tree of them) as float64 arrays, finite."""
    return tree_map(lambda leaf: validation.as_float_array(name, leaf, who), x)


def _direction(
    f: object, x: Tree, v: Tree, h: object, who: str
) -> tuple[Tree, Tree, float]:
    """The arguments of a central difference, checked: ``f`` callable, ``x`` a point,
    ``v`` a point of the same space (same structure and shapes), ``h > 0``."""
    validation.function("f", f, who)
    x = _point("x", x, who)
    v = validation.tree_like("v", v, validation.shapes(x), who)
    return x, v, validation.positive("h", h, who)


def _central_difference(f: Callable[[Tree], Tree], x: Tree, v: Tree, h: float) -> Tree:
    plus = f(tree_map(lambda a, b: a + h * b, x, v))
    minus = f(tree_map(lambda a, b: a - h * b, x, v))
    return tree_map(lambda p, m: (p - m) / (2.0 * h), plus, minus)


def assert_directional(
    f: Callable[[Tree], Tree],
    derivative: Tree,
    x: Tree,
    v: Tree,
    rtol: float = 1e-7,
    h: float = 1e-6,
) -> float:
    r"""Assert that ``derivative`` equals :math:`Df(x)\cdot v`, against a central
    difference.

    Parameters
    ----------
    f : callable
    derivative : tree
        The claimed value of :math:`Df(x)\cdot v`.
    x, v : tree
        The point and the direction.
    rtol : float
        Tolerance on :math:`\lVert \text{derivative} - \text{difference}\rVert /
        \max(\lVert\text{difference}\rVert, \text{tiny})`.
    h : float
        Step of the central difference.

    Returns
    -------
    float
        The relative error.

    Raises
    ------
    AssertionError
        If the relative error exceeds ``rtol``.
    ValueError
        If ``derivative`` does not have the structure and shapes of :math:`f(x)`, an
        entry of ``derivative``, ``x`` or ``v`` is not finite, ``v`` is not shaped
        like ``x``, or ``rtol`` or ``h`` is not a positive finite number.
    TypeError
        If ``f`` is not callable or an array is not of real numbers.

    Examples
    --------
    The derivative of the softmax (Lemma 2.4.3) in a random direction:

    >>> import numpy as np
    >>> from adjnets import D_softmax, assert_directional, softmax
    >>> rng = np.random.default_rng(0)
    >>> x, v = rng.standard_normal(4), rng.standard_normal(4)
    >>> print(assert_directional(softmax, D_softmax(x)(v), x, v) < 1e-7)
    True
    """
    return _directional(f, derivative, x, v, rtol, h, "assert_directional")


def _directional(
    f: Callable[[Tree], Tree],
    derivative: Tree,
    x: Tree,
    v: Tree,
    rtol: float,
    h: float,
    who: str,
) -> float:
    x, v, h = _direction(f, x, v, h, who)
    rtol = validation.positive("rtol", rtol, who)
    fd = _central_difference(f, x, v, h)
    derivative = validation.tree_like(
        "derivative", derivative, validation.shapes(fd), who
    )
    diff = tree_map(np.subtract, derivative, fd)
    err = norm(diff) / max(norm(fd), np.finfo(float).tiny)
    if not err <= rtol:
        raise AssertionError(
            "directional derivative disagrees with the central difference: relative "
            "error "
            f"{err:.3e} > {rtol:.0e}"
        )
    return err


def assert_second_directional(
    f: Callable[[Tree], Tree],
    second: Tree,
    x: Tree,
    v1: Tree,
    v2: Tree,
    rtol: float = 1e-5,
    h: float = 1e-4,
) -> float:
    r"""Assert that ``second`` equals :math:`D^2f(x)\cdot(v_1, v_2)`, against nested
    central differences.

    The reference is the central difference along :math:`v_1` of the central difference
    along :math:`v_2`, whose error is :math:`O(h^2)`; rounding limits it to about
    :math:`\epsilon/h^2`, hence the larger default step and tolerance than
    :func:`assert_directional`.

    Raises
    ------
    AssertionError, ValueError, TypeError
        As :func:`assert_directional` (``v1`` and ``v2`` must be shaped like ``x``).
    """
    who = "assert_second_directional"
    x, v2, h = _direction(f, x, v2, h, who)

    def inner_fd(z: Tree) -> Tree:
        return _central_difference(f, z, v2, h)

    return _directional(inner_fd, second, x, v1, rtol, h, who)


def assert_gradient(
    f: Callable[[Tree], float],
    gradient: Tree,
    x: Tree,
    rng: np.random.Generator | int,
    rtol: float = 1e-7,
    h: float = 1e-6,
    relative_to: Literal["difference", "norms"] = "difference",
) -> float:
    r"""Assert that ``gradient`` is the gradient of the scalar function ``f`` at ``x``.

    Along a random direction :math:`v` (standard normal entries), compares
    :math:`\langle\nabla f(x), v\rangle` with the central difference
    :math:`\bigl(f(x+hv) - f(x-hv)\bigr)/2h`: the gradient, an element of the space of
    :math:`x` (Remark 3.2.3), must represent the derivative through the inner product.

    Parameters
    ----------
    f : callable
        A scalar function of a point ``x`` (an array or a tuple of arrays).
    gradient : tree
        The claimed gradient :math:`\nabla f(x)`, a point of the same space as ``x``.
    x : tree
        The point.
    rng : numpy.random.Generator or int
        Draws the direction :math:`v` (an integer is a seed).
    rtol, h : float
        The relative tolerance and the step of the central difference.
    relative_to : {"difference", "norms"}
        What the error is relative to: the central difference itself, or
        :math:`\lVert\nabla f(x)\rVert\lVert v\rVert` plus the rounding error of the
        difference, about :math:`100\epsilon|f(x)|/h`. The second does not blow up
        when :math:`v` happens to be almost orthogonal to the gradient (a property
        test that searches for a failing case finds such directions).

    Returns
    -------
    float
        The relative error.

    Raises
    ------
    AssertionError
        If the relative error exceeds ``rtol``.
    ValueError
        If ``gradient`` does not have the structure and shapes of ``x``, an entry of
        either is not finite, ``f(x)`` is not one finite number, ``rtol`` or ``h`` is
        not a positive finite number, or ``relative_to`` is not one of the above.
    TypeError
        If ``f`` is not callable, an array is not of real numbers, or ``rng`` is
        neither a generator nor a seed.

    Examples
    --------
    :math:`f(x) = \tfrac12\langle x, Ax\rangle` with a symmetric :math:`A` has the
    gradient :math:`Ax`; :math:`x` itself is not its gradient:

    >>> import numpy as np
    >>> from adjnets import assert_gradient
    >>> A = np.array([[2.0, 1.0], [1.0, 3.0]])
    >>> def f(x):
    ...     return 0.5 * x @ A @ x
    >>> x = np.array([1.0, -1.0])
    >>> print(assert_gradient(f, A @ x, x, np.random.default_rng(0)) < 1e-7)
    True
    >>> assert_gradient(f, x, x, np.random.default_rng(0))
    Traceback (most recent call last):
    ...
    AssertionError: gradient disagrees with the directional difference: ...
    """
    who = "assert_gradient"
    validation.function("f", f, who)
    x = _point("x", x, who)
    gradient = validation.tree_like("gradient", gradient, validation.shapes(x), who)
    rng = validation.generator(rng, who)
    rtol = validation.positive("rtol", rtol, who)
    h = validation.positive("h", h, who)
    if relative_to not in ("difference", "norms"):
        raise ValueError(
            f"{who} expected relative_to 'difference' or 'norms', got {relative_to!r}"
        )

    def scalar(z: Tree) -> float:
        value = np.asarray(f(z), dtype=float)
        if value.size != 1:
            raise ValueError(
                f"{who} expected f to return one number, got shape {value.shape}"
            )
        return float(value.reshape(()))

    v = random_like(rng, x)
    predicted = inner(gradient, v)
    fd = float(_central_difference(scalar, x, v, h))
    scale: float
    if relative_to == "norms":
        eps = np.finfo(float).eps
        scale = norm(gradient) * norm(v) + 100 * eps * abs(scalar(x)) / h
    else:
        scale = abs(fd)
    err = abs(predicted - fd) / max(scale, np.finfo(float).tiny)
    if not err <= rtol:
        raise AssertionError(
            "gradient disagrees with the directional difference: <grad, v> = "
            f"{predicted:.12g}, "
            f"difference {fd:.12g}, relative error {err:.3e} > {rtol:.0e}"
        )
    return err
