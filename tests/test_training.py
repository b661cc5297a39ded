"""Tests of adjnets.training.loops.train: minibatch gradient descent over
Algorithms 3.2.1 and 3.3.1."""

from __future__ import annotations

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

from adjnets import Dense, Network, cross_entropy, one_hot, squared, tanh, tree_map
from adjnets.calculus.spaces import leaves
from adjnets.data.synthetic import noisy_curve, two_moons
from adjnets.training.loops import train


@pytest.fixture
def problem():
    net = Network([Dense(1, 8, tanh), Dense(8, 1)])
    theta = net.init(np.random.default_rng(0))
    x, y = noisy_curve(24, noise=0.05, rng=1)
    return net, theta, x, y


def _same(a, b):
    for p, q in zip(leaves(a), leaves(b), strict=True):
        assert_array_equal(p, q)


@pytest.mark.thesis("Algorithm 3.2.1")
def test_full_batch_is_repeated_gradient_steps_with_eta_lr_over_n(problem):
    net, theta, x, y = problem
    trained, history = train(net, theta, x, y, squared, lr=0.1, epochs=3)
    expected, values = theta, []
    for _ in range(3):
        expected, value = net.gradient_step(x, y, expected, 0.1 / len(x), squared)
        values.append(value / len(x))
    _same(trained, expected)
    assert_allclose(history, values, rtol=1e-15)


def test_minibatches_follow_the_seeded_shuffle(problem):
    net, theta, x, y = problem
    trained, history = train(
        net, theta, x, y, squared, lr=0.05, epochs=2, batch_size=10, rng=7
    )
    rng, expected, totals = np.random.default_rng(7), theta, []
    for _ in range(2):
        order, total = rng.permutation(len(x)), 0.0
        # the last batch has 4 points
        for idx in (order[:10], order[10:20], order[20:]):
            expected, value = net.gradient_step(
                x[idx], y[idx], expected, 0.05 / len(idx), squared
            )
            total += value
        totals.append(total / len(x))
    _same(trained, expected)
    assert_allclose(history, totals, rtol=1e-15)


def test_same_seed_same_result_other_seed_other_result(problem):
    net, theta, x, y = problem
    a, ha = train(net, theta, x, y, squared, lr=0.05, epochs=3, batch_size=5, rng=1)
    b, hb = train(
        net,
        theta,
        x,
        y,
        squared,
        lr=0.05,
        epochs=3,
        batch_size=5,
        rng=np.random.default_rng(1),
    )
    c, _ = train(net, theta, x, y, squared, lr=0.05, epochs=3, batch_size=5, rng=2)
    _same(a, b)
    assert_array_equal(ha, hb)
    assert not np.allclose(a[0].W, c[0].W)


def test_input_parameters_are_not_modified(problem):
    net, theta, x, y = problem
    copy = tree_map(np.copy, theta)
    train(net, theta, x, y, squared, lr=0.1, epochs=2, batch_size=4)
    _same(theta, copy)


def test_weight_decay_is_on_the_mean_loss_independent_of_batch_size(problem):
    net, theta, x, y = problem
    lam = 0.3
    trained, history = train(
        net, theta, x, y, squared, lr=0.1, epochs=1, weight_decay=lam
    )
    value, grads = net.loss_and_gradient(x, y, theta, squared)
    expected = tree_map(lambda th, g: th - 0.1 * (g / len(x) + lam * th), theta, grads)
    for p, q in zip(leaves(trained), leaves(expected), strict=True):
        assert_allclose(p, q, rtol=1e-13, atol=1e-15)
    penalty = 0.5 * lam * sum(float(np.vdot(a, a)) for a in leaves(theta))
    assert history[0] == pytest.approx(value / len(x) + penalty, rel=1e-13)


def test_regression_loss_decreases():
    net = Network([Dense(1, 16, tanh), Dense(16, 1)])
    theta = net.init(np.random.default_rng(0))
    x, y = noisy_curve(64, noise=0.05, rng=2)
    _, history = train(
        net, theta, x, y, squared, lr=0.1, epochs=300, batch_size=16, rng=0
    )
    assert history.shape == (300,)
    assert history[-1] < 0.2 * history[0]
    assert history[-1] < 0.01


def test_classification_reaches_high_training_accuracy():
    net = Network([Dense(2, 16, tanh), Dense(16, 16, tanh), Dense(16, 2)])
    theta = net.init(np.random.default_rng(0))
    x, labels = two_moons(200, noise=0.1, rng=0)
    trained, history = train(
        net,
        theta,
        x,
        one_hot(labels, 2),
        cross_entropy,
        lr=0.5,
        epochs=200,
        batch_size=20,
        rng=0,
    )
    accuracy = np.mean(np.argmax(net(x, trained), axis=-1) == labels)
    assert accuracy >= 0.95
    assert history[-1] < history[0]


@pytest.mark.thesis("Algorithm 3.3.1")
def test_tangent_training_is_repeated_tangent_steps(problem):
    net, theta, x, y = problem
    rng = np.random.default_rng(3)
    v = rng.standard_normal((2, *x.shape))
    trained, history = train(net, theta, x, y, squared, lr=0.1, epochs=2, v=v, mu=0.5)
    expected, values = theta, []
    beta = np.zeros((2, *y.shape))
    for _ in range(2):
        expected, value = net.tangent_step(
            x, y, v, beta, expected, 0.1 / len(x), 0.5, squared
        )
        values.append(value / len(x))
    _same(trained, expected)
    assert_allclose(history, values, rtol=1e-15)


def test_tangent_penalty_shrinks_the_output_tangent():
    net = Network([Dense(2, 12, tanh), Dense(12, 1)])
    theta = net.init(np.random.default_rng(0))
    rng = np.random.default_rng(1)
    x = rng.uniform(-1, 1, (60, 2))
    y = np.sin(np.pi * x[:, :1]) + 0.5 * x[:, 1:]
    v = np.broadcast_to(np.array([0.0, 1.0]), (1, *x.shape))
    size = {}
    for mu in (0.0, 10.0):
        trained, _ = train(
            net, theta, x, y, squared, lr=0.1, epochs=200, batch_size=20, v=v, mu=mu
        )
        size[mu] = np.abs(net.tangent_forward(x, v, trained).tangents[-1]).mean()
    assert size[10.0] < 0.5 * size[0.0]


def test_beta_is_used(problem):
    net, theta, x, y = problem
    v = np.ones((1, *x.shape))
    a, _ = train(net, theta, x, y, squared, lr=0.1, epochs=1, v=v, mu=1.0)
    b, _ = train(
        net,
        theta,
        x,
        y,
        squared,
        lr=0.1,
        epochs=1,
        v=v,
        beta=np.ones((1, *y.shape)),
        mu=1.0,
    )
    assert not np.allclose(a[0].W, b[0].W)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"lr": 0.0, "epochs": 1}, "lr"),
        ({"lr": -1.0, "epochs": 1}, "lr"),
        ({"lr": 0.1, "epochs": 0}, "epochs"),
        ({"lr": 0.1, "epochs": 1, "batch_size": 0}, "batch_size"),
        ({"lr": 0.1, "epochs": 1, "batch_size": 25}, "batch_size <= N"),
        ({"lr": 0.1, "epochs": 1, "weight_decay": -0.1}, "weight_decay"),
        ({"lr": 0.1, "epochs": 1, "mu": 1.0}, "only together"),
        ({"lr": 0.1, "epochs": 1, "v": np.ones((2, 24))}, "tangents v"),
        ({"lr": 0.1, "epochs": 1, "v": np.ones((2, 24, 1)), "mu": -1.0}, "mu"),
        (
            {
                "lr": 0.1,
                "epochs": 1,
                "v": np.ones((2, 24, 1)),
                "beta": np.ones((1, 24, 1)),
            },
            "beta",
        ),
    ],
)
def test_bad_arguments_are_rejected(problem, kwargs, match):
    net, theta, x, y = problem
    with pytest.raises(ValueError, match=match):
        train(net, theta, x, y, squared, **kwargs)


def test_a_float_count_is_the_wrong_kind(problem):
    net, theta, x, y = problem
    with pytest.raises(TypeError, match="epochs to be an integer"):
        train(net, theta, x, y, squared, lr=0.1, epochs=1.5)


def test_mismatched_data_is_rejected(problem):
    net, theta, x, y = problem
    with pytest.raises(ValueError, match="same number"):
        train(net, theta, x, y[:-1], squared, lr=0.1, epochs=1)
    with pytest.raises(ValueError, match="same number"):
        train(net, theta, x[:0], y[:0], squared, lr=0.1, epochs=1)


@pytest.fixture
def conv_problem():
    """Two convolution layers and no flattening: each point's output has three axes,
    (4, 3, 3), so beta's default must be zeros of shape (K, N, 4, 3, 3)."""
    from adjnets.specific.cnn.layers import conv_layer

    rng = np.random.default_rng(5)
    net = Network(
        [
            conv_layer(2, 4, kernel=3, activation=tanh, pool=1),
            conv_layer(4, 3, kernel=2, activation=tanh, pool=1),
        ]
    )
    theta = net.init(rng)
    x = rng.standard_normal((6, 7, 6, 2))
    y = 0.5 * rng.standard_normal((6, 4, 3, 3))
    v = rng.standard_normal((2, *x.shape))
    return net, theta, x, y, v


@pytest.mark.thesis("Algorithm 3.3.1")
def test_default_beta_of_a_multi_axis_output_is_zero_invariance(conv_problem):
    net, theta, x, y, v = conv_problem
    assert net(x, theta).shape == (6, 4, 3, 3)
    kwargs = {"lr": 0.05, "epochs": 3, "batch_size": 4, "rng": 2, "v": v, "mu": 1.5}
    default, history = train(net, theta, x, y, squared, **kwargs)
    zeros = np.zeros((2, 6, 4, 3, 3))
    explicit, explicit_history = train(net, theta, x, y, squared, beta=zeros, **kwargs)
    _same(default, explicit)
    assert_array_equal(history, explicit_history)
    # and not any other constant target: beta = 1 trains differently
    ones, _ = train(net, theta, x, y, squared, beta=np.ones_like(zeros), **kwargs)
    assert not np.allclose(ones[0].W, default[0].W)


@pytest.mark.thesis("Algorithm 3.3.1")
def test_default_beta_step_of_a_conv_network_against_jax(conv_problem):
    # one full-batch epoch is theta - (lr/N) grad(J + mu R) with beta = 0 (equations
    # 3.13 and 3.14), the gradient taken by JAX and not by adjnets
    from adjnets.autodiff import assert_close, jax, jnp, to_jax
    from adjnets.autodiff import network as jax_network

    net, theta, x, y, v = conv_problem
    lr, mu, n = 0.05, 1.5, len(x)
    trained, history = train(net, theta, x, y, squared, lr=lr, epochs=1, v=v, mu=mu)
    X, Y, V = map(jnp.asarray, (x, y, v))

    def objective(th):
        R = 0.0
        for k in range(len(v)):
            _, jv = jax.jvp(lambda z: jax_network(net, z, th), (X,), (V[k],))
            R = R + 0.5 * jnp.sum(jv**2) / len(v)
        return 0.5 * jnp.sum((jax_network(net, X, th) - Y) ** 2) + mu * R

    value, grad = jax.value_and_grad(objective)(to_jax(theta))
    expected = jax.tree_util.tree_map(lambda t, g: t - lr / n * g, to_jax(theta), grad)
    assert_close(trained, expected, rtol=1e-12)
    assert history[0] == pytest.approx(float(value) / n, rel=1e-12)


def test_default_beta_training_of_a_conv_network_decreases_the_objective(conv_problem):
    net, theta, x, y, v = conv_problem
    trained, history = train(
        net, theta, x, y, squared, lr=0.05, epochs=30, batch_size=3, v=v, mu=1.0
    )
    assert history.shape == (30,) and np.all(np.isfinite(history))
    assert history[-1] < 0.5 * history[0]
    beta = np.zeros((2, *y.shape))
    before = net.tangent_loss_and_gradient(x, y, v, beta, theta, 1.0, squared)[0]
    after = net.tangent_loss_and_gradient(x, y, v, beta, trained, 1.0, squared)[0]
    assert after < 0.5 * before
