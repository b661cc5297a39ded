"""Regenerate the nbval reference outputs: ``python -m tests.references [PAGE ...]``.

With no argument every notebook page of ``book/`` is executed; otherwise only the pages named
(paths such as ``book/01-introduction.md``). ``make reference`` runs this.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from tests.notebook_pages import ROOT, make_reference, notebook_pages


def main(argv: list[str]) -> int:
    pages = [Path(a).resolve() for a in argv] or notebook_pages()
    for page in pages:
        start = time.perf_counter()
        out = make_reference(page)
        print(f"{out.relative_to(ROOT)}  ({time.perf_counter() - start:.1f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
