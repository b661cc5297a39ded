"""Tests of adjnets.calculus.losses.one_hot: its values, shape and dtype exactly."""

from __future__ import annotations

import numpy as np
import pytest
from numpy.testing import assert_array_equal

from adjnets import cross_entropy, one_hot


@pytest.mark.thesis("Remark 2.4.5")
@pytest.mark.parametrize("n_classes", [1, 2, 3, 10])
def test_one_hot_of_every_class_is_the_identity_matrix(n_classes):
    # label c is the c-th standard basis vector e_c of R^n_classes, for every c
    encoded = one_hot(np.arange(n_classes), n_classes)
    assert encoded.dtype == np.float64
    assert encoded.shape == (n_classes, n_classes)
    assert_array_equal(encoded, np.eye(n_classes))


def test_one_hot_values_entry_by_entry():
    labels = np.array([2, 0, 4, 4, 1, 3, 0])
    encoded = one_hot(labels, 5)
    assert encoded.dtype == np.float64
    assert encoded.shape == (7, 5)
    for row, label in zip(encoded, labels, strict=True):
        for c in range(5):
            assert row[c] == (1.0 if c == label else 0.0)
    assert_array_equal(encoded.argmax(axis=1), labels)
    assert_array_equal(encoded.sum(axis=1), np.ones(7))
    # a literal, so that no rotation or transposition of the classes can pass
    assert_array_equal(
        one_hot(np.array([1, 0, 2]), 4),
        [[0.0, 1.0, 0.0, 0.0], [1.0, 0.0, 0.0, 0.0], [0.0, 0.0, 1.0, 0.0]],
    )


def test_one_hot_keeps_the_class_count_even_for_absent_classes():
    encoded = one_hot(np.array([0, 0]), 6)  # classes 1..5 absent
    assert encoded.shape == (2, 6)
    assert_array_equal(encoded, [[1, 0, 0, 0, 0, 0]] * 2)
    empty = one_hot(np.array([], dtype=int), 3)
    assert empty.shape == (0, 3) and empty.dtype == np.float64


def test_one_hot_accepts_label_lists_and_random_labels():
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 7, 200)
    encoded = one_hot(labels, 7)
    expected = np.zeros((200, 7))
    expected[np.arange(200), labels] = 1.0
    assert_array_equal(encoded, expected)
    assert_array_equal(one_hot(list(labels), 7), expected)


@pytest.mark.thesis("Remark 2.4.5")
def test_cross_entropy_of_one_hot_targets_picks_the_labelled_class():
    # with a one-hot target, J_C = -log softmax(F)_label and e = softmax(F) - e_label
    rng = np.random.default_rng(1)
    F, labels = rng.standard_normal((6, 4)), rng.integers(0, 4, 6)
    log_p = F - np.log(np.sum(np.exp(F), axis=1, keepdims=True))
    y = one_hot(labels, 4)
    assert cross_entropy.value(F, y) == pytest.approx(
        -np.sum(log_p[np.arange(6), labels]), rel=1e-14
    )
    error = np.exp(log_p)
    error[np.arange(6), labels] -= 1.0
    np.testing.assert_allclose(cross_entropy.error(F, y), error, rtol=1e-13, atol=1e-15)


@pytest.mark.parametrize(
    "labels", [np.array([0, 3]), np.array([-1, 0]), np.array([[0, 1]])]
)
def test_one_hot_rejects_labels_out_of_range_or_not_a_vector(labels):
    with pytest.raises(
        ValueError, match=r"one_hot expected labels (in \[0, 3\)|as a 1-d)"
    ):
        one_hot(labels, 3)
