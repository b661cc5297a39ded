"""Sphinx extension: a page that warned is read (and executed) again by the next build.

``make book`` fails on any warning (``-W --keep-going``) but builds incrementally, and
Sphinx warns about a page only while reading or writing it. A page that warned would
not be read again by the next build if nothing it depends on changed, so that build
would pass with the problem still there. This extension records which pages warned
(``_build/.doctrees/warned-pages.json``, rewritten by every build) and marks them
outdated at the start of the next build (``env-get-outdated``): a strict build keeps
failing until the page is fixed, as a build from scratch would.

A warning is attributed to the page being read, or else to the page its location names
(a node or ``path:line``). Warnings that ``suppress_warnings`` silences do not count.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

from docutils import nodes
from docutils.utils import get_source_line
from sphinx.util.logging import is_suppressed_warning

RECORD = "warned-pages.json"


class WarnedPages(logging.Handler):
    """Collects the documents that warnings are about."""

    def __init__(self, app: Any):
        super().__init__(logging.WARNING)
        self.app = app
        self.docnames: set[str] = set()

    def emit(self, record: logging.LogRecord) -> None:
        suppressed = self.app.config.suppress_warnings
        if is_suppressed_warning(
            getattr(record, "type", ""), getattr(record, "subtype", ""), suppressed
        ):
            return
        docname = self.docname(record)
        if docname:
            self.docnames.add(docname)

    def docname(self, record: logging.LogRecord) -> str | None:
        """The document to read again: the one being read or resolved when the
        warning came (Sphinx keeps its name in ``temp_data``, also while resolving
        references before writing), or else the one the warning's location names."""
        env = self.app.env
        if env is None:
            return None
        if env.temp_data.get("docname"):
            return str(env.temp_data["docname"])
        location = getattr(record, "location", None)
        if isinstance(location, tuple) and location:
            return str(location[0])
        if isinstance(location, str):
            if location in env.found_docs:
                return location
            source = location.rsplit(":", 1)[0]
        elif isinstance(location, nodes.Node):
            source = get_source_line(location)[0]
        else:
            return None
        return env.path2doc(str(Path(source).resolve())) if source else None


def _record_path(app: Any) -> Path:
    return Path(app.doctreedir) / RECORD


def _install(app: Any) -> None:
    handler = WarnedPages(app)
    app._warned_pages = handler
    logging.getLogger("sphinx").addHandler(handler)


def _outdated(
    app: Any, env: Any, added: set[str], changed: set[str], removed: set[str]
) -> list[str]:
    path = _record_path(app)
    if not path.is_file():
        return []
    warned = json.loads(path.read_text(encoding="utf-8"))
    return sorted(d for d in warned if d in env.found_docs and d not in added | changed)


def _save(app: Any, exception: Exception | None) -> None:
    handler: WarnedPages | None = getattr(app, "_warned_pages", None)
    if handler is None:  # the build failed before it started reading
        return
    logging.getLogger("sphinx").removeHandler(handler)
    path = _record_path(app)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(sorted(handler.docnames)), encoding="utf-8")


def setup(app: Any) -> dict[str, Any]:
    app.connect("builder-inited", _install)
    app.connect("env-get-outdated", _outdated)
    app.connect("build-finished", _save)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
