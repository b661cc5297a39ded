"""The PDF of the book (``make pdf``), read back as a reader and as LaTeX saw it.

    python tests/pdf_check.py [PDF]          # default: _build/latex/adjnets.pdf  (make pdf)

Reads the PDF's text with ``pdftotext -layout`` (poppler-utils) and the LaTeX log next to it
(``adjnets.log``; ``adjnets.tex`` names the book page of each report), prints what it found and
exits 1 listing every failure. The PDF fails when

- one of the thesis's numbered results of ``adjnets/pages/thesis_results.tsv`` does not appear as
  "<Kind> <number>" ("Theorem 3.2.5") in its text: the boxes lost their thesis numbers;
- a reference is unresolved: "??" in the text, or LaTeX's "Reference/Citation ... undefined" and
  "There were undefined references" warnings in the log; or a label is defined twice;
- a line runs past the side margin: an ``Overfull \\hbox`` wider than ``--overfull`` points
  (1 pt, see ``OVERFULL_PT``), or a page past its bottom margin: an ``Overfull \\vbox`` higher
  than ``--overfull-page`` points (5 pt, ``OVERFULL_PAGE_PT``); each is listed with its PDF page,
  the book page it comes from and the LaTeX line;
- a character has no glyph in its font (XeTeX's "Missing character" in the log): it would be
  printed as nothing.

It also lists, without failing, the display formulas that LaTeX scaled down to fit the line
(``\\fitdisplaymath`` of ``book/_ext/latex_pdf.py``): candidates for a line break in the source.

This file is not named ``test_*.py``, so pytest does not collect it: it needs a built PDF and
poppler. ``tests/test_pdf_check.py`` tests its pure-Python parts without TeX.
"""

from __future__ import annotations

import argparse
import bisect
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "adjnets" / "pages" / "thesis_results.tsv"
DEFAULT_PDF = ROOT / "_build" / "latex" / "adjnets.pdf"

# An overfull hbox wider than this fails.  TeX reports every box more than \hfuzz = 0.1 pt too
# wide; below 1 pt (0.35 mm, a third of the width of a full stop) the excess is invisible and
# comes from the rounding of justified text against the margin.  From 1 pt on, a glyph or a
# stretch of a formula, a listing or a table visibly crosses into the margin.
OVERFULL_PT = 1.0
# A page whose text is higher than the text block by more than this fails: half a line of 10 pt
# type.  A few points come from the depth of the last line or a rounded skip and stay clear of
# the footer; from half a line on, the text visibly runs below the bottom line of the other
# pages (a box that cannot break at the page end).
OVERFULL_PAGE_PT = 5.0
MAX_LISTED = 40

# ----------------------------------------------------------------------------------------------
# Pure-Python parts (tested by tests/test_pdf_check.py without TeX)


def thesis_results(text: str) -> list[tuple[str, str]]:
    """The (kind, number) pairs of ``thesis_results.tsv``: ``[("Lemma", "2.2.1"), ...]``."""
    results = []
    for line in text.splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        kind, number = line.split("\t")[:2]
        results.append((kind.strip(), number.strip()))
    return results


def result_pattern(kind: str, number: str) -> re.Pattern:
    """\"Theorem 3.2.5" as a word: not "Theorem 3.2.51", nor "3.2.5.1"; any spacing between."""
    return re.compile(rf"(?<![\w.]){re.escape(kind)}\s+{re.escape(number)}(?!\.?\d)")


def missing_results(text: str, results: list[tuple[str, str]]) -> list[str]:
    """The results that do not appear as "<Kind> <number>" in the text."""
    return [f"{k} {n}" for k, n in results if not result_pattern(k, n).search(text)]


def page_of(text: str, offset: int) -> int:
    """The PDF page (from 1) of a position in pdftotext's output, whose pages end with a
    form feed."""
    return text.count("\f", 0, offset) + 1


def line_at(text: str, offset: int) -> str:
    """The line of pdftotext's output around a position (lines end with a newline or a
    form feed)."""
    start = max(text.rfind("\n", 0, offset), text.rfind("\f", 0, offset)) + 1
    ends = [k for k in (text.find("\n", offset), text.find("\f", offset)) if k >= 0]
    return " ".join(text[start : min(ends, default=len(text))].split())


def unresolved_in_text(text: str) -> list[str]:
    """Every "??" in the text (LaTeX's mark for a reference it could not resolve), with its page."""
    return [
        f"page {page_of(text, m.start())}: '??' in {line_at(text, m.start())[:100]!r}"
        for m in re.finditer(r"\?\?", text)
    ]


UNDEFINED = re.compile(
    r"(?:LaTeX|Package \w+) Warning: ((?:Hyper r|R)eference|Citation) [`']([^']*)' on page (\S+)"
    r"\s+undefined"
)


def log_problems(log: str) -> list[str]:
    """Undefined references and citations, and characters missing from their font, in a
    LaTeX log."""
    flat = unwrap(log)
    problems = [
        f"undefined {kind.lower()} {name!r} (page {page})"
        for kind, name, page in UNDEFINED.findall(flat)
    ]
    if re.search(r"There were undefined (references|citations)", flat) and not problems:
        problems.append("LaTeX: There were undefined references")
    twice = sorted(
        set(re.findall(r"LaTeX Warning: Label [`']([^']*)' multiply defined", flat))
    )
    problems += [
        f"label {name!r} defined twice: links to it may land on the wrong one"
        for name in twice
    ]
    missing: dict[str, int] = {}
    for match in re.finditer(
        r"Missing character: There is no (.+?) in font ([^/!]+)", flat
    ):
        key = f"{match.group(1)} in {match.group(2).strip()}"
        missing[key] = missing.get(key, 0) + 1
    problems += [
        f"missing glyph: {key} ({n} times)" for key, n in sorted(missing.items())
    ]
    return problems


def unwrap(log: str, width: int = 79) -> str:
    """A log with TeX's line wrapping undone.

    TeX breaks the log's lines at ``max_print_line`` (79 characters unless the environment sets
    it, as ``make pdf`` does): a line of exactly that length is continued by the next one.  A log
    with a longer line was not wrapped and is returned as it is.
    """
    lines = log.split("\n")
    if any(len(line) > width for line in lines):
        return log
    out = []
    for k, line in enumerate(lines):
        out.append(line)
        if k < len(lines) - 1:
            out.append("" if len(line) == width else "\n")
    return "".join(out)


@dataclass
class LogEntry:
    """One report of a LaTeX log about a box: an overfull hbox or vbox, or scaled display math."""

    # "hbox" (too wide), "vbox" (too high: a page past its bottom margin), "math" (scaled)
    kind: str
    amount: float  # points too wide or too high; for "math", the scale factor
    file: str  # the LaTeX file being read ("adjnets.tex", "adjnets.toc", ...)
    lines: str  # its input lines: "12656--12656", or "70" for "detected at line 70"
    page: int  # the PDF page (from 1: the page shipped out next)
    content: str = ""  # the start of the box, fonts removed
    source: str = ""  # the book page it comes from, when the file is the main .tex

    def first_line(self) -> int:
        return int(self.lines.split("-")[0])

    def describe(self) -> str:
        where = f"{self.source}, " if self.source else ""
        what = {
            "hbox": f"{self.amount:.1f} pt too wide",
            "vbox": f"{self.amount:.1f} pt too high",
            "math": f"display math scaled to {self.amount:.0%}",
        }[self.kind]
        content = f" {self.content[:70]!r}" if self.content else ""
        return (
            f"page {self.page}: {what} ({where}{self.file} line {self.lines}){content}"
        )


OVERFULL = re.compile(
    r"^Overfull \\(?P<box>[hv])box \((?P<pt>[\d.]+)pt too (?:wide|high)\) "
    r"(?:in (?:paragraph|alignment) at lines (?P<lines>\d+--\d+)|detected at line (?P<line>\d+))"
)
# written by \fitdisplaymath (book/_ext/latex_pdf.py)
SCALED_MATH = re.compile(
    r"^Display math scaled to (?P<scale>[\d.]+) of its width on input line (?P<line>\d+)\."
)
FILE_OPEN = re.compile(r"\((?P<name>(?:\./|/)?[^\s()\[\]{}]+\.[A-Za-z]+)")
SHIPOUT = re.compile(r"\[(\d+)(?=[\s\]{<]|$)")
FONT = re.compile(r"\\[A-Z]{2,3}/[^ ]+ ?")


def scan_log(log: str) -> list[LogEntry]:
    """Every overfull box and every scaled display formula of a LaTeX log, with the file, line and
    PDF page it is on.

    Follows the files TeX opens ("(./adjnets.toc" ... ")") and the pages it ships out ("[12]"):
    a report belongs to the page shipped out after it.  The contents TeX prints after a box
    message are skipped, so brackets in them are not taken for pages.
    """
    lines = unwrap(log).split("\n")
    stack: list[str | None] = []
    entries: list[LogEntry] = []
    shipped = 0

    def current_file() -> str:
        files = [f for f in stack if f]
        return Path(files[-1]).name if files else "?"

    i = 0
    while i < len(lines):
        line = lines[i]
        match = OVERFULL.match(line)
        if match or line.startswith(
            ("Underfull \\hbox", "Underfull \\vbox", "Overfull \\")
        ):
            content = []
            i += 1
            while i < len(lines) and lines[i].strip():
                content.append(lines[i])
                i += 1
            if match:
                entries.append(
                    LogEntry(
                        kind=f"{match['box']}box",
                        amount=float(match["pt"]),
                        file=current_file(),
                        lines=match["lines"] or match["line"],
                        page=shipped + 1,
                        content=" ".join(FONT.sub("", " ".join(content)).split()),
                    )
                )
            continue
        match = SCALED_MATH.match(line)
        if match:
            entries.append(
                LogEntry(
                    "math",
                    float(match["scale"]),
                    current_file(),
                    match["line"],
                    shipped + 1,
                )
            )
            i += 1
            continue
        pos = 0
        while pos < len(line):
            char = line[pos]
            if char == "(":
                opened = FILE_OPEN.match(line, pos)
                stack.append(opened["name"] if opened else None)
                pos = opened.end() if opened else pos + 1
                continue
            if char == ")":
                if stack:
                    stack.pop()
            elif char == "[" and (pos == 0 or line[pos - 1] in " ]}>"):
                page = SHIPOUT.match(line, pos)
                if page:
                    shipped += 1
                    pos = page.end()
                    continue
            pos += 1
        i += 1
    return entries


def document_starts(tex: str) -> list[tuple[int, str]]:
    """The line (from 1) where each book page starts in the main .tex, from Sphinx's
    ``\\label{\\detokenize{book/02-preliminaries::doc}}``:
    ``[(1290, "book/02-preliminaries"), ...]``."""
    return [
        (number, match.group(1))
        for number, line in enumerate(tex.split("\n"), start=1)
        for match in re.finditer(r"\\label\{\\detokenize\{([^{}]+)::doc\}\}", line)
    ]


def attribute_sources(
    entries: list[LogEntry], starts: list[tuple[int, str]], main_tex: str
) -> None:
    """Name the book page of each entry in the main .tex (in place)."""
    lines = [line for line, _ in starts]
    for entry in entries:
        if entry.file == main_tex and starts:
            k = bisect.bisect_right(lines, entry.first_line()) - 1
            entry.source = starts[k][1] if k >= 0 else "front matter"


def failing(
    entries: list[LogEntry], overfull_pt: float, overfull_page_pt: float
) -> list[LogEntry]:
    """The boxes past a margin by more than the thresholds: hbox (the sides), vbox (the bottom)."""
    limit = {"hbox": overfull_pt, "vbox": overfull_page_pt}
    return [e for e in entries if e.kind in limit and e.amount > limit[e.kind]]


# ----------------------------------------------------------------------------------------------
# Reading the PDF (poppler) and the report


def pdf_text(pdf: Path) -> str:
    return subprocess.run(
        ["pdftotext", "-layout", "-enc", "UTF-8", str(pdf), "-"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "pdf",
        nargs="?",
        default=str(DEFAULT_PDF),
        help="the PDF (default _build/latex/adjnets.pdf)",
    )
    parser.add_argument(
        "--log", help="the LaTeX log (default: the PDF's name with .log)"
    )
    parser.add_argument(
        "--results",
        default=str(RESULTS),
        help="the thesis's results (adjnets/pages/thesis_results.tsv)",
    )
    parser.add_argument(
        "--overfull",
        type=float,
        default=OVERFULL_PT,
        help="points a line may run past the side margin (1)",
    )
    parser.add_argument(
        "--overfull-page",
        type=float,
        default=OVERFULL_PAGE_PT,
        help="points a page may run past the bottom (5)",
    )
    args = parser.parse_args(argv)

    pdf = Path(args.pdf)
    log_path = Path(args.log) if args.log else pdf.with_suffix(".log")
    for path in (pdf, log_path):
        if not path.is_file():
            print(f"{path} is missing: build the PDF first (make pdf)", file=sys.stderr)
            return 2
    text = pdf_text(pdf)
    log = log_path.read_text(encoding="utf-8", errors="replace")
    pages = text.count("\f")
    failures: list[str] = []

    results = thesis_results(Path(args.results).read_text(encoding="utf-8"))
    missing = missing_results(text, results)
    failures += [f"thesis result not in the PDF: {name}" for name in missing]
    print(
        f"{'FAIL' if missing else 'ok  '} thesis results: "
        f"{len(results) - len(missing)} of {len(results)} in the text"
    )

    unresolved = unresolved_in_text(text) + log_problems(log)
    failures += unresolved
    print(
        f"{'FAIL' if unresolved else 'ok  '} references and glyphs: {len(unresolved)} problems"
    )

    entries = scan_log(log)
    tex = pdf.with_suffix(".tex")
    if tex.is_file():
        attribute_sources(
            entries,
            document_starts(tex.read_text(encoding="utf-8", errors="replace")),
            tex.name,
        )
    bad = failing(entries, args.overfull, args.overfull_page)
    failures += [f"past the margin: {entry.describe()}" for entry in bad]
    hboxes = [e for e in entries if e.kind == "hbox"]
    vboxes = [e for e in entries if e.kind == "vbox"]
    print(
        f"{'FAIL' if bad else 'ok  '} margins: {len(bad)} boxes past them"
        f" ({len(hboxes)} overfull hbox in all,"
        f" the widest {max((e.amount for e in hboxes), default=0):.1f} pt"
        f" (fails above {args.overfull:g} pt); {len(vboxes)} overfull vbox, the highest"
        f" {max((e.amount for e in vboxes), default=0):.1f} pt"
        f" (fails above {args.overfull_page:g} pt))"
    )
    scaled = sorted((e for e in entries if e.kind == "math"), key=lambda e: e.amount)
    if scaled:
        print(
            f"note display math: {len(scaled)} formulas scaled down to fit the line,"
            f" the smallest to {scaled[0].amount:.0%}:"
        )
        for entry in scaled:
            print(f"       {entry.describe()}")

    print(f"{pdf}: {pages} pages")
    if failures:
        print(f"\n{len(failures)} problems:", file=sys.stderr)
        for problem in failures[:MAX_LISTED]:
            print(f"  {problem}", file=sys.stderr)
        if len(failures) > MAX_LISTED:
            print(f"  ... and {len(failures) - MAX_LISTED} more", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
