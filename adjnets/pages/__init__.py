"""What the book's pages need besides the mathematics.

* :mod:`~adjnets.pages.thesis`: the registry of the thesis's 58 numbered results
  (``thesis_results.tsv``), the ``@implements`` marker that ties code to them, and the
  traceability table;
* :mod:`~adjnets.pages.display`: the package's own source, and Markdown tables, shown on
  a page.
"""

from adjnets.pages import display, thesis

__all__ = ["display", "thesis"]
