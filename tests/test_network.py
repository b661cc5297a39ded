"""Chapter 3: the generic network, checked against JAX's automatic differentiation (rtol 1e-10)."""

from __future__ import annotations

import numpy as np
import pytest

from adjnets import (
    Dense,
    Network,
    cross_entropy,
    one_hot,
    sigmoid,
    softplus,
    squared,
    tanh,
)
from adjnets.autodiff import assert_close, jax, jnp, network, to_jax
from adjnets.calculus.spaces import inner, random_like, tree_map


@pytest.fixture
def setup():
    """A 3-layer network with smooth activations, a batch of 5 and 2 tangents per point."""
    rng = np.random.default_rng(3)
    net = Network([Dense(4, 6, tanh), Dense(6, 5, softplus), Dense(5, 3, sigmoid)])
    theta = tree_map(lambda a: a + 0.3 * rng.standard_normal(a.shape), net.init(rng))
    x = rng.standard_normal((5, 4))
    v = rng.standard_normal((2, 5, 4))
    return rng, net, theta, x, v


def F(net, theta):
    return lambda x: network(net, x, theta)


@pytest.mark.thesis("Theorem 3.2.5")
def test_backpropagation_is_the_adjoint_of_the_tail_map(setup):
    rng, net, theta, x, _ = setup
    fwd = net.forward(x, theta)
    e = rng.standard_normal(fwd.output.shape)
    errors = net.backpropagate(fwd, e)
    th = to_jax(theta)
    for i in range(1, net.L + 1):  # e_i = D* omega_{i+1}(x_{i+1}) . e
        x_next = fwd.states[i]

        def tail(z, i=i):
            return network(net, z, th, start=i + 1)

        _, vjp = jax.vjp(tail, jnp.asarray(x_next))
        assert_close(errors[i - 1], vjp(jnp.asarray(e))[0])
    _, vjp = jax.vjp(F(net, th), jnp.asarray(x))
    assert_close(net.input_cotangent(fwd, e), vjp(jnp.asarray(e))[0])


@pytest.mark.thesis("Lemma 3.2.1")
def test_parameter_adjoint_of_the_network(setup):
    rng, net, theta, x, _ = setup
    fwd = net.forward(x, theta)
    e = rng.standard_normal(fwd.output.shape)
    _, vjp = jax.vjp(lambda th: network(net, jnp.asarray(x), th), to_jax(theta))
    assert_close(net.grad_adjoint(fwd, e), vjp(jnp.asarray(e))[0])


def jax_squared(net, x, y):
    return lambda th: 0.5 * jnp.sum((network(net, x, th) - y) ** 2)


def jax_cross_entropy(net, x, y):
    return lambda th: -jnp.sum(y * jax.nn.log_softmax(network(net, x, th), axis=-1))


@pytest.mark.thesis("Theorem 3.2.2", "Remark 3.2.3")
def test_squared_loss_gradient(setup):
    rng, net, theta, x, _ = setup
    y = rng.standard_normal((5, 3))
    value, grads = net.loss_and_gradient(x, y, theta, squared)
    J = jax_squared(net, jnp.asarray(x), jnp.asarray(y))
    assert value == pytest.approx(float(J(to_jax(theta))), rel=1e-12)
    assert_close(grads, jax.grad(J)(to_jax(theta)))
    # Remark 3.2.3: each gradient is a point of its layer's parameter space
    assert all(type(g) is type(t) for g, t in zip(grads, theta, strict=True))


@pytest.mark.thesis("Theorem 3.2.4", "Remark 2.4.5")
def test_cross_entropy_gradient(setup):
    rng, net, theta, x, _ = setup
    y = one_hot(rng.integers(0, 3, 5), 3)
    value, grads = net.loss_and_gradient(x, y, theta, cross_entropy)
    J = jax_cross_entropy(net, jnp.asarray(x), jnp.asarray(y))
    assert value == pytest.approx(float(J(to_jax(theta))), rel=1e-12)
    assert_close(grads, jax.grad(J)(to_jax(theta)))


def test_cross_entropy_gradient_for_targets_not_summing_to_one(setup):
    # the error is <1, y> sigma(y_hat) - y (Lemma 2.4.4); sigma(y_hat) - y needs a one-hot y
    rng, net, theta, x, _ = setup
    y = rng.uniform(0, 1, (5, 3))
    _, grads = net.loss_and_gradient(x, y, theta, cross_entropy)
    J = jax_cross_entropy(net, jnp.asarray(x), jnp.asarray(y))
    assert_close(grads, jax.grad(J)(to_jax(theta)))


@pytest.mark.thesis("Remark 3.2.6")
def test_weight_decay(setup):
    rng, net, theta, x, _ = setup
    y, lam = rng.standard_normal((5, 3)), 0.3
    value, grads = net.loss_and_gradient(x, y, theta, squared, weight_decay=lam)
    J0 = jax_squared(net, jnp.asarray(x), jnp.asarray(y))

    def J(th):
        return J0(th) + 0.5 * lam * sum(
            jnp.sum(a**2) for a in jax.tree_util.tree_leaves(th)
        )

    assert value == pytest.approx(float(J(to_jax(theta))), rel=1e-12)
    assert_close(grads, jax.grad(J)(to_jax(theta)))


@pytest.mark.thesis("Algorithm 3.2.1")
def test_gradient_step(setup):
    rng, net, theta, x, _ = setup
    y, eta = rng.standard_normal((5, 3)), 1e-3
    new, value = net.gradient_step(x, y, theta, eta, squared)
    J = jax_squared(net, jnp.asarray(x), jnp.asarray(y))
    g = jax.grad(J)(to_jax(theta))
    expected = jax.tree_util.tree_map(lambda t, gi: t - eta * gi, to_jax(theta), g)
    assert_close(new, expected, rtol=1e-12)
    assert net.loss_and_gradient(x, y, new, squared)[0] < value


@pytest.mark.thesis("Lemma 3.3.2")
def test_tangent_forward_propagation(setup):
    _, net, theta, x, v = setup
    tf = net.tangent_forward(x, v, theta)
    th = to_jax(theta)
    for i in range(1, net.L + 1):  # v_{i+1} = D alpha_i(x) . v

        def head(z, i=i):
            return network(net, z, th, stop=i)

        for k in range(v.shape[0]):
            _, jv = jax.jvp(head, (jnp.asarray(x),), (jnp.asarray(v[k]),))
            assert_close(tf.tangents[i][k], jv)


@pytest.mark.thesis("Theorem 3.3.3")
def test_tangent_backpropagation(setup):
    rng, net, theta, x, v = setup
    v = v[:1]
    tf = net.tangent_forward(x, v, theta)
    e = rng.standard_normal((1, *tf.forward.output.shape))
    e_t, e_v = net.tangent_backpropagate(tf, e)
    th = to_jax(theta)
    for i in range(1, net.L + 1):
        # e^t_i = ((D alpha_i v) -| D^2 omega_{i+1}(x_{i+1}))^* e
        #       = D_x( D* omega_{i+1}(alpha_i(x)) e ) . v
        def backprop_at(z, i=i):
            head_z = network(net, z, th, stop=i)
            _, vjp = jax.vjp(lambda s: network(net, s, th, start=i + 1), head_z)
            return vjp(jnp.asarray(e[0]))[0]

        _, expected_t = jax.jvp(backprop_at, (jnp.asarray(x),), (jnp.asarray(v[0]),))
        assert_close(e_t[i - 1][0], expected_t)
        _, vjp = jax.vjp(
            lambda s, i=i: network(net, s, th, start=i + 1),
            jnp.asarray(tf.forward.states[i]),
        )
        assert_close(e_v[i - 1][0], vjp(jnp.asarray(e[0]))[0])
    # equation (3.17), corrected: at i = L the tangent error is zero
    assert not np.any(e_t[-1])


def test_tangent_backpropagation_started_from_an_output_error(setup):
    # the recursion is linear: started from e^y_L instead of 0 it carries e^t_i + e^y_i, and the
    # parameter adjoint gains the ordinary gradient  grad*_theta_i f_i . e^y_i
    rng, net, theta, x, v = setup
    tf = net.tangent_forward(x, v, theta)
    e = rng.standard_normal(tf.tangents[-1].shape)
    e_y = rng.standard_normal(tf.tangents[-1].shape)
    e_t, _ = net.tangent_backpropagate(tf, e)
    started, _ = net.tangent_backpropagate(tf, e, start=e_y)
    errors = [net.backpropagate(tf.forward, e_y[k]) for k in range(e_y.shape[0])]
    for i in range(net.L):
        ordinary = np.stack([errs[i] for errs in errors])
        assert_close(started[i], e_t[i] + ordinary, rtol=1e-13)
    plain = net.tangent_grad_adjoint(tf, e)
    ordinary_grad = tree_map(
        lambda *g: sum(g),
        *[net.grad_adjoint(tf.forward, e_y[k]) for k in range(e_y.shape[0])],
    )
    assert_close(
        net.tangent_grad_adjoint(tf, e, start=e_y),
        tree_map(np.add, plain, ordinary_grad),
        rtol=1e-13,
    )
    with pytest.raises(ValueError, match=r"start of shape \(2, 5, 3\)"):
        net.tangent_backpropagate(tf, e, start=e_y[0])


@pytest.mark.thesis("Theorem 3.3.4")
def test_adjoint_of_the_mixed_derivative_of_the_network(setup):
    rng, net, theta, x, v = setup
    tf = net.tangent_forward(x, v, theta)
    e = rng.standard_normal(tf.tangents[-1].shape)
    got = net.tangent_grad_adjoint(tf, e)

    # <e, DF(x; theta) . v>, whose theta-gradient is (grad DF |_ v)^* e
    def pairing(th):
        total = 0.0
        for k in range(v.shape[0]):
            _, jv = jax.jvp(
                lambda z: network(net, z, th), (jnp.asarray(x),), (jnp.asarray(v[k]),)
            )
            total = total + jnp.sum(jnp.asarray(e[k]) * jv)
        return total

    assert_close(got, jax.grad(pairing)(to_jax(theta)))


def jax_tangent_objective(net, x, y, v, beta, mu, base):
    def J(th):
        K = v.shape[0]
        R = 0.0
        for k in range(K):
            _, jv = jax.jvp(lambda z: network(net, z, th), (x,), (v[k],))
            R = R + 0.5 * jnp.sum((jv - beta[k]) ** 2) / K
        return base(th) + mu * R

    return J


@pytest.mark.thesis("Theorem 3.3.1")
@pytest.mark.parametrize(
    "loss", [squared, cross_entropy], ids=["squared", "cross-entropy"]
)
def test_higher_order_loss_gradient(setup, loss):
    rng, net, theta, x, v = setup
    y = (
        rng.standard_normal((5, 3))
        if loss is squared
        else one_hot(rng.integers(0, 3, 5), 3)
    )
    beta, mu = rng.standard_normal((2, 5, 3)), 0.7
    value, grads = net.tangent_loss_and_gradient(x, y, v, beta, theta, mu, loss)
    X, Y, V, B = map(jnp.asarray, (x, y, v, beta))
    base = jax_squared(net, X, Y) if loss is squared else jax_cross_entropy(net, X, Y)
    J = jax_tangent_objective(net, X, Y, V, B, mu, base)
    assert value == pytest.approx(float(J(to_jax(theta))), rel=1e-12)
    assert_close(grads, jax.grad(J)(to_jax(theta)))
    assert net.tangent_penalty(x, v, beta, theta) == pytest.approx(
        (value - loss.value(net(x, theta), y)) / mu, rel=1e-10
    )


@pytest.mark.thesis("Algorithm 3.3.1")
def test_higher_order_step_descends(setup):
    rng, net, theta, x, v = setup
    y, beta = rng.standard_normal((5, 3)), np.zeros((2, 5, 3))
    new, value = net.tangent_step(x, y, v, beta, theta, 1e-3, 2.0, squared)
    _, grads = net.tangent_loss_and_gradient(x, y, v, beta, theta, 2.0, squared)
    assert_close(new, tree_map(lambda t, g: t - 1e-3 * g, theta, grads), rtol=1e-14)
    assert net.tangent_loss_and_gradient(x, y, v, beta, new, 2.0, squared)[0] < value


def test_head_and_tail_maps_compose_to_the_network(setup):
    # equation (3.4): F = omega_{i+1} o alpha_i for every i, with alpha_0 = omega_{L+1} = id
    _, net, theta, x, _ = setup
    for i in range(net.L + 1):
        np.testing.assert_allclose(
            net.tail(i + 1, theta)(net.head(i, theta)(x)), net(x, theta), rtol=1e-14
        )


def test_bad_inputs_raise_value_errors(setup):
    _, net, theta, x, v = setup
    with pytest.raises(TypeError, match="theta as a tuple of 3"):
        net(x, theta[:2])
    with pytest.raises(ValueError, match=r"x of shape \(\.\.\., 4\)"):
        net(x[:, :3], theta)
    with pytest.raises(ValueError, match="targets of the output's shape"):
        net.loss_and_gradient(x, np.zeros((5, 2)), theta, squared)
    with pytest.raises(ValueError, match=r"v of shape \(N, 5, 4\)"):
        net.tangent_penalty(x, v[0], v[0][..., :3], theta)
    with pytest.raises(ValueError, match="at least one layer"):
        Network([])


def test_gradient_is_a_sum_over_the_batch(setup):
    # a batch is a point of R^N (x) E: its loss, and so its gradient, is the sum over its points
    rng, net, theta, x, _ = setup
    y = rng.standard_normal((5, 3))
    _, whole = net.loss_and_gradient(x, y, theta, squared)
    parts = [
        net.loss_and_gradient(x[j : j + 1], y[j : j + 1], theta, squared)[1]
        for j in range(5)
    ]
    total = parts[0]
    for p in parts[1:]:
        total = tree_map(np.add, total, p)
    assert_close(whole, total, rtol=1e-12)
    u = random_like(rng, theta)
    assert inner(whole, u) == pytest.approx(inner(total, u), rel=1e-12)


@pytest.mark.thesis("Algorithm 3.3.1")
@pytest.mark.parametrize("weight_decay", [0.0, 0.4], ids=["plain", "decay"])
@pytest.mark.parametrize(
    "loss", [squared, cross_entropy], ids=["squared", "cross-entropy"]
)
def test_higher_order_step_against_jax(setup, loss, weight_decay):
    # one step of Algorithm 3.3.1 with beta != 0 is theta - eta grad(J + mu R +
    # lambda/2 |theta|^2), the gradient taken by JAX, not by the package
    rng, net, theta, x, v = setup
    y = (
        rng.standard_normal((5, 3))
        if loss is squared
        else one_hot(rng.integers(0, 3, 5), 3)
    )
    beta, mu, eta = rng.standard_normal((2, 5, 3)), 0.7, 0.05
    new, value = net.tangent_step(
        x, y, v, beta, theta, eta, mu, loss, weight_decay=weight_decay
    )
    X, Y, V, B = map(jnp.asarray, (x, y, v, beta))
    base = jax_squared(net, X, Y) if loss is squared else jax_cross_entropy(net, X, Y)
    tangent = jax_tangent_objective(net, X, Y, V, B, mu, base)

    def J(th):
        leaves = jax.tree_util.tree_leaves(th)
        return tangent(th) + 0.5 * weight_decay * sum(jnp.sum(a**2) for a in leaves)

    expected_value, grads = jax.value_and_grad(J)(to_jax(theta))
    assert value == pytest.approx(float(expected_value), rel=1e-12)
    expected = jax.tree_util.tree_map(lambda t, g: t - eta * g, to_jax(theta), grads)
    assert_close(new, expected, rtol=1e-13)
    # and it moves: the step is not the identity, and beta matters
    assert_close(tree_map(np.subtract, new, theta), tree_map(lambda g: -eta * g, grads))
    other, _ = net.tangent_step(
        x, y, v, 0 * beta, theta, eta, mu, loss, weight_decay=weight_decay
    )
    assert not np.allclose(other[0].W, new[0].W)
