"""An independent implementation of the book's maps in JAX, to check adjnets's derivatives against.

Only the *forward* maps are written here (from their formulas, not from adjnets); every derivative
the tests compare with comes from JAX's automatic differentiation (``jax.jvp``, ``jax.vjp``,
``jax.grad``, ``jax.linear_transpose``), in float64.
"""

from __future__ import annotations

import os

os.environ.setdefault("JAX_PLATFORMS", "cpu")

import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402

jax.config.update("jax_enable_x64", True)

ELEMENTWISE = {
    "identity": lambda z: z,
    "sigmoid": jax.nn.sigmoid,
    "tanh": jnp.tanh,
    "relu": lambda z: jnp.maximum(z, 0.0),
    "softplus": jax.nn.softplus,
    "exp": jnp.exp,
    "log": jnp.log,
}


def dense(layer, x, theta):
    """The dense layer Psi(W x + b) of ``layer`` (an adjnets.layers.Dense), in JAX."""
    W, b = theta
    return ELEMENTWISE[layer.activation.name](x @ W.T + b)


def network(net, x, theta, start: int = 1, stop: int | None = None):
    """f_stop o ... o f_start (thesis numbering, 1-based) of an adjnets Network of Dense layers."""
    stop = net.L if stop is None else stop
    for i in range(start, stop + 1):
        x = dense(net.layers[i - 1], x, theta[i - 1])
    return x


def to_jax(tree):
    """Arrays (and tuples of them) as JAX float64 arrays; NamedTuples become plain tuples."""
    if isinstance(tree, tuple):
        return tuple(to_jax(t) for t in tree)
    return jnp.asarray(tree, dtype=jnp.float64)


def assert_close(actual, expected, rtol: float = 1e-10) -> None:
    """``||actual - expected|| <= rtol ||expected||``, summed over the leaves of a tree."""
    a = [np.asarray(x, dtype=float) for x in jax.tree_util.tree_leaves(tuple_tree(actual))]
    b = [np.asarray(x, dtype=float) for x in jax.tree_util.tree_leaves(tuple_tree(expected))]
    assert len(a) == len(b), f"{len(a)} arrays against {len(b)}"
    for x, y in zip(a, b, strict=True):
        assert x.shape == y.shape, f"shape {x.shape} against {y.shape}"
    diff = np.sqrt(sum(float(np.sum((x - y) ** 2)) for x, y in zip(a, b, strict=True)))
    scale = np.sqrt(sum(float(np.sum(y**2)) for y in b))
    assert diff <= rtol * scale, f"relative error {diff / scale:.3e} > {rtol:.0e}"


def tuple_tree(tree):
    """NamedTuples as plain tuples, so that adjnets and JAX trees compare leaf by leaf."""
    if isinstance(tree, tuple):
        return tuple(tuple_tree(t) for t in tree)
    return tree
