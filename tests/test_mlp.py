"""The MLP of thesis section 4.1: its fused gradient against the generic network and JAX."""

from __future__ import annotations

import numpy as np
import pytest

from adjnets import cross_entropy, one_hot, relu, sigmoid, softplus, squared, tanh
from adjnets.autodiff import assert_close, jax, jnp, network, to_jax
from adjnets.calculus.spaces import tree_map
from adjnets.specific.mlp import MLP, table_4_1


@pytest.fixture(params=[tanh, relu, softplus], ids=lambda f: f.name)
def case(request):
    rng = np.random.default_rng(21)
    mlp = MLP((6, 8, 7, 4), request.param)
    theta = tree_map(lambda a: a + 0.1 * rng.standard_normal(a.shape), mlp.init(rng))
    return rng, mlp, theta, rng.standard_normal((9, 6))


@pytest.mark.thesis("Remark 4.1.1")
def test_table_4_1_derivatives_as_printed():
    z = np.linspace(-4, 4, 81)
    table = table_4_1()
    # the thesis writes tanh' as 4 cosh^2 / (cosh 2x + 1)^2, which is 1 - tanh^2
    np.testing.assert_allclose(
        table["tanh"].derivative(z),
        4 * np.cosh(z) ** 2 / (np.cosh(2 * z) + 1) ** 2,
        rtol=1e-13,
    )
    s = table["sigmoid"](z)
    np.testing.assert_allclose(table["sigmoid"].derivative(z), s * (1 - s), rtol=1e-15)
    np.testing.assert_array_equal(table["ReLU"].derivative(z), np.heaviside(z, 0.0))


@pytest.mark.thesis("Theorem 4.1.4")
def test_backpropagation_in_the_mlp(case):
    rng, mlp, theta, x = case
    states, pre = mlp.forward(x, theta)
    e = rng.standard_normal(states[-1].shape)
    deltas = mlp.backpropagate(pre, theta, e)
    th = to_jax(theta)
    net = mlp.network
    for i in range(1, mlp.L + 1):  # D* omega_i(x_i) e = W_i^T delta_i, against JAX
        _, vjp = jax.vjp(
            lambda s, i=i: network(net, s, th, start=i), jnp.asarray(states[i - 1])
        )
        assert_close(deltas[i - 1] @ theta[i - 1].W, vjp(jnp.asarray(e))[0])


@pytest.mark.thesis("Theorem 4.1.5")
@pytest.mark.parametrize(
    "loss", [squared, cross_entropy], ids=["squared", "cross-entropy"]
)
def test_loss_gradients_in_the_mlp(case, loss):
    rng, mlp, theta, x = case
    y = (
        rng.standard_normal((9, 4))
        if loss is squared
        else one_hot(rng.integers(0, 4, 9), 4)
    )
    value, grads = mlp.loss_and_gradient(x, y, theta, loss, weight_decay=0.01)
    generic_value, generic = mlp.network.loss_and_gradient(
        x, y, theta, loss, weight_decay=0.01
    )
    assert value == pytest.approx(generic_value, rel=1e-13)
    assert_close(grads, generic, rtol=1e-12)
    net, X, Y = mlp.network, jnp.asarray(x), jnp.asarray(y)

    def J(th):
        out = network(net, X, th)
        data = (
            0.5 * jnp.sum((out - Y) ** 2)
            if loss is squared
            else -jnp.sum(Y * jax.nn.log_softmax(out, axis=-1))
        )
        return data + 0.005 * sum(jnp.sum(a**2) for a in jax.tree_util.tree_leaves(th))

    assert_close(grads, jax.grad(J)(to_jax(theta)))


@pytest.mark.thesis("Algorithm 4.1.1")
def test_gradient_step_in_the_mlp(case):
    rng, mlp, theta, x = case
    y = one_hot(rng.integers(0, 4, 9), 4)
    new, value = mlp.gradient_step(x, y, theta, 1e-2, cross_entropy)
    expected, generic_value = mlp.network.gradient_step(
        x, y, theta, 1e-2, cross_entropy
    )
    assert_close(new, expected, rtol=1e-13)
    assert value == pytest.approx(generic_value, rel=1e-13)
    assert mlp.loss_and_gradient(x, y, new, cross_entropy)[0] < value


def test_output_activation_and_sizes():
    mlp = MLP((3, 5, 2), tanh, output=sigmoid)
    assert [l.activation for l in mlp.layers] == [tanh, sigmoid]
    rng = np.random.default_rng(0)
    theta = mlp.init(rng)
    assert [p.W.shape for p in theta] == [(5, 3), (2, 5)]
    with pytest.raises(ValueError, match="two positive integer sizes"):
        MLP((3,))
    with pytest.raises(ValueError, match=r"x of shape \(N, 3\), got shape \(4, 2\)"):
        mlp.forward(np.zeros((4, 2)), theta)
    with pytest.raises(ValueError, match=r"theta\.1\.W of shape \(2, 5\)"):
        mlp.forward(np.zeros((4, 3)), (theta[0], theta[0]))
