r"""The deep auto-encoder (DAE) of thesis section 4.3: tied weights as a linear map of
the parameters.

A DAE has :math:`2L` dense layers :math:`f_i(x_i) = \Psi_i(K_i x_i + b_i)` (equation
4.36). The first :math:`L` (the encoder) have free weights, :math:`K_i = W_i`; the last
:math:`L` (the decoder) reuse them, :math:`K_i = \tau_i(W_{\xi(i)})` with
:math:`\xi(i) = 2L + 1 - i` (equation 4.34) and a linear :math:`\tau_i`, most often the
transpose (Lemma 4.3.1). Every bias is free. The free parameters are
:math:`\theta = (W_1,\dots,W_L, b_1,\dots,b_{2L})`.

Weight sharing is handled by two instances of one chain rule through a *linear*
parameter map (Lemma 4.3.2): if :math:`g(x;\theta) = h(x;\tau(\theta))` then
:math:`\nabla^* g = \tau^*\nabla^* h`.

* Inside a decoder layer, :math:`f(x; W, b) = \Psi(\tau(W)x + b)` is a dense layer
  evaluated at :math:`(\tau(W), b)`: :class:`TiedDense` (Lemma 4.3.3), built by
  :func:`reparametrize`.
* Across the network, :math:`F(x;\theta) = N(x; S\theta)`, where :math:`N` is the plain
  :class:`adjnets.networks.network.Network` of the :math:`2L` layers (4.35), whose layer
  :math:`i` has its own copy of the weight it uses, and the *sharing map*
  :math:`S\theta = \bigl((W_1,b_1),\dots,(W_L,b_L),
  (W_L,b_{L+1}),\dots,(W_1,b_{2L})\bigr)`
  copies :math:`W_i` to the two layers :math:`i` and :math:`\xi(i)` that use it. Its
  adjoint *adds* the two copies' gradients: that is Lemma 4.3.4, :math:`\nabla^*_{W_i}F
  = \nabla^*_{W_i}f_{\xi(i)}\cdot D^*\omega_{\xi(i)+1}
  + \nabla^*_{W_i}f_i\cdot D^*\omega_{i+1}`.

So forward propagation, back-propagation (Theorem 4.3.6), the loss gradients (Theorem
4.3.5) and the higher-order (tangent) loss of section 3.3 all come from
:class:`adjnets.networks.network.Network` applied at :math:`S\theta`, followed by
:math:`S^*`; nothing is differentiated twice.

Sizes. Layer :math:`i` maps :math:`\mathbb R^{n_i}\to\mathbb R^{n_{i+1}}`. Since the
decoder layer :math:`\xi(i)` uses :math:`\tau(W_i)\in\mathbb R^{n_i\times n_{i+1}}`, it
maps :math:`\mathbb R^{n_{i+1}}\to\mathbb R^{n_i}`, so :math:`n_{\xi(i)} = n_{i+1}` and
:math:`n_{\xi(i)+1} = n_i`, i.e. :math:`n_j = n_{2L+2-j}` for :math:`j\in[2L+1]`: the
widths are a palindrome, fixed by the encoder's :math:`(n_1,\dots,n_{L+1})`. (The thesis
prints the restriction as :math:`n_i = n_{\xi(i)}`, which would force :math:`n_1 = n_2`;
see the errata.)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np

from adjnets import validation
from adjnets.calculus.elementwise import Elementwise, identity, sigmoid
from adjnets.calculus.linear import BilinearMap, LinearMap
from adjnets.calculus.losses import Loss, squared
from adjnets.calculus.maps import Layer, Linearization, _unvalidated
from adjnets.calculus.spaces import Array, inner, tree_map
from adjnets.networks.layers import Dense, DenseParams, _check_widths
from adjnets.networks.network import Forward, Network
from adjnets.pages.thesis import implements

__all__ = [
    "TiedAutoencoder",
    "TiedDense",
    "TiedParams",
    "logistic_cross_entropy",
    "masked_transpose",
    "reparametrize",
    "transpose_map",
]


# -- the weight-sharing map tau --------------------------------------------------------


def _linear_map(name: str, tau: object, who: str) -> None:
    if not isinstance(tau, LinearMap):
        raise TypeError(
            f"{who} expected {name} to be a LinearMap, got {type(tau).__name__}"
        )


def _swap(U: Array) -> Array:
    # a fresh array, not a view of U: O(nm), as the products that use it are at least
    return np.swapaxes(U, -1, -2).copy()


@implements("Lemma 4.3.1")
def transpose_map() -> LinearMap:
    r"""The transpose :math:`\tau(U) = U^T`,
    :math:`\mathbb R^{n\times m}\to\mathbb R^{m\times n}`, and its adjoint (Lemma
    4.3.1).

    :math:`\langle W, \tau(U)\rangle = \operatorname{tr}(WU)
    = \langle \tau(W), U\rangle`,
    so :math:`\tau^*(W) = W^T`: the transpose is its own adjoint. It acts on the last
    two axes, so a batch of matrices is transposed matrix by matrix. Both return a
    fresh array, not a transposed view of the argument.

    Returns
    -------
    LinearMap
        ``tau`` with ``tau.adj`` the transpose
        :math:`\mathbb R^{m\times n}\to\mathbb R^{n\times m}`.
    """
    return LinearMap(_swap, _swap, "τ")


def masked_transpose(mask: Array, scale: float = 1.0) -> LinearMap:
    r"""A weight-sharing map other than the transpose:
    :math:`\tau(U) = c\,(U^T\odot M)`.

    A fixed mask :math:`M\in\mathbb R^{m\times n}` (e.g. of zeros and ones, cutting
    connections of the decoder) and a scale :math:`c`. Its adjoint is
    :math:`\tau^*(V) = c\,(V\odot M)^T`, since
    :math:`\langle V, c\,U^T\odot M\rangle = \langle c\,(V\odot M)^T, U\rangle`.

    Parameters
    ----------
    mask : array of shape (m, n)
        The shape of :math:`\tau(U)`, for :math:`U` of shape ``(n, m)``.
    scale : float

    Raises
    ------
    ValueError
        For a mask that is not 2-d or has a non-finite entry, or a non-finite scale.
    TypeError
        For a mask that is not real numbers, or a scale that is not a real number.
    """
    M = validation.as_float_array("mask", mask, "masked_transpose")
    if M.ndim != 2:
        raise ValueError(f"masked_transpose expected a 2-d mask, got shape {M.shape}")
    scale = validation.real("scale", scale, "masked_transpose")
    return LinearMap(
        lambda U: scale * (_swap(U) * M), lambda V: scale * _swap(V * M), "τ_M"
    )


# -- Lemma 4.3.2: a layer evaluated at a linear function of its parameter --------------


@implements("Lemma 4.3.2")
def reparametrize(lin: Linearization, tau: LinearMap) -> Linearization:
    r"""The linearization of :math:`g(x;\theta) = h(x;\tau(\theta))` from that of
    :math:`h` at :math:`(x,\tau(\theta))` (Lemma 4.3.2).

    For linear :math:`\tau`, the chain rule gives

    .. math::
        \nabla g(x;\theta)\cdot U = \nabla h(x;\tau(\theta))\cdot\tau(U), \qquad
        \nabla^* g(x;\theta)\cdot y
        = \tau^*\bigl(\nabla^* h(x;\tau(\theta))\cdot y\bigr),

    while :math:`Dg = Dh`, :math:`D^2g = D^2h` (the state derivatives do not see the
    parametrisation) and :math:`D\nabla g\cdot(v, U) = D\nabla h\cdot(v, \tau(U))`,
    whose left hook has adjoint :math:`\tau^*(v\lrcorner D\nabla h)^*`.

    Parameters
    ----------
    lin : Linearization
        Of :math:`h` at :math:`(x, \tau(\theta))`.
    tau : LinearMap
        :math:`\tau\in\mathcal L(H_1; H_2)`, with its adjoint.

    Raises
    ------
    TypeError
        If ``lin`` is not a Linearization or ``tau`` not a LinearMap.
    """
    if not isinstance(lin, Linearization):
        raise TypeError(
            "reparametrize expected lin to be a Linearization, got "
            f"{type(lin).__name__}"
        )
    _linear_map("tau", tau, "reparametrize")
    B = lin.D_grad
    D_grad = BilinearMap(
        lambda v, u: B(v, tau(u)),
        lambda v, w: tau.adj(B.left_adjoint(v, w)),
        lambda u, w: B.right_adjoint(tau(u), w),
        f"{B.name}·{tau.name}",
    )
    return Linearization(lin.output, lin.D, lin.grad @ tau, lin.D2, D_grad)


# -- Lemma 4.3.3: the tied (decoder) layer ---------------------------------------------


def _on_weight(tau: LinearMap) -> LinearMap:
    r""":math:`\tau\times\mathrm{id}: (W, b)\mapsto(\tau(W), b)`, adjoint
    :math:`(V, c)\mapsto(\tau^*(V), c)`."""
    return LinearMap(
        lambda u: DenseParams(tau(u[0]), u[1]),
        lambda w: DenseParams(tau.adj(w[0]), w[1]),
        f"{tau.name}×id",
    )


@implements("Lemma 4.3.3")
@dataclass(frozen=True)
class TiedDense(Layer):
    r"""A dense layer whose weight is a linear image of another:
    :math:`f(x; W, b) = \Psi(\tau(W)x + b)` (Lemma 4.3.3).

    With :math:`x\in\mathbb R^n`, :math:`W\in\mathbb R^{n\times m}`,
    :math:`\tau\in\mathcal L(\mathbb R^{n\times m};\mathbb R^{m\times n})`,
    :math:`b\in\mathbb R^m` and :math:`z = \tau(W)x + b`, Lemma 4.3.3 gives

    .. math::
        \nabla_W f\cdot U = D\Psi(z)\cdot\tau(U)\,x \;(4.39),\qquad
        \nabla_b f = D\Psi(z) \;(4.40),

        Df = D\Psi(z)\cdot\tau(W) \;(4.41),\qquad
        \nabla_W^* f\cdot y = \tau^*\bigl((\Psi'(z)\odot y)\,x^T\bigr) \;(4.42),

        \nabla_b^* f = D\Psi(z) \;(4.43),\qquad
        D^* f = \tau(W)^T\cdot D\Psi(z) \;(4.44).

    (The thesis prints (4.44) as :math:`\tau^*(W)\cdot D\Psi(z)`, which does not
    type-check: :math:`\tau^*` acts on :math:`\mathbb R^{m\times n}`, not on :math:`W`.
    The adjoint of :math:`v\mapsto\tau(W)v` is the matrix transpose of :math:`\tau(W)`.)

    It is :class:`adjnets.networks.layers.Dense` evaluated at :math:`(\tau(W), b)`,
    passed through :func:`reparametrize` with :math:`\tau\times\mathrm{id}` (Lemma
    4.3.2), so :math:`D^2f` and :math:`D\nabla f` (for the higher-order loss) come with
    it.

    Parameters
    ----------
    n_in, n_out : int
        :math:`n` and :math:`m`: the layer maps :math:`\mathbb R^n\to\mathbb R^m`; its
        weight parameter :math:`W` has shape ``(n_in, n_out)``.
    activation : Elementwise
        :math:`\Psi`.
    tau : LinearMap
        :math:`\tau`, taking ``(n_in, n_out)`` matrices to ``(n_out, n_in)``; the
        transpose by default.

    Raises
    ------
    TypeError
        For a width that is not an integer, or an activation or ``tau`` of the wrong
        kind.
    ValueError
        For a width below 1; ``__call__`` and ``linearize`` refuse inputs whose last
        axis is not ``n_in``, parameters of other shapes (``W`` is ``(n_in, n_out)``),
        non-finite values and a ``tau`` whose image is not ``(n_out, n_in)``.
    """

    n_in: int
    n_out: int
    activation: Elementwise = identity
    tau: LinearMap = field(default_factory=transpose_map)

    def __post_init__(self) -> None:
        _check_widths(self, "TiedDense")
        _linear_map("tau", self.tau, "TiedDense")

    @property
    def input_shape(self) -> tuple[int, ...]:
        """``(n_in,)``."""
        return (self.n_in,)

    @property
    def dense(self) -> Dense:
        r"""The untied layer :math:`\tilde f(x; \tilde W, b) = \Psi(\tilde Wx + b)`."""
        return Dense(self.n_in, self.n_out, self.activation)

    @property
    def parameter_map(self) -> LinearMap:
        r""":math:`(W, b)\mapsto(\tau(W), b)`, the parameter of the untied layer."""
        return _on_weight(self.tau)

    def init(self, rng: np.random.Generator, gain: float = 1.0) -> DenseParams:
        r"""Weights :math:`N(0, \text{gain}^2/n)` of shape ``(n_in, n_out)``, zero
        biases."""
        W = gain / np.sqrt(self.n_in) * rng.standard_normal((self.n_in, self.n_out))
        return DenseParams(W, np.zeros(self.n_out))

    def _untied(self, theta: DenseParams) -> DenseParams:
        W, b = theta
        K = self.tau(W)
        if np.shape(K) != (self.n_out, self.n_in):
            raise ValueError(
                f"TiedDense({self.n_in}, {self.n_out}) expected tau(W) of shape "
                f"{(self.n_out, self.n_in)}, got {np.shape(K)}"
            )
        return DenseParams(K, b)

    def __call__(self, x: Array, theta: DenseParams) -> Array:
        y: Array = _unvalidated(self.dense, "__call__")(x, self._untied(theta))
        return y

    def linearize(self, x: Array, theta: DenseParams) -> Linearization:
        return reparametrize(
            _unvalidated(self.dense, "linearize")(x, self._untied(theta)),
            self.parameter_map,
        )


# -- an extra loss for inputs in [0, 1] (not in the thesis) ----------------------------


def _logistic_value(y_hat: Array, y: Array) -> float:
    return float(np.sum(np.logaddexp(0.0, y_hat) - y * y_hat))


logistic_cross_entropy = Loss(
    "logistic cross-entropy",
    value=_logistic_value,
    error=lambda y_hat, y: sigmoid(y_hat) - y,
    predict=sigmoid,
)
r"""The Bernoulli cross-entropy of an output of logits, for targets in :math:`[0,1]`
(not in the thesis).

:math:`J = -\langle y, \operatorname{Log}\,s\rangle - \langle \mathbf 1
- y, \operatorname{Log}(\mathbf 1 - s)\rangle`
with :math:`s` the elementwise logistic sigmoid of :math:`\hat y`, evaluated stably as
:math:`\sum_k \operatorname{softplus}(\hat y_k) - y_k\hat y_k`; its error is
:math:`s - y`. This is the loss of the auto-encoder of Hinton and Salakhutdinov (the
thesis's [33]). The thesis's own (4.46) is the *softmax* cross-entropy
:data:`adjnets.calculus.losses.cross_entropy` with target :math:`x`, whose error is
:math:`\langle\mathbf 1, x\rangle\sigma(F) - x`, not the printed :math:`\sigma(F) - x`,
unless the input sums to one. Use it with an identity last activation.
"""


# -- the DAE ---------------------------------------------------------------------------


class TiedParams(NamedTuple):
    r"""The free parameters :math:`\theta = (W_1,\dots,W_L, b_1,\dots,b_{2L})` of a DAE.

    ``W[i - 1]`` is :math:`W_i\in\mathbb R^{n_{i+1}\times n_i}`, ``b[i - 1]`` is
    :math:`b_i\in\mathbb R^{n_{i+1}}` (with the palindromic widths
    :math:`n_j = n_{2L+2-j}`).
    """

    W: tuple[Array, ...]
    b: tuple[Array, ...]


@dataclass(frozen=True)
class TiedAutoencoder:
    r"""The :math:`2L`-layer deep auto-encoder with shared weights (thesis section 4.3).

    .. math::
        F = f_{2L}\circ\dots\circ f_1, \qquad f_i(x_i) = \Psi_i(K_i x_i + b_i), \qquad
        K_i = \begin{cases} W_i, & i\le L,\\ \tau_i(W_{\xi(i)}), & i\ge L+1,\end{cases}

    (equations 4.34 to 4.37), trained to reproduce its input: the target of the loss is
    :math:`x` itself (4.45, 4.46). The code of :math:`x` is the output of layer
    :math:`L`.

    Parameters
    ----------
    sizes : sequence of int
        The encoder's widths :math:`(n_1,\dots,n_{L+1})`; the decoder mirrors them, so
        the network's widths are :math:`(n_1,\dots,n_{L+1},\dots,n_1)`. The thesis's DAE
        compresses, :math:`n_1 > \dots > n_{L+1}`, but nothing here needs that.
    activations : Elementwise or sequence of Elementwise
        :math:`\Psi_1,\dots,\Psi_{2L}`, or one function for every layer (default: the
        sigmoid).
    tau : LinearMap or sequence of LinearMap, optional
        :math:`\tau_{L+1},\dots,\tau_{2L}` in layer order (so ``tau[0]`` is
        :math:`\tau_{L+1}`, which acts on :math:`W_L`), or one map for every decoder
        layer; the transpose (:func:`transpose_map`) by default. :math:`\tau_i` must
        take :math:`n_{\xi(i)+1}\times n_{\xi(i)}` matrices to
        :math:`n_{\xi(i)}\times n_{\xi(i)+1}`.

    Raises
    ------
    ValueError
        For fewer than two sizes, a size that is not a positive integer, the wrong
        number of activations or maps :math:`\tau`, or a :math:`\tau_i` whose image has
        the wrong shape.

    Examples
    --------
    :math:`\mathbb R^6\to\mathbb R^3\to\mathbb R^6`, the decoder's weight the
    transpose of the encoder's; the gradient in the free parameters (Theorem 4.3.5)
    passes the gradient check:

    >>> import numpy as np
    >>> from adjnets import TiedAutoencoder, assert_gradient
    >>> dae = TiedAutoencoder((6, 3))
    >>> rng = np.random.default_rng(0)
    >>> theta = dae.init(rng)  # TiedParams: one weight matrix, two biases
    >>> x = rng.uniform(size=(5, 6))
    >>> [W.shape for W in theta.W], dae.encode(x, theta).shape
    ([(3, 6)], (5, 3))
    >>> dae.decode(dae.encode(x, theta), theta).shape  # the reconstruction F(x)
    (5, 6)
    >>> value, grad = dae.loss_and_gradient(x, theta)  # ½‖F(x) - x‖²
    >>> def J(t):
    ...     return dae.loss_and_gradient(x, t)[0]
    >>> print(assert_gradient(J, grad, theta, rng) < 1e-7)
    True
    """

    sizes: tuple[int, ...]
    activations: tuple[Elementwise, ...]
    taus: tuple[LinearMap, ...]
    network: Network = field(init=False, repr=False, compare=False)

    def __init__(
        self,
        sizes: Sequence[int],
        activations: Elementwise | Sequence[Elementwise] = sigmoid,
        tau: LinearMap | Sequence[LinearMap] | None = None,
    ):
        who = "TiedAutoencoder"
        if not isinstance(sizes, Sequence):
            raise TypeError(
                f"{who} expected sizes as a sequence of widths, got {sizes!r}"[:200]
            )
        sizes = tuple(sizes)
        if len(sizes) < 2:
            raise ValueError(
                f"{who} expected the encoder's widths (n_1, ..., n_(L+1)): at least "
                f"two positive integers, got {sizes}"
            )
        sizes = tuple(validation.positive_int("widths", n, who=who) for n in sizes)
        L = len(sizes) - 1
        if isinstance(activations, Elementwise):
            activations = (activations,) * (2 * L)
        activations = tuple(activations)
        if len(activations) != 2 * L or not all(
            isinstance(a, Elementwise) for a in activations
        ):
            raise ValueError(
                f"TiedAutoencoder expected one Elementwise or 2L = {2 * L} of them, "
                f"got {len(activations)}"
            )
        if tau is None:
            tau = transpose_map()
        taus = (tau,) * L if isinstance(tau, LinearMap) else tuple(tau)
        if len(taus) != L or not all(isinstance(t, LinearMap) for t in taus):
            raise ValueError(
                f"TiedAutoencoder expected one LinearMap tau or L = {L} of them, got "
                f"{len(taus)}"
            )
        object.__setattr__(self, "sizes", sizes)
        object.__setattr__(self, "activations", activations)
        object.__setattr__(self, "taus", taus)
        n = self.widths
        layers: list[Layer] = [
            Dense(n[i - 1], n[i], activations[i - 1]) for i in range(1, L + 1)
        ]
        for i in range(L + 1, 2 * L + 1):  # layer i shares W_xi(i) through tau_i
            t, j = taus[i - L - 1], self.xi(i)
            image: tuple[int, ...] | str
            try:
                image = np.shape(t(np.zeros((n[j], n[j - 1]))))
            except ValueError as err:
                image = f"an error ({err})"
            if image != (n[j - 1], n[j]):
                got = image if isinstance(image, str) else f"an image of shape {image}"
                raise ValueError(
                    f"TiedAutoencoder expected tau_{i} to map {n[j]}x{n[j - 1]} "
                    f"matrices (W_{j}) to {n[j - 1]}x{n[j]}, got {got}"
                )
            layers.append(TiedDense(n[i - 1], n[i], activations[i - 1], t))
        object.__setattr__(self, "network", Network(layers))

    # -- structure ---------------------------------------------------------------------

    @property
    def L(self) -> int:
        """The number of encoder layers; the network has :math:`2L`."""
        return len(self.sizes) - 1

    @property
    def widths(self) -> tuple[int, ...]:
        r""":math:`(n_1,\dots,n_{2L+1})`, with :math:`n_j = n_{2L+2-j}` (so
        :math:`n_{\xi(i)+1} = n_i`)."""
        return self.sizes + self.sizes[-2::-1]

    def xi(self, i: int) -> int:
        r""":math:`\xi(i) = 2L + 1 - i` (equation 4.34): the layer that shares layer
        :math:`i`'s weights."""
        i = validation.positive_int("i", i, who="TiedAutoencoder.xi")
        if i > 2 * self.L:
            raise ValueError(
                f"TiedAutoencoder.xi expected i in [2L] = 1..{2 * self.L} (xi is "
                f"defined there), got {i}"
            )
        return 2 * self.L + 1 - i

    def init(self, rng: np.random.Generator) -> TiedParams:
        r"""Encoder weights :math:`W_i\sim N(0, 1/n_i)` and zero biases
        :math:`b_1,\dots,b_{2L}`."""
        Ws = tuple(layer.init(rng).W for layer in self.network.layers[: self.L])
        return TiedParams(Ws, tuple(np.zeros(n) for n in self.widths[1:]))

    def _check(self, theta: TiedParams, who: str) -> TiedParams:
        """``theta`` with the DAE's structure and shapes, as finite float64 arrays."""
        n, L = self.widths, self.L
        ok = isinstance(theta, tuple) and len(theta) == 2
        ok = ok and isinstance(theta[0], tuple) and len(theta[0]) == L
        ok = ok and isinstance(theta[1], tuple) and len(theta[1]) == 2 * L
        if not ok:
            raise TypeError(
                f"{who} expected parameters TiedParams(W, b) with {L} weights and "
                f"{2 * L} biases, got {validation.describe(theta)}"
            )
        Ws = tuple(
            validation.batch(f"W_{i}", W, (n[i], n[i - 1]), who, leading=0)
            for i, W in enumerate(theta[0], 1)
        )
        bs = tuple(
            validation.batch(f"b_{i}", b, (n[i],), who, leading=0)
            for i, b in enumerate(theta[1], 1)
        )
        return TiedParams(Ws, bs)

    # -- the sharing map S and its adjoint ---------------------------------------------

    def share(self, theta: TiedParams) -> tuple[DenseParams, ...]:
        r""":math:`S\theta`: each layer's own parameter, :math:`(W_i, b_i)` for
        :math:`i\le L` and :math:`(W_{\xi(i)}, b_i)` for :math:`i > L`.

        The maps :math:`\tau_i` are applied inside the decoder layers
        (:class:`TiedDense`), so :math:`S` only copies each :math:`W_i` to the two
        layers that use it.

        The copy is by reference: each returned array is ``theta``'s own (a view of
        it, sharing its memory), which is the weight sharing itself and saves copying
        every parameter on each forward pass. Treat the result as read-only.
        """
        return self._share(self._check(theta, "TiedAutoencoder.share"))

    def _share(self, theta: TiedParams) -> tuple[DenseParams, ...]:
        Ws, bs = theta
        return tuple(
            DenseParams(Ws[min(i, self.xi(i)) - 1], bs[i - 1])
            for i in range(1, 2 * self.L + 1)
        )

    @implements("Lemma 4.3.2", "Lemma 4.3.4")
    def free_gradient(self, full: Sequence[DenseParams]) -> TiedParams:
        r""":math:`S^*`: from a gradient in every layer's parameter to the gradient in
        :math:`\theta` (Lemmas 4.3.2, 4.3.4).

        Since :math:`F(x;\theta) = N(x; S\theta)` with :math:`S` linear, Lemma 4.3.2
        gives :math:`\nabla^*_\theta F = S^*\nabla^* N(x; S\theta)`, and the adjoint of
        the copy map adds the copies: the weight :math:`W_i` receives

        .. math:: U_i + U_{\xi(i)}, \qquad i\in[L],

        the contribution of layer :math:`i` and that of layer :math:`\xi(i)`, the latter
        already :math:`\tau_{\xi(i)}^*(\cdot)` by Lemma 4.3.3: this is (4.47) of Lemma
        4.3.4. Biases are not shared and pass through.

        Parameters
        ----------
        full : sequence of 2L DenseParams
            :math:`(U_i, c_i)_{i=1}^{2L}`, with :math:`U_i` shaped like layer
            :math:`i`'s weight parameter (``W_i`` for :math:`i\le L`, ``W_ξ(i)`` for
            :math:`i > L`).
        """
        who = "TiedAutoencoder.free_gradient"
        if not isinstance(full, tuple | list) or len(full) != 2 * self.L:
            raise ValueError(
                f"{who} expected {2 * self.L} layer gradients, got "
                + (
                    f"{len(full)}"
                    if isinstance(full, tuple | list)
                    else validation.describe(full)
                )
            )
        full = validation.tree_like("full", tuple(full), self.network.param_shapes, who)
        return self._free_gradient(full)

    def _free_gradient(self, full: Sequence[DenseParams]) -> TiedParams:
        Ws = tuple(
            full[i - 1][0] + full[self.xi(i) - 1][0] for i in range(1, self.L + 1)
        )
        # the biases pass through as copies, never as the caller's arrays
        return TiedParams(Ws, tuple(np.array(g[1], dtype=float) for g in full))

    @property
    def sharing(self) -> LinearMap:
        r"""The sharing map :math:`S` as a :class:`~adjnets.calculus.linear.LinearMap`,
        with adjoint :meth:`free_gradient`."""
        return LinearMap(self.share, self.free_gradient, "S")

    # -- the network -------------------------------------------------------------------

    def __call__(self, x: Array, theta: TiedParams) -> Array:
        r""":math:`F(x;\theta) = (f_{2L}\circ\dots\circ f_1)(x)` (equation 4.37)."""
        y: Array = self.network(x, self.share(theta))
        return y

    def encode(self, x: Array, theta: TiedParams) -> Array:
        r"""The code :math:`\alpha_L(x) = (f_L\circ\dots\circ f_1)(x)`, of width
        :math:`n_{L+1}`."""
        code: Array = self.network.head(self.L, self.share(theta))(x)
        return code

    def decode(self, code: Array, theta: TiedParams) -> Array:
        r""":math:`\omega_{L+1}(c) = (f_{2L}\circ\dots\circ f_{L+1})(c)`, from a code
        back to the input space."""
        x: Array = self.network.tail(self.L + 1, self.share(theta))(code)
        return x

    def forward(self, x: Array, theta: TiedParams) -> Forward:
        r"""Forward propagation through the :math:`2L` layers (lines 2 to 9 of Algorithm
        4.3.1)."""
        return self.network.forward(x, self.share(theta))

    @implements("Theorem 4.3.6")
    def backpropagate(self, fwd: Forward, e: Array) -> list[Array]:
        r"""Back-propagation in the DAE (Theorem 4.3.6): that of the :math:`2L`-layer
        network.

        Returns :math:`e_i = D^*\omega_{i+1}(x_{i+1})\cdot e` for :math:`i\in[2L]`, by
        :math:`D^*\omega_i(x_i)\cdot e
        = K_i^T\bigl(\Psi_i'(z_i)\odot D^*\omega_{i+1}(x_{i+1})\cdot e\bigr)`,
        :math:`z_i = K_ix_i + b_i`: each layer's :math:`D^*f_i` is that of a dense layer
        with weight :math:`K_i` (equation 4.44, corrected), whether or not :math:`K_i`
        is shared.
        """
        return self.network.backpropagate(fwd, e)

    @implements("Lemma 4.3.4")
    def grad_adjoint(self, fwd: Forward, e: Array) -> TiedParams:
        r""":math:`\nabla^*_\theta F(x;\theta)\cdot e` (Lemma 4.3.4, equation 4.47).

        .. math::
            \nabla^*_{W_i}F\cdot e
            = \nabla^*_{W_i}f_{\xi(i)}(x_{\xi(i)})\cdot
            D^*\omega_{\xi(i)+1}(x_{\xi(i)+1})\cdot e
            + \nabla^*_{W_i}f_i(x_i)\cdot D^*\omega_{i+1}(x_{i+1})\cdot e,

        and
        :math:`\nabla^*_{b_i}F\cdot e
        = \nabla^*_{b_i}f_i(x_i)\cdot D^*\omega_{i+1}(x_{i+1})\cdot e`:
        :meth:`free_gradient` of the network's per-layer :math:`\nabla^*`.
        """
        return self.free_gradient(self.network.grad_adjoint(fwd, e))

    # -- losses, gradient steps --------------------------------------------------------

    def _decay(
        self, value: float, grads: TiedParams, theta: TiedParams, lam: float
    ) -> tuple[float, TiedParams]:
        r"""Add :math:`\tfrac\lambda2\lVert\theta\rVert^2` (on the *free* parameters)
        and :math:`\lambda\theta`."""
        if not lam:
            return value, grads
        return value + 0.5 * lam * inner(theta, theta), tree_map(
            lambda g, th: g + lam * th, grads, theta
        )

    @implements("Theorem 4.3.5")
    def loss_and_gradient(
        self,
        x: Array,
        theta: TiedParams,
        loss: Loss = squared,
        weight_decay: float = 0.0,
    ) -> tuple[float, TiedParams]:
        r"""The reconstruction loss of a batch and its gradient in :math:`\theta`
        (Theorem 4.3.5).

        :math:`J_R = \tfrac12\lVert F(x;\theta) - x\rVert^2` (4.45) with
        ``loss=squared``;
        :math:`J_C = -\langle x, (\operatorname{Log}\circ\sigma)(F(x;\theta))\rangle`
        (4.46), the softmax cross-entropy, with ``loss=cross_entropy``; any
        :class:`adjnets.calculus.losses.Loss` (e.g. :data:`logistic_cross_entropy`) with
        the input as target. With the errors
        :math:`e_i = D^*\omega_{i+1}(x_{i+1})\cdot e` of :meth:`backpropagate`,

        .. math::
            \nabla_{W_i}J = (\Psi_i'(z_i)\odot e_i)\,x_i^T
              + \tau_{\xi(i)}^*\bigl[(\Psi_{\xi(i)}'(z_{\xi(i)})\odot
              e_{\xi(i)})\,x_{\xi(i)}^T\bigr]
              \;(4.48),

            \nabla_{b_i}J = \Psi_i'(z_i)\odot e_i \;(4.50),

        summed over the batch, where :math:`e = F - x` for the squared loss and
        :math:`e = \langle\mathbf 1, x\rangle\sigma(F) - x` for (4.46) (the thesis's
        (4.49) prints :math:`\sigma(F) - x`, right only when the input sums to one). The
        minimiser of (4.46) is :math:`\sigma(F) = x/\langle\mathbf 1, x\rangle`: it
        reconstructs the input only up to its total, so for inputs in :math:`[0,1]`
        :data:`logistic_cross_entropy` is the usual choice. With ``weight_decay``
        :math:`\lambda` the objective gains :math:`\tfrac\lambda2\lVert\theta\rVert^2`
        over the free parameters (each :math:`W_i` once).

        Returns
        -------
        value : float
        grads : TiedParams
        """
        who = "TiedAutoencoder.loss_and_gradient"
        theta = self._check(theta, who)
        weight_decay = validation.nonnegative("weight_decay", weight_decay, who)
        value, full = self.network.loss_and_gradient(x, x, self._share(theta), loss)
        return self._decay(value, self._free_gradient(full), theta, weight_decay)

    @implements("Algorithm 4.3.1")
    def gradient_step(
        self,
        x: Array,
        theta: TiedParams,
        eta: float,
        loss: Loss = squared,
        weight_decay: float = 0.0,
    ) -> tuple[TiedParams, float]:
        r"""One step of gradient descent,
        :math:`\theta\leftarrow\theta - \eta\nabla_\theta J` (Algorithm 4.3.1).

        Every gradient is computed at the old parameters before any is changed.
        (Algorithm 4.3.1 interleaves the updates with back-propagation; it stays correct
        because line 16 uses the matrices :math:`K_{i+1}` stored by the forward pass,
        not the updated :math:`W_{i+1}`.) Returns the new parameters and the loss at the
        old ones.

        Raises
        ------
        ValueError
            Unless ``eta`` is a finite number > 0; otherwise as
            :meth:`loss_and_gradient`.
        """
        eta = validation.positive("eta", eta, "TiedAutoencoder.gradient_step")
        value, grads = self.loss_and_gradient(x, theta, loss, weight_decay)
        return tree_map(lambda th, g: th - eta * g, theta, grads), value

    # -- the higher-order (tangent) loss of section 3.3 --------------------------------

    def tangent_penalty(
        self, x: Array, v: Array, beta: Array, theta: TiedParams
    ) -> float:
        r""":math:`R = \frac1{2K}\sum_k\lVert DF(x;\theta)\cdot v_k - \beta_k\rVert^2`
        (equation 3.14)."""
        return self.network.tangent_penalty(x, v, beta, self.share(theta))

    @implements("Lemma 4.3.2")
    def tangent_loss_and_gradient(
        self,
        x: Array,
        v: Array,
        beta: Array,
        theta: TiedParams,
        mu: float,
        loss: Loss = squared,
        weight_decay: float = 0.0,
    ) -> tuple[float, TiedParams]:
        r""":math:`J + \mu R` with target :math:`x`, and its gradient in :math:`\theta`
        (section 3.3, Lemma 4.3.2).

        The network's
        :meth:`~adjnets.networks.network.Network.tangent_loss_and_gradient` (Theorems
        3.3.1 and 3.3.4) at :math:`S\theta`, followed by :math:`S^*`: the objective is a
        function of :math:`S\theta`, so its gradient in :math:`\theta` is :math:`S^*` of
        its gradient there.

        Parameters
        ----------
        x : array (N, n_1)
        v, beta : arrays (K, N, n_1)
            :math:`K` tangent directions at each point and their target images under
            :math:`DF(x;\theta)`.
        """
        who = "TiedAutoencoder.tangent_loss_and_gradient"
        theta = self._check(theta, who)
        weight_decay = validation.nonnegative("weight_decay", weight_decay, who)
        value, full = self.network.tangent_loss_and_gradient(
            x, x, v, beta, self._share(theta), mu, loss
        )
        return self._decay(value, self._free_gradient(full), theta, weight_decay)

    def tangent_step(
        self,
        x: Array,
        v: Array,
        beta: Array,
        theta: TiedParams,
        eta: float,
        mu: float,
        loss: Loss = squared,
        weight_decay: float = 0.0,
    ) -> tuple[TiedParams, float]:
        r"""One step of gradient descent on :math:`J + \mu R` (Algorithm 3.3.1 for the
        DAE); returns new parameters and old objective.

        Raises
        ------
        ValueError
            Unless ``eta`` is a finite number > 0; otherwise as
            :meth:`tangent_loss_and_gradient`.
        """
        eta = validation.positive("eta", eta, "TiedAutoencoder.tangent_step")
        value, grads = self.tangent_loss_and_gradient(
            x, v, beta, theta, mu, loss, weight_decay
        )
        return tree_map(lambda th, g: th - eta * g, theta, grads), value
