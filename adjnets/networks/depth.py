r"""How a back-propagated vector shrinks or grows through a deep network (thesis section
1.2.2).

The chain rule writes the derivative of :math:`F = f_L\circ\dots\circ f_1` as the
composition

.. math:: DF(x_1) = Df_L(x_L)\cdot\,\cdots\,\cdot Df_1(x_1), \qquad x_{i+1} = f_i(x_i),

so, by the reversing rule :math:`(L_2 L_1)^* = L_1^* L_2^*` of adjoints (thesis section
2.1), back-propagation applies the adjoints in the reverse order,

.. math:: D^*F(x_1)\cdot w = D^*f_1(x_1)\cdot\,\cdots\,\cdot D^*f_L(x_L)\cdot w .

The indexing is the thesis's (chapter 3): the input is :math:`x_1`, layer :math:`i` maps
:math:`x_i` to :math:`x_{i+1}`, and the error :math:`e_L` at the output is pulled back
by :math:`e_{i-1} = D^*f_i(x_i)\cdot e_i` (Theorem 3.2.5), so that
:math:`e_0 = D^*F(x_1)\cdot e_L`.

When every factor scales its argument by about :math:`\lambda`, the product scales it by
about :math:`\lambda^L`: it vanishes for :math:`|\lambda| < 1` and explodes for
:math:`|\lambda| > 1`.

This module builds the layers :math:`f_i(x) = \Psi(W_i x)` of a plain deep network
without biases and measures the back-propagated vector at every depth. The layer
derivative is the composition :math:`Df_i(x) = D\Psi(W_i x)\cdot W_i`, so its adjoint is
:math:`D^*f_i(x) = W_i^T\cdot D\Psi(W_i x)`, where
:math:`D\Psi(z)\cdot v = \Psi'(z)\odot v` is self-adjoint (thesis Proposition 2.4.1).
Hence

.. math:: \lVert D^*f_i(x)\cdot e\rVert \le \lVert W_i\rVert_2 \,
          \sup_t |\psi'(t)| \, \lVert e\rVert,

which for the sigmoid, with :math:`\sup_t\psi'(t) = 1/4`, is at most
:math:`\lVert W_i\rVert_2 / 4` per layer.

Batches follow the package's convention: the leading axis indexes the points of the
batch.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from adjnets import validation
from adjnets.calculus.elementwise import Elementwise
from adjnets.calculus.linear import LinearMap
from adjnets.calculus.spaces import Array


def random_weights(
    rng: np.random.Generator, width: int, depth: int, gain: float = 1.0
) -> list[Array]:
    r"""Square weight matrices with independent :math:`N(0, \text{gain}^2/\text{width})`
    entries.

    With this scaling,
    :math:`\mathbb{E}\,\lVert W^T e\rVert^2 = \text{gain}^2\,\lVert e\rVert^2` for a
    fixed vector :math:`e`. ``gain = 1`` is the usual choice for :math:`\tanh` and the
    sigmoid (LeCun/Glorot initialisation); ``gain = sqrt(2)`` compensates for the ReLU
    zeroing half of its inputs (He initialisation).

    Parameters
    ----------
    rng : numpy.random.Generator
        Source of randomness, e.g. ``numpy.random.default_rng(0)``.
    width : int
        :math:`n`, the side of each matrix.
    depth : int
        :math:`L`, the number of matrices.
    gain : float, optional
        The standard deviation of an entry times :math:`\sqrt{n}`; must be positive.

    Returns
    -------
    list of (width, width) float64 arrays
        :math:`W_1, \dots, W_L`.

    Raises
    ------
    TypeError
        If ``rng`` is not a generator or a seed, or ``width`` or ``depth`` is not an
        integer.
    ValueError
        If ``width`` or ``depth`` is below 1, or ``gain`` is not a finite number > 0.
    """
    who = "random_weights"
    rng = validation.generator(rng, who)
    width = validation.positive_int("width", width, who=who)
    depth = validation.positive_int("depth", depth, who=who)
    gain = validation.positive("gain", gain, who)
    scale = gain / np.sqrt(width)
    return [scale * rng.standard_normal((width, width)) for _ in range(depth)]


def _check_chain(
    weights: Sequence[Array], activation: Elementwise, x: Array, caller: str
) -> tuple[list[Array], Array]:
    """Validate a batch ``x`` of shape (N, n_1) and weights W_i of shapes (n_{i+1},
    n_i), all finite, and the activation."""
    if not isinstance(activation, Elementwise):
        raise TypeError(
            f"{caller} expected activation to be an Elementwise, got "
            f"{type(activation).__name__}"
        )
    if not isinstance(weights, list | tuple):
        raise TypeError(
            f"{caller} expected weights as a sequence of matrices, got "
            f"{type(weights).__name__}"
        )
    weights = [
        validation.as_float_array(f"weight W_{i}", W, caller)
        for i, W in enumerate(weights, 1)
    ]
    x = validation.as_float_array("x", x, caller)
    shapes = [W.shape for W in weights]
    if x.ndim != 2:
        raise ValueError(
            f"{caller} expected a batch x of shape (N, n_1) (leading axis: the batch), "
            f"got an array of shape {x.shape}"
        )
    n = x.shape[1]
    for i, W in enumerate(weights, start=1):
        if W.ndim != 2 or W.shape[1] != n:
            raise ValueError(
                f"{caller} expected weight W_{i} of shape (n_{i + 1}, {n}) to act on "
                "vectors "
                f"of size {n}, got weights of shapes {shapes}"
            )
        n = W.shape[0]
    return weights, x


def layer_derivatives(
    weights: Sequence[Array], activation: Elementwise, x: Array
) -> list[LinearMap]:
    r"""The layer derivatives :math:`Df_i(x_i) = D\Psi(W_i x_i)\cdot W_i` along a
    forward pass.

    The network is :math:`x_{i+1} = f_i(x_i) = \Psi(W_i x_i)` for
    :math:`i = 1, \dots, L`, starting from the input :math:`x_1`. Each returned map
    holds its adjoint :math:`D^*f_i(x_i) = W_i^T\cdot D\Psi(W_i x_i)`, built by the
    reversing rule of adjoints (thesis section 2.1) from the self-adjoint :math:`D\Psi`
    (Proposition 2.4.1).

    Parameters
    ----------
    weights : sequence of 2-d arrays
        :math:`W_1, \dots, W_L`, where :math:`W_i` has shape :math:`(n_{i+1}, n_i)`.
    activation : Elementwise
        :math:`\Psi`.
    x : (N, n_1) array
        A batch of inputs :math:`x_1` (leading axis: the batch).

    Returns
    -------
    list of LinearMap
        :math:`Df_1(x_1), \dots, Df_L(x_L)`, in forward order; each acts on batches, the
        :math:`i`-th from :math:`\mathbb{R}^{N\times n_i}` to
        :math:`\mathbb{R}^{N\times n_{i+1}}`.

    Raises
    ------
    ValueError
        If ``x`` is not 2-d, the weight shapes do not chain, or an entry is not
        finite.
    TypeError
        For arrays that are not real numbers or an ``activation`` that is not an
        Elementwise.
    """
    weights, x = _check_chain(weights, activation, x, "layer_derivatives")
    return _layer_derivatives(weights, activation, x)


def _layer_derivatives(
    weights: list[Array], activation: Elementwise, x: Array
) -> list[LinearMap]:
    maps = []
    for i, W in enumerate(weights, start=1):
        z = x @ W.T  # W_i x_i, for every point of the batch
        maps.append(activation.D(z) @ LinearMap.from_matrix(W, name=f"W{i}"))
        x = activation(z)  # x_{i+1}
    return maps


def backward_norms(
    weights: Sequence[Array], activation: Elementwise, x: Array, w: Array
) -> Array:
    r"""Relative norms of the vector back-propagated from the output to each depth.

    With :math:`e_L = w` and :math:`e_{i-1} = D^*f_i(x_i)\cdot e_i` (one step of
    back-propagation, thesis Theorem 3.2.5), returns
    :math:`\lVert e_i\rVert / \lVert e_L\rVert` for :math:`i = L, L-1, \dots, 0`, per
    point of the batch. The last one is
    :math:`\lVert D^*F(x_1)\cdot w\rVert / \lVert w\rVert`.

    Parameters
    ----------
    weights, activation, x
        As for :func:`layer_derivatives`.
    w : (N, n_{L+1}) array
        The output cotangents, one nonzero vector per point (for instance the error of a
        loss).

    Returns
    -------
    (L + 1, N) array
        Row ``k`` holds :math:`\lVert e_{L-k}\rVert/\lVert e_L\rVert`, the norm after
        ``k`` layers of back-propagation: row 0 is the output (all ones), the last row
        the input.

    Raises
    ------
    ValueError
        If the shapes do not chain (see :func:`layer_derivatives`), if ``w`` is not of
        shape ``(N, n_{L+1})``, if a row of ``w`` is zero, or for a non-finite entry.
    TypeError
        As :func:`layer_derivatives`.

    Examples
    --------
    >>> import numpy as np
    >>> from adjnets import identity
    >>> W = [2.0 * np.eye(3)] * 4  # four layers, each doubling its input
    >>> backward_norms(W, identity, np.ones((1, 3)), np.ones((1, 3)))[:, 0]
    array([ 1.,  2.,  4.,  8., 16.])
    """
    who = "backward_norms"
    weights, x = _check_chain(weights, activation, x, who)
    w = validation.as_float_array("w", w, who)
    out_dim = weights[-1].shape[0] if weights else x.shape[1]
    if w.shape != (x.shape[0], out_dim):
        raise ValueError(
            "backward_norms expected w of shape (N, n_(L+1)) = "
            f"{(x.shape[0], out_dim)}, "
            f"got {w.shape}"
        )
    start = np.linalg.norm(w, axis=1)
    if not np.all(start > 0):
        raise ValueError(
            "backward_norms expected a nonzero cotangent w for every point, got a "
            f"zero row at index {int(np.argmin(start > 0))}"
        )
    maps = _layer_derivatives(weights, activation, x)
    norms = [np.ones_like(start)]
    for Df in reversed(maps):
        w = Df.adj(w)  # e_{i-1} = D*f_i(x_i) . e_i
        norms.append(np.linalg.norm(w, axis=1) / start)
    return np.array(norms)
