r"""The generic network of thesis chapter 3: a composition of parameter-dependent maps.

:math:`F(x;\theta) = (f_L\circ\dots\circ f_1)(x)` with
:math:`f_i: E_i\times H_i\to E_{i+1}`; the head maps
:math:`\alpha_i = f_i\circ\dots\circ f_1` (:math:`\alpha_0 = \mathrm{id}`), the tail
maps :math:`\omega_i = f_L\circ\dots\circ f_i` (:math:`\omega_{L+1} = \mathrm{id}`), and
the states :math:`x_i = \alpha_{i-1}(x)`, so that :math:`x_1 = x` and
:math:`x_{L+1} = F(x;\theta)`.

In code, layers and parameters are Python sequences indexed from 0: ``layers[i - 1]`` is
the thesis's :math:`f_i`, ``states[i - 1]`` is :math:`x_i`. Each function's docstring
gives the thesis result it implements. A batch is a leading axis of :math:`x`, and the
loss of a batch is the sum of its points' losses, so every gradient here is that sum's
gradient.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeAlias

import numpy as np

from adjnets import validation
from adjnets.calculus.linear import BilinearMap, LinearMap
from adjnets.calculus.losses import Loss
from adjnets.calculus.maps import _unvalidated
from adjnets.calculus.spaces import Tree, inner, tree_map
from adjnets.networks.layers import Layer, Linearization
from adjnets.pages.thesis import implements

Params: TypeAlias = tuple[Tree, ...]
r"""The parameter :math:`(\theta_1, \dots, \theta_L)` of a network: one tree per
layer."""


@dataclass(frozen=True)
class Forward:
    r"""The result of forward propagation: the states and each layer's linearization.

    Attributes
    ----------
    states : list
        :math:`x_1, \dots, x_{L+1}`; ``states[-1]`` is :math:`F(x;\theta)`. Each is a
        fresh array: :meth:`Network.forward` stores a copy of the input as
        :math:`x_1`, not the caller's array.
    lins : list of Linearization
        ``lins[i - 1]`` holds :math:`f_i` and its derivatives at :math:`x_i`.
    """

    states: list[Tree]
    lins: list[Linearization]

    @property
    def output(self) -> Tree:
        r"""The network's output :math:`F(x;\theta) = x_{L+1}`, that is
        ``states[-1]``."""
        return self.states[-1]


@dataclass(frozen=True)
class TangentForward:
    r"""Forward propagation of the network and of a tangent :math:`v` (Lemma 3.3.2).

    ``tangents[i - 1]`` is :math:`v_i = D\alpha_{i-1}(x)\cdot v`, so ``tangents[-1]`` is
    :math:`DF(x;\theta)\cdot v`.
    """

    forward: Forward
    tangents: list[Tree]


@dataclass(frozen=True)
class Network:
    r"""A network: a composition of parameter-dependent layers (thesis section 3.1).

    :math:`F = f_L\circ\dots\circ f_1`, with forward and back-propagation, the loss
    gradient and the higher-order (tangent) loss of chapter 3.

    Every method checks its arguments where they come in
    (:mod:`adjnets.validation`): the inputs :math:`x` against ``input_shape`` (any
    leading batch axes), :math:`\theta` against the layers' parameter shapes, targets
    against the output, tangents against :math:`x`, step sizes and weights for their
    range, and every array for non-finite entries; a ValueError or TypeError says
    which argument is wrong.

    Parameters
    ----------
    layers : sequence of Layer
        :math:`f_1, \dots, f_L`, in order. The parameter of the network is the tuple
        :math:`\theta = (\theta_1, \dots, \theta_L)`, a point of
        :math:`H_1\times\dots\times H_L`.
    input_shape : tuple of int, optional
        The shape of one input point; by default the first layer's
        (:attr:`~adjnets.calculus.maps.Layer.input_shape`, ``None`` for any shape).

    Raises
    ------
    ValueError
        For no layers or a negative size in ``input_shape``.
    TypeError
        For a layer that is not a :class:`~adjnets.calculus.maps.Layer`.

    Examples
    --------
    A two-layer network, its loss and its gradient by back-propagation (Theorems
    3.2.2 and 3.2.5), checked against a central difference of the loss:

    >>> import numpy as np
    >>> from adjnets import Dense, Network, assert_gradient, squared, tanh
    >>> net = Network([Dense(2, 4, tanh), Dense(4, 1)])  # F = f_2 ∘ f_1
    >>> rng = np.random.default_rng(0)
    >>> theta = net.init(rng)  # (θ_1, θ_2)
    >>> x, y = rng.standard_normal((10, 2)), rng.standard_normal((10, 1))
    >>> net(x, theta).shape
    (10, 1)
    >>> def J(t):
    ...     return net.loss_and_gradient(x, y, t, squared)[0]
    >>> value, grad = net.loss_and_gradient(x, y, theta, squared)
    >>> print(assert_gradient(J, grad, theta, rng) < 1e-7)
    True
    """

    layers: tuple[Layer, ...]
    input_shape: tuple[int, ...] | None

    def __init__(
        self, layers: Sequence[Layer], input_shape: Sequence[int] | None = None
    ):
        if not isinstance(layers, Sequence):
            raise TypeError(
                f"Network expected layers as a sequence of Layer, got {layers!r}"[:200]
            )
        if not layers:
            raise ValueError("Network expected at least one layer, got none")
        for i, layer in enumerate(layers, 1):
            if not isinstance(layer, Layer):
                raise TypeError(
                    f"Network expected layer {i} to be a Layer, got "
                    f"{type(layer).__name__}"
                )
        if input_shape is None:
            shape = layers[0].input_shape
        else:
            if not isinstance(input_shape, Sequence):
                raise TypeError(
                    "Network expected input_shape as a tuple of integers, got "
                    f"{input_shape!r}"
                )
            shape = tuple(
                validation.positive_int("input_shape", n, 0, "Network")
                for n in input_shape
            )
        object.__setattr__(self, "layers", tuple(layers))
        object.__setattr__(self, "input_shape", shape)

    @functools.cached_property
    def param_shapes(self) -> tuple[Any, ...]:
        r"""The shapes of :math:`(\theta_1, \dots, \theta_L)`, layer by layer."""
        return tuple(layer.param_shapes for layer in self.layers)

    def _x(self, x: Tree, who: str) -> Tree:
        return validation.batch("x", x, self.input_shape, f"Network.{who}")

    def _theta(self, theta: Params, who: str) -> Params:
        checked: Params = validation.tree_like(
            "theta", theta, self.param_shapes, f"Network.{who}"
        )
        return checked

    @property
    def L(self) -> int:
        """The number of layers."""
        return len(self.layers)

    def init(self, rng: np.random.Generator) -> Params:
        """Random initial parameters :math:`(\\theta_1, \\dots, \\theta_L)`."""
        return tuple(layer.init(rng) for layer in self.layers)

    # -- maps --------------------------------------------------------------------------

    def __call__(self, x: Tree, theta: Params) -> Tree:
        r""":math:`F(x;\theta)` (equation 3.1)."""
        return self._call(self._x(x, "__call__"), self._theta(theta, "__call__"))

    def _call(self, x: Tree, theta: Params) -> Tree:
        for layer, th in zip(self.layers, theta, strict=True):
            x = layer(x, th)
        return x

    def head(self, i: int, theta: Params) -> Callable[[Tree], Tree]:
        r"""The head map :math:`\alpha_i = f_i\circ\dots\circ f_1` (equation 3.2);
        ``i = 0`` is the identity (returning a copy of its argument).

        Raises
        ------
        ValueError
            Unless :math:`0\le i\le L`, or for parameters of the wrong shapes.
        """
        i = _index(i, 0, self.L, "Network.head")
        theta = self._theta(theta, "head")
        if i == 0:
            return _copy
        first = Network(self.layers[:i], self.input_shape)
        th = theta[:i]
        return lambda x: first._call(first._x(x, "head"), th)

    def tail(self, i: int, theta: Params) -> Callable[[Tree], Tree]:
        r"""The tail map :math:`\omega_i = f_L\circ\dots\circ f_i` (equation 3.3);
        ``i = L + 1`` is the identity (returning a copy of its argument).

        Raises
        ------
        ValueError
            Unless :math:`1\le i\le L+1`, or for parameters of the wrong shapes.
        """
        i = _index(i, 1, self.L + 1, "Network.tail")
        theta = self._theta(theta, "tail")
        if i == self.L + 1:
            return _copy
        rest, th = Network(self.layers[i - 1 :]), theta[i - 1 :]
        return lambda x: rest._call(rest._x(x, "tail"), th)

    # -- forward and backward propagation ----------------------------------------------

    def forward(self, x: Tree, theta: Params) -> Forward:
        r"""Forward propagation :math:`x_{i+1} = f_i(x_i)`, keeping each layer's
        linearization.

        The first state :math:`x_1` is a copy of ``x``, so that no state is the caller's
        array (one pass over the input, cheap next to the first layer's own work).
        """
        return self._forward(self._x(x, "forward"), self._theta(theta, "forward"))

    def _forward(self, x: Tree, theta: Params) -> Forward:
        states, lins = [_copy(x)], []
        for layer, th in zip(self.layers, theta, strict=True):
            # x and theta were validated once, above: the layers are not asked again,
            # but the maps of their linearizations still check what they are given
            x_i = states[-1]
            lin = _unvalidated(layer, "linearize")(x_i, th).checked(
                x_i, th, layer._who()
            )
            lins.append(lin)
            states.append(lin.output)
        return Forward(states, lins)

    @implements("Theorem 3.2.5")
    def backpropagate(self, fwd: Forward, e: Tree) -> list[Tree]:
        r"""Back-propagation of an output cotangent :math:`e` (Theorem 3.2.5).

        Returns ``errors`` with ``errors[i - 1]``
        :math:`= e_i = D^*\omega_{i+1}(x_{i+1})\cdot e`, computed by the recursion
        :math:`D^*\omega_i(x_i) = D^*f_i(x_i)\cdot D^*\omega_{i+1}(x_{i+1})`:
        :math:`e_L = e` and :math:`e_{i-1} = D^*f_i(x_i)\cdot e_i`; :math:`e_L` is a
        copy of ``e``.

        ``e`` has the shape of the output :math:`F(x;\theta)`, after any leading axes
        (tangent directions).
        """
        return self._backpropagate(fwd, _cotangent("e", e, fwd, "backpropagate"))

    def _backpropagate(self, fwd: Forward, e: Tree) -> list[Tree]:
        errors = [_copy(e)]
        for lin in reversed(fwd.lins[1:]):
            errors.append(lin.D.adj(errors[-1]))
        return errors[::-1]

    def input_cotangent(self, fwd: Forward, e: Tree) -> Tree:
        r""":math:`D^*F(x;\theta)\cdot e = D^*\omega_1(x_1)\cdot e`."""
        e = _cotangent("e", e, fwd, "input_cotangent")
        return fwd.lins[0].D.adj(self._backpropagate(fwd, e)[0])

    @implements("Lemma 3.2.1")
    def grad_adjoint(self, fwd: Forward, e: Tree) -> Params:
        r""":math:`\bigl(\nabla^*_{\theta_i}F(x;\theta)\cdot e\bigr)_{i=1}^L` (Lemma
        3.2.1).

        :math:`\nabla^*_{\theta_i}F(x;\theta)
        = \nabla^*_{\theta_i} f_i(x_i)\cdot D^*\omega_{i+1}(x_{i+1})`,
        applied to the back-propagated errors :math:`e_i`.
        """
        return self._grad_adjoint(fwd, _cotangent("e", e, fwd, "grad_adjoint"))

    def _grad_adjoint(self, fwd: Forward, e: Tree) -> Params:
        errors = self._backpropagate(fwd, e)
        return tuple(
            lin.grad.adj(err) for lin, err in zip(fwd.lins, errors, strict=True)
        )

    # -- losses and one step of gradient descent ---------------------------------------

    @implements("Theorem 3.2.2", "Remark 3.2.3", "Theorem 3.2.4", "Remark 3.2.6")
    def loss_and_gradient(
        self, x: Tree, y: Tree, theta: Params, loss: Loss, weight_decay: float = 0.0
    ) -> tuple[float, Params]:
        r"""The loss of a batch and its gradient in every :math:`\theta_i` (Theorems
        3.2.2, 3.2.4).

        :math:`\nabla_{\theta_i}J
        = \nabla^*_{\theta_i}f_i(x_i)\cdot D^*\omega_{i+1}(x_{i+1})\cdot e_L`
        with :math:`e_L = \hat y_R - y` (squared loss) or :math:`\hat y_C - y`
        (cross-entropy), each an element of :math:`H_i` by the canonical isomorphism
        (Remark 3.2.3). With ``weight_decay`` :math:`\lambda>0` the objective gains
        :math:`\tfrac\lambda2\lVert\theta\rVert^2` and each gradient
        :math:`\lambda\theta_i` (Remark 3.2.6).

        Raises
        ------
        ValueError
            For inputs, targets or parameters of the wrong shapes or with non-finite
            entries, or a negative ``weight_decay``.
        TypeError
            If ``loss`` is not a :class:`~adjnets.calculus.losses.Loss`, or for
            arrays that are not real numbers.
        """
        who = "Network.loss_and_gradient"
        x, theta = self._x(x, "loss_and_gradient"), self._theta(theta, who[8:])
        weight_decay = validation.nonnegative("weight_decay", weight_decay, who)
        return self._loss_and_gradient(
            x, _targets(y, who), theta, _loss(loss, who), weight_decay
        )

    def _loss_and_gradient(
        self, x: Tree, y: Tree, theta: Params, loss: Loss, weight_decay: float
    ) -> tuple[float, Params]:
        fwd = self._forward(x, theta)
        loss.check(fwd.output, y)
        value = loss._value(fwd.output, y)
        grads = self._grad_adjoint(fwd, loss._error(fwd.output, y))
        return _with_weight_decay(value, grads, theta, weight_decay)

    @implements("Algorithm 3.2.1")
    def gradient_step(
        self,
        x: Tree,
        y: Tree,
        theta: Params,
        eta: float,
        loss: Loss,
        weight_decay: float = 0.0,
    ) -> tuple[Params, float]:
        r"""One step of gradient descent,
        :math:`\theta_i \leftarrow \theta_i - \eta\nabla_{\theta_i}J` (Algorithm 3.2.1).

        All gradients are computed at the old parameters before any is updated (the
        thesis keeps a copy :math:`\tilde\theta_i` for the same purpose). Returns the
        new parameters and the loss at the old ones.

        Raises
        ------
        ValueError
            Unless ``eta`` is a finite number > 0; otherwise as
            :meth:`loss_and_gradient`.
        """
        eta = validation.positive("eta", eta, "Network.gradient_step")
        value, grads = self.loss_and_gradient(x, y, theta, loss, weight_decay)
        return tree_map(lambda th, g: th - eta * g, theta, grads), value

    # -- the higher-order (tangent) loss -----------------------------------------------

    @implements("Lemma 3.3.2")
    def tangent_forward(self, x: Tree, v: Tree, theta: Params) -> TangentForward:
        r"""Forward propagation of the tangent :math:`v_{i+1} = Df_i(x_i)\cdot v_i`
        (Lemma 3.3.2).

        ``v`` may carry one more leading axis than ``x`` (``K`` tangent directions per
        point). :math:`v_1` is a copy of ``v``.

        Raises
        ------
        ValueError
            If ``v`` is not shaped like ``x`` (with at most one more leading axis),
            and as :meth:`forward`.
        """
        x, theta = self._x(x, "tangent_forward"), self._theta(theta, "tangent_forward")
        v = _tangents(v, x, "Network.tangent_forward", exact=False)
        return self._tangent_forward(x, v, theta)

    def _tangent_forward(self, x: Tree, v: Tree, theta: Params) -> TangentForward:
        fwd = self._forward(x, theta)
        tangents = [_copy(v)]
        for lin in fwd.lins:
            tangents.append(lin.D(tangents[-1]))
        return TangentForward(fwd, tangents)

    @implements("Theorem 3.3.3")
    def tangent_backpropagate(
        self, tfwd: TangentForward, e: Tree, start: Tree | None = None
    ) -> tuple[list[Tree], list[Tree]]:
        r"""Tangent back-propagation (Theorem 3.3.3).

        With :math:`e^v_i = D^*\omega_{i+1}(x_{i+1})\cdot e` (ordinary back-propagation
        of the tangent error) and
        :math:`e^t_i = ((D\alpha_i(x)\cdot v)\lrcorner D^2\omega_{i+1}(x_{i+1}))^*\cdot
        e`,
        the recursion is :math:`e^t_L = 0` (equation 3.17) and

        .. math::

            e^t_{i-1} = D^*f_i(x_i)\cdot e^t_i
            + (v_i\lrcorner D^2 f_i(x_i))^*\cdot e^v_i .

        Returns the lists :math:`(e^t_i)_{i=1}^L` and :math:`(e^v_i)_{i=1}^L`.

        ``start`` (shaped like ``e``) replaces :math:`e^t_L = 0` by another error at the
        output. The recursion is linear, so with ``start`` :math:`=e^y_L` the list
        returned is :math:`e^t_i + e^y_i`: the errors of ordinary back-propagation
        (Theorem 3.2.5) ride along in the same products, which
        :meth:`tangent_loss_and_gradient` uses. The lists hold copies of ``e`` and
        ``start``, never the arrays passed.

        ``e`` and ``start`` have the shape of the output tangents
        ``tfwd.tangents[-1]``; anything else, or a non-finite entry, is a ValueError.
        """
        who = "tangent_backpropagate"
        e, start = _tangent_errors(tfwd, e, start, who)
        return self._tangent_backpropagate(tfwd, e, start)

    def _tangent_backpropagate(
        self, tfwd: TangentForward, e: Tree, start: Tree | None
    ) -> tuple[list[Tree], list[Tree]]:
        lins, vs = tfwd.forward.lins, tfwd.tangents
        e_v = [_copy(e)]
        e_t = [np.zeros_like(e) if start is None else _copy(start)]
        # thesis layer i = L, ..., 2 sends e_i to e_{i-1}
        for i in range(self.L, 1, -1):
            lin, v_i = lins[i - 1], vs[i - 1]
            e_t.append(lin.D.adj(e_t[-1]) + lin.D2.left_hook(v_i).adj(e_v[-1]))
            e_v.append(lin.D.adj(e_v[-1]))
        return e_t[::-1], e_v[::-1]

    @implements("Theorem 3.3.4")
    def tangent_grad_adjoint(
        self, tfwd: TangentForward, e: Tree, start: Tree | None = None
    ) -> Params:
        r""":math:`\bigl((\nabla_{\theta_i}DF(x;\theta)\llcorner v)^*\cdot
        e\bigr)_{i=1}^L`
        (Theorem 3.3.4).

        .. math::
            (\nabla_{\theta_i}DF(x;\theta)\llcorner v)^*
            &= \nabla^*_{\theta_i}f_i(x_i)\cdot
            \bigl((D\alpha_i(x)\cdot v)\lrcorner D^2\omega_{i+1}(x_{i+1})\bigr)^* \\
            &\quad + \bigl((D\alpha_{i-1}(x)\cdot v)\lrcorner
            D\nabla_{\theta_i}f_i(x_i)\bigr)^*\cdot D^*\omega_{i+1}(x_{i+1}).

        With ``start`` :math:`= e^y_L` (see :meth:`tangent_backpropagate`) the result
        also contains the ordinary gradient
        :math:`\nabla^*_{\theta_i}f_i(x_i)\cdot e^y_i`.

        ``e`` and ``start`` as in :meth:`tangent_backpropagate`.
        """
        e, start = _tangent_errors(tfwd, e, start, "tangent_grad_adjoint")
        return self._tangent_grad_adjoint(tfwd, e, start)

    def _tangent_grad_adjoint(
        self, tfwd: TangentForward, e: Tree, start: Tree | None
    ) -> Params:
        e_t, e_v = self._tangent_backpropagate(tfwd, e, start)
        return tuple(
            lin.tangent_grad_adjoint(v, et, ev)
            for lin, v, et, ev in zip(
                tfwd.forward.lins, tfwd.tangents[:-1], e_t, e_v, strict=True
            )
        )

    def tangent_penalty(self, x: Tree, v: Tree, beta: Tree, theta: Params) -> float:
        r""":math:`R(x;\theta)
        = \frac1{2K}\sum_k\lVert DF(x;\theta)\cdot v_k - \beta_k\rVert^2`
        (equation 3.14).

        ``v`` and ``beta`` have a leading axis of length :math:`K` in front of the batch
        axis: ``v`` of shape ``(K, *x.shape)``, ``beta`` that of the output tangents,
        ``(K, *F(x).shape)``.

        Raises
        ------
        ValueError
            For ``v`` or ``beta`` of other shapes or with non-finite entries, and as
            :meth:`forward`.
        """
        who = "Network.tangent_penalty"
        x, theta = self._x(x, "tangent_penalty"), self._theta(theta, "tangent_penalty")
        v = _tangents(v, x, who, exact=True)
        beta = validation.as_float_array("beta", beta, who)
        out = self._tangent_forward(x, v, theta).tangents[-1]
        validation.point_shape("beta", beta.shape, out.shape, who, leading=0)
        return 0.5 * float(np.sum((out - beta) ** 2)) / int(v.shape[0])

    @implements("Theorem 3.3.1")
    def tangent_loss_and_gradient(
        self,
        x: Tree,
        y: Tree,
        v: Tree,
        beta: Tree,
        theta: Params,
        mu: float,
        loss: Loss,
        weight_decay: float = 0.0,
    ) -> tuple[float, Params]:
        r""":math:`\mathcal J_H = J + \mu R` and its gradient (equations 3.13, 3.14;
        Theorems 3.3.1, 3.3.4).

        One forward pass carries the states and the :math:`K` tangents (Lemma 3.3.2);
        Algorithm 3.3.1 then runs three backward recursions, for :math:`e^y_i`,
        :math:`e^v_i` and :math:`e^t_i` (Theorems 3.2.5 and 3.3.3), and

        .. math::
            \nabla_{\theta_i}\mathcal J_H = \nabla^*_{\theta_i}f_i(x_i)\cdot e^y_i
            + \mu\bigl(\nabla^*_{\theta_i}f_i(x_i)\cdot e^t_i
            + (v_i\lrcorner D\nabla_{\theta_i}f_i(x_i))^*\cdot e^v_i\bigr).

        The recursions of :math:`e^y_i` and :math:`e^t_i` apply the same maps
        :math:`D^*f_i(x_i)`, so by linearity they are run as one, for
        :math:`e^y_i + \mu e^t_i` (the tangent error scaled by :math:`\mu`, started from
        :math:`e^y_L`): one adjoint per layer fewer, and one
        :math:`\nabla^*_{\theta_i}f_i` for both terms.

        Raises
        ------
        ValueError
            For arguments of the wrong shapes (``v`` and ``beta`` as in
            :meth:`tangent_penalty`) or with non-finite entries, or a negative ``mu``
            or ``weight_decay``.
        TypeError
            If ``loss`` is not a :class:`~adjnets.calculus.losses.Loss`.
        """
        who = "Network.tangent_loss_and_gradient"
        x, theta = self._x(x, who[8:]), self._theta(theta, who[8:])
        v = _tangents(v, x, who, exact=True)
        beta = validation.as_float_array("beta", beta, who)
        y, loss = _targets(y, who), _loss(loss, who)
        mu = validation.nonnegative("mu", mu, who)
        weight_decay = validation.nonnegative("weight_decay", weight_decay, who)
        K = int(v.shape[0])
        tfwd = self._tangent_forward(x, v, theta)
        fwd = tfwd.forward
        loss.check(fwd.output, y)
        validation.point_shape(
            "beta", beta.shape, tfwd.tangents[-1].shape, who, leading=0
        )
        tangent_error = (tfwd.tangents[-1] - beta) / K
        value = loss._value(fwd.output, y) + mu * 0.5 * K * float(
            np.sum(tangent_error**2)
        )
        # e^y_L, spread over the K tangent directions (the adjoints sum over that axis
        # again)
        start = np.broadcast_to(loss._error(fwd.output, y) / K, np.shape(tangent_error))
        grads = self._tangent_grad_adjoint(tfwd, mu * tangent_error, start)
        return _with_weight_decay(value, grads, theta, weight_decay)

    @implements("Algorithm 3.3.1")
    def tangent_step(
        self,
        x: Tree,
        y: Tree,
        v: Tree,
        beta: Tree,
        theta: Params,
        eta: float,
        mu: float,
        loss: Loss,
        weight_decay: float = 0.0,
    ) -> tuple[Params, float]:
        r"""One step of gradient descent on :math:`J + \mu R` (Algorithm 3.3.1).

        Raises
        ------
        ValueError
            Unless ``eta`` is a finite number > 0; otherwise as
            :meth:`tangent_loss_and_gradient`.
        """
        eta = validation.positive("eta", eta, "Network.tangent_step")
        value, grads = self.tangent_loss_and_gradient(
            x, y, v, beta, theta, mu, loss, weight_decay
        )
        return tree_map(lambda th, g: th - eta * g, theta, grads), value


def _copy(tree: Tree) -> Tree:
    """A copy of every array of ``tree``, so that a result never shares memory with an
    argument."""
    return tree_map(np.copy, tree)


def _with_weight_decay(
    value: float, grads: Params, theta: Params, lam: float
) -> tuple[float, Params]:
    r"""Add :math:`\tfrac\lambda2\lVert\theta\rVert^2` to the objective and
    :math:`\lambda\theta_i` to each gradient (Remark 3.2.6)."""
    if not lam:
        return value, grads
    return value + 0.5 * lam * inner(theta, theta), tree_map(
        lambda g, th: g + lam * th, grads, theta
    )


def _index(i: object, low: int, high: int, who: str) -> int:
    """``i`` as an int in ``[low, high]``."""
    i = validation.positive_int("i", i, low, who)
    if i > high:
        raise ValueError(f"{who} expected i in [{low}, {high}], got {i}")
    return i


def _loss(loss: object, who: str) -> Loss:
    if not isinstance(loss, Loss):
        raise TypeError(f"{who} expected loss to be a Loss, got {type(loss).__name__}")
    return loss


def _targets(y: Tree, who: str) -> Tree:
    """Finite float targets; their shape is compared with the output's later."""
    return validation.as_float_array("targets y", y, who)


def _tangents(v: Tree, x: Tree, who: str, *, exact: bool) -> Tree:
    """``v`` shaped like ``x`` with one leading axis of K tangents in front (``exact``)
    or at most one (else)."""
    v = validation.as_float_array("v", v, who)
    xs = np.shape(x)
    if exact or np.ndim(v) != len(xs):
        validation.point_shape("v", v.shape, xs, who, leading=1)
    else:
        validation.point_shape("v", v.shape, xs, who, leading=0)
    return v


def _cotangent(name: str, e: Tree, fwd: Forward, who: str) -> Tree:
    """``e`` shaped like the output of ``fwd`` after any leading axes, finite."""
    if not isinstance(fwd, Forward):
        raise TypeError(
            f"Network.{who} expected fwd to be a Forward (from Network.forward), got "
            f"{type(fwd).__name__}"
        )
    return validation.tree_like(
        name, e, validation.shapes(fwd.output), f"Network.{who}", leading=None
    )


def _tangent_errors(
    tfwd: TangentForward, e: Tree, start: Tree | None, who: str
) -> tuple[Tree, Tree | None]:
    """``e`` and ``start`` (if given) shaped like the output tangents, finite."""
    if not isinstance(tfwd, TangentForward):
        raise TypeError(
            f"Network.{who} expected tfwd to be a TangentForward (from "
            f"Network.tangent_forward), got {type(tfwd).__name__}"
        )
    like = validation.shapes(tfwd.tangents[-1])
    e = validation.tree_like("e", e, like, f"Network.{who}")
    if start is not None:
        start = validation.tree_like("start", start, like, f"Network.{who}")
    return e, start


@dataclass(frozen=True)
class NetworkLayer(Layer):
    r"""A whole network used as one layer of a larger model,
    :math:`x\mapsto F(x;\theta)`.

    Its linearization composes the layers' own: :math:`DF = Df_L\cdots Df_1` (forward
    propagation of tangents, Lemma 3.3.2), :math:`D^*F` by back-propagation (Theorem
    3.2.5),
    :math:`\nabla_\theta F\cdot u
    = \sum_i D\omega_{i+1}\cdot\nabla_{\theta_i}f_i\cdot u_i`
    and its adjoint by Lemma 3.2.1. The second derivatives are not assembled (``D2`` and
    ``D_grad`` raise ``NotImplementedError``), so a model that needs them (the
    higher-order loss) must use the network directly. A deep recurrent network uses it
    for its prediction map :math:`g`.
    """

    network: Network

    def __post_init__(self) -> None:
        if not isinstance(self.network, Network):
            raise TypeError(
                "NetworkLayer expected network to be a Network, got "
                f"{type(self.network).__name__}"
            )

    @property
    def input_shape(self) -> tuple[int, ...] | None:
        """That of the network."""
        return self.network.input_shape

    def init(self, rng: np.random.Generator) -> Params:
        """Random parameters of the wrapped network."""
        return self.network.init(rng)

    def __call__(self, x: Tree, theta: Params) -> Tree:
        return self.network._call(x, theta)

    def linearize(self, x: Tree, theta: Params) -> Linearization:
        r"""Value, :math:`DF` and :math:`\nabla_\theta F` with their adjoints at
        :math:`(x, \theta)`; no second derivatives."""
        net = self.network
        fwd = net._forward(x, theta)

        def D(v: Tree) -> Tree:
            for lin in fwd.lins:
                v = lin.D(v)
            return v

        def grad(u: Params) -> Tree:
            t = None
            for lin, ui in zip(fwd.lins, u, strict=True):
                step = lin.grad(ui)
                t = step if t is None else tree_map(np.add, lin.D(t), step)
            return t

        return Linearization(
            output=fwd.output,
            D=LinearMap(
                D, lambda w: fwd.lins[0].D.adj(net._backpropagate(fwd, w)[0]), "DF(x)"
            ),
            grad=LinearMap(grad, lambda w: net._grad_adjoint(fwd, w), "∇F(x)"),
            D2=_not_assembled("D²F(x)"),
            D_grad=_not_assembled("D∇F(x)"),
        )


def _not_assembled(name: str) -> BilinearMap:
    """A second derivative that :class:`NetworkLayer` does not assemble: using it
    raises."""

    def fail(e1: Tree, e2: Tree) -> Tree:
        raise NotImplementedError(
            f"NetworkLayer does not assemble {name}; a model that needs it (the "
            "higher-order loss) must use the network directly"
        )

    return BilinearMap(fail, fail, fail, name)
