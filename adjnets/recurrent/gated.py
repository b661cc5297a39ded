r"""Gated transition cells: the GRU and the LSTM (the thesis's section 5.3.1, left there
as future work).

The thesis names gated RNNs as the answer to vanishing and exploding gradients but does
not put them in its framework. Here they are two more
:class:`adjnets.recurrent.rnn.Cell` s: each returns its value, its state derivative
:math:`D_hf` with the adjoint, its parameter derivative :math:`\nabla_\theta f` with the
adjoint, and the per-sequence parameter adjoint RTRL needs, so the generic
:meth:`adjnets.recurrent.rnn.RNN.loss_and_gradient_bptt` (Theorem 5.1.7) and
:meth:`adjnets.recurrent.rnn.RNN.loss_and_gradient_rtrl` (Theorem 5.1.3) train them
unchanged.

Every derivative is composed by hand from the pieces of thesis chapter 2:

* an affine gate :math:`a = Wh + Ux + b` (a :class:`GateParams`) is linear in :math:`h`
  with adjoint :math:`W^T`, and linear in :math:`(W, U, b)` with adjoint
  :math:`\delta\mapsto(\delta h^T, \delta x^T, \delta)` (the two hooks of :math:`Wh`);
* an elementwise :math:`\Psi` has :math:`D\Psi(a)\cdot v = \Psi'(a)\odot v`,
  self-adjoint (Proposition 2.4.1), with :math:`\sigma' = \sigma(1-\sigma)` and
  :math:`\tanh' = 1-\tanh^2`;
* the Hadamard product is bilinear, :math:`D(p\odot q) = dp\odot q + p\odot dq`, and
  each of its hooks :math:`v\mapsto p\odot v` is self-adjoint.

The adjoints are computed as one backward sweep through those pieces: the cotangents
:math:`\delta` of the gate pre-activations are found once, and both :math:`D^*_hf` and
:math:`\nabla^*_\theta f` are read off them.

Arrays: hidden states ``(N, n_state)`` and inputs ``(N, n_x)`` (or any common leading
axes in place of ``N``); tangents and cotangents may carry more leading axes in front of
the batch (RTRL applies :math:`D^*_hf` to a stack of basis vectors of shape
``(n_state, N, n_state)``). :math:`\nabla^*_\theta f` sums over all leading axes, since
the parameters are shared.

The LSTM's state is the pair :math:`(h, c)`; the RNN core holds one array, so the LSTM
state is the concatenation :math:`s = [h; c]\in\mathbb R^{2n}`, and :class:`ReadH` reads
a prediction from the :math:`h` half only.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from adjnets import validation
from adjnets.calculus.elementwise import Elementwise, identity, sigmoid
from adjnets.calculus.linear import BilinearMap, LinearMap
from adjnets.calculus.maps import Layer, Linearization
from adjnets.calculus.spaces import Array, Tree, sum_outer
from adjnets.recurrent.rnn import Cell, CellLinearization, _sizes

__all__ = ["GRUCell", "GRUParams", "GateParams", "LSTMCell", "LSTMParams", "ReadH"]


class GateParams(NamedTuple):
    r"""One affine gate :math:`a = Wh + Ux + b`.

    :math:`(W, U, b)\in\mathbb R^{n\times n_{in}}\times\mathbb R^{n\times
    n_x}\times\mathbb R^n`.
    """

    W: Array
    U: Array
    b: Array


def _gate_init(
    rng: np.random.Generator, n: int, n_in: int, n_x: int, bias: float = 0.0
) -> GateParams:
    W = rng.standard_normal((n, n_in)) / np.sqrt(n_in)
    U = rng.standard_normal((n, n_x)) / np.sqrt(n_x)
    return GateParams(W, U, np.full(n, float(bias)))


def _affine(p: GateParams, h: Array, x: Array) -> Array:
    r""":math:`Wh + Ux + b`; also :math:`\nabla_\theta a\cdot(dW, dU, db)` when ``p`` is
    a tangent."""
    return h @ p.W.T + x @ p.U.T + p.b


def _affine_adjoint(delta: Array, h: Array, x: Array) -> GateParams:
    r""":math:`\nabla^*_\theta a\cdot\delta = (\delta h^T, \delta x^T, \delta)`, summed
    over all leading axes."""
    return GateParams(
        sum_outer(delta, h),
        sum_outer(delta, x),
        delta.reshape(-1, delta.shape[-1]).sum(axis=0),
    )


def _affine_adjoint_each(delta: Array, h: Array, x: Array) -> GateParams:
    r"""The same per point, not summed: leaves ``(..., N, n, n_in)``,
    ``(..., N, n, n_x)``, ``(..., N, n)``."""
    return GateParams(
        delta[..., :, None] * h[..., None, :],
        delta[..., :, None] * x[..., None, :],
        delta,
    )


# ---------------------------------------------------------------------------------- GRU


class GRUParams(NamedTuple):
    r"""GRU parameters: the reset gate :math:`r`, the update gate :math:`u` and the
    candidate :math:`c`."""

    r: GateParams
    u: GateParams
    c: GateParams


@dataclass(frozen=True)
class GRUCell(Cell):
    r"""The gated recurrent unit (Cho et al. 2014 [11]; Chung et al. 2014 [12]) as a
    transition map.

    .. math::
        r &= \sigma(W_rh + U_rx + b_r), \qquad u = \sigma(W_uh + U_ux + b_u),\\
        c &= \tanh\bigl(W_c(r\odot h) + U_cx + b_c\bigr),\\
        f(h; x; \theta) &= (1-u)\odot h + u\odot c = h + u\odot(c - h).

    Convention: the reset gate multiplies the state *before* the matrix product,
    :math:`W_c(r\odot h)`, as in Cho et al. (2014) and Chung et al. (2014); the other
    common variant (cuDNN, PyTorch's ``nn.GRU``) applies it after,
    :math:`r\odot(W_ch + b'_c)`, and is a different map. The interpolation is written as
    in Chung et al. (2014), :math:`u` weighting the candidate; Cho et al. write
    :math:`z\odot h + (1-z)\odot\tilde h`, the same family with :math:`z = 1-u` (flip
    the signs of :math:`W_u, U_u, b_u`).

    Derivatives, with :math:`a_r, a_u, a_c` the three pre-activations,
    :math:`s_r = \sigma'(a_r) = r\odot(1-r)`, :math:`s_u = u\odot(1-u)`,
    :math:`s_c = 1-c\odot c`. The state derivative is the sum of the three paths by
    which :math:`h` enters (directly, through :math:`u`, and through :math:`c`, itself
    both directly and through :math:`r`):

    .. math::
        Df(h)\cdot v = (1-u)\odot v + (c-h)\odot s_u\odot W_uv
            + u\odot s_c\odot W_c\bigl(r\odot v + h\odot s_r\odot W_rv\bigr),

    and the parameter derivative has the same shape with the gate tangents
    :math:`\nabla_\theta a_k\cdot(dW_k, dU_k, db_k) = dW_k\,h_k + dU_kx + db_k` in place
    of :math:`W_kv` (:math:`h_k = h` for :math:`r, u`; :math:`h_c = r\odot h`) and
    without the direct terms in :math:`v`:

    .. math::
        \nabla f(h)\cdot d\theta = (c-h)\odot s_u\odot da_u
            + u\odot s_c\odot\bigl(W_c(h\odot s_r\odot da_r) + da_c\bigr).

    The adjoints reverse every piece (:math:`W\mapsto W^T`, Hadamard hooks
    self-adjoint). With the pre-activation cotangents

    .. math::
        \delta_c = s_c\odot u\odot w,\qquad q = W_c^T\delta_c,\qquad
        \delta_u = s_u\odot(c-h)\odot w,\qquad \delta_r = s_r\odot h\odot q,

    .. math::
        D^*f(h)\cdot w &= (1-u)\odot w + r\odot q + W_u^T\delta_u + W_r^T\delta_r,\\
        \nabla^*f(h)\cdot w &= \bigl((\delta_rh^T, \delta_rx^T, \delta_r),\
            (\delta_uh^T, \delta_ux^T, \delta_u),\ (\delta_c(r\odot h)^T, \delta_cx^T,
            \delta_c)\bigr).

    Parameters
    ----------
    n_h, n_x : int
        Sizes of the hidden state and of the input.

    Examples
    --------
    A GRU in a recurrent network with a dense prediction layer; the generic BPTT
    gradient passes the gradient check:

    >>> import numpy as np
    >>> from adjnets import RNN, Dense, GRUCell, assert_gradient, squared
    >>> rnn = RNN(GRUCell(n_h=4, n_x=2), Dense(4, 1))
    >>> rng = np.random.default_rng(0)
    >>> params = rnn.init(rng)  # RNNParams(theta=GRUParams(r, u, c), zeta)
    >>> x, y = rng.standard_normal((3, 5, 2)), rng.standard_normal((3, 5, 1))
    >>> rnn(x, params).shape
    (3, 5, 1)
    >>> def J(p):
    ...     return rnn.loss_and_gradient_bptt(x, y, p, squared)[0]
    >>> _, grad = rnn.loss_and_gradient_bptt(x, y, params, squared)
    >>> print(assert_gradient(J, grad, params, rng) < 1e-7)
    True
    """

    n_h: int
    n_x: int

    def __post_init__(self) -> None:
        _sizes("GRUCell", n_h=self.n_h, n_x=self.n_x)

    def init(self, rng: np.random.Generator) -> GRUParams:
        r"""Weights :math:`N(0, 1/n_{in})`, zero biases.

        Raises
        ------
        TypeError
            If ``rng`` is neither a Generator nor an integer seed (``None`` included).
        """
        rng = validation.generator(rng, "GRUCell.init")
        n, m = self.n_h, self.n_x
        return GRUParams(
            _gate_init(rng, n, n, m), _gate_init(rng, n, n, m), _gate_init(rng, n, n, m)
        )

    def __call__(self, h: Array, x: Array, theta: GRUParams) -> Array:
        r = sigmoid(_affine(theta.r, h, x))
        u = sigmoid(_affine(theta.u, h, x))
        c = np.tanh(_affine(theta.c, r * h, x))
        return h + u * (c - h)

    def linearize(self, h: Array, x: Array, theta: GRUParams) -> CellLinearization:
        Wr, Wu, Wc = theta.r.W, theta.u.W, theta.c.W
        r = sigmoid(_affine(theta.r, h, x))
        u = sigmoid(_affine(theta.u, h, x))
        rh = r * h
        c = np.tanh(_affine(theta.c, rh, x))
        s_r, s_u, s_c = r * (1.0 - r), u * (1.0 - u), 1.0 - c * c
        c_minus_h, us_c, hs_r = c - h, u * s_c, h * s_r

        def tangent(da_r: Array, da_u: Array, da_c: Array) -> Array:
            # the shared part of D and grad, from the tangents of the three
            # pre-activations
            return c_minus_h * s_u * da_u + us_c * ((hs_r * da_r) @ Wc.T + da_c)

        def cotangents(w: Array) -> tuple[Array, Array, Array, Array]:
            # delta_r, delta_u, delta_c and q = W_c^T delta_c, once for D* and grad*
            d_c = us_c * w
            q = d_c @ Wc
            return hs_r * q, s_u * c_minus_h * w, d_c, q

        def D(v: Array) -> Array:
            return (1.0 - u) * v + tangent(v @ Wr.T, v @ Wu.T, (r * v) @ Wc.T)

        def D_adj(w: Array) -> Array:
            d_r, d_u, _, q = cotangents(w)
            return (1.0 - u) * w + r * q + d_u @ Wu + d_r @ Wr

        def grad(dt: GRUParams) -> Array:
            return tangent(
                _affine(dt.r, h, x), _affine(dt.u, h, x), _affine(dt.c, rh, x)
            )

        def grad_adj(w: Array) -> GRUParams:
            d_r, d_u, d_c, _ = cotangents(w)
            return GRUParams(
                _affine_adjoint(d_r, h, x),
                _affine_adjoint(d_u, h, x),
                _affine_adjoint(d_c, rh, x),
            )

        def grad_adj_each(w: Array) -> GRUParams:
            d_r, d_u, d_c, _ = cotangents(w)
            return GRUParams(
                _affine_adjoint_each(d_r, h, x),
                _affine_adjoint_each(d_u, h, x),
                _affine_adjoint_each(d_c, rh, x),
            )

        return CellLinearization(
            output=h + u * c_minus_h,
            D=LinearMap(D, D_adj, "D_h GRU"),
            grad=LinearMap(grad, grad_adj, "∇_θ GRU"),
            grad_adjoint_each=grad_adj_each,
        )


# --------------------------------------------------------------------------------- LSTM


class LSTMParams(NamedTuple):
    r"""LSTM parameters: input gate :math:`i`, forget gate :math:`f`, output gate
    :math:`o`, block input :math:`g`."""

    i: GateParams
    f: GateParams
    o: GateParams
    g: GateParams


@dataclass(frozen=True)
class LSTMCell(Cell):
    r"""The long short-term memory cell (Hochreiter and Schmidhuber 1997 [36]) as a
    transition map.

    The "vanilla LSTM" of Greff et al. (2017) [25], the paper the thesis refers to,
    *without* its peephole connections: a forget gate (Gers et al. 2000), input and
    output gates, and :math:`\tanh` as both the block-input and the output activation.
    On the state :math:`s = [h; c]\in\mathbb R^{2n}` (hidden output :math:`h`, memory
    cell :math:`c`):

    .. math::
        i &= \sigma(W_ih + U_ix + b_i),\quad f = \sigma(W_fh + U_fx + b_f),\\
        o &= \sigma(W_oh + U_ox + b_o),\quad g = \tanh(W_gh + U_gx + b_g),\\
        c' &= f\odot c + i\odot g,\qquad h' = o\odot\tanh(c'),\\
        f([h; c]; x;\theta) &= [h'; c'].

    The RNN core keeps one state array, so the cell's ``n_h`` (the state dimension the
    RNN sees) is :math:`2n` with :math:`n` = ``n_units``; predict from the :math:`h`
    half with :class:`ReadH` (:meth:`readout`). ``init`` sets :math:`b_f = 1` (Gers et
    al. 2000; Jozefowicz et al. 2015).

    Derivatives, with :math:`s_k = \sigma'(a_k) = k\odot(1-k)` for :math:`k = i, f, o`,
    :math:`s_g = 1 - g\odot g` and :math:`t = \tanh(c')`. A tangent :math:`[v_h; v_c]`
    gives the gate tangents :math:`dk = s_k\odot W_kv_h` and

    .. math::
        dc' = df\odot c + f\odot v_c + di\odot g + i\odot dg,\qquad
        dh' = do\odot t + o\odot(1-t\odot t)\odot dc',

    so :math:`D_sf\cdot[v_h; v_c] = [dh'; dc']`; :math:`\nabla_\theta f` is the same
    with :math:`W_kv_h` replaced by :math:`dW_kh + dU_kx + db_k` and :math:`v_c = 0`.
    Note :math:`\partial c'/\partial c = \operatorname{diag}(f)`: the memory path is a
    Hadamard product with the forget gate, not a matrix product (why the LSTM's
    gradients need not vanish). The adjoint at :math:`[w_h; w_c]`, through the
    pre-activation cotangents:

    .. math::
        \gamma &= w_c + o\odot(1-t\odot t)\odot w_h,\\
        \delta_o &= s_o\odot t\odot w_h,\quad \delta_f = s_f\odot c\odot\gamma,\\
        \delta_i &= s_i\odot g\odot\gamma,\quad \delta_g = s_g\odot i\odot\gamma,\\
        D^*_sf\cdot[w_h; w_c] &= \Bigl[\sum_{k\in\{i,f,o,g\}}W_k^T\delta_k;\
        f\odot\gamma\Bigr],\\
        \nabla^*f\cdot[w_h; w_c]
        &= \bigl((\delta_kh^T, \delta_kx^T, \delta_k)\bigr)_{k=i,f,o,g}.

    Parameters
    ----------
    n_units : int
        :math:`n`, the size of :math:`h` and of :math:`c`.
    n_x : int
        The size of the input.

    Examples
    --------
    The state the network carries is :math:`[h; c]`, of twice the number of units; the
    derivative of the cell in the state passes the adjoint check:

    >>> import numpy as np
    >>> from adjnets import RNN, LSTMCell, assert_adjoint
    >>> cell = LSTMCell(n_units=3, n_x=2)
    >>> rnn = RNN(cell, cell.readout(1))  # predicts from the h half of [h; c]
    >>> rng = np.random.default_rng(0)
    >>> params = rnn.init(rng)
    >>> x = rng.standard_normal((4, 5, 2))  # 4 sequences of length 5
    >>> cell.n_h, rnn(x, params).shape
    (6, (4, 5, 1))
    >>> s, v, w = rng.standard_normal((3, 4, 6))  # states, tangents, cotangents
    >>> lin = cell.linearize(s, x[:, 0], params.theta)
    >>> print(assert_adjoint(lin.D, v, w) < 1e-12)
    True
    """

    n_units: int
    n_x: int

    def __post_init__(self) -> None:
        _sizes("LSTMCell", n_units=self.n_units, n_x=self.n_x)

    @property
    def n_h(self) -> int:
        """The dimension :math:`2n` of the state :math:`[h; c]` the RNN carries."""
        return 2 * self.n_units

    def init(self, rng: np.random.Generator, forget_bias: float = 1.0) -> LSTMParams:
        r"""Weights :math:`N(0, 1/n_{in})`; zero biases except :math:`b_f` =
        ``forget_bias``.

        Raises
        ------
        TypeError
            If ``rng`` is neither a Generator nor an integer seed (``None`` included).
        """
        rng = validation.generator(rng, "LSTMCell.init")
        forget_bias = validation.real("forget_bias", forget_bias, "LSTMCell.init")
        n, m = self.n_units, self.n_x
        i, f = _gate_init(rng, n, n, m), _gate_init(rng, n, n, m, forget_bias)
        return LSTMParams(i, f, _gate_init(rng, n, n, m), _gate_init(rng, n, n, m))

    def readout(self, n_y: int, activation: Elementwise = identity) -> ReadH:
        r"""The prediction :math:`g([h; c]) = \Psi(Vh + b)`: a :class:`ReadH` around
        ``Dense(n_units, n_y)``."""
        from adjnets.networks.layers import Dense

        return ReadH(Dense(self.n_units, n_y, activation), self.n_units, self.n_h)

    def _forward(
        self, s: Array, x: Array, theta: LSTMParams
    ) -> tuple[Array, Array, Array, Array, Array, Array, Array, Array]:
        n = self.n_units
        h, c = s[..., :n], s[..., n:]
        i = sigmoid(_affine(theta.i, h, x))
        f = sigmoid(_affine(theta.f, h, x))
        o = sigmoid(_affine(theta.o, h, x))
        g = np.tanh(_affine(theta.g, h, x))
        c_new = f * c + i * g
        t = np.tanh(c_new)
        return h, c, i, f, o, g, c_new, t

    def __call__(self, s: Array, x: Array, theta: LSTMParams) -> Array:
        *_, o, _, c_new, t = self._forward(s, x, theta)
        return np.concatenate([o * t, c_new], axis=-1)

    def linearize(self, s: Array, x: Array, theta: LSTMParams) -> CellLinearization:
        n = self.n_units
        h, c, i, f, o, g, c_new, t = self._forward(s, x, theta)
        s_i, s_f, s_o, s_g = i * (1.0 - i), f * (1.0 - f), o * (1.0 - o), 1.0 - g * g
        o_st = o * (1.0 - t * t)  # D h'/D c' = diag(o (.) tanh'(c'))
        Ws = tuple(p.W for p in theta)  # W_i, W_f, W_o, W_g

        def tangent(
            da_i: Array, da_f: Array, da_o: Array, da_g: Array, v_c: Array | float
        ) -> Array:
            dc = s_f * da_f * c + f * v_c + s_i * da_i * g + i * s_g * da_g
            return np.concatenate([s_o * da_o * t + o_st * dc, dc], axis=-1)

        def cotangents(w: Array) -> tuple[tuple[Array, Array, Array, Array], Array]:
            w_h, w_c = w[..., :n], w[..., n:]
            gamma = w_c + o_st * w_h
            return (
                s_i * g * gamma,
                s_f * c * gamma,
                s_o * t * w_h,
                s_g * i * gamma,
            ), gamma

        def D(v: Array) -> Array:
            v_h = v[..., :n]
            da_i, da_f, da_o, da_g = (v_h @ W.T for W in Ws)
            return tangent(da_i, da_f, da_o, da_g, v[..., n:])

        def D_adj(w: Array) -> Array:
            deltas, gamma = cotangents(w)
            back_h = sum(d @ W for d, W in zip(deltas, Ws, strict=True))
            return np.concatenate([back_h, f * gamma], axis=-1)

        def grad(dt: LSTMParams) -> Array:
            da_i, da_f, da_o, da_g = (_affine(p, h, x) for p in dt)
            return tangent(da_i, da_f, da_o, da_g, 0.0)

        def grad_adj(w: Array) -> LSTMParams:
            deltas, _ = cotangents(w)
            return LSTMParams(*(_affine_adjoint(d, h, x) for d in deltas))

        def grad_adj_each(w: Array) -> LSTMParams:
            deltas, _ = cotangents(w)
            return LSTMParams(*(_affine_adjoint_each(d, h, x) for d in deltas))

        return CellLinearization(
            output=np.concatenate([o * t, c_new], axis=-1),
            D=LinearMap(D, D_adj, "D_s LSTM"),
            grad=LinearMap(grad, grad_adj, "∇_θ LSTM"),
            grad_adjoint_each=grad_adj_each,
        )


# ------------------------------------------------------------------------------ readout


@dataclass(frozen=True)
class ReadH(Layer):
    r"""A prediction layer that reads only the first ``n_h`` coordinates of the state:
    :math:`g = \ell\circ P`.

    :math:`P[h; c] = h` is the projection onto the :math:`h` half of an LSTM state; its
    adjoint embeds, :math:`P^*w = [w; 0]`. For the wrapped layer :math:`\ell(h;\zeta)`
    (e.g. a :class:`adjnets.networks.layers.Dense`), by the chain rule and because
    :math:`P` is linear (:math:`D^2P = 0`):

    .. math::
        Dg = D\ell(Ps)\cdot P,\quad D^*g = P^*D^*\ell(Ps),\quad
        \nabla g = \nabla\ell(Ps),

        D^2g(v_1, v_2) = D^2\ell(Pv_1, Pv_2),\quad D\nabla g(v, u) = D\nabla\ell(Pv, u),

    whose hook adjoints are those of :math:`\ell` with :math:`P` applied to the hooked
    tangent and :math:`P^*` to any result in the state space.

    Parameters
    ----------
    layer : Layer
        :math:`\ell`, a layer on :math:`\mathbb R^{n_h}`.
    n_h : int
        The length of the part that is read.
    n_state : int
        The dimension of the whole state (``2 * n_h`` for an LSTM).
    """

    layer: Layer
    n_h: int
    n_state: int

    def __post_init__(self) -> None:
        if not isinstance(self.layer, Layer):
            raise TypeError(
                f"ReadH expected layer to be a Layer, got {type(self.layer).__name__}"
            )
        _sizes("ReadH", n_h=self.n_h)
        validation.positive_int("n_state", self.n_state, self.n_h, "ReadH")
        shape = self.layer.input_shape
        if shape is not None and tuple(shape) != (self.n_h,):
            raise ValueError(
                f"ReadH expected a layer on vectors of shape ({self.n_h},), got one on "
                f"{tuple(shape)}"
            )

    @property
    def input_shape(self) -> tuple[int, ...]:
        """``(n_state,)``: the whole state is read in, its first ``n_h`` entries
        used."""
        return (self.n_state,)

    def init(self, rng: np.random.Generator) -> Tree:
        return self.layer.init(rng)

    def _project(self, s: Array) -> Array:
        return s[..., : self.n_h]

    def _embed(self, w: Array) -> Array:
        return np.concatenate(
            [w, np.zeros((*w.shape[:-1], self.n_state - self.n_h))], axis=-1
        )

    def __call__(self, s: Array, theta: Tree) -> Array:
        y: Array = self.layer(self._project(s), theta)
        return y

    def linearize(self, s: Array, theta: Tree) -> Linearization:
        lin = self.layer.linearize(self._project(s), theta)
        P, E = self._project, self._embed
        D2, DG = lin.D2, lin.D_grad
        return Linearization(
            output=lin.output,
            D=LinearMap(
                lambda v: lin.D(P(v)), lambda w: E(lin.D.adj(w)), f"{lin.D.name}·P"
            ),
            grad=lin.grad,
            D2=BilinearMap(
                lambda v1, v2: D2(P(v1), P(v2)),
                lambda v1, w: E(D2.left_adjoint(P(v1), w)),
                lambda v2, w: E(D2.right_adjoint(P(v2), w)),
                f"{D2.name}(P·, P·)",
            ),
            D_grad=BilinearMap(
                lambda v, u: DG(P(v), u),
                lambda v, w: DG.left_adjoint(P(v), w),
                lambda u, w: E(DG.right_adjoint(u, w)),
                f"{DG.name}(P·, ·)",
            ),
        )
