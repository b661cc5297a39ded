"""The deep auto-encoder of thesis section 4.3, against a DAE written directly in JAX (rtol 1e-10).

The JAX reference ties the weights inside the forward map (K_i = tau_i(W_xi(i)) for i > L), so
``jax.grad`` adds the two contributions each W_i receives by itself; adjnets instead differentiates
the untied 2L-layer network and applies the adjoint of the sharing map.
"""

from __future__ import annotations

import numpy as np
import pytest

from adjnets import (
    Dense,
    DenseParams,
    cross_entropy,
    identity,
    sigmoid,
    softplus,
    squared,
    tanh,
)
from adjnets.autodiff import ELEMENTWISE, assert_close, jax, jnp, to_jax

# dae: f_stop o ... o f_start, weights tied inside
from adjnets.autodiff import tied_autoencoder as dae
from adjnets.calculus.check import assert_adjoint
from adjnets.calculus.linear import LinearMap
from adjnets.calculus.spaces import inner, random_like
from adjnets.specific.autoencoder import (
    TiedAutoencoder,
    TiedDense,
    TiedParams,
    logistic_cross_entropy,
    masked_transpose,
    reparametrize,
    transpose_map,
)

SIZES = (7, 5, 3)  # n_1 > n_2 > n_3: L = 2, widths 7, 5, 3, 5, 7
ACTS = (tanh, softplus, sigmoid, identity)


def _taus(kind, rng):
    """adjnets maps tau_{L+1}, ..., tau_{2L} and the same maps written in JAX."""
    if kind == "transpose":
        return transpose_map(), [lambda W: W.T] * 2
    # tau_3 acts on W_2 (3 x 5) and gives 5 x 3; tau_4 acts on W_1 (5 x 7) and gives 7 x 5
    masks = [
        (rng.uniform(size=(5, 3)) < 0.7).astype(float),
        (rng.uniform(size=(7, 5)) < 0.7).astype(float),
    ]
    scales = [0.8, 1.3]
    taus = [masked_transpose(M, c) for M, c in zip(masks, scales, strict=True)]
    jtaus = [
        lambda W, M=M, c=c: c * (W.T * jnp.asarray(M))
        for M, c in zip(masks, scales, strict=True)
    ]
    return taus, jtaus


@pytest.fixture(params=["transpose", "masked"])
def case(request):
    rng = np.random.default_rng(43)
    taus, jtaus = _taus(request.param, rng)
    ae = TiedAutoencoder(SIZES, ACTS, taus)
    theta = ae.init(rng)
    theta = TiedParams(
        tuple(W + 0.2 * rng.standard_normal(W.shape) for W in theta.W),
        tuple(0.3 * rng.standard_normal(b.shape) for b in theta.b),
    )
    x = rng.uniform(0.0, 1.0, (6, SIZES[0]))  # inputs in [0, 1], not summing to one
    return rng, ae, jtaus, theta, x


def jax_loss(name, ae, jtaus, X):
    def J(th):
        out = dae(ae, jtaus, X, th)
        if name == "squared":
            return 0.5 * jnp.sum((out - X) ** 2)
        if name == "cross-entropy":
            return -jnp.sum(X * jax.nn.log_softmax(out, axis=-1))
        return jnp.sum(jax.nn.softplus(out) - X * out)

    return J


LOSSES = {
    "squared": squared,
    "cross-entropy": cross_entropy,
    "logistic": logistic_cross_entropy,
}


# -- Lemma 4.3.1 -------------------------------------------------------------------------------


@pytest.mark.thesis("Lemma 4.3.1")
def test_the_transpose_is_its_own_adjoint():
    rng = np.random.default_rng(0)
    tau = transpose_map()
    U, W = rng.standard_normal((3, 5)), rng.standard_normal((5, 3))
    assert_adjoint(tau, U, W)
    np.testing.assert_array_equal(tau(U), U.T)
    np.testing.assert_array_equal(tau.adj(W), W.T)  # tau* = tau
    # <W, U^T> = tr(W U) = <W^T, U>, the proof's identity
    assert inner(W, U.T) == pytest.approx(np.trace(W @ U), rel=1e-13)
    # a batch of matrices is transposed matrix by matrix
    batch = rng.standard_normal((4, 3, 5))
    np.testing.assert_array_equal(tau(batch)[2], batch[2].T)
    # a general linear tau: scaled, masked transpose
    M = (rng.uniform(size=(5, 3)) < 0.5).astype(float)
    sigma = masked_transpose(M, 0.7)
    assert_adjoint(sigma, U, W)
    np.testing.assert_allclose(sigma(U), 0.7 * U.T * M, rtol=0)


# -- Lemma 4.3.2 -------------------------------------------------------------------------------


@pytest.mark.thesis("Lemma 4.3.2")
def test_chain_rule_through_a_linear_parameter_map():
    # g(x; theta) = h(x; tau(theta)) with h a dense layer and tau: R^4 -> R^{5x7} x R^5 linear
    rng = np.random.default_rng(1)
    h = Dense(7, 5, tanh)
    A, B = rng.standard_normal((35, 4)), rng.standard_normal((5, 4))
    tau = LinearMap(
        lambda t: DenseParams((t @ A.T).reshape((*t.shape[:-1], 5, 7)), t @ B.T),
        lambda u: u.W.reshape((*u.W.shape[:-2], 35)) @ A + u.b @ B,
        "τ",
    )
    theta, u = rng.standard_normal(4), rng.standard_normal(4)
    assert_adjoint(tau, u, random_like(rng, h.init(rng)))
    x, v, w = (
        rng.standard_normal((6, 7)),
        rng.standard_normal((6, 7)),
        rng.standard_normal((6, 5)),
    )
    lin = reparametrize(h.linearize(x, tau(theta)), tau)

    def g(z, t):
        W, b = (A @ t).reshape(5, 7), B @ t
        return jnp.tanh(z @ W.T + b)

    X, T = jnp.asarray(x), jnp.asarray(theta)
    assert_close(lin.output, g(X, T))
    assert_close(lin.grad(u), jax.jvp(lambda t: g(X, t), (T,), (jnp.asarray(u),))[1])
    assert_close(lin.grad.adj(w), jax.vjp(lambda t: g(X, t), T)[1](jnp.asarray(w))[0])
    assert_adjoint(lin.grad, u, w)

    # the mixed derivative D grad g . (v, u), and its two hooks' adjoints
    def dg(z):
        return jax.jvp(lambda t: g(z, t), (T,), (jnp.asarray(u),))[1]

    assert_close(lin.D_grad(v, u), jax.jvp(dg, (X,), (jnp.asarray(v),))[1])
    assert_adjoint(lin.D_grad.left_hook(v), u, w)
    assert_adjoint(lin.D_grad.right_hook(u), v, w)

    def pairing(t):
        return jnp.sum(
            jnp.asarray(w) * jax.jvp(lambda z: g(z, t), (X,), (jnp.asarray(v),))[1]
        )

    assert_close(lin.D_grad.left_hook(v).adj(w), jax.grad(pairing)(T))


@pytest.mark.thesis("Lemma 4.3.2", "Lemma 4.3.4")
def test_the_sharing_map_and_its_adjoint(case):
    rng, ae, _, theta, _ = case
    S = ae.sharing
    full = S(theta)
    L = ae.L
    assert len(full) == 2 * L
    # layer i holds W_i (i <= L) or W_xi(i) (i > L), and b_i
    for i in range(1, 2 * L + 1):
        np.testing.assert_array_equal(full[i - 1].W, theta.W[min(i, ae.xi(i)) - 1])
        np.testing.assert_array_equal(full[i - 1].b, theta.b[i - 1])
    w = random_like(rng, full)
    assert_adjoint(S, random_like(rng, theta), w)
    # S* adds the two copies of each W_i: the layer-i and the layer-xi(i) gradients
    back = S.adj(w)
    for i in range(1, L + 1):
        np.testing.assert_allclose(
            back.W[i - 1], w[i - 1].W + w[ae.xi(i) - 1].W, rtol=1e-15
        )


# -- Lemma 4.3.3 -------------------------------------------------------------------------------


@pytest.fixture(params=["transpose", "masked"])
def tied_layer(request):
    rng = np.random.default_rng(5)
    if request.param == "transpose":
        tau, jtau = transpose_map(), (lambda W: W.T)
    else:
        M = (rng.uniform(size=(7, 5)) < 0.6).astype(float)
        tau, jtau = masked_transpose(M, 1.4), (lambda W: 1.4 * W.T * jnp.asarray(M))
    layer = TiedDense(5, 7, tanh, tau)  # the shape of the DAE's layer 4, sharing W_1
    theta = DenseParams(rng.standard_normal((5, 7)), rng.standard_normal(7))
    x = rng.standard_normal((6, 5))
    return rng, layer, tau, jtau, theta, x


def jax_tied(jtau, x, theta):
    W, b = theta
    return jnp.tanh(x @ jtau(W).T + b)


@pytest.mark.thesis("Lemma 4.3.3")
def test_derivatives_of_a_tied_layer(tied_layer):
    rng, layer, tau, jtau, theta, x = tied_layer
    lin = layer.linearize(x, theta)
    X, TH = jnp.asarray(x), to_jax(theta)

    def f_x(z):
        return jax_tied(jtau, z, TH)

    def f_t(th):
        return jax_tied(jtau, X, th)

    v, w = rng.standard_normal((2, 6, 5)), rng.standard_normal((6, 7))
    u = random_like(rng, theta)
    assert_close(lin.output, f_x(X))
    assert_close(layer(x, theta), lin.output, rtol=0)
    # (4.41), (4.44): D f and D* f
    assert_close(lin.D(v)[0], jax.jvp(f_x, (X,), (jnp.asarray(v[0]),))[1])
    assert_close(lin.D.adj(w), jax.vjp(f_x, X)[1](jnp.asarray(w))[0])
    assert_adjoint(lin.D, v, rng.standard_normal((2, 6, 7)))
    # (4.39), (4.40), (4.42), (4.43): grad f and grad* f in (W, b)
    assert_close(lin.grad(u), jax.jvp(f_t, (TH,), (to_jax(u),))[1])
    assert_close(lin.grad.adj(w), jax.vjp(f_t, TH)[1](jnp.asarray(w))[0])
    assert_adjoint(lin.grad, u, w)
    # the formulas themselves: z = tau(W) x + b
    K = tau(theta.W)
    s1 = 1.0 - np.tanh(x @ K.T + theta.b) ** 2
    # (4.42)
    np.testing.assert_allclose(lin.grad.adj(w).W, tau.adj((s1 * w).T @ x), rtol=1e-13)
    # (4.43)
    np.testing.assert_allclose(lin.grad.adj(w).b, (s1 * w).sum(axis=0), rtol=1e-13)
    # (4.44): tau(W)^T (Psi' . w)
    np.testing.assert_allclose(lin.D.adj(w), (s1 * w) @ K, rtol=1e-13)
    # second derivatives, for the higher-order loss
    v1, v2 = v

    def d2(z):
        return jax.jvp(f_x, (z,), (jnp.asarray(v2),))[1]

    assert_close(lin.D2(v1, v2), jax.jvp(d2, (X,), (jnp.asarray(v1),))[1])
    assert_adjoint(lin.D2.left_hook(v1), v2, w)

    def dgrad(z):
        return jax.jvp(lambda th: jax_tied(jtau, z, th), (TH,), (to_jax(u),))[1]

    assert_close(lin.D_grad(v1, u), jax.jvp(dgrad, (X,), (jnp.asarray(v1),))[1])
    assert_adjoint(lin.D_grad.left_hook(v1), u, w)
    assert_adjoint(lin.D_grad.right_hook(u), v1, w)


@pytest.mark.thesis("Lemma 4.3.3")
def test_equation_4_44_as_printed():
    # (4.44) prints D* f = tau*(W) . D Psi(z); for tau the transpose, tau*(W) = W^T is m x n and
    # cannot act on D Psi(z) w in R^m ... (n != m) ...
    rng = np.random.default_rng(6)
    tau, layer = transpose_map(), TiedDense(5, 3, tanh)
    theta, x, w = (
        DenseParams(rng.standard_normal((5, 3)), np.zeros(3)),
        rng.standard_normal(5),
        rng.standard_normal(3),
    )
    s1 = 1.0 - np.tanh(tau(theta.W) @ x) ** 2
    # tau(W)^T (Psi' . w), in R^n
    assert layer.linearize(x, theta).D.adj(w).shape == (5,)
    with pytest.raises(ValueError):
        tau.adj(theta.W) @ (s1 * w)
    # ... and for n = m it is the wrong matrix: the adjoint of v -> tau(W) v is tau(W)^T = W
    square = TiedDense(4, 4, tanh)
    th, x4, w4 = (
        DenseParams(rng.standard_normal((4, 4)), np.zeros(4)),
        rng.standard_normal(4),
        rng.standard_normal(4),
    )
    s1 = 1.0 - np.tanh(th.W.T @ x4) ** 2
    correct = square.linearize(x4, th).D.adj(w4)
    np.testing.assert_allclose(correct, th.W @ (s1 * w4), rtol=1e-13)  # tau(W)^T = W
    printed = tau.adj(th.W) @ (s1 * w4)
    assert np.linalg.norm(printed - correct) > 0.1 * np.linalg.norm(correct)


# -- Lemma 4.3.4, Theorem 4.3.5 ----------------------------------------------------------------


@pytest.mark.thesis("Lemma 4.3.4")
def test_parameter_adjoint_of_the_dae(case):
    rng, ae, jtaus, theta, x = case
    fwd = ae.forward(x, theta)
    e = rng.standard_normal(fwd.output.shape)
    got = ae.grad_adjoint(fwd, e)
    X, E = jnp.asarray(x), jnp.asarray(e)
    _, vjp = jax.vjp(lambda th: dae(ae, jtaus, X, th), to_jax(theta))
    assert_close(got, vjp(E)[0])
    # (4.47): the two terms are the gradients through layer i alone and through layer xi(i) alone,
    # i.e. the gradients in the two copies of W_i of the untied network (one variable per layer)
    L = ae.L

    def untied(copies):
        z = X
        for j in range(1, 2 * L + 1):
            K = copies[j - 1] if j <= L else jtaus[j - L - 1](copies[j - 1])
            z = ELEMENTWISE[ae.activations[j - 1].name](z @ K.T + theta.b[j - 1])
        return z

    copies = tuple(
        jnp.asarray(theta.W[min(j, ae.xi(j)) - 1]) for j in range(1, 2 * L + 1)
    )
    per_copy = jax.vjp(untied, copies)[1](E)[0]
    full = ae.network.grad_adjoint(fwd, e)
    for i in range(1, L + 1):
        assert_close(full[i - 1].W, per_copy[i - 1])
        assert_close(full[ae.xi(i) - 1].W, per_copy[ae.xi(i) - 1])
        assert_close(got.W[i - 1], per_copy[i - 1] + per_copy[ae.xi(i) - 1])


@pytest.mark.thesis("Theorem 4.3.5")
@pytest.mark.parametrize("name", list(LOSSES))
def test_loss_gradients_of_the_dae(case, name):
    _, ae, jtaus, theta, x = case
    loss = LOSSES[name]
    value, grads = ae.loss_and_gradient(x, theta, loss, weight_decay=0.02)
    J0 = jax_loss(name, ae, jtaus, jnp.asarray(x))

    def J(th):
        return J0(th) + 0.01 * sum(jnp.sum(a**2) for a in jax.tree_util.tree_leaves(th))

    assert value == pytest.approx(float(J(to_jax(theta))), rel=1e-12)
    assert_close(grads, jax.grad(J)(to_jax(theta)))
    assert isinstance(grads, TiedParams)


@pytest.mark.thesis("Theorem 4.3.5")
@pytest.mark.parametrize("name", ["squared", "cross-entropy"])
def test_equations_4_48_and_4_50(case, name):
    # assemble (4.48) and (4.50) term by term from the states and back-propagated errors
    _, ae, _, theta, x = case
    fwd = ae.forward(x, theta)
    F = fwd.output
    if name == "squared":
        e = F - x
    else:  # (4.49) as corrected: <1, x> sigma(F) - x
        sig = np.exp(F - F.max(axis=1, keepdims=True))
        sig /= sig.sum(axis=1, keepdims=True)
        e = x.sum(axis=1, keepdims=True) * sig - x
    errors = ae.backpropagate(fwd, e)
    full = ae.share(theta)
    L = ae.L

    def delta(j):  # Psi_j'(z_j) . e_j, z_j = K_j x_j + b_j
        layer, th = ae.network.layers[j - 1], full[j - 1]
        K = th.W if j <= L else layer.tau(th.W)
        return (
            ae.activations[j - 1].derivative(fwd.states[j - 1] @ K.T + th.b)
            * errors[j - 1]
        )

    _, grads = ae.loss_and_gradient(x, theta, LOSSES[name])
    for i in range(1, L + 1):
        j = ae.xi(i)
        expected = delta(i).T @ fwd.states[i - 1] + ae.taus[j - L - 1].adj(
            delta(j).T @ fwd.states[j - 1]
        )
        np.testing.assert_allclose(grads.W[i - 1], expected, rtol=1e-12, atol=1e-14)
    for i in range(1, 2 * L + 1):
        np.testing.assert_allclose(
            grads.b[i - 1], delta(i).sum(axis=0), rtol=1e-12, atol=1e-14
        )


@pytest.mark.thesis("Theorem 4.3.5")
def test_cross_entropy_error_as_printed(case):
    # (4.49) prints e = sigma(F) - x; for inputs that do not sum to one that is not the
    # gradient of (4.46)
    _, ae, jtaus, theta, x = case
    fwd = ae.forward(x, theta)
    F = fwd.output
    sig = np.exp(F - F.max(axis=1, keepdims=True))
    sig /= sig.sum(axis=1, keepdims=True)
    truth = jax.grad(jax_loss("cross-entropy", ae, jtaus, jnp.asarray(x)))(
        to_jax(theta)
    )
    printed = ae.grad_adjoint(fwd, sig - x)
    corrected = ae.grad_adjoint(fwd, x.sum(axis=1, keepdims=True) * sig - x)
    assert_close(corrected, truth)
    with pytest.raises(AssertionError):
        assert_close(printed, truth, rtol=0.1)
    # for inputs normalised to sum one the printed error is right
    xn = x / x.sum(axis=1, keepdims=True)
    fwd = ae.forward(xn, theta)
    F = fwd.output
    sig = np.exp(F - F.max(axis=1, keepdims=True))
    sig /= sig.sum(axis=1, keepdims=True)
    truth = jax.grad(jax_loss("cross-entropy", ae, jtaus, jnp.asarray(xn)))(
        to_jax(theta)
    )
    assert_close(ae.grad_adjoint(fwd, sig - xn), truth)


# -- Theorem 4.3.6 -----------------------------------------------------------------------------


@pytest.mark.thesis("Theorem 4.3.6")
def test_backpropagation_in_the_dae(case):
    rng, ae, jtaus, theta, x = case
    fwd = ae.forward(x, theta)
    e = rng.standard_normal(fwd.output.shape)
    errors = ae.backpropagate(fwd, e)
    th, E, L = to_jax(theta), jnp.asarray(e), ae.L
    full = ae.share(theta)
    for i in range(1, 2 * L + 1):
        # e_i = D* omega_{i+1}(x_{i+1}) e, against the tail map of the tied JAX DAE
        _, vjp = jax.vjp(
            lambda s, i=i: dae(ae, jtaus, s, th, start=i + 1),
            jnp.asarray(fwd.states[i]),
        )
        assert_close(errors[i - 1], vjp(E)[0])
        # D* omega_i(x_i) e = K_i^T (Psi_i'(z_i) . D* omega_{i+1}(x_{i+1}) e)
        K = full[i - 1].W if i <= L else ae.network.layers[i - 1].tau(full[i - 1].W)
        z = fwd.states[i - 1] @ K.T + full[i - 1].b
        _, vjp_i = jax.vjp(
            lambda s, i=i: dae(ae, jtaus, s, th, start=i),
            jnp.asarray(fwd.states[i - 1]),
        )
        assert_close(
            (ae.activations[i - 1].derivative(z) * errors[i - 1]) @ K, vjp_i(E)[0]
        )


# -- Algorithm 4.3.1 ---------------------------------------------------------------------------


@pytest.mark.thesis("Algorithm 4.3.1")
@pytest.mark.parametrize("name", ["squared", "cross-entropy"])
def test_gradient_step_of_the_dae(case, name):
    _, ae, jtaus, theta, x = case
    eta = 1e-2
    new, value = ae.gradient_step(x, theta, eta, LOSSES[name])
    g = jax.grad(jax_loss(name, ae, jtaus, jnp.asarray(x)))(to_jax(theta))
    expected = jax.tree_util.tree_map(lambda t, gi: t - eta * gi, to_jax(theta), g)
    assert_close(new, expected, rtol=1e-12)
    assert ae.loss_and_gradient(x, new, LOSSES[name])[0] < value


# -- the higher-order loss ---------------------------------------------------------------------


@pytest.mark.thesis("Lemma 4.3.2")
@pytest.mark.parametrize("name", ["squared", "cross-entropy"])
def test_tangent_loss_gradient_of_the_dae(case, name):
    rng, ae, jtaus, theta, x = case
    v, beta, mu = (
        rng.standard_normal((2, *x.shape)),
        rng.standard_normal((2, *x.shape)),
        0.6,
    )
    value, grads = ae.tangent_loss_and_gradient(x, v, beta, theta, mu, LOSSES[name])
    X, V, B = map(jnp.asarray, (x, v, beta))
    base = jax_loss(name, ae, jtaus, X)

    def J(th):
        R = 0.0
        for k in range(2):
            _, jv = jax.jvp(lambda z: dae(ae, jtaus, z, th), (X,), (V[k],))
            R = R + 0.5 * jnp.sum((jv - B[k]) ** 2) / 2
        return base(th) + mu * R

    assert value == pytest.approx(float(J(to_jax(theta))), rel=1e-12)
    assert_close(grads, jax.grad(J)(to_jax(theta)))
    assert ae.tangent_penalty(x, v, beta, theta) == pytest.approx(
        (value - LOSSES[name].value(ae(x, theta), x)) / mu, rel=1e-10
    )
    new, old = ae.tangent_step(x, v, beta, theta, 1e-3, mu, LOSSES[name])
    assert old == pytest.approx(value, rel=1e-14)
    assert ae.tangent_loss_and_gradient(x, v, beta, new, mu, LOSSES[name])[0] < value


# -- structure, sizes, errors ------------------------------------------------------------------


def test_structure_and_dimension_bookkeeping(case):
    _, ae, _, theta, x = case
    L, n = ae.L, ae.widths
    assert n == (7, 5, 3, 5, 7)
    assert [ae.xi(ae.xi(i)) for i in range(1, 2 * L + 1)] == list(range(1, 2 * L + 1))
    for i in range(1, 2 * L + 1):  # layer i maps R^{n_i} to R^{n_{i+1}}
        layer = ae.network.layers[i - 1]
        assert (layer.n_in, layer.n_out) == (n[i - 1], n[i])
    for i in range(L + 1, 2 * L + 1):
        # a decoder layer uses tau_i(W_xi(i)), W_xi(i) in R^{n_{xi(i)+1} x n_xi(i)}:
        # so n_i = n_{xi(i)+1} ...
        j = ae.xi(i)
        assert n[i - 1] == n[j] and n[i] == n[j - 1]
        # ... and the restriction printed in section 4.3.1, n_i = n_xi(i), fails for a
        # compressing DAE
        assert n[i - 1] != n[j - 1]
    code = ae.encode(x, theta)
    assert code.shape == (6, 3)
    np.testing.assert_allclose(ae.decode(code, theta), ae(x, theta), rtol=1e-15)
    # one point without a batch axis
    np.testing.assert_allclose(ae(x[0], theta), ae(x, theta)[0], rtol=1e-14)


def test_bad_sizes_and_parameters():
    with pytest.raises(ValueError, match="widths"):
        TiedAutoencoder((5,))
    with pytest.raises(ValueError, match="widths"):
        TiedAutoencoder((5, 0))
    with pytest.raises(TypeError, match="widths"):
        TiedAutoencoder((5, 2.5))
    with pytest.raises(ValueError, match="2L = 4"):
        TiedAutoencoder((5, 3, 2), (tanh, tanh, identity))
    with pytest.raises(ValueError, match="L = 2"):
        TiedAutoencoder((5, 3, 2), tanh, [transpose_map()] * 3)
    # tau_3 acts on W_2 (2 x 3), a 3 x 2 mask needed
    with pytest.raises(ValueError, match="tau_3"):
        TiedAutoencoder(
            (5, 3, 2), tanh, [masked_transpose(np.ones((2, 3))), transpose_map()]
        )
    ae = TiedAutoencoder((5, 3, 2), tanh)
    rng = np.random.default_rng(0)
    theta = ae.init(rng)
    x = rng.standard_normal((4, 5))
    with pytest.raises(ValueError, match="W_2"):
        ae(x, TiedParams((theta.W[0], theta.W[1].T), theta.b))
    with pytest.raises(ValueError, match="b_4"):
        ae(x, TiedParams(theta.W, (*theta.b[:3], np.zeros(4))))
    with pytest.raises(TypeError, match="2 weights and 4 biases"):
        ae(x, TiedParams(theta.W, theta.b[:3]))
    with pytest.raises(ValueError, match=r"x of shape \(\.\.\., 5\)"):
        ae(rng.standard_normal((4, 3)), theta)
    with pytest.raises(ValueError, match=r"v of shape \(N, 4, 5\)"):
        ae.tangent_loss_and_gradient(x, x, x, theta, 1.0)
    with pytest.raises(ValueError, match="xi is defined"):
        ae.xi(5)
    with pytest.raises(ValueError, match="4 layer gradients"):
        ae.free_gradient(ae.share(theta)[:3])
    layer = TiedDense(5, 3, tanh)
    with pytest.raises(ValueError, match=r"W of shape \(5, 3\)"):
        layer(x, DenseParams(np.zeros((3, 5)), np.zeros(3)))
    with pytest.raises(ValueError, match=r"tau\(W\)"):
        TiedDense(5, 3, tanh, LinearMap(lambda U: U, lambda V: V))(
            x, DenseParams(np.zeros((5, 3)), np.zeros(3))
        )
    with pytest.raises(ValueError, match="2-d mask"):
        masked_transpose(np.ones(3))


def test_a_dae_learns_to_reconstruct():
    # a few hundred steps on data lying near a 2-dimensional subspace lower the squared loss
    rng = np.random.default_rng(9)
    ae = TiedAutoencoder((6, 4, 2), (tanh, identity, tanh, identity))
    x = rng.standard_normal((40, 2)) @ rng.standard_normal((2, 6)) * 0.5
    theta = ae.init(rng)
    start = ae.loss_and_gradient(x, theta)[0]
    for _ in range(300):
        theta, _ = ae.gradient_step(x, theta, 5e-3)
    assert ae.loss_and_gradient(x, theta)[0] < 0.2 * start
