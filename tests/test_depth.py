"""Tests of adjnets.networks.depth: deep chains f_i(x) = Psi(W_i x) and their back-propagated
norms."""

from __future__ import annotations

import numpy as np
import pytest
from numpy.testing import assert_allclose

from adjnets import identity, relu, sigmoid, tanh
from adjnets.calculus.check import assert_adjoint
from adjnets.networks.depth import backward_norms, layer_derivatives, random_weights


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(20170401)


# --------------------------------------------------------------------------- random_weights


def test_random_weights_shapes_and_dtype(rng):
    weights = random_weights(rng, width=5, depth=3, gain=2.0)
    assert len(weights) == 3
    for W in weights:
        assert W.shape == (5, 5)
        assert W.dtype == np.float64


def test_random_weights_is_reproducible_from_the_seed():
    a = random_weights(np.random.default_rng(7), 4, 2)
    b = random_weights(np.random.default_rng(7), 4, 2)
    c = random_weights(np.random.default_rng(8), 4, 2)
    for Wa, Wb in zip(a, b, strict=True):
        assert_allclose(Wa, Wb, rtol=0, atol=0)
    assert not np.allclose(a[0], c[0])


def test_random_weights_entry_scale_is_gain_over_sqrt_width(rng):
    # 4 matrices of 400 x 400: 640,000 entries, so the sample std is within ~0.2% of its value.
    width, gain = 400, np.sqrt(2.0)
    entries = np.concatenate([W.ravel() for W in random_weights(rng, width, 4, gain)])
    assert abs(entries.mean()) < 3 * gain / width
    assert_allclose(entries.std(), gain / np.sqrt(width), rtol=0.01)


@pytest.mark.parametrize(
    ("width", "depth", "gain", "error"),
    [
        (0, 3, 1.0, ValueError),
        (3, 0, 1.0, ValueError),
        (-2, 3, 1.0, ValueError),
        (2.5, 3, 1.0, TypeError),
        (3, 2, 0.0, ValueError),
        (3, 2, -1.0, ValueError),
    ],
)
def test_random_weights_rejects_bad_arguments(rng, width, depth, gain, error):
    with pytest.raises(error, match="random_weights expected"):
        random_weights(rng, width, depth, gain)


# --------------------------------------------------------------------------- layer_derivatives


def _forward(weights, activation, x):
    """Pre-activations z_i = W_i x_{i-1}, one (N, n_i) array per layer."""
    zs = []
    for W in weights:
        z = x @ W.T
        zs.append(z)
        x = activation(z)
    return zs


def test_layer_derivatives_are_diag_psi_prime_times_w(rng):
    weights = [rng.standard_normal((4, 3)), rng.standard_normal((5, 4))]
    x = rng.standard_normal((6, 3))
    maps = layer_derivatives(weights, tanh, x)
    assert len(maps) == 2
    for Df, W, z in zip(maps, weights, _forward(weights, tanh, x), strict=True):
        v = rng.standard_normal((6, W.shape[1]))
        expected = (1.0 - np.tanh(z) ** 2) * (v @ W.T)
        assert_allclose(Df(v), expected, rtol=1e-14, atol=1e-14)


@pytest.mark.parametrize("activation", [sigmoid, tanh, relu])
def test_layer_derivatives_carry_their_adjoints(rng, activation):
    weights = [rng.standard_normal((4, 3)), rng.standard_normal((2, 4))]
    x = rng.standard_normal((5, 3))
    for Df, W in zip(layer_derivatives(weights, activation, x), weights, strict=True):
        v = rng.standard_normal((5, W.shape[1]))
        w = rng.standard_normal((5, W.shape[0]))
        assert assert_adjoint(Df, v, w) <= 1e-12


def test_layer_derivatives_rejects_an_unbatched_input(rng):
    with pytest.raises(ValueError, match=r"expected a batch x of shape \(N, n_1\)"):
        layer_derivatives([np.eye(3)], sigmoid, np.ones(3))


def test_layer_derivatives_rejects_weights_that_do_not_chain(rng):
    weights = [rng.standard_normal((4, 3)), rng.standard_normal((4, 5))]
    with pytest.raises(ValueError, match=r"expected weight W_2 of shape \(n_3, 4\)"):
        layer_derivatives(weights, sigmoid, np.ones((2, 3)))


def test_layer_derivatives_rejects_a_weight_that_is_not_a_matrix():
    with pytest.raises(ValueError, match="expected weight W_1"):
        layer_derivatives([np.ones(3)], sigmoid, np.ones((2, 3)))


# --------------------------------------------------------------------------- backward_norms


def _jacobian_norms(weights, activation, x, w):
    """The same quantity as backward_norms, by explicit Jacobian matrices, one point at a time.

    J_i = diag(psi'(z_i)) W_i is the Jacobian of layer i; the back-propagated vector is
    e_{i-1} = J_i^T e_i, i.e. e_k = (J_L ... J_{k+1})^T w.
    """
    zs = _forward(weights, activation, x)
    out = np.empty((len(weights) + 1, x.shape[0]))
    for p in range(x.shape[0]):
        jacobians = [
            activation.derivative(z[p])[:, None] * W
            for z, W in zip(zs, weights, strict=True)
        ]
        product = np.eye(w.shape[1])  # J_L ... J_{k+1}, built from the output down
        out[0, p] = 1.0
        for k, J in enumerate(reversed(jacobians), start=1):
            product = product @ J
            out[k, p] = np.linalg.norm(product.T @ w[p]) / np.linalg.norm(w[p])
    return out


@pytest.mark.parametrize("activation", [sigmoid, tanh, relu])
def test_backward_norms_agrees_with_explicit_jacobian_products(rng, activation):
    weights = [rng.standard_normal((6, 4)), *random_weights(rng, 6, 5, gain=1.5)]
    weights.append(rng.standard_normal((3, 6)))
    x = rng.standard_normal((7, 4))
    w = rng.standard_normal((7, 3))
    got = backward_norms(weights, activation, x, w)
    assert got.shape == (len(weights) + 1, 7)
    assert_allclose(got[0], 1.0)
    assert_allclose(got, _jacobian_norms(weights, activation, x, w), rtol=1e-12)


def test_backward_norms_of_a_linear_chain_are_powers_of_lambda(rng):
    # f_i(x) = lam x: the back-propagated vector is lam^k w after k layers, for any w.
    lam, depth = 0.5, 12
    x = rng.standard_normal((3, 4))
    w = rng.standard_normal((3, 4))
    got = backward_norms([lam * np.eye(4)] * depth, identity, x, w)
    assert_allclose(
        got, np.repeat(lam ** np.arange(depth + 1.0)[:, None], 3, axis=1), rtol=1e-14
    )


def test_backward_norms_of_an_orthogonal_linear_chain_are_one(rng):
    Q, _ = np.linalg.qr(rng.standard_normal((5, 5)))
    x, w = rng.standard_normal((2, 5)), rng.standard_normal((2, 5))
    got = backward_norms([Q] * 30, identity, x, w)
    assert_allclose(got, 1.0, rtol=1e-12)


def test_backward_norms_of_a_sigmoid_chain_obey_the_quarter_bound(rng):
    # ||D*f_i . e|| <= ||W_i||_2 sup psi' ||e|| = ||W_i||_2 / 4 ||e|| for the sigmoid.
    weights = random_weights(rng, 16, 10, gain=3.0)
    x, w = rng.standard_normal((8, 16)), rng.standard_normal((8, 16))
    got = backward_norms(weights, sigmoid, x, w)
    steps = got[1:] / got[:-1]  # row k: the factor of layer L - k + 1
    bounds = np.array([np.linalg.norm(W, 2) / 4 for W in reversed(weights)])
    assert np.all(steps <= bounds[:, None] * (1 + 1e-12))
    assert np.all(got[-1] <= np.prod(bounds) * (1 + 1e-12))


def test_backward_norms_sigmoid_vanishes_relu_does_not():
    rng = np.random.default_rng(0)
    x, w = rng.standard_normal((32, 64)), rng.standard_normal((32, 64))
    sig = backward_norms(random_weights(rng, 64, 40, 1.0), sigmoid, x, w)
    rel = backward_norms(random_weights(rng, 64, 40, np.sqrt(2.0)), relu, x, w)
    assert np.median(sig[-1]) < 1e-15
    assert 1e-2 < np.median(rel[-1]) < 1e2


def test_backward_norms_rejects_a_cotangent_of_the_wrong_shape(rng):
    weights = [rng.standard_normal((4, 3))]
    with pytest.raises(
        ValueError, match=r"expected w of shape \(N, n_\(L\+1\)\) = \(2, 4\)"
    ):
        backward_norms(weights, tanh, np.ones((2, 3)), np.ones((2, 3)))


def test_backward_norms_rejects_a_zero_cotangent(rng):
    w = np.ones((2, 3))
    w[1] = 0.0
    with pytest.raises(ValueError, match="nonzero cotangent"):
        backward_norms([np.eye(3)], tanh, np.ones((2, 3)), w)


def test_backward_norms_rejects_weights_that_do_not_chain():
    with pytest.raises(ValueError, match="expected weight W_1"):
        backward_norms([np.eye(4)], tanh, np.ones((2, 3)), np.ones((2, 4)))
