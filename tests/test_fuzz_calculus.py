"""Fuzz cases of chapter 2's calculus and of the data sets (issue 14, item 3): every
public callable of :mod:`adjnets.calculus` and :mod:`adjnets.data` refuses wrong
shapes, kinds, sizes, hyper-parameters and non-finite values with a message that names
the argument (see ``tests/_fuzz.py``)."""

from __future__ import annotations

import numpy as np
import pytest

from adjnets import source
from adjnets.calculus import (
    check,
    derivatives,
    elementwise,
    linear,
    losses,
    maps,
    spaces,
)
from adjnets.calculus import softmax as sm
from adjnets.data import digits, sequences, synthetic
from tests._fuzz import Bad, params, refuses

V = ValueError
T = TypeError
NAN, INF = float("nan"), float("inf")
X = np.arange(6.0).reshape(2, 3)
L = linear.LinearMap.from_matrix(np.ones((2, 3)))
B = elementwise.hadamard
IMG = np.ones((2, 4, 4))


def with_entry(a: np.ndarray, value: float) -> np.ndarray:
    """A copy of ``a`` with its first entry replaced."""
    out = np.array(a, dtype=float)
    out.flat[0] = value
    return out


class Scale(maps.Layer):
    """A tiny layer for the generic checks: :math:`f(x;\\theta) = \\theta_0 x` on
    :math:`\\mathbb R^3`."""

    @property
    def input_shape(self) -> tuple[int, ...]:
        return (3,)

    def init(self, rng: np.random.Generator) -> np.ndarray:
        return np.ones(1)

    def __call__(self, x, theta):
        return theta[0] * x

    def linearize(self, x, theta):
        out = theta[0] * x
        D = linear.LinearMap(lambda v: theta[0] * v, lambda w: theta[0] * w)
        grad = linear.LinearMap(lambda u: u[0] * x, lambda w: np.array([np.sum(w * x)]))
        zero = linear.BilinearMap(
            lambda a, b: 0 * out, lambda a, w: 0 * a, lambda b, w: 0 * b
        )
        return maps.Linearization(out, D, grad, zero, zero)


SCALE = Scale()
ONE = np.ones(1)


def elementwise_cases() -> list[Bad]:
    cases = []
    for f in (
        elementwise.identity,
        elementwise.sigmoid,
        elementwise.tanh,
        elementwise.relu,
        elementwise.softplus,
        elementwise.exp,
        elementwise.log,
    ):
        name = f.name
        cases += [
            Bad(name, "NaN in z", lambda f=f: f(with_entry(X, NAN)), V, r"z"),
            Bad(name, "+inf in z", lambda f=f: f(with_entry(X, INF)), V, r"z"),
            Bad(name, "booleans", lambda f=f: f(X > 1), T, r"z .*booleans"),
        ]
    t = elementwise.tanh
    cases += [
        Bad("Elementwise", "complex z", lambda: t(X + 1j), T, r"z .*complex"),
        Bad("Elementwise", "strings", lambda: t(np.array(["a"])), T, r"z "),
        Bad(
            "Elementwise",
            "name None",
            lambda: elementwise.Elementwise(None, np.sin, np.cos, np.sin),
            T,
            r"name",
        ),
        Bad(
            "Elementwise",
            "psi not callable",
            lambda: elementwise.Elementwise("f", 1.0, np.cos, np.sin),
            T,
            r"psi",
        ),
        Bad(
            "Elementwise.linearize",
            "NaN in z",
            lambda: t.linearize(with_entry(X, NAN)),
            V,
            r"z",
        ),
        Bad(
            "Elementwise.derivative",
            "value of another shape",
            lambda: t.derivative(X, np.ones(3)),
            V,
            r"value",
        ),
        Bad(
            "Elementwise.derivative", "booleans", lambda: t.derivative(X > 0), T, r"z "
        ),
        Bad(
            "Elementwise.value_and_derivative",
            "complex",
            lambda: t.value_and_derivative(X + 0j),
            T,
            r"z ",
        ),
        Bad(
            "Elementwise.second_derivative",
            "booleans",
            lambda: t.second_derivative(X > 0),
            T,
            r"z ",
        ),
        Bad(
            "Elementwise.D",
            "tangent of one point for a batch",
            lambda: t.D(X)(np.ones(3)),
            V,
            r"v of shape",
        ),
        Bad("Elementwise.D2", "strings", lambda: t.D2(np.array(["a"])), T, r"z "),
        Bad(
            "StateLinearization",
            "D of a wrong tangent",
            lambda: t.linearize(X).D(np.ones((2, 4))),
            V,
            r"v of shape",
        ),
        Bad(
            "StateMap",
            "z of booleans",
            lambda: elementwise.relu.linearize(X > 0),
            T,
            r"z ",
        ),
    ]
    for slope, error in ((-0.1, V), (1.0, V), (NAN, V), (True, T), ("0.1", T)):
        cases.append(
            Bad(
                "leaky_relu",
                f"slope {slope!r}",
                lambda s=slope: elementwise.leaky_relu(s),
                error,
                r"slope",
            )
        )
    cases += [
        Bad(
            "hadamard",
            "shapes differ",
            lambda: B(np.ones(3), np.ones(4)),
            V,
            r"a and b of one shape",
        ),
        Bad(
            "hadamard",
            "NaN",
            lambda: B(np.ones(3), with_entry(np.ones(3), NAN)),
            V,
            r"in b",
        ),
        Bad(
            "hadamard",
            "hook: booleans",
            lambda: B.left_hook(np.ones(2))(np.ones(2) > 0),
            T,
            r"b of real",
        ),
    ]
    return cases


def softmax_cases() -> list[Bad]:
    cases = []
    for name, f in (
        ("softmax", sm.softmax),
        ("log_softmax", sm.log_softmax),
        ("D_softmax", sm.D_softmax),
        ("D_log_softmax", sm.D_log_softmax),
    ):
        cases += [
            Bad(name, "+inf logit", lambda f=f: f([[1.0, INF]]), V, r"finite .* x"),
            Bad(name, "row of -inf", lambda f=f: f([[-INF, -INF]]), V, r"in x"),
            Bad(name, "NaN", lambda f=f: f(with_entry(X, NAN)), V, r"in x"),
            Bad(name, "booleans", lambda f=f: f(X > 0), T, r"x of real"),
            Bad(name, "scalar", lambda f=f: f(1.0), V, r"x of shape"),
            Bad(name, "empty last axis", lambda f=f: f(np.ones((2, 0))), V, r"n >= 1"),
        ]
    cases += [
        Bad(
            "D_softmax",
            "tangent of one point",
            lambda: sm.D_softmax(X)(np.ones(3)),
            V,
            r"v of shape",
        ),
        Bad(
            "D_log_softmax",
            "adjoint, wrong last axis",
            lambda: sm.D_log_softmax(X).adj(np.ones((2, 4))),
            V,
            r"w of shape",
        ),
    ]
    return cases


def space_cases() -> list[Bad]:
    big = np.array([2**40, 2**40])
    return [
        Bad(
            "inner",
            "shapes differ",
            lambda: spaces.inner(np.ones(3), np.ones(4)),
            V,
            r"a and b of one shape",
        ),
        Bad(
            "inner",
            "structures differ",
            lambda: spaces.inner((np.ones(3), np.ones(3)), np.ones(3)),
            V,
            r"two points of one space",
        ),
        Bad(
            "inner",
            "booleans",
            lambda: spaces.inner(big > 0, big > 0),
            T,
            r"a of real .*booleans",
        ),
        Bad(
            "inner",
            "complex",
            lambda: spaces.inner(np.ones(2), np.ones(2) * 1j),
            T,
            r"b of real .*complex",
        ),
        Bad(
            "inner",
            "NaN",
            lambda: spaces.inner(with_entry(np.ones(2), NAN), np.ones(2)),
            V,
            r"finite values in a",
        ),
        Bad(
            "norm",
            "+inf",
            lambda: spaces.norm(with_entry(np.ones(2), INF)),
            V,
            r"finite values in a",
        ),
        Bad("norm", "strings", lambda: spaces.norm(np.array(["x"])), T, r"a of real"),
        Bad(
            "tree_map",
            "structures differ",
            lambda: spaces.tree_map(np.add, (X, X), X),
            V,
            r"same structure",
        ),
        Bad("random_like", "rng None", lambda: spaces.random_like(None, X), T, r"rng"),
        Bad("random_like", "rng -1", lambda: spaces.random_like(-1, X), V, r"rng"),
        Bad(
            "sum_outer",
            "leading axes differ",
            lambda: spaces.sum_outer(np.ones((4, 3)), np.ones((5, 2))),
            V,
            r"a of shape \(\.\.\., m\)",
        ),
        Bad(
            "sum_outer",
            "scalar",
            lambda: spaces.sum_outer(1.0, np.ones(2)),
            V,
            r"a of shape",
        ),
        Bad(
            "sum_outer",
            "booleans",
            lambda: spaces.sum_outer(np.ones((4, 3)) > 0, np.ones((4, 2))),
            T,
            r"a of real",
        ),
        Bad(
            "sum_extra_leading",
            "ndim too large",
            lambda: spaces.sum_extra_leading(X, 3),
            V,
            r"ndim",
        ),
        Bad(
            "sum_extra_leading",
            "ndim 1.0",
            lambda: spaces.sum_extra_leading(X, 1.0),
            T,
            r"ndim",
        ),
        Bad(
            "sum_extra_leading",
            "complex",
            lambda: spaces.sum_extra_leading(X + 1j, 1),
            T,
            r"a of real",
        ),
    ]


def linear_cases() -> list[Bad]:
    fm = linear.LinearMap.from_matrix
    return [
        Bad(
            "LinearMap",
            "apply not callable",
            lambda: linear.LinearMap(None, np.negative),
            T,
            r"apply",
        ),
        Bad(
            "LinearMap",
            "name 3",
            lambda: linear.LinearMap(np.negative, np.negative, 3),
            T,
            r"name",
        ),
        Bad("LinearMap.from_matrix", "1-d", lambda: fm(np.ones(3)), V, r"A as a 2-d"),
        Bad(
            "LinearMap.from_matrix",
            "booleans",
            lambda: fm(np.eye(2) > 0),
            T,
            r"A of real",
        ),
        Bad(
            "LinearMap.from_matrix",
            "NaN",
            lambda: fm(with_entry(np.eye(2), NAN)),
            V,
            r"values in A",
        ),
        Bad(
            "LinearMap.from_matrix",
            "wrong v",
            lambda: L(np.ones(2)),
            V,
            r"v of shape \(\.\.\., 3\)",
        ),
        Bad(
            "LinearMap.from_matrix",
            "wrong w",
            lambda: L.adj(np.ones(3)),
            V,
            r"w of shape \(\.\.\., 2\)",
        ),
        Bad(
            "LinearMap.to_matrix",
            "layout",
            lambda: L.to_matrix((3,), "row"),
            V,
            r"layout",
        ),
        Bad(
            "LinearMap.to_matrix",
            "order",
            lambda: L.to_matrix((3,), order="K"),
            V,
            r"order",
        ),
        Bad(
            "LinearMap.to_matrix", "in_shape 3", lambda: L.to_matrix(3), T, r"in_shape"
        ),
        Bad(
            "LinearMap.to_matrix",
            "in_shape (0,)",
            lambda: L.to_matrix((0,)),
            V,
            r"in_shape",
        ),
        Bad(
            "LinearMap.to_matrix",
            "in_shape (3.0,)",
            lambda: L.to_matrix((3.0,)),
            T,
            r"in_shape",
        ),
        Bad(
            "BilinearMap",
            "adjoint not callable",
            lambda: linear.BilinearMap(np.multiply, "x", np.multiply),
            T,
            r"left_adjoint",
        ),
    ]


def derivative_cases() -> list[Bad]:
    d = derivatives
    return [
        Bad("chain_rule", "a matrix", lambda: d.chain_rule(L, np.eye(3)), T, r"Df_x"),
        Bad(
            "composite_second_derivative",
            "a linear map for B",
            lambda: d.composite_second_derivative(B, L, L, L, L),
            T,
            r"\bB\b",
        ),
        Bad(
            "second_order_chain_rule",
            "None",
            lambda: d.second_order_chain_rule(None, L, L, B),
            T,
            r"D2g_at_fx",
        ),
        Bad(
            "derivative_of_adjoint",
            "swapped",
            lambda: d.derivative_of_adjoint(L, B, np.ones(3)),
            T,
            r"D2g_at_fx",
        ),
        Bad(
            "parameter_chain_rule",
            "function",
            lambda: d.parameter_chain_rule(L, np.negative),
            T,
            r"grad_f",
        ),
        Bad(
            "derivative_of_parameter_adjoint",
            "linear map",
            lambda: d.derivative_of_parameter_adjoint(L, np.ones(3)),
            T,
            r"D_grad_g",
        ),
    ]


def check_cases() -> list[Bad]:
    c = check
    x, v = np.ones(3), np.ones(3)
    return [
        Bad(
            "adjoint_error",
            "not a map",
            lambda: c.adjoint_error(np.eye(3), x, v),
            T,
            r"\bL\b",
        ),
        Bad(
            "adjoint_error",
            "NaN in v",
            lambda: c.adjoint_error(L, with_entry(x, NAN), np.ones(2)),
            V,
            r"in v",
        ),
        Bad(
            "assert_adjoint",
            "w of the wrong shape",
            lambda: c.assert_adjoint(L, x, np.ones(3)),
            V,
            r"w of shape",
        ),
        Bad(
            "assert_adjoint",
            "rtol -1",
            lambda: c.assert_adjoint(L, x, np.ones(2), rtol=-1.0),
            V,
            r"rtol",
        ),
        Bad(
            "assert_adjoint",
            "rtol NaN",
            lambda: c.assert_adjoint(L, x, np.ones(2), rtol=NAN),
            V,
            r"rtol",
        ),
        Bad(
            "central_difference",
            "v of another shape",
            lambda: c.central_difference(np.sin, x, np.ones(4)),
            V,
            r"v of shape",
        ),
        Bad(
            "central_difference",
            "h 0",
            lambda: c.central_difference(np.sin, x, v, h=0.0),
            V,
            r"\bh\b",
        ),
        Bad(
            "central_difference",
            "f not callable",
            lambda: c.central_difference(3, x, v),
            T,
            r"\bf\b",
        ),
        Bad(
            "assert_directional",
            "derivative of the wrong shape",
            lambda: c.assert_directional(np.sum, np.ones(3), x, v),
            V,
            r"derivative of shape",
        ),
        Bad(
            "assert_directional",
            "NaN derivative",
            lambda: c.assert_directional(np.sin, with_entry(x, NAN), x, v),
            V,
            r"in derivative",
        ),
        Bad(
            "assert_directional",
            "+inf in x",
            lambda: c.assert_directional(np.sin, x, with_entry(x, INF), v),
            V,
            r"in x",
        ),
        Bad(
            "assert_directional",
            "rtol inf",
            lambda: c.assert_directional(np.sin, x, x, v, rtol=INF),
            V,
            r"rtol",
        ),
        Bad(
            "assert_directional",
            "h -1e-6",
            lambda: c.assert_directional(np.sin, x, x, v, h=-1e-6),
            V,
            r"\bh\b",
        ),
        Bad(
            "assert_directional",
            "booleans",
            lambda: c.assert_directional(np.sin, x, x > 0, v),
            T,
            r"x of real",
        ),
        Bad(
            "assert_second_directional",
            "v2 wrong shape",
            lambda: c.assert_second_directional(np.sin, x, x, v, np.ones(2)),
            V,
            r"v of shape",
        ),
        Bad(
            "assert_second_directional",
            "second wrong shape",
            lambda: c.assert_second_directional(np.sin, np.ones(2), x, v, v),
            V,
            r"derivative of shape",
        ),
        Bad(
            "assert_gradient",
            "rng None",
            lambda: c.assert_gradient(np.sum, x, x, None),
            T,
            r"rng",
        ),
        Bad(
            "assert_gradient",
            "gradient of the wrong shape",
            lambda: c.assert_gradient(np.sum, np.ones(2), x, 0),
            V,
            r"gradient of shape",
        ),
        Bad(
            "assert_gradient",
            "f not scalar",
            lambda: c.assert_gradient(np.sin, x, x, 0),
            V,
            r"f to return one number",
        ),
        Bad(
            "assert_gradient",
            "relative_to",
            lambda: c.assert_gradient(np.sum, x, x, 0, relative_to="x"),
            V,
            r"relative_to",
        ),
        Bad(
            "assert_gradient",
            "rtol 0",
            lambda: c.assert_gradient(np.sum, x, x, 0, rtol=0.0),
            V,
            r"rtol",
        ),
    ]


def layer_cases() -> list[Bad]:
    x = np.ones((2, 3))
    return [
        Bad(
            "Layer",
            "wrong last axis",
            lambda: SCALE(np.ones((2, 4)), ONE),
            V,
            r"x of shape \(\.\.\., 3\)",
        ),
        Bad(
            "Layer",
            "theta of the wrong shape",
            lambda: SCALE(x, np.ones(2)),
            V,
            r"theta of shape \(1,\)",
        ),
        Bad(
            "Layer",
            "NaN in theta",
            lambda: SCALE(x, with_entry(ONE, NAN)),
            V,
            r"in theta",
        ),
        Bad("Layer", "booleans", lambda: SCALE.linearize(x > 0, ONE), T, r"x of real"),
        Bad(
            "Linearization",
            "D of a tangent of one point",
            lambda: SCALE.linearize(x, ONE).D(np.ones(3)),
            V,
            r"v of shape",
        ),
        Bad(
            "Linearization",
            "grad* of a wrong cotangent",
            lambda: SCALE.linearize(x, ONE).grad.adj(np.ones((2, 4))),
            V,
            r"w of shape",
        ),
    ]


def loss_cases() -> list[Bad]:
    sq, ce = losses.squared, losses.cross_entropy
    y = np.ones((4, 1))
    return [
        Bad(
            "Loss",
            "targets (4,) for outputs (4, 1)",
            lambda: sq.value(y, np.ones(4)),
            V,
            r"targets",
        ),
        Bad(
            "Loss",
            "NaN target",
            lambda: sq.error(y, with_entry(y, NAN)),
            V,
            r"targets y",
        ),
        Bad(
            "Loss",
            "+inf output",
            lambda: ce.value(with_entry(X, INF), X),
            V,
            r"outputs y_hat",
        ),
        Bad("Loss", "boolean targets", lambda: ce.error(X, X > 0), T, r"targets y"),
        Bad(
            "one_hot",
            "booleans",
            lambda: losses.one_hot(np.array([True]), 2),
            T,
            r"labels",
        ),
        Bad(
            "one_hot",
            "floats",
            lambda: losses.one_hot(np.array([1.0]), 2),
            T,
            r"labels",
        ),
        Bad("one_hot", "empty list", lambda: losses.one_hot([], 2), T, r"labels"),
        Bad(
            "one_hot",
            "label out of range",
            lambda: losses.one_hot([0, 2], 2),
            V,
            r"labels in \[0, 2\)",
        ),
        Bad("one_hot", "n_classes 0", lambda: losses.one_hot([0], 0), V, r"n_classes"),
        Bad(
            "one_hot",
            "n_classes 2.0",
            lambda: losses.one_hot([0], 2.0),
            T,
            r"n_classes",
        ),
    ]


def data_cases() -> list[Bad]:
    cases = [
        Bad(
            "load_digits",
            "test_size 0",
            lambda: digits.load_digits(0.0),
            V,
            r"test_size",
        ),
        Bad(
            "load_digits",
            "test_size 1",
            lambda: digits.load_digits(1.0),
            V,
            r"test_size",
        ),
        Bad(
            "load_digits",
            "test_size NaN",
            lambda: digits.load_digits(NAN),
            V,
            r"test_size",
        ),
        Bad(
            "load_digits",
            "test_size '0.2'",
            lambda: digits.load_digits("0.2"),
            T,
            r"test_size",
        ),
        Bad("load_digits", "seed -1", lambda: digits.load_digits(seed=-1), V, r"seed"),
        Bad(
            "load_digits",
            "seed None",
            lambda: digits.load_digits(seed=None),
            T,
            r"seed",
        ),
        Bad(
            "load_digits",
            "too small a test set",
            lambda: digits.load_digits(0.001),
            V,
            r"test_size",
        ),
        Bad("curve", "NaN", lambda: synthetic.curve([NAN]), V, r"in x"),
        Bad("curve", "complex", lambda: synthetic.curve([1j]), T, r"x of real"),
        Bad(
            "next_step",
            "one step",
            lambda: sequences.next_step(np.ones((2, 1))),
            V,
            r"signal of shape",
        ),
        Bad(
            "next_step",
            "1-d",
            lambda: sequences.next_step(np.ones(5)),
            V,
            r"signal of shape",
        ),
        Bad(
            "next_step",
            "+inf",
            lambda: sequences.next_step(with_entry(np.ones((2, 3)), INF)),
            V,
            r"in signal",
        ),
        Bad(
            "kicked_oscillator",
            "1-d omega",
            lambda: sequences.kicked_oscillator(np.ones(3)),
            V,
            r"omega of shape",
        ),
        Bad(
            "kicked_oscillator",
            "NaN omega",
            lambda: sequences.kicked_oscillator([[NAN]]),
            V,
            r"in omega",
        ),
        Bad(
            "kicked_oscillator",
            "rho 1",
            lambda: sequences.kicked_oscillator([[0.3]], rho=1.0),
            V,
            r"rho",
        ),
        Bad(
            "kicked_oscillator",
            "rho NaN",
            lambda: sequences.kicked_oscillator([[0.3]], rho=NAN),
            V,
            r"rho",
        ),
        Bad(
            "kicked_oscillator",
            "burn_in 2.0",
            lambda: sequences.kicked_oscillator([[0.3]], burn_in=2.0),
            T,
            r"burn_in",
        ),
        Bad(
            "kicked_oscillator",
            "rng None",
            lambda: sequences.kicked_oscillator([[0.3]], rng=None),
            T,
            r"rng",
        ),
        Bad(
            "delayed_recall",
            "delay = length",
            lambda: sequences.delayed_recall(2, 3, 3),
            V,
            r"delay < length",
        ),
        Bad(
            "adding_problem",
            "length 1",
            lambda: sequences.adding_problem(2, 1),
            V,
            r"length",
        ),
    ]
    for name, f, minimum in (
        ("noisy_curve", synthetic.noisy_curve, 1),
        ("two_moons", synthetic.two_moons, 2),
        ("two_spirals", synthetic.two_spirals, 2),
        ("delayed_recall", lambda n, **k: sequences.delayed_recall(n, 4, 1, **k), 1),
        ("adding_problem", lambda n, **k: sequences.adding_problem(n, 4, **k), 1),
    ):
        for n, error in ((minimum - 1, V), (-3, V), (3.0, T), (None, T), (True, T)):
            cases.append(Bad(name, f"n {n!r}", lambda f=f, n=n: f(n), error, r"\bn\b"))
        cases += [
            Bad(name, "rng None", lambda f=f: f(4, rng=None), T, r"rng"),
            Bad(name, "rng -1", lambda f=f: f(4, rng=-1), V, r"rng"),
        ]
        if name in ("noisy_curve", "two_moons", "two_spirals"):
            for noise in (-0.1, NAN, INF):
                cases.append(
                    Bad(
                        name,
                        f"noise {noise}",
                        lambda f=f, s=noise: f(4, noise=s),
                        V,
                        r"noise",
                    )
                )
    cases += [
        Bad(
            "noisy_curve",
            "low = high",
            lambda: synthetic.noisy_curve(4, low=1.0, high=1.0),
            V,
            r"high",
        ),
        Bad(
            "noisy_curve",
            "low -inf",
            lambda: synthetic.noisy_curve(4, low=-INF),
            V,
            r"low",
        ),
        Bad(
            "two_spirals",
            "turns 0",
            lambda: synthetic.two_spirals(4, turns=0),
            V,
            r"turns",
        ),
        Bad(
            "two_spirals",
            "turns inf",
            lambda: synthetic.two_spirals(4, turns=INF),
            V,
            r"turns",
        ),
        Bad(
            "delayed_recall",
            "length 0",
            lambda: sequences.delayed_recall(2, 0, 0),
            V,
            r"length",
        ),
        Bad(
            "delayed_recall",
            "delay 1.0",
            lambda: sequences.delayed_recall(2, 3, 1.0),
            T,
            r"delay",
        ),
    ]
    for name, f in (
        ("smooth", digits.smooth),
        ("image_gradient", digits.image_gradient),
        ("translation_tangents", digits.translation_tangents),
        ("rotation_tangent", digits.rotation_tangent),
    ):
        cases += [
            Bad(
                name,
                "one row of pixels",
                lambda f=f: f(np.ones(8)),
                V,
                r"images of shape",
            ),
            Bad(
                name,
                "1-pixel-wide images",
                lambda f=f: f(np.ones((3, 8, 1))),
                V,
                r"images of shape",
            ),
            Bad(
                name, "NaN pixel", lambda f=f: f(with_entry(IMG, NAN)), V, r"in images"
            ),
            Bad(name, "boolean images", lambda f=f: f(IMG > 0), T, r"images of real"),
            Bad(name, "sigma 0", lambda f=f: f(IMG, 0.0), V, r"sigma"),
            Bad(name, "sigma NaN", lambda f=f: f(IMG, NAN), V, r"sigma"),
        ]
    return cases


CASES: list[Bad] = [
    *elementwise_cases(),
    *softmax_cases(),
    *space_cases(),
    *linear_cases(),
    *derivative_cases(),
    *check_cases(),
    *layer_cases(),
    *loss_cases(),
    *data_cases(),
    Bad("source", "not a function", lambda: source(42), T, r"got int"),
    # the logarithm is defined on positive numbers: 0 and negatives are refused
    Bad(
        "log",
        "a zero entry",
        lambda: elementwise.log(np.array([1.0, 0.0])),
        V,
        r"positive",
    ),
    Bad(
        "log",
        "negative, linearized",
        lambda: elementwise.log.linearize(-np.ones(2)),
        V,
        r"z",
    ),
]

EXCUSED: dict[str, str] = {
    "leaves": "takes any tree: every object that is not a tuple is a leaf",
}


@params(CASES)
def test_refuses(case: Bad) -> None:
    refuses(case)


# -- what must keep working ------------------------------------------------------------


def test_lists_and_integers_are_accepted() -> None:
    assert spaces.inner([1, 2], [3, 4]) == 11.0
    assert spaces.inner(np.array([2**40]), np.array([2**40])) == 2.0**80  # no overflow
    assert np.allclose(sm.softmax([[0, 0]]), 0.5)
    assert np.allclose(elementwise.tanh([0, 1]), np.tanh([0.0, 1.0]))
    assert np.allclose(synthetic.curve([0, 1]), [0.0, 0.5])
    assert np.allclose(linear.LinearMap.from_matrix([[1, 2]])([[1, 1]]), [[3.0]])
    assert np.allclose(digits.smooth([[1, 0], [0, 1]]).sum(), 2.0)
    x, y = sequences.next_step([[1, 2, 3]])
    assert x.dtype == np.float64 and y.shape == (1, 2, 1)
    assert check.assert_gradient(np.sum, [1, 1], [0, 0], 0) < 1e-7


def test_batches_of_one_and_edge_sizes_work() -> None:
    assert SCALE(np.ones((1, 3)), ONE).shape == (1, 3)
    assert synthetic.noisy_curve(1)[0].shape == (1, 1)
    assert synthetic.two_moons(2)[0].shape == (2, 2)
    assert sequences.delayed_recall(1, 1, 0)[0].shape == (1, 1, 1)
    assert elementwise.leaky_relu(0)(np.array([-1.0])) == 0.0


def test_relative_to_norms_ignores_a_near_orthogonal_direction() -> None:
    x = np.array([1.0, 0.0])
    err = check.assert_gradient(
        lambda z: float(z @ z), 2 * x, x, 0, relative_to="norms"
    )
    assert err < 1e-7
    with pytest.raises(AssertionError):
        check.assert_gradient(lambda z: float(z @ z), -2 * x, x, 0, relative_to="norms")
