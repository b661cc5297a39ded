"""The convolutional network of thesis section 4.2.

* :mod:`~adjnets.specific.cnn.operators`: the thesis's cropping, embedding, convolution
  and pooling operators with its 1-based indices, literally, for small inputs and
  checks;
* :mod:`~adjnets.specific.cnn.layers`: the vectorised convolution and pooling, the
  layers :class:`~adjnets.specific.cnn.layers.Conv2d`,
  :class:`~adjnets.specific.cnn.layers.MaxPool2d` and
  :class:`~adjnets.specific.cnn.layers.Flatten`, and the CNN itself.
"""

from adjnets.specific.cnn import layers, operators

__all__ = ["layers", "operators"]
