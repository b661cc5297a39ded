"""Sphinx extension: the whole book as one PDF in every page's download menu.

sphinx-book-theme's header has a "download" dropdown on every page built from a source file
(the page's ``.md``, its ``.ipynb``, and "print to PDF"). This adds a fourth entry, "Book (PDF)",
a link to ``adjnets.pdf`` at the top of the site: ``make pdf`` builds it and copies it to
``_build/html/adjnets.pdf``. The URL is relative to each page (Sphinx's ``pathto``), so the link
works wherever the site is served from.
"""

from __future__ import annotations

from typing import Any

from sphinx.application import Sphinx

# make pdf: _build/latex/adjnets.pdf, copied to _build/html/adjnets.pdf
PDF_FILE = "adjnets.pdf"
# the label sphinx-book-theme gives its download dropdown
DOWNLOAD_GROUP = "download-buttons"


def book_pdf_button(url: str) -> dict[str, str]:
    """The dropdown entry, in the form of sphinx-book-theme's own buttons."""
    return {
        "type": "link",
        "url": url,
        "text": "Book (PDF)",
        "tooltip": "Download the whole book as one PDF",
        "icon": "fas fa-book",
        "label": "download-book-pdf-button",
    }


def add_book_pdf(
    app: Sphinx, pagename: str, templatename: str, context: dict, doctree: Any
) -> None:
    """Append the entry to the page's download dropdown, if the page has one."""
    for button in context.get("header_buttons", []):
        if button.get("type") == "group" and button.get("label") == DOWNLOAD_GROUP:
            button["buttons"].append(book_pdf_button(context["pathto"](PDF_FILE, 1)))


def setup(app: Sphinx) -> dict:
    # after sphinx-book-theme's own handler (priority 501), which builds the dropdown
    app.connect("html-page-context", add_book_pdf, priority=600)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
