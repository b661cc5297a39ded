r"""The convolutional network of thesis section 4.2, vectorised: convolution, pooling,
the CNN layer.

Layout. A multi-channel image :math:`x\in\mathbb R^{n\times\ell}\otimes\mathbb R^{m}` is
an array of shape ``(..., n, l, m)``: channels **last**, in the order of the tensor
product, so that ``x[..., j]`` is the feature map :math:`x_j` of
:math:`x = \sum_j x_j\otimes e_j`. Leading axes are batch (and tangent) axes, as
everywhere in adjnets. A filter bank is an array ``(p, q, m1, m2)`` (a point of
:math:`\mathbb R^{p\times q}\otimes\mathbb R^{m_1}\otimes\mathbb R^{m_2}`).

The maps the network uses: :func:`crops` (every window at once, as a strided view),
:func:`convolve` and its two hook adjoints :func:`conv_input_adjoint` (the "transposed
convolution") and :func:`conv_filter_adjoint`, the layer :class:`Conv2d`, the state maps
:class:`MaxPool2d` and :class:`Flatten`, the CNN layer :func:`conv_layer` (equation
4.28) and the network builder :func:`cnn`. The literal renderings of the thesis's
definitions are in :mod:`adjnets.specific.cnn.operators`.

Two departures from the thesis, both generalisations that contain it as a special case:

* the thesis's cropping operator :math:`\mathcal K` *sums* the crops over input
  channels, so its convolution uses one :math:`p\times q` filter per output channel,
  shared by all input channels; :class:`Conv2d` is the standard convolution with one
  filter per pair of channels, and :func:`thesis_filter` embeds the thesis's filters
  into it;
* the thesis assumes that the sizes are divisible by the stride and the pooling size
  (its footnotes 4 and 5); here any sizes are allowed, with zero padding, the
  output-size rule :math:`\hat n = \lfloor (n + 2\,\mathrm{pad} - p)/\Delta\rfloor + 1`,
  and pooling that drops the rows and columns that do not fill a window.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar, NamedTuple, TypeVar

import numpy as np

from adjnets import validation
from adjnets.calculus.elementwise import Elementwise, identity, tanh
from adjnets.calculus.linear import BilinearMap, LinearMap
from adjnets.calculus.maps import Layer, Linearization, StateLinearization, StateMap
from adjnets.calculus.spaces import Array
from adjnets.networks.layers import Dense, Then
from adjnets.networks.network import Network
from adjnets.pages.thesis import implements

__all__ = [
    "Conv2d",
    "ConvParams",
    "Flatten",
    "MaxPool2d",
    "cnn",
    "conv_filter_adjoint",
    "conv_input_adjoint",
    "conv_layer",
    "conv_output_size",
    "convolution",
    "convolve",
    "crops",
    "thesis_filter",
]


# -- vectorised cropping and convolution -----------------------------------------------


def _pair(
    value: int | Sequence[int], name: str, minimum: int, who: str
) -> tuple[int, int]:
    """An integer >= ``minimum`` or a pair of them, as a pair (TypeError for floats,
    bools and None, ValueError below ``minimum`` or for another length)."""
    if isinstance(value, Sequence | np.ndarray):
        pair = tuple(value)
        if len(pair) != 2:
            raise ValueError(
                f"{who} expected {name} as an integer >= {minimum} or a pair of them, "
                f"got {value!r}"
            )
    else:
        pair = (value, value)
    a, b = (validation.positive_int(name, v, minimum, who) for v in pair)
    return a, b


def _ints(
    value: object, name: str, length: int, minimum: int, who: str
) -> tuple[int, ...]:
    """A tuple of ``length`` integers >= ``minimum`` (a shape or a size)."""
    if not isinstance(value, Sequence | np.ndarray) or len(value) != length:
        raise TypeError(
            f"{who} expected {name} as a tuple of {length} integers, got "
            f"{validation.describe(value)}"
        )
    return tuple(validation.positive_int(name, v, minimum, who) for v in value)


def conv_output_size(n: int, p: int, stride: int = 1, pad: int = 0) -> int:
    r"""The number of windows along one axis:
    :math:`\hat n = \lfloor(n + 2\,\mathrm{pad} - p)/\Delta\rfloor + 1`.

    Raises
    ------
    ValueError
        If the (padded) axis is shorter than the window, so that no window fits, or a
        size is out of range (``n, p, stride >= 1``, ``pad >= 0``).
    TypeError
        If a size is not an integer.
    """
    who = "conv_output_size"
    n = validation.positive_int("n", n, 1, who)
    p = validation.positive_int("p", p, 1, who)
    stride = validation.positive_int("stride", stride, 1, who)
    pad = validation.positive_int("pad", pad, 0, who)
    return _output_size(n, p, stride, pad)


def _output_size(n: int, p: int, stride: int, pad: int) -> int:
    if n + 2 * pad < p:
        raise ValueError(
            f"a window does not fit: expected an axis of length n with n + 2 pad >= p, "
            f"got n = {n}, pad = {pad}, p = {p}"
        )
    return (n + 2 * pad - p) // stride + 1


def _pad_spatial(x: Array, pad: tuple[int, int]) -> Array:
    """Zero padding of the two spatial axes (-3, -2) of ``x``."""
    if pad == (0, 0):
        return x
    widths = [(0, 0)] * (x.ndim - 3) + [(pad[0], pad[0]), (pad[1], pad[1]), (0, 0)]
    return np.pad(x, widths)


def crops(x: Array, kernel: int | tuple[int, int], stride: int = 1) -> Array:
    r"""Every window of a (batch of) multi-channel image(s) at once, as a strided view.

    ``crops(x, (p, q), stride)[..., k-1, l-1, :, :, j]`` is
    :math:`\kappa_{\gamma(k,l,\Delta)}(x_j)` (equation 4.13), so summing the last axis
    gives the thesis's :math:`\mathcal K_{\gamma(k,l,\Delta)}(x)` (4.12). Only windows
    that fit are kept: :math:`\hat n = \lfloor(n-p)/\Delta\rfloor + 1` of them per
    column. No data is copied (``numpy.lib.stride_tricks.sliding_window_view``, then a
    strided slice): the result is a read-only view of ``x`` (of a float copy of it if
    ``x`` is not float64). A view on purpose: the windows overlap, so a copy would hold
    about :math:`pq/\Delta^2` times the data. Writing into it raises; take
    ``np.array(crops(...))`` for a writable copy.

    Parameters
    ----------
    x : array, shape (..., n, l, m)
    kernel : int or (p, q)
    stride : int
        :math:`\Delta\ge 1`.

    Returns
    -------
    array, shape (..., n_hat, l_hat, p, q, m)

    Raises
    ------
    ValueError
        For images that are not ``(..., n, l, m)`` or smaller than the window, a
        kernel or stride below 1, or a non-finite entry.
    TypeError
        For a kernel or stride that is not an integer, or ``x`` not real numbers.
    """
    x = validation.as_float_array("x", x, "crops")
    p, q = _pair(kernel, "kernel", 1, "crops")
    stride = validation.positive_int("stride", stride, 1, "crops")
    return _crops(x, (p, q), stride, "crops")


def _crops(x: Array, kernel: tuple[int, int], stride: int, who: str) -> Array:
    p, q = kernel
    if x.ndim < 3:
        raise ValueError(
            f"{who} expected images of shape (..., n, l, m), got shape {x.shape}"
        )
    _output_size(x.shape[-3], p, stride, 0)  # raises if no window fits
    _output_size(x.shape[-2], q, stride, 0)
    # (..., n-p+1, l-q+1, m, p, q)
    windows = np.lib.stride_tricks.sliding_window_view(x, (p, q), axis=(-3, -2))
    return np.moveaxis(windows[..., ::stride, ::stride, :, :, :], -3, -1)


def convolve(
    W: Array, x: Array, stride: int = 1, pad: int | tuple[int, int] = 0
) -> Array:
    r"""The multi-channel convolution (a cross-correlation) :math:`\mathcal C(W, x)`,
    vectorised.

    .. math::
        \mathcal C(W, x)_{k,l,j} = \sum_{s=1}^{p}\sum_{t=1}^{q}\sum_{i=1}^{m_1}
        W_{s,t,i,j}\, x_{\gamma(k,l,\Delta) + (s-1, t-1),\, i}
        = \sum_i\langle W_{\cdot,\cdot,i,j}, \kappa_{\gamma(k,l,\Delta)}(x_i)\rangle,

    on the zero-padded image. It is bilinear in :math:`(W, x)`; the thesis's
    :math:`\mathcal C` (4.15-4.16) is the case :math:`W_{\cdot,\cdot,i,j} = W_j` for all
    :math:`i` (:func:`thesis_filter`).

    Parameters
    ----------
    W : array, shape (p, q, m1, m2)
    x : array, shape (..., n, l, m1)
    stride : int
    pad : int or (int, int)
        Zeros added on both sides of the rows (and of the columns).

    Returns
    -------
    array, shape (..., n_hat, l_hat, m2)
        :math:`\hat n = \lfloor(n + 2\,\mathrm{pad} - p)/\Delta\rfloor + 1`, and the
        same for :math:`\hat\ell`.

    Raises
    ------
    ValueError, TypeError
        For arrays of the wrong shapes or with non-finite entries, a stride below 1,
        a negative pad, or windows that do not fit (as :func:`crops`).
    """
    who = "convolve"
    W, x = (
        validation.as_float_array("W", W, who),
        validation.as_float_array("x", x, who),
    )
    stride = validation.positive_int("stride", stride, 1, who)
    pad2 = _pair(pad, "pad", 0, who)
    return _convolve(W, x, stride, pad2)


def _convolve(W: Array, x: Array, stride: int, pad: tuple[int, int]) -> Array:
    if W.ndim != 4 or x.ndim < 3 or x.shape[-1] != W.shape[2]:
        raise ValueError(
            "convolve expected filters (p, q, m1, m2) and images (..., n, l, m1) with "
            "the same m1, "
            f"got shapes {W.shape} and {x.shape}"
        )
    return np.tensordot(_windows(x, W.shape[:2], stride, pad, "convolve"), W, axes=3)


def _windows(
    x: Array,
    kernel: tuple[int, int],
    stride: int,
    pad: tuple[int, int],
    who: str,
) -> Array:
    r"""Every window of the zero-padded image(s), copied once into one contiguous array.

    The "im2col" matrix of :math:`x`, shape (..., n_hat, l_hat, p, q, m1):
    :math:`\mathcal C(W, x)` and the filter adjoint :math:`(\mathcal C\llcorner x)^*`
    are each one matrix product with it, so a layer that needs both at the same
    :math:`x` builds it once (:meth:`Conv2d.linearize`).
    """
    return np.ascontiguousarray(_crops(_pad_spatial(x, pad), kernel, stride, who))


@implements("Theorem 4.2.3")
def conv_input_adjoint(
    W: Array,
    z: Array,
    in_size: tuple[int, int],
    stride: int = 1,
    pad: int | tuple[int, int] = 0,
) -> Array:
    r"""The input adjoint :math:`(W\lrcorner\mathcal C)^*\cdot z`, the "transposed
    convolution" (Theorem 4.2.3).

    .. math::
        (W\lrcorner\mathcal C)^*\cdot z
        = \sum_{k,l}\sum_{j}\langle z_j, \widehat E_{k,l}\rangle\,
        \mathcal K^*_{\gamma(k,l,\Delta)}(W_{\cdot,\cdot,\cdot,j}),

    where now :math:`\mathcal K^*` embeds each input channel's filter in its own
    channel. It is computed by one loop over the :math:`p\times q` kernel offsets
    :math:`(s, t)`: offset :math:`(s, t)` of every window receives :math:`z\,W_{s,t}^T`
    at once, through a strided slice of the padded image; the padding is then cut off.
    Rows and columns that no window reaches (when :math:`\Delta` does not divide
    :math:`n + 2\,\mathrm{pad} - p`) get zero.

    Parameters
    ----------
    W : array, shape (p, q, m1, m2)
    z : array, shape (..., n_hat, l_hat, m2)
    in_size : (n, l)
        The spatial size of the input; it is not determined by ``z`` when the stride
        does not divide it.

    Returns
    -------
    array, shape (..., n, l, m1)

    Raises
    ------
    ValueError, TypeError
        For arrays of the wrong shapes or with non-finite entries, or sizes, a
        stride or a pad out of range or not integers.
    """
    who = "conv_input_adjoint"
    W, z = (
        validation.as_float_array("W", W, who),
        validation.as_float_array("z", z, who),
    )
    if W.ndim != 4:
        raise ValueError(
            f"{who} expected W of shape (p, q, m1, m2), got shape {W.shape}"
        )
    n, ell = _ints(in_size, "in_size", 2, 1, who)
    stride = validation.positive_int("stride", stride, 1, who)
    return _input_adjoint(W, z, (n, ell), stride, _pair(pad, "pad", 0, who))


def _input_adjoint(
    W: Array, z: Array, in_size: tuple[int, ...], stride: int, pad: tuple[int, int]
) -> Array:
    p, q, m1, m2 = W.shape
    (n, ell), (ph, pw) = in_size, pad
    nh, lh = _output_size(n, p, stride, ph), _output_size(ell, q, stride, pw)
    if z.ndim < 3 or z.shape[-3:] != (nh, lh, m2):
        raise ValueError(
            f"conv_input_adjoint expected z of shape (..., {nh}, {lh}, {m2}), got "
            f"{z.shape}"
        )
    lead = z.shape[:-3]
    out = np.zeros((*lead, n + 2 * ph, ell + 2 * pw, m1))
    rows, cols = stride * (nh - 1) + 1, stride * (lh - 1) + 1
    # one matrix product per offset, on z as one (points x m2) matrix (a stack of
    # small products, as z @ W[s, t].T would be, is slower)
    z2 = z.reshape(-1, m2)
    for s in range(p):
        for t in range(q):
            block = (z2 @ W[s, t].T).reshape(*lead, nh, lh, m1)
            out[..., s : s + rows : stride, t : t + cols : stride, :] += block
    return out[..., ph : ph + n, pw : pw + ell, :]


@implements("Theorem 4.2.2")
def conv_filter_adjoint(
    x: Array,
    z: Array,
    kernel: int | tuple[int, int],
    stride: int = 1,
    pad: int | tuple[int, int] = 0,
) -> Array:
    r"""The filter adjoint :math:`(\mathcal C\llcorner x)^*\cdot z`, the gradient in the
    filters (Theorem 4.2.2).

    .. math::
        (\mathcal C\llcorner x)^*\cdot z
        = \sum_{k,l}\sum_j\langle z_j,\widehat E_{k,l}\rangle\,
        \Bigl(\sum_i\kappa_{\gamma(k,l,\Delta)}(x_i)\otimes e_i\Bigr)\otimes\bar e_j,

    one tensor contraction of the windows (:func:`crops`) with :math:`z`. It sums over
    all leading axes (the parameter is shared by the batch); if ``z`` has more leading
    axes than ``x`` (a tangent axis :math:`K` in front), those are summed first, since
    :math:`x` does not depend on them. The thesis's version keeps only
    :math:`\sum_i\kappa(x_i)`, the sum over the last axis of this result
    (:func:`~adjnets.specific.cnn.operators.thesis_filter_adjoint`).

    Parameters
    ----------
    x : array, shape (..., n, l, m1)
    z : array, shape (K..., ..., n_hat, l_hat, m2)
    kernel : int or (p, q)

    Returns
    -------
    array, shape (p, q, m1, m2)

    Raises
    ------
    ValueError, TypeError
        For arrays of the wrong shapes or with non-finite entries, or a kernel, a
        stride or a pad out of range or not integers.
    """
    who = "conv_filter_adjoint"
    x, z = (
        validation.as_float_array("x", x, who),
        validation.as_float_array("z", z, who),
    )
    kernel2 = _pair(kernel, "kernel", 1, who)
    stride = validation.positive_int("stride", stride, 1, who)
    X = _windows(x, kernel2, stride, _pair(pad, "pad", 0, who), who)
    return _filter_adjoint_of_windows(X, z)


def _filter_adjoint_of_windows(X: Array, z: Array) -> Array:
    r""":func:`conv_filter_adjoint` from the windows ``X`` of :math:`x`
    (:func:`_windows`)."""
    if z.ndim < 3 or z.shape[-3:-1] != X.shape[-5:-3]:
        raise ValueError(
            f"conv_filter_adjoint expected z of shape (..., {X.shape[-5]}, "
            f"{X.shape[-4]}, m2), got {z.shape}"
        )
    extra = z.ndim - (X.ndim - 2)  # X has the two window axes (p, q) more than x
    if extra > 0:
        z = z.sum(axis=tuple(range(extra)))
    elif extra < 0:
        X = X.sum(axis=tuple(range(-extra)))
    if X.shape[:-3] != z.shape[:-1]:
        raise ValueError(
            f"conv_filter_adjoint expected the leading axes of x {X.shape[:-5]} and z "
            f"{z.shape[:-3]} to match"
        )
    lead = z.ndim - 1
    return np.tensordot(X, z, axes=(list(range(lead)), list(range(lead))))


def convolution(
    in_size: tuple[int, int],
    kernel: int | tuple[int, int],
    stride: int = 1,
    pad: int | tuple[int, int] = 0,
) -> BilinearMap:
    r"""The convolution :math:`\mathcal C(W, x)` as a bilinear map, with the adjoints of
    its two hooks.

    :math:`\mathcal C\in\mathcal L(\mathbb R^{p\times q}\otimes\mathbb
    R^{m_1}\otimes\mathbb R^{m_2},
    \mathbb R^{n\times\ell}\otimes\mathbb R^{m_1};\ \mathbb R^{\hat
    n\times\hat\ell}\otimes\mathbb R^{m_2})`:

    * ``left_hook(W)`` is :math:`(W\lrcorner\mathcal C): x\mapsto\mathcal C(W, x)`,
      whose adjoint is the transposed convolution :func:`conv_input_adjoint` (Theorem
      4.2.3), so :math:`D^*` of a layer;
    * ``right_hook(x)`` is :math:`(\mathcal C\llcorner x): W\mapsto\mathcal C(W, x)`,
      whose adjoint is :func:`conv_filter_adjoint` (Theorem 4.2.2), so :math:`\nabla^*`
      of a layer.

    Parameters
    ----------
    in_size : (n, l)
        Spatial size of the inputs (the input adjoint needs it).
    kernel : int or (p, q)
    stride, pad
        As in :func:`convolve`.

    Raises
    ------
    ValueError, TypeError
        For sizes, a kernel, a stride or a pad out of range or not integers (checked
        here, once; the maps check the shapes of what they are given).
    """
    who = "convolution"
    size = _ints(in_size, "in_size", 2, 1, who)
    kernel2 = _pair(kernel, "kernel", 1, who)
    stride = validation.positive_int("stride", stride, 1, who)
    pad2 = _pair(pad, "pad", 0, who)
    return _convolution(size, kernel2, stride, pad2)


def _convolution(
    in_size: tuple[int, ...],
    kernel: tuple[int, int],
    stride: int,
    pad: tuple[int, int],
) -> BilinearMap:
    return BilinearMap(
        lambda W, x: _convolve(W, np.asarray(x, dtype=float), stride, pad),
        lambda W, z: _input_adjoint(
            W, np.asarray(z, dtype=float), in_size, stride, pad
        ),
        lambda x, z: _filter_adjoint_of_windows(
            _windows(np.asarray(x, dtype=float), kernel, stride, pad, "convolution"),
            np.asarray(z, dtype=float),
        ),
        "C",
    )


def thesis_filter(W: Array, m_in: int) -> Array:
    r"""The general filter bank of the thesis's filters
    :math:`W = \sum_j W_j\otimes\bar e_j`.

    The thesis's cropping operator sums over input channels, so its
    :math:`c_j(W, x) = \sum_{k,l}\langle W_j,
    \sum_i\kappa_{\gamma(k,l,\Delta)}(x_i)\rangle\widehat E_{k,l}`
    is the standard convolution with the filter
    :math:`\sum_{i,j} W_j\otimes e_i\otimes\bar e_j`, the same :math:`W_j` for every
    input channel :math:`i`:
    ``thesis_convolve(W, x, stride) == convolve(thesis_filter(W, m1), x, stride)``. This
    map is linear; its adjoint sums the last-but-one axis, which turns
    :func:`conv_filter_adjoint` into
    :func:`~adjnets.specific.cnn.operators.thesis_filter_adjoint`.

    Parameters
    ----------
    W : array, shape (p, q, m2)
    m_in : int
        :math:`m_1`.

    Returns
    -------
    array, shape (p, q, m_in, m2)

    Raises
    ------
    ValueError, TypeError
        For filters not of shape ``(p, q, m2)`` or not finite real numbers, or an
        ``m_in`` that is not an integer >= 1.
    """
    W = validation.as_float_array("W", W, "thesis_filter")
    m_in = validation.positive_int("m_in", m_in, 1, "thesis_filter")
    if W.ndim != 3:
        raise ValueError(
            "thesis_filter expected the thesis's filters (p, q, m2), got shape "
            f"{W.shape}"
        )
    return np.repeat(W[:, :, None, :], m_in, axis=2)


# -- layers and state maps -------------------------------------------------------------


def _lead(a: Array, core: int) -> tuple[int, ...]:
    return np.shape(a)[: np.ndim(a) - core]


def _zero_bilinear(
    in_core: tuple[int, ...], out_core: tuple[int, ...], name: str
) -> BilinearMap:
    r"""The zero bilinear map :math:`E\times E\to F` (the second derivative of a
    piecewise linear map).

    Its values and hook adjoints are zeros shaped like the points they stand for, with
    the leading axes of the arguments broadcast.
    """

    def apply(v1: Array, v2: Array) -> Array:
        lead = np.broadcast_shapes(_lead(v1, len(in_core)), _lead(v2, len(in_core)))
        return np.zeros(lead + out_core)

    def adjoint(v: Array, w: Array) -> Array:
        lead = np.broadcast_shapes(_lead(v, len(in_core)), _lead(w, len(out_core)))
        return np.zeros(lead + in_core)

    return BilinearMap(apply, adjoint, adjoint, name)


class ConvParams(NamedTuple):
    r"""Parameters of a convolution layer: a point of
    :math:`(\mathbb R^{p\times q}\otimes\mathbb R^{m_1}\otimes\mathbb
    R^{m_2})\times\mathbb R^{m_2}`."""

    W: Array
    b: Array


@dataclass(frozen=True)
class Conv2d(Layer):
    r"""A multi-channel 2-d convolution layer with a bias (thesis section 4.2).

    The layer is :math:`h(x; W, b) = \mathcal C(W, x) + b` (equations 4.15-4.16, with
    a bias).

    :math:`\mathcal C` is the standard multi-channel cross-correlation
    (:func:`convolve`) with filters
    :math:`W\in\mathbb R^{p\times q}\otimes\mathbb R^{m_1}\otimes\mathbb R^{m_2}`,
    stride :math:`\Delta` and zero padding; the bias :math:`b\in\mathbb R^{m_2}` is
    added to every pixel of channel :math:`j`. The thesis's convolution is the special
    case whose filter is the same for every input channel
    (:math:`W_j\in\mathbb R^{p\times q}` only, because its cropping operator
    :math:`\mathcal K` sums the crops over channels): see :func:`thesis_filter`.

    Output size: an input ``(..., n, l, m_in)`` gives ``(..., n_hat, l_hat, m_out)``
    with

    .. math::

        \hat n = \Bigl\lfloor\frac{n + 2\,\mathrm{pad} - p}{\Delta}\Bigr\rfloor + 1,
              \qquad \hat\ell = \Bigl\lfloor\frac{\ell
              + 2\,\mathrm{pad} - q}{\Delta}\Bigr\rfloor + 1

    (a ``ValueError`` if no window fits). The thesis assumes :math:`\Delta` divides the
    sizes; otherwise the last rows and columns that no window reaches are ignored, as in
    every library.

    The layer is affine in :math:`x` and in :math:`(W, b)`, and :math:`\mathcal C` is
    bilinear, so (with the hooks of :func:`convolution`)

    .. math::
        Dh = (W\lrcorner\mathcal C),\quad
        D^*h = (W\lrcorner\mathcal C)^*\ \text{(Theorem 4.2.3)},

        \nabla h\cdot(U, c) = \mathcal C(U, x) + c,\quad
        \nabla^*h\cdot z = \bigl((\mathcal C\llcorner x)^* z,\
        \textstyle\sum_{k,l} z_{k,l}\bigr)\ \text{(Theorem 4.2.2)},

        D^2 h = 0, \qquad D\nabla h\cdot(v, (U, c)) = \mathcal C(U, v).

    Parameters
    ----------
    m_in, m_out : int
        :math:`m_1` and :math:`m_2`, the numbers of input and output channels.
    kernel : int or (p, q)
    stride : int
        :math:`\Delta\ge 1`.
    pad : int or (int, int)
        Zero padding, the same on both sides of an axis; a pair gives (rows, columns).

    Examples
    --------
    Four 3 x 3 filters on a batch of two 8 x 8 one-channel images; the derivatives in
    the input (Theorem 4.2.3) and in the filters (Theorem 4.2.2) pass the adjoint
    check:

    >>> import numpy as np
    >>> from adjnets import Conv2d, assert_adjoint, random_like
    >>> conv = Conv2d(1, 4, kernel=3)
    >>> rng = np.random.default_rng(0)
    >>> theta = conv.init(rng)  # ConvParams(W, b)
    >>> x = rng.standard_normal((2, 8, 8, 1))
    >>> theta.W.shape, conv(x, theta).shape
    ((3, 3, 1, 4), (2, 6, 6, 4))
    >>> lin = conv.linearize(x, theta)
    >>> v, u, w = random_like(rng, (x, theta, lin.output))
    >>> print(assert_adjoint(lin.D, v, w) < 1e-12)  # Df(x) = (W ⌟ C)
    True
    >>> print(assert_adjoint(lin.grad, u, w) < 1e-12)  # ∇f(x)·(U, c) = C(U, x) + c
    True
    """

    m_in: int
    m_out: int
    kernel: tuple[int, int]
    stride: int = 1
    pad: tuple[int, int] = (0, 0)

    def __init__(
        self,
        m_in: int,
        m_out: int,
        kernel: int | tuple[int, int],
        stride: int = 1,
        pad: int | tuple[int, int] = 0,
    ) -> None:
        for name, value in (("m_in", m_in), ("m_out", m_out), ("stride", stride)):
            object.__setattr__(
                self, name, validation.positive_int(name, value, 1, "Conv2d")
            )
        object.__setattr__(self, "kernel", _pair(kernel, "kernel", 1, "Conv2d"))
        object.__setattr__(self, "pad", _pair(pad, "pad", 0, "Conv2d"))

    @property
    def filter_shape(self) -> tuple[int, int, int, int]:
        """``(p, q, m_in, m_out)``."""
        return (*self.kernel, self.m_in, self.m_out)

    def output_shape(self, in_shape: tuple[int, int, int]) -> tuple[int, int, int]:
        r"""``(n_hat, l_hat, m_out)`` for one input of shape ``(n, l, m_in)``."""
        n, ell, m = _ints(in_shape, "in_shape", 3, 1, f"{self!r}.output_shape")
        if m != self.m_in:
            raise ValueError(f"{self!r} expected {self.m_in} input channels, got {m}")
        (p, q), (ph, pw) = self.kernel, self.pad
        return (
            _output_size(n, p, self.stride, ph),
            _output_size(ell, q, self.stride, pw),
            self.m_out,
        )

    def init(self, rng: np.random.Generator, gain: float = 1.0) -> ConvParams:
        r"""Filters :math:`N(0, \text{gain}^2/(p\,q\,m_1))`, zero biases."""
        p, q = self.kernel
        W = gain / np.sqrt(p * q * self.m_in) * rng.standard_normal(self.filter_shape)
        return ConvParams(W, np.zeros(self.m_out))

    def _check(self, x: Array) -> tuple[int, int, int]:
        """The output shape of one image: the geometry of ``x`` (its channels, and
        whether a window fits); :class:`~adjnets.calculus.maps.Layer` checked the rest.
        """
        if np.ndim(x) < 3 or np.shape(x)[-1] != self.m_in:
            raise ValueError(
                f"{self!r} expected images of shape (..., n, l, {self.m_in}), got "
                f"shape {np.shape(x)}"
            )
        return self.output_shape(np.shape(x)[-3:])

    def __call__(self, x: Array, theta: ConvParams) -> Array:
        self._check(x)
        return _convolve(theta.W, x, self.stride, self.pad) + theta.b

    def linearize(self, x: Array, theta: ConvParams) -> Linearization:
        out_core = self._check(x)
        W, b = theta
        in_core = x.shape[-3:]
        C = _convolution(in_core[:2], self.kernel, self.stride, self.pad)
        # shared by C(W, x) and its adjoint
        X = _windows(x, self.kernel, self.stride, self.pad, repr(self))
        output = np.tensordot(X, W, axes=3) + b

        def grad_adjoint(z: Array) -> ConvParams:
            return ConvParams(
                _filter_adjoint_of_windows(X, z), z.reshape(-1, self.m_out).sum(axis=0)
            )

        def dgrad_left_adjoint(v: Array, z: Array) -> ConvParams:
            return ConvParams(C.right_adjoint(v, z), np.zeros(self.m_out))

        return Linearization(
            output=output,
            D=C.left_hook(W),
            grad=LinearMap(lambda u: C(u.W, x) + u.b, grad_adjoint, "∇h(x)"),
            D2=_zero_bilinear(in_core, out_core, "D²h(x) = 0"),
            D_grad=BilinearMap(
                lambda v, u: C(u.W, v),
                dgrad_left_adjoint,
                lambda u, z: C.left_adjoint(u.W, z),
                "D∇h(x)",
            ),
        )

    def __repr__(self) -> str:
        return (
            f"Conv2d({self.m_in}, {self.m_out}, kernel={self.kernel}, "
            f"stride={self.stride}, pad={self.pad})"
        )


@dataclass(frozen=True)
class MaxPool2d(StateMap):
    r"""Max-pooling over disjoint square windows, channel by channel (thesis 4.2).

    The map :math:`\Phi` over :math:`r\times r` windows (equations 4.18-4.20;
    Theorem 4.2.7):

    .. math:: \Phi(y)_{k,l,j} = \max\bigl(\kappa_{\gamma(k,l,r)}(y_j)\bigr),

    windows with stride :math:`r`, channel by channel. An input ``(..., n, l, m)`` gives
    ``(..., n // r, l // r, m)``: when :math:`r` does not divide a size, the last rows
    (columns) that do not fill a window are **dropped**, as in most libraries; the
    derivative and its adjoint give them zero. (The thesis assumes :math:`r` divides the
    sizes, footnote 5.)

    Derivative (Lemma 4.2.4 and Theorem 4.2.7): :math:`D\Phi(y)` picks from each window
    of :math:`v` the entry at the window's maximiser :math:`\gamma'(k,l,k^*,l^*,r)` of
    :math:`y`, and :math:`D^*\Phi(y)` puts each window's cotangent back at that entry,
    with zeros elsewhere.

    Ties (Remark 4.2.5): the thesis picks a random maximiser; we pick the **first
    maximiser in row-major order** within the window (``numpy.argmax`` on the flattened
    window), so derivatives reproduce. JAX's own rule may differ on ties.

    Second derivative: max-pooling is piecewise linear, that is, the input space is
    covered by finitely many regions (one for each choice of maximiser in each window)
    on each of which :math:`\Phi` is linear. Wherever each window's maximiser is unique,
    :math:`y` lies inside one region, :math:`D\Phi` is locally constant and
    :math:`D^2\Phi(y) = 0`; on a tie :math:`\Phi` is not differentiable and neither
    derivative exists. We return :math:`D^2\Phi = 0` everywhere.

    Parameters
    ----------
    r : int
        The window size and stride; ``r = 1`` is the identity.

    Examples
    --------
    Each 2 x 2 window gives its maximum; the adjoint of the derivative puts each
    window's cotangent back where the maximum was:

    >>> import numpy as np
    >>> from adjnets import MaxPool2d
    >>> pool = MaxPool2d(2)
    >>> y = np.arange(16.0).reshape(1, 4, 4, 1)  # one 4 x 4 image, one channel
    >>> pool(y)[0, :, :, 0]
    array([[ 5.,  7.],
           [13., 15.]])
    >>> pool.linearize(y).D.adj(np.ones((1, 2, 2, 1)))[0, :, :, 0]
    array([[0., 0., 0., 0.],
           [0., 1., 0., 1.],
           [0., 0., 0., 0.],
           [0., 1., 0., 1.]])
    """

    r: int

    commutes_with_nondecreasing: ClassVar[bool] = True
    r"""The maximum of :math:`\psi(y_1), \dots, \psi(y_{r^2})` is
    :math:`\psi(\max_i y_i)` for a nondecreasing :math:`\psi` (the book's own
    Proposition P.1)."""

    def __post_init__(self) -> None:
        object.__setattr__(
            self, "r", validation.positive_int("r", self.r, 1, "MaxPool2d")
        )

    def _offsets(self, z: Array) -> list[Array]:
        r"""The :math:`r^2` entries of every window, one strided view each: view
        :math:`(i, j)` (row-major) holds entry :math:`(i, j)` of each window, shape
        (..., n // r, l // r, m). No copy is made."""
        if np.ndim(z) < 3 or np.shape(z)[-3] < self.r or np.shape(z)[-2] < self.r:
            raise ValueError(
                f"{self!r} expected feature maps of shape (..., n, l, m) with n, l >= "
                f"{self.r}, "
                f"got shape {np.shape(z)}"
            )
        r = self.r
        rows, cols = np.shape(z)[-3] // r * r, np.shape(z)[-2] // r * r
        return [z[..., i:rows:r, j:cols:r, :] for i in range(r) for j in range(r)]

    def __call__(self, z: Array) -> Array:
        views = self._offsets(np.asarray(z, dtype=float))
        pooled = views[0].copy()
        for view in views[1:]:
            np.maximum(pooled, view, out=pooled)
        return pooled

    @implements("Theorem 4.2.7", "Lemma 4.2.4", "Remark 4.2.5")
    def linearize(self, z: Array) -> StateLinearization:
        r"""Value, :math:`D\Phi(z)` (4.24), :math:`D^*\Phi(z)` (4.26-4.27) and
        :math:`D^2\Phi(z) = 0`.

        One pass over the :math:`r^2` window offsets (not over windows or pixels)
        finds every window's maximum and, with a strict comparison, its first
        maximiser in row-major order; :math:`D\Phi` and :math:`D^*\Phi` then read and
        write through one mask per offset."""
        r, in_core = self.r, z.shape[-3:]
        views = self._offsets(z)
        out = views[0].copy()
        which = np.zeros(out.shape, dtype=np.min_scalar_type(r * r - 1))
        for k, view in enumerate(views[1:], start=1):
            larger = view > out  # strict: an equal later entry is not the first
            np.copyto(out, view, where=larger)
            np.copyto(which, k, where=larger)
        # one True per window across the masks: where offset k is the maximiser
        masks = [which == k for k in range(r * r)]
        n2, l2, m = out.shape[-3:]

        rows, cols = n2 * r, l2 * r

        # the masks split every window's entries: each entry below is written once
        def apply(v: Array) -> Array:
            picked = np.empty((*np.shape(v)[:-3], n2, l2, m))
            for mask, view in zip(masks, self._offsets(v), strict=True):
                np.copyto(picked, view, where=mask)
            return picked

        def adjoint(w: Array) -> Array:
            routed = np.empty(w.shape[:-3] + in_core)
            for mask, view in zip(masks, self._offsets(routed), strict=True):
                np.multiply(w, mask, out=view)
            routed[..., rows:, :, :] = 0.0  # rows and columns no window reaches
            routed[..., :rows, cols:, :] = 0.0
            return routed

        return StateLinearization(
            output=out,
            D=LinearMap(apply, adjoint, "DΦ(z)"),
            D2=_zero_bilinear(in_core, (n2, l2, m), "D²Φ(z) = 0"),
        )

    def __repr__(self) -> str:
        return f"MaxPool2d({self.r})"


@dataclass(frozen=True)
class Flatten(StateMap):
    r"""The isometry
    :math:`\mathbb R^{n\times\ell}\otimes\mathbb R^{m}\to\mathbb R^{n\ell m}`:
    ``(..., n, l, m) -> (..., n*l*m)``.

    Row-major order (channels fastest). It maps the standard basis to the standard
    basis, so its adjoint is its inverse, the reshape back; :math:`D^2 = 0`. It joins
    the last convolution layer to the fully-connected final layer of a CNN (thesis
    section 4.2.2).

    The value, :math:`Df\cdot v` and :math:`D^*f\cdot w` are fresh arrays, never
    reshaped views of ``z``, ``v`` or ``w``: a copy is one pass over data that the
    dense layer after it reads anyway.
    """

    def __call__(self, z: Array) -> Array:
        if z.ndim < 3:
            raise ValueError(
                f"Flatten expected images of shape (..., n, l, m), got shape {z.shape}"
            )
        return z.reshape((*z.shape[:-3], -1)).copy()

    def linearize(self, z: Array) -> StateLinearization:
        out = self(z)
        in_core = np.shape(z)[-3:]
        size = out.shape[-1]

        def adjoint(w: Array) -> Array:
            return w.reshape(w.shape[:-1] + in_core).copy()

        return StateLinearization(
            output=out,
            D=LinearMap(
                lambda v: np.reshape(v, (*np.shape(v)[:-3], size)).copy(),
                adjoint,
                "D flatten",
            ),
            D2=_zero_bilinear(in_core, (size,), "D² flatten = 0"),
        )

    def __repr__(self) -> str:
        return "Flatten()"


# -- the CNN layer and network ---------------------------------------------------------


@implements("Theorem 4.2.8")
def conv_layer(
    m_in: int,
    m_out: int,
    kernel: int | tuple[int, int],
    activation: Elementwise,
    pool: int,
    stride: int = 1,
    pad: int | tuple[int, int] = 0,
) -> Then[Conv2d]:
    r"""A CNN layer: convolution, activation, then max-pooling (thesis section 4.2).

    The layer is :math:`f(x; W, b) = \Phi(\Psi(\mathcal C(W, x) + b))` (equations
    4.28-4.29, with a bias).

    A :class:`adjnets.networks.layers.Then` of :class:`Conv2d`, the activation
    :math:`\Psi` and :class:`MaxPool2d` (``pool = 1``: no pooling). Its derivatives are
    those of Theorem 4.2.8, assembled by the chain rules in ``Then``; with
    :math:`z = \mathcal C(W, x) + b`,

    .. math::
        Df(x) = D\Phi(\Psi(z))\cdot D\Psi(z)\cdot(W\lrcorner\mathcal C), \qquad
        \nabla_W f(x) = D\Phi(\Psi(z))\cdot D\Psi(z)\cdot(\mathcal C\llcorner x),

        D^*f(x) = (W\lrcorner\mathcal C)^*\cdot D\Psi(z)\cdot D^*\Phi(\Psi(z)), \qquad
        \nabla_W^*f(x) = (\mathcal C\llcorner x)^*\cdot D\Psi(z)\cdot D^*\Phi(\Psi(z)).

    For a nondecreasing activation (all of the package's), ``Then`` computes the same
    maps in the order :math:`\Psi\circ\Phi`, pooling first, so :math:`\Psi` and its
    derivatives act on the pooled entries only (the book's own Proposition P.1):
    :math:`D\Phi(\Psi(z))\cdot D\Psi(z) = D\Psi(\Phi(z))\cdot D\Phi(z)`.

    (The thesis's (4.30)-(4.33) print the two hooked maps the other way round:
    :math:`(W\lrcorner\mathcal C)` is a map of :math:`x` and belongs to :math:`Df`;
    :math:`(\mathcal C\llcorner x)` is a map of :math:`W` and belongs to
    :math:`\nabla_W f`, as in Theorems 4.2.2-4.2.3 and Algorithm 4.2.1.)

    Parameters
    ----------
    m_in, m_out, kernel, stride, pad
        As in :class:`Conv2d`.
    activation : Elementwise
        :math:`\Psi`.
    pool : int
        :math:`r`, the max-pooling window.

    Raises
    ------
    ValueError, TypeError
        For sizes out of range or not integers, or an activation that is not an
        Elementwise.

    Examples
    --------
    >>> import numpy as np
    >>> from adjnets import conv_layer, relu
    >>> layer = conv_layer(1, 4, kernel=3, activation=relu, pool=2)
    >>> rng = np.random.default_rng(0)
    >>> theta = layer.init(rng)
    >>> x = rng.standard_normal((2, 8, 8, 1))
    >>> layer(x, theta).shape  # 8 x 8 -> 6 x 6 (convolution) -> 3 x 3 (pooling)
    (2, 3, 3, 4)
    """
    pool = validation.positive_int("pool", pool, 1, "conv_layer")
    if not isinstance(activation, Elementwise):
        raise TypeError(
            "conv_layer expected activation to be an Elementwise, got "
            f"{type(activation).__name__}"
        )
    maps: tuple[StateMap, ...] = (
        (activation,) if pool == 1 else (activation, MaxPool2d(pool))
    )
    return Then(Conv2d(m_in, m_out, kernel, stride, pad), maps)


T = TypeVar("T")


def _per_layer(value: T | list[T], n: int, what: str) -> list[T]:
    """A list gives one value per convolution layer; anything else is used by every
    layer."""
    if isinstance(value, list):
        if len(value) != n:
            raise ValueError(
                f"cnn expected {n} {what} (one per convolution layer), got {len(value)}"
            )
        return value
    return [value] * n


@implements("Algorithm 4.2.1")
def cnn(
    in_shape: tuple[int, int, int],
    channels: Sequence[int],
    n_out: int,
    kernels: int | tuple[int, int] | list[int | tuple[int, int]] = 3,
    pools: int | list[int] = 2,
    activation: Elementwise | list[Elementwise] = tanh,
    strides: int | list[int] = 1,
    pads: int | tuple[int, int] | list[int | tuple[int, int]] = 0,
    output: Elementwise = identity,
) -> Network:
    r"""A small CNN: convolution layers (4.29), then a fully-connected final layer
    (thesis section 4.2.2).

    :math:`F = f_L\circ\dots\circ f_1` with
    :math:`f_i = \Phi_i\circ\Psi_i\circ\mathcal C_i(W_i,\cdot)` (:func:`conv_layer`) for
    :math:`i < L`, a :class:`Flatten` at the end of the last convolution layer, and a
    :class:`adjnets.networks.layers.Dense` final layer
    :math:`f_L(x) = \Psi_L(W_Lx + b_L)`. (The thesis makes its last layer "fully
    connected" by letting a filter cover its whole input; with its channel-shared
    filters that layer would only see the sum of the channels, so we use a dense layer.)
    The result is an :class:`adjnets.networks.network.Network`, so one step of Algorithm
    4.2.1 is :meth:`~adjnets.networks.network.Network.gradient_step`: its backward pass
    applies :math:`D^*f_{i+1} = (W_{i+1}\lrcorner\mathcal C_{i+1})^*\cdot
    D\Psi_{i+1}\cdot D^*\Phi_{i+1}` (line 13) and :math:`\nabla^*_{W_i}f_i =
    (\mathcal C_i\llcorner x_i)^*\cdot D\Psi_i\cdot D^*\Phi_i` (line 15).

    Parameters
    ----------
    in_shape : (n1, l1, m1)
        The shape of one input image.
    channels : sequence of int
        :math:`m_2, \dots`: the output channels of each convolution layer.
    n_out : int
        The size of the output.
    kernels, pools, strides, pads
        One value for all convolution layers, or a list of one per layer (a kernel or a
        pad may be a pair).
    activation : Elementwise or list of them
        :math:`\Psi_i` of the convolution layers.
    output : Elementwise
        :math:`\Psi_L` of the final dense layer; the identity for regression and for
        classification (where the loss applies the softmax).

    Examples
    --------
    A classifier of 8 x 8 images into 10 classes, and one step of Algorithm 4.2.1:

    >>> import numpy as np
    >>> from adjnets import cnn, cross_entropy, one_hot
    >>> net = cnn((8, 8, 1), channels=[4], n_out=10)  # conv 3 x 3, tanh, pool 2, dense
    >>> rng = np.random.default_rng(0)
    >>> theta = net.init(rng)
    >>> x, y = rng.uniform(size=(5, 8, 8, 1)), one_hot(np.arange(5), 10)
    >>> net(x, theta).shape
    (5, 10)
    >>> theta, before = net.gradient_step(x, y, theta, 0.1, cross_entropy)
    >>> after, _ = net.loss_and_gradient(x, y, theta, cross_entropy)
    >>> print(after < before)
    True

    Raises
    ------
    ValueError, TypeError
        For sizes, channels, kernels, pools, strides or pads out of range or not
        integers, lists of the wrong lengths, or windows that do not fit. The
        network refuses inputs of any other shape than ``in_shape``.
    """
    who = "cnn"
    in_shape = _ints(in_shape, "in_shape", 3, 1, who)  # type: ignore[assignment]
    n, ell, m = in_shape
    if not isinstance(channels, Sequence):
        raise TypeError(
            "cnn expected channels as a sequence of integers, got "
            f"{validation.describe(channels)}"
        )
    channels = [validation.positive_int("channels", c, 1, who) for c in channels]
    n_out = validation.positive_int("n_out", n_out, 1, who)
    if not channels:
        raise ValueError("cnn expected at least one convolution layer, got none")
    L = len(channels)
    kernels, pools = _per_layer(kernels, L, "kernels"), _per_layer(pools, L, "pools")
    strides, pads = _per_layer(strides, L, "strides"), _per_layer(pads, L, "pads")
    activations = _per_layer(activation, L, "activations")
    layers: list[Layer] = []
    for i, m_next in enumerate(channels):
        layer = conv_layer(
            m, m_next, kernels[i], activations[i], pools[i], strides[i], pads[i]
        )
        n, ell, m = layer.first.output_shape((n, ell, m))
        r = pools[i]
        if n < r or ell < r:
            raise ValueError(
                f"cnn: the pooling window {r} of layer {i + 1} does not fit its "
                f"{n}x{ell} feature maps"
            )
        n, ell = n // r, ell // r
        if i == L - 1:
            layer = Then(layer.first, (*layer.maps, Flatten()))
        layers.append(layer)
    layers.append(Dense(n * ell * m, n_out, output))
    return Network(layers, input_shape=in_shape)
