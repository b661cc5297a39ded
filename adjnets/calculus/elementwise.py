r"""Elementwise functions :math:`\Psi` built from a scalar operation :math:`\psi`
(thesis section 2.4).

:math:`\Psi(z)` applies :math:`\psi` to every entry of :math:`z`. Its derivative is the
Hadamard product with the elementwise first derivative (Proposition 2.4.1),

.. math:: D\Psi(z)\cdot v = \Psi'(z)\odot v, \qquad D^*\Psi(z) = D\Psi(z),

and its second derivative multiplies by the elementwise second derivative (Proposition
2.4.2), :math:`D^2\Psi(z)\cdot(v_1, v_2) = \Psi''(z)\odot v_1\odot v_2`.

Each function is evaluated stably for inputs of any size: ``sigmoid`` as
:math:`1/(1+e^{-z})`, with full relative precision in both tails (below
:math:`z = -709` it is 0, and the true value is under :math:`10^{-308}`), ``softplus``
through ``logaddexp``.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from adjnets import validation
from adjnets.calculus.linear import BilinearMap, LinearMap
from adjnets.calculus.maps import StateLinearization, StateMap
from adjnets.calculus.spaces import Array
from adjnets.pages.thesis import implements


@dataclass(frozen=True)
class Elementwise(StateMap):
    r"""An elementwise function :math:`\Psi` with its first and second derivatives.

    Parameters
    ----------
    name : str
    psi, dpsi, d2psi : callable
        The scalar operation :math:`\psi`, and :math:`\psi'`, :math:`\psi''`, all
        vectorised over arrays.
    dpsi_of_value : callable, optional
        :math:`\psi'` as a function of the value :math:`\psi(z)` when it is one
        (:math:`1-y^2` for tanh, :math:`y(1-y)` for the sigmoid), so that
        :meth:`value_and_derivative` needs one evaluation of :math:`\psi` instead of
        two.
    positive_only : bool, optional
        Whether :math:`\psi` is defined on positive numbers only (the logarithm):
        then ``__call__`` and ``linearize`` refuse an entry :math:`\le 0` with a
        ValueError, instead of returning NaN or :math:`-\infty`.
    d2psi_of_value : callable, optional
        :math:`\psi''` as a function of the value (:math:`-2y(1-y^2)` for tanh), so
        that a second derivative needs no second evaluation of :math:`\psi` either.
    nondecreasing : bool, optional
        Whether :math:`\psi` is nondecreasing, with :math:`\psi' = 0` wherever
        :math:`\psi` is locally constant (every activation of the package). Max-pooling
        then commutes with :math:`\Psi` (the book's own Proposition P.1), and a
        :class:`~adjnets.networks.layers.Then` pools first.

    Examples
    --------
    The derivative of an elementwise map is the Hadamard product with
    :math:`\Psi'(z)` (thesis section 2.4), which a central difference confirms:

    >>> import numpy as np
    >>> from adjnets import assert_directional, tanh
    >>> z, v = np.array([-1.0, 0.0, 2.0]), np.array([1.0, 1.0, 1.0])
    >>> tanh.derivative(z).round(4)  # 1 - tanh(z)²
    array([0.42  , 1.    , 0.0707])
    >>> print(assert_directional(tanh, tanh.derivative(z) * v, z, v) < 1e-7)
    True
    """

    name: str
    psi: Callable[[Array], Array]
    dpsi: Callable[[Array], Array]
    d2psi: Callable[[Array], Array]
    dpsi_of_value: Callable[[Array], Array] | None = None
    positive_only: bool = False
    nondecreasing: bool = False
    d2psi_of_value: Callable[[Array], Array] | None = None

    def __post_init__(self) -> None:
        validation.instance("name", self.name, str, "Elementwise")
        validation.instance(
            "nondecreasing", self.nondecreasing, bool, f"Elementwise({self.name})"
        )
        for field in ("psi", "dpsi", "d2psi"):
            validation.function(
                field, getattr(self, field), f"Elementwise({self.name})"
            )
        for field in ("dpsi_of_value", "d2psi_of_value"):
            if getattr(self, field) is not None:
                validation.function(field, getattr(self, field), repr(self))

    def validate(self, z: Array) -> Array:
        r"""The checks of :meth:`~adjnets.calculus.maps.StateMap.validate`, and for a
        map defined on positive numbers only, a ValueError naming the first entry
        :math:`\le 0`."""
        z = super().validate(z)
        if self.positive_only and not np.all(z > 0):
            bad = np.flatnonzero(~(z > 0))
            where = tuple(int(i) for i in np.unravel_index(bad[0], z.shape))
            raise ValueError(
                f"{self!r} expected z with positive entries, got {z.flat[bad[0]]} at "
                f"index {where} ({bad.size} entries <= 0)"
            )
        return z

    # __call__ and linearize check z at the boundary (validate: float64, finite, and
    # positive for the logarithm). The other methods are building blocks that layers
    # call inside their loops, once per time step: they check the kind and shapes of
    # their arguments (cheap), not finiteness (see adjnets.validation).

    def __call__(self, z: Array) -> Array:
        r""":math:`\Psi(z)`.

        Raises
        ------
        ValueError
            If ``z`` has a non-finite entry.
        TypeError
            If ``z`` is not an array of real numbers.
        """
        return self.psi(z)

    def _array(self, name: str, z: Array) -> Array:
        return validation.as_float_array(name, z, repr(self), finite=False)

    def derivative(self, z: Array, value: Array | None = None) -> Array:
        r"""The elementwise first derivative :math:`\Psi'(z)`.

        If the value :math:`\Psi(z)` is at hand, pass it as ``value``: where
        ``dpsi_of_value`` exists (tanh, the sigmoid) the derivative is then taken from
        it, without evaluating :math:`\psi` again.

        Raises
        ------
        ValueError
            If ``value`` is given and its shape is not that of ``z``.
        TypeError
            If ``z`` or ``value`` is not an array of real numbers.
        """
        z = self._array("z", z)
        if value is None:
            return self.dpsi(z)
        return self._derivative(z, self._value(z, value))

    def _value(self, z: Array, value: Array) -> Array:
        r"""``value``, given as :math:`\Psi(z)`, checked: real, of the shape of
        ``z``."""
        value = self._array("value", value)
        if value.shape != z.shape:
            raise ValueError(
                f"{self!r} expected value of the shape of z {z.shape}, got shape "
                f"{value.shape}"
            )
        return value

    def _derivative(self, z: Array, value: Array) -> Array:
        if self.dpsi_of_value is not None:
            return self.dpsi_of_value(value)
        return self.dpsi(z)

    def second_derivative(self, z: Array, value: Array | None = None) -> Array:
        r"""The elementwise second derivative :math:`\Psi''(z)`.

        ``value``, if given, is :math:`\Psi(z)`: where ``d2psi_of_value`` exists
        (tanh, the sigmoid) the second derivative is taken from it.

        Raises
        ------
        ValueError
            If ``value`` is given and its shape is not that of ``z``.
        TypeError
            If ``z`` or ``value`` is not an array of real numbers.
        """
        z = self._array("z", z)
        if value is None:
            return self.d2psi(z)
        return self._second_derivative(z, self._value(z, value))

    def _second_derivative(self, z: Array, value: Array) -> Array:
        if self.d2psi_of_value is not None:
            return self.d2psi_of_value(value)
        return self.d2psi(z)

    def value_and_derivative(self, z: Array) -> tuple[Array, Array]:
        r""":math:`\Psi(z)` and :math:`\Psi'(z)` together, the latter from the former
        where ``dpsi_of_value`` allows.

        Raises
        ------
        TypeError
            If ``z`` is not an array of real numbers.
        """
        z = self._array("z", z)
        y = self.psi(z)
        return y, self._derivative(z, y)

    @implements("Proposition 2.4.1")
    def D(self, z: Array, value: Array | None = None) -> LinearMap:
        r""":math:`D\Psi(z)`: :math:`v\mapsto\Psi'(z)\odot v`, self-adjoint
        (Proposition 2.4.1).

        ``value``, if given, is :math:`\Psi(z)` (see :meth:`derivative`). The map checks
        that its argument ends with the shape of ``z`` (after any leading axes).

        Raises
        ------
        ValueError, TypeError
            As :meth:`derivative`.
        """
        return self._D(self.derivative(z, value))

    def _D(self, slope: Array) -> LinearMap:
        who, shape = f"D{self.name}(z)", slope.shape
        return LinearMap(
            validation.checked(lambda v: slope * v, "v", shape, who, None),
            validation.checked(lambda w: slope * w, "w", shape, who + "*", None),
            who,
        )

    @implements("Proposition 2.4.2")
    def D2(self, z: Array) -> BilinearMap:
        r""":math:`D^2\Psi(z)`: :math:`(v_1, v_2)\mapsto\Psi''(z)\odot v_1\odot v_2`
        (Proposition 2.4.2).

        Both hooks, :math:`(v_1\lrcorner D^2\Psi(z))` and
        :math:`(D^2\Psi(z)\llcorner v_2)`, are self-adjoint: each multiplies by
        :math:`\Psi''(z)\odot v`.

        Raises
        ------
        TypeError
            If ``z`` is not an array of real numbers.
        """
        return self._D2(self._array("z", z), None)

    def _D2(self, z: Array, value: Array | None) -> BilinearMap:
        # on first use only: a plain gradient never needs it
        curvature = functools.cache(
            lambda: (
                self.d2psi(z) if value is None else self._second_derivative(z, value)
            )
        )

        def hooked(v: Array, w: Array) -> Array:
            return curvature() * v * w

        return BilinearMap(hooked, hooked, hooked, f"D²{self.name}(z)")

    def linearize(self, z: Array) -> StateLinearization:
        r""":math:`\Psi(z)`, :math:`D\Psi(z)` and :math:`D^2\Psi(z)`, as a map placed
        after a layer.

        Raises
        ------
        ValueError
            If ``z`` has a non-finite entry.
        TypeError
            If ``z`` is not an array of real numbers.
        """
        y = self.psi(z)
        return StateLinearization(y, self._D(self._derivative(z, y)), self._D2(z, y))

    def __repr__(self) -> str:
        return f"Elementwise({self.name})"


def _sigmoid(z: Array) -> Array:
    # 1 / (1 + e^(-z)) keeps full relative precision in both tails. Below z = -709,
    # e^(-z) overflows to inf and the value to 0, where the true value is under
    # 1e-308: that overflow, and underflow in either tail, is expected and not
    # reported. (Three times faster than the two-branch form with e^(-|z|).)
    with np.errstate(over="ignore", under="ignore"):
        return 1.0 / (1.0 + np.exp(np.negative(z)))


def _dsigmoid(z: Array) -> Array:
    s = _sigmoid(z)
    return s * (1.0 - s)


def _d2sigmoid(z: Array) -> Array:
    s = _sigmoid(z)
    return s * (1.0 - s) * (1.0 - 2.0 * s)


def _dtanh(z: Array) -> Array:
    return 1.0 - np.tanh(z) ** 2


def _d2tanh(z: Array) -> Array:
    t = np.tanh(z)
    return -2.0 * t * (1.0 - t**2)


identity = Elementwise(
    "identity", lambda z: z.copy(), np.ones_like, np.zeros_like, nondecreasing=True
)
"""The identity :math:`\\psi(z) = z`.

Its value is a copy of :math:`z`, never :math:`z` itself, like every other elementwise
map: writing into ``identity(z)`` leaves the caller's array alone (the copy costs no
more than any other elementwise map).
"""

sigmoid = Elementwise(
    "sigmoid",
    _sigmoid,
    _dsigmoid,
    _d2sigmoid,
    lambda s: s * (1.0 - s),
    nondecreasing=True,
    d2psi_of_value=lambda s: s * (1.0 - s) * (1.0 - 2.0 * s),
)
r"""The logistic sigmoid :math:`\psi(z) = 1/(1+e^{-z})`,
:math:`\psi' = \psi(1-\psi)`."""

tanh = Elementwise(
    "tanh",
    np.tanh,
    _dtanh,
    _d2tanh,
    lambda t: 1.0 - t**2,
    nondecreasing=True,
    d2psi_of_value=lambda t: -2.0 * t * (1.0 - t**2),
)
r"""The hyperbolic tangent, :math:`\psi' = 1-\tanh^2`."""

relu = Elementwise(
    "relu",
    lambda z: np.maximum(z, 0.0),
    lambda z: (z > 0).astype(float),
    np.zeros_like,
    nondecreasing=True,
)
r"""The rectified linear unit :math:`\max(z, 0)`; we take :math:`\psi'(0) = 0`, and
:math:`\psi'' = 0` away from the kink, where it is not defined."""

softplus = Elementwise(
    "softplus",
    lambda z: np.logaddexp(0.0, z),
    _sigmoid,
    _dsigmoid,
    nondecreasing=True,
)
r"""The softplus :math:`\log(1+e^z)`, a smooth ReLU whose derivative is the sigmoid."""

exp = Elementwise("exp", np.exp, np.exp, np.exp, nondecreasing=True)
"""The exponential."""

log = Elementwise(
    "log",
    np.log,
    lambda z: 1.0 / z,
    lambda z: -1.0 / z**2,
    positive_only=True,
    nondecreasing=True,
)
"""The natural logarithm, on positive entries (others are refused)."""


def leaky_relu(slope: float = 0.01) -> Elementwise:
    r"""The leaky ReLU :math:`\max(z, a z)` for a slope :math:`0 \le a < 1`.

    Raises
    ------
    ValueError
        If ``slope`` is not a finite number in [0, 1).
    TypeError
        If ``slope`` is not a real number (a bool, a string).
    """
    slope = validation.fraction("slope", slope, "leaky_relu")
    return Elementwise(
        f"leaky_relu({slope:g})",
        lambda z: np.where(z > 0, z, slope * z),
        lambda z: np.where(z > 0, 1.0, slope),
        np.zeros_like,
        nondecreasing=True,
    )


def _hadamard(a: Array, b: Array) -> Array:
    r""":math:`a\odot b` of two arrays of one shape (no broadcasting: the two are points
    of one space)."""
    a = validation.as_float_array("a", a, "hadamard")
    b = validation.as_float_array("b", b, "hadamard")
    if a.shape != b.shape:
        raise ValueError(
            f"hadamard expected a and b of one shape, got {a.shape} and {b.shape}"
        )
    out: Array = a * b
    return out


hadamard = BilinearMap(_hadamard, _hadamard, _hadamard, "⊙")
r"""The Hadamard product :math:`\odot` (thesis equation 2.12) as a symmetric bilinear
map.

In the standard basis it multiplies entries; both hooks :math:`(a\lrcorner\odot)` and
:math:`(\odot\llcorner a)` are multiplication by :math:`a` and so are self-adjoint,
which is the property :math:`\langle y, v\odot v'\rangle = \langle v\odot y, v'\rangle`
of (2.13).
"""

ELEMENTWISE: dict[str, Elementwise] = {
    f.name: f for f in (identity, sigmoid, tanh, relu, softplus, exp, log)
}
"""The built-in elementwise functions by name."""
