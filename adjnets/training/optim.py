r"""First-order optimisers over parameter trees: gradient descent, momentum and adaptive
methods.

The thesis trains every network by plain gradient descent (Algorithms 3.2.1, 4.1.1).
This module collects the variants that the optimisation appendix of the book compares,
following the course notes of Jensen :cite:`jensen2024notes` (section 3) and Borasi
:cite:`borasi2023notes` (section 1.2):

* :class:`GradientDescent` (also :data:`SGD`):
  :math:`\theta^{t+1} = \theta^t - \eta g^t`;
* :class:`HeavyBall`: Polyak's momentum;
* :class:`Nesterov`: Nesterov's accelerated gradient;
* :class:`AdaGrad`: per-coordinate steps scaled by the accumulated squared gradients;
* :class:`Adam`: moving averages of the gradient and of its square, with bias
  correction.

Each optimiser is a small frozen object holding its hyperparameters, with two pure
functions: ``init(theta) -> state`` and ``step(theta, grad, state) -> (theta, state)``.
Parameters, gradients and states are *trees* (arrays or (Named)tuples of arrays,
:mod:`adjnets.calculus.spaces`); nothing is modified in place, so an old
``(theta, state)`` pair stays valid after a step. Products, squares and square roots of
gradients are taken entry by entry (Hadamard, :math:`\odot`).

:func:`fit` runs an optimiser over shuffled minibatches of a data set, with the gradient
of the *mean* loss of each minibatch (the package's losses are sums over the batch).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np

from adjnets import validation
from adjnets.calculus.spaces import Array, Tree, leaves, tree_map


def _divided(tree: Tree, n: float) -> Tree:
    return tree_map(lambda a: a / n, tree)


def _zeros(theta: Tree) -> Tree:
    return tree_map(lambda a: np.zeros(np.shape(a), dtype=np.float64), theta)


def _parameters(theta: Tree, who: str) -> Tree:
    """``theta`` as a tree of finite float64 arrays (its own shapes)."""
    return validation.tree_like("theta", theta, validation.shapes(theta), who)


class Optimizer:
    """The base of the optimisers: :meth:`step` checks its arguments at the boundary,
    once, then calls the update of the subclass (``_update``, which the training loops
    call directly)."""

    def _update(self, theta: Tree, grad: Tree, state: Any) -> tuple[Tree, Any]:
        raise NotImplementedError

    def step(self, theta: Tree, grad: Tree, state: Any) -> tuple[Tree, Any]:
        r"""One step from the parameters ``theta`` with the gradient ``grad`` (a tree
        of the shapes of ``theta``) and the state from the optimiser's ``init`` or the
        last step; returns the new parameters and state (see the class for the update).

        Raises
        ------
        ValueError
            If ``grad`` or ``state`` does not have the shapes of ``theta``, or
            ``theta`` or ``grad`` has a non-finite entry.
        TypeError
            If their tree structures differ.
        """
        who = f"{type(self).__name__}.step"
        theta = _parameters(theta, who)
        like = validation.shapes(theta)
        grad = validation.tree_like("grad", grad, like, who)
        _check_state(state, self.init(theta), who)
        return self._update(theta, grad, state)

    def init(self, theta: Tree) -> Any:
        raise NotImplementedError


def _check_state(state: Any, fresh: Any, who: str) -> None:
    """The shapes of ``state`` against those of a fresh state for the same
    parameters (a stateless optimiser's ``()`` has nothing to check)."""
    if fresh == ():
        if not (isinstance(state, tuple) and len(state) == 0):
            raise TypeError(
                f"{who} expected state (), got {validation.describe(state)}"
            )
        return
    validation.check_tree_shapes(
        "state", state, validation.shapes(fresh), who, leading=0
    )


class Velocity(NamedTuple):
    r"""State of the momentum methods: :math:`v^t = \theta^t - \theta^{t-1}`."""

    velocity: Tree


class SquaredSum(NamedTuple):
    r"""State of AdaGrad: :math:`\gamma^t = \sum_{s\le t} g^s\odot g^s`."""

    sum_sq: Tree


class AdamState(NamedTuple):
    r"""State of Adam: the number of steps taken and the two moving averages
    :math:`m, v`."""

    steps: int
    m: Tree
    v: Tree


@dataclass(frozen=True)
class GradientDescent(Optimizer):
    r"""Plain gradient descent: :math:`\theta^{t+1} = \theta^t - \eta\, g^t`.

    With :math:`g^t = \nabla h(\theta^t)` this is the gradient step of Algorithm 3.2.1
    of the thesis; with the gradient of a random minibatch's loss it is stochastic
    gradient descent (:data:`SGD` is the same class). For an :math:`L`-smooth :math:`h`
    and :math:`\eta = 1/L` one step decreases :math:`h` by at least
    :math:`\lVert\nabla h\rVert^2/(2L)` :cite:`borasi2023notes,jensen2024notes`.

    Parameters
    ----------
    lr : float
        The step size :math:`\eta > 0`.
    """

    lr: float

    def __post_init__(self) -> None:
        validation.positive("lr", self.lr, type(self).__name__)

    def init(self, theta: Tree) -> tuple[()]:
        """No state: an empty tuple."""
        _parameters(theta, f"{type(self).__name__}.init")
        return ()

    def _update(
        self, theta: Tree, grad: Tree, state: tuple[()]
    ) -> tuple[Tree, tuple[()]]:
        r"""Return :math:`(\theta - \eta g, ())`."""
        return tree_map(lambda th, g: th - self.lr * g, theta, grad), state


SGD = GradientDescent
"""Stochastic gradient descent: :class:`GradientDescent` fed minibatch gradients."""


@dataclass(frozen=True)
class HeavyBall(Optimizer):
    r"""Polyak's heavy-ball method (gradient descent with momentum).

    .. math::
        \theta^{t+1} = \theta^t - \eta\,\nabla h(\theta^t)
        + \beta\,(\theta^t - \theta^{t-1}),
        \qquad \theta^{-1} = \theta^0,

    :cite:`jensen2024notes` (section 3.3). The state is the last displacement
    :math:`v^t = \theta^t - \theta^{t-1}`, so a step is
    :math:`v^{t+1} = \beta v^t - \eta g^t`, :math:`\theta^{t+1} = \theta^t + v^{t+1}`.
    Under a constant gradient :math:`g` the displacement tends to
    :math:`-\eta g/(1-\beta)`: the effective step grows by :math:`1/(1-\beta)`.

    Parameters
    ----------
    lr : float
        :math:`\eta > 0`.
    beta : float
        Momentum :math:`\beta\in[0, 1)`; :math:`\beta = 0` is plain gradient descent.
    """

    lr: float
    beta: float = 0.9

    def __post_init__(self) -> None:
        validation.positive("lr", self.lr, type(self).__name__)
        validation.fraction("beta", self.beta, type(self).__name__)

    def init(self, theta: Tree) -> Velocity:
        """Zero velocity: the first step is a gradient step."""
        return Velocity(_zeros(_parameters(theta, f"{type(self).__name__}.init")))

    def _update(
        self, theta: Tree, grad: Tree, state: Velocity
    ) -> tuple[Tree, Velocity]:
        r"""Return :math:`(\theta + v',\ v')` with :math:`v' = \beta v - \eta g`."""
        v = tree_map(lambda v, g: self.beta * v - self.lr * g, state.velocity, grad)
        return tree_map(np.add, theta, v), Velocity(v)


@dataclass(frozen=True)
class Nesterov(Optimizer):
    r"""Nesterov's accelerated gradient.

    The method extrapolates, then takes a gradient step from the extrapolated point
    :cite:`jensen2024notes` (section 3.3):

    .. math::
        \chi^{t+1} = \theta^t + \beta\,(\theta^t - \theta^{t-1}), \qquad
        \theta^{t+1} = \chi^{t+1} - \eta\,\nabla h(\chi^{t+1}), \qquad \theta^{-1}
        = \theta^0.

    The gradient is needed at :math:`\chi`, so the parameters this optimiser holds (and
    whose gradient ``step`` expects) are the extrapolated points :math:`\chi^{t+1}`, and
    the state is :math:`v^t = \theta^t - \theta^{t-1}`. Writing
    :math:`g = \nabla h(\chi^{t+1})`, one step is

    .. math::
        v^{t+1} = \beta v^t - \eta g, \qquad \chi^{t+2}
        = \chi^{t+1} + \beta v^{t+1} - \eta g,

    and :meth:`position` recovers :math:`\theta^t = \chi^{t+1} - \beta v^t`.
    ``init(theta0)`` starts at :math:`\chi^1 = \theta^0`. For a convex :math:`L`-smooth
    :math:`h`, :math:`\eta = 1/L` and :math:`\beta_t = (t-1)/(t+2)` the error is
    :math:`O(1/t^2)` (Nesterov, 1983); here :math:`\beta` is constant, as in the notes.

    Parameters
    ----------
    lr : float
        :math:`\eta > 0`.
    beta : float
        Extrapolation :math:`\beta\in[0, 1)`.
    """

    lr: float
    beta: float = 0.9

    def __post_init__(self) -> None:
        validation.positive("lr", self.lr, type(self).__name__)
        validation.fraction("beta", self.beta, type(self).__name__)

    def init(self, theta: Tree) -> Velocity:
        r"""Zero velocity: :math:`\chi^1 = \theta^0`."""
        return Velocity(_zeros(_parameters(theta, f"{type(self).__name__}.init")))

    def _update(
        self, theta: Tree, grad: Tree, state: Velocity
    ) -> tuple[Tree, Velocity]:
        r"""From :math:`(\chi^{t+1}, \nabla h(\chi^{t+1}), v^t)` return
        :math:`(\chi^{t+2}, v^{t+1})`."""
        v = tree_map(lambda v, g: self.beta * v - self.lr * g, state.velocity, grad)
        chi = tree_map(lambda c, v, g: c + self.beta * v - self.lr * g, theta, v, grad)
        return chi, Velocity(v)

    def position(self, theta: Tree, state: Velocity) -> Tree:
        r"""The gradient-step iterate :math:`\theta^t = \chi^{t+1} - \beta v^t`."""
        theta = _parameters(theta, "Nesterov.position")
        _check_state(state, self.init(theta), "Nesterov.position")
        return tree_map(lambda c, v: c - self.beta * v, theta, state.velocity)


@dataclass(frozen=True)
class AdaGrad(Optimizer):
    r"""AdaGrad: a step size per coordinate, shrinking with the gradients seen so far.

    .. math::
        \gamma^t = \gamma^{t-1} + g^t\odot g^t, \qquad
        \theta^{t+1} = \theta^t - \frac{\eta}{\sqrt{\gamma^t} + \delta}\odot g^t,
        \qquad \gamma^{-1} = 0,

    with the square root and the quotient taken entry by entry
    :cite:`jensen2024notes` (section 3.3; Duchi, Hazan and Singer, 2011).

    Parameters
    ----------
    lr : float
        :math:`\eta > 0`.
    delta : float
        :math:`\delta\ge 0`, which keeps the quotient finite where no gradient has been
        seen.
    """

    lr: float
    delta: float = 1e-8

    def __post_init__(self) -> None:
        validation.positive("lr", self.lr, type(self).__name__)
        validation.nonnegative("delta", self.delta, type(self).__name__)

    def init(self, theta: Tree) -> SquaredSum:
        r""":math:`\gamma = 0`."""
        return SquaredSum(_zeros(_parameters(theta, f"{type(self).__name__}.init")))

    def _update(
        self, theta: Tree, grad: Tree, state: SquaredSum
    ) -> tuple[Tree, SquaredSum]:
        r"""Return :math:`(\theta - \eta g/(\sqrt{\gamma'}+\delta),\ \gamma')`,
        :math:`\gamma' = \gamma + g\odot g`."""
        gamma = tree_map(lambda s, g: s + g * g, state.sum_sq, grad)
        new = tree_map(
            lambda th, g, s: th - self.lr * g / (np.sqrt(s) + self.delta),
            theta,
            grad,
            gamma,
        )
        return new, SquaredSum(gamma)


@dataclass(frozen=True)
class Adam(Optimizer):
    r"""Adam (adaptive moment estimation; Kingma and Ba, 2014).

    .. math::
        m^t &= \beta_1 m^{t-1} + (1-\beta_1)\,g^t, \qquad
        v^t = \beta_2 v^{t-1} + (1-\beta_2)\,g^t\odot g^t, \qquad m^0 = v^0 = 0,\\
        \hat m^t &= \frac{m^t}{1-\beta_1^t}, \qquad \hat v^t
        = \frac{v^t}{1-\beta_2^t}, \qquad
        \theta^{t} = \theta^{t-1} - \eta\,\frac{\hat m^t}{\sqrt{\hat v^t} + \epsilon},

    for :math:`t = 1, 2, \dots`, entry by entry. The notes :cite:`jensen2024notes`
    (section 3.3) state the two averages and the adaptive step without :math:`\eta` and
    without the bias correction :math:`\hat m, \hat v`; ``bias_correction=False`` gives
    their form (times :math:`\eta`).

    Parameters
    ----------
    lr : float
        :math:`\eta > 0`.
    beta1, beta2 : float
        Decay rates in :math:`[0, 1)` of the two averages.
    eps : float
        :math:`\epsilon\ge 0`.
    bias_correction : bool
        Divide the averages by :math:`1-\beta^t` (the default, as in Kingma and Ba).

    Examples
    --------
    Minimise :math:`h(\theta) = \tfrac12\lVert\theta\rVert^2`, whose gradient is
    :math:`\theta`; the first step moves every coordinate by about :math:`\eta`:

    >>> import numpy as np
    >>> from adjnets import Adam
    >>> adam = Adam(lr=0.1)
    >>> theta = np.array([1.0, -2.0])
    >>> state = adam.init(theta)
    >>> theta, state = adam.step(theta, theta, state)  # gradient of h at theta
    >>> theta.round(6)
    array([ 0.9, -1.9])
    """

    lr: float = 1e-3
    beta1: float = 0.9
    beta2: float = 0.999
    eps: float = 1e-8
    bias_correction: bool = True

    def __post_init__(self) -> None:
        owner = type(self).__name__
        validation.positive("lr", self.lr, owner)
        validation.fraction("beta1", self.beta1, owner)
        validation.fraction("beta2", self.beta2, owner)
        validation.nonnegative("eps", self.eps, owner)
        if not isinstance(self.bias_correction, bool):
            raise TypeError(
                f"{owner} expected bias_correction to be a bool, got "
                f"{self.bias_correction!r}"
            )

    def init(self, theta: Tree) -> AdamState:
        """No steps taken, both averages zero."""
        theta = _parameters(theta, f"{type(self).__name__}.init")
        return AdamState(0, _zeros(theta), _zeros(theta))

    def _update(
        self, theta: Tree, grad: Tree, state: AdamState
    ) -> tuple[Tree, AdamState]:
        r"""One Adam step; returns the new parameters and :math:`(t, m^t, v^t)`."""
        b1, b2 = self.beta1, self.beta2
        t = state.steps + 1
        m = tree_map(lambda m, g: b1 * m + (1 - b1) * g, state.m, grad)
        v = tree_map(lambda v, g: b2 * v + (1 - b2) * g * g, state.v, grad)
        c1, c2 = (1 - b1**t, 1 - b2**t) if self.bias_correction else (1.0, 1.0)
        new = tree_map(
            lambda th, m, v: th - self.lr * (m / c1) / (np.sqrt(v / c2) + self.eps),
            theta,
            m,
            v,
        )
        return new, AdamState(t, m, v)


def iterate(
    optimizer: Any, grad_fn: Callable[[Tree], Tree], theta: Tree, steps: int
) -> list[Tree]:
    r"""Run ``steps`` steps of ``optimizer`` on a deterministic gradient; return all
    iterates.

    Returns :math:`[\theta^0, \theta^1, \dots, \theta^{\text{steps}}]`, the parameters
    the optimiser holds (for :class:`Nesterov`, the extrapolated points :math:`\chi`).

    Raises
    ------
    TypeError
        If ``optimizer`` is not an optimiser of this module, ``grad_fn`` not callable
        or ``steps`` not an integer.
    ValueError
        If ``steps < 0``, ``theta`` has a non-finite entry or a gradient has the wrong
        shapes.
    adjnets.validation.NonFiniteLossError
        If a gradient is not finite (the step size is too large, usually): the message
        names the step.
    """
    who = "iterate"
    _optimizer(optimizer, who)
    _callable("grad_fn", grad_fn, who)
    steps = validation.positive_int("steps", steps, 0, who)
    theta = _parameters(theta, who)
    like = validation.shapes(theta)
    state, out = optimizer.init(theta), [theta]
    last: float | None = None
    for k in range(steps):
        grad = grad_fn(theta)
        validation.check_tree_shapes("gradient", grad, like, who, leading=0)
        size = _sum_of_squares(grad)
        if not np.isfinite(size):
            before = "none was" if last is None else f"the last one had norm {last:.6g}"
            raise validation.NonFiniteLossError(
                f"{who} stopped: it expected finite gradients, got a non-finite one at "
                f"step {k} ({before}); the step size is probably too large"
            )
        last = float(np.sqrt(size))
        theta, state = optimizer._update(theta, grad, state)
        out.append(theta)
    return out


def _sum_of_squares(tree: Tree) -> float:
    """The squared norm over every leaf (NaN or inf if any entry is)."""
    with np.errstate(over="ignore", invalid="ignore"):
        return float(sum(np.sum(np.square(a)) for a in leaves(tree)))


def _optimizer(optimizer: object, who: str) -> None:
    if not isinstance(optimizer, Optimizer):
        raise TypeError(
            f"{who} expected optimizer to be one of GradientDescent, HeavyBall, "
            f"Nesterov, AdaGrad, Adam, got {type(optimizer).__name__}"
        )


def _callable(name: str, fn: object, who: str) -> None:
    if not callable(fn):
        raise TypeError(
            f"{who} expected {name} to be callable, got {validation.describe(fn)}"
        )


def fit(
    optimizer: Any,
    loss_and_gradient: Callable[[Array, Array, Tree], tuple[float, Tree]],
    theta: Tree,
    x: Array,
    y: Array,
    *,
    epochs: int,
    batch_size: int,
    rng: np.random.Generator | int = 0,
) -> tuple[Tree, Array]:
    r"""Minibatch training with any optimiser of this module.

    Each epoch shuffles the :math:`N` points with ``rng`` and takes one
    ``optimizer.step`` per minibatch :math:`A` of ``batch_size`` consecutive points (the
    last may be smaller), with the gradient of the mean loss
    :math:`\frac1{|A|}\sum_{j\in A} J(x_{(j)}, y_{(j)};\theta)`.

    Parameters
    ----------
    loss_and_gradient : callable
        ``(x_batch, y_batch, theta) -> (loss, gradient)``, the loss summed over the
        batch, e.g. ``lambda x, y, th: mlp.loss_and_gradient(x, y, th, cross_entropy)``.

    Returns
    -------
    theta : tree
        The parameters after the last step.
    history : array of shape (epochs + 1,)
        The mean loss over the whole data set before training and after each epoch.

    Examples
    --------
    An MLP classifier of the digits trained by Adam for three epochs:

    >>> import numpy as np
    >>> from adjnets import MLP, Adam, cross_entropy, fit, load_digits, one_hot
    >>> x, _, y, _ = load_digits()
    >>> x, y = x.reshape(-1, 64), one_hot(y, 10)
    >>> mlp = MLP((64, 32, 10))
    >>> def loss_and_gradient(x, y, theta):
    ...     return mlp.loss_and_gradient(x, y, theta, cross_entropy)
    >>> theta, history = fit(
    ...     Adam(lr=0.01), loss_and_gradient, mlp.init(np.random.default_rng(0)), x, y,
    ...     epochs=3, batch_size=32,
    ... )
    >>> history.shape, bool(history[-1] < history[0] / 5)
    ((4,), True)

    Raises
    ------
    TypeError
        For an argument of the wrong kind (``rng=None``, a float ``epochs``, ...).
    ValueError
        For sizes out of range (``batch_size`` larger than :math:`N`), ``x`` and ``y``
        of different lengths, non-finite data or parameters, or gradients of the wrong
        shapes.
    adjnets.validation.NonFiniteLossError
        If a minibatch's loss is not finite: the message names the step and the last
        finite loss.
    """
    who = "fit"
    _optimizer(optimizer, who)
    _callable("loss_and_gradient", loss_and_gradient, who)
    epochs = validation.positive_int("epochs", epochs, who=who)
    batch_size = validation.positive_int("batch_size", batch_size, who=who)
    rng = validation.generator(rng, who)
    x = validation.as_float_array("x", x, who)
    y = validation.as_float_array("y", y, who)
    if x.ndim < 1 or y.ndim < 1 or len(x) != len(y) or len(x) == 0:
        raise ValueError(
            f"{who} expected x and y with the same number N >= 1 of points along the "
            f"leading axis, got shapes {x.shape} and {y.shape}"
        )
    n = len(x)
    if batch_size > n:
        raise ValueError(f"{who} expected batch_size <= N = {n}, got {batch_size}")
    theta = _parameters(theta, who)
    like = validation.shapes(theta)
    state = optimizer.init(theta)
    history = [loss_and_gradient(x, y, theta)[0] / n]
    step, last = 0, None
    for _ in range(epochs):
        order = rng.permutation(n)
        for start in range(0, n, batch_size):
            idx = order[start : start + batch_size]
            value, grad = loss_and_gradient(x[idx], y[idx], theta)
            last = validation.finite_loss(float(value), step, last, who)
            validation.check_tree_shapes("gradient", grad, like, who, leading=0)
            grad = _divided(grad, len(idx))
            theta, state = optimizer._update(theta, grad, state)
            step += 1
        history.append(loss_and_gradient(x, y, theta)[0] / n)
    return theta, np.asarray(history, dtype=np.float64)
