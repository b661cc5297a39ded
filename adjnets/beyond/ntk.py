r"""Infinite width: the empirical neural tangent kernel and its limit (Part IV, page
F.4).

For a network :math:`F(x;\theta)` with output in :math:`\mathbb R^k`, the *empirical
neural tangent kernel* at :math:`\theta` is the linear map

.. math::
    \Theta_\theta(x, x') = \nabla F(x;\theta)\,\nabla^*F(x';\theta)
    \in\mathcal L(\mathbb R^k;\mathbb R^k),

built from the parameter derivative of the thesis and its adjoint
:cite:`caterini2017thesis,jacot2018neural`. For a scalar output it is the number
:math:`\langle\nabla^*F(x)\cdot 1, \nabla^*F(x')\cdot 1\rangle`, an inner product in
the parameter space.

* :class:`NTKNetwork`: a network of dense layers in the NTK parametrisation, whose
  :meth:`~NTKNetwork.kernel` computes :math:`\Theta` from Gram matrices of the layer
  inputs and of the back-propagated errors, never an :math:`N\times P` Jacobian (the
  book's own Proposition F.4.1);
* :func:`arccos_kernel` and :func:`relu_ntk_limit`: the arc-cosine kernels of Cho and
  Saul and the closed-form kernel of an infinitely wide one-hidden-layer ReLU network
  (the book's own Proposition F.4.2);
* :func:`monte_carlo_ntk`: that kernel as a Monte Carlo average over random hidden
  units, with its standard error, which is the empirical kernel at finite width and
  gives its :math:`m^{-1/2}` rate (the book's own Corollary F.4.3);
* :func:`kernel_movement`: full-batch gradient descent, and how far the kernel moves.

The results are this book's own, not the thesis's (its chapter 6 names infinite
dimensions as future work).
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np

from adjnets import validation
from adjnets.beyond.uncertainty import parameter_derivative
from adjnets.calculus.elementwise import Elementwise, relu
from adjnets.calculus.linear import LinearMap
from adjnets.calculus.losses import Loss, squared
from adjnets.calculus.spaces import Array, Tree, norm
from adjnets.networks.layers import Dense, DenseParams
from adjnets.networks.network import Network
from adjnets.pages.thesis import implements
from adjnets.training.optim import GradientDescent, fit

__all__ = [
    "KernelMovement",
    "NTKNetwork",
    "arccos_kernel",
    "kernel_movement",
    "monte_carlo_ntk",
    "relu_ntk_limit",
]

Params = tuple[DenseParams, ...]


@dataclass(frozen=True)
class NTKNetwork:
    r"""A network of dense layers in the NTK parametrisation.

    With widths :math:`(n_0, n_1, \dots, n_L)` the network is
    :math:`F(x;\theta) = G(x; S\theta)`, where :math:`G = f_L\circ\dots\circ f_1` is the
    ordinary network of dense layers :math:`f_l(y; W, b) = \Psi_l(Wy + b)`
    (:class:`~adjnets.networks.layers.Dense`; the last layer is affine) and
    :math:`S` is the fixed linear map

    .. math::
        S\bigl((W_l, b_l)_{l=1}^L\bigr) = \Bigl(\tfrac{1}{\sqrt{n_{l-1}}}W_l,\
        \beta\, b_l\Bigr)_{l=1}^L .

    Every entry of :math:`\theta` is drawn from :math:`N(0, 1)` (:meth:`init`), so each
    pre-activation has a variance that does not grow with the width, and the kernel
    has a limit as the widths grow :cite:`jacot2018neural`. One hidden layer gives
    :math:`F(x) = \tfrac{1}{\sqrt m}v^T\Psi\bigl(\tfrac{1}{\sqrt d}Wx + \beta b\bigr)
    + \beta c`.

    Parameters
    ----------
    widths : sequence of int
        :math:`(n_0, \dots, n_L)`, at least two, each at least 1.
    activation : Elementwise, optional
        :math:`\Psi` of the hidden layers (ReLU by default).
    beta : float, optional
        :math:`\beta\ge 0`, the scale of the biases (1 by default).

    Attributes
    ----------
    net : Network
        :math:`G`, the same network in the ordinary parametrisation.
    scaling : LinearMap
        :math:`S`, self-adjoint (a diagonal scaling of the parameter space).

    Raises
    ------
    TypeError
        For a width that is not an integer, or an activation that is not an
        :class:`~adjnets.calculus.elementwise.Elementwise`.
    ValueError
        For fewer than two widths, a width below 1 or a negative ``beta``.

    Examples
    --------
    The kernel of a width-512 network at four points of the plane, by Proposition F.4.1,
    is close to its infinite-width limit (Proposition F.4.2):

    >>> import numpy as np
    >>> from adjnets.beyond.ntk import NTKNetwork, relu_ntk_limit
    >>> model = NTKNetwork((2, 512, 1))
    >>> theta = model.init(np.random.default_rng(0))
    >>> x = np.array([[1.0, 0.0], [0.0, 1.0], [-1.0, 0.0], [0.6, 0.8]])
    >>> K = model.kernel(x, theta)  # 4 x 4, symmetric, positive semi-definite
    >>> K.shape, bool(np.allclose(K, K.T))
    ((4, 4), True)
    >>> limit = relu_ntk_limit(x)  # Proposition F.4.2
    >>> error = np.linalg.norm(K - limit) / np.linalg.norm(limit)
    >>> print(bool(error < 0.1))
    True
    """

    widths: tuple[int, ...]
    activation: Elementwise = relu
    beta: float = 1.0
    net: Network = field(init=False, repr=False, compare=False)
    scaling: LinearMap = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        who = "NTKNetwork"
        widths_in: object = self.widths
        if not isinstance(widths_in, Sequence) or isinstance(widths_in, str):
            raise TypeError(
                f"{who} expected widths as a sequence of integers, got "
                f"{validation.describe(self.widths)}"
            )
        if len(self.widths) < 2:
            raise ValueError(
                f"{who} expected widths of at least two layers (n_0, n_1), got "
                f"{tuple(self.widths)!r}"
            )
        widths = tuple(
            validation.positive_int("widths", n, 1, who) for n in self.widths
        )
        validation.instance("activation", self.activation, Elementwise, who)
        beta = validation.nonnegative("beta", self.beta, who)
        layers = [
            Dense(n_in, n_out, self.activation)
            for n_in, n_out in itertools.pairwise(widths)
        ]
        layers[-1] = Dense(widths[-2], widths[-1])  # the output layer is affine
        scales = [(1.0 / np.sqrt(n_in), beta) for n_in in widths[:-1]]

        def scale(theta: Tree) -> Tree:
            return tuple(
                DenseParams(a * W, c * b)
                for (a, c), (W, b) in zip(scales, theta, strict=True)
            )

        object.__setattr__(self, "widths", widths)
        object.__setattr__(self, "beta", beta)
        object.__setattr__(self, "net", Network(layers))
        object.__setattr__(self, "scaling", LinearMap(scale, scale, "S"))

    # -- arguments --------------------------------------------------------------------

    def _x(self, name: str, x: object, who: str) -> Array:
        return validation.batch(
            name, x, (self.widths[0],), f"NTKNetwork.{who}", leading=1
        )

    def _theta(self, theta: object, who: str) -> Params:
        checked: Params = validation.tree_like(
            "theta", theta, self.net.param_shapes, f"NTKNetwork.{who}"
        )
        return checked

    # -- the map and its derivatives --------------------------------------------------

    def init(self, rng: np.random.Generator | int) -> Params:
        r"""Parameters with every entry drawn from :math:`N(0, 1)`."""
        rng = validation.generator(rng, "NTKNetwork.init")
        return tuple(
            DenseParams(rng.standard_normal(W), rng.standard_normal(b))
            for W, b in self.net.param_shapes
        )

    def __call__(self, x: Array, theta: Params) -> Array:
        r""":math:`F(x;\theta) = G(x; S\theta)` for a batch ``x`` of shape (N, n_0)."""
        x, theta = self._x("x", x, "__call__"), self._theta(theta, "__call__")
        out: Array = self.net(x, self.scaling(theta))
        return out

    def parameter_derivative(self, x: Array, theta: Params) -> LinearMap:
        r""":math:`\nabla F(x;\theta) = \nabla G(x; S\theta)\cdot S` on a batch, with
        its adjoint :math:`S^*\,\nabla^*G(x; S\theta) = S\,\nabla^*G(x; S\theta)`.

        The chain rule (thesis Lemma 2.3.1) composes the parameter derivative of the
        ordinary network, :func:`adjnets.beyond.uncertainty.parameter_derivative` (the
        book's Proposition F.3.1: forward tangents, and back-propagation with thesis
        Lemma 3.2.1 for the adjoint), with the scaling :math:`S`. The map sends
        :math:`u\in H` to the (N, k) array of :math:`\nabla F(x_j;\theta)\cdot u`; its
        adjoint sums over the batch.
        """
        who = "parameter_derivative"
        x, theta = self._x("x", x, who), self._theta(theta, who)
        fwd = self.net.forward(x, self.scaling(theta))
        derivative: LinearMap = parameter_derivative(self.net, fwd) @ self.scaling
        return derivative

    def loss_and_gradient(
        self, x: Array, y: Array, theta: Params, loss: Loss = squared
    ) -> tuple[float, Params]:
        r"""The loss of a batch and its gradient in :math:`\theta`:
        :math:`\nabla_\theta J = S^*\,\nabla_{S\theta}J` (chain rule, thesis Lemma
        2.3.1, with Theorem 3.2.2 for the gradient in the ordinary parameters)."""
        x, theta = (
            self._x("x", x, "loss_and_gradient"),
            self._theta(theta, "loss_and_gradient"),
        )
        value, grad = self.net.loss_and_gradient(x, y, self.scaling(theta), loss)
        scaled: Params = self.scaling.adj(grad)
        return value, scaled

    @implements("Proposition F.4.1")
    def kernel(self, x: Array, theta: Params, x2: Array | None = None) -> Array:
        r"""The empirical NTK :math:`\Theta_\theta(x_i, x'_j)` of two batches, from Gram
        matrices (the book's own Proposition F.4.1, not the thesis's).

        With :math:`y_l(x)` the input of layer :math:`l`, :math:`e_l^p(x)` the error
        back-propagated to its output from the unit cotangent :math:`\epsilon_p` of the
        output (thesis Theorem 3.2.5) and
        :math:`\delta_l^p(x) = \Psi_l'(z_l)\odot e_l^p(x)`
        (:math:`= \nabla_{b}f_l(y_l)\cdot e_l^p`, the bias derivative),

        .. math::
            \Theta_\theta(x, x')_{pq} = \sum_{l=1}^L
            \bigl\langle\delta_l^p(x), \delta_l^q(x')\bigr\rangle
            \Bigl(\tfrac{1}{n_{l-1}}\bigl\langle y_l(x), y_l(x')\bigr\rangle
            + \beta^2\Bigr).

        The cost is :math:`O(NN'k^2\sum_l n_l)` time and :math:`O((N+N')k\sum_l n_l)`
        memory beyond the forward passes: no :math:`N\times P` Jacobian is formed.

        Parameters
        ----------
        x : array of shape (N, n_0)
        theta : tuple of DenseParams
        x2 : array of shape (N', n_0), optional
            The second batch; ``x`` itself by default.

        Returns
        -------
        array of shape (N, N') for a scalar output (:math:`k = 1`), else (N, N', k, k)
        """
        x, theta = self._x("x", x, "kernel"), self._theta(theta, "kernel")
        gram_x = self._factors(x, theta)
        same = x2 is None
        gram_x2 = gram_x if same else self._factors(self._x("x2", x2, "kernel"), theta)
        n, n2, k = len(gram_x[0][0]), len(gram_x2[0][0]), self.widths[-1]
        K = np.zeros((k * n, k * n2))
        for (y1, d1), (y2, d2) in zip(gram_x, gram_x2, strict=True):
            # <delta_l^p(x_i), delta_l^q(x'_j)> as one (k N, k N') matrix product
            inputs = y1 @ y2.T / y1.shape[-1] + self.beta**2
            K += (d1.reshape(k * n, -1) @ d2.reshape(k * n2, -1).T) * np.tile(
                inputs, (k, k)
            )
        out: Array = K.reshape(k, n, k, n2).transpose(1, 3, 0, 2)
        return out[:, :, 0, 0] if k == 1 else out

    def _factors(self, x: Array, theta: Params) -> list[tuple[Array, Array]]:
        r"""For each layer, its inputs :math:`y_l` (N, n_{l-1}) and the errors
        :math:`\delta_l^p` (k, N, n_l) of the k unit output cotangents."""
        fwd = self.net.forward(x, self.scaling(theta))
        k = self.widths[-1]
        units = np.broadcast_to(np.eye(k)[:, None, :], (k, len(x), k))
        errors = self.net.backpropagate(fwd, units)
        factors = []
        for (W, b), lin, y, e in zip(
            self.net.param_shapes, fwd.lins, fwd.states[:-1], errors, strict=True
        ):
            # Psi'(z) = grad f(y)·(0, 1): the bias derivative of the dense layer
            slope = lin.grad(DenseParams(np.broadcast_to(0.0, W), np.ones(b)))
            factors.append((y, slope * e))
        return factors


# -- the infinite-width limit ----------------------------------------------------------


def _pair(x: object, x2: object, who: str) -> tuple[Array, Array]:
    x = validation.batch("x", x, None, who)
    if x.ndim != 2:
        raise ValueError(f"{who} expected x of shape (N, d), got shape {x.shape}")
    if x2 is None:
        return x, x
    x2 = validation.batch("x2", x2, (x.shape[1],), who, leading=1)
    return x, x2


def _augment(x: Array, beta: float) -> Array:
    r""":math:`\tilde x = (x/\sqrt d, \beta)`."""
    return np.concatenate([x / np.sqrt(x.shape[1]), np.full((len(x), 1), beta)], axis=1)


def arccos_kernel(x: Array, x2: Array | None = None, order: int = 1) -> Array:
    r"""The arc-cosine kernel of order 0 or 1 of :cite:t:`cho2009kernel`.

    .. math::
        k_n(x, x') = \tfrac1\pi\lVert x\rVert^n\lVert x'\rVert^n J_n(\phi),\quad
        J_0(\phi) = \pi - \phi,\quad J_1(\phi) = \sin\phi + (\pi - \phi)\cos\phi,

    with :math:`\phi` the angle between :math:`x` and :math:`x'`. It equals
    :math:`2\,\mathbb E_w[\mathbf 1(w^Tx>0)\mathbf 1(w^Tx'>0)(w^Tx)^n(w^Tx')^n]` for
    :math:`w\sim N(0, I)`; where :math:`x` or :math:`x'` is zero the expectation is
    0, and so is the value returned.

    Parameters
    ----------
    x : array of shape (N, d)
    x2 : array of shape (N', d), optional
        ``x`` by default.
    order : int
        0 or 1.

    Returns
    -------
    array of shape (N, N')
    """
    x, x2 = _pair(x, x2, "arccos_kernel")
    order = validation.positive_int("order", order, 0, "arccos_kernel")
    if order > 1:
        raise ValueError(f"arccos_kernel expected order 0 or 1, got {order}")
    n1, n2 = np.linalg.norm(x, axis=1), np.linalg.norm(x2, axis=1)
    scale = np.outer(n1, n2)
    safe = np.where(scale > 0, scale, 1.0)
    cos = np.clip(x @ x2.T / safe, -1.0, 1.0)
    phi = np.arccos(cos)
    J = np.pi - phi if order == 0 else np.sin(phi) + (np.pi - phi) * cos
    k = (scale if order == 1 else 1.0) * J / np.pi
    out: Array = np.where(scale > 0, k, 0.0)
    return out


@implements("Proposition F.4.2")
def relu_ntk_limit(x: Array, x2: Array | None = None, beta: float = 1.0) -> Array:
    r"""The infinite-width NTK of a one-hidden-layer ReLU network in the NTK
    parametrisation (the book's own Proposition F.4.2, not the thesis's).

    For :math:`F(x) = \tfrac1{\sqrt m}v^T\operatorname{relu}(\tfrac1{\sqrt d}Wx + \beta
    b) + \beta c` (:class:`NTKNetwork` with widths ``(d, m, 1)``) and
    :math:`\tilde x = (x/\sqrt d, \beta)`,

    .. math::
        \Theta_\infty(x, x') = \tfrac12 k_1(\tilde x, \tilde x')
        + \tfrac12\langle\tilde x, \tilde x'\rangle\,k_0(\tilde x, \tilde x') + \beta^2,

    with the arc-cosine kernels :math:`k_0, k_1` (:func:`arccos_kernel`). The first and
    last terms come from the output layer (the NNGP kernel), the middle one from the
    hidden layer.

    Parameters
    ----------
    x : array of shape (N, d)
    x2 : array of shape (N', d), optional
    beta : float
        :math:`\beta\ge 0`.

    Returns
    -------
    array of shape (N, N')
    """
    x, x2 = _pair(x, x2, "relu_ntk_limit")
    beta = validation.nonnegative("beta", beta, "relu_ntk_limit")
    a, a2 = _augment(x, beta), _augment(x2, beta)
    out: Array = (
        0.5 * arccos_kernel(a, a2, 1)
        + 0.5 * (a @ a2.T) * arccos_kernel(a, a2, 0)
        + beta**2
    )
    return out


@implements("Corollary F.4.3")
def monte_carlo_ntk(
    x: Array,
    x2: Array | None = None,
    beta: float = 1.0,
    *,
    samples: int,
    rng: np.random.Generator | int,
) -> tuple[Array, Array]:
    r"""The NTK of a one-hidden-layer ReLU network as an average over random hidden
    units, with its standard error (the book's own Corollary F.4.3, not the thesis's).

    Each of ``samples`` units draws :math:`\tilde w = (w, b)\sim N(0, I_{d+1})` and
    :math:`v\sim N(0, 1)` and contributes, with :math:`z = \tilde w^T\tilde x`,

    .. math::
        \tau(x, x') = \operatorname{relu}(z)\operatorname{relu}(z')
        + v^2\,\mathbf 1(z>0)\mathbf 1(z'>0)\,\langle\tilde x, \tilde x'\rangle .

    The empirical kernel of width :math:`m` is :math:`\beta^2 + \frac1m\sum_i\tau_i`,
    so this average *is* a width-``samples`` kernel: unbiased for
    :math:`\Theta_\infty`, with variance :math:`\sigma^2(x, x')/m`.

    Parameters
    ----------
    x : array of shape (N, d)
    x2 : array of shape (N', d), optional
    beta : float
    samples : int
        :math:`m\ge 2`, the number of units averaged.
    rng : numpy.random.Generator or int

    Returns
    -------
    mean : array of shape (N, N')
        :math:`\beta^2 + \frac1m\sum_i\tau_i`.
    stderr : array of shape (N, N')
        :math:`\hat\sigma/\sqrt m`, with :math:`\hat\sigma^2` the sample variance of the
        :math:`\tau_i`, computed from sums of products (no (N, N', m) array).
    """
    who = "monte_carlo_ntk"
    x, x2 = _pair(x, x2, who)
    beta = validation.nonnegative("beta", beta, who)
    m = validation.positive_int("samples", samples, 2, who)
    rng = validation.generator(rng, who)
    a, a2 = _augment(x, beta), _augment(x2, beta)
    w = rng.standard_normal((m, a.shape[1]))
    v2 = rng.standard_normal(m) ** 2
    z, z2 = a @ w.T, a2 @ w.T  # (N, m), (N', m)
    r, r2 = np.maximum(z, 0.0), np.maximum(z2, 0.0)
    s, s2 = (z > 0) * np.sqrt(v2), (z2 > 0) * np.sqrt(v2)
    g = a @ a2.T
    first = (r @ r2.T + g * (s @ s2.T)) / m  # the mean of tau
    second = (
        (r**2) @ (r2**2).T
        + 2.0 * g * ((r * s) @ (r2 * s2).T)
        + g**2 * ((s**2) @ (s2**2).T)
    ) / m  # the mean of tau^2
    variance = np.maximum(second - first**2, 0.0) * m / (m - 1)
    return first + beta**2, np.sqrt(variance / m)


# -- training ------------------------------------------------------------------------


class KernelMovement(NamedTuple):
    """What :func:`kernel_movement` returns."""

    theta: Params
    """The parameters after training."""
    movement: float
    r""":math:`\lVert\Theta_T - \Theta_0\rVert_F / \lVert\Theta_0\rVert_F` on the
    training inputs."""
    history: Array
    """The mean loss before training and after each step."""


def kernel_movement(
    model: NTKNetwork,
    theta: Params,
    x: Array,
    y: Array,
    *,
    lr: float,
    steps: int,
    loss: Loss = squared,
) -> KernelMovement:
    r"""Train by full-batch gradient descent on the mean loss and measure how far the
    empirical NTK moves.

    :math:`\theta^{t+1} = \theta^t - \eta\,\nabla_\theta\tfrac1N\sum_j J(x_j, y_j;
    \theta^t)` for ``steps`` steps (:func:`adjnets.training.optim.fit` with
    :class:`~adjnets.training.optim.GradientDescent`), then the relative change
    :math:`\lVert\Theta_{\theta^T} - \Theta_{\theta^0}\rVert_F /
    \lVert\Theta_{\theta^0}\rVert_F` of the kernel on ``x`` (Proposition F.4.1). In the
    NTK parametrisation it shrinks like :math:`m^{-1/2}` with the width
    :cite:`jacot2018neural,lee2019wide`.

    Raises
    ------
    TypeError
        If ``model`` is not an :class:`NTKNetwork`.
    ValueError
        For a non-positive ``lr``, ``steps`` below 1, or data of the wrong shapes.
    """
    who = "kernel_movement"
    validation.instance("model", model, NTKNetwork, who)
    lr = validation.positive("lr", lr, who)
    steps = validation.positive_int("steps", steps, 1, who)
    x = model._x("x", x, who)
    y = validation.batch("y", y, (model.widths[-1],), who, leading=1)
    if len(y) != len(x):
        raise ValueError(
            f"{who} expected y of {len(x)} points like x, got {len(y)} points"
        )
    theta = model._theta(theta, who)
    K0 = model.kernel(x, theta)

    def loss_and_gradient(xb: Array, yb: Array, th: Tree) -> tuple[float, Tree]:
        return model.loss_and_gradient(xb, yb, th, loss)

    trained, history = fit(
        GradientDescent(lr),
        loss_and_gradient,
        theta,
        x,
        y,
        epochs=steps,
        batch_size=len(x),
    )
    change = norm(model.kernel(x, trained) - K0) / norm(K0)
    return KernelMovement(tuple(trained), float(change), history)
