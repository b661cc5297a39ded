"""adjnets.autodiff: its JAX forward maps against adjnets, and its comparison helpers themselves."""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest

import adjnets
from adjnets import MLP, Dense, DenseParams, sigmoid, tanh
from adjnets.autodiff import (
    apply_layer,
    assert_close,
    jnp,
    network,
    rnn_states,
    tied_autoencoder,
    to_jax,
    tuple_tree,
)
from adjnets.recurrent.rnn import VanillaRNN
from adjnets.specific.autoencoder import TiedAutoencoder
from adjnets.specific.cnn.layers import cnn


def test_importing_adjnets_does_not_import_jax():
    code = (
        "import sys, adjnets; assert 'jax' not in sys.modules"
        " and 'adjnets.autodiff' not in sys.modules"
    )
    env = {k: v for k, v in os.environ.items() if k != "JAX_PLATFORMS"}
    subprocess.run([sys.executable, "-c", code], check=True, env=env)
    assert "autodiff" not in adjnets.__all__


def test_importing_autodiff_selects_the_cpu_in_float64_silently():
    code = (
        "import os; from adjnets import autodiff;"
        " assert os.environ['JAX_PLATFORMS'] == 'cpu'; print(autodiff.jnp.ones(1).dtype)"
    )
    env = {k: v for k, v in os.environ.items() if k != "JAX_PLATFORMS"}
    done = subprocess.run(
        [sys.executable, "-c", code],
        check=True,
        env=env,
        capture_output=True,
        text=True,
    )
    assert done.stdout.strip() == "float64"
    assert done.stderr == ""  # no warning about a missing GPU or TPU


def test_assert_close_passes_within_the_tolerance_of_the_whole_tree():
    a = (np.array([1.0, 2.0]), DenseParams(np.ones((2, 2)), np.zeros(2)))
    # a NamedTuple against a tuple
    b = (np.array([1.0, 2.0 + 1e-12]), (np.ones((2, 2)), np.zeros(2)))
    assert_close(a, b)
    assert_close(a, to_jax(b))
    assert assert_close(np.zeros(3), np.zeros(3)) == 0.0  # zero against zero is exact
    assert assert_close(
        np.array([3.0, 4.0]), np.array([3.0, 4.0 + 5e-12])
    ) == pytest.approx(1e-12, rel=1e-3)


def test_assert_close_fails_when_it_should():
    with pytest.raises(AssertionError, match="relative error"):
        assert_close(np.array([1.0, 2.0]), np.array([1.0, 2.0 + 1e-6]))
    with pytest.raises(AssertionError, match="relative error"):
        assert_close(np.array([1.0, 2.0]), np.array([1.0, 2.0 + 1e-6]), rtol=1e-8)
    assert_close(np.array([1.0, 2.0]), np.array([1.0, 2.0 + 1e-6]), rtol=1e-6)
    with pytest.raises(AssertionError, match="relative error"):
        assert_close(np.ones(2), np.zeros(2))  # anything nonzero against zero
    with pytest.raises(AssertionError, match="relative error"):
        assert_close(np.array([np.nan]), np.array([1.0]))  # NaN never passes


def test_assert_close_rejects_trees_of_different_shapes():
    with pytest.raises(AssertionError, match=r"shape \(2,\) against \(2, 1\)"):
        assert_close(np.zeros(2), np.zeros((2, 1)))
    with pytest.raises(AssertionError, match="2 arrays against 1"):
        assert_close((np.zeros(2), np.zeros(2)), (np.zeros(2),))


def test_to_jax_and_tuple_tree():
    theta = (DenseParams(np.eye(2), np.zeros(2)),)
    j = to_jax(theta)
    assert type(j) is tuple and type(j[0]) is tuple and j[0][0].dtype == jnp.float64
    t = tuple_tree(theta)
    assert type(t[0]) is tuple and t[0][0] is theta[0].W


def test_the_jax_maps_agree_with_adjnets():
    rng = np.random.default_rng(0)
    mlp = MLP((3, 4, 2), tanh, output=sigmoid)
    theta, x = mlp.init(rng), rng.standard_normal((5, 3))
    assert_close(
        network(mlp.network, jnp.asarray(x), to_jax(theta)), mlp(x, theta), rtol=1e-14
    )
    net = cnn((6, 6, 2), [3], 2, kernels=3, pools=2, pads=1)
    theta, x = net.init(rng), rng.standard_normal((2, 6, 6, 2))
    assert_close(network(net, jnp.asarray(x), to_jax(theta)), net(x, theta), rtol=1e-13)
    ae = TiedAutoencoder((4, 3, 2), tanh)
    theta, x = ae.init(rng), rng.standard_normal((3, 4))
    assert_close(
        tied_autoencoder(ae, None, jnp.asarray(x), to_jax(theta)),
        ae(x, theta),
        rtol=1e-14,
    )
    rnn = VanillaRNN(2, 3, 1)
    params, x = rnn.init(rng), rng.standard_normal((2, 4, 2))
    assert_close(
        rnn_states(to_jax(params), jnp.asarray(x)),
        np.stack(rnn.forward(x, params).states[1:], axis=1),
        rtol=1e-14,
    )


def test_bad_arguments():
    mlp = MLP((3, 4, 2))
    theta = to_jax(mlp.init(np.random.default_rng(1)))
    with pytest.raises(ValueError, match="expected 2 layer parameters"):
        network(mlp.network, jnp.zeros((1, 3)), theta[:1])
    with pytest.raises(ValueError, match="start <= stop"):
        network(mlp.network, jnp.zeros((1, 3)), theta, start=3, stop=1)
    with pytest.raises(TypeError, match="Dense, Conv2d or Then"):
        apply_layer(object(), jnp.zeros(3), ())
    with pytest.raises(ValueError, match="elementwise function"):
        apply_layer(Dense(3, 4, adjnets.leaky_relu(0.1)), jnp.zeros(3), theta[0])
    with pytest.raises(ValueError, match="sequences of shape"):
        rnn_states(
            ((jnp.zeros((3, 3)), jnp.zeros((3, 2)), jnp.zeros(3)), None),
            jnp.zeros((4, 2)),
        )
    with pytest.raises(ValueError, match="L = 2 maps tau"):
        tied_autoencoder(
            TiedAutoencoder((4, 3, 2)),
            [lambda W: W.T],
            jnp.zeros(4),
            to_jax(TiedAutoencoder((4, 3, 2)).init(np.random.default_rng(2))),
        )
