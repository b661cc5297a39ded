"""The digits loader and the tangent vectors of image transformations."""

import subprocess
import sys

import numpy as np
import pytest

from adjnets.data.digits import (
    image_gradient,
    load_digits,
    rotation_tangent,
    smooth,
    translation_tangents,
)


def test_load_digits_split_is_stratified_and_seeded():
    x_train, x_test, _y_train, y_test = load_digits(seed=0)
    assert x_train.shape == (1437, 8, 8) and x_test.shape == (360, 8, 8)
    assert x_train.min() >= 0.0 and x_train.max() <= 1.0
    counts = np.bincount(y_test, minlength=10)
    assert counts.min() >= 35 and counts.max() <= 37  # stratified: about 36 per class
    again = load_digits(seed=0)
    np.testing.assert_array_equal(again[1], x_test)
    with pytest.raises(ValueError, match="test_size"):
        load_digits(test_size=1.5)


def bilinear_warp(image, transform):
    """Sample the image at transformed coordinates (bilinear, zero outside): a literal reference."""
    n, l = image.shape
    r, c = np.meshgrid(np.arange(n), np.arange(l), indexing="ij")
    src_r, src_c = transform(r.astype(float), c.astype(float))
    out = np.zeros_like(image)
    r0, c0 = np.floor(src_r).astype(int), np.floor(src_c).astype(int)
    fr, fc = src_r - r0, src_c - c0
    for dr, wr in ((0, 1 - fr), (1, fr)):
        for dc, wc in ((0, 1 - fc), (1, fc)):
            rr, cc = r0 + dr, c0 + dc
            ok = (rr >= 0) & (rr < n) & (cc >= 0) & (cc < l)
            out[ok] += (wr * wc)[ok] * image[rr[ok], cc[ok]]
    return out


def test_translation_tangent_is_the_derivative_of_a_shift():
    # shifting content down by t samples the source at row - t: d/dt at 0 is -d1 of the image
    img = smooth(load_digits()[0][3], 0.9)
    h = 1e-4

    def down(t):
        return bilinear_warp(img, lambda r, c: (r - t, c))

    fd = (down(h) - down(-h)) / (2 * h)
    # bilinear interpolation's derivative is the one-sided difference; compare with np.gradient's
    # central difference loosely, and exactly with the interpolation's own rule at t -> 0+
    # inside the frame the symmetric quotient of a bilinear shift is exactly the central
    # difference that the tangent uses
    interior = (slice(1, 7), slice(0, 8))
    np.testing.assert_allclose(
        fd[interior], -np.gradient(img, axis=0)[interior], rtol=1e-6, atol=1e-9
    )
    v = translation_tangents(load_digits()[0][3:4], 0.9)
    assert v.shape == (2, 1, 8, 8)
    np.testing.assert_allclose(v[0, 0], -np.gradient(img, axis=0), rtol=1e-12)


def test_rotation_tangent_is_the_derivative_of_a_rotation():
    img = smooth(load_digits()[0][5], 0.9)
    c, h = 3.5, 1e-4

    def rotate(t):  # (T_t x)(u) = x(R_t u), u centred pixel coordinates (row, column)
        return bilinear_warp(
            img,
            lambda r, col: (
                c + np.cos(t) * (r - c) - np.sin(t) * (col - c),
                c + np.sin(t) * (r - c) + np.cos(t) * (col - c),
            ),
        )

    fd = (rotate(h) - rotate(-h)) / (2 * h)
    v = rotation_tangent(load_digits()[0][5], 0.9)
    inner_px = (slice(1, 7), slice(1, 7))
    assert np.corrcoef(fd[inner_px].ravel(), v[inner_px].ravel())[0, 1] > 0.9


def test_bad_inputs():
    with pytest.raises(ValueError, match="sigma"):
        smooth(np.zeros((8, 8)), sigma=0)
    with pytest.raises(ValueError, match="images of shape"):
        image_gradient(np.zeros(8))


# --- the bundled data and the split, without scikit-learn ----------------------------


def test_bundled_digits_are_scikit_learns():
    from sklearn.datasets import load_digits as sk_load_digits

    from adjnets.data.digits import _digits_data

    pixels, labels = _digits_data()
    reference = sk_load_digits()
    assert pixels.dtype == np.uint8 and pixels.shape == (1797, 8, 8)
    assert labels.dtype == np.uint8 and labels.shape == (1797,)
    np.testing.assert_array_equal(pixels, reference.images)
    np.testing.assert_array_equal(labels, reference.target)


@pytest.mark.parametrize(
    ("test_size", "seed"),
    [
        (0.2, 0),
        (0.2, 1),
        (0.25, 42),
        (0.1, 7),
        (0.5, 123),
        (0.33, 2**31),
        (0.0056, 3),
        (0.994, 5),
    ],
)
def test_load_digits_is_scikit_learns_split(test_size, seed):
    # train_test_split(..., random_state=seed, stratify=y), as load_digits did before
    # it stopped importing scikit-learn: the same arrays, bit for bit, dtypes and layout
    # too.  0.0056 leaves 11 test points and 0.994 10 training points for 10 classes:
    # the random tie-breaking of _approximate_mode decides which classes get the rest.
    from sklearn.datasets import load_digits as sk_load_digits
    from sklearn.model_selection import train_test_split

    data = sk_load_digits()
    expected = train_test_split(
        data.images.astype(float) / 16.0,
        data.target,
        test_size=test_size,
        random_state=seed,
        stratify=data.target,
    )
    got = load_digits(test_size=test_size, seed=seed)
    for name, e, g in zip(
        ("x_train", "x_test", "y_train", "y_test"), expected, got, strict=True
    ):
        assert (g.dtype, g.shape, g.strides) == (e.dtype, e.shape, e.strides), name
        assert g.tobytes() == e.tobytes(), name


def test_load_digits_rejects_splits_without_every_class():
    with pytest.raises(ValueError, match="one per class"):
        load_digits(test_size=0.005)  # 9 test points for 10 classes
    with pytest.raises(ValueError, match="one per class"):
        load_digits(test_size=0.996)


def test_load_digits_does_not_import_scikit_learn():
    code = (
        "import sys\n"
        "import adjnets, adjnets.data.digits\n"
        "x_train, x_test, y_train, y_test = adjnets.data.digits.load_digits(0.2, 0)\n"
        "assert x_train.shape == (1437, 8, 8), x_train.shape\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'sklearn'))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]", f"sklearn modules imported: {done.stdout}"
