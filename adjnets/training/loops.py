r"""Minibatch gradient descent built from the one-step algorithms of thesis chapter 3.

:func:`train` repeats Algorithm 3.2.1
(:meth:`adjnets.networks.network.Network.gradient_step`) or, when tangent vectors are
given, Algorithm 3.3.1 (:meth:`adjnets.networks.network.Network.tangent_step`) over
shuffled minibatches of a data set.

Batch convention. The package's loss of a batch :math:`A` is the *sum* of its points'
losses, so its gradient grows with :math:`|A|`. :func:`train` therefore takes a learning
rate ``lr`` for the *mean* loss and calls each step with :math:`\eta = \text{lr}/|A|`:

.. math::
    \theta \leftarrow \theta
    - \frac{\text{lr}}{|A|}\sum_{j\in A}\nabla_\theta J(x_{(j)}, y_{(j)};\theta)
    - \text{lr}\,\lambda\,\theta ,

which is a gradient step of size ``lr`` on the mean loss of the batch plus
:math:`\tfrac\lambda2\lVert\theta\rVert^2` (Remark 3.2.6; the weight decay is passed to
the step as :math:`\lambda|A|` so that it does not depend on the batch size). With
tangents the mean loss is that of :math:`\mathcal J_H = J + \mu R` (equations 3.13 and
3.14).
"""

from __future__ import annotations

from typing import Any, Protocol

import numpy as np

from adjnets import validation
from adjnets.calculus.losses import Loss
from adjnets.calculus.spaces import Array
from adjnets.networks.network import Network, Params


class _Steps(Protocol):
    """What :func:`train` needs of a network without tangents: its value and one
    gradient step, as :class:`adjnets.networks.network.Network` and
    :class:`adjnets.specific.mlp.MLP` have them."""

    def __call__(self, x: Array, theta: Any, /) -> Any: ...

    def gradient_step(
        self,
        x: Array,
        y: Array,
        theta: Any,
        eta: float,
        loss: Loss,
        weight_decay: float = 0.0,
        /,
    ) -> tuple[Any, float]: ...


def train(
    network: Network | _Steps,
    theta: Params,
    x: Array,
    y: Array,
    loss: Loss,
    *,
    lr: float,
    epochs: int,
    batch_size: int | None = None,
    rng: np.random.Generator | int = 0,
    weight_decay: float = 0.0,
    v: Array | None = None,
    beta: Array | None = None,
    mu: float = 0.0,
) -> tuple[Params, Array]:
    r"""Train ``network`` by minibatch gradient descent (Algorithms 3.2.1 and 3.3.1).

    Each epoch shuffles the :math:`N` points with ``rng``, splits them into consecutive
    minibatches of ``batch_size`` points (the last one may be smaller) and takes one
    step per minibatch with :math:`\eta = \text{lr}/|A|` (see the module docstring).
    Without tangents the step is :meth:`~adjnets.networks.network.Network.gradient_step`
    on :math:`J`; with tangents ``v`` it is
    :meth:`~adjnets.networks.network.Network.tangent_step` on

    .. math::
        \mathcal J_H = J + \mu R,\qquad
        R(x;\theta) = \frac1{2K}\sum_{k=1}^K \lVert DF(x;\theta)\cdot v_k
        - \beta_k\rVert^2 .

    Parameters
    ----------
    network : Network or MLP
        The network: an :class:`adjnets.networks.network.Network` (a CNN from
        :func:`adjnets.specific.cnn.layers.cnn` is one), or an
        :class:`adjnets.specific.mlp.MLP`, which steps with its fused gradient. Training
        with tangents ``v`` needs a ``Network`` (``MLP.network`` is one).
    theta : tuple
        Initial parameters :math:`(\theta_1,\dots,\theta_L)`; not modified.
    x, y : numpy.ndarray
        Inputs and targets, with the :math:`N` points along the leading axis.
    loss : Loss
        :data:`adjnets.calculus.losses.squared` or
        :data:`adjnets.calculus.losses.cross_entropy`.
    lr : float
        Learning rate for the mean loss of a minibatch, positive.
    epochs : int
        Number of passes over the data, positive.
    batch_size : int, optional
        Points per step, between 1 and :math:`N`; ``None`` (the default) means full
        batch.
    rng : numpy.random.Generator or int
        Source of the shuffling, or a seed for :func:`numpy.random.default_rng`.
    weight_decay : float
        :math:`\lambda \ge 0` of Remark 3.2.6, on the mean loss.
    v : numpy.ndarray, optional
        Tangent vectors, shape ``(K, N, *x.shape[1:])``: :math:`K` directions at every
        point.
    beta : numpy.ndarray, optional
        Desired output tangents, shape ``(K, N, *out_shape)``; zeros (invariance) by
        default. Only with ``v``.
    mu : float
        :math:`\mu \ge 0`, the weight of :math:`R`. Only with ``v``.

    Returns
    -------
    theta : tuple
        The trained parameters.
    history : numpy.ndarray
        Shape ``(epochs,)``: for each epoch the mean over its steps' points of the
        objective, each step's value taken at the parameters before that step (as
        :meth:`~adjnets.networks.network.Network.gradient_step` returns it). This is the
        mean of :math:`J` (or :math:`\mathcal J_H`) per point plus
        :math:`\tfrac\lambda2\lVert\theta\rVert^2`.

    Raises
    ------
    ValueError
        If a size or rate is out of range (or NaN), ``x``, ``y``, ``v`` and ``beta``
        disagree on :math:`N` or have a non-finite entry, or ``beta``/``mu`` are given
        without ``v``.
    TypeError
        If an argument is of the wrong kind (``rng=None``, a float ``epochs``, a
        boolean array), or tangents ``v`` are given and ``network`` is not a
        ``Network``.
    adjnets.validation.NonFiniteLossError
        If the loss of a step is not finite: the message names the step and the last
        finite loss.

    Examples
    --------
    Fit :math:`\sin 3x` on :math:`[-1, 1]` with an MLP: fifty epochs of minibatches of
    16 points:

    >>> import numpy as np
    >>> from adjnets import MLP, squared, train
    >>> rng = np.random.default_rng(0)
    >>> x = rng.uniform(-1.0, 1.0, (64, 1))
    >>> mlp = MLP((1, 16, 1))
    >>> theta, history = train(
    ...     mlp, mlp.init(rng), x, np.sin(3 * x), squared,
    ...     lr=0.1, epochs=50, batch_size=16,
    ... )
    >>> history.shape, bool(history[-1] < history[0] / 10)  # the mean loss per epoch
    ((50,), True)
    """
    who = "train"
    lr = validation.positive("lr", lr, who)
    epochs = validation.positive_int("epochs", epochs, who=who)
    rng = validation.generator(rng, who)
    if not isinstance(loss, Loss):
        raise TypeError(f"{who} expected loss to be a Loss, got {type(loss).__name__}")
    x, y = (
        validation.as_float_array("x", x, who),
        validation.as_float_array("y", y, who),
    )
    if x.ndim < 1 or y.ndim < 1 or len(x) != len(y) or len(x) == 0:
        raise ValueError(
            "train expected inputs and targets with the same number N >= 1 of points "
            "along the "
            f"leading axis, got shapes {x.shape} and {y.shape}"
        )
    n = len(x)
    if batch_size is None:
        batch_size = n
    batch_size = validation.positive_int("batch_size", batch_size, who=who)
    if batch_size > n:
        raise ValueError(f"train expected batch_size <= N = {n}, got {batch_size}")
    weight_decay = validation.nonnegative("weight_decay", weight_decay, who)
    if v is None:
        if beta is not None or mu != 0:
            raise ValueError(
                "train expected beta and mu only together with tangent vectors v"
            )
    else:
        if not isinstance(network, Network):
            raise TypeError(
                "train expected a Network for training with tangents v, got "
                f"{type(network).__name__} (an MLP's network is mlp.network)"
            )
        v = validation.as_float_array("v", v, who)
        if v.ndim != x.ndim + 1 or v.shape[1:] != x.shape:
            raise ValueError(
                f"train expected tangents v of shape (K, *{x.shape}), got {v.shape}"
            )
        mu = validation.nonnegative("mu", mu, who)
        if beta is None:
            out_shape = np.shape(network(x[:1], theta))[1:]
            beta = np.zeros((len(v), n, *out_shape))
        beta = validation.as_float_array("beta", beta, who)
        if beta.ndim < 2 or beta.shape[:2] != (len(v), n):
            raise ValueError(
                f"train expected beta of shape ({len(v)}, {n}, ...), got {beta.shape}"
            )

    history = np.empty(epochs)
    step, last = 0, None
    for epoch in range(epochs):
        order = rng.permutation(n) if batch_size < n else np.arange(n)
        total = 0.0
        for start in range(0, n, batch_size):
            idx = order[start : start + batch_size]
            eta, decay = lr / len(idx), weight_decay * len(idx)
            if v is None or beta is None or not isinstance(network, Network):
                # without tangents (beta is set, and network a Network, whenever v is)
                theta, value = network.gradient_step(
                    x[idx], y[idx], theta, eta, loss, decay
                )
            else:
                theta, value = network.tangent_step(
                    x[idx], y[idx], v[:, idx], beta[:, idx], theta, eta, mu, loss, decay
                )
            last = validation.finite_loss(float(value), step, last, who)
            step += 1
            total += value
        history[epoch] = total / n
    return theta, history
