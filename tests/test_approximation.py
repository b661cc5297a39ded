"""The ReLU hat network equals numpy.interp, and its derivative is the interpolant's slope."""

from __future__ import annotations

import numpy as np
import pytest

from adjnets.specific.approximation import hat_network, hat_slopes


def _knots(rng, n):
    return np.sort(rng.uniform(-2.0, 2.0, n + 1)) + np.arange(n + 1) * 1e-3


@pytest.mark.parametrize("n", [1, 2, 7, 40])
def test_equals_interp(n):
    rng = np.random.default_rng(n)
    t = _knots(rng, n)
    y = rng.standard_normal(n + 1)
    net, params = hat_network(t, y)
    x = np.concatenate([np.linspace(-3.0, 3.0, 1001), t])
    np.testing.assert_allclose(
        net(x[:, None], params)[:, 0], np.interp(x, t, y), rtol=0, atol=1e-12
    )


def test_derivative_is_segment_slope():
    rng = np.random.default_rng(3)
    t = np.linspace(-2.0, 2.0, 9)
    y = rng.standard_normal(9)
    net, params = hat_network(t, y)
    mid = (t[:-1] + t[1:]) / 2
    fwd = net.forward(mid[:, None], params)
    slope = fwd.lins[1].D(fwd.lins[0].D(np.ones((mid.size, 1))))[:, 0]
    np.testing.assert_allclose(slope, np.diff(y) / np.diff(t), rtol=0, atol=1e-12)


def test_slopes_sum():
    rng = np.random.default_rng(5)
    t = _knots(rng, 6)
    y = rng.standard_normal(7)
    c = hat_slopes(t, y)
    assert abs(c.sum()) < 1e-12
    assert abs(c @ t - (y[0] - y[-1])) < 1e-12


def test_rejects_bad_knots():
    with pytest.raises(ValueError):
        hat_network([0.0, 0.0, 1.0], [1.0, 2.0, 3.0])
    with pytest.raises(ValueError):
        hat_network([0.0, 1.0], [1.0, 2.0, 3.0])
