"""Fuzz cases for networks on a subspace (Part IV, page F.1): every public name of
:mod:`adjnets.beyond.subspace` refuses bad input with a message that says what was
expected and what came."""

from __future__ import annotations

import numpy as np

from adjnets import MLP, cross_entropy
from adjnets.beyond.subspace import (
    Projection,
    SubspaceNetwork,
    principal_projection,
    random_projection,
)
from tests._fuzz import Bad, params, refuses

V, T = ValueError, TypeError
rng = np.random.default_rng(0)
data = rng.standard_normal((10, 5))
proj = principal_projection(data, 3)
F = SubspaceNetwork(proj, MLP((3, 4, 2)).network)
th = F.init(rng)
x = rng.standard_normal((4, 5))
y = np.eye(2)[[0, 1, 1, 0]]
v = rng.standard_normal((2, 4, 5))
beta = np.zeros((2, 4, 2))
lin = F.linearize(x, th)
nan_x = x.copy()
nan_x[1, 2] = np.nan

CASES: list[Bad] = [
    # -- Projection ------------------------------------------------------------------
    Bad(
        "Projection",
        "basis not orthonormal",
        lambda: Projection(2 * np.eye(3)),
        V,
        "orthonormal",
    ),
    Bad("Projection", "basis 1-d", lambda: Projection(np.ones(3)), V, "basis"),
    Bad(
        "Projection",
        "more rows than columns",
        lambda: Projection(np.eye(3, 2)),
        V,
        "basis",
    ),
    Bad("Projection", "complex basis", lambda: Projection(np.eye(2) * 1j), T, "basis"),
    Bad(
        "Projection",
        "NaN in basis",
        lambda: Projection(np.full((1, 2), np.nan)),
        V,
        "basis",
    ),
    Bad(
        "Projection",
        "mean of the wrong size",
        lambda: Projection(np.eye(2), np.zeros(3)),
        V,
        "mean",
    ),
    Bad(
        "Projection",
        "boolean mean",
        lambda: Projection(np.eye(2), [True, False]),
        T,
        "mean",
    ),
    Bad(
        "Projection.__call__",
        "x of the wrong width",
        lambda: proj(np.ones((2, 4))),
        V,
        "x",
    ),
    Bad("Projection.__call__", "NaN in x", lambda: proj(nan_x), V, "x"),
    Bad(
        "Projection.lift", "z of the wrong width", lambda: proj.lift(np.ones(5)), V, "z"
    ),
    Bad(
        "Projection.linear",
        "v of the wrong width",
        lambda: proj.linear(np.ones(4)),
        V,
        "v",
    ),
    Bad(
        "Projection.linear",
        "w of the wrong width",
        lambda: proj.linear.adj(np.ones(5)),
        V,
        "w",
    ),
    # -- principal_projection, random_projection --------------------------------------
    Bad("principal_projection", "k = 0", lambda: principal_projection(data, 0), V, "k"),
    Bad("principal_projection", "k > n", lambda: principal_projection(data, 6), V, "k"),
    Bad(
        "principal_projection",
        "float k",
        lambda: principal_projection(data, 2.0),
        T,
        "k",
    ),  # type: ignore[arg-type]
    Bad(
        "principal_projection",
        "x 1-d",
        lambda: principal_projection(np.ones(5), 1),
        V,
        "x",
    ),
    Bad(
        "principal_projection",
        "NaN in x",
        lambda: principal_projection(nan_x, 1),
        V,
        "x",
    ),
    Bad(
        "principal_projection",
        "center a string",
        lambda: principal_projection(data, 2, "yes"),
        T,
        "center",
    ),  # type: ignore[arg-type]
    Bad("random_projection", "k > n", lambda: random_projection(3, 4, 0), V, "k"),
    Bad("random_projection", "n = 0", lambda: random_projection(0, 1, 0), V, "n"),
    Bad(
        "random_projection", "rng None", lambda: random_projection(5, 2, None), T, "rng"
    ),  # type: ignore[arg-type]
    Bad(
        "random_projection",
        "negative seed",
        lambda: random_projection(5, 2, -1),
        V,
        "rng",
    ),
    Bad(
        "random_projection",
        "mean of the wrong size",
        lambda: random_projection(5, 2, 0, np.zeros(4)),
        V,
        "mean",
    ),
    # -- SubspaceNetwork -------------------------------------------------------------
    Bad(
        "SubspaceNetwork",
        "projection an array",
        lambda: SubspaceNetwork(np.eye(3), F.network),
        T,
        "projection",
    ),  # type: ignore[arg-type]
    Bad(
        "SubspaceNetwork",
        "network an MLP",
        lambda: SubspaceNetwork(proj, MLP((3, 2))),
        T,
        "network",
    ),  # type: ignore[arg-type]
    Bad(
        "SubspaceNetwork",
        "network of the wrong width",
        lambda: SubspaceNetwork(proj, MLP((4, 2)).network),
        V,
        "network",
    ),
    Bad(
        "SubspaceNetwork.__call__",
        "x of the wrong width",
        lambda: F(np.ones((2, 3)), th),
        V,
        "x",
    ),
    Bad(
        "SubspaceNetwork.__call__",
        "theta of the wrong shape",
        lambda: F(x, th[:1]),
        T,
        "theta",
    ),
    Bad("SubspaceNetwork.init", "rng None", lambda: F.init(None), T, "rng"),  # type: ignore[arg-type]
    Bad(
        "SubspaceNetwork.linearize", "NaN in x", lambda: F.linearize(nan_x, th), V, "x"
    ),
    Bad(
        "SubspaceNetwork.linearize",
        "D given a tangent of the wrong width",
        lambda: lin.D(np.ones((4, 3))),
        V,
        "v",
    ),
    Bad(
        "SubspaceNetwork.linearize",
        "grad given a parameter of the wrong shape",
        lambda: lin.grad(th[:1]),
        T,
        "u",
    ),
    Bad(
        "SubspaceNetwork.loss_and_gradient",
        "x of the wrong width",
        lambda: F.loss_and_gradient(np.ones((4, 4)), y, th, cross_entropy),
        V,
        "x",
    ),
    Bad(
        "SubspaceNetwork.loss_and_gradient",
        "negative weight decay",
        lambda: F.loss_and_gradient(x, y, th, cross_entropy, -1.0),
        V,
        "weight_decay",
    ),
    Bad(
        "SubspaceNetwork.loss_and_gradient",
        "loss a string",
        lambda: F.loss_and_gradient(x, y, th, "ce"),
        T,
        "loss",
    ),  # type: ignore[arg-type]
    Bad(
        "SubspaceNetwork.gradient_step",
        "eta 0",
        lambda: F.gradient_step(x, y, th, 0.0, cross_entropy),
        V,
        "eta",
    ),
    Bad(
        "SubspaceNetwork.tangent_penalty",
        "v of the wrong shape",
        lambda: F.tangent_penalty(x, v[:, :2], beta, th),
        V,
        "v",
    ),
    Bad(
        "SubspaceNetwork.tangent_penalty",
        "beta of the wrong shape",
        lambda: F.tangent_penalty(x, v, beta[:1], th),
        V,
        "beta",
    ),
    Bad(
        "SubspaceNetwork.tangent_loss_and_gradient",
        "v without the K axis",
        lambda: F.tangent_loss_and_gradient(x, y, v[0], beta, th, 0.1, cross_entropy),
        V,
        "v",
    ),
    Bad(
        "SubspaceNetwork.tangent_loss_and_gradient",
        "negative mu",
        lambda: F.tangent_loss_and_gradient(x, y, v, beta, th, -0.1, cross_entropy),
        V,
        "mu",
    ),
    Bad(
        "SubspaceNetwork.tangent_loss_and_gradient",
        "complex v",
        lambda: F.tangent_loss_and_gradient(x, y, v * 1j, beta, th, 0.1, cross_entropy),
        T,
        "v",
    ),
]

EXCUSED: dict[str, str] = {
    "SubspaceLinearization": "a frozen record of SubspaceNetwork.linearize's results; "
    "its maps check what they are given",
}


@params(CASES)
def test_refuses(case: Bad) -> None:
    refuses(case)
