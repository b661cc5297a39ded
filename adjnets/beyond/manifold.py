r"""Parameters on a manifold: Riemannian gradient descent on the Stiefel manifold and
the orthogonal group (Part IV, page F.2; the book's own results, not the thesis's).

The thesis's chapter 6 names manifold-valued parameters as future work. Here one
parameter, a matrix :math:`W\in\mathbb R^{n\times p}`, is constrained to the Stiefel
manifold

.. math::
    \mathrm{St}(n, p) = \{W\in\mathbb R^{n\times p} : W^TW = I_p\},

with the orthogonal group :math:`O(n) = \mathrm{St}(n, n)` as the case :math:`p = n`,
and the Frobenius inner product :math:`\langle A, B\rangle = \operatorname{tr}(A^TB)` of
the ambient space. The pieces:

* :func:`project_tangent`: the orthogonal projection onto the tangent space
  :math:`T_W = \{V : W^TV + V^TW = 0\}` (Proposition F.2.1);
* :func:`riemannian_gradient`: the Riemannian gradient of a recurrent network's loss
  in its recurrent weight, the projection of the BPTT gradient
  :math:`\nabla^*_W` (Proposition F.2.2);
* :func:`retract`: the Cayley, QR and polar retractions (Proposition F.2.3);
* :func:`riemannian_step` and :func:`train_orthogonal_rnn`: the step
  :math:`W\leftarrow R_W(-\eta\,P_W\nabla_W\mathcal J)` and minibatch training with it
  (Proposition F.2.4, Algorithm F.2.5);
* :func:`slope_bounds`: with an orthogonal recurrent weight, the norm of the state
  gradient of a vanilla RNN is squeezed between products of the activation's slopes
  (Corollary F.2.6);
* :func:`random_stiefel` and :func:`manifold_distance`: a random point of
  :math:`\mathrm{St}(n, p)` and the distance :math:`\lVert W^TW - I\rVert_F` from it.

Matrices may carry leading batch axes, ``(..., n, p)``, everywhere but in the
recurrent-network functions.
"""

from __future__ import annotations

from typing import Literal

import numpy as np

from adjnets import validation
from adjnets.calculus.losses import Loss
from adjnets.calculus.spaces import Array, tree_map
from adjnets.pages.thesis import implements
from adjnets.recurrent.rnn import (
    RNN,
    RNNParams,
    VanillaRNN,
    _network,
    _sequences,
)
from adjnets.training.recurrent import _clipped, _minibatch_data, _minibatch_descent

__all__ = [
    "MANIFOLD_TOL",
    "manifold_distance",
    "project_tangent",
    "random_stiefel",
    "retract",
    "riemannian_gradient",
    "riemannian_step",
    "slope_bounds",
    "train_orthogonal_rnn",
]

Method = Literal["cayley", "qr", "polar"]
METHODS = ("cayley", "qr", "polar")

MANIFOLD_TOL = 1e-8
r"""How far from :math:`\mathrm{St}(n, p)` a point given as on it may be:
:math:`\lVert W^TW - I\rVert_F \le` ``MANIFOLD_TOL``, else a ValueError."""


def _sym(A: Array) -> Array:
    return 0.5 * (A + np.swapaxes(A, -1, -2))


def _gram_error(W: Array) -> Array:
    p = W.shape[-1]
    return np.asarray(
        np.linalg.norm(np.swapaxes(W, -1, -2) @ W - np.eye(p), axis=(-2, -1))
    )


def _matrices(name: str, value: object, who: str) -> Array:
    """``value`` as a float64 array of shape ``(..., n, p)`` with ``1 <= p <= n``."""
    a = validation.as_float_array(name, value, who)
    if a.ndim < 2 or a.shape[-1] > a.shape[-2] or a.shape[-1] == 0:
        raise ValueError(
            f"{who} expected {name} of shape (..., n, p) with 1 <= p <= n, got shape "
            f"{a.shape}"
        )
    return a


def _point(name: str, value: object, who: str) -> Array:
    """A point of the Stiefel manifold (to :data:`MANIFOLD_TOL`), checked."""
    W = _matrices(name, value, who)
    err = float(np.max(_gram_error(W)))
    if not err <= MANIFOLD_TOL:
        raise ValueError(
            f"{who} expected {name} with orthonormal columns (||W^T W - I|| <= "
            f"{MANIFOLD_TOL:.0e}), got ||W^T W - I|| = {err:.3g}"
        )
    return W


def _method(method: object, who: str) -> Method:
    if method not in METHODS:
        raise ValueError(
            f"{who} expected method to be one of {METHODS}, got {method!r}"
        )
    return method  # type: ignore[return-value]


def manifold_distance(W: Array) -> Array:
    r"""How far :math:`W` is from the Stiefel manifold:
    :math:`\lVert W^TW - I_p\rVert_F`.

    Parameters
    ----------
    W : array (..., n, p), p <= n

    Returns
    -------
    array (...)
        One distance per matrix (a 0-d array for one matrix).

    Raises
    ------
    ValueError
        For a shape other than ``(..., n, p)`` with ``p <= n``, or a non-finite entry.
    TypeError
        For an array that is not of real numbers.
    """
    return _gram_error(_matrices("W", W, "manifold_distance"))


def random_stiefel(n: int, p: int, rng: np.random.Generator | int) -> Array:
    r"""A random point of :math:`\mathrm{St}(n, p)`, uniform (Haar) distributed.

    The Q factor of the QR decomposition of an :math:`n\times p` matrix of standard
    normal entries, with the signs of its columns chosen so that :math:`R` has a
    positive diagonal (Mezzadri, 2007).

    Raises
    ------
    ValueError
        If ``p`` is not between 1 and ``n``.
    TypeError
        If ``n`` or ``p`` is not an integer, or ``rng`` neither a generator nor a seed.
    """
    who = "random_stiefel"
    n = validation.positive_int("n", n, who=who)
    p = validation.positive_int("p", p, who=who)
    if p > n:
        raise ValueError(f"{who} expected p <= n = {n}, got {p}")
    rng = validation.generator(rng, who)
    return _qr(rng.standard_normal((n, p)))


def _qr(M: Array) -> Array:
    Q, R = np.linalg.qr(M)
    signs = np.sign(np.diagonal(R, axis1=-2, axis2=-1))
    return Q * np.where(signs == 0, 1.0, signs)[..., None, :]


@implements("Proposition F.2.1")
def project_tangent(W: Array, V: Array) -> Array:
    r"""The orthogonal projection of :math:`V` onto the tangent space of
    :math:`\mathrm{St}(n, p)` at :math:`W`.

    .. math::
        P_W(V) = V - W\,\operatorname{sym}(W^TV),\qquad
        \operatorname{sym}(A) = \tfrac12(A + A^T),

    the book's own Proposition F.2.1, not the thesis's: :math:`P_W` is self-adjoint and
    idempotent, and its image is :math:`T_W = \{V : W^TV + V^TW = 0\}`.

    Parameters
    ----------
    W : array (..., n, p)
        A point of the manifold (orthonormal columns, to :data:`MANIFOLD_TOL`).
    V : array (..., n, p)
        Any matrix of the ambient space (a Euclidean gradient, say).

    Returns
    -------
    array (..., n, p)

    Raises
    ------
    ValueError
        If ``W`` is not on the manifold, the shapes disagree, or an entry is not
        finite.
    TypeError
        For arrays that are not of real numbers.

    Examples
    --------
    The projection of a random matrix is tangent, and projecting again changes
    nothing:

    >>> import numpy as np
    >>> from adjnets.beyond.manifold import project_tangent, random_stiefel
    >>> rng = np.random.default_rng(0)
    >>> W = random_stiefel(5, 3, rng)
    >>> T = project_tangent(W, rng.standard_normal((5, 3)))
    >>> print(np.abs(W.T @ T + T.T @ W).max() < 1e-14)
    True
    >>> print(np.abs(project_tangent(W, T) - T).max() < 1e-14)
    True
    """
    who = "project_tangent"
    W = _point("W", W, who)
    V = validation.batch("V", V, W.shape[-2:], who)
    return _project(W, V)


def _project(W: Array, V: Array) -> Array:
    return V - W @ _sym(np.swapaxes(W, -1, -2) @ V)


@implements("Proposition F.2.3")
def retract(W: Array, V: Array, method: Method = "cayley") -> Array:
    r"""A retraction :math:`R_W(V)` of :math:`\mathrm{St}(n, p)`: a point of the
    manifold, with :math:`R_W(0) = W` and :math:`DR_W(0)\cdot V = V` for tangent
    :math:`V`.

    The book's own Proposition F.2.3, not the thesis's. The three methods:

    .. math::
        \text{cayley:}\quad R_W(V) = \bigl(I - \tfrac12A\bigr)^{-1}
        \bigl(I + \tfrac12A\bigr)W,

        A = \Pi VW^T - WV^T\Pi,\quad \Pi = I - \tfrac12WW^T;

        \text{qr:}\quad R_W(V) = Q,\ \ W + V = QR,\ \operatorname{diag}R > 0;

        \text{polar:}\quad R_W(V) = U_1U_2^T,\ \ W + V = U_1\Sigma U_2^T .

    :math:`A` is skew, so the Cayley factor is orthogonal and the columns stay
    orthonormal in exact arithmetic; QR and polar re-orthonormalise :math:`W + V` (the
    polar factor is the point of the manifold nearest to it).

    Parameters
    ----------
    W : array (..., n, p)
        A point of the manifold (to :data:`MANIFOLD_TOL`).
    V : array (..., n, p)
        The step; the retraction's derivative at 0 is the identity on tangent
        vectors, and any :math:`V` lands on the manifold.
    method : {"cayley", "qr", "polar"}

    Returns
    -------
    array (..., n, p)

    Raises
    ------
    ValueError
        If ``W`` is not on the manifold, the shapes disagree, an entry is not finite,
        or ``method`` is unknown.
    TypeError
        For arrays that are not of real numbers.
    """
    who = "retract"
    W = _point("W", W, who)
    V = validation.batch("V", V, W.shape[-2:], who)
    return _retract(W, V, _method(method, who))


def _retract(W: Array, V: Array, method: Method) -> Array:
    if method == "qr":
        return _qr(W + V)
    if method == "polar":
        U1, _, U2t = np.linalg.svd(W + V, full_matrices=False)
        return np.asarray(U1 @ U2t)
    n = W.shape[-1 - 1]
    Wt = np.swapaxes(W, -1, -2)
    PiV = V - 0.5 * W @ (Wt @ V)  # Pi V, without forming the n x n matrix Pi
    A = PiV @ Wt - np.swapaxes(PiV @ Wt, -1, -2)  # Pi V W^T - W V^T Pi, skew
    eye = np.eye(n)
    return np.asarray(np.linalg.solve(eye - 0.5 * A, W + 0.5 * (A @ W)))


def _recurrent(rnn: object, who: str) -> None:
    _network(rnn, who)
    assert isinstance(rnn, RNN)
    W = getattr(rnn.param_shapes[0], "W", None)
    if W is None or len(W) != 2 or W[0] != W[1]:
        raise TypeError(
            f"{who} expected rnn with a square recurrent weight theta.W (a vanilla "
            f"RNN), got {type(rnn).__name__}"
        )


def _orthogonal_params(rnn: RNN, params: object, who: str) -> RNNParams:
    params = RNNParams(*validation.tree_like("params", params, rnn.param_shapes, who))
    _point("params.theta.W", params.theta.W, who)
    return params


@implements("Proposition F.2.2")
def riemannian_gradient(
    rnn: RNN,
    x: Array,
    y: Array,
    params: RNNParams,
    loss: Loss,
    mask: Array | None = None,
) -> tuple[float, RNNParams]:
    r"""The loss of a recurrent network and its Riemannian gradient when the recurrent
    weight :math:`W` lives on the orthogonal group.

    The book's own Proposition F.2.2, not the thesis's: on the product of
    :math:`O(n_h)` (for :math:`W`) with the Euclidean spaces of the other parameters,
    the gradient is the BPTT gradient (Theorem 5.2.4) with its :math:`W` part
    projected,

    .. math::
        \operatorname{grad}_W\mathcal J = P_W\Bigl(\sum_i\nabla^*_W f_i(h_{i-1})\cdot
        \varepsilon_i\Bigr),

    and the other parts unchanged.

    Parameters
    ----------
    rnn : RNN
        A recurrent network whose transition parameters have a square ``W``
        (:class:`~adjnets.recurrent.rnn.VanillaRNN`).
    x, y, loss, mask
        As for :meth:`~adjnets.recurrent.rnn.VanillaRNN.bptt`.
    params : RNNParams
        With ``params.theta.W`` orthogonal (to :data:`MANIFOLD_TOL`).

    Returns
    -------
    value : float
    gradient : RNNParams
        Its ``theta.W`` is tangent to :math:`O(n_h)` at ``params.theta.W``.

    Raises
    ------
    ValueError, TypeError
        As :meth:`~adjnets.recurrent.rnn.VanillaRNN.bptt`, and a ValueError if the
        recurrent weight is not orthogonal.
    """
    who = "riemannian_gradient"
    _recurrent(rnn, who)
    params = _orthogonal_params(rnn, params, who)
    grad_fn = getattr(rnn, "bptt", rnn.loss_and_gradient_bptt)
    value, g = grad_fn(x, y, params, loss, mask)
    return value, _riemannian(params, g)


def _riemannian(params: RNNParams, g: RNNParams) -> RNNParams:
    W = params.theta.W
    return RNNParams(g.theta._replace(W=_project(W, g.theta.W)), g.zeta)


@implements("Proposition F.2.4")
def riemannian_step(
    params: RNNParams, gradient: RNNParams, lr: float, method: Method = "cayley"
) -> RNNParams:
    r"""One step of Riemannian gradient descent: the recurrent weight moves along the
    manifold, the other parameters along straight lines.

    .. math::
        W \leftarrow R_W\bigl(-\eta\,P_W G_W\bigr),\qquad
        \vartheta \leftarrow \vartheta - \eta\,G_\vartheta

    for the other parameters :math:`\vartheta`, where :math:`G` is ``gradient`` (a
    Euclidean gradient by BPTT or the Riemannian one of :func:`riemannian_gradient`:
    :math:`P_W` is idempotent, so both give the same step). The book's own Proposition
    F.2.4, not the thesis's: the loss changes by
    :math:`-\eta\lVert\operatorname{grad}\mathcal J\rVert^2 + O(\eta^2)`.

    Parameters
    ----------
    params : RNNParams
        With ``params.theta.W`` orthogonal (to :data:`MANIFOLD_TOL`).
    gradient : RNNParams
        Of the same structure and shapes.
    lr : float
        :math:`\eta > 0`.
    method : {"cayley", "qr", "polar"}
        The retraction (:func:`retract`).

    Returns
    -------
    RNNParams

    Raises
    ------
    ValueError
        If the recurrent weight is not orthogonal, the shapes disagree, an entry is not
        finite, ``lr`` is not positive or ``method`` is unknown.
    TypeError
        For arguments of the wrong kind.
    """
    who = "riemannian_step"
    if not isinstance(params, tuple) or len(params) != 2:
        raise TypeError(
            f"{who} expected params as an RNNParams(theta, zeta), got "
            f"{validation.describe(params)}"
        )
    like = validation.shapes(params)
    params = RNNParams(*validation.tree_like("params", params, like, who))
    if not hasattr(params.theta, "W"):
        raise TypeError(
            f"{who} expected params.theta with a recurrent weight W, got "
            f"{type(params.theta).__name__}"
        )
    _point("params.theta.W", params.theta.W, who)
    gradient = RNNParams(*validation.tree_like("gradient", gradient, like, who))
    lr = validation.positive("lr", lr, who)
    return _step(params, gradient, lr, _method(method, who))


def _step(params: RNNParams, g: RNNParams, lr: float, method: Method) -> RNNParams:
    moved: RNNParams = tree_map(lambda p, d: p - lr * d, params, g)
    W = params.theta.W
    W_new = _retract(W, -lr * _project(W, g.theta.W), method)
    return RNNParams(moved.theta._replace(W=W_new), moved.zeta)


@implements("Algorithm F.2.5")
def train_orthogonal_rnn(
    rnn: RNN,
    params: RNNParams,
    x: Array,
    y: Array,
    loss: Loss,
    *,
    lr: float,
    epochs: int,
    batch_size: int,
    rng: np.random.Generator | int = 0,
    mask: Array | None = None,
    clip: float | None = None,
    method: Method = "cayley",
) -> tuple[RNNParams, Array]:
    r"""Minibatch Riemannian gradient descent on a recurrent network whose recurrent
    weight is orthogonal (the book's own Algorithm F.2.5, not the thesis's).

    As :func:`~adjnets.training.recurrent.train_rnn`, with each step that of
    :func:`riemannian_step`: for every minibatch :math:`A` with :math:`n_A` targets,
    :math:`G = \nabla\mathcal J_A/n_A` by BPTT (clipped to norm ``clip`` if longer,
    after projection), then :math:`W\leftarrow R_W(-\eta P_WG_W)` and
    :math:`\vartheta\leftarrow\vartheta - \eta G_\vartheta`. Every iterate's
    :math:`W` is orthogonal (Proposition F.2.3), up to rounding.

    Parameters
    ----------
    rnn : RNN
        With a square recurrent weight ``theta.W`` (a vanilla RNN).
    params : RNNParams
        The start, with ``params.theta.W`` orthogonal (to :data:`MANIFOLD_TOL`).
    x, y, loss, mask, lr, epochs, batch_size, rng, clip
        As for :func:`~adjnets.training.recurrent.train_rnn`.
    method : {"cayley", "qr", "polar"}
        The retraction.

    Returns
    -------
    params : RNNParams
    history : numpy.ndarray, shape (epochs,)
        The mean loss per target of each epoch, over its minibatches before each step.

    Raises
    ------
    ValueError, TypeError
        As :func:`~adjnets.training.recurrent.train_rnn`, and a ValueError if the
        recurrent weight is not orthogonal or ``method`` is unknown.
    adjnets.validation.NonFiniteLossError
        If a minibatch's loss is not finite.

    Examples
    --------
    A few epochs on the adding problem; the recurrent weight stays orthogonal:

    >>> import numpy as np
    >>> from adjnets import VanillaRNN, squared
    >>> from adjnets.beyond.manifold import (
    ...     manifold_distance, random_stiefel, train_orthogonal_rnn)
    >>> from adjnets.data.sequences import adding_problem
    >>> x, y, m = adding_problem(64, 10, rng=0)
    >>> rnn = VanillaRNN(2, 8, 1)
    >>> p = rnn.init(np.random.default_rng(1))
    >>> p = p._replace(theta=p.theta._replace(W=random_stiefel(8, 8, 2)))
    >>> p, history = train_orthogonal_rnn(
    ...     rnn, p, x, y, squared, lr=0.1, epochs=3, batch_size=16, mask=m)
    >>> print(history.shape, manifold_distance(p.theta.W) < 1e-13)
    (3,) True
    """
    who = "train_orthogonal_rnn"
    _recurrent(rnn, who)
    lr = validation.positive("lr", lr, who)
    clip = None if clip is None else validation.positive("clip", clip, who)
    data = _minibatch_data(rnn, x, y, loss, mask, epochs, batch_size, rng, who)
    params = _orthogonal_params(rnn, params, who)
    method = _method(method, who)

    def update(params: RNNParams, g: RNNParams) -> RNNParams:
        return _step(params, _clipped(_riemannian(params, g), clip), lr, method)

    return _minibatch_descent(rnn, params, data, update, who)


@implements("Corollary F.2.6")
def slope_bounds(rnn: VanillaRNN, params: RNNParams, x: Array) -> tuple[Array, Array]:
    r"""Bounds on how the last step's state gradient of a vanilla RNN with an orthogonal
    recurrent weight changes with the lag.

    The book's own Corollary F.2.6, not the thesis's: with :math:`W` orthogonal, the
    BPTT recursion :math:`\varepsilon_{i} = W^T(\Psi'(z_{i+1})\odot\varepsilon_{i+1})`
    (Theorem 5.2.3) gives, for each sequence and each lag :math:`k`,

    .. math::
        \prod_{i=L-k+1}^{L}\min_j\psi'(z_{i,j})
        \;\le\; \frac{\lVert D_{h_{L-k}}J_L\rVert}{\lVert D_{h_L}J_L\rVert}
        \;\le\; \prod_{i=L-k+1}^{L}\max_j\psi'(z_{i,j}),

    so the weight contributes no decay: only the slopes :math:`\psi'` do.

    Parameters
    ----------
    rnn : VanillaRNN
    params : RNNParams
        With ``params.theta.W`` orthogonal (to :data:`MANIFOLD_TOL`).
    x : array (N, L, n_x)

    Returns
    -------
    lower, upper : array (N, L + 1)
        ``[:, k]`` bounds the ratio at lag :math:`k` (both are 1 at lag 0). Compare
        with :func:`~adjnets.recurrent.analysis.state_gradient_norms` with
        ``per_sequence=True``, divided by its lag-0 column.

    Raises
    ------
    ValueError
        If the recurrent weight is not orthogonal, shapes disagree or an entry is not
        finite.
    TypeError
        If ``rnn`` is not a VanillaRNN, or an argument is of the wrong kind.
    """
    who = "slope_bounds"
    validation.instance("rnn", rnn, VanillaRNN, who)
    params = _orthogonal_params(rnn, params, who)
    x = _sequences("x", x, rnn.cell.n_x, who)
    h0 = np.zeros((x.shape[0], rnn.cell.n_h))
    _, slopes, _, _ = rnn._forward_arrays(x, params, h0)
    S = np.abs(np.stack(slopes, axis=1))  # (N, L, n_h): |psi'(z_i)|, i = 1..L
    ones = np.ones((x.shape[0], 1))
    # lag k multiplies the slopes of steps L, L-1, ..., L-k+1: reverse, then cumprod
    lower = np.concatenate([ones, np.cumprod(S.min(-1)[:, ::-1], axis=1)], axis=1)
    upper = np.concatenate([ones, np.cumprod(S.max(-1)[:, ::-1], axis=1)], axis=1)
    return lower, upper
