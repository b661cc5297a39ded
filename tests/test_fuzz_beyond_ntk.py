"""Fuzz cases for Part IV, page F.4 (:mod:`adjnets.beyond.ntk`): every public name
refuses bad input with a message that says what was expected and what came."""

from __future__ import annotations

import numpy as np

from adjnets import squared
from adjnets.beyond.ntk import (
    NTKNetwork,
    arccos_kernel,
    kernel_movement,
    monte_carlo_ntk,
    relu_ntk_limit,
)
from tests._fuzz import Bad, params, refuses

V, T = ValueError, TypeError
NAN = np.nan
rng = np.random.default_rng(0)

model = NTKNetwork((3, 5, 1))
theta = model.init(rng)
x = rng.standard_normal((4, 3))
y = rng.standard_normal((4, 1))


def nan_at(a: np.ndarray) -> np.ndarray:
    b = np.array(a, dtype=float)
    b.flat[0] = NAN
    return b


CASES: list[Bad] = [
    # -- NTKNetwork --------------------------------------------------------------------
    Bad("NTKNetwork", "one width", lambda: NTKNetwork((3,)), V, "widths"),
    Bad("NTKNetwork", "width 0", lambda: NTKNetwork((3, 0, 1)), V, "widths"),
    Bad("NTKNetwork", "float width", lambda: NTKNetwork((3, 4.0, 1)), T, "widths"),  # type: ignore[arg-type]
    Bad("NTKNetwork", "widths an int", lambda: NTKNetwork(3), T, "widths"),  # type: ignore[arg-type]
    Bad("NTKNetwork", "widths a string", lambda: NTKNetwork("35"), T, "widths"),  # type: ignore[arg-type]
    Bad(
        "NTKNetwork",
        "activation a string",
        lambda: NTKNetwork((3, 4, 1), "relu"),  # type: ignore[arg-type]
        T,
        "activation",
    ),
    Bad(
        "NTKNetwork",
        "negative beta",
        lambda: NTKNetwork((3, 4, 1), beta=-1.0),
        V,
        "beta",
    ),
    Bad("NTKNetwork", "NaN beta", lambda: NTKNetwork((3, 4, 1), beta=NAN), V, "beta"),
    Bad("NTKNetwork.init", "rng None", lambda: model.init(None), T, "rng"),  # type: ignore[arg-type]
    Bad("NTKNetwork.init", "negative seed", lambda: model.init(-1), V, "rng"),
    Bad(
        "NTKNetwork.__call__", "x of 2 features", lambda: model(x[:, :2], theta), V, "x"
    ),
    Bad("NTKNetwork.__call__", "NaN in x", lambda: model(nan_at(x), theta), V, "x"),
    Bad(
        "NTKNetwork.__call__",
        "theta of another network",
        lambda: model(x, NTKNetwork((3, 6, 1)).init(rng)),
        V,
        "theta",
    ),
    Bad(
        "NTKNetwork.__call__",
        "theta not a tuple",
        lambda: model(x, theta[0]),
        T,
        "theta",
    ),
    Bad(
        "NTKNetwork.kernel",
        "a single point, no batch axis",
        lambda: model.kernel(x[0], theta),
        V,
        "x",
    ),
    Bad(
        "NTKNetwork.kernel",
        "x2 of 2 features",
        lambda: model.kernel(x, theta, x[:, :2]),
        V,
        "x2",
    ),
    Bad(
        "NTKNetwork.kernel",
        "complex x",
        lambda: model.kernel(x.astype(complex), theta),
        T,
        "x",
    ),
    Bad(
        "NTKNetwork.parameter_derivative",
        "NaN in theta",
        lambda: model.parameter_derivative(
            x, (theta[0]._replace(b=nan_at(theta[0].b)), *theta[1:])
        ),
        V,
        "theta",
    ),
    Bad(
        "NTKNetwork.loss_and_gradient",
        "y of another width",
        lambda: model.loss_and_gradient(x, np.zeros((4, 2)), theta, squared),
        V,
        "targets",
    ),
    Bad(
        "NTKNetwork.loss_and_gradient",
        "boolean x",
        lambda: model.loss_and_gradient(x > 0, y, theta, squared),
        T,
        "x",
    ),
    # -- arccos_kernel, relu_ntk_limit, monte_carlo_ntk --------------------------------
    Bad("arccos_kernel", "order 2", lambda: arccos_kernel(x, order=2), V, "order"),
    Bad("arccos_kernel", "order -1", lambda: arccos_kernel(x, order=-1), V, "order"),
    Bad(
        "arccos_kernel", "float order", lambda: arccos_kernel(x, order=1.0), T, "order"
    ),  # type: ignore[arg-type]
    Bad("arccos_kernel", "x a vector", lambda: arccos_kernel(x[0]), V, "x"),
    Bad(
        "arccos_kernel", "x2 of 2 features", lambda: arccos_kernel(x, x[:, :2]), V, "x2"
    ),
    Bad(
        "relu_ntk_limit",
        "negative beta",
        lambda: relu_ntk_limit(x, beta=-0.1),
        V,
        "beta",
    ),
    Bad("relu_ntk_limit", "NaN in x", lambda: relu_ntk_limit(nan_at(x)), V, "x"),
    Bad("relu_ntk_limit", "string x", lambda: relu_ntk_limit("x"), T, "x"),  # type: ignore[arg-type]
    Bad(
        "monte_carlo_ntk",
        "one sample",
        lambda: monte_carlo_ntk(x, samples=1, rng=0),
        V,
        "samples",
    ),
    Bad(
        "monte_carlo_ntk",
        "float samples",
        lambda: monte_carlo_ntk(x, samples=100.0, rng=0),  # type: ignore[arg-type]
        T,
        "samples",
    ),
    Bad(
        "monte_carlo_ntk",
        "rng None",
        lambda: monte_carlo_ntk(x, samples=10, rng=None),  # type: ignore[arg-type]
        T,
        "rng",
    ),
    Bad(
        "monte_carlo_ntk",
        "x2 NaN",
        lambda: monte_carlo_ntk(x, nan_at(x), samples=10, rng=0),
        V,
        "x2",
    ),
    # -- kernel_movement ---------------------------------------------------------------
    Bad(
        "kernel_movement",
        "model a Network",
        lambda: kernel_movement(model.net, theta, x, y, lr=0.1, steps=1),  # type: ignore[arg-type]
        T,
        "model",
    ),
    Bad(
        "kernel_movement",
        "lr 0",
        lambda: kernel_movement(model, theta, x, y, lr=0.0, steps=1),
        V,
        "lr",
    ),
    Bad(
        "kernel_movement",
        "steps 0",
        lambda: kernel_movement(model, theta, x, y, lr=0.1, steps=0),
        V,
        "steps",
    ),
    Bad(
        "kernel_movement",
        "y of 3 points",
        lambda: kernel_movement(model, theta, x, y[:3], lr=0.1, steps=1),
        V,
        r"\by\b",
    ),
    Bad(
        "kernel_movement",
        "NaN in y",
        lambda: kernel_movement(model, theta, x, nan_at(y), lr=0.1, steps=1),
        V,
        r"\by\b",
    ),
]

EXCUSED: dict[str, str] = {
    "KernelMovement": "a NamedTuple of results that kernel_movement builds internally",
}


@params(CASES)
def test_refuses(case: Bad) -> None:
    refuses(case)


def test_lists_and_ints_are_accepted() -> None:
    """Lists and integer arrays are read as float64."""
    np.testing.assert_allclose(model.kernel(x.tolist(), theta), model.kernel(x, theta))
    K = relu_ntk_limit(np.ones((2, 3), dtype=int))
    np.testing.assert_allclose(K, relu_ntk_limit(np.ones((2, 3))))
    mean, _ = monte_carlo_ntk([[1, 0], [0, 1]], samples=10, rng=np.int64(3))
    assert mean.shape == (2, 2)
