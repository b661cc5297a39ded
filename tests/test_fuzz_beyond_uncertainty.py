"""Fuzz cases for page F.3 (adjnets.beyond.uncertainty): every public name refuses bad
input with a message that says what it expected and what it got."""

from __future__ import annotations

import numpy as np

from adjnets import Dense, LinearMap, Network, cross_entropy, squared, tanh
from adjnets.beyond.uncertainty import (
    Dropout,
    conjugate_gradient,
    dropout_loss_and_gradient,
    dropout_network,
    dropout_penalty,
    expected_calibration_error,
    expected_dropout_loss_and_gradient,
    ggn,
    laplace,
    loss_hessian,
    parameter_derivative,
    predictive_variance_cg,
)
from adjnets.calculus.losses import Loss
from tests._fuzz import Bad, params, refuses

V, T = ValueError, TypeError
rng = np.random.default_rng(0)
net = Network([Dense(2, 3, tanh), Dense(3, 2)])
th = net.init(rng)
x = rng.standard_normal((4, 2))
y = rng.standard_normal((4, 2))
fwd = net.forward(x, th)
other = Network([Dense(2, 2)])
other_fwd = other.forward(x, other.init(rng))
post = laplace(net, x, th, squared, 1.0, steps=5, rng=0)
A = LinearMap.from_matrix(np.eye(2))
probs = np.full((3, 2), 0.5)
odd = Loss("odd", lambda a, b: 0.0, lambda a, b: a - b, lambda a: a)
nan_x = x.copy()
nan_x[0, 0] = np.nan
wide = Network([Dense(2, 13, tanh), Dense(13, 2)])
wide_th = wide.init(rng)

CASES: list[Bad] = [
    Bad(
        "parameter_derivative",
        "not a network",
        lambda: parameter_derivative(3, fwd),
        T,
        "network",
    ),  # type: ignore[arg-type]
    Bad(
        "parameter_derivative",
        "fwd not a Forward",
        lambda: parameter_derivative(net, x),
        T,
        "fwd",
    ),  # type: ignore[arg-type]
    Bad(
        "parameter_derivative",
        "fwd of another network",
        lambda: parameter_derivative(net, other_fwd),
        V,
        "fwd",
    ),
    Bad(
        "parameter_derivative",
        "u of a wrong shape",
        lambda: parameter_derivative(net, fwd)(other.init(rng)),
        T,
        "u",
    ),
    Bad("loss_hessian", "unknown loss", lambda: loss_hessian(odd, y), V, "loss"),
    Bad(
        "loss_hessian", "NaN output", lambda: loss_hessian(squared, nan_x), V, "output"
    ),
    Bad("ggn", "unknown loss", lambda: ggn(net, x, th, odd), V, "loss"),
    Bad("ggn", "not a network", lambda: ggn("net", x, th, squared), T, "network"),  # type: ignore[arg-type]
    Bad("ggn", "NaN input", lambda: ggn(net, nan_x, th, squared), V, "x"),
    Bad(
        "conjugate_gradient",
        "A not a map",
        lambda: conjugate_gradient(np.eye(2), np.ones(2)),
        T,
        "A",
    ),  # type: ignore[arg-type]
    Bad(
        "conjugate_gradient",
        "NaN b",
        lambda: conjugate_gradient(A, np.array([np.nan, 1.0])),
        V,
        "b",
    ),
    Bad(
        "conjugate_gradient",
        "tol 0",
        lambda: conjugate_gradient(A, np.ones(2), tol=0.0),
        V,
        "tol",
    ),
    Bad(
        "conjugate_gradient",
        "maxiter float",
        lambda: conjugate_gradient(A, np.ones(2), maxiter=2.0),
        T,
        "maxiter",
    ),  # type: ignore[arg-type]
    Bad(
        "predictive_variance_cg",
        "prior precision 0",
        lambda: predictive_variance_cg(net, x, th, squared, x, 0.0),
        V,
        "prior_precision",
    ),
    Bad(
        "predictive_variance_cg",
        "unknown loss",
        lambda: predictive_variance_cg(net, x, th, odd, x, 1.0),
        V,
        "loss",
    ),
    Bad(
        "predictive_variance_cg",
        "NaN point",
        lambda: predictive_variance_cg(net, x, th, squared, nan_x, 1.0),
        V,
        "x",
    ),
    Bad(
        "laplace",
        "negative prior precision",
        lambda: laplace(net, x, th, squared, -1.0, 5, 0),
        V,
        "prior_precision",
    ),
    Bad(
        "laplace",
        "steps 0",
        lambda: laplace(net, x, th, squared, 1.0, 0, 0),
        V,
        "steps",
    ),
    Bad(
        "laplace",
        "rng None",
        lambda: laplace(net, x, th, squared, 1.0, 5, None),
        T,
        "rng",
    ),  # type: ignore[arg-type]
    Bad(
        "laplace",
        "theta of another network",
        lambda: laplace(net, x, other.init(rng), squared, 1.0, 5, 0),
        T,
        "theta",
    ),
    Bad(
        "Laplace.predictive_variance",
        "NaN x",
        lambda: post.predictive_variance(nan_x),
        V,
        "x",
    ),
    Bad(
        "Laplace.predictive_variance",
        "prior precision 0",
        lambda: post.predictive_variance(x, 0.0),
        V,
        "prior_precision",
    ),
    Bad(
        "Laplace.covariance",
        "u of a wrong shape",
        lambda: post.covariance(other.init(rng)),
        T,
        "u",
    ),
    Bad(
        "expected_calibration_error",
        "rows not on the simplex",
        lambda: expected_calibration_error(probs * 2, np.array([0, 1, 0])),
        V,
        "probabilities",
    ),
    Bad(
        "expected_calibration_error",
        "float labels",
        lambda: expected_calibration_error(probs, np.array([0.0, 1.0, 0.0])),
        T,
        "labels",
    ),
    Bad(
        "expected_calibration_error",
        "label out of range",
        lambda: expected_calibration_error(probs, np.array([0, 2, 0])),
        V,
        "labels",
    ),
    Bad(
        "expected_calibration_error",
        "too few labels",
        lambda: expected_calibration_error(probs, np.array([0, 1])),
        V,
        "labels",
    ),
    Bad(
        "expected_calibration_error",
        "bins 0",
        lambda: expected_calibration_error(probs, np.array([0, 1, 0]), 0),
        V,
        "n_bins",
    ),
    Bad("Dropout", "mask of 2s", lambda: Dropout(np.array([1, 2]), 0.5), V, "mask"),
    Bad("Dropout", "mask of strings", lambda: Dropout(np.array(["a"]), 0.5), T, "mask"),
    Bad("Dropout", "p = 1", lambda: Dropout(np.ones(2), 1.0), V, "p"),
    Bad("Dropout", "p a string", lambda: Dropout(np.ones(2), "0.5"), T, "p"),  # type: ignore[arg-type]
    Bad(
        "Dropout.linearize",
        "state the mask does not fit",
        lambda: Dropout(np.ones(3), 0.5).linearize(np.ones(2)),
        V,
        "z",
    ),
    Bad(
        "Dropout.__call__",
        "NaN state",
        lambda: Dropout(np.ones(2), 0.5)(np.array([np.nan, 1.0])),
        V,
        "z",
    ),
    Bad(
        "dropout_network",
        "k = 0",
        lambda: dropout_network(net, 0, np.ones(3), 0.5),
        V,
        "k",
    ),
    Bad(
        "dropout_network",
        "k beyond L",
        lambda: dropout_network(net, 3, np.ones(3), 0.5),
        V,
        "k",
    ),
    Bad(
        "dropout_network",
        "k float",
        lambda: dropout_network(net, 1.0, np.ones(3), 0.5),
        T,
        "k",
    ),  # type: ignore[arg-type]
    Bad(
        "dropout_network",
        "negative p",
        lambda: dropout_network(net, 1, np.ones(3), -0.1),
        V,
        "p",
    ),
    Bad(
        "dropout_loss_and_gradient",
        "no samples",
        lambda: dropout_loss_and_gradient(net, 1, x, y, th, squared, 0.5, 0, 0),
        V,
        "n_samples",
    ),
    Bad(
        "dropout_loss_and_gradient",
        "rng None",
        lambda: dropout_loss_and_gradient(net, 1, x, y, th, squared, 0.5, 2, None),
        T,
        "rng",
    ),  # type: ignore[arg-type]
    Bad(
        "dropout_loss_and_gradient",
        "NaN targets",
        lambda: dropout_loss_and_gradient(net, 1, x, nan_x, th, squared, 0.5, 2, 0),
        V,
        "y",
    ),
    Bad(
        "dropout_loss_and_gradient",
        "unknown loss",
        lambda: dropout_loss_and_gradient(net, 1, x, y, th, odd, 0.5, 2, 0),
        V,
        "loss",
    ),
    Bad(
        "expected_dropout_loss_and_gradient",
        "p = 1",
        lambda: expected_dropout_loss_and_gradient(net, 1, x, y, th, squared, 1.0),
        V,
        "p",
    ),
    Bad(
        "expected_dropout_loss_and_gradient",
        "too many units",
        lambda: expected_dropout_loss_and_gradient(
            wide, 1, x, y, wide_th, squared, 0.5
        ),
        V,
        "layer k",
    ),
    Bad(
        "expected_dropout_loss_and_gradient",
        "NaN inputs",
        lambda: expected_dropout_loss_and_gradient(net, 1, nan_x, y, th, squared, 0.5),
        V,
        "x",
    ),
    Bad(
        "dropout_penalty",
        "last layer not affine",
        lambda: dropout_penalty(Network([Dense(2, 3), Dense(3, 2, tanh)]), x, th, 0.5),
        V,
        "affine",
    ),
    Bad("dropout_penalty", "p = 1", lambda: dropout_penalty(net, x, th, 1.0), V, "p"),
    Bad(
        "dropout_penalty",
        "theta of another network",
        lambda: dropout_penalty(net, x, other.init(rng), 0.5),
        T,
        "theta",
    ),
]

EXCUSED: dict[str, str] = {
    "Laplace": "a frozen record built by laplace(), which checks its arguments; its "
    "methods are fuzzed above",
}


@params(CASES)
def test_refuses(case: Bad) -> None:
    refuses(case)


def test_lists_are_accepted() -> None:
    value = expected_calibration_error(probs.tolist(), [0, 1, 0])
    assert 0.0 <= value <= 1.0
    assert Dropout([1, 0], 0.5)(np.ones(2)).tolist() == [2.0, 0.0]
    assert cross_entropy is not squared
