"""Softmax and Log o softmax (thesis section 2.4.3), against JAX and for large logits."""

import numpy as np
import pytest

from adjnets import (
    D_log_softmax,
    D_softmax,
    cross_entropy,
    log_softmax,
    one_hot,
    softmax,
)
from adjnets.autodiff import assert_close, jax, jnp
from adjnets.calculus.check import assert_adjoint


@pytest.fixture
def logits():
    rng = np.random.default_rng(5)
    return rng, 3.0 * rng.standard_normal((4, 6))


@pytest.mark.thesis("Lemma 2.4.3")
def test_softmax_derivative(logits):
    rng, x = logits
    v, w = rng.standard_normal((2, 4, 6))
    _, expected = jax.jvp(
        lambda z: jax.nn.softmax(z, axis=-1), (jnp.asarray(x),), (jnp.asarray(v),)
    )
    assert_close(D_softmax(x)(v), expected)
    assert_adjoint(D_softmax(x), v, w)
    np.testing.assert_array_equal(D_softmax(x)(v), D_softmax(x).adj(v))  # self-adjoint


@pytest.mark.thesis("Lemma 2.4.4")
def test_adjoint_derivative_of_log_softmax(logits):
    rng, x = logits
    v, w = rng.standard_normal((2, 4, 6))
    _, vjp = jax.vjp(lambda z: jax.nn.log_softmax(z, axis=-1), jnp.asarray(x))
    assert_close(D_log_softmax(x).adj(w), vjp(jnp.asarray(w))[0])
    assert_close(
        D_log_softmax(x).adj(w), w - w.sum(axis=-1, keepdims=True) * softmax(x)
    )
    assert_adjoint(D_log_softmax(x), v, w)


@pytest.mark.thesis("Remark 2.4.5")
def test_one_hot_targets_give_the_error_softmax_minus_target(logits):
    rng, x = logits
    y = one_hot(rng.integers(0, 6, 4), 6)
    assert_close(-D_log_softmax(x).adj(y), softmax(x) - y, rtol=1e-14)
    assert_close(cross_entropy.error(x, y), softmax(x) - y, rtol=1e-14)
    with pytest.raises(ValueError, match="labels in"):
        one_hot(np.array([0, 6]), 6)


def test_large_logits_are_stable():
    x = np.array([[1000.0, 0.0, -1000.0], [-1e300, 0.0, 1e300]])
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        s, ls = softmax(x), log_softmax(x)
    np.testing.assert_allclose(s, [[1, 0, 0], [0, 0, 1]], atol=0)
    np.testing.assert_allclose(ls[0], [0.0, -1000.0, -2000.0], rtol=1e-15)
    assert np.isfinite(cross_entropy.value(x[:1], np.array([[0.0, 0.0, 1.0]])))
    assert cross_entropy.value(x[:1], np.array([[0.0, 0.0, 1.0]])) == pytest.approx(
        2000.0
    )


def test_softmax_rows_sum_to_one(logits):
    _, x = logits
    np.testing.assert_allclose(softmax(x).sum(axis=-1), 1.0, rtol=1e-15)
    np.testing.assert_allclose(np.exp(log_softmax(x)), softmax(x), rtol=1e-14)
