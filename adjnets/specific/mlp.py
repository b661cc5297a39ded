r"""The multilayer perceptron of thesis section 4.1, with a fused, fast gradient.

An MLP is the network of chapter 3 whose layers are all dense,
:math:`f_i(x_i; W_i, b_i) = \Psi_i(W_i x_i + b_i)` (equation 4.1), so
:class:`MLP.network` is an :class:`adjnets.networks.network.Network` of
:class:`adjnets.networks.layers.Dense` layers and every generic algorithm applies to it.
:meth:`MLP.loss_and_gradient` computes the same gradient without the generic machinery,
straight from Theorems 4.1.4 and 4.1.5: one matrix product per layer forward and two
backward, which is what a fast implementation needs. The tests check it against the
generic network and against JAX.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

import numpy as np

from adjnets import validation
from adjnets.calculus.elementwise import Elementwise, identity, relu, sigmoid, tanh
from adjnets.calculus.losses import Loss
from adjnets.calculus.spaces import Array, inner, tree_map
from adjnets.networks.layers import Dense, DenseParams
from adjnets.networks.network import Network
from adjnets.pages.thesis import implements

Params = tuple[DenseParams, ...]


@implements("Remark 4.1.1")
def table_4_1() -> dict[str, Elementwise]:
    r"""The common nonlinearities of the thesis's Table 4.1, with their derivatives.

    ``tanh`` (:math:`\psi' = 1-\tanh^2`, which the thesis writes as
    :math:`4\cosh^2 x/(\cosh 2x + 1)^2`), the sigmoid (:math:`\psi' = \psi(1-\psi)`) and
    the ReLU (:math:`\psi' = H`, the Heaviside step, with :math:`H(0) = 0` here).
    Softplus and the leaky ReLU are in :mod:`adjnets.calculus.elementwise` too.
    """
    return {"tanh": tanh, "sigmoid": sigmoid, "ReLU": relu}


@dataclass(frozen=True)
class MLP:
    r"""A multilayer perceptron: a network of dense layers (thesis section 4.1).

    It maps :math:`\mathbb R^{n_1}\to\mathbb R^{n_{L+1}}`, and computes its loss
    gradient with one matrix product per layer forward and two backward.

    Parameters
    ----------
    sizes : tuple of int
        :math:`(n_1, \dots, n_{L+1})`, the widths from input to output.
    activation : Elementwise
        :math:`\Psi_i` of the hidden layers :math:`i < L`.
    output : Elementwise
        :math:`\Psi_L`; the identity for regression and for classification (where the
        loss applies the softmax).

    Raises
    ------
    ValueError
        For fewer than two sizes or a size below 1; the methods refuse inputs, targets
        and parameters of the wrong shapes, non-finite entries and step sizes out of
        range.
    TypeError
        For a size that is not an integer or an activation that is not Elementwise.

    Examples
    --------
    A classifier :math:`\mathbb R^4\to\mathbb R^3`; the fused gradient of
    :meth:`loss_and_gradient` equals that of the generic network:

    >>> import numpy as np
    >>> from adjnets import MLP, cross_entropy, norm, one_hot, tree_map
    >>> mlp = MLP((4, 8, 3))  # R^4 -> R^8 (tanh) -> R^3
    >>> rng = np.random.default_rng(0)
    >>> theta = mlp.init(rng)  # one DenseParams(W, b) per layer
    >>> x, y = rng.standard_normal((5, 4)), one_hot(np.array([0, 1, 2, 1, 0]), 3)
    >>> mlp(x, theta).shape, [W.shape for W, b in theta]
    ((5, 3), [(8, 4), (3, 8)])
    >>> value, grad = mlp.loss_and_gradient(x, y, theta, cross_entropy)
    >>> _, generic = mlp.network.loss_and_gradient(x, y, theta, cross_entropy)
    >>> print(norm(tree_map(np.subtract, grad, generic)) <= 1e-12 * norm(grad))
    True
    """

    sizes: tuple[int, ...]
    activation: Elementwise = tanh
    output: Elementwise = identity

    def __post_init__(self) -> None:
        if not isinstance(self.sizes, tuple | list):
            raise TypeError(
                f"MLP expected sizes as a tuple of integers, got {self.sizes!r}"[:200]
            )
        if len(self.sizes) < 2:
            raise ValueError(
                f"MLP expected at least two positive integer sizes, got {self.sizes}"
            )
        sizes = tuple(
            validation.positive_int("sizes", n, who="MLP") for n in self.sizes
        )
        object.__setattr__(self, "sizes", sizes)
        for name in ("activation", "output"):
            if not isinstance(getattr(self, name), Elementwise):
                raise TypeError(
                    f"MLP expected {name} to be an Elementwise, got "
                    f"{type(getattr(self, name)).__name__}"
                )

    @functools.cached_property
    def param_shapes(self) -> tuple[Any, ...]:
        r"""The shapes of :math:`((W_1, b_1), \dots, (W_L, b_L))`."""
        return tuple(
            DenseParams((m, n), (m,))  # type: ignore[arg-type]
            for n, m in zip(self.sizes[:-1], self.sizes[1:], strict=True)
        )

    @property
    def L(self) -> int:
        """The number of layers :math:`L`."""
        return len(self.sizes) - 1

    @property
    def layers(self) -> tuple[Dense, ...]:
        r"""The dense layers :math:`f_1, \dots, f_L`, with ``activation`` in the hidden
        ones and ``output`` in the last."""
        acts = [self.activation] * (self.L - 1) + [self.output]
        return tuple(
            Dense(n, m, a)
            for n, m, a in zip(self.sizes[:-1], self.sizes[1:], acts, strict=True)
        )

    @property
    def network(self) -> Network:
        """The same MLP as a generic network of chapter 3."""
        return Network(self.layers)

    def init(self, rng: np.random.Generator) -> Params:
        r"""Weights :math:`N(0, g^2/n_i)` (:math:`g = \sqrt2` for the ReLU, else 1),
        zero biases."""
        return tuple(
            layer.init(rng, gain=np.sqrt(2.0) if layer.activation is relu else 1.0)
            for layer in self.layers
        )

    def __call__(self, x: Array, theta: Params) -> Array:
        y: Array = self.network(x, theta)
        return y

    def forward(self, x: Array, theta: Params) -> tuple[list[Array], list[Array]]:
        r"""States :math:`x_1,\dots,x_{L+1}` and pre-activations
        :math:`z_i = W_ix_i + b_i`; :math:`x_1` is a copy of ``x``, a batch
        ``(N, n_1)``."""
        x, theta = self._check(x, theta, "MLP.forward")
        return self._forward(x, theta)

    def _forward(self, x: Array, theta: Params) -> tuple[list[Array], list[Array]]:
        states, pre = [np.array(x, dtype=float)], []
        for (W, b), layer in zip(theta, self.layers, strict=True):
            z = states[-1] @ W.T
            z += b
            pre.append(z)
            states.append(layer.activation.psi(z))
        return states, pre

    @implements("Theorem 4.1.4")
    def backpropagate(
        self,
        pre: list[Array],
        theta: Params,
        e: Array,
        states: list[Array] | None = None,
    ) -> list[Array]:
        r"""The scaled errors
        :math:`\delta_i = \Psi_i'(z_i)\odot D^*\omega_{i+1}(x_{i+1})\cdot e` (Theorem
        4.1.4).

        The recursion (4.8) reads :math:`D^*\omega_i(x_i)\cdot e = W_i^T\delta_i`, so
        :math:`\delta_L = \Psi_L'(z_L)\odot e` and
        :math:`\delta_{i-1} = \Psi_{i-1}'(z_{i-1})\odot W_i^T\delta_i`. Returns
        :math:`[\delta_1, \dots, \delta_L]`. With the ``states`` of :meth:`forward`,
        :math:`x_{i+1} = \Psi_i(z_i)`, tanh and the sigmoid take :math:`\Psi_i'` from
        them.

        ``e`` has the shape of ``pre[-1]``; ``pre`` (and ``states``) are those of
        :meth:`forward`.
        """
        who = "MLP.backpropagate"
        theta = validation.tree_like("theta", theta, self.param_shapes, who)
        if not isinstance(pre, list) or len(pre) != self.L:
            raise TypeError(
                f"{who} expected pre as a list of {self.L} arrays (from MLP.forward), "
                f"got {type(pre).__name__}"
            )
        e = validation.batch("e", e, np.shape(pre[-1]), who, leading=0)
        return self._backpropagate(pre, theta, e, states)

    def _backpropagate(
        self,
        pre: list[Array],
        theta: Params,
        e: Array,
        states: list[Array] | None = None,
    ) -> list[Array]:
        layers = self.layers
        # Psi_i(z_i), if at hand
        values = [None] * self.L if states is None else states[1:]
        deltas = [layers[-1].activation.derivative(pre[-1], values[-1]) * e]
        # thesis layer i+1 = L, ..., 2 sends delta_{i+1} to delta_i
        for i in range(self.L - 1, 0, -1):
            back = deltas[-1] @ theta[i].W
            back *= layers[i - 1].activation.derivative(pre[i - 1], values[i - 1])
            deltas.append(back)
        return deltas[::-1]

    @implements("Theorem 4.1.5")
    def loss_and_gradient(
        self, x: Array, y: Array, theta: Params, loss: Loss, weight_decay: float = 0.0
    ) -> tuple[float, Params]:
        r"""The loss of a batch and its gradients (Theorem 4.1.5).

        .. math::
            \nabla_{W_i}J = \delta_i\,x_i^T, \qquad \nabla_{b_i}J = \delta_i,
            \qquad \delta_i = \Psi'_i(z_i)\odot D^*\omega_{i+1}(x_{i+1})\cdot e,

        with :math:`e = F - y` (squared loss) or :math:`\sigma(F) - y` (cross-entropy),
        equation (4.11); for a batch, :math:`\delta_i x_i^T` sums over the batch
        (one matrix product), as does :math:`\nabla_{b_i}J`.

        Raises
        ------
        ValueError
            For a batch ``x`` not of shape ``(N, n_1)``, targets not of the output's
            shape, parameters of other shapes, a non-finite entry, or a negative
            ``weight_decay``.
        TypeError
            If ``loss`` is not a Loss, or for arrays that are not real numbers.
        """
        who = "MLP.loss_and_gradient"
        x, theta = self._check(x, theta, who)
        y = validation.as_float_array("targets y", y, who)
        if not isinstance(loss, Loss):
            raise TypeError(
                f"{who} expected loss to be a Loss, got {type(loss).__name__}"
            )
        weight_decay = validation.nonnegative("weight_decay", weight_decay, who)
        states, pre = self._forward(x, theta)
        loss.check(states[-1], y)
        deltas = self._backpropagate(pre, theta, loss._error(states[-1], y), states)
        grads = tuple(
            DenseParams(d.T @ xi, d.sum(axis=0))
            for d, xi in zip(deltas, states[:-1], strict=True)
        )
        value = loss._value(states[-1], y)
        if weight_decay:
            value += 0.5 * weight_decay * inner(theta, theta)
            grads = tree_map(lambda g, th: g + weight_decay * th, grads, theta)
        return value, grads

    @implements("Algorithm 4.1.1")
    def gradient_step(
        self,
        x: Array,
        y: Array,
        theta: Params,
        eta: float,
        loss: Loss,
        weight_decay: float = 0.0,
    ) -> tuple[Params, float]:
        r"""One gradient-descent step for the MLP (Algorithm 4.1.1); returns new
        parameters and old loss.

        Raises
        ------
        ValueError
            Unless ``eta`` is a finite number > 0; otherwise as
            :meth:`loss_and_gradient`.
        """
        eta = validation.positive("eta", eta, "MLP.gradient_step")
        value, grads = self.loss_and_gradient(x, y, theta, loss, weight_decay)
        return tree_map(lambda th, g: th - eta * g, theta, grads), value

    def _check(self, x: Array, theta: Params, who: str) -> tuple[Array, Params]:
        """A batch ``(N, n_1)`` and parameters of the MLP's shapes, finite."""
        checked = validation.tree_like("theta", theta, self.param_shapes, who)
        theta = tuple(DenseParams(*t) for t in checked)
        return validation.batch("x", x, (self.sizes[0],), who, leading=1), theta
