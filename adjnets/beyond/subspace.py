r"""Networks on a subspace of their input (Part IV, page F.1: the book's own results).

The thesis's chapter 6 proposes running a network on a reduced subspace of its input,
as after a dimensionality reduction. Here the reduction is an affine map
:math:`x\mapsto P(x - m)` with :math:`P:\mathbb R^n\to\mathbb R^k` a *coisometry*
(:math:`PP^* = \mathrm{id}_k`) and :math:`m` a fixed centre, and the network is

.. math::
    F(x;\theta) = G\bigl(P(x - m);\theta\bigr),

with :math:`G` a network of chapter 3 on :math:`\mathbb R^k`. Everything
back-propagation needs of :math:`F` comes from :math:`G` at the projected point: the
projection has no parameters, so the parameter gradient of :math:`F` is that of
:math:`G`, and :math:`D^*F = P^*D^*G`. The results are the book's own (Propositions
F.1.1, F.1.2, F.1.4 and Corollary F.1.3), not the thesis's.

* :class:`Projection`: the affine map :math:`x\mapsto P(x-m)` and its linear part
  :math:`P` as a :class:`~adjnets.calculus.linear.LinearMap` with adjoint :math:`P^*`;
* :func:`principal_projection`: :math:`P` onto the :math:`k` leading principal
  directions of data; :func:`random_projection`: onto a random :math:`k`-dimensional
  subspace (a control);
* :class:`SubspaceNetwork`: :math:`F = G\circ(P(\cdot - m))`, with its derivatives,
  loss gradient and tangent loss.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from adjnets import validation
from adjnets.calculus.linear import LinearMap
from adjnets.calculus.losses import Loss
from adjnets.calculus.spaces import Array, Tree
from adjnets.networks.network import Network, Params
from adjnets.pages.thesis import implements

__all__ = [
    "Projection",
    "SubspaceLinearization",
    "SubspaceNetwork",
    "principal_projection",
    "random_projection",
]

ORTHONORMAL_ATOL = 1e-10
"""How far :math:`UU^T` may be from the identity, entrywise, for a basis to count as
orthonormal."""


@implements("Proposition F.1.1")
@dataclass(frozen=True)
class Projection:
    r"""The affine map :math:`x\mapsto P(x - m)` onto a :math:`k`-dimensional subspace.

    :math:`P v = U v` for a matrix :math:`U\in\mathbb R^{k\times n}` with orthonormal
    rows, so :math:`P^* w = U^T w`, and (the book's own Proposition F.1.1, not the
    thesis's)

    .. math::
        PP^* = \mathrm{id}_k, \qquad (P^*P)^2 = P^*P = (P^*P)^*, \qquad
        \lVert Pv\rVert \le \lVert v\rVert,

    that is, :math:`P` is a coisometry and :math:`P^*P` is the orthogonal projector of
    :math:`\mathbb R^n` onto the row space of :math:`U`. The derivative of the affine
    map at every point is :math:`P`.

    Parameters
    ----------
    basis : array_like, shape (k, n)
        :math:`U`, with orthonormal rows (to 1e-10), :math:`1\le k\le n`.
    mean : array_like, shape (n,), optional
        The centre :math:`m`; zero by default.

    Raises
    ------
    ValueError
        If ``basis`` is not 2-d with :math:`k\le n` and orthonormal rows, ``mean`` is
        not of shape ``(n,)``, or either has a non-finite entry.
    TypeError
        If either is not an array of real numbers.

    Examples
    --------
    The plane :math:`x_3 = 0` of :math:`\mathbb R^3`, centred at :math:`m`:

    >>> import numpy as np
    >>> from adjnets.beyond.subspace import Projection
    >>> proj = Projection(np.eye(3)[:2], mean=np.array([1.0, 1.0, 1.0]))
    >>> proj(np.array([2.0, 3.0, 4.0]))  # P(x - m)
    array([1., 2.])
    >>> proj.lift(np.array([1.0, 2.0]))  # m + P* z, back in R^3
    array([2., 3., 1.])
    >>> P = proj.linear
    >>> P(P.adj(np.array([5.0, 6.0])))  # P P* = id
    array([5., 6.])
    """

    basis: Array
    mean: Array

    def __init__(self, basis: object, mean: object = None):
        who = "Projection"
        U = validation.as_float_array("basis", basis, who)
        if U.ndim != 2 or not 1 <= U.shape[0] <= U.shape[1]:
            raise ValueError(
                f"{who} expected basis of shape (k, n) with 1 <= k <= n, got shape "
                f"{U.shape}"
            )
        k, n = U.shape
        gap = float(np.max(np.abs(U @ U.T - np.eye(k))))
        if gap > ORTHONORMAL_ATOL:
            raise ValueError(
                f"{who} expected basis with orthonormal rows (U U^T = I to "
                f"{ORTHONORMAL_ATOL:g}), got U U^T off the identity by {gap:.3g}"
            )
        m = (
            np.zeros(n)
            if mean is None
            else validation.as_float_array("mean", mean, who)
        )
        validation.point_shape("mean", m.shape, (n,), who, leading=0)
        object.__setattr__(self, "basis", np.array(U))
        object.__setattr__(self, "mean", np.array(m))

    @property
    def n(self) -> int:
        """The dimension of the input space."""
        return int(self.basis.shape[1])

    @property
    def k(self) -> int:
        """The dimension of the subspace."""
        return int(self.basis.shape[0])

    @property
    def linear(self) -> LinearMap:
        r""":math:`P: v\mapsto Uv`, with adjoint :math:`P^*: w\mapsto U^Tw`; a batch
        of vectors is a leading axis."""
        return LinearMap.from_matrix(self.basis, "P")

    @property
    def projector(self) -> LinearMap:
        r""":math:`P^*P: v\mapsto U^TUv`, the orthogonal projector of
        :math:`\mathbb R^n` onto the subspace (self-adjoint)."""
        P = self.linear
        return P.adj @ P

    def __call__(self, x: object) -> Array:
        r""":math:`P(x - m)` for each point of a batch ``x`` of shape ``(..., n)``."""
        x = validation.batch("x", x, (self.n,), "Projection")
        z: Array = (x - self.mean) @ self.basis.T
        return z

    def lift(self, z: object) -> Array:
        r""":math:`m + P^*z`, the point of the affine subspace with coordinates
        :math:`z`; ``lift(proj(x))`` is the orthogonal projection of :math:`x` onto
        :math:`m + \operatorname{range}P^*`."""
        z = validation.batch("z", z, (self.k,), "Projection.lift")
        x: Array = z @ self.basis + self.mean
        return x


def principal_projection(x: object, k: int, center: bool = True) -> Projection:
    r"""The projection onto the :math:`k` leading principal directions of data.

    With :math:`m` the mean of the rows of :math:`X` (or :math:`0` when not
    ``center``) and the thin singular value decomposition
    :math:`X - \mathbf 1 m^T = A\Sigma V^T`, the basis is :math:`U = V_{:,1:k}^T`, the
    right singular vectors of the :math:`k` largest singular values. Each row is signed
    so that its entry of largest magnitude is positive (the SVD leaves the signs free).
    The result is a coisometry (the book's own Proposition F.1.1).

    Parameters
    ----------
    x : array_like, shape (N, n)
        The data, one point per row (the training set: the test set plays no part).
    k : int
        The dimension of the subspace, :math:`1\le k\le\min(N, n)`.
    center : bool
        Whether to subtract the mean first (the default); otherwise :math:`m = 0`.

    Returns
    -------
    Projection

    Raises
    ------
    ValueError
        If ``x`` is not 2-d, has a non-finite entry, or ``k`` is out of range.
    TypeError
        If ``x`` is not real, ``k`` not an integer or ``center`` not a bool.
    """
    who = "principal_projection"
    x = validation.as_float_array("x", x, who)
    if x.ndim != 2:
        raise ValueError(f"{who} expected x of shape (N, n), got shape {x.shape}")
    k = validation.positive_int("k", k, who=who)
    if k > min(x.shape):
        raise ValueError(f"{who} expected k <= min(N, n) = {min(x.shape)}, got {k}")
    validation.instance("center", center, bool, who)
    m = x.mean(axis=0) if center else np.zeros(x.shape[1])
    V = np.linalg.svd(x - m, full_matrices=False)[2][:k]
    signs = np.sign(V[np.arange(k), np.argmax(np.abs(V), axis=1)])
    return Projection(V * signs[:, None], m)


def random_projection(
    n: int, k: int, rng: np.random.Generator | int, mean: object = None
) -> Projection:
    r"""The projection onto a random :math:`k`-dimensional subspace of
    :math:`\mathbb R^n`.

    :math:`U = Q^T` with :math:`Q` the orthonormal factor of the QR decomposition of an
    :math:`n\times k` matrix of independent standard normal entries: its row space is
    uniformly distributed among the :math:`k`-dimensional subspaces. A coisometry (the
    book's own Proposition F.1.1); the control for :func:`principal_projection`.

    Parameters
    ----------
    n, k : int
        The dimensions, :math:`1\le k\le n`.
    rng : numpy.random.Generator or int
        The source of the random subspace, or a seed (``None`` is refused).
    mean : array_like, shape (n,), optional
        The centre :math:`m` (zero by default).

    Returns
    -------
    Projection

    Raises
    ------
    ValueError
        If ``k > n`` or a size is below 1; as :class:`Projection` for ``mean``.
    TypeError
        If a size is not an integer or ``rng`` is not a generator or a seed.
    """
    who = "random_projection"
    n = validation.positive_int("n", n, who=who)
    k = validation.positive_int("k", k, who=who)
    if k > n:
        raise ValueError(f"{who} expected k <= n = {n}, got {k}")
    rng = validation.generator(rng, who)
    Q = np.linalg.qr(rng.standard_normal((n, k)))[0]
    return Projection(Q.T, mean)


@dataclass(frozen=True)
class SubspaceLinearization:
    r"""A network on a subspace at one point: :math:`F(x;\theta)`, :math:`DF(x;\theta)`
    and :math:`\nabla F(x;\theta)` as linear maps with their adjoints.

    Attributes
    ----------
    output : numpy.ndarray
        :math:`F(x;\theta) = G(z;\theta)` with :math:`z = P(x - m)`.
    D : LinearMap
        :math:`DF(x;\theta) = DG(z;\theta)\cdot P`; ``D.adj`` is
        :math:`D^*F(x;\theta) = P^*\cdot D^*G(z;\theta)`.
    grad : LinearMap
        :math:`\nabla F(x;\theta) = \nabla G(z;\theta)`; ``grad.adj`` is
        :math:`\nabla^*G(z;\theta)`.
    """

    output: Array
    D: LinearMap
    grad: LinearMap


@dataclass(frozen=True)
class SubspaceNetwork:
    r"""A network on a subspace: :math:`F(x;\theta) = G(P(x - m);\theta)`.

    :math:`G` is a network of chapter 3 on :math:`\mathbb R^k` and :math:`x\mapsto
    P(x - m)` a :class:`Projection` from :math:`\mathbb R^n`. The projection is fixed
    (it has no parameters), so :math:`F` has the parameters of :math:`G`, and every
    derivative of :math:`F` is that of :math:`G` at :math:`z = P(x - m)`, composed with
    :math:`P` where a state derivative enters (the book's own Propositions F.1.2 and
    F.1.4 and Corollary F.1.3, not the thesis's).

    Parameters
    ----------
    projection : Projection
        :math:`x\mapsto P(x - m)`, :math:`\mathbb R^n\to\mathbb R^k`.
    network : Network
        :math:`G`, whose inputs are vectors of :math:`\mathbb R^k` (an MLP's
        ``network``).

    Raises
    ------
    TypeError
        If ``projection`` is not a Projection or ``network`` not a Network.
    ValueError
        If the network's input shape is not ``(k,)``.

    Examples
    --------
    A classifier of 8-dimensional inputs that sees only their 3 leading principal
    coordinates; its loss gradient is that of :math:`G` on the projected points:

    >>> import numpy as np
    >>> from adjnets import MLP, cross_entropy, one_hot
    >>> from adjnets.beyond.subspace import SubspaceNetwork, principal_projection
    >>> rng = np.random.default_rng(0)
    >>> x, y = rng.standard_normal((20, 8)), one_hot(rng.integers(0, 2, 20), 2)
    >>> proj = principal_projection(x, 3)  # k = 3 directions of R^8
    >>> F = SubspaceNetwork(proj, MLP((3, 5, 2)).network)
    >>> theta = F.init(rng)  # the parameters of G: R^3 -> R^5 -> R^2
    >>> F(x, theta).shape
    (20, 2)
    >>> value, grad = F.loss_and_gradient(x, y, theta, cross_entropy)
    >>> value_G, grad_G = F.network.loss_and_gradient(proj(x), y, theta, cross_entropy)
    >>> same = [np.array_equal(a.W, b.W) for a, b in zip(grad, grad_G)]
    >>> print(value == value_G, all(same))
    True True
    """

    projection: Projection
    network: Network

    def __post_init__(self) -> None:
        who = "SubspaceNetwork"
        validation.instance("projection", self.projection, Projection, who)
        validation.instance("network", self.network, Network, who)
        shape = self.network.input_shape
        if shape is not None and tuple(shape) != (self.projection.k,):
            raise ValueError(
                f"{who} expected a network on R^{self.projection.k} (input shape "
                f"({self.projection.k},)), got input shape {tuple(shape)}"
            )

    def _z(self, x: object, who: str) -> Array:
        x = validation.batch("x", x, (self.projection.n,), f"SubspaceNetwork.{who}")
        z: Array = (x - self.projection.mean) @ self.projection.basis.T
        return z

    def _v(self, v: object, x: Array, who: str) -> Array:
        """Tangents of shape ``(K, *x.shape)`` (``x`` checked already), projected:
        :math:`Pv`."""
        who = f"SubspaceNetwork.{who}"
        v = validation.as_float_array("v", v, who)
        if v.ndim != x.ndim + 1 or v.shape[1:] != x.shape:
            raise ValueError(
                f"{who} expected tangents v of shape (K, *{x.shape}), got shape "
                f"{v.shape}"
            )
        Pv: Array = v @ self.projection.basis.T
        return Pv

    def init(self, rng: np.random.Generator) -> Params:
        """Random initial parameters of :math:`G`."""
        return self.network.init(rng)

    def __call__(self, x: object, theta: Params) -> Tree:
        r""":math:`F(x;\theta) = G(P(x - m);\theta)`."""
        return self.network(self._z(x, "__call__"), theta)

    @implements("Proposition F.1.2")
    def linearize(self, x: object, theta: Params) -> SubspaceLinearization:
        r""":math:`F(x;\theta)`, :math:`DF(x;\theta)` and :math:`\nabla F(x;\theta)`
        at once (the book's own Proposition F.1.2, not the thesis's).

        With :math:`z = P(x - m)`, by the chain rule and Lemma 2.3.1,

        .. math::
            DF(x) = DG(z)\cdot P,\quad D^*F(x) = P^*\cdot D^*G(z),

            \nabla F(x) = \nabla G(z),\quad \nabla^*F(x) = \nabla^*G(z).

        :math:`DG(z)\cdot v` is the forward recursion
        :math:`v_{i+1} = Df_i(x_i)\cdot v_i`, :math:`D^*G(z)` back-propagation
        (Theorem 3.2.5); :math:`\nabla G(z)\cdot u` is the forward recursion
        :math:`t_{i+1} = Df_i(x_i)\cdot t_i + \nabla f_i(x_i)\cdot u_i`
        (:math:`t_1 = 0`) and :math:`\nabla^* G(z)` Lemma 3.2.1. One forward pass of
        :math:`G` serves all four.
        """
        fwd = self.network.forward(self._z(x, "linearize"), theta)
        lins, shapes = fwd.lins, self.network.param_shapes

        def DG(v: Tree) -> Tree:
            for lin in lins:
                v = lin.D(v)
            return v

        def gradG(u: Params) -> Tree:
            u = validation.tree_like("u", u, shapes, "SubspaceNetwork: ∇F(x)")
            t = lins[0].grad(u[0])
            for lin, u_i in zip(lins[1:], u[1:], strict=True):
                t = lin.D(t) + lin.grad(u_i)
            return t

        G_D = LinearMap(DG, lambda e: self.network.input_cotangent(fwd, e), "DG(z)")
        G_grad = LinearMap(gradG, lambda e: self.network.grad_adjoint(fwd, e), "∇G(z)")
        return SubspaceLinearization(fwd.output, G_D @ self.projection.linear, G_grad)

    @implements("Corollary F.1.3")
    def loss_and_gradient(
        self, x: object, y: Tree, theta: Params, loss: Loss, weight_decay: float = 0.0
    ) -> tuple[float, Params]:
        r"""The loss of a batch and its gradient in :math:`\theta` (the book's own
        Corollary F.1.3, not the thesis's).

        .. math::
            \nabla_\theta J\bigl(F(x;\theta), y\bigr)
            = \nabla_\theta J\bigl(G(z;\theta), y\bigr),\qquad z = P(x - m):

        the gradient of Theorem 3.2.2 for :math:`G` at the projected points. Training
        :math:`F` on :math:`x` is training :math:`G` on :math:`P(x - m)`.

        Raises
        ------
        ValueError, TypeError
            As :meth:`adjnets.networks.network.Network.loss_and_gradient`, and for
            ``x`` not of shape ``(..., n)``.
        """
        return self.network.loss_and_gradient(
            self._z(x, "loss_and_gradient"), y, theta, loss, weight_decay
        )

    def gradient_step(
        self,
        x: object,
        y: Tree,
        theta: Params,
        eta: float,
        loss: Loss,
        weight_decay: float = 0.0,
    ) -> tuple[Params, float]:
        r"""One step of gradient descent on :math:`F`: Algorithm 3.2.1 for :math:`G`
        at the projected points (so :func:`adjnets.training.loops.train` trains a
        ``SubspaceNetwork``)."""
        return self.network.gradient_step(
            self._z(x, "gradient_step"), y, theta, eta, loss, weight_decay
        )

    def tangent_penalty(self, x: object, v: object, beta: Tree, theta: Params) -> float:
        r""":math:`R(x;\theta) = \frac1{2K}\sum_k\lVert DF(x;\theta)\cdot v_k
        - \beta_k\rVert^2 = \frac1{2K}\sum_k\lVert DG(z;\theta)\cdot Pv_k
        - \beta_k\rVert^2` (the book's own Proposition F.1.4)."""
        who = "tangent_penalty"
        x = validation.batch("x", x, (self.projection.n,), f"SubspaceNetwork.{who}")
        return self.network.tangent_penalty(
            self._z(x, who), self._v(v, x, who), beta, theta
        )

    @implements("Proposition F.1.4")
    def tangent_loss_and_gradient(
        self,
        x: object,
        y: Tree,
        v: object,
        beta: Tree,
        theta: Params,
        mu: float,
        loss: Loss,
        weight_decay: float = 0.0,
    ) -> tuple[float, Params]:
        r""":math:`\mathcal J_H = J + \mu R` for :math:`F` and its gradient (the
        book's own Proposition F.1.4, not the thesis's).

        Since :math:`DF(x)\cdot v_k = DG(z)\cdot Pv_k`, the tangent loss of :math:`F`
        with tangents :math:`v_k` at :math:`x` is that of :math:`G` with the projected
        tangents :math:`Pv_k` at :math:`z = P(x - m)`, and so is its gradient
        (Theorem 3.3.1 and Algorithm 3.3.1 for :math:`G`):

        .. math::
            \nabla_\theta\mathcal J_H^F(x, v) = \nabla_\theta\mathcal J_H^G(z, Pv).

        ``v`` has shape ``(K, *x.shape)``, ``beta`` that of the output tangents.

        Raises
        ------
        ValueError, TypeError
            As :meth:`adjnets.networks.network.Network.tangent_loss_and_gradient`,
            and for ``x`` or ``v`` of the wrong shapes.
        """
        who = "tangent_loss_and_gradient"
        x = validation.batch("x", x, (self.projection.n,), f"SubspaceNetwork.{who}")
        return self.network.tangent_loss_and_gradient(
            self._z(x, who), y, self._v(v, x, who), beta, theta, mu, loss, weight_decay
        )
