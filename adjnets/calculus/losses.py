r"""Loss functions of a network's output (thesis sections 3.2 and 3.3).

Each loss is evaluated on a batch (leading axis) and is the **sum** of the per-point
losses; its ``error`` is the vector :math:`e_L` that back-propagation starts from, the
gradient of the loss with respect to the network output :math:`\hat y = F(x;\theta)`.

* :data:`squared`: :math:`J_R = \tfrac12\lVert y-\hat y\rVert^2`, error
  :math:`\hat y - y` (thesis equation 3.6 and Theorem 3.2.2).
* :data:`cross_entropy`:
  :math:`J_C = -\langle y, (\operatorname{Log}\circ\sigma)(\hat y)\rangle`, error
  :math:`\langle\mathbf 1, y\rangle\,\sigma(\hat y) - y`, which is
  :math:`\sigma(\hat y)-y` for a one-hot :math:`y` (equation 3.9, Lemma 2.4.4, Remark
  2.4.5, Theorem 3.2.4).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from adjnets import validation
from adjnets.calculus.softmax import D_log_softmax, log_softmax, softmax
from adjnets.calculus.spaces import Array, Labels
from adjnets.pages.thesis import implements


@dataclass(frozen=True)
class Loss:
    r"""A loss :math:`J(\hat y, y)` and its gradient in :math:`\hat y` (the initial
    error :math:`e_L`).

    Attributes
    ----------
    name : str
    value : callable
        :math:`(\hat y, y)\mapsto J`, summed over the batch.
    error : callable
        :math:`(\hat y, y)\mapsto \nabla_{\hat y} J`, the error vector :math:`e_L`.
    predict : callable
        The network's prediction from its output: :math:`\hat y_R = F` for regression,
        :math:`\hat y_C = \sigma(F)` for classification. The regression prediction is
        ``F`` itself, not a copy (a view of the output, on purpose: it costs nothing).

    Examples
    --------
    The cross-entropy of an output :math:`F` and a one-hot target, and its error
    :math:`e_L = \sigma(F) - y` (Remark 2.4.5), the gradient of the loss in :math:`F`:

    >>> import numpy as np
    >>> from adjnets import assert_gradient, cross_entropy, one_hot, softmax, squared
    >>> F, y = np.array([[2.0, 0.0, -1.0]]), one_hot(np.array([0]), 3)
    >>> print(f"{cross_entropy.value(F, y):.4f}")  # -log σ(F)_0
    0.1698
    >>> e = cross_entropy.error(F, y)
    >>> np.allclose(e, softmax(F) - y)
    True
    >>> def J(F):
    ...     return cross_entropy.value(F, y)
    >>> print(assert_gradient(J, e, F, np.random.default_rng(0)) < 1e-7)
    True
    >>> squared.value(F, y), squared.predict(F) is F  # ½‖F − y‖², for regression
    (1.0, True)
    """

    name: str
    # the repr names the loss only: its functions' reprs are long and say nothing
    value: Callable[[Array, Array], float] = field(repr=False)
    error: Callable[[Array, Array], Array] = field(repr=False)
    predict: Callable[[Array], Array] = field(repr=False)
    # value and error as given, without the checks: for callers that checked already
    _value: Callable[[Array, Array], float] = field(
        init=False, repr=False, compare=False
    )
    _error: Callable[[Array, Array], Array] = field(
        init=False, repr=False, compare=False
    )

    def __post_init__(self) -> None:
        # value and error check their arguments at the boundary (see adjnets.validation)
        value, error = self.value, self.error
        object.__setattr__(self, "_value", value)
        object.__setattr__(self, "_error", error)

        def checked_value(y_hat: Array, y: Array) -> float:
            return value(*self.validate(y_hat, y))

        def checked_error(y_hat: Array, y: Array) -> Array:
            return error(*self.validate(y_hat, y))

        object.__setattr__(self, "value", checked_value)
        object.__setattr__(self, "error", checked_error)

    def check(self, y_hat: Array, y: Array) -> None:
        """Raise ValueError unless the targets ``y`` have the shape of the output
        ``y_hat`` (shapes only: a masked target may be NaN)."""
        if np.shape(y_hat) != np.shape(y):
            raise ValueError(
                f"{self.name} loss expected targets of the output's shape "
                f"{np.shape(y_hat)}, "
                f"got {np.shape(y)}"
            )

    def validate(self, y_hat: Array, y: Array) -> tuple[Array, Array]:
        """``y_hat`` and ``y`` as finite float64 arrays of one shape, or the error
        that says which is wrong (:mod:`adjnets.validation`)."""
        who = f"{self.name} loss"
        y_hat = validation.as_float_array("outputs y_hat", y_hat, who)
        y = validation.as_float_array("targets y", y, who)
        self.check(y_hat, y)
        return y_hat, y


squared = Loss(
    "squared",
    value=lambda y_hat, y: 0.5 * float(np.sum((y_hat - y) ** 2)),
    error=lambda y_hat, y: y_hat - y,
    predict=lambda y_hat: y_hat,
)
"""The squared loss of regression, :math:`J_R` (thesis equation 3.6)."""


@implements("Remark 2.4.5", "Lemma 2.4.4")
def _cross_entropy_error(y_hat: Array, y: Array) -> Array:
    r""":math:`D^*(\operatorname{Log}\circ\sigma)(\hat y)` applied to :math:`-y`:
    :math:`\langle\mathbf 1, y\rangle\sigma(\hat y) - y`.

    Lemma 2.4.4; for a one-hot :math:`y`, :math:`\langle\mathbf 1, y\rangle = 1` and the
    error is :math:`\sigma(\hat y) - y` (Remark 2.4.5).
    """
    error: Array = -D_log_softmax(y_hat).adj(y)
    return error


cross_entropy = Loss(
    "cross-entropy",
    value=lambda y_hat, y: -float(np.sum(y * log_softmax(y_hat))),
    error=_cross_entropy_error,
    predict=softmax,
)
"""The softmax cross-entropy loss of classification, :math:`J_C` (thesis equation
3.9)."""


@implements("Remark 2.4.5")
def one_hot(labels: Labels, n_classes: int) -> Array:
    """One-hot encodings of integer class labels (thesis Remark 2.4.5), shape
    ``(N, n_classes)``.

    Examples
    --------
    >>> import numpy as np
    >>> from adjnets import one_hot
    >>> one_hot(np.array([2, 0]), 3)
    array([[0., 0., 1.],
           [1., 0., 0.]])
    """
    n_classes = validation.positive_int("n_classes", n_classes, who="one_hot")
    labels = validation.labels("labels", labels, "one_hot", n_classes)
    encoded: Array = np.eye(n_classes)[labels]
    return encoded
