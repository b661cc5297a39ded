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

from dataclasses import dataclass

import numpy as np

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
        if len(self.sizes) < 2 or any(int(n) != n or n < 1 for n in self.sizes):
            raise ValueError(
                f"MLP expected at least two positive integer sizes, got {self.sizes}"
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
        :math:`z_i = W_ix_i + b_i`; :math:`x_1` is a copy of ``x``."""
        self._check(x, theta)
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
        """
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
        """
        states, pre = self.forward(x, theta)
        loss.check(states[-1], y)
        deltas = self.backpropagate(pre, theta, loss.error(states[-1], y), states)
        grads = tuple(
            DenseParams(d.T @ xi, d.sum(axis=0))
            for d, xi in zip(deltas, states[:-1], strict=True)
        )
        value = loss.value(states[-1], y)
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
        parameters and old loss."""
        value, grads = self.loss_and_gradient(x, y, theta, loss, weight_decay)
        return tree_map(lambda th, g: th - eta * g, theta, grads), value

    def _check(self, x: Array, theta: Params) -> None:
        if len(theta) != self.L:
            raise ValueError(
                f"MLP expected {self.L} layer parameters, got {len(theta)}"
            )
        for i, ((W, b), n, m) in enumerate(
            zip(theta, self.sizes[:-1], self.sizes[1:], strict=True), 1
        ):
            if np.shape(W) != (m, n) or np.shape(b) != (m,):
                raise ValueError(
                    f"MLP layer {i} expected W of shape {(m, n)} and b of shape "
                    f"{(m,)}, "
                    f"got {np.shape(W)} and {np.shape(b)}"
                )
        if np.ndim(x) != 2 or np.shape(x)[1] != self.sizes[0]:
            raise ValueError(
                f"MLP expected a batch of shape (N, {self.sizes[0]}), got {np.shape(x)}"
            )
