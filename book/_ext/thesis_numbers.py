"""Sphinx extension: number the book's sphinx-proof boxes with the thesis's own numbers.

sphinx-proof numbers its boxes itself (Theorem 1, 2, ...). The book keeps the thesis's numbering
instead, so that its Theorem 3.2.5 is the thesis's Theorem 3.2.5. A box takes the number written
in its label: ``:label: thm-3-2-5`` is numbered 3.2.5, in its title and in every
``{prf:ref}`` to it. The label is ``<kind>-<chapter>-<section>-<number>`` for any kind prefix.

The book's own results of Part IV ("Beyond the thesis") are numbered in a series of
their own, F.<page>.<k>: ``:label: prop-f-1-2`` is Proposition F.1.2.

Exercises are numbered the same way: ``:label: ex-2-1`` is Exercise 2.1. A box whose label
carries no such number keeps the number Sphinx gives it; boxes of the book's own (results that
are not in the thesis) should use ``:nonumber:`` so they cannot be mistaken for the thesis's.
"""

from __future__ import annotations

import copy
import re

from sphinx.application import Sphinx
from sphinx.environment import BuildEnvironment

NUMBERED_LABEL = re.compile(r"^[a-z]+((?:-[fp])?(?:-\d+)+)$")


# env attribute: the numbers Sphinx itself assigned in the last build, before renumber
SPHINX_NUMBERS = "adjnets_sphinx_fignumbers"


def restore_sphinx_numbers(app: Sphinx, env: BuildEnvironment) -> list[str]:
    """Put back the numbers Sphinx assigned last time, before Sphinx assigns them again.

    Sphinx's ``env-get-updated`` handler compares the numbers it assigns with those of
    the last build and rewrites every page whose numbers differ. It would find the
    thesis's numbers of :func:`renumber` there and rewrite every page with a box on
    every build, and save the environment each time, with nothing changed; compared
    with its own numbers, it rewrites the pages whose boxes did change. (A box's thesis
    number comes from its label, in the page's own text: a page whose label changed is
    read, and written, again anyway.)
    """
    numbers = getattr(env, SPHINX_NUMBERS, None)
    if numbers is not None:
        env.toc_fignumbers = copy.deepcopy(numbers)
    return []


def renumber(app: Sphinx, env: BuildEnvironment) -> list[str]:
    """Give every numbered box whose label ends in numbers those numbers.

    Sphinx assigns figure numbers in its own ``env-get-updated`` handler; this one runs after it
    (lower priority) and changes no document, so it returns no document to rewrite. It covers
    sphinx-proof's boxes (``thm-3-2-5`` is Theorem 3.2.5) and sphinx-exercise's exercises
    (``ex-2-1`` is Exercise 2.1), which both number through Sphinx's figure numbers.
    """
    setattr(env, SPHINX_NUMBERS, copy.deepcopy(env.toc_fignumbers))
    for by_type in env.toc_fignumbers.values():
        for numbers in by_type.values():
            for label in numbers:
                match = NUMBERED_LABEL.match(label)
                if match:
                    numbers[label] = tuple(
                        n.upper() if n.isalpha() else int(n)
                        for n in match.group(1)[1:].split("-")
                    )
    return []


def setup(app: Sphinx) -> dict:
    # Sphinx's own handler has the default priority, 500
    app.connect("env-get-updated", restore_sphinx_numbers, priority=100)
    app.connect("env-get-updated", renumber, priority=900)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
