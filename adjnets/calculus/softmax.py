r"""The softmax :math:`\sigma` and :math:`\operatorname{Log}\circ\sigma` (thesis section
2.4.3).

On a space :math:`E` with orthonormal basis :math:`\{e_k\}` and all-ones vector
:math:`\mathbf 1 = \sum_k e_k`,

.. math::

    \sigma(x) = \frac{\operatorname{Exp}(x)}{\langle \mathbf 1,
    \operatorname{Exp}(x)\rangle}.

Here :math:`E = \mathbb{R}^n` is the *last* axis of an array; any leading axes are a
batch, and every formula acts on each point of the batch separately (the map is
:math:`\operatorname{id}\otimes\sigma`). Both functions are computed stably for logits
of any size by shifting by the maximum, which changes neither.
"""

from __future__ import annotations

import numpy as np

from adjnets import validation
from adjnets.calculus.linear import LinearMap
from adjnets.calculus.spaces import Array
from adjnets.pages.thesis import implements


def _pointwise_inner(a: Array, b: Array) -> Array:
    """Inner products over the last axis, kept as a trailing axis of length 1."""
    out: Array = np.sum(a * b, axis=-1, keepdims=True)
    return out


def _logits(x: Array, who: str) -> Array:
    """``x`` as finite float64 logits with a last axis of at least one entry."""
    x = validation.as_float_array("x", x, who)
    if x.ndim == 0 or x.shape[-1] == 0:
        raise ValueError(
            f"{who} expected x of shape (..., n) with n >= 1, got shape {x.shape}"
        )
    return x


def softmax(x: Array) -> Array:
    r"""The softmax :math:`\sigma(x)` over the last axis, stable for logits of any size.

    Examples
    --------
    Each row becomes a probability vector, even for logits whose exponential overflows:

    >>> import numpy as np
    >>> from adjnets import softmax
    >>> p = softmax(np.array([[1.0, 2.0, 3.0], [1000.0, 1000.0, 1000.0]]))
    >>> p.round(3)
    array([[0.09 , 0.245, 0.665],
           [0.333, 0.333, 0.333]])
    >>> p.sum(axis=-1)
    array([1., 1.])

    Raises
    ------
    ValueError
        If ``x`` has no axis, an empty last axis or a non-finite entry (``+inf`` or a
        row of ``-inf`` has no softmax).
    TypeError
        If ``x`` is not an array of real numbers.
    """
    return _softmax(_logits(x, "softmax"))


def _softmax(x: Array) -> Array:
    e = np.exp(x - np.max(x, axis=-1, keepdims=True))
    out: Array = e / np.sum(e, axis=-1, keepdims=True)
    return out


def log_softmax(x: Array) -> Array:
    r""":math:`(\operatorname{Log}\circ\sigma)(x)
    = x - \log\langle\mathbf 1, \operatorname{Exp}(x)\rangle`,
    stably.

    Raises
    ------
    ValueError, TypeError
        As :func:`softmax`.
    """
    x = _logits(x, "log_softmax")
    shifted = x - np.max(x, axis=-1, keepdims=True)
    out: Array = shifted - np.log(np.sum(np.exp(shifted), axis=-1, keepdims=True))
    return out


@implements("Lemma 2.4.3")
def D_softmax(x: Array) -> LinearMap:
    r"""The derivative of the softmax at ``x``, a self-adjoint linear map.

    :math:`D\sigma(x)\cdot v
    = \sigma(x)\odot v - \langle\sigma(x), v\rangle\,\sigma(x)`,
    Lemma 2.4.3 of the thesis.

    Examples
    --------
    The derivative is self-adjoint, and agrees with a central difference of
    :func:`softmax`:

    >>> import numpy as np
    >>> from adjnets import D_softmax, assert_adjoint, assert_directional, softmax
    >>> rng = np.random.default_rng(0)
    >>> x, v, w = rng.standard_normal((3, 4))
    >>> D = D_softmax(x)
    >>> print(np.isclose(D(v) @ w, v @ D(w)), assert_adjoint(D, v, w) < 1e-12)
    True True
    >>> print(assert_directional(softmax, D(v), x, v) < 1e-7)
    True

    The map checks that its argument ends with the shape of ``x``.

    Raises
    ------
    ValueError, TypeError
        As :func:`softmax`.
    """
    s = _softmax(_logits(x, "D_softmax"))

    def apply(v: Array) -> Array:
        return s * v - _pointwise_inner(s, v) * s

    return LinearMap(
        validation.checked(apply, "v", s.shape, "Dσ(x)", None),
        validation.checked(apply, "w", s.shape, "Dσ(x)*", None),
        "Dσ(x)",
    )


@implements("Lemma 2.4.4")
def D_log_softmax(x: Array) -> LinearMap:
    r"""The derivative of :math:`\operatorname{Log}\circ\sigma` and its adjoint.

    :math:`D(\operatorname{Log}\circ\sigma)(x)\cdot v
    = v - \langle\sigma(x), v\rangle\mathbf 1`
    and, by Lemma 2.4.4 of the thesis,
    :math:`D^*(\operatorname{Log}\circ\sigma)(x)\cdot w
    = w - \langle\mathbf 1, w\rangle\,\sigma(x)`.

    The map checks that its argument ends with the shape of ``x``.

    Raises
    ------
    ValueError, TypeError
        As :func:`softmax`.
    """
    s = _softmax(_logits(x, "D_log_softmax"))
    who = "D(Log∘σ)(x)"
    return LinearMap(
        validation.checked(
            lambda v: v - _pointwise_inner(s, v), "v", s.shape, who, None
        ),
        validation.checked(
            lambda w: w - np.sum(w, axis=-1, keepdims=True) * s,
            "w",
            s.shape,
            who + "*",
            None,
        ),
        who,
    )
