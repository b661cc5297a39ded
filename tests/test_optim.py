"""Tests of adjnets.training.optim: one step of each method by hand, convergence, bad
hyperparameters."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

from adjnets import MLP, cross_entropy, one_hot, tree_map
from adjnets.calculus.spaces import leaves
from adjnets.training.optim import (
    SGD,
    AdaGrad,
    Adam,
    GradientDescent,
    HeavyBall,
    Nesterov,
    fit,
    iterate,
)


class P(NamedTuple):
    W: np.ndarray
    b: np.ndarray


def _tree(rng):
    return (
        P(rng.standard_normal((3, 2)), rng.standard_normal(3)),
        rng.standard_normal(4),
    )


def _close(a, b, rtol=1e-14):
    for p, q in zip(leaves(a), leaves(b), strict=True):
        assert_allclose(p, q, rtol=rtol, atol=1e-15)


@pytest.fixture
def trees():
    rng = np.random.default_rng(0)
    return _tree(rng), _tree(rng), _tree(rng)


def _flat(tree):
    return np.concatenate([np.ravel(a) for a in leaves(tree)])


def _unflat(vec, like):
    out, k = [], 0
    for a in leaves(like):
        out.append(vec[k : k + a.size].reshape(a.shape))
        k += a.size
    it = iter(out)
    return tree_map(lambda _: next(it), like)


def test_gradient_descent_step(trees):
    theta, g, _ = trees
    opt = GradientDescent(0.3)
    new, state = opt.step(theta, g, opt.init(theta))
    assert state == ()
    _close(new, tree_map(lambda t, d: t - 0.3 * d, theta, g))
    assert isinstance(new[0], P)
    assert SGD is GradientDescent


def test_heavy_ball_two_steps(trees):
    theta0, g0, g1 = trees
    eta, beta = 0.2, 0.7
    opt = HeavyBall(eta, beta)
    s = opt.init(theta0)
    theta1, s = opt.step(theta0, g0, s)
    theta2, s = opt.step(theta1, g1, s)
    t0, d0, d1 = _flat(theta0), _flat(g0), _flat(g1)
    t1 = t0 - eta * d0 + beta * (t0 - t0)  # theta^{-1} = theta^0
    t2 = t1 - eta * d1 + beta * (t1 - t0)
    assert_allclose(_flat(theta1), t1, rtol=1e-14)
    assert_allclose(_flat(theta2), t2, rtol=1e-14)


def test_nesterov_follows_extrapolate_then_step():
    rng = np.random.default_rng(1)
    A = rng.standard_normal((5, 5))
    A = A @ A.T + np.eye(5)
    c = rng.standard_normal(5)
    like = (
        rng.standard_normal(2),
        P(rng.standard_normal((1, 2)), rng.standard_normal(1)),
    )

    def grad(tree):
        return _unflat(A @ _flat(tree) - c, tree)

    eta, beta = 0.05, 0.6
    opt = Nesterov(eta, beta)
    chis = iterate(opt, grad, like, 3)
    # the formula written out:
    # chi^{t+1} = th^t + beta (th^t - th^{t-1}), th^{t+1} = chi^{t+1} - eta grad
    th_prev = th = _flat(like)
    expected = []
    for _ in range(3):
        chi = th + beta * (th - th_prev)
        th_prev, th = th, chi - eta * (A @ chi - c)
        expected.append(chi)
    expected.append(th + beta * (th - th_prev))
    for got, want in zip(chis, expected, strict=True):
        assert_allclose(_flat(got), want, rtol=1e-13)
    # position() recovers theta^t
    theta, state = like, opt.init(like)
    for _ in range(3):
        theta, state = opt.step(theta, grad(theta), state)
    assert_allclose(_flat(opt.position(theta, state)), th, rtol=1e-13)


def test_adagrad_two_steps(trees):
    theta0, g0, g1 = trees
    eta, delta = 0.1, 1e-3
    opt = AdaGrad(eta, delta)
    theta1, s = opt.step(theta0, g0, opt.init(theta0))
    theta2, s = opt.step(theta1, g1, s)
    t0, d0, d1 = _flat(theta0), _flat(g0), _flat(g1)
    t1 = t0 - eta / (np.sqrt(d0**2) + delta) * d0
    t2 = t1 - eta / (np.sqrt(d0**2 + d1**2) + delta) * d1
    assert_allclose(_flat(theta1), t1, rtol=1e-14)
    assert_allclose(_flat(theta2), t2, rtol=1e-14)
    assert_allclose(_flat(s.sum_sq), d0**2 + d1**2, rtol=1e-15)


@pytest.mark.parametrize("bias_correction", [True, False])
def test_adam_two_steps(trees, bias_correction):
    theta0, g0, g1 = trees
    eta, b1, b2, eps = 0.01, 0.8, 0.95, 1e-6
    opt = Adam(eta, b1, b2, eps, bias_correction)
    theta1, s = opt.step(theta0, g0, opt.init(theta0))
    theta2, s = opt.step(theta1, g1, s)
    t0, d0, d1 = _flat(theta0), _flat(g0), _flat(g1)
    m1, v1 = (1 - b1) * d0, (1 - b2) * d0**2
    m2, v2 = b1 * m1 + (1 - b1) * d1, b2 * v1 + (1 - b2) * d1**2
    if bias_correction:
        t1 = t0 - eta * (m1 / (1 - b1)) / (np.sqrt(v1 / (1 - b2)) + eps)
        t2 = t1 - eta * (m2 / (1 - b1**2)) / (np.sqrt(v2 / (1 - b2**2)) + eps)
    else:
        t1 = t0 - eta * m1 / (np.sqrt(v1) + eps)
        t2 = t1 - eta * m2 / (np.sqrt(v2) + eps)
    assert_allclose(_flat(theta1), t1, rtol=1e-13)
    assert_allclose(_flat(theta2), t2, rtol=1e-13)
    assert s.steps == 2


def test_steps_are_pure(trees):
    theta, g, _ = trees
    copies = [tree_map(np.copy, t) for t in (theta, g)]
    for opt in (
        GradientDescent(0.1),
        HeavyBall(0.1),
        Nesterov(0.1),
        AdaGrad(0.1),
        Adam(0.1),
    ):
        state = opt.init(theta)
        before = tree_map(np.copy, state)
        a = opt.step(theta, g, state)
        b = opt.step(theta, g, state)
        _close(a[0], b[0], rtol=0)
        for p, q in zip(leaves(state), leaves(before), strict=True):
            assert_array_equal(p, q)
        for p, q in zip(leaves((theta, g)), leaves(tuple(copies)), strict=True):
            assert_array_equal(p, q)


@pytest.mark.parametrize(
    "opt, steps",
    [
        (GradientDescent(1 / 10), 400),
        (HeavyBall(1 / 10, 0.5), 300),
        (Nesterov(1 / 10, 0.5), 300),
        (AdaGrad(0.5), 2000),
        (Adam(0.05), 2000),
    ],
)
def test_convergence_on_strongly_convex_quadratic(opt, steps):
    rng = np.random.default_rng(3)
    Q, _ = np.linalg.qr(rng.standard_normal((6, 6)))
    A = Q @ np.diag(np.linspace(1.0, 10.0, 6)) @ Q.T  # mu = 1, L = 10
    x_star = rng.standard_normal(6)
    like = (np.zeros(2), P(np.zeros((2, 2)), np.zeros(0)))

    def grad(tree):
        return _unflat(A @ (_flat(tree) - x_star), tree)

    final = iterate(opt, grad, like, steps)[-1]
    assert np.linalg.norm(_flat(final) - x_star) < 1e-6


def test_gradient_descent_rate_on_quadratic():
    A = np.diag([1.0, 4.0])
    theta = np.array([1.0, 1.0])
    its = iterate(GradientDescent(0.25), lambda x: A @ x, theta, 20)

    def f(x):
        return 0.5 * x @ A @ x

    for k, x in enumerate(its):
        assert f(x) <= (1 - 1 / 4) ** k * f(theta) * (1 + 1e-12)


@pytest.mark.parametrize(
    "make",
    [
        lambda: GradientDescent(-0.1),
        lambda: GradientDescent(0.0),
        lambda: GradientDescent(np.inf),
        lambda: HeavyBall(-1.0),
        lambda: HeavyBall(0.1, 1.0),
        lambda: HeavyBall(0.1, -0.1),
        lambda: Nesterov(0.1, 1.5),
        lambda: Nesterov(-0.1, 0.5),
        lambda: AdaGrad(-0.1),
        lambda: AdaGrad(0.1, -1e-8),
        lambda: Adam(-1e-3),
        lambda: Adam(1e-3, beta1=1.0),
        lambda: Adam(1e-3, beta2=-0.5),
        lambda: Adam(1e-3, eps=-1.0),
    ],
)
def test_bad_hyperparameters_raise(make):
    with pytest.raises(ValueError):
        make()


def test_iterate_and_fit_validate():
    with pytest.raises(ValueError, match="steps to be an integer >= 0"):
        iterate(GradientDescent(0.1), lambda x: x, np.ones(2), -1)
    with pytest.raises(TypeError, match="loss_and_gradient to be callable"):
        fit(
            GradientDescent(0.1),
            None,
            np.ones(2),
            np.ones(2),
            np.ones(2),
            epochs=0,
            batch_size=1,
        )


def test_fit_with_gradient_descent_full_batch_is_mean_loss_steps():
    rng = np.random.default_rng(5)
    mlp = MLP((4, 5, 3))
    theta = mlp.init(rng)
    x, y = rng.standard_normal((12, 4)), one_hot(rng.integers(0, 3, 12), 3)

    def lg(xb, yb, th):
        return mlp.loss_and_gradient(xb, yb, th, cross_entropy)

    trained, history = fit(
        GradientDescent(0.5), lg, theta, x, y, epochs=3, batch_size=12
    )
    expected = theta
    for _ in range(3):
        expected, _ = mlp.gradient_step(x, y, expected, 0.5 / 12, cross_entropy)
    _close(trained, expected, rtol=1e-12)
    assert history.shape == (4,) and history[-1] < history[0]
