r"""The book's forward maps written independently in JAX, to check ``adjnets`` against
automatic differentiation.

Only *forward* maps are written here, from their formulas (not from ``adjnets``): the
dense layer :math:`\Psi(Wx + b)` and networks of them (thesis section 4.1), the
convolution, max-pooling and CNN (section 4.2), the tied deep auto-encoder (section 4.3)
and the vanilla RNN (section 5.2). Every derivative compared with ``adjnets`` then comes
from JAX's automatic differentiation, in float64:

.. math::
    Df(x)\cdot v = \texttt{jax.jvp}(f, (x,), (v,))[1], \qquad
    D^*f(x)\cdot w = \texttt{jax.vjp}(f, x)[1](w)[0],

and the hooked second derivatives of thesis section 3.3 are JVPs of VJPs. The appendix
"The framework and automatic differentiation" of the book sets the two side by side; the
unit tests use the same maps.

This module imports JAX, an optional dependency (``pip install 'adjnets[jax]'``), so
``import adjnets`` does not import it: use ``from adjnets import autodiff``. Without
JAX, that import raises :class:`ModuleNotFoundError` naming the extra. Importing
it selects the CPU backend (``JAX_PLATFORMS=cpu``, unless the environment already chose
one) and turns on 64-bit floats (``jax_enable_x64``), both before any computation.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence

os.environ.setdefault("JAX_PLATFORMS", "cpu")

try:
    import jax
    import jax.numpy as jnp
except ImportError as error:  # JAX is the optional extra `jax`
    raise ModuleNotFoundError(
        "adjnets.autodiff needs JAX, an optional dependency of adjnets: "
        "pip install 'adjnets[jax]'",
        name=error.name,
    ) from error
import numpy as np

from adjnets.calculus.elementwise import Elementwise
from adjnets.calculus.maps import Layer
from adjnets.calculus.spaces import Tree
from adjnets.networks.layers import Dense, Then
from adjnets.networks.network import Network
from adjnets.specific.autoencoder import TiedAutoencoder
from adjnets.specific.cnn.layers import Conv2d, Flatten, MaxPool2d

jax.config.update(  # type: ignore[no-untyped-call]  # JAX does not annotate it
    "jax_enable_x64", True
)

__all__ = [
    "ELEMENTWISE",
    "apply_layer",
    "assert_close",
    "conv2d",
    "dense",
    "max_pool2d",
    "network",
    "rnn_states",
    "tied_autoencoder",
    "to_jax",
    "tuple_tree",
]

ELEMENTWISE: dict[str, Callable[[jax.Array], jax.Array]] = {
    "identity": lambda z: z,
    "sigmoid": jax.nn.sigmoid,
    "tanh": jnp.tanh,
    "relu": lambda z: jnp.maximum(z, 0.0),
    "softplus": jax.nn.softplus,
    "exp": jnp.exp,
    "log": jnp.log,
}
r"""The scalar functions :math:`\psi` of :mod:`adjnets.calculus.elementwise` in JAX, by
name."""


def _psi(name: str) -> Callable[[jax.Array], jax.Array]:
    """The JAX version of the elementwise function called ``name``."""
    try:
        return ELEMENTWISE[name]
    except KeyError:
        raise ValueError(
            f"autodiff expected an elementwise function among {sorted(ELEMENTWISE)}, "
            f"got {name!r}"
        ) from None


# -- chapter 4.1: dense layers and networks --------------------------------------------


def dense(layer: Dense, x: jax.Array, theta: Tree) -> jax.Array:
    r"""The dense layer :math:`f(x; W, b) = \Psi(Wx + b)` (thesis equation 4.1), in JAX.

    Parameters
    ----------
    layer : adjnets.networks.layers.Dense
        Gives :math:`\Psi` (``layer.activation``).
    x : array, shape (..., n)
        A point of :math:`\mathbb R^n`, or a batch of them along leading axes.
    theta : (W, b)
        :math:`W` of shape ``(m, n)`` and :math:`b` of shape ``(m,)``.

    Returns
    -------
    array, shape (..., m)
    """
    W, b = theta
    return _psi(layer.activation.name)(x @ W.T + b)


def conv2d(
    x: jax.Array,
    W: jax.Array,
    b: jax.Array,
    stride: int = 1,
    pad: tuple[int, int] = (0, 0),
) -> jax.Array:
    r"""The convolution layer :math:`\mathcal C(W, x) + b` (thesis equations 4.15,
    4.16), in JAX.

    The multi-channel cross-correlation
    :math:`\mathcal C(W, x)_{k,l,j}
    = \sum_{a,c,i} W_{a,c,i,j}\,x_{\Delta(k-1)+a,\,\Delta(l-1)+c,\,i}`
    with stride :math:`\Delta` and zero padding, plus the bias :math:`b_j` on every
    pixel of channel :math:`j`.

    Parameters
    ----------
    x : array, shape (N, n, l, m_in)
        A batch of images, channels last.
    W : array, shape (p, q, m_in, m_out)
    b : array, shape (m_out,)
    stride : int
    pad : (int, int)
        Zero padding of the rows and of the columns, the same on both sides.

    Returns
    -------
    array, shape (N, n_hat, l_hat, m_out)
    """
    ph, pw = pad
    out = jax.lax.conv_general_dilated(
        x,
        W,
        window_strides=(stride, stride),
        padding=[(ph, ph), (pw, pw)],
        dimension_numbers=("NHWC", "HWIO", "NHWC"),
        precision=jax.lax.Precision.HIGHEST,
    )
    return out + b


def max_pool2d(y: jax.Array, r: int) -> jax.Array:
    r"""Max-pooling over disjoint :math:`r\times r` windows (thesis equations 4.18 to
    4.20), in JAX.

    :math:`\Phi(y)_{k,l,j} = \max_{a,c < r} y_{rk+a,\,rl+c,\,j}` (0-based); the rows and
    columns that do not fill a window are dropped.

    Parameters
    ----------
    y : array, shape (N, n, l, m)
    r : int

    Returns
    -------
    array, shape (N, n // r, l // r, m)
    """
    N, n, ell, m = y.shape
    n2, l2 = n // r, ell // r
    return y[:, : n2 * r, : l2 * r, :].reshape(N, n2, r, l2, r, m).max(axis=(2, 4))


def apply_layer(layer: Layer, x: jax.Array, theta: Tree) -> jax.Array:
    r"""One layer :math:`f_i(x; \theta_i)` of an ``adjnets`` network, written in JAX.

    Supported: :class:`adjnets.networks.layers.Dense`,
    :class:`adjnets.specific.cnn.layers.Conv2d`, and
    :class:`adjnets.networks.layers.Then` of one of them followed by elementwise maps,
    :class:`adjnets.specific.cnn.layers.MaxPool2d` and
    :class:`adjnets.specific.cnn.layers.Flatten` (a CNN layer
    :math:`\Phi\circ\Psi\circ\mathcal C(W,\cdot)`, equation 4.28). Only the layer's
    hyperparameters are read from ``layer``; the map itself is this module's.

    Raises
    ------
    TypeError
        For a layer or a parameter-free map of another kind.
    """
    if isinstance(layer, Then):
        x = apply_layer(layer.first, x, theta)
        for g in layer.maps:
            if isinstance(g, MaxPool2d):
                x = max_pool2d(x, g.r)
            elif isinstance(g, Flatten):
                x = x.reshape((*x.shape[:-3], -1))
            elif isinstance(g, Elementwise):
                x = _psi(g.name)(x)
            else:
                raise TypeError(
                    "autodiff.apply_layer expected MaxPool2d, Flatten or Elementwise "
                    f"maps, got {g!r}"
                )
        return x
    if isinstance(layer, Dense):
        return dense(layer, x, theta)
    if isinstance(layer, Conv2d):
        return conv2d(x, theta[0], theta[1], layer.stride, layer.pad)
    raise TypeError(
        "autodiff.apply_layer expected a Dense, Conv2d or Then layer, got "
        f"{type(layer).__name__}"
    )


def network(
    net: Network,
    x: jax.Array,
    theta: Sequence[Tree],
    start: int = 1,
    stop: int | None = None,
) -> jax.Array:
    r"""The composition :math:`f_{\mathrm{stop}}\circ\dots\circ f_{\mathrm{start}}` of
    an ``adjnets`` network, in JAX.

    With the defaults this is :math:`F(x;\theta) = (f_L\circ\dots\circ f_1)(x)` (thesis
    equation 3.1); ``start = i`` gives the tail map :math:`\omega_i` (3.3), ``stop = i``
    the head map :math:`\alpha_i` (3.2). Layers are numbered from 1, as in the thesis.

    Parameters
    ----------
    net : adjnets.networks.network.Network
        A network of layers that :func:`apply_layer` supports (an MLP's ``network``, a
        CNN).
    x : array
        The input of layer ``start``.
    theta : tuple
        The parameters of all :math:`L` layers (``theta[i - 1]`` is :math:`\theta_i`).
    start, stop : int

    Raises
    ------
    ValueError
        If ``theta`` does not hold one parameter per layer, or
        ``1 <= start <= stop + 1 <= L + 1`` fails.
    """
    stop = net.L if stop is None else stop
    if len(theta) != net.L:
        raise ValueError(
            f"autodiff.network expected {net.L} layer parameters, got {len(theta)}"
        )
    if not 1 <= start <= stop + 1 <= net.L + 1:
        raise ValueError(
            f"autodiff.network expected 1 <= start <= stop + 1 <= {net.L + 1}, got "
            f"start={start}, stop={stop}"
        )
    for i in range(start, stop + 1):
        x = apply_layer(net.layers[i - 1], x, theta[i - 1])
    return x


# -- chapter 4.3: the tied deep auto-encoder -------------------------------------------


def tied_autoencoder(
    ae: TiedAutoencoder,
    taus: Sequence[Callable[[jax.Array], jax.Array]] | None,
    x: jax.Array,
    theta: Tree,
    start: int = 1,
    stop: int | None = None,
) -> jax.Array:
    r"""The deep auto-encoder with shared weights (thesis section 4.3), tied inside the
    map, in JAX.

    .. math::
        f_i(x_i) = \Psi_i(K_ix_i + b_i), \qquad
        K_i = \begin{cases} W_i, & i\le L,\\ \tau_i(W_{2L+1-i}), & i > L,\end{cases}

    (equations 4.34 to 4.37). Because the weights are tied *inside* the map,
    ``jax.grad`` adds the two contributions each :math:`W_i` receives by itself;
    ``adjnets`` instead differentiates the untied :math:`2L`-layer network and applies
    the adjoint of the sharing map (Lemma 4.3.2).

    Parameters
    ----------
    ae : adjnets.specific.autoencoder.TiedAutoencoder
        Gives :math:`L` and the activations :math:`\Psi_1, \dots, \Psi_{2L}`.
    taus : sequence of callables, or None
        :math:`\tau_{L+1}, \dots, \tau_{2L}` written in JAX (``taus[0]`` acts on
        :math:`W_L`); ``None`` for the transpose in every decoder layer.
    x : array, shape (..., n_1)
    theta : (Ws, bs)
        The free parameters, an :class:`adjnets.specific.autoencoder.TiedParams` or a
        plain pair.
    start, stop : int
        Layers ``start`` to ``stop`` of the :math:`2L` (1-based); all of them by
        default.

    Raises
    ------
    ValueError
        If ``taus`` does not hold :math:`L` maps.
    """
    Ws, bs = theta
    L = ae.L
    stop = 2 * L if stop is None else stop
    if taus is None:
        taus = [lambda W: W.T] * L
    if len(taus) != L:
        raise ValueError(
            f"autodiff.tied_autoencoder expected L = {L} maps tau, got {len(taus)}"
        )
    for i in range(start, stop + 1):
        K = Ws[i - 1] if i <= L else taus[i - L - 1](Ws[2 * L - i])
        x = _psi(ae.activations[i - 1].name)(x @ K.T + bs[i - 1])
    return x


# -- chapter 5.2: the vanilla RNN ------------------------------------------------------


def rnn_states(
    params: Tree, x: jax.Array, activation: str = "tanh", h0: jax.Array | None = None
) -> jax.Array:
    r"""The hidden states of the vanilla RNN (thesis equation 5.23), by ``jax.lax.scan``
    over time.

    .. math::

        h_i = \Psi(Wh_{i-1} + Ux_i + b), \qquad i = 1, \dots, L, \qquad h_0
        = 0 \text{ by default}.

    Parameters
    ----------
    params : ((W, U, b), zeta)
        An :class:`adjnets.recurrent.rnn.RNNParams`: the transition parameters
        :math:`\theta = (W, U, b)` and the prediction parameters :math:`\zeta`, which
        this map does not use.
    x : array, shape (N, L, n_x)
        A batch of :math:`N` sequences of length :math:`L`.
    activation : str
        The name of :math:`\Psi` (a key of :data:`ELEMENTWISE`).
    h0 : array, shape (N, n_h), optional

    Returns
    -------
    array, shape (N, L, n_h)
        :math:`h_1, \dots, h_L` along axis 1. The predictions
        :math:`\hat y_i = Vh_i + c` (5.24) are ``rnn_states(params, x) @ V.T + c``.

    Raises
    ------
    ValueError
        If ``x`` is not a batch of sequences with :math:`n_x` features.
    """
    (W, U, b), _ = params
    if np.ndim(x) != 3 or np.shape(x)[2] != np.shape(U)[1]:
        raise ValueError(
            "autodiff.rnn_states expected sequences of shape (N, L, "
            f"{np.shape(U)[1]}), got {np.shape(x)}"
        )
    psi = _psi(activation)
    h0 = jnp.zeros((x.shape[0], W.shape[0])) if h0 is None else h0

    def step(h: jax.Array, x_i: jax.Array) -> tuple[jax.Array, jax.Array]:
        h = psi(h @ W.T + x_i @ U.T + b)
        return h, h

    _, hs = jax.lax.scan(step, h0, jnp.swapaxes(x, 0, 1))  # scan over the time axis
    return jnp.swapaxes(hs, 0, 1)


# -- trees and comparison --------------------------------------------------------------


def to_jax(tree: Tree) -> Tree:
    r"""Arrays, and tuples of them, as JAX float64 arrays; NamedTuples become plain
    tuples.

    ``adjnets`` parameters are NamedTuples (``DenseParams(W, b)``) and tuples of them;
    JAX differentiates plain tuples, so :func:`jax.grad` of a function of
    ``to_jax(theta)`` returns a tree of the same nesting as ``theta`` (compare the two
    with :func:`assert_close`).
    """
    if isinstance(tree, tuple):
        return tuple(to_jax(t) for t in tree)
    return jnp.asarray(tree, dtype=jnp.float64)


def tuple_tree(tree: Tree) -> Tree:
    """NamedTuples as plain tuples, so that ``adjnets`` and JAX trees compare leaf by
    leaf."""
    if isinstance(tree, tuple):
        return tuple(tuple_tree(t) for t in tree)
    return tree


def assert_close(actual: Tree, expected: Tree, rtol: float = 1e-10) -> float:
    r"""Check :math:`\lVert a - e\rVert \le \mathrm{rtol}\,\lVert e\rVert` for two trees
    of arrays.

    The norm is that of the direct product (thesis section 2.1): the square root of the
    sum, over all leaves, of the squared Frobenius norms. One relative tolerance for the
    whole tree, so a parameter gradient passes or fails as one element of
    :math:`H_1\times\dots\times H_L`.

    Parameters
    ----------
    actual, expected : array or tuple (nested, NamedTuples allowed) of arrays
        ``adjnets`` results, JAX results or NumPy arrays, in any mix.
    rtol : float

    Returns
    -------
    float
        The relative error :math:`\lVert a - e\rVert / \lVert e\rVert` (0 when both are
        zero).

    Raises
    ------
    AssertionError
        If the trees have different numbers of leaves, two leaves have different shapes,
        or the relative error exceeds ``rtol``.
    """
    a = [
        np.asarray(x, dtype=float)
        for x in jax.tree_util.tree_leaves(tuple_tree(actual))
    ]
    b = [
        np.asarray(x, dtype=float)
        for x in jax.tree_util.tree_leaves(tuple_tree(expected))
    ]
    if len(a) != len(b):
        raise AssertionError(
            f"assert_close expected trees with as many arrays: {len(a)} arrays against "
            f"{len(b)}"
        )
    for i, (x, y) in enumerate(zip(a, b, strict=True)):
        if x.shape != y.shape:
            raise AssertionError(
                f"assert_close expected arrays of the same shape: leaf {i} has shape "
                f"{x.shape} against {y.shape}"
            )
    diff = np.sqrt(sum(float(np.sum((x - y) ** 2)) for x, y in zip(a, b, strict=True)))
    scale = np.sqrt(sum(float(np.sum(y**2)) for y in b))
    error = diff / scale if scale else (0.0 if diff == 0 else np.inf)
    if not diff <= rtol * scale:
        raise AssertionError(f"relative error {error:.3e} > {rtol:.0e}")
    return float(error)
