r"""scikit-learn's handwritten digits, and the tangent vectors of small image transformations.

The data: 1,797 grey images of 8 x 8 pixels, values 0 to 16, bundled with scikit-learn (nothing is
downloaded). :func:`load_digits` scales them to :math:`[0, 1]` and splits them, stratified by
class, with a stated seed.

Tangent vectors (for the higher-order loss of thesis section 3.3, in the spirit of Simard et al.,
1992): if :math:`T_t` is a family of image transformations with :math:`T_0 = \mathrm{id}`, the
tangent at an image :math:`x` is :math:`v = \frac{d}{dt}T_t(x)\big|_{t=0}`. For a translation by
:math:`t` pixels along an axis, :math:`v = -\partial x/\partial u` along that axis; for a rotation
by :math:`t` radians about the centre, :math:`v = u_1\,\partial_2 x - u_2\,\partial_1 x` with
centred pixel coordinates :math:`(u_1, u_2)`.
On 8 x 8 images the pixel differences are too rough, so the image is first smoothed with a
Gaussian (the usual remedy) and the derivatives are central differences of the smoothed image;
at the border of the frame they are one-sided, as if the image continued beyond it.
"""

from __future__ import annotations

import numpy as np

Array = np.ndarray


def load_digits(test_size: float = 0.2, seed: int = 0) -> tuple[Array, Array, Array, Array]:
    """The digits, scaled to [0, 1], split into training and test sets stratified by class.

    Returns
    -------
    x_train, x_test : arrays of shape (N, 8, 8)
    y_train, y_test : integer arrays of shape (N,)
    """
    from sklearn.datasets import load_digits as sk_load_digits
    from sklearn.model_selection import train_test_split

    if not 0.0 < test_size < 1.0:
        raise ValueError(f"load_digits expected 0 < test_size < 1, got {test_size}")
    data = sk_load_digits()
    images = data.images.astype(float) / 16.0
    x_train, x_test, y_train, y_test = train_test_split(
        images, data.target, test_size=test_size, random_state=seed, stratify=data.target
    )
    return x_train, x_test, y_train, y_test


def _gaussian_matrix(n: int, sigma: float) -> Array:
    """The n x n matrix of 1-d Gaussian smoothing with zero boundary, rows summing to 1 inside."""
    idx = np.arange(n)
    G = np.exp(-0.5 * ((idx[:, None] - idx[None, :]) / sigma) ** 2)
    return G / G.sum(axis=1, keepdims=True)


def smooth(images: Array, sigma: float = 0.9) -> Array:
    r"""Gaussian smoothing of a batch of images ``(..., n, l)``: :math:`G_1\,x\,G_2^T`."""
    images = np.asarray(images, dtype=float)
    if images.ndim < 2:
        raise ValueError(f"smooth expected images of shape (..., n, l), got {images.shape}")
    if sigma <= 0:
        raise ValueError(f"smooth expected sigma > 0, got {sigma}")
    n, l = images.shape[-2:]
    return _gaussian_matrix(n, sigma) @ images @ _gaussian_matrix(l, sigma).T


def image_gradient(images: Array, sigma: float = 0.9) -> tuple[Array, Array]:
    r"""Derivatives :math:`(\partial_1 x, \partial_2 x)` of the smoothed images along rows and columns."""
    s = smooth(images, sigma)
    return np.gradient(s, axis=-2), np.gradient(s, axis=-1)


def translation_tangents(images: Array, sigma: float = 0.9) -> Array:
    r"""Tangents of translations down and right: shape ``(2, *images.shape)``.

    :math:`v = -\partial_1 x` moves the image down by an infinitesimal amount,
    :math:`v = -\partial_2 x` moves it right.
    """
    d1, d2 = image_gradient(images, sigma)
    return np.stack([-d1, -d2])


def rotation_tangent(images: Array, sigma: float = 0.9) -> Array:
    r"""Tangent of a rotation about the image centre, shape ``images.shape``.

    Let :math:`T_t x` sample :math:`x` at the pixel coordinates :math:`(u_1, u_2)` (row, column,
    centred at the middle of the image) turned by the angle :math:`t`:
    :math:`(T_tx)(u) = x(R_t u)` with :math:`R_t u = (u_1\cos t - u_2\sin t,\ u_1\sin t + u_2\cos t)`.
    Then :math:`\frac{d}{dt}T_tx\big|_{t=0} = -u_2\,\partial_1 x + u_1\,\partial_2 x`.
    """
    d1, d2 = image_gradient(images, sigma)
    n, l = np.shape(images)[-2:]
    u1 = np.arange(n)[:, None] - (n - 1) / 2
    u2 = np.arange(l)[None, :] - (l - 1) / 2
    return u1 * d2 - u2 * d1
