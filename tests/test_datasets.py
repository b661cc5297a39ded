"""Tests of adjnets.data.synthetic: the seeded synthetic data sets of the chapter 3 page."""

from __future__ import annotations

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

from adjnets.data.synthetic import curve, noisy_curve, two_moons, two_spirals


def test_curve_formula_and_shape():
    x = np.linspace(-1.0, 1.0, 7).reshape(7, 1)
    assert_allclose(curve(x), np.sin(np.pi * x) + 0.5 * x, rtol=0, atol=0)
    assert curve(x).shape == (7, 1)
    assert curve(0.5) == pytest.approx(1.25)


def test_noisy_curve_shapes_range_and_noise():
    x, y = noisy_curve(2000, noise=0.1, rng=3)
    assert x.shape == (2000, 1) and y.shape == (2000, 1)
    assert x.dtype == np.float64 and y.dtype == np.float64
    assert x.min() >= -1.0 and x.max() <= 1.0
    residual = y - curve(x)
    assert abs(residual.mean()) < 0.01
    assert_allclose(residual.std(), 0.1, rtol=0.06)


def test_noisy_curve_without_noise_lies_on_the_curve():
    x, y = noisy_curve(50, noise=0.0, rng=1, low=2.0, high=3.0)
    assert_allclose(y, curve(x), rtol=0, atol=0)
    assert x.min() >= 2.0 and x.max() <= 3.0


@pytest.mark.parametrize("make", [noisy_curve, two_moons, two_spirals])
def test_generators_are_reproducible_from_the_seed(make):
    a, b, c = make(40, rng=5), make(40, rng=5), make(40, rng=6)
    assert_array_equal(a[0], b[0])
    assert_array_equal(a[1], b[1])
    assert not np.allclose(a[0], c[0])
    # a Generator works as well as a seed
    d = make(40, rng=np.random.default_rng(5))
    assert_array_equal(a[0], d[0])


@pytest.mark.parametrize("make", [two_moons, two_spirals])
@pytest.mark.parametrize("n", [2, 7, 300])
def test_classification_shapes_and_balanced_labels(make, n):
    x, labels = make(n, rng=0)
    assert x.shape == (n, 2) and x.dtype == np.float64
    assert labels.shape == (n,)
    assert set(np.unique(labels)) <= {0, 1}
    assert np.sum(labels == 0) == (n + 1) // 2


def test_two_moons_without_noise_lies_on_the_half_circles():
    x, labels = two_moons(200, noise=0.0, rng=2)
    p = x + np.array([0.5, 0.25])
    upper, lower = p[labels == 0], p[labels == 1]
    assert_allclose(np.hypot(*upper.T), 1.0, rtol=1e-12)
    assert np.all(upper[:, 1] >= 0)
    assert_allclose(np.hypot(lower[:, 0] - 1.0, lower[:, 1] - 0.5), 1.0, rtol=1e-12)
    assert np.all(lower[:, 1] <= 0.5)


def test_two_spirals_without_noise_classes_are_point_reflections():
    x, labels = two_spirals(400, noise=0.0, turns=1.5, rng=4)
    r = np.hypot(*x.T)
    assert r.max() <= 1.0 + 1e-12
    # on each spiral the angle grows with the radius: angle = r * phi_max (+ pi for class 1)
    phi_max = np.pi / 4 + 2 * np.pi * 1.5
    for label in (0, 1):
        p = x[labels == label]
        rr = np.hypot(*p.T)
        angle = rr * phi_max + np.pi * label
        assert_allclose(
            p, rr[:, None] * np.stack([np.cos(angle), np.sin(angle)], -1), atol=1e-12
        )


@pytest.mark.parametrize(
    ("n", "error"),
    [
        (0, ValueError),
        (-3, ValueError),
        (2.5, TypeError),
        ("10", TypeError),
        (True, TypeError),
        (None, TypeError),
    ],
)
def test_bad_sizes_are_rejected(n, error):
    for make in (noisy_curve, two_moons, two_spirals):
        with pytest.raises(error, match="expected n to be an integer >= "):
            make(n)


def test_classification_needs_two_points():
    for make in (two_moons, two_spirals):
        with pytest.raises(ValueError, match=">= 2"):
            make(1)


@pytest.mark.parametrize("noise", [-0.1, float("nan"), float("inf")])
def test_bad_noise_is_rejected(noise):
    for make in (noisy_curve, two_moons, two_spirals):
        with pytest.raises(
            ValueError, match="expected noise to be a finite number >= 0"
        ):
            make(10, noise=noise)


def test_bad_interval_and_turns_are_rejected():
    with pytest.raises(ValueError, match="expected high to be a finite number > 1"):
        noisy_curve(10, low=1.0, high=1.0)
    for turns in (0, -1.0, float("inf")):
        with pytest.raises(ValueError, match="turns"):
            two_spirals(10, turns=turns)
