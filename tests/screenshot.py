"""The README's picture of a page, taken from the built book: ``make screenshot``.

    python tests/screenshot.py [HTML_DIR] [--out PATH]

Opens ``PAGE`` of the built HTML in the same headless Chromium as ``make browser-check``
(1280 x 800, light theme), scrolls to ``ANCHOR`` (a box with its statement, formulas and the
package's code under it) and saves the window as a PNG. Rebuild the book first when a page
has changed; then commit the new PNG with the change that altered the page.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import browser_check  # the module next to this one, not a package

ROOT = Path(__file__).resolve().parent.parent
PAGE = "book/04-1-mlp.html"
ANCHOR = "lem-4-1-3"
OUT = ROOT / ".github" / "screenshot.png"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("html", nargs="?", default=str(ROOT / "_build" / "html"))
    parser.add_argument("--out", default=str(OUT))
    args = parser.parse_args(argv)
    build = Path(args.html).resolve()
    if not (build / PAGE).is_file():
        print(
            f"{build / PAGE} is missing: build the book first (make book)",
            file=sys.stderr,
        )
        return 2
    server = browser_check.serve(build)
    origin = f"http://127.0.0.1:{server.server_address[1]}"
    with tempfile.TemporaryDirectory(prefix="screenshot-") as profile:
        driver = browser_check.start_chromium(profile)
        try:
            browser_check.set_width(driver, 1280, 800, False)
            driver.get(f"{origin}/{PAGE}#{ANCHOR}")
            driver.execute_async_script(browser_check.JS_WAIT)
            # the header bar would cover the box's title: scroll it into view below the bar
            driver.execute_script(
                "document.getElementById(arguments[0]).scrollIntoView();"
                "window.scrollBy(0, -80);",
                ANCHOR,
            )
            # the theme's scroll-spy highlights the section in the sidebar
            time.sleep(0.5)
            Path(args.out).parent.mkdir(parents=True, exist_ok=True)
            driver.save_screenshot(args.out)
        finally:
            driver.quit()
            server.shutdown()
    print(f"{args.out}: {PAGE}#{ANCHOR} at 1280 x 800")
    return 0


if __name__ == "__main__":
    sys.exit(main())
