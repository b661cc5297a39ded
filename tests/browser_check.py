"""The reader's view of the built book, checked in a real browser (headless Chromium).

    python tests/browser_check.py [HTML_DIR]        # default: _build/html   (make browser-check)

Serves ``HTML_DIR`` on 127.0.0.1 (a free port), opens every ``.html`` page in Debian's Chromium
through Selenium and ``/usr/bin/chromedriver`` (so Selenium Manager downloads nothing), prints one
line per page and exits 1 listing every failure. A page fails when it shows

- a Python traceback (outside the examples of docstrings, which may show the exception they
  expect), an error or stderr cell output, or a docutils error (``system-message``,
  ``problematic``);
- MyST markup that was not rendered: a directive fence (```` ```{ ````, ``:::{``), a role
  (``{doc}`x```, ``{prf:ref}`x```, ...), ``{prf:``, ``{py:``, a ``(label)=`` target,
  ``{{ subst }}``;
- math that was not rendered: ``$$``, ``\\(``, ``\\[``, ``\\begin{`` or ``$\\cmd...$`` left in the
  visible text, a math element without MathJax output, or a formula MathJax could not read (an
  error, or an undefined macro such as a missing ``\\inner``, which MathJax shows in red);
- a missing image (not complete, or ``naturalWidth`` 0);
- a broken internal link: a relative ``href`` to a file that is not in the build, or a
  ``#fragment`` with no such ``id`` in the target;
- a JavaScript error in the console (but for the two harmless theme messages listed in
  ``KNOWN_CONSOLE_ERRORS``);
- a request to any host but the local server (every request Chromium makes is read from its
  performance log, so nothing is missed, and ``--host-resolver-rules`` makes sure none leaves the
  machine), a local request answered with an error status, or a tag that loads something
  (script, stylesheet, font, image, frame) from another host.

It also opens every page at the two widths a reader has (``WIDTHS``): a 1280 x 800 laptop and a
390 x 844 phone (Chromium's mobile emulation), with every hidden cell and dropdown opened, and
measures what does not fit (``overflow_failures``): at 1280 px nothing in the page may need
horizontal scrolling (a code cell, an output, a formula or a table whose ``scrollWidth`` exceeds
its ``clientWidth``); at both widths nothing may be cut off (an element that hides its
overflow and has some) or stick out past the right edge of the screen, and the page itself may
not scroll sideways. On the phone, code, formulas and tables wider than the screen scroll inside
their own boxes, which is allowed; any other box that scrolls is not.

Then it checks the features a reader uses: the theme switcher turns the page dark and it still
renders (with its math); the search page finds results for "adjoint"; every notebook page has
the download buttons (``.md`` source and ``.ipynb``, both files in the build, and the
print-to-PDF button) and the Binder launch button with the URL built from ``_config.yml``.

This file is not named ``test_*.py``, so pytest does not collect it: it needs a built book and
Chromium. ``tests/test_browser_check.py`` tests its pure-Python parts without a browser.
"""

from __future__ import annotations

import argparse
import functools
import html.parser
import http.server
import json
import os
import posixpath
import re
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import unquote, urlsplit

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
SEARCH_QUERY = "adjoint"
SKIPPED_DIRS = ("_static", "_sources", "_images", "_downloads")
MAX_LISTED = 20  # problems listed per page (all are counted)
# The widths a page is measured at: (name, width, height, mobile emulation), and what may scroll
# sideways inside its own box at that width (see overflow_failures).
WIDTHS = (("1280 px", 1280, 800, False), ("390 px phone", 390, 844, True))
MAY_SCROLL = {
    "1280 px": frozenset(),
    "390 px phone": frozenset({"code", "math", "table"}),
}
# Console errors of the theme's own scripts that change nothing a reader sees, with the reason.
KNOWN_CONSOLE_ERRORS = {
    # sphinx-thebe 0.3.1 adds its one-line configuration script twice under Jupyter Book 1;
    # the second copy fails to redeclare a const. Thebe (live code) is not enabled in this book.
    "Identifier 'THEBE_JS_URL' has already been declared",
    # pydata-sphinx-theme when sphinx-book-theme gives it no default mode: it falls back to
    # "auto" (follow the system), which is what the book wants.
    "Got invalid theme mode: . Resetting to auto.",
}

# ----------------------------------------------------------------------------------------------
# Pure-Python parts (tested by tests/test_browser_check.py without a browser)

RAW_MARKUP = [
    ("directive fence", re.compile(r"(?:```|~~~|:::+)\s*\{[A-Za-z][\w:.-]*\}")),
    ("role", re.compile(r"\{[A-Za-z][\w.-]*(?::[\w.-]+)*\}`")),
    ("sphinx-proof markup", re.compile(r"\{prf:")),
    ("python-domain markup", re.compile(r"\{py:")),
    ("label target", re.compile(r"(?m)^\s*\([A-Za-z][\w:.-]*\)=\s*$")),
    ("substitution", re.compile(r"\{\{\s*[A-Za-z_][\w.]*\s*\}\}")),
]
RAW_MATH = [
    ("$$", re.compile(r"\$\$")),
    ("\\(", re.compile(r"\\\(")),
    ("\\[", re.compile(r"\\\[")),
    ("\\begin{", re.compile(r"\\begin\{")),
    ("$\\command$", re.compile(r"\$[^$\n]{0,200}?\\[A-Za-z]+[^$\n]{0,200}?\$")),
]
TRACEBACK = re.compile(r"Traceback \(most recent call last\)")
SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")


def _snippet(text: str, match: re.Match, width: int = 40) -> str:
    start, end = max(0, match.start() - width), min(len(text), match.end() + width)
    return " ".join(text[start:end].split())


def find_raw_markup(text: str) -> list[str]:
    """MyST markup left unrendered in the visible prose of a page:
    ``["role: ...{doc}`x`...", ...]``."""
    return [
        f"{name}: {_snippet(text, match)!r}"
        for name, pattern in RAW_MARKUP
        for match in pattern.finditer(text)
    ]


def find_raw_math(text: str) -> list[str]:
    """TeX delimiters left in the visible prose (outside code and outside MathJax's output)."""
    return [
        f"raw math {name}: {_snippet(text, match)!r}"
        for name, pattern in RAW_MATH
        for match in pattern.finditer(text)
    ]


def find_traceback(text: str) -> list[str]:
    """A Python traceback anywhere on the page."""
    return [f"traceback: {_snippet(text, m, 80)!r}" for m in TRACEBACK.finditer(text)]


def resolve_link(page: str, href: str) -> tuple[str, str] | None:
    """The build file and fragment an ``href`` on ``page`` points at, or None if it is external.

    ``page`` is the page's path relative to the build root (``book/01-introduction.html``).
    Returns ``(target path relative to the build root, fragment)``; the target is ``page`` itself
    for a bare ``#fragment``. Query strings are dropped; ``dir/`` means ``dir/index.html``.
    Raises ValueError for a link that leaves the build (``../../x``).
    """
    href = href.strip()
    if not href or href.startswith("//") or SCHEME.match(href):
        return None
    parts = urlsplit(href)
    fragment = unquote(parts.fragment)
    path = unquote(parts.path)
    if not path:
        return page, fragment
    if path.startswith("/"):
        target = posixpath.normpath(path.lstrip("/"))
    else:
        target = posixpath.normpath(posixpath.join(posixpath.dirname(page), path))
    if target == ".." or target.startswith("../"):
        raise ValueError(f"{href!r} leaves the build")
    if path.endswith("/") or target == ".":
        target = posixpath.join("" if target == "." else target, "index.html")
    return target, fragment


class _IdCollector(html.parser.HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.ids: set[str] = set()

    def handle_starttag(self, tag, attrs):
        for key, value in attrs:
            if value is not None and (key == "id" or (key == "name" and tag == "a")):
                self.ids.add(value)


def html_ids(path: Path) -> frozenset[str]:
    """Every ``id`` (and ``<a name>``) in an HTML file: the fragments a link may point at."""
    parser = _IdCollector()
    parser.feed(path.read_text(encoding="utf-8", errors="replace"))
    parser.close()
    return frozenset(parser.ids)


def check_link(build: Path, page: str, href: str, ids=None) -> str | None:
    """Why an internal ``href`` on ``page`` is broken, or None if it resolves (or is external)."""
    ids = ids or html_ids
    try:
        resolved = resolve_link(page, href)
    except ValueError as err:
        return f"broken link {href!r}: {err}"
    if resolved is None:
        return None
    target, fragment = resolved
    path = build / target
    if not path.is_file():
        return f"broken link {href!r}: {target} is not in the build"
    if fragment and path.suffix == ".html" and fragment not in ids(path):
        return f"broken link {href!r}: no id {fragment!r} in {target}"
    return None


def is_foreign_request(url: str, origin: str) -> bool:
    """Whether a request the browser made goes over the network to anywhere but ``origin``."""
    scheme = url.split(":", 1)[0].lower()
    if scheme not in ("http", "https", "ws", "wss", "ftp"):
        return False  # data:, blob:, about:, and the browser's own chrome:// pages
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower() != origin.lower()


def redirect_target(text: str) -> str | None:
    """Where a ``<meta http-equiv="refresh" content="0; url=...">`` page sends the reader."""
    match = re.search(
        r"""<meta[^>]+http-equiv=["']?refresh["']?[^>]+content=["'][^"']*?url=([^"'>\s]+)""",
        text,
        re.I,
    )
    return match.group(1) if match else None


def expected_binder_url(
    config: dict, pagename: str, extension: str = ".md"
) -> str | None:
    """The Binder URL sphinx-book-theme builds for a page, from ``_config.yml``."""
    binder = (config.get("launch_buttons") or {}).get("binderhub_url", "").strip("/")
    repo = config.get("repository") or {}
    url = repo.get("url", "").rstrip("/")
    if not binder or not url.startswith("https://github.com/"):
        return None
    org, name = url[len("https://github.com/") :].split("/")[:2]
    branch = repo.get("branch", "main")
    ui = {"classic": "tree", "jupyterlab": "lab/tree"}[
        (config.get("launch_buttons") or {}).get("notebook_interface", "classic")
    ]
    book = repo.get("path_to_book", "").strip("/")
    path = f"{book}/{pagename}{extension}" if book else f"{pagename}{extension}"
    return f"{binder}/v2/gh/{org}/{name}/{branch}?urlpath={ui}/{path}"


def is_notebook_source(path: Path) -> bool:
    """Whether a page's source is a MyST Markdown notebook (its front matter has a kernelspec)."""
    if path.suffix != ".md" or not path.is_file():
        return False
    head = path.read_text(encoding="utf-8")[:2000]
    return head.startswith("---") and "kernelspec:" in head.split("\n---", 1)[0]


def html_pages(build: Path) -> list[str]:
    """Every HTML page of the build, relative to it, outside the theme's and Sphinx's folders."""
    pages = []
    for path in sorted(build.rglob("*.html")):
        rel = path.relative_to(build).as_posix()
        if rel.split("/", 1)[0] not in SKIPPED_DIRS:
            pages.append(rel)
    return pages


# ----------------------------------------------------------------------------------------------
# The browser

JS_VISIBLE_TEXT = r"""
// Text of the page outside code, scripts and MathJax's own output: where raw markup would show.
const skip = new Set(['SCRIPT', 'STYLE', 'NOSCRIPT', 'TEMPLATE', 'TEXTAREA', 'PRE', 'CODE',
                      'KBD', 'SAMP', 'MJX-CONTAINER', 'SVG']);
const out = [];
const walk = (node) => {
  for (const child of node.childNodes) {
    if (child.nodeType === Node.TEXT_NODE) out.push(child.data);
    else if (child.nodeType === Node.ELEMENT_NODE && !skip.has(child.tagName.toUpperCase())) {
      if (/^(P|DIV|LI|H[1-6]|DT|DD|TR|TD|TH|BR|SECTION|ARTICLE|ASIDE|NAV|HEADER|FOOTER)$/.test(
          child.tagName)) out.push('\n');
      walk(child);
    }
  }
};
walk(document.body);
return out.join('');
"""

JS_WAIT = r"""
// Wait for MathJax's first typesetting (if the page loads it) and for every image.
const done = arguments[arguments.length - 1];
const t0 = Date.now();
const images = () => Promise.all(Array.from(document.images).map((img) => {
  img.loading = 'eager';
  return img.complete ? null : img.decode().catch(() => null);
}));
const poll = () => {
  const hasScript = document.querySelector('script[src*="mathjax" i]');
  if (!hasScript) return images().then(() => done('no-mathjax'));
  if (window.MathJax && MathJax.startup && MathJax.startup.promise) {
    return MathJax.startup.promise.then(images).then(() => done('ok'),
                                                      (e) => done('error: ' + e));
  }
  if (Date.now() - t0 > 10000) return images().then(() => done('mathjax-not-loaded'));
  setTimeout(poll, 25);
};
poll();
"""

JS_FACTS = (
    r"""
const origin = location.origin;
const external = [];
const loads = [
  ['script[src]', 'src'], ['img[src]', 'src'], ['iframe[src]', 'src'], ['source[src]', 'src'],
  ['video[src]', 'src'], ['audio[src]', 'src'], ['embed[src]', 'src'], ['object[data]', 'data'],
  ['link[href]', 'href'],
];
const fetchingRel = """
    r"""/\b(stylesheet|preload|modulepreload|prefetch|preconnect|dns-prefetch|icon|manifest)\b/i;
for (const [sel, attr] of loads) {
  for (const el of document.querySelectorAll(sel)) {
    if (el.tagName === 'LINK' && !fetchingRel.test(el.rel || '')) continue;
    const url = new URL(el.getAttribute(attr), location.href);
    if (/^https?:$/.test(url.protocol) && url.origin !== origin)
      external.push(el.tagName.toLowerCase() + ' ' + url.href);
  }
}
const resources = performance.getEntriesByType('resource').map(
  (e) => [e.name, e.responseStatus || 0]);
const maths = Array.from(document.querySelectorAll('.math'));
const unrendered = maths.filter((m) => !m.querySelector('mjx-container'))
  .map((m) => m.textContent.replace(/\s+/g, ' ').trim().slice(0, 80));
const mathErrors = [];
if (window.MathJax && MathJax.startup && MathJax.startup.document && MathJax.startup.toMML) {
  for (const item of Array.from(MathJax.startup.document.math)) {
    const mml = MathJax.startup.toMML(item.root);
    const error = mml.match(/data-mjx-error="([^"]*)"/);
    const undefinedMacro = mml.match(/<mtext mathcolor="red">([^<]*)</);
    if (error || undefinedMacro)
      mathErrors.push((error ? error[1] : 'undefined macro ' + undefinedMacro[1]) + ' in ' +
                      String(item.math).replace(/\s+/g, ' ').trim().slice(0, 60));
  }
}
const badImages = Array.from(document.images)
  .filter((img) => !img.complete || img.naturalWidth === 0)
  .map((img) => img.getAttribute('src'));
const errorBlocks = Array.from(document.querySelectorAll(
    '.output.traceback, .output.error, .output.stderr, .system-message, .problematic'))
  .map((el) => el.className + ': ' + el.textContent.slice(0, 80).replace(/\s+/g, ' '));
// A docstring's example may show the exception it expects (doctest checks that it is raised):
// tracebacks count everywhere except in those examples.
function textOutsideDoctests() {
  const body = document.body.cloneNode(true);
  body.querySelectorAll('div.doctest').forEach((el) => el.remove());
  return body.textContent;
}
const hrefs = Array.from(document.querySelectorAll('a[href]')).map((a) => a.getAttribute('href'));
const downloads = Array.from(document.querySelectorAll('.dropdown-download-buttons a[href]'))
  .map((a) => a.getAttribute('href'));
const pdf = document.querySelector('.dropdown-download-buttons .btn-download-pdf-button');
const pdfButton = !!pdf && /print/i.test(pdf.getAttribute('onclick') || '');
const binder = Array.from(document.querySelectorAll('.dropdown-launch-buttons a[href]'))
  .map((a) => a.getAttribute('href')).filter((h) => h.includes('/v2/'));
return {external, resources, maths: maths.length,
        mjx: document.querySelectorAll('mjx-container').length, unrendered, mathErrors,
        badImages, errorBlocks, hrefs, downloads, pdfButton, binder,
        title: document.title, text: textOutsideDoctests()};
"""
)


JS_OVERFLOW = r"""
// Open every hidden cell and dropdown, then measure the boxes of the article that do not fit.
for (const d of document.querySelectorAll('details')) d.open = true;
for (const t of document.querySelectorAll('.toggle-hidden')) {
  t.classList.remove('toggle-hidden'); t.classList.add('toggle-shown');
}
const viewport = document.documentElement.clientWidth;
// The article with its header buttons and its previous/next links; the sidebars slide in
// from off the screen on a phone and are not measured.
const main = document.querySelector('.bd-article-container') || document.body;
const kind = (el) => {
  if (el.closest('pre, div.highlight')) return 'code';
  if (el.closest('.math, mjx-container')) return 'math';
  if (el.closest('table, .pst-scrollable-table-container, .table-wrapper')) return 'table';
  return 'other';
};
const box = (el, over) => ({
  kind: kind(el), over: Math.round(over),
  where: (el.closest('section[id], dl[id], dt[id]') || {id: ''}).id,
  what: (el.textContent || el.getAttribute('src') || '').replace(/\s+/g, ' ').trim().slice(0, 60),
});
const scrolls = [], clipped = [], outside = [];
const inScroller = new Set();
for (const el of main.querySelectorAll('*')) {
  const tag = el.tagName.toLowerCase();
  if (tag.startsWith('mjx-') && tag !== 'mjx-container') continue;  // MathJax's own parts
  if (!el.getClientRects().length) continue;                           // not displayed
  const style = getComputedStyle(el);
  if (style.visibility === 'hidden' || style.textOverflow === 'ellipsis') continue;
  const over = el.scrollWidth - el.clientWidth;
  if (el.clientWidth > 0 && over > 1) {
    if (/^(auto|scroll)$/.test(style.overflowX)) {
      scrolls.push(box(el, over)); inScroller.add(el);
      // a box that opens scrolled to its end (a row-reverse flex box) hides its beginning
      const left = el.getBoundingClientRect().left + el.clientLeft;
      const first = Math.min(...Array.from(el.children, (c) => c.getBoundingClientRect().left));
      if (first < left - 1) clipped.push(box(el, left - first));
    }
    else if (/^(hidden|clip)$/.test(style.overflowX)) clipped.push(box(el, over));
  }
}
const leaves = 'p, li, dt, dd, h1, h2, h3, h4, h5, h6, img, svg, table, pre, mjx-container, ' +
               'figure, div.math, div.cell, div.admonition, blockquote, .sd-card';
for (const el of main.querySelectorAll(leaves)) {
  if (!el.getClientRects().length || getComputedStyle(el).visibility === 'hidden') continue;
  let a = el.parentElement, scrolled = false;
  for (; a && a !== main; a = a.parentElement) if (inScroller.has(a)) { scrolled = true; break; }
  const right = el.getBoundingClientRect().right;
  if (!scrolled && right > viewport + 1) outside.push(box(el, right - viewport));
}
return {viewport, pageWidth: document.documentElement.scrollWidth, scrolls, clipped, outside};
"""


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args):  # `format`: the base class's name
        pass  # statuses are read from the browser's log, per page

    def end_headers(self):
        self.send_header("Cache-Control", "no-store")
        super().end_headers()


def serve(build: Path) -> http.server.ThreadingHTTPServer:
    """A threaded HTTP server for ``build`` on 127.0.0.1 and a free port (in a daemon thread)."""
    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(_QuietHandler, directory=str(build))
    )
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def start_chromium(profile: str):
    """Headless Chromium through chromedriver, with every request logged and none leaving
    the machine."""
    os.environ.setdefault("SE_OFFLINE", "true")  # Selenium Manager: download nothing
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    for path in (CHROMIUM, CHROMEDRIVER):
        if not Path(path).exists():
            sys.exit(f"{path} is missing: apt-get install chromium chromium-driver")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-dev-shm-usage",
        "--window-size=1280,800",
        f"--user-data-dir={profile}",
        # Any host but the local server fails to resolve, so a page that wants the network shows
        # it here even on a machine that has one (the request itself is caught in the log).
        "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
    ):
        options.add_argument(flag)
    options.set_capability(
        "goog:loggingPrefs", {"performance": "ALL", "browser": "ALL"}
    )
    driver = webdriver.Chrome(options=options, service=Service(CHROMEDRIVER))
    driver.set_page_load_timeout(120)
    driver.set_script_timeout(120)
    driver.get("about:blank")
    # what Chromium loaded for its own start page is not the book's
    driver.get_log("performance")
    driver.get_log("browser")
    return driver


def set_width(driver, width: int, height: int, mobile: bool) -> None:
    """A viewport of exactly ``width`` x ``height`` CSS pixels (Chromium's device emulation):
    a laptop's, with scroll bars that take their width, or a phone's (``mobile``: a touch
    screen with overlay scroll bars, three device pixels to the CSS pixel)."""
    driver.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {
            "width": width,
            "height": height,
            "deviceScaleFactor": 3 if mobile else 1,
            "mobile": mobile,
        },
    )


def check_widths(driver, origin: str, page: str) -> tuple[list[str], dict]:
    """Open ``page`` at each of ``WIDTHS`` and return what does not fit, and what scrolls."""
    failures, scrolling = [], {}
    for name, width, height, mobile in WIDTHS:
        set_width(driver, width, height, mobile)
        driver.get(f"{origin}/{page}")
        driver.execute_async_script(JS_WAIT)
        facts = driver.execute_script(JS_OVERFLOW)
        failures += overflow_failures(facts, name, MAY_SCROLL[name])
        scrolling[name] = len(facts["scrolls"])
    set_width(driver, *WIDTHS[0][1:])
    return failures, scrolling


def network_problems(driver, origin: str) -> list[str]:
    """Requests since the last call that went to another host, failed, or got an error status."""
    problems, urls = [], {}
    for entry in driver.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        method, params = message.get("method"), message.get("params", {})
        if method == "Network.requestWillBeSent":
            url = params["request"]["url"]
            urls[params["requestId"]] = url
            if is_foreign_request(url, origin):
                problems.append(f"request to another host: {url}")
        elif method == "Network.responseReceived":
            status, url = params["response"]["status"], params["response"]["url"]
            # Chromium asks for /favicon.ico by itself when a page names no icon: not the page's.
            if status >= 400 and url != origin + "/favicon.ico":
                problems.append(f"HTTP {status}: {url}")
        elif method == "Network.loadingFailed" and not params.get("canceled"):
            url = urls.get(params["requestId"], params["requestId"])
            if url.startswith(origin + "/"):
                problems.append(f"load failed ({params.get('errorText')}): {url}")
    return list(dict.fromkeys(problems))


def console_errors(driver) -> list[str]:
    """JavaScript errors the page logged since the last call (failed loads are reported apart)."""
    problems = []
    for entry in driver.get_log("browser"):
        message = entry.get("message", "")
        if entry.get("level") != "SEVERE" or "Failed to load resource" in message:
            continue
        if not any(known in message for known in KNOWN_CONSOLE_ERRORS):
            problems.append(f"console error: {' '.join(message.split())[:200]}")
    return problems


def check_page(
    driver, build: Path, origin: str, page: str, ids
) -> tuple[list[str], dict]:
    """Open one page and return its failures and its facts."""
    driver.get(f"{origin}/{page}")
    waited = driver.execute_async_script(JS_WAIT)
    facts = driver.execute_script(JS_FACTS)
    visible = driver.execute_script(JS_VISIBLE_TEXT)
    failures = []
    if waited not in ("ok", "no-mathjax"):
        failures.append(f"MathJax: {waited}")
    if facts["maths"] and not facts["mjx"]:
        failures.append(f"{facts['maths']} math elements but no MathJax output")
    failures += find_traceback(facts["text"])
    failures += [f"error output: {e}" for e in facts["errorBlocks"]]
    failures += find_raw_markup(visible)
    failures += find_raw_math(visible)
    failures += [f"math not rendered: {m!r}" for m in facts["unrendered"]]
    failures += [f"MathJax error: {m}" for m in facts["mathErrors"]]
    failures += [f"missing image: {src}" for src in facts["badImages"]]
    failures += [f"loads from another host: {e}" for e in facts["external"]]
    for href in dict.fromkeys(facts["hrefs"]):
        problem = check_link(build, page, href, ids)
        if problem:
            failures.append(problem)
    failures += network_problems(driver, origin)
    failures += console_errors(driver)
    return grouped(failures), facts


def check_dark_mode(driver, origin: str, page: str) -> list[str]:
    """Click the theme switcher until the page is dark; it must get there and still render."""
    from selenium.webdriver.common.by import By

    driver.get(f"{origin}/{page}")
    driver.execute_async_script(JS_WAIT)
    before = driver.execute_script("return document.documentElement.dataset.theme")
    mjx_before = driver.execute_script(
        "return document.querySelectorAll('mjx-container').length"
    )
    buttons = [
        b
        for b in driver.find_elements(By.CSS_SELECTOR, ".theme-switch-button")
        if b.is_displayed()
    ]
    if not buttons:
        return [f"dark mode: no visible theme switcher button on {page}"]
    failures, themes = [], [before]
    for _ in range(3):
        if themes[-1] == "dark":
            break
        buttons[0].click()
        themes.append(
            driver.execute_script("return document.documentElement.dataset.theme")
        )
    if before == "dark":
        failures.append(
            "dark mode: the page starts dark, so the switcher cannot be tested"
        )
    if themes[-1] != "dark":
        failures.append(
            f"dark mode: data-theme went {' -> '.join(map(str, themes))}, never dark"
        )
    else:
        state = driver.execute_script(
            """
            const bg = getComputedStyle(document.body).backgroundColor"""
            """.match(/\\d+(\\.\\d+)?/g).map(Number);
            const fg = getComputedStyle(document.querySelector('main, article, body')).color
              .match(/\\d+(\\.\\d+)?/g).map(Number);
            const lum = (c) => 0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2];
            return {bg: lum(bg), fg: lum(fg),"""
            """ mjx: document.querySelectorAll('mjx-container').length,
                    visible: document.querySelector('main') ?"""
            """ document.querySelector('main').offsetHeight : 0};
            """
        )
        if not (state["bg"] < 80 and state["fg"] > state["bg"] + 60):
            failures.append(
                f"dark mode: background luminance {state['bg']:.0f}, text {state['fg']:.0f}"
            )
        if state["mjx"] != mjx_before or state["visible"] < 200:
            failures.append(f"dark mode: page no longer renders ({state})")
    failures += network_problems(driver, origin) + console_errors(driver)
    driver.execute_script("localStorage.clear()")
    print(
        f"{'ok  ' if not failures else 'FAIL'} dark mode on {page}: "
        f"data-theme {' -> '.join(map(str, themes))}"
    )
    return failures


def check_search(driver, origin: str) -> list[str]:
    """search.html?q=adjoint must list results."""
    from selenium.webdriver.support.ui import WebDriverWait

    driver.get(f"{origin}/search.html?q={SEARCH_QUERY}")
    try:
        WebDriverWait(driver, 30).until(
            lambda d: d.execute_script(
                "const s = document.querySelector("
                "'#search-results .search-summary, #search-results p');"
                "return document.querySelectorAll('#search-results ul.search li').length > 0"
                " || (s && /found|did not match|no documents/i.test(s.textContent));"
            )
        )
    except Exception as err:  # a timeout, whatever its type, is a failure to report
        return [
            f"search: no result list for {SEARCH_QUERY!r} after 30 s ({type(err).__name__})"
        ]
    results = driver.execute_script(
        "return document.querySelectorAll('#search-results ul.search li').length"
    )
    failures = [] if results else [f"search: no results for {SEARCH_QUERY!r}"]
    failures += network_problems(driver, origin) + console_errors(driver)
    print(
        f"{'ok  ' if not failures else 'FAIL'} search.html?q={SEARCH_QUERY}: {results} results"
    )
    return failures


def check_buttons(build: Path, page: str, facts: dict, config: dict) -> list[str]:
    """A notebook page's download (.md, .ipynb, print-to-PDF) and Binder launch buttons."""
    failures = []
    for suffix in (".md", ".ipynb"):
        links = [h for h in facts["downloads"] if urlsplit(h).path.endswith(suffix)]
        if not links:
            failures.append(f"download button: no {suffix} link")
        for href in links:
            problem = check_link(build, page, href)
            if problem:
                failures.append(f"download button {suffix}: {problem}")
    if not facts["pdfButton"]:
        failures.append(
            "download button: no .pdf button that prints the page (window.print)"
        )
    expected = expected_binder_url(config, page.removesuffix(".html"))
    if expected and expected not in facts["binder"]:
        failures.append(
            f"launch button: expected Binder link {expected}, found {facts['binder']}"
        )
    return failures


def overflow_failures(
    facts: dict, width: str, may_scroll: frozenset[str] = frozenset()
) -> list[str]:
    """What does not fit on a page at one width, from the measures of ``JS_OVERFLOW``.

    ``facts`` holds the viewport width, the page's scroll width, and lists of boxes that
    ``scroll`` (overflow auto/scroll with more content than width), are ``clipped`` (overflow
    hidden/clip with more content than width) or stick ``outside`` the viewport; each box is
    ``{"kind": "code" | "math" | "table" | "other", "where": section id, "what": text,
    "over": pixels}``. Boxes of a kind in ``may_scroll`` may scroll; nothing may be clipped or
    outside, and the page may not be wider than the viewport.
    """
    failures = []
    if facts["pageWidth"] > facts["viewport"] + 1:
        failures.append(
            f"page wider than the screen at {width}: "
            f"{facts['pageWidth']} px for {facts['viewport']}"
        )

    def where(box: dict) -> str:
        return (
            f"{box['kind']} in #{box['where']} ({box['over']} px over): {box['what']!r}"
        )

    failures += [
        f"scrolls sideways at {width}: {where(b)}"
        for b in facts["scrolls"]
        if b["kind"] not in may_scroll
    ]
    failures += [f"cut off at {width}: {where(b)}" for b in facts["clipped"]]
    failures += [
        f"past the right edge at {width}: {where(b)}" for b in facts["outside"]
    ]
    return failures


def grouped(problems: list[str], shown: int = 3) -> list[str]:
    """Problems of one kind (the text before the first ': ') on one line, with a few examples.

    Broken links and requests stay one per line: each is a separate thing to fix.
    """
    kinds: dict[str, list[str]] = {}
    for problem in problems:
        kind, _, detail = problem.partition(": ")
        if (
            kind.startswith(("broken link", "request to", "HTTP", "load failed"))
            or not detail
        ):
            kind, detail = problem, ""
        kinds.setdefault(kind, []).append(detail)
    out = []
    for kind, details in kinds.items():
        if len(details) == 1:
            out.append(f"{kind}: {details[0]}" if details[0] else kind)
        else:
            more = f" ... ({len(details)} in all)" if len(details) > shown else ""
            out.append(f"{kind} x{len(details)}: " + " | ".join(details[:shown]) + more)
    return out


def capped(problems: list[str], limit: int = MAX_LISTED) -> list[str]:
    """The first ``limit`` problems of a page, and how many more there are."""
    if len(problems) <= limit:
        return problems
    return [*problems[:limit], f"... and {len(problems) - limit} more"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "html",
        nargs="?",
        default=str(ROOT / "_build" / "html"),
        help="the built HTML (default _build/html)",
    )
    parser.add_argument(
        "--config", default=str(ROOT / "_config.yml"), help="the book's _config.yml"
    )
    parser.add_argument(
        "--source", default=str(ROOT), help="the folder the book was built from"
    )
    parser.add_argument(
        "--page",
        action="append",
        help="check only this page (repeatable), e.g. book/05-rnn.html",
    )
    args = parser.parse_args(argv)

    import yaml

    build = Path(args.html).resolve()
    if not (build / "index.html").is_file():
        print(
            f"{build}/index.html is missing: build the book first (make book)",
            file=sys.stderr,
        )
        return 2
    config = yaml.safe_load(Path(args.config).read_text(encoding="utf-8"))
    source = Path(args.source)
    pages = html_pages(build)
    if args.page:
        missing = sorted(set(args.page) - set(pages))
        if missing:
            print(f"not pages of {build}: {', '.join(missing)}", file=sys.stderr)
            return 2
        pages = [p for p in pages if p in args.page]
    ids = functools.lru_cache(maxsize=None)(html_ids)
    t0 = time.monotonic()
    server = serve(build)
    origin = f"http://127.0.0.1:{server.server_address[1]}"
    failures: dict[str, list[str]] = {}
    notebook_pages, math_page, most_math = 0, None, 0
    with tempfile.TemporaryDirectory(prefix="browser-check-") as profile:
        driver = start_chromium(profile)
        try:
            for page in pages:
                target = redirect_target(
                    (build / page).read_text(encoding="utf-8", errors="replace")[:2000]
                )
                # e.g. the top index.html that sends the reader to book/
                if target is not None:
                    problem = check_link(build, page, target, ids)
                    if problem:
                        failures[page] = [f"redirect: {problem}"]
                    print(
                        f"{'FAIL' if problem else 'ok  '} {page}: redirects to {target}",
                        flush=True,
                    )
                    continue
                t = time.monotonic()
                problems, facts = check_page(driver, build, origin, page, ids)
                fit, scrolling = check_widths(driver, origin, page)
                problems += grouped(fit)
                if is_notebook_source(source / page.replace(".html", ".md")):
                    notebook_pages += 1
                    problems += check_buttons(build, page, facts, config)
                if facts["mjx"] > most_math:
                    math_page, most_math = page, facts["mjx"]
                if problems:
                    failures[page] = problems
                print(
                    f"{'FAIL' if problems else 'ok  '} {page}: {facts['mjx']} formulas,"
                    f" {len(facts['hrefs'])} links, {len(facts['resources'])} requests,"
                    f" {scrolling[WIDTHS[1][0]]} boxes scroll on a phone"
                    f" ({time.monotonic() - t:.1f} s)"
                    + "".join(f"\n       {p}" for p in capped(problems)),
                    flush=True,
                )
            extra = check_dark_mode(driver, origin, math_page or "index.html")
            extra += check_search(driver, origin)
            if not notebook_pages:
                extra.append(
                    "no notebook page found: the download and launch buttons were not checked"
                )
            if extra:
                failures["(reader features)"] = extra
        finally:
            driver.quit()
            server.shutdown()
    elapsed = time.monotonic() - t0
    print(
        f"{len(pages)} pages ({notebook_pages} notebook pages, {most_math} formulas on {math_page})"
        f" checked in {elapsed:.0f} s: {sum(map(len, failures.values()))} failures"
    )
    if failures:
        print("\nFailures:", file=sys.stderr)
        for page, problems in failures.items():
            for problem in capped(problems):
                print(f"  {page}: {problem}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
