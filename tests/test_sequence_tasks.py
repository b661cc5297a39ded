"""The adding problem (adjnets.data.sequences), used on the page of thesis section 5.3."""

from __future__ import annotations

import numpy as np
import pytest

from adjnets import squared
from adjnets.data.sequences import ADDING_TRIVIAL_MSE, adding_problem
from adjnets.recurrent.rnn import sequence_loss


def test_adding_problem_structure():
    x, y, mask = adding_problem(500, 9, rng=0)
    assert x.shape == (500, 9, 2) and y.shape == (500, 9, 1) and mask.shape == (500, 9)
    assert x.dtype == y.dtype == mask.dtype == np.float64
    u, m = x[..., 0], x[..., 1]
    assert np.all((u >= 0) & (u < 1))
    assert np.array_equal(m.sum(axis=1), np.full(500, 2.0)) and set(np.unique(m)) == {
        0.0,
        1.0,
    }
    # one mark in the first half (steps 0..3 for L = 9), one in the second (4..8)
    assert np.array_equal(m[:, :4].sum(axis=1), np.ones(500))
    assert np.array_equal(m[:, 4:].sum(axis=1), np.ones(500))
    np.testing.assert_allclose(y[:, -1, 0], (u * m).sum(axis=1), rtol=1e-15)
    assert np.all(y[:, :-1] == 0)
    assert np.all(mask[:, -1] == 1) and np.all(mask[:, :-1] == 0)
    # every first-half and second-half position is used
    assert set(np.argmax(m[:, :4], axis=1)) == {0, 1, 2, 3}
    assert set(4 + np.argmax(m[:, 4:], axis=1)) == {4, 5, 6, 7, 8}


def test_adding_problem_is_seeded():
    a = adding_problem(20, 6, rng=3)
    b = adding_problem(20, 6, rng=np.random.default_rng(3))
    for p, q in zip(a, b, strict=True):
        assert np.array_equal(p, q)
    assert not np.array_equal(a[0], adding_problem(20, 6, rng=4)[0])


def test_trivial_predictor_and_masked_loss():
    _, y, mask = adding_problem(200_000, 4, rng=1)
    target = y[:, -1, 0]
    assert target.mean() == pytest.approx(1.0, abs=5e-3)
    assert np.mean((1.0 - target) ** 2) == pytest.approx(ADDING_TRIVIAL_MSE, rel=1e-2)
    # only the last step counts in the loss of a sequence
    # 1 at the last step, junk before
    out = np.ones_like(y) + np.arange(4.0)[None, :, None] - 3.0
    value, errs = sequence_loss(out, y, squared, mask)
    assert value == pytest.approx(0.5 * np.sum((1.0 - target) ** 2), rel=1e-12)
    assert np.all(errs[:, :-1] == 0)


@pytest.mark.parametrize("n, length", [(0, 5), (3, 1), (2.0, 5), (True, 5)])
def test_adding_problem_bad_sizes(n, length):
    # a count out of range is a ValueError, a float or a bool a TypeError
    with pytest.raises((ValueError, TypeError), match="adding_problem expected"):
        adding_problem(n, length)
