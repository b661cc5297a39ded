"""Tests of adjnets.calculus.elementwise: values, derivatives against finite differences,
stability."""

import numpy as np
import pytest
from numpy.testing import assert_allclose

from adjnets import ELEMENTWISE, leaky_relu, relu, sigmoid, softplus, tanh
from adjnets.calculus.check import assert_adjoint, assert_directional

SMOOTH = ["identity", "sigmoid", "tanh", "softplus", "exp", "log"]


def point(name, rng, shape=(5, 4)):
    z = rng.standard_normal(shape)
    return np.abs(z) + 0.5 if name == "log" else z


@pytest.mark.parametrize("name", SMOOTH)
def test_first_derivative_matches_central_difference(name):
    f, rng = ELEMENTWISE[name], np.random.default_rng(0)
    z, v = point(name, rng), rng.standard_normal((5, 4))
    assert_directional(f, f.D(z)(v), z, v, rtol=1e-8)


@pytest.mark.parametrize("name", SMOOTH)
def test_second_derivative_matches_central_difference(name):
    f, rng = ELEMENTWISE[name], np.random.default_rng(1)
    z, v = point(name, rng), rng.standard_normal((5, 4))
    assert_directional(f.derivative, f.second_derivative(z) * v, z, v, rtol=1e-8)


@pytest.mark.parametrize("name", sorted(ELEMENTWISE))
def test_derivative_map_is_self_adjoint(name):
    # Proposition 2.4.1: D Psi(z) is self-adjoint
    f, rng = ELEMENTWISE[name], np.random.default_rng(2)
    z = point(name, rng)
    v, w = rng.standard_normal((2, 5, 4))
    assert_adjoint(f.D(z), v, w)
    assert_allclose(f.D(z)(v), f.D(z).adj(v), rtol=0, atol=0)


def test_relu_and_leaky_relu_away_from_the_kink():
    z = np.array([-2.0, -0.5, 0.5, 3.0])
    assert_allclose(relu(z), [0, 0, 0.5, 3.0])
    assert_allclose(relu.derivative(z), [0, 0, 1, 1])
    lr = leaky_relu(0.1)
    assert_allclose(lr(z), [-0.2, -0.05, 0.5, 3.0])
    assert_allclose(lr.derivative(z), [0.1, 0.1, 1, 1])
    with pytest.raises(ValueError, match="slope"):
        leaky_relu(1.5)


def test_sigmoid_and_softplus_are_stable_for_huge_inputs():
    z = np.array([-1000.0, -40.0, 0.0, 40.0, 1000.0])
    # underflow to 0 is exact enough
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        s, sp = sigmoid(z), softplus(z)
    assert_allclose(s, [0, 4.248354255291589e-18, 0.5, 1, 1], rtol=1e-12, atol=0)
    assert_allclose(
        sp, [0, 4.248354255291589e-18, np.log(2), 40, 1000], rtol=1e-12, atol=0
    )
    assert_allclose(sigmoid.derivative(z)[[0, 2, 4]], [0, 0.25, 0])


def test_tanh_derivative_identity():
    z = np.linspace(-3, 3, 7)
    assert_allclose(tanh.derivative(z), 1 / np.cosh(z) ** 2, rtol=1e-13)


@pytest.mark.thesis("Proposition 2.4.1")
@pytest.mark.parametrize("name", [*SMOOTH, "relu"])
def test_first_derivative_against_jax(name):
    from adjnets.autodiff import ELEMENTWISE as JAX
    from adjnets.autodiff import assert_close, jax, jnp

    f, rng = ELEMENTWISE[name], np.random.default_rng(3)
    z, v = point(name, rng), rng.standard_normal((5, 4))
    _, expected = jax.jvp(JAX[name], (jnp.asarray(z),), (jnp.asarray(v),))
    assert_close(f.D(z)(v), expected)


@pytest.mark.thesis("Proposition 2.4.2")
@pytest.mark.parametrize("name", [*SMOOTH, "relu"])
def test_second_derivative_against_jax_and_its_hooks_are_self_adjoint(name):
    from adjnets.autodiff import ELEMENTWISE as JAX
    from adjnets.autodiff import assert_close, jax, jnp

    f, rng = ELEMENTWISE[name], np.random.default_rng(4)
    z = point(name, rng)
    v1, v2, w = rng.standard_normal((3, 5, 4))

    def directional(s):
        return jax.jvp(JAX[name], (s,), (jnp.asarray(v2),))[1]

    _, expected = jax.jvp(directional, (jnp.asarray(z),), (jnp.asarray(v1),))
    if name in ("identity", "relu"):
        assert not np.any(f.D2(z)(v1, v2)) and not np.any(expected)
    else:
        assert_close(f.D2(z)(v1, v2), expected)
    for hooked in (f.D2(z).left_hook(v1), f.D2(z).right_hook(v1)):
        assert_adjoint(hooked, v2, w)
        np.testing.assert_allclose(hooked(w), hooked.adj(w), rtol=1e-15)


def test_hadamard_product_properties():
    from adjnets.calculus.elementwise import hadamard

    rng = np.random.default_rng(6)
    y, v, w = rng.standard_normal((3, 4, 5))
    np.testing.assert_allclose(hadamard(v, w), hadamard(w, v))  # symmetric
    assert_adjoint(hadamard.left_hook(v), w, y)
    assert_adjoint(hadamard.right_hook(w), v, y)
    # <y, v (.) v'> = <v (.) y, v'>  (2.13)
    np.testing.assert_allclose(
        np.sum(y * hadamard(v, w)), np.sum(hadamard(v, y) * w), rtol=1e-13
    )
