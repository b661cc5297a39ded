"""Sphinx extension: number the book's sphinx-proof boxes with the thesis's own numbers.

sphinx-proof numbers its boxes itself (Theorem 1, 2, ...). The book keeps the thesis's numbering
instead, so that its Theorem 3.2.5 is the thesis's Theorem 3.2.5. A box takes the number written
in its label: ``:label: thm-3-2-5`` is numbered 3.2.5, in its title and in every
``{prf:ref}`` to it. The label is ``<kind>-<chapter>-<section>-<number>`` for any kind prefix.

A box whose label carries no such number keeps the number Sphinx gives it; boxes of the book's
own (results that are not in the thesis) should use ``:nonumber:`` so they cannot be mistaken for
the thesis's.
"""

from __future__ import annotations

import re

from sphinx.application import Sphinx
from sphinx.environment import BuildEnvironment

THESIS_LABEL = re.compile(r"^[a-z]+-(\d+)-(\d+)-(\d+)$")


def renumber(app: Sphinx, env: BuildEnvironment) -> list[str]:
    """Replace the numbers Sphinx assigned to thesis-labelled boxes by the thesis's numbers.

    Sphinx assigns figure numbers in its own ``env-get-updated`` handler; this one runs after it
    (lower priority) and changes no document, so it returns no document to rewrite.
    """
    for label, info in getattr(env, "proof_list", {}).items():
        match = THESIS_LABEL.match(label)
        if not match or info.get("nonumber"):
            continue
        numbers = env.toc_fignumbers.setdefault(info["docname"], {})
        numbers.setdefault(info["countertype"], {})[label] = tuple(int(g) for g in match.groups())
    return []


def setup(app: Sphinx) -> dict:
    app.connect("env-get-updated", renumber, priority=900)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
