r"""adjnets: neural networks as compositions of maps between inner product spaces.

A NumPy reference implementation of the framework of A. L. Caterini, *A Novel
Mathematical Framework for the Analysis of Neural Networks* (MMath thesis, University of
Waterloo, 2017). A network is a composition of parameter-dependent maps
:math:`f_i(x; \theta_i)`; everything the book computes is built from their derivatives
:math:`Df`, the adjoints :math:`D^*f` (back-propagation) and the parameter derivatives
:math:`\nabla f` and :math:`\nabla^* f`.

Conventions used throughout the package:

* A point of a space is a NumPy array; a point of a direct product is a tuple (or
  NamedTuple) of arrays. Inner products are Frobenius:
  :math:`\langle A, B\rangle = \operatorname{tr}(A B^T)`, summed over the components of
  a tuple.
* A batch of :math:`N` points of :math:`E` is an element of
  :math:`\mathbb{R}^N \otimes E`: an array whose leading axis has length :math:`N`. The
  loss of a batch is the *sum* of the losses of its points.
* Everything is float64.
"""

from adjnets import (
    approximation,
    autoencoder,
    calculus,
    check,
    cnn,
    optim,
    gated,
    rnn_analysis,
    datasets,
    depth,
    digits,
    rnn,
    rnn_variants,
    thesis,
    training,
)
from adjnets.autoencoder import TiedAutoencoder, TiedDense, TiedParams
from adjnets.gated import GateParams, GRUCell, GRUParams, LSTMCell, LSTMParams, ReadH
from adjnets.cnn import Conv2d, ConvParams, Flatten, MaxPool2d, conv_layer
from adjnets.rnn_variants import BidirectionalRNN, NetworkCell
from adjnets.rnn import RNN, RNNParams, VanillaCell, VanillaParams, VanillaRNN
from adjnets.display import source
from adjnets.elementwise import (
    ELEMENTWISE,
    Elementwise,
    exp,
    hadamard,
    identity,
    leaky_relu,
    log,
    relu,
    sigmoid,
    softplus,
    tanh,
)
from adjnets.layers import Dense, DenseParams, Then
from adjnets.maps import Layer, Linearization, StateLinearization, StateMap
from adjnets.linear import BilinearMap, LinearMap
from adjnets.losses import Loss, cross_entropy, one_hot, squared
from adjnets.mlp import MLP
from adjnets.network import Forward, Network, NetworkLayer, TangentForward
from adjnets.softmax import D_log_softmax, D_softmax, log_softmax, softmax
from adjnets.spaces import inner, norm, random_like, tree_map

__version__ = "0.1.0"

__all__ = [
    "__version__",
    "approximation",
    "autoencoder",
    "BidirectionalRNN",
    "BilinearMap",
    "calculus",
    "check",
    "cnn",
    "Conv2d",
    "conv_layer",
    "ConvParams",
    "cross_entropy",
    "D_log_softmax",
    "D_softmax",
    "datasets",
    "Dense",
    "DenseParams",
    "depth",
    "digits",
    "Elementwise",
    "ELEMENTWISE",
    "exp",
    "Flatten",
    "Forward",
    "gated",
    "GateParams",
    "GRUCell",
    "GRUParams",
    "hadamard",
    "identity",
    "inner",
    "Layer",
    "leaky_relu",
    "Linearization",
    "LinearMap",
    "log",
    "log_softmax",
    "Loss",
    "LSTMCell",
    "LSTMParams",
    "MaxPool2d",
    "MLP",
    "Network",
    "NetworkCell",
    "NetworkLayer",
    "norm",
    "one_hot",
    "optim",
    "random_like",
    "ReadH",
    "relu",
    "RNN",
    "rnn",
    "rnn_analysis",
    "rnn_variants",
    "RNNParams",
    "sigmoid",
    "softmax",
    "softplus",
    "source",
    "squared",
    "StateLinearization",
    "StateMap",
    "TangentForward",
    "tanh",
    "Then",
    "thesis",
    "TiedAutoencoder",
    "TiedDense",
    "TiedParams",
    "training",
    "tree_map",
    "VanillaCell",
    "VanillaParams",
    "VanillaRNN",
]
