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


# -- every derivative at many points, far from 0 too, against central differences of
# the function and against JAX; and each derivative taken from the output (tanh's
# 1 - t^2, the sigmoid's s(1 - s)) against the same references


def _jax_psi(name):
    from adjnets.autodiff import ELEMENTWISE as JAX
    from adjnets.autodiff import jnp

    if name.startswith("leaky_relu"):
        return lambda z: jnp.where(z > 0, z, 0.1 * z)
    return JAX[name]


ALL = [*sorted(ELEMENTWISE), "leaky_relu(0.1)"]


def assert_close_pointwise(actual, expected, rtol, atol):
    """|actual - expected| <= rtol |expected| + atol at every point (atol an array)."""
    actual, expected = np.asarray(actual), np.asarray(expected)
    assert actual.shape == expected.shape
    bad = ~(np.abs(actual - expected) <= rtol * np.abs(expected) + atol)
    assert not np.any(bad), (
        f"{np.sum(bad)} points differ, e.g. {actual[bad][:3]} against {expected[bad][:3]}"
    )


def _map(name):
    return leaky_relu(0.1) if name.startswith("leaky_relu") else ELEMENTWISE[name]


def grid(name):
    """Points spread from the origin to the tails, away from any kink."""
    if name == "log":
        return np.concatenate([np.geomspace(0.05, 50.0, 41), [0.5, 1.0, 2.0, 7.5]])
    z = np.concatenate(
        [
            np.linspace(-20.0, 20.0, 81) + 0.0137,  # never exactly 0 (relu's kink)
            [-35.0, -12.5, -3.7, 3.7, 12.5, 35.0],
            np.random.default_rng(7).standard_normal(40),
        ]
    )
    if name == "exp":
        z = z[z < 30.0]
    if name in ("relu", "leaky_relu(0.1)"):
        z = z[np.abs(z) > 1e-3]
    return z


def central_difference(g, z):
    h = 1e-5 * np.maximum(np.abs(z), 1.0)
    if np.all(z > 0):  # log: stay inside the domain, relative to the point
        h = 1e-5 * z
    return (g(z + h) - g(z - h)) / (2.0 * h), h


def _fd_tolerance(g, z, h):
    # rounding of g over 2h, plus the O(h^2) truncation (rtol)
    return 64 * np.finfo(float).eps * (np.abs(g(z)) + 1e-300) / h


@pytest.mark.thesis("Proposition 2.4.1")
@pytest.mark.parametrize("name", ALL)
def test_every_first_derivative_at_many_points_against_central_differences(name):
    f, z = _map(name), grid(name)
    fd, h = central_difference(f, z)
    atol = _fd_tolerance(f, z, h)
    y = f(z)
    for slope in (f.derivative(z), f.derivative(z, y), f.value_and_derivative(z)[1]):
        assert slope.dtype == np.float64 and slope.shape == z.shape
        assert_close_pointwise(slope, fd, rtol=1e-6, atol=atol)


@pytest.mark.thesis("Proposition 2.4.2")
@pytest.mark.parametrize("name", ALL)
def test_every_second_derivative_at_many_points_against_central_differences(name):
    f, z = _map(name), grid(name)
    fd, h = central_difference(f.derivative, z)
    # psi' taken from psi(z) (s(1 - s), 1 - t^2) is exact to the rounding of psi(z),
    # not to its own size, in the tails
    atol = _fd_tolerance(f.derivative, z, h) + _fd_tolerance(
        lambda z: 1 + np.abs(f(z)), z, h
    )
    curvature = f.second_derivative(z)
    assert curvature.dtype == np.float64 and curvature.shape == z.shape
    assert_close_pointwise(curvature, fd, rtol=1e-6, atol=atol)


@pytest.mark.thesis("Proposition 2.4.1", "Proposition 2.4.2")
@pytest.mark.parametrize("name", ALL)
def test_every_derivative_at_many_points_against_jax(name):
    from adjnets.autodiff import jax, jnp

    f, z = _map(name), grid(name)
    psi = _jax_psi(name)
    d1 = np.asarray(jax.vmap(jax.grad(psi))(jnp.asarray(z)))
    d2 = np.asarray(jax.vmap(jax.grad(jax.grad(psi)))(jnp.asarray(z)))
    np.testing.assert_allclose(f(z), np.asarray(psi(jnp.asarray(z))), rtol=1e-14)
    y = f(z)
    # s(1 - s) and 1 - t^2 (here and in JAX) lose relative precision where psi' is
    # below ~1e-16 |psi|, and XLA's tanh is a few ulps off in its tails: an absolute
    # tolerance at the rounding level of psi covers both
    tol = {"rtol": 1e-12, "atol": 1e-14 * (1.0 + np.abs(y))}
    assert_close_pointwise(f.derivative(z), d1, **tol)
    assert_close_pointwise(f.derivative(z, y), d1, **tol)
    value, slope = f.value_and_derivative(z)
    np.testing.assert_array_equal(value, y)
    assert_close_pointwise(slope, d1, **tol)
    assert_close_pointwise(f.second_derivative(z), d2, **tol)


@pytest.mark.thesis("Proposition 2.4.1", "Proposition 2.4.2")
@pytest.mark.parametrize("name", ALL)
def test_the_maps_built_from_the_output_are_the_derivatives(name):
    # D(z, value), linearize(z): the paths a layer takes, which may use psi(z)
    from adjnets.autodiff import jax, jnp

    f, z = _map(name), grid(name)
    psi = _jax_psi(name)
    v1, v2 = np.random.default_rng(8).standard_normal((2, z.size))
    _, jv = jax.jvp(psi, (jnp.asarray(z),), (jnp.asarray(v1),))
    scale = 1e-14 * (1.0 + np.abs(f(z))) * np.abs(v1)
    assert_close_pointwise(f.D(z, f(z))(v1), jv, rtol=1e-12, atol=scale)
    assert_close_pointwise(f.D(z, f(z)).adj(v1), jv, rtol=1e-12, atol=scale)
    lin = f.linearize(z)
    np.testing.assert_array_equal(lin.output, f(z))
    assert_close_pointwise(lin.D(v1), jv, rtol=1e-12, atol=scale)
    d2 = np.asarray(jax.vmap(jax.grad(jax.grad(psi)))(jnp.asarray(z)))
    assert_close_pointwise(
        lin.D2(v1, v2), d2 * v1 * v2, rtol=1e-12, atol=1e-14 * np.abs(v1 * v2)
    )


def test_derivatives_from_the_output_at_exact_values():
    # tanh' = 1 - t^2 and sigmoid' = s(1 - s), at values where other formulas differ
    t = np.array([-0.9, -0.5, 0.0, 0.3, 0.99])
    z = np.arctanh(t)
    np.testing.assert_allclose(tanh.derivative(z, t), 1.0 - t**2, rtol=1e-15)
    np.testing.assert_allclose(tanh.derivative(z), 1.0 - t**2, rtol=1e-12)
    s = np.array([0.01, 0.25, 0.5, 0.8, 0.999])
    z = np.log(s / (1.0 - s))
    np.testing.assert_allclose(sigmoid.derivative(z, s), s * (1.0 - s), rtol=1e-15)
    np.testing.assert_allclose(sigmoid.derivative(z), s * (1.0 - s), rtol=1e-12)
    np.testing.assert_allclose(
        sigmoid.second_derivative(z), s * (1 - s) * (1 - 2 * s), rtol=1e-11
    )
    np.testing.assert_allclose(softplus.derivative(z), s, rtol=1e-12)
    np.testing.assert_allclose(softplus.second_derivative(z), s * (1 - s), rtol=1e-12)


@pytest.mark.parametrize("name", sorted(ELEMENTWISE))
def test_derivatives_from_the_value_equal_those_from_z(name):
    # dpsi_of_value and d2psi_of_value (tanh, sigmoid) save an evaluation of psi; where
    # they are missing the value is ignored
    f, rng = ELEMENTWISE[name], np.random.default_rng(2)
    z = point(name, rng) * 3
    y = f(z)
    assert_allclose(f.derivative(z, y), f.derivative(z), rtol=1e-13, atol=1e-15)
    assert_allclose(
        f.second_derivative(z, y), f.second_derivative(z), rtol=1e-12, atol=1e-15
    )
    lin, v, w = (
        f.linearize(z),
        rng.standard_normal(z.shape),
        rng.standard_normal(z.shape),
    )
    assert_allclose(lin.D2(v, w), f.D2(z)(v, w), rtol=1e-12, atol=1e-15)
    with pytest.raises(ValueError, match="value of the shape of z"):
        f.second_derivative(z, y[:1])
