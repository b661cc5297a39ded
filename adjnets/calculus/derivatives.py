r"""Derivatives of compositions, as linear and bilinear maps (thesis sections 2.2 and
2.3).

Each function takes the derivatives of the pieces at the relevant points and returns the
derivative of the composite, with its adjoints. They are the rules the network of
chapter 3 applies layer by layer; here they stand alone so that each lemma can be
checked on its own.

Notation: :math:`f: E_1\to E_2`, :math:`g: E_2\to E_3`, and :math:`x\in E_1`; "at
:math:`f(x)`" means the derivative of :math:`g` is taken at the point :math:`f(x)`.
"""

from __future__ import annotations

import numpy as np

from adjnets import validation
from adjnets.calculus.linear import BilinearMap, LinearMap
from adjnets.calculus.spaces import Tree, tree_map
from adjnets.pages.thesis import implements


def _maps(who: str, **maps: object) -> None:
    """TypeError unless each argument is a LinearMap (``D...``, ``A...``, ``grad...``)
    or a BilinearMap (``D2...``, ``B``, ``D_grad...``), by its name."""
    for name, value in maps.items():
        bilinear = name.startswith(("D2", "D_grad")) or name == "B"
        validation.instance(name, value, BilinearMap if bilinear else LinearMap, who)


def chain_rule(Dg_at_fx: LinearMap, Df_x: LinearMap) -> LinearMap:
    r""":math:`D(g\circ f)(x) = Dg(f(x))\cdot Df(x)` (thesis equation 2.3), adjoint
    :math:`D^*f(x)\cdot D^*g(f(x))`.

    Raises
    ------
    TypeError
        If an argument is not a map of the kind named.
    """
    _maps("chain_rule", Dg_at_fx=Dg_at_fx, Df_x=Df_x)
    return Dg_at_fx @ Df_x


def composite_second_derivative(
    D2g: BilinearMap, Dg: LinearMap, A1: LinearMap, A2: LinearMap, B: BilinearMap
) -> BilinearMap:
    r"""The bilinear map
    :math:`(v_1, v_2)\mapsto D^2g\cdot(A_1v_1, A_2v_2) + Dg\cdot B(v_1, v_2)`, with hook
    adjoints.

    This is the shape of every second derivative of a composition :math:`g\circ h`: with
    :math:`A_1 = A_2 = Dh(x)` and :math:`B = D^2h(x)` it is :math:`D^2(g\circ h)(x)`
    (Lemma 2.2.1); with :math:`A_1 = Dh(x;\theta)`, :math:`A_2 = \nabla h(x;\theta)` and
    :math:`B = D\nabla h(x;\theta)` it is :math:`D\nabla(g\circ h)(x;\theta)`, by the
    same product-rule argument. The hooks' adjoints follow from the reversing rule:

    .. math::
        (v_1\lrcorner\,\cdot\,)^*
        = A_2^*\,(A_1v_1\lrcorner D^2g)^* + (v_1\lrcorner B)^*\,D^*g,

        (\,\cdot\,\llcorner v_2)^*
        = A_1^*\,(D^2g\llcorner A_2v_2)^* + (B\llcorner v_2)^*\,D^*g .

    Raises
    ------
    TypeError
        If an argument is not a map of the kind named.
    """
    _maps("composite_second_derivative", D2g=D2g, Dg=Dg, A1=A1, A2=A2, B=B)

    def apply(v1: Tree, v2: Tree) -> Tree:
        return tree_map(np.add, D2g(A1(v1), A2(v2)), Dg(B(v1, v2)))

    def left_adjoint(v1: Tree, w: Tree) -> Tree:
        return tree_map(
            np.add, A2.adj(D2g.left_adjoint(A1(v1), w)), B.left_adjoint(v1, Dg.adj(w))
        )

    def right_adjoint(v2: Tree, w: Tree) -> Tree:
        return tree_map(
            np.add, A1.adj(D2g.right_adjoint(A2(v2), w)), B.right_adjoint(v2, Dg.adj(w))
        )

    return BilinearMap(apply, left_adjoint, right_adjoint, f"D²g(·,·)+Dg·{B.name}")


@implements("Lemma 2.2.1")
def second_order_chain_rule(
    D2g_at_fx: BilinearMap, Dg_at_fx: LinearMap, Df_x: LinearMap, D2f_x: BilinearMap
) -> BilinearMap:
    r"""The second derivative of a composition (Lemma 2.2.1).

    .. math::
        D^2(g\circ f)(x)\cdot(v_1, v_2)
        &= D^2g(f(x))\cdot(Df(x)\cdot v_1, Df(x)\cdot v_2) \\
        &\quad + Dg(f(x))\cdot D^2 f(x)\cdot(v_1, v_2).

    The hooks' adjoints follow from the reversing rule: :math:`(v_1\lrcorner D^2(g\circ
    f)(x))^* = D^*f(x)\cdot(Df(x)v_1\lrcorner D^2g(f(x)))^*
    + (v_1\lrcorner D^2f(x))^*\cdot D^*g(f(x))`, and symmetrically for the right hook.

    Raises
    ------
    TypeError
        If an argument is not a map of the kind named.
    """
    _maps(
        "second_order_chain_rule",
        D2g_at_fx=D2g_at_fx,
        Dg_at_fx=Dg_at_fx,
        Df_x=Df_x,
        D2f_x=D2f_x,
    )
    return composite_second_derivative(D2g_at_fx, Dg_at_fx, Df_x, Df_x, D2f_x)


@implements("Lemma 2.2.2")
def derivative_of_adjoint(
    D2g_at_fx: BilinearMap, Df_x: LinearMap, v: Tree
) -> LinearMap:
    r"""The derivative in :math:`x` of :math:`D^*g(f(x))\cdot w`, as a linear map of
    :math:`w` (Lemma 2.2.2).

    .. math::

        D\bigl(D^*g(f(x))\cdot w\bigr)\cdot v
        = \bigl((Df(x)\cdot v)\lrcorner D^2g(f(x))\bigr)^*\cdot w .

    Returns the map :math:`w\mapsto D(D^*g(f(x))\cdot w)\cdot v`, from :math:`E_3` to
    :math:`E_2`.

    Raises
    ------
    TypeError
        If an argument is not a map of the kind named.
    """
    _maps("derivative_of_adjoint", D2g_at_fx=D2g_at_fx, Df_x=Df_x)
    return D2g_at_fx.left_hook(Df_x(v)).adj


@implements("Lemma 2.3.1")
def parameter_chain_rule(Dg_at_f: LinearMap, grad_f: LinearMap) -> LinearMap:
    r""":math:`\nabla(g\circ f)(x;\theta) = Dg(f(x;\theta))\cdot\nabla f(x;\theta)`
    (Lemma 2.3.1).

    Its adjoint is :math:`\nabla^* f(x;\theta)\cdot D^*g(f(x;\theta))`, the shape of
    every parameter gradient of chapter 3.

    Raises
    ------
    TypeError
        If an argument is not a map of the kind named.
    """
    _maps("parameter_chain_rule", Dg_at_f=Dg_at_f, grad_f=grad_f)
    return Dg_at_f @ grad_f


@implements("Lemma 2.3.2")
def derivative_of_parameter_adjoint(D_grad_g: BilinearMap, v: Tree) -> LinearMap:
    r"""The derivative in :math:`x` of :math:`\nabla^*g(x;\theta)\cdot w`, as a linear
    map of :math:`w` (Lemma 2.3.2).

    .. math::
        D\bigl(\nabla^*g(x;\theta)\cdot w\bigr)\cdot v
        = (\nabla Dg(x;\theta)\llcorner v)^*\cdot w
        = (v\lrcorner D\nabla g(x;\theta))^*\cdot w .

    ``D_grad_g`` is :math:`D\nabla g(x;\theta)`; the two forms agree because
    :math:`\nabla D g(x;\theta)` is :math:`D\nabla g(x;\theta)` with its arguments
    swapped.

    Raises
    ------
    TypeError
        If an argument is not a map of the kind named.
    """
    _maps("derivative_of_parameter_adjoint", D_grad_g=D_grad_g)
    return D_grad_g.left_hook(v).adj
