"""The specific networks of thesis chapter 4 (and of the book's approximation appendix).

* :mod:`~adjnets.specific.mlp`: the multilayer perceptron (section 4.1);
* :mod:`~adjnets.specific.cnn`: the convolutional network (section 4.2), in two modules:
  the thesis's operators written literally, and the vectorised layers the network uses;
* :mod:`~adjnets.specific.autoencoder`: the deep auto-encoder with tied weights (4.3);
* :mod:`~adjnets.specific.approximation`: a ReLU network that interpolates, for the
  universal-approximation appendix.
"""

from adjnets.specific import approximation, autoencoder, cnn, mlp

__all__ = ["approximation", "autoencoder", "cnn", "mlp"]
