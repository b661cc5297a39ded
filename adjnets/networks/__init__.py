"""The generic network of thesis chapter 3.

The maps a network is made of, and their linearizations, are those of
:mod:`adjnets.calculus.maps`.

* :mod:`~adjnets.networks.layers`: the dense layer and compositions of maps;
* :mod:`~adjnets.networks.network`: the composition
  :math:`F = f_L\\circ\\dots\\circ f_1` with back-propagation, the parameter gradient,
  the gradient step and the higher-order (tangent) loss;
* :mod:`~adjnets.networks.depth`: how a back-propagated vector shrinks or grows with
  depth.
"""

from adjnets.networks import depth, layers, network

__all__ = ["depth", "layers", "network"]
