"""The calculus of thesis chapter 2: the tools every network is built from.

* :mod:`~adjnets.calculus.spaces`: points of inner product spaces (arrays, and tuples of
  them for direct products), inner products and trees;
* :mod:`~adjnets.calculus.linear`: linear maps with their adjoints, bilinear maps with
  their hooks (section 2.1);
* :mod:`~adjnets.calculus.derivatives`: derivatives of compositions and of
  parameter-dependent maps, first and second order (sections 2.2 and 2.3);
* :mod:`~adjnets.calculus.maps`: the two kinds of maps a network is made of,
  parameter-dependent maps :math:`f(x;\\theta)` (section 2.3) and parameter-free state
  maps, and their linearizations at a point;
* :mod:`~adjnets.calculus.elementwise` and :mod:`~adjnets.calculus.softmax`: elementwise
  functions and the softmax (section 2.4);
* :mod:`~adjnets.calculus.losses`: the losses of a network's output (sections 3.2, 3.3);
* :mod:`~adjnets.calculus.check`: the numerical checks every page and test runs.
"""

from adjnets.calculus import (
    check,
    derivatives,
    elementwise,
    linear,
    losses,
    maps,
    softmax,
    spaces,
)

__all__ = [
    "check",
    "derivatives",
    "elementwise",
    "linear",
    "losses",
    "maps",
    "softmax",
    "spaces",
]
