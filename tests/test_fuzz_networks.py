"""Fuzz cases for the networks of chapters 3 and 4 (issue 14, item 3): every public
callable of :mod:`adjnets.networks` and :mod:`adjnets.specific` refuses bad input."""

from __future__ import annotations

import numpy as np

from adjnets import (
    MLP,
    Conv2d,
    Dense,
    Flatten,
    MaxPool2d,
    Network,
    NetworkLayer,
    Then,
    TiedAutoencoder,
    TiedDense,
    cnn,
    conv_layer,
    squared,
    tanh,
)
from adjnets.calculus.maps import Layer, StateMap
from adjnets.networks.depth import backward_norms, layer_derivatives, random_weights
from adjnets.specific.approximation import hat_network, hat_slopes
from adjnets.specific.autoencoder import masked_transpose, reparametrize
from adjnets.specific.cnn import operators as op
from adjnets.specific.cnn.layers import (
    conv_filter_adjoint,
    conv_input_adjoint,
    conv_output_size,
    convolution,
    convolve,
    crops,
    thesis_filter,
)
from tests._fuzz import Bad, params, refuses

V, T = ValueError, TypeError
NAN, INF = np.nan, np.inf
rng = np.random.default_rng(0)

net = Network([Dense(4, 6, tanh), Dense(6, 3)])
th = net.init(rng)
x = rng.standard_normal((5, 4))
y = rng.standard_normal((5, 3))
v = rng.standard_normal((2, 5, 4))
beta = rng.standard_normal((2, 5, 3))
fwd = net.forward(x, th)
tfwd = net.tangent_forward(x, v, th)
dense = Dense(4, 3)
dth = dense.init(rng)
lin = dense.linearize(x, dth)
mlp = MLP((4, 5, 3))
mth = mlp.init(rng)
dae = TiedAutoencoder((5, 3))
ath = dae.init(rng)
ax = rng.uniform(size=(4, 5))
conv = Conv2d(1, 2, 3)
cth = conv.init(rng)
img = rng.standard_normal((2, 6, 6, 1))
cnet = cnn((8, 8, 1), [2], 3)
cnth = cnet.init(rng)


def nan_at(a: np.ndarray, value: float = NAN) -> np.ndarray:
    b = np.array(a, dtype=float)
    b.flat[0] = value
    return b


CASES: list[Bad] = [
    # -- Dense, Then, Layer, StateMap, Linearization ---------------------------------
    Bad("Dense", "width 0", lambda: Dense(0, 3), V, "n_in"),
    Bad("Dense", "negative width", lambda: Dense(3, -1), V, "n_out"),
    Bad("Dense", "float width", lambda: Dense(3.0, 2), T, "n_in"),  # type: ignore[arg-type]
    Bad("Dense", "None width", lambda: Dense(3, None), T, "n_out"),  # type: ignore[arg-type]
    Bad("Dense", "bool width", lambda: Dense(True, 2), T, "n_in"),
    Bad("Dense", "activation a string", lambda: Dense(3, 2, "tanh"), T, "activation"),  # type: ignore[arg-type]
    Bad("Dense", "wrong last axis", lambda: dense(x[:, :3], dth), V, r"x of shape"),
    Bad("Dense", "NaN input", lambda: dense(nan_at(x), dth), V, "finite values in x"),
    Bad(
        "Dense", "inf in W", lambda: dense(x, (nan_at(dth.W, INF), dth.b)), V, "theta.W"
    ),
    Bad(
        "Dense",
        "W transposed",
        lambda: dense.linearize(x, (dth.W.T, dth.b)),
        V,
        "theta.W",
    ),
    Bad("Dense", "boolean input", lambda: dense(x > 0, dth), T, "x"),
    Bad("Dense", "complex input", lambda: dense(x + 1j, dth), T, "x"),
    Bad("Dense", "string input", lambda: dense(np.array([["a"] * 4]), dth), T, "x"),
    Bad("Dense.init", "rng None", lambda: dense.init(None), T, "rng"),  # type: ignore[arg-type]
    Bad(
        "Layer.validate",
        "wrong theta",
        lambda: Layer.validate(dense, x, dth[0]),
        T,
        "theta",
    ),
    Bad(
        "StateMap.validate", "NaN z", lambda: StateMap.validate(tanh, nan_at(x)), V, "z"
    ),
    Bad("Linearization.D", "one point for a batch", lambda: lin.D(x[0, :3]), V, "v"),
    Bad("Linearization.grad", "wrong u", lambda: lin.grad((dth.W.T, dth.b)), V, "u.W"),
    Bad("Then", "maps not StateMaps", lambda: Then(dense, (dense,)), T, "maps"),  # type: ignore[arg-type]
    Bad("Then", "first not a Layer", lambda: Then(tanh, ()), T, "first"),  # type: ignore[arg-type]
    Bad("Then", "wrong last axis", lambda: Then(dense, (tanh,))(x[:, :2], dth), V, "x"),
    # -- Network --------------------------------------------------------------------
    Bad("Network", "no layers", lambda: Network([]), V, "layer"),
    Bad("Network", "not a layer", lambda: Network([dense, tanh]), T, "layer 2"),  # type: ignore[list-item]
    Bad(
        "Network",
        "negative input size",
        lambda: Network([dense], (-4,)),
        V,
        "input_shape",
    ),
    Bad(
        "Network.__call__",
        "wrong last axis",
        lambda: net(x[:, :3], th),
        V,
        r"x of shape",
    ),
    Bad("Network.__call__", "too few parameters", lambda: net(x, th[:1]), T, "theta"),
    Bad(
        "Network.__call__",
        "W transposed",
        lambda: net(x, ((th[0].W.T, th[0].b), th[1])),
        V,
        r"theta\.0\.W",
    ),
    Bad(
        "Network.__call__",
        "NaN in theta",
        lambda: net(x, ((nan_at(th[0].W), th[0].b), th[1])),
        V,
        "theta",
    ),
    Bad(
        "Network.__call__",
        "inf input",
        lambda: net(nan_at(x, INF), th),
        V,
        "finite values in x",
    ),
    Bad("Network.head", "i = L + 1", lambda: net.head(3, th), V, r"\bi\b"),
    Bad("Network.head", "i negative", lambda: net.head(-1, th), V, r"\bi\b"),
    Bad("Network.head", "i float", lambda: net.head(1.0, th), T, r"\bi\b"),  # type: ignore[arg-type]
    Bad("Network.tail", "i = 0", lambda: net.tail(0, th), V, r"\bi\b"),
    Bad("Network.tail", "i = L + 2", lambda: net.tail(4, th), V, r"\bi\b"),
    Bad("Network.forward", "complex input", lambda: net.forward(x + 0j, th), T, "x"),
    Bad(
        "Network.backpropagate",
        "e of wrong shape",
        lambda: net.backpropagate(fwd, y[:, :2]),
        V,
        "e of shape",
    ),
    Bad(
        "Network.backpropagate",
        "NaN e",
        lambda: net.backpropagate(fwd, nan_at(y)),
        V,
        "e",
    ),
    Bad(
        "Network.backpropagate",
        "not a Forward",
        lambda: net.backpropagate(None, y),
        T,
        "fwd",
    ),  # type: ignore[arg-type]
    Bad(
        "Network.input_cotangent",
        "e one point",
        lambda: net.input_cotangent(fwd, y[0]),
        V,
        "e",
    ),
    Bad(
        "Network.grad_adjoint",
        "inf e",
        lambda: net.grad_adjoint(fwd, nan_at(y, INF)),
        V,
        "e",
    ),
    Bad(
        "Network.loss_and_gradient",
        "targets (5,) for outputs (5, 3)",
        lambda: net.loss_and_gradient(x, y[:, 0], th, squared),
        V,
        "targets",
    ),
    Bad(
        "Network.loss_and_gradient",
        "NaN target",
        lambda: net.loss_and_gradient(x, nan_at(y), th, squared),
        V,
        "targets y",
    ),
    Bad(
        "Network.loss_and_gradient",
        "negative weight decay",
        lambda: net.loss_and_gradient(x, y, th, squared, -1.0),
        V,
        "weight_decay",
    ),
    Bad(
        "Network.loss_and_gradient",
        "loss a string",
        lambda: net.loss_and_gradient(x, y, th, "squared"),
        T,
        "loss",
    ),  # type: ignore[arg-type]
    Bad(
        "Network.gradient_step",
        "eta 0",
        lambda: net.gradient_step(x, y, th, 0.0, squared),
        V,
        "eta",
    ),
    Bad(
        "Network.gradient_step",
        "eta NaN",
        lambda: net.gradient_step(x, y, th, NAN, squared),
        V,
        "eta",
    ),
    Bad(
        "Network.gradient_step",
        "eta inf",
        lambda: net.gradient_step(x, y, th, INF, squared),
        V,
        "eta",
    ),
    Bad(
        "Network.gradient_step",
        "eta bool",
        lambda: net.gradient_step(x, y, th, True, squared),
        T,
        "eta",
    ),
    Bad(
        "Network.gradient_step",
        "weight decay NaN",
        lambda: net.gradient_step(x, y, th, 0.1, squared, NAN),
        V,
        "weight_decay",
    ),
    Bad(
        "Network.tangent_forward",
        "v wrong last axis",
        lambda: net.tangent_forward(x, v[..., :3], th),
        V,
        "v of shape",
    ),
    Bad(
        "Network.tangent_forward",
        "v NaN",
        lambda: net.tangent_forward(x, nan_at(v), th),
        V,
        "v",
    ),
    Bad(
        "Network.tangent_forward",
        "v two extra axes",
        lambda: net.tangent_forward(x, v[None], th),
        V,
        "v of shape",
    ),
    Bad(
        "Network.tangent_backpropagate",
        "e without K",
        lambda: net.tangent_backpropagate(tfwd, y),
        V,
        "e of shape",
    ),
    Bad(
        "Network.tangent_backpropagate",
        "start of one point",
        lambda: net.tangent_backpropagate(tfwd, beta, beta[0]),
        V,
        "start",
    ),
    Bad(
        "Network.tangent_grad_adjoint",
        "NaN e",
        lambda: net.tangent_grad_adjoint(tfwd, nan_at(beta)),
        V,
        "e",
    ),
    Bad(
        "Network.tangent_grad_adjoint",
        "not a TangentForward",
        lambda: net.tangent_grad_adjoint(fwd, beta),
        T,
        "tfwd",
    ),  # type: ignore[arg-type]
    Bad(
        "Network.tangent_penalty",
        "v without K",
        lambda: net.tangent_penalty(x, x, beta, th),
        V,
        "v of shape",
    ),
    Bad(
        "Network.tangent_penalty",
        "beta wrong shape",
        lambda: net.tangent_penalty(x, v, beta[0], th),
        V,
        "beta",
    ),
    Bad(
        "Network.tangent_loss_and_gradient",
        "mu negative",
        lambda: net.tangent_loss_and_gradient(x, y, v, beta, th, -1.0, squared),
        V,
        "mu",
    ),
    Bad(
        "Network.tangent_loss_and_gradient",
        "beta inf",
        lambda: net.tangent_loss_and_gradient(
            x, y, v, nan_at(beta, INF), th, 1.0, squared
        ),
        V,
        "beta",
    ),
    Bad(
        "Network.tangent_step",
        "eta negative",
        lambda: net.tangent_step(x, y, v, beta, th, -0.1, 1.0, squared),
        V,
        "eta",
    ),
    Bad("NetworkLayer", "not a network", lambda: NetworkLayer(dense), T, "network"),  # type: ignore[arg-type]
    Bad(
        "NetworkLayer",
        "wrong last axis",
        lambda: NetworkLayer(net)(x[:, :2], th),
        V,
        "x",
    ),
    # -- depth ----------------------------------------------------------------------
    Bad("random_weights", "rng None", lambda: random_weights(None, 3, 2), T, "rng"),  # type: ignore[arg-type]
    Bad("random_weights", "width 0", lambda: random_weights(rng, 0, 2), V, "width"),
    Bad("random_weights", "depth 2.0", lambda: random_weights(rng, 3, 2.0), T, "depth"),  # type: ignore[arg-type]
    Bad(
        "random_weights", "gain NaN", lambda: random_weights(rng, 3, 2, NAN), V, "gain"
    ),
    Bad(
        "layer_derivatives",
        "x one point",
        lambda: layer_derivatives([np.eye(4)], tanh, x[0]),
        V,
        "x",
    ),
    Bad(
        "layer_derivatives",
        "NaN weight",
        lambda: layer_derivatives([nan_at(np.eye(4))], tanh, x),
        V,
        "W_1",
    ),
    Bad(
        "layer_derivatives",
        "chain broken",
        lambda: layer_derivatives([np.eye(4), np.eye(3)], tanh, x),
        V,
        "W_2",
    ),
    Bad(
        "backward_norms",
        "w wrong shape",
        lambda: backward_norms([np.eye(4)], tanh, x, x[:, :3]),
        V,
        "w of shape",
    ),
    Bad(
        "backward_norms",
        "zero w",
        lambda: backward_norms([np.eye(4)], tanh, x, 0 * x),
        V,
        "cotangent w",
    ),
    Bad(
        "backward_norms",
        "inf in w",
        lambda: backward_norms([np.eye(4)], tanh, x, nan_at(x, INF)),
        V,
        "w",
    ),
    # -- MLP ------------------------------------------------------------------------
    Bad("MLP", "width 0", lambda: MLP((4, 0, 3)), V, "sizes"),
    Bad("MLP", "float width", lambda: MLP((4, 2.0)), T, "sizes"),  # type: ignore[arg-type]
    Bad("MLP", "one size", lambda: MLP((4,)), V, "sizes"),
    Bad(
        "MLP.forward",
        "one point",
        lambda: mlp.forward(x[0], mth),
        V,
        r"x of shape \(N, 4\)",
    ),
    Bad(
        "MLP.forward",
        "wrong parameters",
        lambda: mlp.forward(x, (mth[0], mth[0])),
        V,
        "theta",
    ),
    Bad(
        "MLP.loss_and_gradient",
        "targets (5,)",
        lambda: mlp.loss_and_gradient(x, y[:, 0], mth, squared),
        V,
        "targets",
    ),
    Bad(
        "MLP.loss_and_gradient",
        "NaN input",
        lambda: mlp.loss_and_gradient(nan_at(x), y, mth, squared),
        V,
        "x",
    ),
    Bad(
        "MLP.gradient_step",
        "eta negative",
        lambda: mlp.gradient_step(x, y, mth, -1.0, squared),
        V,
        "eta",
    ),
    Bad(
        "MLP.backpropagate",
        "e wrong shape",
        lambda: mlp.backpropagate(mlp.forward(x, mth)[1], mth, x),
        V,
        "e of shape",
    ),
    # -- approximation --------------------------------------------------------------
    Bad(
        "hat_slopes",
        "decreasing knots",
        lambda: hat_slopes([0.0, 2.0, 1.0], [0, 1, 2]),
        V,
        "knots",
    ),
    Bad(
        "hat_slopes",
        "NaN value",
        lambda: hat_slopes([0.0, 1.0], [0.0, NAN]),
        V,
        "values",
    ),
    Bad(
        "hat_slopes",
        "shapes differ",
        lambda: hat_slopes([0.0, 1.0], [0.0]),
        V,
        "values",
    ),
    Bad("hat_network", "one knot", lambda: hat_network([0.0], [1.0]), V, "knots"),
    Bad(
        "hat_network",
        "string knots",
        lambda: hat_network(["a", "b"], [0, 1]),
        T,
        "knots",
    ),
    # -- auto-encoder ---------------------------------------------------------------
    Bad("TiedDense", "width 0", lambda: TiedDense(0, 3), V, "n_in"),
    Bad(
        "TiedDense", "tau not a map", lambda: TiedDense(5, 3, tanh, np.eye(3)), T, "tau"
    ),  # type: ignore[arg-type]
    Bad(
        "TiedDense",
        "W untransposed",
        lambda: TiedDense(5, 3)(ax, (np.zeros((3, 5)), np.zeros(3))),
        V,
        "W",
    ),
    Bad(
        "TiedAutoencoder", "float width", lambda: TiedAutoencoder((5, 2.5)), T, "widths"
    ),  # type: ignore[arg-type]
    Bad("TiedAutoencoder", "width 0", lambda: TiedAutoencoder((5, 0)), V, "widths"),
    Bad(
        "TiedAutoencoder.__call__",
        "wrong last axis",
        lambda: dae(ax[:, :3], ath),
        V,
        "x",
    ),
    Bad(
        "TiedAutoencoder.share",
        "NaN weight",
        lambda: dae.share((tuple(nan_at(W) for W in ath.W), ath.b)),
        V,
        "W_1",
    ),
    Bad(
        "TiedAutoencoder.share",
        "bias missing",
        lambda: dae.share((ath.W, ath.b[:1])),
        T,
        "biases",
    ),
    Bad("TiedAutoencoder.xi", "i = 0", lambda: dae.xi(0), V, r"\bi\b"),
    Bad("TiedAutoencoder.xi", "i too large", lambda: dae.xi(3), V, r"\bi\b"),
    Bad(
        "TiedAutoencoder.free_gradient",
        "one gradient",
        lambda: dae.free_gradient(dae.share(ath)[:1]),
        V,
        "gradients",
    ),
    Bad(
        "TiedAutoencoder.gradient_step",
        "eta 0",
        lambda: dae.gradient_step(ax, ath, 0.0),
        V,
        "eta",
    ),
    Bad(
        "TiedAutoencoder.loss_and_gradient",
        "negative decay",
        lambda: dae.loss_and_gradient(ax, ath, squared, -0.1),
        V,
        "weight_decay",
    ),
    Bad(
        "TiedAutoencoder.tangent_step",
        "eta inf",
        lambda: dae.tangent_step(ax, ax[None], ax[None], ath, INF, 1.0),
        V,
        "eta",
    ),
    Bad(
        "masked_transpose", "1-d mask", lambda: masked_transpose(np.ones(3)), V, "mask"
    ),
    Bad(
        "masked_transpose",
        "NaN scale",
        lambda: masked_transpose(np.ones((3, 2)), NAN),
        V,
        "scale",
    ),
    Bad(
        "masked_transpose",
        "complex mask",
        lambda: masked_transpose(np.ones((3, 2)) * 1j),
        T,
        "mask",
    ),
    Bad(
        "reparametrize", "tau a matrix", lambda: reparametrize(lin, np.eye(3)), T, "tau"
    ),  # type: ignore[arg-type]
    Bad(
        "reparametrize",
        "lin None",
        lambda: reparametrize(None, masked_transpose(np.ones((3, 4)))),
        T,
        "lin",
    ),  # type: ignore[arg-type]
    # -- CNN layers -----------------------------------------------------------------
    Bad("conv_output_size", "stride 0", lambda: conv_output_size(8, 3, 0), V, "stride"),
    Bad(
        "conv_output_size",
        "stride None",
        lambda: conv_output_size(8, 3, None),
        T,
        "stride",
    ),  # type: ignore[arg-type]
    Bad(
        "conv_output_size",
        "negative pad",
        lambda: conv_output_size(8, 3, 1, -2),
        V,
        "pad",
    ),
    Bad("conv_output_size", "window too large", lambda: conv_output_size(2, 3), V, "n"),
    Bad("crops", "stride 0", lambda: crops(img, 3, 0), V, "stride"),
    Bad("crops", "kernel 0", lambda: crops(img, 0), V, "kernel"),
    Bad("crops", "NaN image", lambda: crops(nan_at(img), 3), V, "x"),
    Bad("convolve", "stride -1", lambda: convolve(cth.W, img, -1), V, "stride"),
    Bad(
        "convolve",
        "channels differ",
        lambda: convolve(cth.W, img[..., [0, 0]]),
        V,
        "m1",
    ),
    Bad("convolve", "inf filter", lambda: convolve(nan_at(cth.W, INF), img), V, "W"),
    Bad(
        "conv_input_adjoint",
        "in_size negative",
        lambda: conv_input_adjoint(cth.W, conv(img, cth), (-6, 6)),
        V,
        "in_size",
    ),
    Bad(
        "conv_input_adjoint",
        "z wrong shape",
        lambda: conv_input_adjoint(cth.W, img, (6, 6)),
        V,
        "z of shape",
    ),
    Bad(
        "conv_filter_adjoint",
        "stride 0",
        lambda: conv_filter_adjoint(img, conv(img, cth), 3, 0),
        V,
        "stride",
    ),
    Bad(
        "conv_filter_adjoint",
        "NaN z",
        lambda: conv_filter_adjoint(img, nan_at(conv(img, cth)), 3),
        V,
        "z",
    ),
    Bad("convolution", "stride 0", lambda: convolution((6, 6), 3, 0), V, "stride"),
    Bad("convolution", "in_size None", lambda: convolution(None, 3), T, "in_size"),  # type: ignore[arg-type]
    Bad(
        "thesis_filter",
        "m_in 0",
        lambda: thesis_filter(np.ones((3, 3, 2)), 0),
        V,
        "m_in",
    ),
    Bad("Conv2d", "stride 0", lambda: Conv2d(1, 2, 3, stride=0), V, "stride"),
    Bad("Conv2d", "stride None", lambda: Conv2d(1, 2, 3, stride=None), T, "stride"),  # type: ignore[arg-type]
    Bad("Conv2d", "negative pad", lambda: Conv2d(1, 2, 3, pad=-1), V, "pad"),
    Bad("Conv2d", "kernel 3.0", lambda: Conv2d(1, 2, 3.0), T, "kernel"),  # type: ignore[arg-type]
    Bad("Conv2d", "wrong channels", lambda: conv(img[..., [0, 0]], cth), V, "images"),
    Bad(
        "Conv2d",
        "wrong filter shape",
        lambda: conv(img, (cth.W[0], cth.b)),
        V,
        "theta.W",
    ),
    Bad("MaxPool2d", "r 0", lambda: MaxPool2d(0), V, r"\br\b"),
    Bad("MaxPool2d", "r 2.0", lambda: MaxPool2d(2.0), T, r"\br\b"),  # type: ignore[arg-type]
    Bad(
        "MaxPool2d",
        "NaN in a window",
        lambda: MaxPool2d(2).linearize(nan_at(img)),
        V,
        "finite values in z",
    ),
    Bad(
        "MaxPool2d",
        "window larger than map",
        lambda: MaxPool2d(8)(img),
        V,
        "feature maps",
    ),
    Bad("Flatten", "one matrix", lambda: Flatten()(np.zeros((4, 4))), V, "images"),
    Bad(
        "Flatten",
        "adjoint wrong size",
        lambda: Flatten().linearize(img).D.adj(np.zeros((2, 5))),
        V,
        "w",
    ),
    Bad("conv_layer", "pool 0", lambda: conv_layer(1, 2, 3, tanh, 0), V, "pool"),
    Bad(
        "conv_layer",
        "activation None",
        lambda: conv_layer(1, 2, 3, None, 2),
        T,
        "activation",
    ),  # type: ignore[arg-type]
    Bad(
        "cnn",
        "9x9 input for an 8x8 network",
        lambda: cnet(np.zeros((1, 9, 9, 1)), cnth),
        V,
        r"x of shape \(\.\.\., 8, 8, 1\)",
    ),
    Bad(
        "cnn", "strides None", lambda: cnn((8, 8, 1), [2], 3, strides=None), T, "stride"
    ),  # type: ignore[arg-type]
    Bad("cnn", "stride 0", lambda: cnn((8, 8, 1), [2], 3, strides=0), V, "stride"),
    Bad("cnn", "negative pad", lambda: cnn((8, 8, 1), [2], 3, pads=-2), V, "pad"),
    Bad("cnn", "channel 0", lambda: cnn((8, 8, 1), [0], 3), V, "channels"),
    Bad("cnn", "in_shape of two", lambda: cnn((8, 8), [2], 3), T, "in_shape"),  # type: ignore[arg-type]
    Bad("cnn", "n_out 0", lambda: cnn((8, 8, 1), [2], 0), V, "n_out"),
    # -- the thesis's literal operators ---------------------------------------------
    Bad("kappa", "k 0", lambda: op.kappa(np.zeros((4, 4)), 0, 1, 2, 2), V, r"\bk\b"),
    Bad(
        "kappa",
        "window outside",
        lambda: op.kappa(np.zeros((4, 4)), 4, 1, 2, 2),
        V,
        r"k in",
    ),
    Bad(
        "kappa", "p 2.0", lambda: op.kappa(np.zeros((4, 4)), 1, 1, 2.0, 2), T, r"\bp\b"
    ),  # type: ignore[arg-type]
    Bad(
        "kappa",
        "NaN entry",
        lambda: op.kappa(nan_at(np.zeros((4, 4))), 1, 1, 2, 2),
        V,
        "x_j",
    ),
    Bad("crop", "q 0", lambda: op.crop(np.zeros((4, 4, 2)), 1, 1, 2, 0), V, r"\bq\b"),
    Bad(
        "crop", "one matrix", lambda: op.crop(np.zeros((4, 4)), 1, 1, 2, 2), V, "image"
    ),
    Bad("embed", "n -1", lambda: op.embed(np.zeros((2, 2)), 1, 1, -1, 4), V, r"\bn\b"),
    Bad(
        "crop_adjoint",
        "in_shape of two",
        lambda: op.crop_adjoint(np.zeros((2, 2)), 1, 1, (4, 4)),
        T,
        "in_shape",
    ),  # type: ignore[arg-type]
    Bad("gamma", "delta 0", lambda: op.gamma(1, 1, 0), V, "delta"),
    Bad("gamma", "k None", lambda: op.gamma(None, 1, 1), T, r"\bk\b"),  # type: ignore[arg-type]
    Bad("gamma_prime", "k_ > r", lambda: op.gamma_prime(1, 1, 3, 1, 2), V, "k_"),
    Bad(
        "thesis_convolve",
        "stride 0",
        lambda: op.thesis_convolve(np.ones((2, 2, 1)), np.ones((4, 4, 1)), 0),
        V,
        "stride",
    ),
    Bad(
        "thesis_convolve",
        "bool image",
        lambda: op.thesis_convolve(np.ones((2, 2, 1)), np.ones((4, 4, 1)) > 0),
        T,
        "x",
    ),
    Bad(
        "thesis_filter_adjoint",
        "kernel 0",
        lambda: op.thesis_filter_adjoint(
            np.ones((4, 4, 1)), np.ones((3, 3, 1)), (0, 2)
        ),
        V,
        "kernel",
    ),
    Bad(
        "thesis_input_adjoint",
        "NaN z",
        lambda: op.thesis_input_adjoint(
            np.ones((2, 2, 1)), nan_at(np.ones((3, 3, 1))), (4, 4, 1)
        ),
        V,
        "z",
    ),
    Bad("thesis_max", "empty window", lambda: op.thesis_max(np.zeros((0, 2))), V, "z"),
    Bad(
        "window_argmax",
        "NaN window",
        lambda: op.window_argmax(nan_at(np.zeros((2, 2)))),
        V,
        "z",
    ),
    Bad(
        "max_derivative",
        "v of another shape",
        lambda: op.max_derivative(np.zeros((2, 2)), np.zeros(4)),
        V,
        "v of shape",
    ),
    Bad("thesis_pool", "r 0", lambda: op.thesis_pool(np.zeros((4, 4)), 0), V, r"\br\b"),
    Bad(
        "thesis_pool_derivative",
        "v_j wrong shape",
        lambda: op.thesis_pool_derivative(np.zeros((4, 4)), np.zeros((2, 2)), 2),
        V,
        "v_j",
    ),
    Bad(
        "thesis_pool_adjoint",
        "z_j wrong shape",
        lambda: op.thesis_pool_adjoint(np.zeros((4, 4)), np.zeros((4, 4)), 2),
        V,
        "z_j",
    ),
]

EXCUSED: dict[str, str] = {
    "DenseParams": "a NamedTuple of parameters: its contents are checked by the layer",
    "ConvParams": "a NamedTuple of parameters: its contents are checked by the layer",
    "TiedParams": "a NamedTuple of parameters: checked by TiedAutoencoder's methods",
    "StateLinearization": "a frozen record of a state map's results, built internally",
    "Forward": "a frozen record of Network.forward's results; methods check it",
    "TangentForward": "a frozen record of Network.tangent_forward's results",
    "transpose_map": "takes no arguments; the map it returns is checked where used",
    "table_4_1": "takes no arguments: returns the thesis's Table 4.1 of activations",
}


@params(CASES)
def test_refuses(case: Bad) -> None:
    refuses(case)


def test_lists_and_ints_are_accepted() -> None:
    """Lists and integer arrays are read as float64; a batch of one works."""
    out = net(x.tolist(), th)
    np.testing.assert_allclose(out, net(x, th))
    assert net(np.ones((1, 4), dtype=int), th).shape == (1, 3)
    assert dense([1, 2, 3, 4], dth).shape == (3,)
    value, _ = mlp.loss_and_gradient(x.tolist(), y.tolist(), mth, squared)
    assert np.isfinite(value)
    np.testing.assert_allclose(hat_slopes([0, 1, 2], [0, 1, 0]), [1.0, -2.0, 1.0])
    assert cnet(np.zeros((1, 8, 8, 1), dtype=int), cnth).shape == (1, 3)
    assert op.gamma(np.int64(2), 1, 2) == (3, 1)
