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

The package has a room for each part of the book:

==========================  ============================================================
:mod:`adjnets.calculus`     chapter 2: spaces, linear and bilinear maps, derivatives,
                            maps, elementwise maps, the softmax, the losses, the checks
:mod:`adjnets.networks`     chapter 3: the dense layer and the generic network
:mod:`adjnets.specific`     chapter 4: the MLP, the CNN (the thesis's operators and the
                            vectorised layers) and the tied auto-encoder
:mod:`adjnets.recurrent`    chapter 5: the generic and vanilla RNN, gated cells,
                            variants
:mod:`adjnets.data`         every data set (the digits, synthetic sets and sequences)
:mod:`adjnets.training`     every training loop and optimiser
:mod:`adjnets.beyond`       Part IV: the thesis's future work, done (the book's own)
:mod:`adjnets.pages`        the thesis's results registry and the pages' display helpers
:mod:`adjnets.validation`   the checks of every argument at the public boundary
:mod:`adjnets.autodiff`     the book's maps in JAX (optional; not imported here)
==========================  ============================================================

The names a user needs most (the networks, the losses, the data, training, the
optimisers and the checks) are also importable from ``adjnets`` itself; ``import
adjnets`` needs only NumPy.

Bad input is refused where it comes in, by one validation layer
(:mod:`adjnets.validation`): a wrong shape, size or range is a :class:`ValueError`, a
wrong kind (a complex or boolean array, ``None`` as a generator, a float as a width) a
:class:`TypeError`, and the message names the argument, what was expected and what
came. NaN and infinities are refused in inputs, targets, tangents and parameters; a
training loop whose loss stops being finite raises
:class:`~adjnets.validation.NonFiniteLossError` with the step and the last finite loss.

Examples
--------
Train a multilayer perceptron (thesis section 4.1) on the bundled handwritten digits
for five epochs, then check its gradient against a central difference of the loss.
This is the quick start of the README (a test keeps the two the same program):

>>> import numpy as np
>>> from adjnets import (
...     MLP, assert_gradient, cross_entropy, load_digits, one_hot, train
... )
>>> x_train, x_test, y_train, y_test = load_digits(test_size=0.2, seed=0)
>>> x_train, x_test = x_train.reshape(-1, 64), x_test.reshape(-1, 64)
>>> mlp = MLP((64, 32, 10))  # R^64 -> R^32 (tanh) -> R^10, softmax in the loss
>>> theta = mlp.init(np.random.default_rng(0))
>>> theta, _ = train(
...     mlp,
...     theta,
...     x_train,
...     one_hot(y_train, 10),
...     cross_entropy,
...     lr=0.2,
...     epochs=5,
...     batch_size=32,
...     rng=0,
... )
>>> accuracy = np.mean(mlp(x_test, theta).argmax(axis=1) == y_test)
>>> print(f"test accuracy after 5 epochs: {accuracy:.3f}")
test accuracy after 5 epochs: 0.936

The gradient of Theorem 4.1.5 against a central difference of the loss along a random
direction (``assert_gradient`` raises ``AssertionError`` if they disagree):

>>> def loss(t):  # the loss on the test set, and its gradient by Theorem 4.1.5
...     return mlp.loss_and_gradient(x_test, one_hot(y_test, 10), t, cross_entropy)
>>> relative_error = assert_gradient(
...     lambda t: loss(t)[0], loss(theta)[1], theta, np.random.default_rng(1)
... )
>>> print("gradient check passed")
gradient check passed
"""

from adjnets import (
    beyond,
    calculus,
    data,
    networks,
    pages,
    recurrent,
    specific,
    training,
    validation,
)
from adjnets.calculus.check import (
    adjoint_error,
    assert_adjoint,
    assert_directional,
    assert_gradient,
    assert_second_directional,
    central_difference,
)
from adjnets.calculus.elementwise import (
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
from adjnets.calculus.linear import BilinearMap, LinearMap
from adjnets.calculus.losses import Loss, cross_entropy, one_hot, squared
from adjnets.calculus.maps import Layer, Linearization, StateLinearization, StateMap
from adjnets.calculus.softmax import D_log_softmax, D_softmax, log_softmax, softmax
from adjnets.calculus.spaces import inner, norm, random_like, tree_map
from adjnets.data.digits import load_digits
from adjnets.networks.layers import Dense, DenseParams, Then
from adjnets.networks.network import Forward, Network, NetworkLayer, TangentForward
from adjnets.pages.display import source
from adjnets.recurrent.gated import (
    GateParams,
    GRUCell,
    GRUParams,
    LSTMCell,
    LSTMParams,
    ReadH,
)
from adjnets.recurrent.rnn import RNN, RNNParams, VanillaCell, VanillaParams, VanillaRNN
from adjnets.recurrent.variants import BidirectionalRNN, NetworkCell
from adjnets.specific.autoencoder import TiedAutoencoder, TiedDense, TiedParams
from adjnets.specific.cnn.layers import (
    Conv2d,
    ConvParams,
    Flatten,
    MaxPool2d,
    cnn,
    conv_layer,
)
from adjnets.specific.mlp import MLP
from adjnets.training.loops import train
from adjnets.training.optim import (
    SGD,
    AdaGrad,
    Adam,
    GradientDescent,
    HeavyBall,
    Nesterov,
    fit,
)
from adjnets.validation import NonFiniteLossError

__version__ = "0.1.0"

__all__ = [
    "ELEMENTWISE",
    "MLP",
    "RNN",
    "SGD",
    "AdaGrad",
    "Adam",
    "BidirectionalRNN",
    "BilinearMap",
    "Conv2d",
    "ConvParams",
    "D_log_softmax",
    "D_softmax",
    "Dense",
    "DenseParams",
    "Elementwise",
    "Flatten",
    "Forward",
    "GRUCell",
    "GRUParams",
    "GateParams",
    "GradientDescent",
    "HeavyBall",
    "LSTMCell",
    "LSTMParams",
    "Layer",
    "LinearMap",
    "Linearization",
    "Loss",
    "MaxPool2d",
    "Nesterov",
    "Network",
    "NetworkCell",
    "NetworkLayer",
    "NonFiniteLossError",
    "RNNParams",
    "ReadH",
    "StateLinearization",
    "StateMap",
    "TangentForward",
    "Then",
    "TiedAutoencoder",
    "TiedDense",
    "TiedParams",
    "VanillaCell",
    "VanillaParams",
    "VanillaRNN",
    "__version__",
    "adjoint_error",
    "assert_adjoint",
    "assert_directional",
    "assert_gradient",
    "assert_second_directional",
    "beyond",
    "calculus",
    "central_difference",
    "cnn",
    "conv_layer",
    "cross_entropy",
    "data",
    "exp",
    "fit",
    "hadamard",
    "identity",
    "inner",
    "leaky_relu",
    "load_digits",
    "log",
    "log_softmax",
    "networks",
    "norm",
    "one_hot",
    "pages",
    "random_like",
    "recurrent",
    "relu",
    "sigmoid",
    "softmax",
    "softplus",
    "source",
    "specific",
    "squared",
    "tanh",
    "train",
    "training",
    "tree_map",
    "validation",
]
