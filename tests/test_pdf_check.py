"""The pure-Python parts of the PDF build and its check: no TeX, no PDF needed.

``tests/pdf_check.py`` (run by ``make pdf``) reads the built PDF and LaTeX log; the LaTeX-only
extension ``book/_ext/latex_pdf.py`` writes macros and display math for LaTeX; and
``book/_ext/pdf_download.py`` puts the PDF in every page's download menu.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
import yaml

from tests.pdf_check import (
    RESULTS,
    LogEntry,
    attribute_sources,
    document_starts,
    failing,
    log_problems,
    missing_results,
    page_of,
    result_pattern,
    scan_log,
    thesis_results,
    unresolved_in_text,
    unwrap,
)

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "book" / "_ext"))

import latex_pdf  # book/_ext is not a package
import pdf_download

ROOT = Path(__file__).resolve().parent.parent

# ----------------------------------------------------------------------------------------------
# tests/pdf_check.py


def test_thesis_results_are_the_58():
    results = thesis_results(RESULTS.read_text(encoding="utf-8"))
    assert len(results) == 58
    assert ("Theorem", "3.2.5") in results
    assert len(set(results)) == 58


def test_thesis_results_skip_comments_and_blank_lines():
    text = (
        "# kind\tnumber\tabout\n\n"
        "Lemma\t2.2.1\tsecond-order chain rule\nAlgorithm\t3.2.1\tstep\n"
    )
    assert thesis_results(text) == [("Lemma", "2.2.1"), ("Algorithm", "3.2.1")]


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("Theorem 3.2.5 (Backpropagation)", True),
        ("by Theorem 3.2.5.", True),
        ("Theorem\n3.2.5", True),  # pdftotext may break the line between them
        ("Theorem   3.2.5", True),  # -layout pads with spaces
        ("Theorem 3.2.51", False),
        ("Theorem 3.2.5.1", False),
        ("Lemma 3.2.5", False),
        ("Theorem 13.2.5", False),
        ("Theorem 3.2", False),
    ],
)
def test_result_pattern(text, found):
    assert bool(result_pattern("Theorem", "3.2.5").search(text)) is found


def test_missing_results():
    text = "Lemma 2.2.1 (Second-order chain rule)\fTheorem 3.2.5 (Backpropagation)"
    results = [("Lemma", "2.2.1"), ("Theorem", "3.2.5"), ("Remark", "2.4.5")]
    assert missing_results(text, results) == ["Remark 2.4.5"]


def test_unresolved_in_text_names_the_page():
    text = "Theorem 3.2.5\fsee Lemma ?? below\f\fand (??)"
    assert page_of(text, text.index("Lemma")) == 2
    found = unresolved_in_text(text)
    assert found == [
        "page 2: '??' in 'see Lemma ?? below'",
        "page 4: '??' in 'and (??)'",
    ]
    assert unresolved_in_text("x ? y, a?b") == []


def test_log_problems():
    log = (
        "LaTeX Warning: Hyper reference `book/appendix-optimisation:app-opt-ex-hb' on page 268 "
        "undefined on input line 22351.\n"
        "LaTeX Warning: Citation `caterini2017' on page 3 undefined on input line 12.\n"
        "Missing character: There is no ℓ (U+2113) in font DejaVu Sans Mono/OT:script=latn;!\n"
        "Missing character: There is no ℓ (U+2113) in font DejaVu Sans Mono/OT:script=latn;!\n"
        "LaTeX Warning: There were undefined references.\n"
        "LaTeX Warning: Label `book/x:sol-2' multiply defined.\n"
    )
    assert log_problems(log) == [
        "undefined hyper reference 'book/appendix-optimisation:app-opt-ex-hb' (page 268)",
        "undefined citation 'caterini2017' (page 3)",
        "label 'book/x:sol-2' defined twice: links to it may land on the wrong one",
        "missing glyph: ℓ (U+2113) in DejaVu Sans Mono (2 times)",
    ]
    assert log_problems("LaTeX Warning: There were undefined references.\n") == [
        "LaTeX: There were undefined references"
    ]
    assert log_problems("Output written on adjnets.pdf (405 pages).\n") == []


def test_log_problems_in_a_wrapped_log():
    # TeX breaks log lines at 79 characters unless max_print_line is raised (make pdf raises it)
    line = (
        "LaTeX Warning: Reference `book/02-preliminaries:lem-2-2-1' on page 9 undefined"
        " on input line 4."
    )
    wrapped = "\n".join(line[k : k + 79] for k in range(0, len(line), 79))
    assert unwrap(wrapped) == line
    assert log_problems(wrapped) == [
        "undefined reference 'book/02-preliminaries:lem-2-2-1' (page 9)"
    ]


def test_unwrap_leaves_an_unwrapped_log_alone():
    log = "x" * 79 + "\n" + "y" * 120 + "\nz"
    assert unwrap(log) == log


LOG = (
    r"""This is XeTeX, Version 3.141592653-2.6-0.999994 (TeX Live 2022/Debian) """
    r"""(preloaded format=xelatex)
(./adjnets.tex
LaTeX2e <2022-11-01> patch level 1
(/usr/share/texlive/texmf-dist/tex/latex/base/report.cls
Document Class: report 2021/10/04 v1.4n Standard LaTeX document class
(/usr/share/texlive/texmf-dist/tex/latex/base/size10.clo))
(./adjnets.toc
Overfull \hbox (3.58688pt too wide) detected at line 70
 []\TU/DejaVuSerif(0)/m/n/10 136

) [1] [2

]
Underfull \hbox (badness 10000) in paragraph at lines 40--41
[]\TU/DejaVuSerif(0)/m/n/10 [7] a

Overfull \hbox (9.79141pt too wide) in paragraph at lines 171--177
[]\TU/DejaVuSerif(0)/m/n/10 The multi-channel [3] cross-correlation $[][][][]$
 []

Display math scaled to 0.67 of its width on input line 180.
[3] [4 <./fig.png>]
Overfull \vbox (53.36563pt too high) detected at line 250
 []

[5]
(./adjnets.ind
Overfull \hbox (0.52pt too wide) in paragraph at lines 146--147
[]\TU/DejaVuSerif(0)/m/it/10 adjnets.specific.autoencoder.TiedAutoencoder

) [6] )
Output written on adjnets.pdf (6 pages).
"""
)


def test_scan_log_files_pages_and_kinds():
    entries = scan_log(LOG)
    assert [(e.kind, e.amount, e.file, e.lines, e.page) for e in entries] == [
        ("hbox", 3.58688, "adjnets.toc", "70", 1),
        # not fooled by "[3]" and "[7]" in boxes
        ("hbox", 9.79141, "adjnets.tex", "171--177", 3),
        ("math", 0.67, "adjnets.tex", "180", 3),
        ("vbox", 53.36563, "adjnets.tex", "250", 5),
        ("hbox", 0.52, "adjnets.ind", "146--147", 6),
    ]
    assert entries[0].content == "[]136"
    assert entries[1].content.startswith("[]The multi-channel")


def test_document_starts_and_sources():
    tex = "\n".join(
        [
            r"\begin{document}",  # 1
            r"\phantomsection\label{\detokenize{book/index::doc}}",  # 2
            "text",  # 3
            r"\label{\detokenize{book/02-preliminaries::doc}}",  # 4
            "x",  # 5
            "y",  # 6
        ]
    )
    starts = document_starts(tex)
    assert starts == [(2, "book/index"), (4, "book/02-preliminaries")]
    entries = [
        LogEntry("hbox", 2.0, "adjnets.tex", "5--6", 9),
        LogEntry("hbox", 2.0, "adjnets.tex", "1", 1),
        LogEntry("hbox", 2.0, "adjnets.toc", "5", 1),
    ]
    attribute_sources(entries, starts, "adjnets.tex")
    assert [e.source for e in entries] == ["book/02-preliminaries", "front matter", ""]
    assert (
        entries[0].describe()
        == "page 9: 2.0 pt too wide (book/02-preliminaries, adjnets.tex line 5--6)"
    )


def test_failing_thresholds():
    entries = [
        LogEntry("hbox", 0.9, "a.tex", "1", 1),
        LogEntry("hbox", 1.2, "a.tex", "2", 1),
        LogEntry("vbox", 3.8, "a.tex", "3", 2),
        LogEntry("vbox", 30.0, "a.tex", "4", 3),
        LogEntry("math", 0.5, "a.tex", "5", 3),  # reported, never failing
    ]
    assert [
        e.lines for e in failing(entries, overfull_pt=1.0, overfull_page_pt=5.0)
    ] == ["2", "4"]


# ----------------------------------------------------------------------------------------------
# book/_ext/latex_pdf.py


def test_latex_macros():
    macros = {
        "inner": [r"\left\langle #1,\, #2 \right\rangle", 2],
        "Dadj": "D^{*}",
        "opt": [r"#1_{#2}", 2, "x"],
    }
    assert latex_pdf.latex_macros(macros).splitlines() == [
        r"\providecommand{\inner}{}\renewcommand{\inner}[2]{\left\langle #1,\, #2 \right\rangle}",
        r"\providecommand{\Dadj}{}\renewcommand{\Dadj}{D^{*}}",
        r"\providecommand{\opt}{}\renewcommand{\opt}[2][x]{#1_{#2}}",
    ]


@pytest.mark.parametrize(
    "bad", [{"in ner": "x"}, {"x": ["a", 12]}, {"x": 3}, {"x": []}]
)
def test_latex_macros_refuses(bad):
    with pytest.raises(ValueError):
        latex_pdf.latex_macros(bad)


def test_every_mathjax_macro_of_the_book_reaches_latex():
    config = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))
    macros = config["sphinx"]["config"]["mathjax3_config"]["tex"]["macros"]
    latex = latex_pdf.latex_macros(macros)
    assert len(latex.splitlines()) == len(macros) > 0
    for name in macros:
        assert f"\\renewcommand{{\\{name}}}" in latex


@pytest.mark.parametrize(
    ("text", "body", "tags"),
    [
        (r"a = b \tag{2.1}", "a = b ", [r"\tag{2.1}"]),
        (r"a \tag*{(i)} = b", "a  = b", [r"\tag*{(i)}"]),
        (r"a \tag {3.16}", "a ", [r"\tag{3.16}"]),
        (r"\tag{\text{(A}\}1)}x", "x", [r"\tag{\text{(A}\}1)}"]),
        (r"\tagging = 1", r"\tagging = 1", []),
        ("x^2", "x^2", []),
    ],
)
def test_split_tags(text, body, tags):
    assert latex_pdf.split_tags(text) == (body, tags)


@pytest.mark.parametrize("text", [r"a \tag 2", r"a \tag{2", r"a \tag"])
def test_split_tags_refuses(text):
    with pytest.raises(ValueError):
        latex_pdf.split_tags(text)


def test_display_math_puts_the_tag_outside_the_formula():
    assert latex_pdf.display_math(
        "\nD\\omega_i = D f_i\\cdot D\\omega_{i+1}. \\tag{3.11}\n"
    ) == (
        "\\begin{equation*}\n"
        "\\fitdisplaymath{\\begin{aligned}D\\omega_i = D f_i\\cdot D\\omega_{i+1}.\\end{aligned}}\n"
        "\\tag{3.11}\n"
        "\\end{equation*}"
    )


def test_display_math_rows_labels_and_blank_lines():
    # equations separated by blank lines are rows, as Sphinx makes them; no blank line is left
    latex = latex_pdf.display_math("a = b\n\n\nc = d\n")
    assert latex == (
        "\\begin{equation*}\n"
        "\\fitdisplaymath{\\begin{aligned}a = b\\\\\nc = d\\end{aligned}}\n"
        "\\end{equation*}"
    )
    assert "\n\n" not in latex
    assert latex_pdf.display_math("x", label="equation:p:e1").startswith(
        "\\begin{equation}\\label{equation:p:e1}"
    )
    assert latex_pdf.display_math("x \\tag{1}", label="equation:p:e1").startswith(
        "\\begin{equation*}\\label"
    )
    assert latex_pdf.display_math("  \n") == ""
    with pytest.raises(ValueError, match="2 tags"):
        latex_pdf.display_math("a \\tag{1} \\\\ b \\tag{2}")


def test_column_widths():
    # short columns keep their longest entry (+2 between columns); long ones share the rest
    rows = [
        ["Proposition 2.4.1", "about " * 20, "name." * 20, "test_" * 20],
        ["Lemma 2.2.1", "", "", ""],
    ]
    assert latex_pdf.column_widths(rows) == [19, 20, 20, 20]
    rows = [
        ["Theorem 3.2.5", "backpropagation " * 10, "x"],
        ["Lemma 2.2.1", "short", "y"],
    ]
    assert latex_pdf.column_widths(rows) == [15, 42, 3]
    # all fit: as they are
    assert latex_pdf.column_widths([["a", "bb"], ["ccc", "d"]]) == [5, 4]
    assert latex_pdf.column_widths([]) == []


def test_html_line_break():
    for html in ("<br>", "<br/>", " <BR /> "):
        assert latex_pdf.HTML_LINE_BREAK.fullmatch(html)
    assert not latex_pdf.HTML_LINE_BREAK.fullmatch("<b>")


# ----------------------------------------------------------------------------------------------
# book/_ext/pdf_download.py


def _context(pagename: str, with_download: bool = True) -> dict:
    depth = pagename.count("/")

    def pathto(target: str, resource: int = 0) -> str:
        assert resource == 1
        return "../" * depth + target

    buttons = [{"type": "javascript", "label": "fullscreen-button"}]
    if with_download:
        buttons.insert(
            0,
            {
                "type": "group",
                "label": "download-buttons",
                "buttons": [{"type": "link"}],
            },
        )
    return {"header_buttons": buttons, "pathto": pathto}


def test_book_pdf_in_the_download_menu():
    context = _context("book/api/spaces")
    pdf_download.add_book_pdf(None, "book/api/spaces", "page.html", context, None)
    group = context["header_buttons"][0]
    assert len(group["buttons"]) == 2
    entry = group["buttons"][-1]
    assert entry["url"] == "../../adjnets.pdf"
    assert entry["text"] == "Book (PDF)"
    assert entry["type"] == "link"


def test_no_download_menu_no_entry():
    context = _context("genindex", with_download=False)
    pdf_download.add_book_pdf(None, "genindex", "genindex.html", context, None)
    assert all(b.get("type") != "group" for b in context["header_buttons"])
