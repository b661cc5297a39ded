r"""The handwritten digits, and the tangent vectors of small image transformations.

The data: 1,797 grey images of 8 x 8 pixels, values 0 to 16, with their labels 0 to 9,
bundled with the package in ``adjnets/data/digits.npz`` (45 kB; nothing is downloaded
and scikit-learn is not needed). They are the test set of the UCI data set *Optical
Recognition of Handwritten Digits* by E. Alpaydin and C. Kaynak (1998), UCI Machine
Learning Repository, https://doi.org/10.24432/C50P49, licensed under CC BY 4.0
(https://creativecommons.org/licenses/by/4.0/); the file holds the arrays of
scikit-learn's ``sklearn.datasets.load_digits()``, pixels and labels as ``uint8``,
unchanged. :func:`load_digits` scales them to :math:`[0, 1]` and splits them,
stratified by class, with a stated seed, exactly as scikit-learn's
``train_test_split(..., random_state=seed, stratify=labels)`` does.

Tangent vectors (for the higher-order loss of thesis section 3.3, in the spirit of
Simard et al., 1992): if :math:`T_t` is a family of image transformations with
:math:`T_0 = \mathrm{id}`, the tangent at an image :math:`x` is
:math:`v = \frac{d}{dt}T_t(x)\big|_{t=0}`. For a translation by :math:`t` pixels along
an axis, :math:`v = -\partial x/\partial u` along that axis; for a rotation by :math:`t`
radians about the centre, :math:`v = u_1\,\partial_2 x - u_2\,\partial_1 x` with centred
pixel coordinates :math:`(u_1, u_2)`. On 8 x 8 images the pixel differences are too
rough, so the image is first smoothed with a Gaussian (the usual remedy) and the
derivatives are central differences of the smoothed image; at the border of the frame
they are one-sided, as if the image continued beyond it.
"""

from __future__ import annotations

import math
from importlib import resources

import numpy as np
import numpy.typing as npt

from adjnets import validation
from adjnets.calculus.spaces import Array, Labels


def _digits_data() -> tuple[npt.NDArray[np.uint8], npt.NDArray[np.uint8]]:
    """The bundled images ``(1797, 8, 8)`` and labels ``(1797,)``, both ``uint8``."""
    path = resources.files("adjnets.data") / "digits.npz"
    with path.open("rb") as file, np.load(file) as data:
        return data["images"], data["labels"]


def _approximate_mode(
    counts: Labels, n_draws: int, rng: np.random.RandomState
) -> Labels:
    """How many of ``n_draws`` points to take from each class: ``counts`` scaled to
    ``n_draws`` and floored, the remaining draws going to the largest remainders, ties
    broken at random by ``rng`` (scikit-learn's ``utils.extmath._approximate_mode``)."""
    continuous = counts / counts.sum() * n_draws
    floored = np.floor(continuous)
    need_to_add = int(n_draws - floored.sum())
    if need_to_add > 0:
        remainder = continuous - floored
        for value in np.sort(np.unique(remainder))[::-1]:
            (tied,) = np.where(remainder == value)
            add_now = min(len(tied), need_to_add)
            floored[rng.choice(tied, size=add_now, replace=False)] += 1
            need_to_add -= add_now
            if need_to_add == 0:
                break
    taken: Labels = floored.astype(int)
    return taken


def _stratified_split(
    labels: Labels, test_size: float, seed: int
) -> tuple[Labels, Labels]:
    """Training and test indices, stratified by class: the draws of scikit-learn's
    ``StratifiedShuffleSplit`` (through ``train_test_split``) with
    ``numpy.random.RandomState(seed)``, in the same order, so the split is the same."""
    n_test = math.ceil(test_size * len(labels))
    n_train = len(labels) - n_test
    classes, inverse, counts = np.unique(
        labels, return_inverse=True, return_counts=True
    )
    if min(n_train, n_test) < len(classes):
        raise ValueError(
            f"load_digits expected a test_size leaving at least {len(classes)} points "
            f"(one per class) in each set, got {test_size}: {n_train} and {n_test}"
        )
    by_class = np.split(np.argsort(inverse, kind="stable"), np.cumsum(counts)[:-1])
    rng = np.random.RandomState(seed)
    n_i = _approximate_mode(counts, n_train, rng)
    t_i = _approximate_mode(counts - n_i, n_test, rng)
    train: list[int] = []
    test: list[int] = []
    for indices, count, n, t in zip(by_class, counts, n_i, t_i, strict=True):
        shuffled = indices.take(rng.permutation(count), mode="clip")
        train.extend(shuffled[:n])
        test.extend(shuffled[n : n + t])
    return rng.permutation(train), rng.permutation(test)


def load_digits(
    test_size: float = 0.2, seed: int = 0
) -> tuple[Array, Array, Labels, Labels]:
    """The digits, scaled to [0, 1], split into training and test sets stratified by
    class.

    The split is scikit-learn's
    ``train_test_split(images, labels, test_size=test_size, random_state=seed,
    stratify=labels)``, reproduced without scikit-learn: the same arrays.

    Parameters
    ----------
    test_size : float
        The fraction of the 1,797 images in the test set (rounded up), in (0, 1).
    seed : int
        Seed of the ``numpy.random.RandomState`` that draws the split.

    Returns
    -------
    x_train, x_test : arrays of shape (N, 8, 8)
    y_train, y_test : integer arrays of shape (N,)

    Examples
    --------
    >>> import numpy as np
    >>> from adjnets import load_digits
    >>> x_train, x_test, y_train, y_test = load_digits(test_size=0.2, seed=0)
    >>> x_train.shape, x_test.shape, y_train.shape, y_test.shape
    ((1437, 8, 8), (360, 8, 8), (1437,), (360,))
    >>> print(x_train.min(), x_train.max())  # pixels scaled to [0, 1]
    0.0 1.0
    >>> np.bincount(y_test)  # the classes in proportion (stratified)
    array([36, 36, 35, 37, 36, 37, 36, 36, 35, 36])

    Raises
    ------
    ValueError
        If ``test_size`` is not in (0, 1) or leaves a set without a point of every
        class, or ``seed`` is negative.
    TypeError
        If ``test_size`` is not a real number or ``seed`` not an integer.
    """
    test_size = validation.real(
        "test_size", test_size, "load_digits", minimum=0.0, strict=True, below=1.0
    )
    seed = validation.positive_int("seed", seed, minimum=0, who="load_digits")
    pixels, labels = _digits_data()
    images = pixels.astype(float) / 16.0
    labels = labels.astype(int)
    train, test = _stratified_split(labels, test_size, seed)
    return images[train], images[test], labels[train], labels[test]


def _gaussian_matrix(n: int, sigma: float) -> Array:
    """The n x n matrix of 1-d Gaussian smoothing with zero boundary, rows summing to 1
    inside."""
    idx = np.arange(n)
    G = np.exp(-0.5 * ((idx[:, None] - idx[None, :]) / sigma) ** 2)
    rows: Array = G / G.sum(axis=1, keepdims=True)
    return rows


def _images(images: Array, sigma: float, who: str) -> tuple[Array, float]:
    """``images`` as finite float64 images ``(..., n, l)`` with ``n, l >= 2``, and
    ``sigma > 0``."""
    images = validation.as_float_array("images", images, who)
    if images.ndim < 2 or min(images.shape[-2:]) < 2:
        raise ValueError(
            f"{who} expected images of shape (..., n, l) with n, l >= 2, got shape "
            f"{images.shape}"
        )
    return images, validation.positive("sigma", sigma, who)


def smooth(images: Array, sigma: float = 0.9) -> Array:
    r"""Gaussian smoothing of a batch of images ``(..., n, l)``:
    :math:`G_1\,x\,G_2^T`.

    Raises
    ------
    ValueError
        If ``images`` is not of shape ``(..., n, l)`` with ``n, l >= 2`` or has a
        non-finite entry, or ``sigma`` is not a positive finite number.
    TypeError
        If ``images`` is not an array of real numbers or ``sigma`` not a number.
    """
    return _smooth(*_images(images, sigma, "smooth"))


def _smooth(images: Array, sigma: float) -> Array:
    n, l = images.shape[-2:]
    return _gaussian_matrix(n, sigma) @ images @ _gaussian_matrix(l, sigma).T


def image_gradient(images: Array, sigma: float = 0.9) -> tuple[Array, Array]:
    r"""Derivatives :math:`(\partial_1 x, \partial_2 x)` of the smoothed images along
    rows and columns.

    Raises
    ------
    ValueError, TypeError
        As :func:`smooth`.
    """
    return _image_gradient(*_images(images, sigma, "image_gradient"))


def _image_gradient(images: Array, sigma: float) -> tuple[Array, Array]:
    s = _smooth(images, sigma)
    return np.gradient(s, axis=-2), np.gradient(s, axis=-1)


def translation_tangents(images: Array, sigma: float = 0.9) -> Array:
    r"""Tangents of translations down and right: shape ``(2, *images.shape)``.

    :math:`v = -\partial_1 x` moves the image down by an infinitesimal amount,
    :math:`v = -\partial_2 x` moves it right.

    Raises
    ------
    ValueError, TypeError
        As :func:`smooth`.
    """
    d1, d2 = _image_gradient(*_images(images, sigma, "translation_tangents"))
    return np.stack([-d1, -d2])


def rotation_tangent(images: Array, sigma: float = 0.9) -> Array:
    r"""Tangent of a rotation about the image centre, shape ``images.shape``.

    Let :math:`T_t x` sample :math:`x` at the pixel coordinates :math:`(u_1, u_2)` (row,
    column, centred at the middle of the image) turned by the angle :math:`t`:
    :math:`(T_tx)(u) = x(R_t u)` with
    :math:`R_t u = (u_1\cos t - u_2\sin t,\ u_1\sin t + u_2\cos t)`. Then
    :math:`\frac{d}{dt}T_tx\big|_{t=0} = -u_2\,\partial_1 x + u_1\,\partial_2 x`.

    Raises
    ------
    ValueError, TypeError
        As :func:`smooth`.
    """
    images, sigma = _images(images, sigma, "rotation_tangent")
    d1, d2 = _image_gradient(images, sigma)
    n, l = images.shape[-2:]
    u1 = np.arange(n)[:, None] - (n - 1) / 2
    u2 = np.arange(l)[None, :] - (l - 1) / 2
    tangent: Array = u1 * d2 - u2 * d1
    return tangent
