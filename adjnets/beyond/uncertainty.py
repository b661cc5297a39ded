r"""Uncertainty from the framework's maps: the Laplace approximation through
generalised Gauss-Newton products, and dropout as a random diagonal linear map
(Part IV, page F.3).

Everything here is the book's own (results F.3.1 to F.3.6), not the thesis's; it is
built only from the maps of a network that the thesis derives: the layers' :math:`Df_i`
and :math:`\nabla f_i` forward, and back-propagation (Theorem 3.2.5) with
:math:`\nabla^* f_i` (Lemma 3.2.1) backward.

* :func:`parameter_derivative`: :math:`\nabla_\theta F(x;\theta)` as a
  :class:`~adjnets.calculus.linear.LinearMap` with its adjoint (Proposition F.3.1);
* :func:`loss_hessian` and :func:`ggn`: the generalised Gauss-Newton map
  :math:`G = \sum_j \nabla^*F_j\, H_j\, \nabla F_j`, never formed (Proposition
  F.3.2);
* :func:`conjugate_gradient` and :func:`predictive_variance_cg`: the variance of the
  linearised network's output under the Laplace posterior, one point at a time
  (Proposition F.3.3);
* :func:`laplace`, a :class:`Laplace` posterior from a few Lanczos steps on :math:`G`,
  with predictive variances and probit-averaged class probabilities for whole batches
  (Algorithm F.3.4); :func:`expected_calibration_error` to judge them;
* :class:`Dropout`, :func:`dropout_network`, :func:`dropout_loss_and_gradient`,
  :func:`expected_dropout_loss_and_gradient` and :func:`dropout_penalty`: dropout as
  the map :math:`D_m z = m\odot z/(1-p)` and what it does to the expected gradient
  (Propositions F.3.5 and F.3.6).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from adjnets import validation
from adjnets.calculus.elementwise import identity
from adjnets.calculus.linear import BilinearMap, LinearMap
from adjnets.calculus.losses import Loss, cross_entropy, squared
from adjnets.calculus.maps import StateLinearization, StateMap
from adjnets.calculus.softmax import D_softmax, log_softmax, softmax
from adjnets.calculus.spaces import Array, Tree, inner, leaves, tree_map
from adjnets.networks.layers import Dense, Then
from adjnets.networks.network import Forward, Network, Params
from adjnets.pages.thesis import implements

__all__ = [
    "Dropout",
    "Laplace",
    "conjugate_gradient",
    "dropout_loss_and_gradient",
    "dropout_network",
    "dropout_penalty",
    "expected_calibration_error",
    "expected_dropout_loss_and_gradient",
    "ggn",
    "laplace",
    "loss_hessian",
    "parameter_derivative",
    "predictive_variance_cg",
]


# -- flat vectors and trees ------------------------------------------------------------


def _flatten(tree: Tree) -> Array:
    return np.concatenate([leaf.ravel() for leaf in leaves(tree)])


def _unflatten(flat: Array, template: Tree) -> Tree:
    sizes = iter(np.cumsum([0] + [leaf.size for leaf in leaves(template)]))
    start = next(sizes)

    def piece(leaf: Array) -> Array:
        nonlocal start
        stop = next(sizes)
        out = flat[start:stop].reshape(leaf.shape)
        start = stop
        return out

    return tree_map(piece, template)


def _basis(template: Tree) -> Iterator[Tree]:
    """The standard basis :math:`\\varepsilon_1, \\dots, \\varepsilon_P` of the
    parameter space, as trees."""
    size = sum(leaf.size for leaf in leaves(template))
    for p in range(size):
        e = np.zeros(size)
        e[p] = 1.0
        yield _unflatten(e, template)


def _axpy(a: float, x: Tree, y: Tree) -> Tree:
    """:math:`a x + y` for trees."""
    return tree_map(lambda x_, y_: a * x_ + y_, x, y)


def _network(network: object, who: str) -> Network:
    validation.instance("network", network, Network, who)
    assert isinstance(network, Network)
    return network


def _loss(loss: object, who: str) -> Loss:
    if loss is not squared and loss is not cross_entropy:
        raise ValueError(
            f"{who} expected loss to be squared or cross_entropy, "
            f"got {validation.describe(loss)}"
        )
    assert isinstance(loss, Loss)
    return loss


# -- F.3.1: the parameter derivative of a network ------------------------------------


@implements("Proposition F.3.1")
def parameter_derivative(network: Network, fwd: Forward) -> LinearMap:
    r""":math:`\nabla_\theta F(x;\theta)` as a linear map, with its adjoint.

    The book's own Proposition F.3.1, not the thesis's. Forward, a parameter direction
    :math:`u = (u_1, \dots, u_L)` is carried through the layers like a tangent,

    .. math::
        t_1 = 0, \qquad t_{i+1} = Df_i(x_i)\cdot t_i + \nabla f_i(x_i)\cdot u_i,
        \qquad \nabla_\theta F(x;\theta)\cdot u = t_{L+1},

    and the adjoint is back-propagation followed by the layers' :math:`\nabla^*f_i`
    (Lemma 3.2.1, :meth:`~adjnets.networks.network.Network.grad_adjoint`):
    :math:`\nabla^*_\theta F(x;\theta)\cdot w
    = \bigl(\nabla^* f_i(x_i)\cdot D^*\omega_{i+1}(x_{i+1})\cdot w\bigr)_{i=1}^L`.
    Over a batch, the map sends :math:`u` to the batch of outputs' derivatives and the
    adjoint sums over the batch.

    Parameters
    ----------
    network : Network
    fwd : Forward
        ``network.forward(x, theta)``: the point of linearisation.

    Returns
    -------
    LinearMap
        ``u -> t_{L+1}`` (shaped like the output) and its adjoint ``w -> tree``.

    Raises
    ------
    TypeError
        If ``network`` is not a Network or ``fwd`` not a Forward.
    ValueError
        If ``fwd`` holds another number of layers than ``network``.

    Examples
    --------
    The adjoint identity of :math:`\nabla_\theta F` for a small network:

    >>> import numpy as np
    >>> from adjnets import Dense, Network, assert_adjoint, random_like, tanh
    >>> from adjnets.beyond.uncertainty import parameter_derivative
    >>> net = Network([Dense(2, 5, tanh), Dense(5, 3)])
    >>> rng = np.random.default_rng(0)
    >>> theta = net.init(rng)
    >>> x = rng.standard_normal((4, 2))
    >>> J = parameter_derivative(net, net.forward(x, theta))
    >>> J(theta).shape
    (4, 3)
    >>> w = rng.standard_normal((4, 3))
    >>> print(assert_adjoint(J, random_like(rng, theta), w) < 1e-12)
    True
    """
    who = "parameter_derivative"
    network = _network(network, who)
    validation.instance("fwd", fwd, Forward, who)
    if len(fwd.lins) != network.L:
        raise ValueError(
            f"{who} expected fwd of a network of {network.L} layers, "
            f"got one of {len(fwd.lins)}"
        )
    shapes = network.param_shapes

    def apply(u: Tree) -> Tree:
        u = validation.tree_like("u", u, shapes, who)
        t = fwd.lins[0].grad(u[0])
        for lin, u_i in zip(fwd.lins[1:], u[1:], strict=True):
            t = lin.D(t) + lin.grad(u_i)
        return t

    return LinearMap(apply, lambda w: network.grad_adjoint(fwd, w), "∇F(x)")


# -- F.3.2: the generalised Gauss-Newton map -------------------------------------------


def loss_hessian(loss: Loss, output: Array) -> LinearMap:
    r"""The Hessian :math:`H` of the loss in the network's output, as a linear map.

    Part of the book's own Proposition F.3.2, not the thesis's. For the squared loss
    :math:`H = \mathrm{id}`; for the softmax cross-entropy with targets that sum to one
    the error is :math:`\sigma(\hat y) - y` (Remark 2.4.5), so
    :math:`H = D\sigma(\hat y) = \operatorname{diag}(p) - pp^T` with
    :math:`p = \sigma(\hat y)` (Lemma 2.4.3), point by point. Both are self-adjoint and
    positive semi-definite.

    Raises
    ------
    ValueError
        If ``loss`` is neither ``squared`` nor ``cross_entropy``, or ``output`` has a
        non-finite entry.
    TypeError
        If ``output`` is not an array of real numbers.
    """
    who = "loss_hessian"
    loss = _loss(loss, who)
    output = validation.as_float_array("output", output, who)
    if loss is squared:
        return LinearMap(lambda w: w.copy(), lambda w: w.copy(), "id")
    return D_softmax(output)


@implements("Proposition F.3.2")
def ggn(network: Network, x: Array, theta: Params, loss: Loss) -> LinearMap:
    r"""The generalised Gauss-Newton map of a batch, applied without being formed.

    The book's own Proposition F.3.2, not the thesis's:

    .. math::
        G\cdot u = \sum_{j=1}^N \nabla^*_\theta F(x_j;\theta)\cdot H_j\cdot
        \nabla_\theta F(x_j;\theta)\cdot u ,

    one forward sweep of :func:`parameter_derivative`, the loss Hessian :math:`H_j` of
    :func:`loss_hessian` at each output, one back-propagation. :math:`G` is
    self-adjoint and positive semi-definite.

    Parameters
    ----------
    network : Network
    x : array
        The batch :math:`x_1, \dots, x_N`.
    theta : tuple
        The parameters (the point of linearisation).
    loss : Loss
        ``squared`` or ``cross_entropy`` (with targets that sum to one).

    Returns
    -------
    LinearMap
        :math:`G`, from parameter trees to parameter trees; its adjoint is itself.

    Raises
    ------
    ValueError, TypeError
        For a wrong network, loss, inputs or parameters (as
        :meth:`~adjnets.networks.network.Network.forward`).

    Examples
    --------
    >>> import numpy as np
    >>> from adjnets import Dense, Network, inner, random_like, squared, tanh
    >>> from adjnets.beyond.uncertainty import ggn
    >>> net = Network([Dense(1, 4, tanh), Dense(4, 1)])
    >>> rng = np.random.default_rng(0)
    >>> theta = net.init(rng)
    >>> G = ggn(net, rng.standard_normal((6, 1)), theta, squared)
    >>> u = random_like(rng, theta)
    >>> print(inner(u, G(u)) >= 0)
    True
    """
    who = "ggn"
    network = _network(network, who)
    loss = _loss(loss, who)
    fwd = network.forward(x, theta)
    J = parameter_derivative(network, fwd)
    H = loss_hessian(loss, fwd.output)
    G = J.adj @ H @ J
    return LinearMap(G.apply, G.apply, "G")


# -- F.3.3: predictive variance by conjugate gradients ---------------------------------


def conjugate_gradient(
    A: LinearMap, b: Tree, tol: float = 1e-10, maxiter: int = 1000
) -> tuple[Tree, int]:
    r"""Solve :math:`A s = b` for a self-adjoint positive definite map :math:`A`, by
    conjugate gradients on trees.

    Used for the book's own Proposition F.3.3, not the thesis's. Stops when
    :math:`\lVert b - As\rVert \le \mathrm{tol}\,\lVert b\rVert` or after ``maxiter``
    products.

    Returns
    -------
    s : tree
    iterations : int

    Raises
    ------
    TypeError
        If ``A`` is not a LinearMap, ``b`` not real arrays, ``maxiter`` not an integer.
    ValueError
        For a non-finite entry of ``b``, ``tol`` not positive, ``maxiter`` below 1.
    """
    who = "conjugate_gradient"
    validation.instance("A", A, LinearMap, who)
    b = tree_map(lambda leaf: validation.as_float_array("b", leaf, who), b)
    tol = validation.positive("tol", tol, who)
    maxiter = validation.positive_int("maxiter", maxiter, who=who)
    s = tree_map(np.zeros_like, b)
    r = b
    d = r
    rr = inner(r, r)
    stop = tol**2 * rr
    k = 0
    while k < maxiter and rr > stop:
        Ad = A(d)
        alpha = rr / inner(d, Ad)
        s = _axpy(alpha, d, s)
        r = _axpy(-alpha, Ad, r)
        rr, rr_old = inner(r, r), rr
        d = _axpy(rr / rr_old, d, r)
        k += 1
    return s, k


@implements("Proposition F.3.3")
def predictive_variance_cg(
    network: Network,
    x_train: Array,
    theta: Params,
    loss: Loss,
    x: Array,
    prior_precision: float,
    tol: float = 1e-10,
) -> Array:
    r"""The Laplace predictive variances of the outputs at the points ``x``, each by
    conjugate gradients on :math:`G + \lambda I`.

    The book's own Proposition F.3.3, not the thesis's. Under the Gaussian
    :math:`\mathcal N(\hat\theta, (G + \lambda I)^{-1})` the linearised network
    :math:`F(x;\hat\theta) + \nabla_\theta F(x;\hat\theta)\cdot(\theta - \hat\theta)`
    has output covariance :math:`\nabla F\,(G+\lambda I)^{-1}\nabla^*F`, whose
    diagonal entry :math:`k` is

    .. math::
        \sigma_k^2(x) = \langle g_k, s_k\rangle, \qquad
        g_k = \nabla^*_\theta F(x;\hat\theta)\cdot\varepsilon_k, \qquad
        (G + \lambda I)\, s_k = g_k .

    One solve per point and output: for checks and a few points (see :func:`laplace`
    for batches).

    Parameters
    ----------
    network : Network
    x_train : array
        The training inputs that define :math:`G` (:func:`ggn`).
    theta : tuple
        :math:`\hat\theta`.
    loss : Loss
    x : array of shape (M, ...)
        The points.
    prior_precision : float
        :math:`\lambda > 0`.
    tol : float
        Relative residual at which conjugate gradients stop.

    Returns
    -------
    array of shape (M, *output shape)
        :math:`\sigma_k^2(x_m)`.

    Raises
    ------
    ValueError, TypeError
        For wrong arguments (as :func:`ggn`, and ``prior_precision`` not positive).
    """
    who = "predictive_variance_cg"
    network = _network(network, who)
    lam = validation.positive("prior_precision", prior_precision, who)
    G = ggn(network, x_train, theta, loss)
    A = LinearMap(
        lambda u: tree_map(lambda g, u_: g + lam * u_, G(u), u),
        lambda u: tree_map(lambda g, u_: g + lam * u_, G(u), u),
        "G + λI",
    )
    fwd = network.forward(x, theta)
    out = np.asarray(fwd.output)
    variances = np.zeros(out.shape)
    for index in np.ndindex(out.shape):  # one solve per point and output, by design
        e = np.zeros(out.shape)
        e[index] = 1.0
        g = network.grad_adjoint(fwd, e)
        s, _ = conjugate_gradient(A, g, tol=tol, maxiter=10 * _flatten(g).size)
        variances[index] = inner(g, s)
    return variances


# -- Algorithm F.3.4: the Laplace posterior from Lanczos -------------------------------


@dataclass(frozen=True, eq=False)
class Laplace:
    r"""A Laplace posterior :math:`\mathcal N(\hat\theta, \Sigma)` with
    :math:`\Sigma = V\operatorname{diag}\bigl(\tfrac1{d+\lambda}\bigr)V^T
    + \tfrac1\lambda (I - VV^T)`, from :func:`laplace` (the book's own Algorithm F.3.4,
    not the thesis's).

    Attributes
    ----------
    network : Network
    theta : tuple
        :math:`\hat\theta`.
    prior_precision : float
        :math:`\lambda`.
    eigenvalues : array of shape (m,)
        :math:`d`, the Ritz values of :math:`G`.
    eigenvectors : array of shape (P, m)
        :math:`V`, orthonormal columns (flattened parameter trees).
    exact : bool
        Whether Lanczos found an invariant subspace of :math:`G` containing its range,
        in which case :math:`\Sigma = (G+\lambda I)^{-1}` to rounding error.
    """

    network: Network
    theta: Params
    prior_precision: float
    eigenvalues: Array
    eigenvectors: Array
    exact: bool
    _memo: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    def covariance(self, u: Tree) -> Tree:
        r""":math:`\Sigma\cdot u`."""
        u = validation.tree_like(
            "u", u, self.network.param_shapes, "Laplace.covariance"
        )
        f, V, lam = _flatten(u), self.eigenvectors, self.prior_precision
        c = V.T @ f
        flat = V @ (c / (self.eigenvalues + lam)) + (f - V @ c) / lam
        return _unflatten(flat, self.theta)

    def _terms(self, x: Array) -> tuple[Array, Array, Array]:
        r"""``F(x)``, :math:`\sum_p (\nabla F\cdot\varepsilon_p)^2` and the
        :math:`(\nabla F\cdot v_r)^2`, kept for the last ``x`` (they do not depend on
        :math:`\lambda`)."""
        x = validation.as_float_array("x", x, "Laplace.predictive_variance")
        seen = self._memo.get("x")
        if seen is None or seen.shape != x.shape or not np.array_equal(seen, x):
            fwd = self.network.forward(x, self.theta)
            J = parameter_derivative(self.network, fwd)
            out = np.asarray(fwd.output)
            prior = np.zeros(out.shape)
            for e in _basis(self.theta):  # P sweeps, each over the whole batch
                prior += np.asarray(J(e)) ** 2
            ritz = np.array(
                [
                    np.asarray(J(_unflatten(v, self.theta))) ** 2
                    for v in self.eigenvectors.T
                ]
            ).reshape(-1, *out.shape)
            self._memo.update(x=x.copy(), terms=(out, prior, ritz))
        terms: tuple[Array, Array, Array] = self._memo["terms"]
        return terms

    def predictive_variance(
        self, x: Array, prior_precision: float | None = None
    ) -> Array:
        r"""The diagonal of the output covariance of the linearised network at ``x``.

        .. math::
            \sigma_k^2(x) = \sum_r \Bigl(\frac1{d_r+\lambda} - \frac1\lambda\Bigr)
            (\nabla F(x)\cdot v_r)_k^2
            + \frac1\lambda\sum_{p=1}^P(\nabla F(x)\cdot\varepsilon_p)_k^2 ,

        :math:`m + P` forward sweeps of :func:`parameter_derivative` over the whole
        batch ``x`` (kept for the next call with the same ``x``). ``prior_precision``
        replaces :math:`\lambda` (the Ritz pairs of :math:`G` do not depend on it).

        Returns
        -------
        array shaped like ``network(x, theta)``
        """
        lam = (
            self.prior_precision
            if prior_precision is None
            else validation.positive(
                "prior_precision", prior_precision, "Laplace.predictive_variance"
            )
        )
        _, prior, ritz = self._terms(x)
        shrink = 1.0 / (self.eigenvalues + lam) - 1.0 / lam
        return np.asarray(prior / lam + np.tensordot(shrink, ritz, axes=1))

    def predictive_probabilities(
        self, x: Array, prior_precision: float | None = None
    ) -> Array:
        r"""Class probabilities of the linearised network averaged over the posterior,
        by the probit approximation :math:`p \approx
        \sigma\bigl(\mu_k/\sqrt{1 + \tfrac\pi8\sigma_k^2}\bigr)_k` (MacKay), with
        :math:`\mu = F(x;\hat\theta)` and :math:`\sigma_k^2` from
        :meth:`predictive_variance`."""
        var = self.predictive_variance(x, prior_precision)
        mean = self._terms(x)[0]
        return softmax(mean / np.sqrt(1.0 + np.pi / 8.0 * var))


@implements("Algorithm F.3.4")
def laplace(
    network: Network,
    x: Array,
    theta: Params,
    loss: Loss,
    prior_precision: float,
    steps: int,
    rng: np.random.Generator | int,
    tol: float = 1e-10,
) -> Laplace:
    r"""A Laplace posterior from ``steps`` Lanczos iterations on the Gauss-Newton map.

    The book's own Algorithm F.3.4, not the thesis's. Starting from
    :math:`q_1 \propto \nabla^*_\theta F\cdot H r` (in the range of :math:`G`, with
    :math:`r` random), Lanczos with full re-orthogonalisation builds an orthonormal
    :math:`Q = (q_1,\dots,q_m)` and the tridiagonal :math:`T = Q^TGQ` from :math:`m`
    products with :func:`ggn`; with :math:`T = S\operatorname{diag}(d)S^T`, the columns
    of :math:`V = QS` and the :math:`d` approximate the eigenpairs of :math:`G`. When
    the Krylov space becomes invariant (the next :math:`\beta` vanishes), it holds the
    whole range of :math:`G`, the iteration stops and :math:`\Sigma` is exact.

    Parameters
    ----------
    network : Network
    x : array
        Training inputs.
    theta : tuple
        The trained parameters :math:`\hat\theta`.
    loss : Loss
        ``squared`` or ``cross_entropy``.
    prior_precision : float
        :math:`\lambda > 0`.
    steps : int
        At most this many Lanczos steps (products with :math:`G`).
    rng : numpy.random.Generator or int
        For the starting vector.
    tol : float
        :math:`\beta \le \mathrm{tol}\cdot\lVert G\rVert` ends the iteration.

    Returns
    -------
    Laplace

    Raises
    ------
    ValueError, TypeError
        For wrong arguments.

    Examples
    --------
    On six points the range of :math:`G` has dimension at most 6, so Lanczos stops
    early and the posterior is exact:

    >>> import numpy as np
    >>> from adjnets import Dense, Network, squared, tanh
    >>> from adjnets.beyond.uncertainty import laplace, predictive_variance_cg
    >>> net = Network([Dense(1, 4, tanh), Dense(4, 1)])
    >>> rng = np.random.default_rng(0)
    >>> theta = net.init(rng)
    >>> x = rng.standard_normal((6, 1))
    >>> post = laplace(net, x, theta, squared, 1.0, steps=20, rng=0)
    >>> post.exact, post.eigenvalues.shape
    (True, (6,))
    >>> x_new = np.array([[0.0], [3.0]])
    >>> cg = predictive_variance_cg(net, x, theta, squared, x_new, 1.0)
    >>> print(np.allclose(post.predictive_variance(x_new), cg, rtol=1e-8))
    True
    """
    who = "laplace"
    network = _network(network, who)
    loss = _loss(loss, who)
    lam = validation.positive("prior_precision", prior_precision, who)
    steps = validation.positive_int("steps", steps, who=who)
    rng = validation.generator(rng, who)
    tol = validation.positive("tol", tol, who)
    fwd = network.forward(x, theta)
    theta = validation.tree_like("theta", theta, network.param_shapes, who)
    J = parameter_derivative(network, fwd)
    H = loss_hessian(loss, fwd.output)

    def G(f: Array) -> Array:
        return _flatten(J.adj(H(J(_unflatten(f, theta)))))

    q = _flatten(J.adj(H(rng.standard_normal(np.shape(fwd.output)))))
    Q: list[Array] = []
    alphas: list[float] = []
    betas: list[float] = []
    beta = float(np.linalg.norm(q))
    scale = 0.0
    exact = beta == 0.0
    while not exact and len(Q) < min(steps, q.size):
        q = q / beta
        Q.append(q)
        w = G(q)
        alpha = float(q @ w)
        basis = np.array(Q)
        w = w - basis.T @ (basis @ w)  # full re-orthogonalisation, twice
        w = w - basis.T @ (basis @ w)
        alphas.append(alpha)
        beta = float(np.linalg.norm(w))
        scale = max(scale, abs(alpha) + beta + (betas[-1] if betas else 0.0))
        exact = beta <= tol * scale
        betas.append(beta)
        q = w
    m = len(Q)
    if m == 0:
        d, V = np.zeros(0), np.zeros((q.size, 0))
    else:
        T = np.diag(alphas) + np.diag(betas[:-1], 1) + np.diag(betas[:-1], -1)
        d, S = np.linalg.eigh(T)
        V = np.array(Q).T @ S
    return Laplace(network, theta, lam, np.maximum(d, 0.0), V, bool(exact))


def expected_calibration_error(
    probabilities: Array, labels: Array, n_bins: int = 10
) -> float:
    r"""The expected calibration error of class probabilities.

    With the confidence :math:`c_j = \max_k p_{jk}` and the prediction
    :math:`\hat k_j = \arg\max_k p_{jk}`, the points are put in ``n_bins`` bins of
    equal width in confidence, and

    .. math::
        \mathrm{ECE} = \sum_b \frac{|B_b|}{N}\,
        \bigl|\operatorname{acc}(B_b) - \operatorname{conf}(B_b)\bigr| .

    Raises
    ------
    ValueError
        If ``probabilities`` is not of shape (N, K) with rows on the simplex, or
        ``labels`` not N integers in [0, K).
    TypeError
        If ``n_bins`` is not an integer.
    """
    who = "expected_calibration_error"
    p = validation.as_float_array("probabilities", probabilities, who)
    if p.ndim != 2 or p.shape[0] == 0 or np.any(p < 0) or not np.allclose(p.sum(1), 1):
        raise ValueError(
            f"{who} expected probabilities of shape (N, K) with rows that sum to one, "
            f"got {validation.describe(p)}"
        )
    y = validation.labels("labels", labels, who, p.shape[1])
    if y.shape != (p.shape[0],):
        raise ValueError(
            f"{who} expected labels of shape {(p.shape[0],)}, got {y.shape}"
        )
    n_bins = validation.positive_int("n_bins", n_bins, who=who)
    confidence, prediction = p.max(axis=1), p.argmax(axis=1)
    correct = (prediction == y).astype(float)
    bins = np.minimum((confidence * n_bins).astype(int), n_bins - 1)
    count = np.bincount(bins, minlength=n_bins)
    gap = np.bincount(bins, correct - confidence, minlength=n_bins)
    return float(np.sum(np.abs(gap)) / p.shape[0]) if count.sum() else 0.0


# -- F.3.5 and F.3.6: dropout ----------------------------------------------------------


def _zero_bilinear() -> BilinearMap:
    def apply(e1: Array, e2: Array) -> Array:
        return np.zeros(np.broadcast_shapes(np.shape(e1), np.shape(e2)))

    def adjoint(e: Array, e3: Array) -> Array:
        return np.zeros(np.shape(e3))

    return BilinearMap(apply, adjoint, adjoint, "0")


@implements("Proposition F.3.5")
@dataclass(frozen=True, eq=False)
class Dropout(StateMap):
    r"""Dropout with a fixed mask: the diagonal linear map
    :math:`D_m z = m\odot z/(1-p)`.

    The book's own Proposition F.3.5, not the thesis's: :math:`D_m` is linear, so its
    derivative is itself at every point, :math:`D(D_m)(z) = D_m` and
    :math:`D^2(D_m) = 0`; it is diagonal, so :math:`D_m^* = D_m`; and if the entries
    of :math:`m` are independent Bernoulli variables with
    :math:`P(m_i = 1) = 1 - p`, then :math:`E[D_m] = \mathrm{id}`. After a layer
    (``Then(layer, (Dropout(m, p),))``) it makes the layer
    :math:`D_m\circ f(\,\cdot\,;\theta)`, with derivative :math:`D_m\,Df`, adjoint
    :math:`D^*f\,D_m` and :math:`\nabla^* = \nabla^*f\,D_m`.

    Parameters
    ----------
    mask : array of 0s and 1s
        :math:`m`, shaped like the state or broadcastable to it (one mask per point of
        a batch, or one for all).
    p : float
        The drop probability, in [0, 1).

    Raises
    ------
    ValueError
        If ``mask`` has entries other than 0 and 1, or ``p`` is not in [0, 1);
        ``linearize`` and ``__call__`` refuse a state the mask does not broadcast to.
    TypeError
        If ``mask`` is not numeric or ``p`` not a real number.

    Examples
    --------
    >>> import numpy as np
    >>> from adjnets import assert_adjoint
    >>> from adjnets.beyond.uncertainty import Dropout
    >>> drop = Dropout(np.array([1, 0, 1]), 0.5)
    >>> z = np.array([1.0, 2.0, 3.0])
    >>> drop(z)
    array([2., 0., 6.])
    >>> print(assert_adjoint(drop.linearize(z).D, z, np.ones(3)) < 1e-12)
    True
    """

    mask: Array
    p: float

    def __post_init__(self) -> None:
        who = "Dropout"
        mask = np.asarray(self.mask)
        m = validation.binary_mask("mask", mask, mask.shape, who)
        object.__setattr__(self, "mask", m)
        object.__setattr__(self, "p", validation.fraction("p", self.p, who))

    def __repr__(self) -> str:
        return f"Dropout(mask of shape {self.mask.shape}, p={self.p})"

    def _scaled(self, z: Array) -> Array:
        try:
            shape = np.broadcast_shapes(self.mask.shape, np.shape(z))
        except ValueError:
            shape = None
        if shape != np.shape(z):
            raise ValueError(
                f"Dropout expected z of a shape the mask {self.mask.shape} broadcasts "
                f"to, got shape {np.shape(z)}"
            )
        return self.mask / (1.0 - self.p)

    def __call__(self, z: Array) -> Array:
        return np.asarray(self._scaled(z) * z)

    def linearize(self, z: Array) -> StateLinearization:
        scale = self._scaled(z)

        def D(v: Array) -> Array:
            return np.asarray(scale * v)

        return StateLinearization(
            output=scale * z, D=LinearMap(D, D, "D_m"), D2=_zero_bilinear()
        )


def dropout_network(network: Network, k: int, mask: Array, p: float) -> Network:
    r"""The network with dropout :math:`D_m` after its layer ``k``:
    :math:`F_m = \omega_{k+1}\circ D_m\circ\alpha_k`.

    Raises
    ------
    ValueError
        Unless :math:`1\le k\le L`; for a wrong mask or ``p`` (as :class:`Dropout`).
    TypeError
        If ``network`` is not a Network or ``k`` not an integer.
    """
    who = "dropout_network"
    network = _network(network, who)
    k = validation.positive_int("k", k, who=who)
    if k > network.L:
        raise ValueError(f"{who} expected k between 1 and {network.L}, got {k}")
    drop = Dropout(mask, p)
    layer = network.layers[k - 1]
    new = (
        Then(layer.first, (*layer.maps, drop))
        if isinstance(layer, Then)
        else Then(layer, (drop,))
    )
    layers = list(network.layers)
    layers[k - 1] = new
    return Network(layers, network.input_shape)


def _width(network: Network, k: int, x: Array, theta: Params) -> int:
    return int(np.asarray(network.head(k, theta)(x[:1])).shape[-1])


def _weighted_loss_and_gradient(
    network: Network,
    x: Array,
    y: Array,
    theta: Params,
    loss: Loss,
    weights: Array,
) -> tuple[float, Params]:
    """The weighted sum over points of the loss and of its gradient."""
    fwd = network.forward(x, theta)
    out = np.asarray(fwd.output)
    error = np.asarray(loss.error(out, y))
    axes = tuple(range(1, out.ndim))
    if loss is squared:
        per_point = 0.5 * np.sum((out - y) ** 2, axis=axes)
    else:
        per_point = -np.sum(y * log_softmax(out), axis=axes)
    w = weights.reshape(-1, *([1] * (out.ndim - 1)))
    return float(weights @ per_point), network.grad_adjoint(fwd, w * error)


def dropout_loss_and_gradient(
    network: Network,
    k: int,
    x: Array,
    y: Array,
    theta: Params,
    loss: Loss,
    p: float,
    n_samples: int,
    rng: np.random.Generator | int,
) -> tuple[float, Params]:
    r"""A Monte Carlo average, over ``n_samples`` random masks per point, of the loss
    of :math:`F_m` (dropout after layer ``k``) and of its gradient.

    The batch is repeated ``n_samples`` times, each copy with its own masks, and run
    through :func:`dropout_network` in one forward and one backward sweep.

    Raises
    ------
    ValueError, TypeError
        For wrong arguments.
    """
    who = "dropout_loss_and_gradient"
    network = _network(network, who)
    loss = _loss(loss, who)
    n = validation.positive_int("n_samples", n_samples, who=who)
    rng = validation.generator(rng, who)
    p = validation.fraction("p", p, who)
    x = validation.as_float_array("x", x, who)
    y = validation.as_float_array("y", y, who)
    width = _width(network, validation.positive_int("k", k, who=who), x, theta)
    masks = (rng.random((n * x.shape[0], width)) >= p).astype(float)
    net = dropout_network(network, k, masks, p)
    xs = np.concatenate([x] * n)
    ys = np.concatenate([y] * n)
    weights = np.full(xs.shape[0], 1.0 / n)
    return _weighted_loss_and_gradient(net, xs, ys, theta, loss, weights)


@implements("Proposition F.3.6")
def expected_dropout_loss_and_gradient(
    network: Network,
    k: int,
    x: Array,
    y: Array,
    theta: Params,
    loss: Loss,
    p: float,
) -> tuple[float, Params]:
    r"""The exact expectation over dropout masks of the loss of :math:`F_m` and of its
    gradient, by enumerating all :math:`2^n` masks of the :math:`n` units of layer
    ``k`` (:math:`n \le 12`).

    Used for the book's own Proposition F.3.6, not the thesis's:
    :math:`E_m[\nabla_\theta J(F_m)] = \nabla_\theta E_m[J(F_m)]`, which is
    :math:`\nabla_\theta J(F)` plus the gradient of :func:`dropout_penalty` when the
    layers after ``k`` are one affine layer and the loss is squared, and differs from
    :math:`\nabla_\theta J(F)` in general.

    Raises
    ------
    ValueError
        If layer ``k`` has more than 12 units, and for wrong arguments.
    """
    who = "expected_dropout_loss_and_gradient"
    network = _network(network, who)
    loss = _loss(loss, who)
    p = validation.fraction("p", p, who)
    x = validation.as_float_array("x", x, who)
    y = validation.as_float_array("y", y, who)
    n = _width(network, validation.positive_int("k", k, who=who), x, theta)
    if n > 12:
        raise ValueError(f"{who} expected layer k of at most 12 units, got {n}")
    masks = (np.arange(2**n)[:, None] >> np.arange(n)) & 1  # all of {0, 1}^n
    kept = masks.sum(axis=1)
    prob = (1.0 - p) ** kept * p ** (n - kept)
    N = x.shape[0]
    net = dropout_network(network, k, np.repeat(masks, N, axis=0), p)
    xs = np.tile(x, (2**n,) + (1,) * (x.ndim - 1))
    ys = np.tile(y, (2**n,) + (1,) * (y.ndim - 1))
    return _weighted_loss_and_gradient(net, xs, ys, theta, loss, np.repeat(prob, N))


def dropout_penalty(network: Network, x: Array, theta: Params, p: float) -> float:
    r"""The penalty that dropout before an affine last layer adds to the expected
    squared loss (the book's own Proposition F.3.6, not the thesis's).

    With :math:`a_j = \alpha_{L-1}(x_j)` and the last layer
    :math:`z\mapsto Wz + b`,

    .. math::
        E_m[J(F_m)] - J(F) = \frac{p}{2(1-p)}\sum_{j}\sum_i a_{ji}^2
        \lVert W e_i\rVert^2 .

    Raises
    ------
    ValueError
        Unless the last layer is an affine Dense layer, and for wrong arguments.
    """
    who = "dropout_penalty"
    network = _network(network, who)
    last = network.layers[-1]
    if not (isinstance(last, Dense) and last.activation is identity) or network.L < 2:
        raise ValueError(
            f"{who} expected a network of at least two layers whose last is an affine "
            f"Dense layer, got last layer {last!r}"
        )
    p = validation.fraction("p", p, who)
    theta = validation.tree_like("theta", theta, network.param_shapes, who)
    a = np.asarray(network.head(network.L - 1, theta)(x))
    W = theta[-1][0]
    return float(p / (2 * (1 - p)) * np.sum(a**2 @ np.sum(W**2, axis=0)))
