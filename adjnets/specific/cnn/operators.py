r"""The thesis's convolutional operators of section 4.2, literally (1-based indices).

Renderings of the definitions and results with the thesis's own indices and explicit
basis elements: :func:`kappa` and :func:`crop` (equations 4.12-4.13), :func:`embed`
(4.14), :func:`crop_adjoint` (Lemma 4.2.1), :func:`thesis_convolve` (4.15-4.16) and the
adjoints of Theorems 4.2.2 and 4.2.3, :func:`thesis_max`, :func:`window_argmax` and
:func:`max_derivative` (4.20, Lemma 4.2.4, Remark 4.2.5), :func:`gamma_prime` (Lemma
4.2.6) and :func:`thesis_pool` with its derivative and adjoint (4.19, Theorem 4.2.7).
They loop over pixels: they are for small inputs, for checks and for the book's pages.
The network uses the vectorised maps of :mod:`adjnets.specific.cnn.layers`, which the
tests check against these.

Layout: a feature map :math:`x_j\in\mathbb R^{n\times\ell}` is an array ``(n, l)``; a
multi-channel image is ``(n, l, m)``, channels last; filters are ``(p, q, m2)`` in the
thesis's form (one filter per output channel, shared by the input channels).
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from adjnets import validation
from adjnets.calculus.spaces import Array
from adjnets.pages.thesis import implements
from adjnets.specific.cnn.layers import _ints, conv_output_size

__all__ = [
    "crop",
    "crop_adjoint",
    "embed",
    "gamma",
    "gamma_prime",
    "kappa",
    "max_derivative",
    "thesis_convolve",
    "thesis_filter_adjoint",
    "thesis_input_adjoint",
    "thesis_max",
    "thesis_pool",
    "thesis_pool_adjoint",
    "thesis_pool_derivative",
    "window_argmax",
]


# -- literal renderings of the thesis's definitions (1-based indices, small inputs) ----


def _sizes(who: str, **sizes: object) -> tuple[int, ...]:
    """Each keyword argument as an int >= 1 (1-based indices and sizes)."""
    return tuple(validation.positive_int(k, v, 1, who) for k, v in sizes.items())


def _matrix(name: str, value: object, who: str) -> Array:
    a = validation.as_float_array(name, value, who)
    if a.ndim != 2 or a.size == 0:
        raise ValueError(f"{who} expected {name} as a nonempty matrix, got {a.shape}")
    return a


def _basis(shape: tuple[int, int], i: int, j: int) -> Array:
    r"""The standard basis element :math:`E_{i,j}` of :math:`\mathbb R^{n\times\ell}`
    (1-based)."""
    E = np.zeros(shape)
    E[i - 1, j - 1] = 1.0
    return E


def _check_window(
    size: tuple[int, int], window: tuple[int, int], k: int, l: int
) -> None:
    (n, ell), (p, q) = size, window
    if not (1 <= k <= n - p + 1 and 1 <= l <= ell - q + 1):
        raise ValueError(
            f"a {p}x{q} crop of a {n}x{ell} matrix expected k in [1, {n - p + 1}] and "
            f"l in [1, {ell - q + 1}], got (k, l) = ({k}, {l})"
        )


def kappa(x_j: Array, k: int, l: int, p: int, q: int) -> Array:
    r"""The crop :math:`\kappa_{k,l}(x_j)\in\mathbb R^{p\times q}` of one feature map
    (equation 4.13).

    .. math::
        \kappa_{k,l}(x_j) = \sum_{s=1}^p\sum_{t=1}^q \langle x_j,
        E_{k+s-1,\,l+t-1}\rangle\,
        \tilde E_{s,t},

    the :math:`p\times q` submatrix of :math:`x_j` whose top-left entry is
    :math:`(k, l)` (1-based), for :math:`k\in[n-p+1]`, :math:`l\in[\ell-q+1]`. Literal:
    it builds every basis element.

    Parameters
    ----------
    x_j : array, shape (n, l)
    k, l : int
        1-based index of the window's top-left entry.
    p, q : int
        The window's size.
    """
    x_j = validation.as_float_array("x_j", x_j, "kappa")
    if x_j.ndim != 2:
        raise ValueError(f"kappa expected a matrix (n, l), got shape {x_j.shape}")
    k, l, p, q = _sizes("kappa", k=k, l=l, p=p, q=q)
    _check_window(x_j.shape, (p, q), k, l)
    out = np.zeros((p, q))
    for s in range(1, p + 1):
        for t in range(1, q + 1):
            out += np.vdot(x_j, _basis(x_j.shape, k + s - 1, l + t - 1)) * _basis(
                (p, q), s, t
            )
    return out


def crop(x: Array, k: int, l: int, p: int, q: int) -> Array:
    r"""The cropping operator :math:`\mathcal K_{k,l}(x)\in\mathbb R^{p\times q}`
    (equation 4.12).

    .. math::

        \mathcal K_{k,l}\Bigl(\sum_{j=1}^{m_1} x_j\otimes e_j\Bigr)
        = \sum_{j=1}^{m_1}\kappa_{k,l}(x_j).

    Note the **sum over the input channels**: :math:`\mathcal K_{k,l}` maps
    :math:`\mathbb R^{n_1\times\ell_1}\otimes\mathbb R^{m_1}` to
    :math:`\mathbb R^{p\times q}`, so the thesis's convolution (4.16) applies one filter
    to all input channels alike.

    Parameters
    ----------
    x : array, shape (n1, l1, m1)
        One multi-channel image.
    """
    x = validation.as_float_array("x", x, "crop")
    if x.ndim != 3:
        raise ValueError(
            f"crop expected one image of shape (n, l, m), got shape {x.shape}"
        )
    k, l, p, q = _sizes("crop", k=k, l=l, p=p, q=q)
    return sum(
        (kappa(x[..., j], k, l, p, q) for j in range(x.shape[-1])),
        start=np.zeros((p, q)),
    )


def embed(y: Array, k: int, l: int, n: int, ell: int) -> Array:
    r"""The embedding operator :math:`\mathrm{Em}_{k,l}(y)\in\mathbb R^{n\times\ell}`
    (equation 4.14).

    .. math::

        \mathrm{Em}_{k,l}(y) = \sum_{s=1}^p\sum_{t=1}^q\langle y,
        \tilde E_{s,t}\rangle\, E_{k+s-1,\,l+t-1}:

    :math:`y\in\mathbb R^{p\times q}` placed into the zero :math:`n\times\ell` matrix
    with its top-left entry at :math:`(k, l)`; it is :math:`\kappa_{k,l}^*` (proof of
    Lemma 4.2.1).
    """
    y = validation.as_float_array("y", y, "embed")
    if y.ndim != 2:
        raise ValueError(f"embed expected a matrix (p, q), got shape {y.shape}")
    k, l, n, ell = _sizes("embed", k=k, l=l, n=n, ell=ell)
    p, q = y.shape
    _check_window((n, ell), (p, q), k, l)
    out = np.zeros((n, ell))
    for s in range(1, p + 1):
        for t in range(1, q + 1):
            out += np.vdot(y, _basis((p, q), s, t)) * _basis(
                (n, ell), k + s - 1, l + t - 1
            )
    return out


@implements("Lemma 4.2.1")
def crop_adjoint(y: Array, k: int, l: int, in_shape: tuple[int, int, int]) -> Array:
    r"""The adjoint of the cropping operator (Lemma 4.2.1).

    .. math:: \mathcal K_{k,l}^*(y) = \sum_{j=1}^{m_1}\mathrm{Em}_{k,l}(y)\otimes e_j:

    the same embedded matrix in every input channel, because :math:`\mathcal K_{k,l}`
    sums the channels' crops.

    Parameters
    ----------
    y : array, shape (p, q)
    k, l : int
        1-based window index.
    in_shape : (n1, l1, m1)
        The shape of :math:`\mathcal K_{k,l}`'s domain.

    Returns
    -------
    array, shape (n1, l1, m1)
    """
    n, ell, m = _ints(in_shape, "in_shape", 3, 1, "crop_adjoint")
    em = embed(y, k, l, n, ell)
    return sum(
        (np.multiply.outer(em, np.eye(m)[j]) for j in range(m)),
        start=np.zeros(in_shape),
    )


def gamma(k: int, l: int, delta: int) -> tuple[int, int]:
    r""":math:`\gamma(k, l, \Delta) = (1 + (k-1)\Delta,\ 1 + (l-1)\Delta)` (equation
    4.17), 1-based.

    The top-left entry of the :math:`(k, l)`-th window of a convolution (or pooling)
    with stride :math:`\Delta`.
    """
    k, l, delta = _sizes("gamma", k=k, l=l, delta=delta)
    return 1 + (k - 1) * delta, 1 + (l - 1) * delta


@implements("Lemma 4.2.6")
def gamma_prime(k: int, l: int, k_: int, l_: int, r: int) -> tuple[int, int]:
    r""":math:`\gamma'(k, l, k', l', r) = (k' + (k-1)r,\ l' + (l-1)r)` (equation 4.23),
    1-based.

    Lemma 4.2.6: entry :math:`(k', l')` of the crop
    :math:`\kappa_{\gamma(k,l,r)}(z)\in\mathbb R^{r\times r}` is entry
    :math:`\gamma'(k, l, k', l', r)` of :math:`z`,

    .. math:: \langle\kappa_{\gamma(k,l,r)}(z), \check E_{k',l'}\rangle
              = \langle z, \widehat E_{\gamma'(k,l,k',l',r)}\rangle,

    for every window :math:`(k, l)\in[n_2]\times[\ell_2]` and every
    :math:`(k', l')\in[r]\times[r]`: the map from (window, position in the window) to
    the position in the feature map that max-pooling uses to route its derivative
    (Theorem 4.2.7).
    """
    k, l, k_, l_, r = _sizes("gamma_prime", k=k, l=l, k_=k_, l_=l_, r=r)
    if k_ > r or l_ > r:
        raise ValueError(
            f"gamma_prime expected (k_, l_) in [r] x [r] = [{r}] x [{r}], got "
            f"({k_}, {l_})"
        )
    return k_ + (k - 1) * r, l_ + (l - 1) * r


def _check_thesis_conv(W: Array, x: Array, stride: int) -> tuple[int, int]:
    validation.positive_int("stride", stride, 1, "the thesis's convolution")
    if W.ndim != 3 or x.ndim != 3:
        raise ValueError(
            "the thesis's convolution expected filters (p, q, m2) and an image (n1, "
            "l1, m1), got "
            f"shapes {W.shape} and {x.shape}"
        )
    return conv_output_size(x.shape[0], W.shape[0], stride), conv_output_size(
        x.shape[1], W.shape[1], stride
    )


def thesis_convolve(W: Array, x: Array, stride: int = 1) -> Array:
    r"""The thesis's convolution :math:`\mathcal C(W, x)` (equations 4.15-4.17),
    literally.

    .. math::
        \mathcal C(W, x) = \sum_{j=1}^{m_2} c_j(W, x)\otimes\bar e_j, \qquad
        c_j(W, x) = \sum_{k=1}^{\hat n_1}\sum_{l=1}^{\hat\ell_1}
        \langle W_j, \mathcal K_{\gamma(k,l,\Delta)}(x)\rangle\,\widehat E_{k,l},

    with :math:`\hat n_1 = \lfloor(n_1-p)/\Delta\rfloor + 1` windows per column (and the
    same for rows): the windows that fit. (The thesis's footnote 4 says
    :math:`n_1 = \Delta\hat n_1`, which makes the last windows overrun the image
    whenever :math:`p > \Delta`.) Each filter :math:`W_j\in\mathbb R^{p\times q}` meets
    the *sum* of the input channels' crops, so this is
    :func:`~adjnets.specific.cnn.layers.convolve` with the filter
    :func:`~adjnets.specific.cnn.layers.thesis_filter` ``(W, m1)``.

    Parameters
    ----------
    W : array, shape (p, q, m2)
    x : array, shape (n1, l1, m1)
    stride : int
        :math:`\Delta`.

    Returns
    -------
    array, shape (n_hat, l_hat, m2)
    """
    W, x = (
        validation.as_float_array("W", W, "thesis_convolve"),
        validation.as_float_array("x", x, "thesis_convolve"),
    )
    nh, lh = _check_thesis_conv(W, x, stride)
    p, q, m2 = W.shape
    out = np.zeros((nh, lh, m2))
    for j in range(m2):
        for k in range(1, nh + 1):
            for l in range(1, lh + 1):
                out[..., j] += np.vdot(
                    W[..., j], crop(x, *gamma(k, l, stride), p, q)
                ) * _basis((nh, lh), k, l)
    return out


@implements("Theorem 4.2.2")
def thesis_filter_adjoint(
    x: Array, y: Array, kernel: tuple[int, int], stride: int = 1
) -> Array:
    r"""The filter adjoint :math:`(\mathcal C\llcorner x)^*\cdot y` of Theorem 4.2.2,
    literally.

    .. math::
        (\mathcal C\llcorner x)^*\cdot y = \sum_{j=1}^{m_2}\Bigl\{\sum_{k=1}^{\hat n_1}
        \sum_{l=1}^{\hat\ell_1}\langle y_j,\widehat E_{k,l}\rangle\,\mathcal
        K_{\gamma(k,l,\Delta)}(x)
        \Bigr\}\otimes\bar e_j,

    the gradient of :math:`U\mapsto\langle y, \mathcal C(U, x)\rangle` for the thesis's
    filters :math:`U\in\mathbb R^{p\times q}\otimes\mathbb R^{m_2}`.

    Parameters
    ----------
    x : array, shape (n1, l1, m1)
    y : array, shape (n_hat, l_hat, m2)
    kernel : (p, q)

    Returns
    -------
    array, shape (p, q, m2)
    """
    who = "thesis_filter_adjoint"
    x, y = (
        validation.as_float_array("x", x, who),
        validation.as_float_array("y", y, who),
    )
    p, q = _ints(kernel, "kernel", 2, 1, who)
    nh, lh = _check_thesis_conv(np.zeros((p, q, 1)), x, stride)
    if y.ndim != 3 or y.shape[:2] != (nh, lh):
        raise ValueError(
            f"thesis_filter_adjoint expected y of shape ({nh}, {lh}, m2), got {y.shape}"
        )
    out = np.zeros((p, q, y.shape[-1]))
    for j in range(y.shape[-1]):
        for k in range(1, nh + 1):
            for l in range(1, lh + 1):
                out[..., j] += np.vdot(y[..., j], _basis((nh, lh), k, l)) * crop(
                    x, *gamma(k, l, stride), p, q
                )
    return out


@implements("Theorem 4.2.3")
def thesis_input_adjoint(
    W: Array, z: Array, in_shape: tuple[int, int, int], stride: int = 1
) -> Array:
    r"""The input adjoint :math:`(W\lrcorner\mathcal C)^*\cdot z` of Theorem 4.2.3,
    literally.

    .. math::
        (W\lrcorner c_j)^*\cdot y = \sum_{k=1}^{\hat n_1}\sum_{l=1}^{\hat\ell_1}
        \langle y, \widehat E_{k,l}\rangle\,\mathcal K^*_{\gamma(k,l,\Delta)}(W_j),
        \qquad
        (W\lrcorner\mathcal C)^*\cdot z = \sum_{j=1}^{m_2}(W\lrcorner c_j)^*\cdot z_j,

    with :math:`\mathcal K^*` from Lemma 4.2.1 (:func:`crop_adjoint`).

    Parameters
    ----------
    W : array, shape (p, q, m2)
    z : array, shape (n_hat, l_hat, m2)
    in_shape : (n1, l1, m1)

    Returns
    -------
    array, shape (n1, l1, m1)
    """
    who = "thesis_input_adjoint"
    W, z = (
        validation.as_float_array("W", W, who),
        validation.as_float_array("z", z, who),
    )
    in_shape = _ints(in_shape, "in_shape", 3, 1, who)  # type: ignore[assignment]
    nh, lh = _check_thesis_conv(W, np.zeros(in_shape), stride)
    if z.ndim != 3 or z.shape != (nh, lh, W.shape[-1]):
        raise ValueError(
            f"thesis_input_adjoint expected z of shape {(nh, lh, W.shape[-1])}, got "
            f"{z.shape}"
        )
    out = np.zeros(in_shape)
    for j in range(W.shape[-1]):
        for k in range(1, nh + 1):
            for l in range(1, lh + 1):
                coefficient = np.vdot(z[..., j], _basis((nh, lh), k, l))
                out += coefficient * crop_adjoint(
                    W[..., j], *gamma(k, l, stride), in_shape
                )
    return out


def thesis_max(z: Array) -> float:
    r""":math:`\max(z) = \max_{(k,l)\in[r]\times[r]}\langle z, \check E_{k,l}\rangle`
    (equation 4.20)."""
    z = _matrix("z", z, "thesis_max")
    return max(
        float(np.vdot(z, _basis(z.shape, k, l)))
        for k in range(1, z.shape[0] + 1)
        for l in range(1, z.shape[1] + 1)
    )


@implements("Remark 4.2.5")
def window_argmax(z: Array) -> tuple[int, int]:
    r"""The maximiser :math:`(k^*, l^*)` of a window (Lemma 4.2.4), with a deterministic
    tie rule.

    Remark 4.2.5 lets ties be broken by averaging or at random, and the thesis picks a
    random maximiser. We take the **first maximiser in row-major order** (the smallest
    :math:`k^*`, then the smallest :math:`l^*`), so that every derivative is
    reproducible; it is also what ``numpy.argmax`` returns on the flattened window,
    which :class:`~adjnets.specific.cnn.layers.MaxPool2d` uses. The value of the max
    does not depend on the rule; only its derivative on a tie does (where the max is not
    differentiable). Returns 1-based indices.
    """
    z = _matrix("z", z, "window_argmax")
    best, where = -np.inf, None
    for k in range(1, z.shape[0] + 1):
        for l in range(1, z.shape[1] + 1):
            value = float(np.vdot(z, _basis(z.shape, k, l)))
            # strictly greater: the first maximiser stays
            if where is None or value > best:
                best, where = value, (k, l)
    if where is None:
        raise ValueError(f"window_argmax expected a nonempty window, got {z.shape}")
    return where


@implements("Lemma 4.2.4")
def max_derivative(z: Array, v: Array) -> float:
    r""":math:`D\max(z)\cdot v = \langle v, \check E_{k^*,l^*}\rangle` (Lemma 4.2.4,
    equation 4.21).

    :math:`(k^*, l^*)` is the maximiser of :math:`z` (:func:`window_argmax`; first in
    row-major order on ties, Remark 4.2.5), and the value returned is always
    :math:`v_{k^*,l^*}`, the entry of :math:`v` at that maximiser. Where the maximiser
    is unique this is the derivative. On a tie the max has no derivative: along
    :math:`v` its slope is :math:`\max_T v` to the right of :math:`t = 0` and
    :math:`\min_T v` to the left, :math:`T` the set of maximisers. The value returned
    lies between them, :math:`\min_T v\le v_{k^*,l^*}\le\max_T v`, but is in
    general neither: it is a one-sided slope only when the chosen entry happens to
    hold the largest (right) or the smallest (left) entry of :math:`v` over :math:`T`.

    Raises
    ------
    ValueError, TypeError
        Unless ``z`` and ``v`` are nonempty matrices of one shape of finite real
        numbers.
    """
    z = _matrix("z", z, "max_derivative")
    v = validation.batch("v", v, z.shape, "max_derivative", leading=0)
    return float(np.vdot(v, _basis(z.shape, *window_argmax(z))))


def _pool_sizes(y_j: Array, r: int) -> tuple[int, int]:
    r = validation.positive_int("r", r, 1, "the thesis's pooling")
    if np.ndim(y_j) != 2:
        raise ValueError(
            "the thesis's pooling expected a matrix (n_hat, l_hat), got shape "
            f"{np.shape(y_j)}"
        )
    n2, l2 = y_j.shape[0] // r, y_j.shape[1] // r
    if n2 < 1 or l2 < 1:
        raise ValueError(
            f"pooling with r = {r} expected a feature map of at least {r}x{r}, got "
            f"{y_j.shape}"
        )
    return n2, l2


def thesis_pool(y_j: Array, r: int) -> Array:
    r"""Max-pooling of one feature map, :math:`\phi(y_j)` (equation 4.19), literally.

    .. math::

        \phi(y_j) = \sum_{k=1}^{n_2}\sum_{l=1}^{\ell_2}
        \max\bigl(\kappa_{\gamma(k,l,r)}(y_j)\bigr)\,\bar E_{k,l},

    with :math:`\kappa_{\gamma(k,l,r)}(y_j)\in\mathbb R^{r\times r}` (the thesis's text
    after (4.19) gives its codomain as :math:`\mathbb R^{n_2\times\ell_2}`),
    :math:`n_2 = \lfloor\hat n_1/r\rfloor` and
    :math:`\ell_2 = \lfloor\hat\ell_1/r\rfloor`: rows and columns that do not fill a
    window are dropped. :math:`\Phi` (4.18) applies :math:`\phi` to each channel.
    """
    y_j = validation.as_float_array("y_j", y_j, "thesis_pool")
    n2, l2 = _pool_sizes(y_j, r)
    out = np.zeros((n2, l2))
    for k in range(1, n2 + 1):
        for l in range(1, l2 + 1):
            out += thesis_max(kappa(y_j, *gamma(k, l, r), r, r)) * _basis(
                (n2, l2), k, l
            )
    return out


def _pool_routes(y_j: Array, r: int) -> Iterator[tuple[int, int, tuple[int, int]]]:
    """For each window (k, l), 1-based, the position gamma'(k, l, k*, l*, r) of its
    maximiser."""
    n2, l2 = _pool_sizes(y_j, r)
    for k in range(1, n2 + 1):
        for l in range(1, l2 + 1):
            k_star, l_star = window_argmax(kappa(y_j, *gamma(k, l, r), r, r))
            yield k, l, gamma_prime(k, l, k_star, l_star, r)


@implements("Theorem 4.2.7")
def thesis_pool_derivative(y_j: Array, v_j: Array, r: int) -> Array:
    r""":math:`D\phi(y_j)\cdot v_j` (Theorem 4.2.7, equations 4.24-4.25), literally.

    .. math:: D\phi(y_j)\cdot v_j = \sum_{k=1}^{n_2}\sum_{l=1}^{\ell_2}
              \langle v_j, \widehat E_{\gamma'(k,l,k^*,l^*,r)}\rangle\,\bar E_{k,l},

    where :math:`(k^*, l^*)` maximises
    :math:`\langle y_j, \widehat E_{\gamma'(k,l,k',l',r)}\rangle` over
    :math:`(k', l')\in[r]\times[r]` (it depends on the window :math:`(k, l)`).
    """
    who = "thesis_pool_derivative"
    y_j = validation.as_float_array("y_j", y_j, who)
    v_j = validation.batch("v_j", v_j, y_j.shape, who, leading=0)
    shape = _pool_sizes(y_j, r)
    out = np.zeros(shape)
    for k, l, route in _pool_routes(y_j, r):
        out += np.vdot(v_j, _basis(y_j.shape, *route)) * _basis(shape, k, l)
    return out


@implements("Theorem 4.2.7")
def thesis_pool_adjoint(y_j: Array, z_j: Array, r: int) -> Array:
    r""":math:`D^*\phi(y_j)\cdot z_j` (Theorem 4.2.7, equation 4.26), literally.

    .. math:: D^*\phi(y_j)\cdot z_j = \sum_{k=1}^{n_2}\sum_{l=1}^{\ell_2}
              \langle z_j, \bar E_{k,l}\rangle\,\widehat E_{\gamma'(k,l,k^*,l^*,r)}:

    each window's cotangent goes to its maximiser; every other entry (and every dropped
    row or column) gets zero.
    """
    who = "thesis_pool_adjoint"
    y_j = validation.as_float_array("y_j", y_j, who)
    shape = _pool_sizes(y_j, r)
    z_j = validation.batch("z_j", z_j, shape, who, leading=0)
    out = np.zeros(y_j.shape)
    for k, l, route in _pool_routes(y_j, r):
        out += np.vdot(z_j, _basis(shape, k, l)) * _basis(y_j.shape, *route)
    return out
