r"""The validation layer: the checks of every argument at the package's public boundary.

Every public function and method of :mod:`adjnets` checks its arguments with these
functions, once, where they come in; nothing deeper re-checks them. A refusal is a
:class:`ValueError` (a value of the right kind but not allowed: a shape, a size, a
range, a non-finite entry) or a :class:`TypeError` (the wrong kind: a complex or boolean
array where real numbers are meant, ``None`` for a generator, a float for a width), and
its message always reads ``"<who> expected <argument> <what was expected>, got <what
came>"``.

The rules, the same everywhere:

* **Arrays.** Anything :func:`numpy.asarray` reads as a real integer or floating array
  is accepted, lists included, and converted once to float64. Booleans, complex
  numbers, strings and objects are refused (a boolean array as data is almost always a
  mistake; masks are the exception and say so).
* **Shapes** are compared with the space the layer or function declares: a batch is
  any number of leading axes followed by the shape of one point; parameters have
  exactly their declared shapes.
* **Sizes and hyper-parameters**: widths, counts and strides are Python or NumPy
  integers (not bools, not floats) in their range; step sizes, decays and the like are
  finite real numbers in theirs.
* **Non-finite values** (NaN, ``+inf``, ``-inf``) are refused at the boundary in
  inputs, targets, tangents and parameters, with the number of such entries and the
  index of the first. Inside, nothing is re-checked; a training loop checks the loss
  after every step and stops with :class:`NonFiniteLossError`, which names the step and
  the last finite loss, when it is no longer finite (the step size was too large for
  the problem, usually). The one exception is a masked-out target of a recurrent
  network: where the mask is 0 the target is never read, so it may be NaN.
"""

from __future__ import annotations

import numbers
from collections.abc import Callable
from typing import Any

import numpy as np
import numpy.typing as npt

Array = npt.NDArray[np.float64]


class NonFiniteLossError(ValueError):
    """A training loop's loss became NaN or infinite: the loop stops and says at which
    step, and what the last finite loss was."""


def _prefix(who: str) -> str:
    return f"{who} expected" if who else "expected"


def describe(value: object) -> str:
    """A short description of what came, for messages."""
    if isinstance(value, np.ndarray):
        return f"an array of shape {value.shape} and dtype {value.dtype}"
    if value is None:
        return "None"
    return f"{type(value).__name__} {value!r}"[:120]


# -- arrays ----------------------------------------------------------------------------


def as_float_array(
    name: str, value: object, who: str = "", *, finite: bool = True
) -> Array:
    """``value`` as a float64 array (no copy when it already is one).

    Raises TypeError unless NumPy reads ``value`` as real integers or floats (booleans,
    complex numbers, strings, objects and ragged lists are refused), and ValueError for
    a non-finite entry when ``finite``.
    """
    if isinstance(value, np.ndarray) and value.dtype == np.float64:
        a = value
    else:
        try:
            a = np.asarray(value)
        except ValueError as error:  # ragged nested lists
            raise TypeError(
                f"{_prefix(who)} {name} as an array of real numbers, got a sequence "
                f"NumPy cannot read as one ({error})"
            ) from None
        if a.dtype.kind == "b":
            raise TypeError(
                f"{_prefix(who)} {name} of real numbers (floating or integer), got "
                "booleans"
            )
        if a.dtype.kind not in "iuf":
            what = "complex numbers" if a.dtype.kind == "c" else f"dtype {a.dtype}"
            raise TypeError(
                f"{_prefix(who)} {name} of real numbers (floating or integer), "
                f"got {what}"
            )
        a = a.astype(np.float64, copy=False)
    if finite:
        all_finite(name, a, who)
    return a


def all_finite(name: str, a: Array, who: str = "") -> None:
    """ValueError unless every entry of ``a`` is finite; the message counts the
    non-finite entries and gives the first one and its index."""
    if np.isfinite(a).all():  # one pass; faster than a sum under np.errstate
        return
    bad = np.flatnonzero(~np.isfinite(a))
    if bad.size:
        where = tuple(int(i) for i in np.unravel_index(bad[0], a.shape))
        raise ValueError(
            f"{_prefix(who)} finite values in {name}, got {a.flat[bad[0]]} at index "
            f"{where} ({bad.size} non-finite entries of {a.size})"
        )


def shapes(tree: Any) -> Any:
    """The shapes of a tree's arrays, in the tree's structure (NamedTuples kept)."""
    if isinstance(tree, tuple):
        children = [shapes(t) for t in tree]
        return type(tree)(*children) if hasattr(tree, "_fields") else tuple(children)
    return np.shape(tree)


def _is_shape(node: Any) -> bool:
    return (
        isinstance(node, tuple)
        and all(isinstance(n, int | np.integer) for n in node)
        and not hasattr(node, "_fields")
    )


def batch(
    name: str,
    value: object,
    point: tuple[int, ...] | None,
    who: str = "",
    *,
    finite: bool = True,
    leading: int | None = None,
) -> Array:
    """``value`` as a float64 array of points of shape ``point``.

    ``point`` is the shape of one point (``None``: any shape); the array may have
    ``leading`` leading axes before it (``None``: any number, a batch of batches of
    tangents included).
    """
    a = as_float_array(name, value, who, finite=finite)
    if point is not None:
        point_shape(name, a.shape, point, who, leading=leading)
    return a


def point_shape(
    name: str,
    shape: tuple[int, ...],
    point: tuple[int, ...],
    who: str = "",
    *,
    leading: int | None = None,
) -> None:
    """ValueError unless ``shape`` is ``leading`` axes (any number if ``None``)
    followed by ``point``."""
    k = len(point)
    ok = len(shape) >= k and tuple(shape[len(shape) - k :]) == tuple(point)
    if ok and leading is not None:
        ok = len(shape) == k + leading
    if not ok:
        dims = ", ".join(str(d) for d in point)
        if leading is None:
            want = f"(..., {dims})" if dims else "(...)"
        elif leading == 0:
            want = str(tuple(point))
        else:
            axes = (
                "N" if leading == 1 else ", ".join(f"N{i + 1}" for i in range(leading))
            )
            want = f"({axes}{', ' if dims else ''}{dims})"
        raise ValueError(
            f"{_prefix(who)} {name} of shape {want}, got shape {tuple(shape)}"
        )


def tree_like(
    name: str,
    value: Any,
    like: Any,
    who: str = "",
    *,
    finite: bool = True,
    leading: int | None = 0,
) -> Any:
    """``value`` converted leaf by leaf with :func:`batch`, with the structure and the
    shapes of ``like`` (a tree of shapes, see :func:`shapes`).

    ``leading=0`` (parameters) asks for exactly the shapes of ``like``; ``None`` allows
    any leading axes on every leaf (a batch of states that are tuples).
    """
    if _is_shape(like):
        if isinstance(value, tuple) and not _is_shape_like_sequence(value):
            raise TypeError(f"{_prefix(who)} {name} as one array, got a tuple")
        return batch(name, value, like, who, finite=finite, leading=leading)
    if not isinstance(value, tuple) or len(value) != len(like):
        fields = getattr(like, "_fields", None)
        what = (
            f"a {type(like).__name__}{fields}" if fields else f"a tuple of {len(like)}"
        )
        raise TypeError(f"{_prefix(who)} {name} as {what}, got {describe(value)}")
    fields = getattr(like, "_fields", None) or [str(i) for i in range(len(like))]
    children = [
        tree_like(f"{name}.{f}", v, sub, who, finite=finite, leading=leading)
        for f, v, sub in zip(fields, value, like, strict=True)
    ]
    return type(value)(*children) if hasattr(value, "_fields") else tuple(children)


def _is_shape_like_sequence(value: tuple[Any, ...]) -> bool:
    # a tuple of numbers is data (np.asarray reads it), a tuple of arrays is a tree
    return all(isinstance(v, numbers.Real) for v in value)


def check_tree_shapes(
    name: str, value: Any, like: Any, who: str = "", *, leading: int | None = None
) -> None:
    """The shape part of :func:`tree_like` alone, without conversion or a finiteness
    pass: the cheap check of the vectors given to a linearization's maps."""
    if _is_shape(like):
        if isinstance(value, tuple):
            raise TypeError(f"{_prefix(who)} {name} as one array, got a tuple")
        point_shape(name, np.shape(value), like, who, leading=leading)
        return
    if not isinstance(value, tuple) or len(value) != len(like):
        raise TypeError(
            f"{_prefix(who)} {name} as a tuple of {len(like)}, got {describe(value)}"
        )
    fields = getattr(like, "_fields", None) or [str(i) for i in range(len(like))]
    for f, v, sub in zip(fields, value, like, strict=True):
        check_tree_shapes(f"{name}.{f}", v, sub, who, leading=leading)


def checked(
    fn: Callable[[Any], Any], name: str, like: Any, who: str, leading: int | None
) -> Callable[[Any], Any]:
    """``fn`` with its argument's shapes checked against ``like`` first."""

    def apply(v: Any) -> Any:
        check_tree_shapes(name, v, like, who, leading=leading)
        return fn(v)

    return apply


# -- numbers ---------------------------------------------------------------------------


def real(
    name: str,
    value: object,
    who: str = "",
    *,
    minimum: float | None = None,
    maximum: float | None = None,
    strict: bool = False,
    below: float | None = None,
) -> float:
    """``value`` as a finite ``float`` in range.

    ``minimum`` is inclusive unless ``strict``; ``maximum`` is inclusive, ``below``
    exclusive. TypeError for a bool or a non-real; ValueError for NaN, an infinity or a
    value out of range.
    """
    if isinstance(value, bool | np.bool_) or not isinstance(value, numbers.Real):
        raise TypeError(
            f"{_prefix(who)} {name} to be a real number, got {describe(value)}"
        )
    x = float(value)
    parts = []
    if minimum is not None:
        parts.append(f"{'>' if strict else '>='} {minimum:g}")
    if maximum is not None:
        parts.append(f"<= {maximum:g}")
    if below is not None:
        parts.append(f"< {below:g}")
    ok = np.isfinite(x)
    if ok and minimum is not None:
        ok = x > minimum if strict else x >= minimum
    if ok and maximum is not None:
        ok = x <= maximum
    if ok and below is not None:
        ok = x < below
    if not ok:
        rng = " and ".join(parts)
        raise ValueError(
            f"{_prefix(who)} {name} to be a finite number{' ' + rng if rng else ''}, "
            f"got {value!r}"
        )
    return x


def positive(name: str, value: object, who: str = "") -> float:
    """A finite real ``> 0`` (a step size, a learning rate)."""
    return real(name, value, who, minimum=0.0, strict=True)


def nonnegative(name: str, value: object, who: str = "") -> float:
    """A finite real ``>= 0`` (a weight decay, a penalty weight, a clip, an epsilon)."""
    return real(name, value, who, minimum=0.0)


def fraction(name: str, value: object, who: str = "") -> float:
    """A real in ``[0, 1)`` (a momentum, a decay rate of a moving average)."""
    return real(name, value, who, minimum=0.0, below=1.0)


def positive_int(name: str, value: object, minimum: int = 1, who: str = "") -> int:
    """``value`` as an ``int``: TypeError unless it is an integer (not a bool, not a
    float such as ``3.0``), ValueError unless it is ``>= minimum``."""
    if isinstance(value, bool | np.bool_) or not isinstance(value, numbers.Integral):
        raise TypeError(
            f"{_prefix(who)} {name} to be an integer >= {minimum}, "
            f"got {describe(value)}"
        )
    if value < minimum:
        raise ValueError(
            f"{_prefix(who)} {name} to be an integer >= {minimum}, got {value!r}"
        )
    return int(value)


def generator(rng: object, who: str = "", name: str = "rng") -> np.random.Generator:
    """``rng`` if it is a :class:`numpy.random.Generator`, else one seeded with it.

    A seed is a non-negative integer. ``None`` is refused (TypeError): it would seed
    from the operating system, and the result would change from run to run.
    """
    if isinstance(rng, np.random.Generator):
        return rng
    if isinstance(rng, bool | np.bool_) or not isinstance(rng, numbers.Integral):
        raise TypeError(
            f"{_prefix(who)} {name} to be a numpy.random.Generator or an integer "
            "seed (for results that do not change from run to run), "
            f"got {describe(rng)}"
        )
    if rng < 0:
        raise ValueError(f"{_prefix(who)} {name} seed to be >= 0, got {rng!r}")
    return np.random.default_rng(int(rng))


# -- labels and masks ------------------------------------------------------------------


def labels(
    name: str, value: object, who: str = "", n_classes: int | None = None
) -> npt.NDArray[np.int64]:
    """``value`` as a 1-d int64 array of class labels, in ``[0, n_classes)`` if given.

    Integer arrays and lists of ints only: booleans and floats are refused (TypeError;
    ``[]`` is a float array to NumPy, so no labels is ``np.array([], dtype=int)``).
    """
    try:
        a = np.asarray(value)
    except ValueError:
        a = np.asarray(value, dtype=object)
    if a.dtype.kind not in "iu":
        raise TypeError(
            f"{_prefix(who)} {name} as integer class labels, got "
            + ("booleans" if a.dtype.kind == "b" else f"dtype {a.dtype}")
            + (" (an empty list; use np.array([], dtype=int))" if a.size == 0 else "")
        )
    if a.ndim != 1:
        raise ValueError(f"{_prefix(who)} {name} as a 1-d array, got shape {a.shape}")
    if n_classes is not None and a.size and (a.min() < 0 or a.max() >= n_classes):
        bad = a[(a < 0) | (a >= n_classes)][0]
        raise ValueError(f"{_prefix(who)} {name} in [0, {n_classes}), got {int(bad)}")
    return a.astype(np.int64, copy=False)


def binary_mask(
    name: str, value: object, shape: tuple[int, ...], who: str
) -> npt.NDArray[np.float64]:
    """``value`` as a float array of 0s and 1s of ``shape`` (all ones if ``None``).

    Booleans count as 0 and 1; anything else (0.5, 2, -1, NaN, another shape, a
    non-numeric array) is a ValueError naming ``name``, the values allowed and what
    came.
    """
    if value is None:
        return np.ones(shape)
    m = np.asarray(value)
    if m.shape != shape:
        raise ValueError(f"{_prefix(who)} {name} of shape {shape}, got shape {m.shape}")
    if not any(np.issubdtype(m.dtype, t) for t in (np.bool_, np.integer, np.floating)):
        raise TypeError(
            f"{_prefix(who)} {name} of 0s and 1s (or booleans), got dtype {m.dtype}"
        )
    bad = np.flatnonzero((m != 0) & (m != 1))  # NaN is neither
    if bad.size:
        first = m.flat[bad[0]].item()
        where = tuple(int(i) for i in np.unravel_index(bad[0], shape))
        raise ValueError(
            f"{_prefix(who)} {name} with entries in {{0, 1}} (or booleans), got "
            f"{first!r} at index {where} ({bad.size} entries not 0 or 1)"
        )
    return m.astype(float)


# -- training --------------------------------------------------------------------------


def finite_loss(value: float, step: int, last: float | None, who: str) -> float:
    """``value`` if it is finite, else :class:`NonFiniteLossError` naming the step and
    the last finite loss."""
    if np.isfinite(value):
        return value
    before = (
        "no step was finite" if last is None else f"the last finite loss was {last:.6g}"
    )
    raise NonFiniteLossError(
        f"{who} expected a finite loss, got {value} at step {step} ({before}); it "
        "stopped there: the step size is probably too large for this problem"
    )


# -- objects ---------------------------------------------------------------------------


def instance(name: str, value: object, kind: type | tuple[type, ...], who: str) -> None:
    """TypeError unless ``value`` is an instance of ``kind`` (a linear map where one is
    meant, say)."""
    if not isinstance(value, kind):
        names = (
            " or ".join(k.__name__ for k in kind)
            if isinstance(kind, tuple)
            else kind.__name__
        )
        raise TypeError(f"{_prefix(who)} {name} to be a {names}, got {describe(value)}")


def function(name: str, value: object, who: str) -> None:
    """TypeError unless ``value`` is callable."""
    if not callable(value):
        raise TypeError(f"{_prefix(who)} {name} to be callable, got {describe(value)}")
