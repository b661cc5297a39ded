"""Fuzz cases for parameters on a manifold (Part IV, page F.2): every public callable of
:mod:`adjnets.beyond.manifold` refuses bad input."""

from __future__ import annotations

import numpy as np

from adjnets import RNN, Dense, GRUCell, VanillaRNN, squared
from adjnets.beyond.manifold import (
    manifold_distance,
    project_tangent,
    random_stiefel,
    retract,
    riemannian_gradient,
    riemannian_step,
    slope_bounds,
    train_orthogonal_rnn,
)
from tests._fuzz import Bad, params, refuses

V, T = ValueError, TypeError
NAN = np.nan
rng = np.random.default_rng(0)

W = random_stiefel(4, 2, rng)
Vt = rng.standard_normal((4, 2))
rnn = VanillaRNN(2, 3, 1)
p = rnn.init(rng)
p = p._replace(theta=p.theta._replace(W=random_stiefel(3, 3, rng)))
bad_W = p._replace(theta=p.theta._replace(W=2 * p.theta.W))
x, y = rng.standard_normal((2, 4, 2)), rng.standard_normal((2, 4, 1))
g = rnn.bptt(x, y, p, squared)[1]
gru = RNN(GRUCell(3, 2), Dense(3, 1))


def train(**kw: object) -> object:
    args: dict[str, object] = {"lr": 0.1, "epochs": 1, "batch_size": 2}
    args.update(kw)
    return train_orthogonal_rnn(rnn, p, x, y, squared, **args)  # type: ignore[arg-type]


CASES = [
    Bad("manifold_distance", "a vector", lambda: manifold_distance(np.ones(3)), V, "W"),
    Bad(
        "manifold_distance", "p > n", lambda: manifold_distance(np.ones((2, 3))), V, "W"
    ),
    Bad("manifold_distance", "booleans", lambda: manifold_distance(W > 0), T, "W"),
    Bad("random_stiefel", "p > n", lambda: random_stiefel(2, 3, 0), V, "p"),
    Bad("random_stiefel", "n = 0", lambda: random_stiefel(0, 1, 0), V, "n"),
    Bad("random_stiefel", "float p", lambda: random_stiefel(3, 2.0, 0), T, "p"),
    Bad("random_stiefel", "rng None", lambda: random_stiefel(3, 2, None), T, "rng"),
    Bad("project_tangent", "W off", lambda: project_tangent(2 * W, Vt), V, "W"),
    Bad("project_tangent", "V shape", lambda: project_tangent(W, Vt.T), V, "V"),
    Bad("project_tangent", "V NaN", lambda: project_tangent(W, Vt + NAN), V, "V"),
    Bad("project_tangent", "W complex", lambda: project_tangent(W + 0j, Vt), T, "W"),
    Bad("retract", "W off", lambda: retract(W + 0.1, Vt), V, "W"),
    Bad("retract", "V shape", lambda: retract(W, np.ones((4, 3))), V, "V"),
    Bad("retract", "method", lambda: retract(W, Vt, "exp"), V, "method"),
    Bad("retract", "V strings", lambda: retract(W, [["a"] * 2] * 4), T, "V"),
    Bad(
        "riemannian_gradient",
        "not an RNN",
        lambda: riemannian_gradient("rnn", x, y, p, squared),  # type: ignore[arg-type]
        T,
        "rnn",
    ),
    Bad(
        "riemannian_gradient",
        "no square W",
        lambda: riemannian_gradient(gru, x, y, gru.init(rng), squared),
        T,
        "rnn",
    ),
    Bad(
        "riemannian_gradient",
        "W not orthogonal",
        lambda: riemannian_gradient(rnn, x, y, bad_W, squared),
        V,
        "params.theta.W",
    ),
    Bad(
        "riemannian_gradient",
        "x features",
        lambda: riemannian_gradient(rnn, x[..., :1], y, p, squared),
        V,
        "x",
    ),
    Bad(
        "riemannian_step",
        "params not a pair",
        lambda: riemannian_step(p.theta, g, 0.1),  # type: ignore[arg-type]
        T,
        "params",
    ),
    Bad(
        "riemannian_step",
        "W not orthogonal",
        lambda: riemannian_step(bad_W, g, 0.1),
        V,
        "params.theta.W",
    ),
    Bad("riemannian_step", "lr 0", lambda: riemannian_step(p, g, 0.0), V, "lr"),
    Bad(
        "riemannian_step",
        "gradient shape",
        lambda: riemannian_step(p, g._replace(zeta=p.theta), 0.1),
        T,
        "gradient",
    ),
    Bad(
        "riemannian_step",
        "method",
        lambda: riemannian_step(p, g, 0.1, "euler"),  # type: ignore[arg-type]
        V,
        "method",
    ),
    Bad("train_orthogonal_rnn", "lr -1", lambda: train(lr=-1.0), V, "lr"),
    Bad("train_orthogonal_rnn", "epochs 1.0", lambda: train(epochs=1.0), T, "epochs"),
    Bad("train_orthogonal_rnn", "batch 3 > N", lambda: train(batch_size=3), V, "batch"),
    Bad("train_orthogonal_rnn", "rng None", lambda: train(rng=None), T, "rng"),
    Bad("train_orthogonal_rnn", "clip 0", lambda: train(clip=0.0), V, "clip"),
    Bad("train_orthogonal_rnn", "method", lambda: train(method="x"), V, "method"),
    Bad(
        "train_orthogonal_rnn",
        "mask of 0s",
        lambda: train(mask=np.zeros((2, 4))),
        V,
        "mask",
    ),
    Bad(
        "train_orthogonal_rnn",
        "W not orthogonal",
        lambda: train_orthogonal_rnn(
            rnn, bad_W, x, y, squared, lr=0.1, epochs=1, batch_size=2
        ),
        V,
        "params.theta.W",
    ),
    Bad("slope_bounds", "a GRU", lambda: slope_bounds(gru, p, x), T, "rnn"),  # type: ignore[arg-type]
    Bad(
        "slope_bounds", "W not orthogonal", lambda: slope_bounds(rnn, bad_W, x), V, "W"
    ),
    Bad("slope_bounds", "x NaN", lambda: slope_bounds(rnn, p, x + NAN), V, "x"),
]

EXCUSED: dict[str, str] = {}


@params(CASES)
def test_refuses(case: Bad) -> None:
    refuses(case)


def test_lists_and_ints_are_accepted() -> None:
    """Lists and integer arrays are read as float64."""
    np.testing.assert_allclose(
        project_tangent(W.tolist(), Vt.tolist()), project_tangent(W, Vt)
    )
    assert manifold_distance(np.eye(3, dtype=int)) == 0.0
    np.testing.assert_allclose(
        retract(np.eye(2, dtype=int), [[0, 1], [-1, 0]]).T
        @ retract(np.eye(2), [[0, 1], [-1, 0]]),
        np.eye(2),
        atol=1e-15,
    )
