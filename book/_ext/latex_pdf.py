"""Sphinx extension: what the LaTeX builder of ``make pdf`` needs; nothing here changes the HTML.

Preamble (at ``config-inited``, after sphinx-jupyterbook-latex's handler):

* **The book's macros reach LaTeX.**  ``_config.yml`` defines the thesis's notation once, as
  MathJax macros (``mathjax3_config.tex.macros``: ``\\inner``, ``\\Dadj``, ``\\grad``, ...).
  The same definition becomes ``\\renewcommand`` lines of the LaTeX preamble
  (:func:`latex_macros`), so the HTML and the PDF cannot drift apart.
* **Sphinx's own LaTeX class.**  sphinx-jupyterbook-latex (Jupyter Book's LaTeX layer, loaded for
  every builder) turns the toc's captions into ``\\part`` and the landing page into front matter,
  which the book keeps; but it also switches to its class ``jupyterBook.cls``, which needs
  ``bbm.sty`` (only in the 1.4 GB ``texlive-fonts-extra``) and sets a 17.5 cm text width.  This
  switches back to Sphinx's ``manual`` class and defines the two environments that layer wraps
  code cells in (``sphinxVerbatimInput``/``Output``).
* **Section numbers once.**  The titles carry the thesis's numbers ("3.2.3 Backpropagation"), so
  LaTeX numbers no chapter or section (``secnumdepth`` -1); parts keep their numerals.
* **Nothing in the margin.**  Inline code may break after an underscore; short tables
  (``tabulary``) are ragged right with no column under 6 em; the API reference (autodoc's
  descriptions) is ragged right; a third line-breaking pass gets extra stretch.
* **The title page** is Sphinx's, with the author as a paragraph (Sphinx's one-line table runs
  past the margin with the book's long author line).

Post-transforms, for the LaTeX builder only:

* **Display equations keep their numbers** (:class:`DisplayMath`).  Pages number equations as the
  thesis does, with ``\\tag{2.1}`` inside ``$$ ... $$``.  Sphinx's LaTeX writer wraps display
  math in ``equation*`` + ``split``, where amsmath refuses ``\\tag``; each block is written with
  the tag outside the formula (:func:`display_math`), and a formula wider than the line is scaled
  down to fit it (``\\fitdisplaymath``), which the log records for ``tests/pdf_check.py``.
  Blocks written as amsmath environments (MyST's ``amsmath`` extension) are left alone.
* **Long tables wrap** (:class:`LongTableColumns`).  A table of more than 30 rows becomes a
  ``longtable``, whose columns Sphinx sets as ``l`` (one line per cell, however wide); it gets
  ragged-right columns with widths from its text (:func:`column_widths`).
* **``<br>`` in a table cell** (raw HTML, which LaTeX drops) becomes a line break.
* **Links to exercises land.**  sphinx-exercise labels an exercise ``exercise:<label>`` only; a
  ``{ref}`` to it (or to a target just before it) points at ``<docname>:<id>``, which it gets too.
* **Solutions** (sphinx-exercise) are a bold heading and text, not a framed box: their code cells
  are framed boxes, which Sphinx cannot break across pages inside another box.
* **Proofs** are text, *Proof.* to a square (:class:`ProofsAsText`), not untitled boxes.
* **The landing page** keeps its title as an unnumbered chapter heading (Sphinx takes it for the
  document's title and would leave the front matter without heading).

The pure functions are tested by ``tests/test_pdf_check.py``.
"""

from __future__ import annotations

import re
from typing import Any

from docutils import nodes
from sphinx.application import Sphinx
from sphinx.config import Config
from sphinx.transforms.post_transforms import SphinxPostTransform
from sphinx.util import logging

logger = logging.getLogger(__name__)

# Code cells of sphinx-jupyterbook-latex (CellInput, CellOutput nodes) and the page layout:
# input on a light grey ground, output indented on white with a faint frame.
VERBATIM_ENVIRONMENTS = r"""
\usepackage{changepage}
\newenvironment{sphinxVerbatimInput}{\sphinxsetup{VerbatimColor={RGB}{245,245,245},%
  VerbatimBorderColor={RGB}{204,204,204}}}{}
\newenvironment{sphinxVerbatimOutput}{\sphinxsetup{VerbatimColor={RGB}{255,255,255},%
  VerbatimBorderColor={RGB}{224,224,224}}\begin{adjustwidth}{1.5em}{}}{\end{adjustwidth}}
"""

# Sphinx's \sphinxmaketitle (sphinxmanual.cls) with the author as a paragraph, not a one-line
# tabular, so that a long author line wraps.
TITLE_PAGE = r"""
\makeatletter
\renewcommand{\sphinxmaketitle}{%
  \let\sphinxrestorepageanchorsetting\relax
  \ifHy@pageanchor\def\sphinxrestorepageanchorsetting{\Hy@pageanchortrue}\fi
  \hypersetup{pageanchor=false}%
  \begin{titlepage}%
    \noindent\rule{\textwidth}{1pt}\par
    \begingroup\def\endgraf{ }\def\and{\& }\pdfstringdefDisableCommands{\def\\{, }}%
      \hypersetup{pdfauthor={\@author}, pdftitle={\@title}}%
    \endgroup
    \begin{flushright}%
      \py@HeaderFamily
      {\Huge \@title \par}%
      \vfill
      {\LARGE \@author \par}%
      \vfill\vfill
      {\large \@date \par}%
    \end{flushright}%
  \end{titlepage}%
  \setcounter{footnote}{0}%
  \let\thanks\relax\let\maketitle\relax
  \clearpage
  \if@openright\cleardoublepage\else\clearpage\fi
  \sphinxrestorepageanchorsetting
}
% three-digit page numbers in the table of contents
\renewcommand{\@pnumwidth}{2.2em}
\renewcommand{\@tocrmarg}{3.2em}
\makeatother
"""

PREAMBLE_START = "% Start of preamble defined in book/_ext/latex_pdf.py"
PREAMBLE_END = "% End of preamble defined in book/_ext/latex_pdf.py"


def latex_macros(macros: dict[str, Any]) -> str:
    r"""LaTeX definitions of MathJax 3 macros, one ``\renewcommand`` per macro.

    A MathJax macro is ``name: body`` or ``name: [body, nargs]`` (or ``[body, nargs, default]``
    for an optional first argument).  Each is defined with ``\providecommand`` then
    ``\renewcommand``, so a name that LaTeX or a package already defines (``\grad``, ``\lhook``)
    takes the book's meaning, as it does in MathJax.
    """
    lines = []
    for name, value in macros.items():
        if not name.isalpha():
            raise ValueError(
                f"macro name {name!r}: LaTeX control words are letters only"
            )
        if isinstance(value, str):
            body, nargs, default = value, 0, None
        elif isinstance(value, (list, tuple)) and 1 <= len(value) <= 3:
            body = value[0]
            nargs = int(value[1]) if len(value) > 1 else 0
            default = value[2] if len(value) > 2 else None
        else:
            raise ValueError(
                f"macro {name!r}: expected a string or [body, nargs], got {value!r}"
            )
        if not 0 <= nargs <= 9:
            raise ValueError(f"macro {name!r}: {nargs} arguments")
        args = f"[{nargs}]" if nargs else ""
        if default is not None:
            args += f"[{default}]"
        lines.append(
            f"\\providecommand{{\\{name}}}{{}}\\renewcommand{{\\{name}}}{args}{{{body}}}"
        )
    return "\n".join(lines)


def _group_end(text: str, start: int) -> int:
    """Index just past the brace group that opens at ``text[start] == "{"``."""
    depth = 0
    i = start
    while i < len(text):
        char = text[i]
        if char == "\\":
            i += 2  # an escaped character, such as \{ or \}
            continue
        if char == "{":
            depth += 1
        elif char == "}":
            depth -= 1
            if depth == 0:
                return i + 1
        i += 1
    raise ValueError(f"unbalanced braces after {text[start : start + 40]!r}")


def split_tags(text: str) -> tuple[str, list[str]]:
    r"""Remove every ``\tag{...}`` and ``\tag*{...}`` from display math.

    Returns the math without them and the tags as written (``\tag{2.1}``), in order.  A ``\tag``
    that is part of a longer control word (``\tagging``) is not a tag.
    """
    body, tags = [], []
    i = 0
    while True:
        j = text.find("\\tag", i)
        if j < 0:
            body.append(text[i:])
            break
        k = j + len("\\tag")
        if k < len(text) and text[k].isalpha():  # another control word
            body.append(text[i:k])
            i = k
            continue
        if k < len(text) and text[k] == "*":
            k += 1
        while k < len(text) and text[k] in " \t\n":
            k += 1
        if k >= len(text) or text[k] != "{":
            raise ValueError(f"\\tag without a braced argument in {text!r}")
        end = _group_end(text, k)
        body.append(text[i:j])
        tags.append(text[j : j + (4 if text[j + 4] != "*" else 5)] + text[k:end])
        i = end
    return "".join(body), tags


def display_math(text: str, label: str | None = None) -> str:
    r"""The LaTeX of a display-math block (one not written as an amsmath environment).

    Sphinx would write ``\begin{equation*}\begin{split} ... \end{split}\end{equation*}``, with
    any ``\tag`` inside the ``split``, where amsmath refuses it.  This writes the same display with
    the tag outside, and the formula in ``\fitdisplaymath`` (defined in ``MATH_PREAMBLE``), which
    scales it down to the line's width if it is wider, and says so in the log.  The formula is an
    ``aligned`` block, which takes ``&`` and ``\\`` as ``split`` does and can be measured;
    equations separated by blank lines are its rows, as Sphinx makes them.  Blank lines are
    dropped: inside LaTeX math they would end the paragraph.  A ``label`` (a numbered equation of
    Sphinx's own) becomes a numbered ``equation``.
    """
    body, tags = split_tags(text)
    if len(tags) > 1:
        raise ValueError(f"{len(tags)} tags in one display equation: {', '.join(tags)}")
    parts = [part.strip() for part in body.split("\n\n") if part.strip()]
    if not parts:
        return ""
    inner = (
        "\\fitdisplaymath{\\begin{aligned}" + "\\\\\n".join(parts) + "\\end{aligned}}"
    )
    environment = "equation" if label and not tags else "equation*"
    labeldef = f"\\label{{{label}}}" if label else ""
    tag = f"\n{tags[0]}" if tags else ""
    return f"\\begin{{{environment}}}{labeldef}\n{inner}{tag}\n\\end{{{environment}}}"


# \fitdisplaymath{formula}: the formula at its size, or scaled down to the width of the display
# when it is wider (a print page cannot scroll as the HTML page does); the log says which, with
# the input line, and tests/pdf_check.py reports them.
MATH_PREAMBLE = r"""
\newsavebox\fitdisplaymathbox
\newcommand\fitdisplaymath[1]{%
  \sbox\fitdisplaymathbox{$\displaystyle#1$}%
  \ifdim\wd\fitdisplaymathbox>\displaywidth
    \typeout{Display math scaled to \fpeval{round(\displaywidth/\wd\fitdisplaymathbox, 3)}
      of its width on input line \the\inputlineno.}%
    \resizebox{\displaywidth}{!}{\usebox\fitdisplaymathbox}%
  \else
    \usebox\fitdisplaymathbox
  \fi}
"""


class DisplayMath(SphinxPostTransform):
    """For the LaTeX builder: display math with its ``\\tag``, fitted to the line."""

    builders = ("latex",)
    default_priority = 400

    def run(self, **kwargs: Any) -> None:
        for node in self.document.findall(nodes.math_block):
            if node.get("nowrap"):
                continue  # an amsmath environment, written by the page itself
            label = (
                f"equation:{node['docname']}:{node['label']}"
                if node.get("label")
                else None
            )
            try:
                latex = display_math(node.astext(), label)
            except ValueError as err:
                logger.warning("display math for LaTeX: %s", err, location=node)
                continue
            node["nowrap"] = True
            node["label"] = None
            node.children = [nodes.Text(latex)]


def column_widths(
    rows: list[list[str]], line: int = 80, cap: int = 40, pad: int = 2
) -> list[int]:
    """Widths of a table's columns, in characters of a line of about ``line`` characters.

    Each column needs the length of its longest entry (up to ``cap``) plus ``pad`` for the space
    between columns.  Columns whose need fits their share of the line get it; the others share
    what is left equally (so a column of "Theorem 3.2.5" keeps it on one line, and the columns of
    prose and names wrap).
    """
    ncols = max((len(row) for row in rows), default=0)
    need = [pad] * ncols
    for row in rows:
        for k, cell in enumerate(row):
            need[k] = max(need[k], min(cap, len(" ".join(cell.split()))) + pad)
    widths = [0] * ncols
    left, todo = line, sorted(range(ncols), key=lambda k: need[k])
    while todo:
        share = left // len(todo)
        k = todo[0]
        if need[k] > share:
            for k in todo:
                widths[k] = max(share, pad + 1)
            break
        widths[k] = need[k]
        left -= need[k]
        todo.pop(0)
    return widths


class LongTableColumns(SphinxPostTransform):
    """For the LaTeX builder: widths for the columns of long tables, so that their cells wrap.

    The widths go in a ``tabularcolumns`` specification (what the directive of that name makes),
    as ragged-right paragraph columns of Sphinx's ``\\X{width}{total}`` type.
    """

    builders = ("latex",)
    default_priority = 400
    # Sphinx's LaTeX writer makes a longtable of a table with more rows
    LONGTABLE_ROWS = 30
    # A short table with a word this long (a qualified name, a test's name) gets widths too:
    # tabulary would give it a column narrower than the word, which then runs past the margin
    LONG_WORD = 30

    def run(self, **kwargs: Any) -> None:
        from sphinx import addnodes

        for table in list(self.document.findall(nodes.table)):
            if "colwidths-given" in table["classes"]:
                continue
            previous = table.previous_sibling() if table.parent is not None else None
            if isinstance(previous, addnodes.tabular_col_spec):
                continue  # the page gives the columns itself
            tgroup = next(iter(table.findall(nodes.tgroup)), None)
            if tgroup is None:
                continue
            rows = list(tgroup.findall(nodes.row))
            cells = [[entry.astext() for entry in row.children] for row in rows]
            long_word = any(
                len(word) > self.LONG_WORD
                for row in cells
                for c in row
                for word in c.split()
            )
            if (
                len(rows) <= self.LONGTABLE_ROWS
                and "longtable" not in table["classes"]
                and not long_word
            ):
                continue  # tabulary balances the columns of a short table itself
            colspecs = [
                child for child in tgroup.children if isinstance(child, nodes.colspec)
            ]
            if any(len(row) != len(colspecs) for row in cells):
                continue  # spanning cells: leave the table to Sphinx
            widths = column_widths(cells)
            total = sum(widths)
            spec = "".join(
                rf">{{\raggedright\arraybackslash}}\X{{{w}}}{{{total}}}" for w in widths
            )
            table.parent.insert(
                table.parent.index(table), addnodes.tabular_col_spec(spec=spec)
            )


HTML_LINE_BREAK = re.compile(r"\s*<br\s*/?>\s*", re.IGNORECASE)


class HtmlLineBreaks(SphinxPostTransform):
    """For the LaTeX builder: raw HTML ``<br>`` (which LaTeX drops) as a line break.

    Tables built by code (the traceability table) separate several names in one cell with
    ``<br>``; without it the names would run together in the PDF.
    """

    builders = ("latex",)
    default_priority = 400

    def run(self, **kwargs: Any) -> None:
        for node in list(self.document.findall(nodes.raw)):
            if "html" in node.get("format", "").split() and HTML_LINE_BREAK.fullmatch(
                node.astext()
            ):
                node.replace_self(nodes.raw("", r"\newline{}", format="latex"))


EXERCISE_NODES = ("exercise_node", "exercise_enumerable_node")  # sphinx_exercise.nodes


class ExerciseTargets(SphinxPostTransform):
    """For the LaTeX builder: ``<docname>:<id>`` labels on sphinx-exercise's boxes."""

    builders = ("latex",)
    default_priority = 400

    def run(self, **kwargs: Any) -> None:
        for node in list(self.document.findall(nodes.Element)):
            # the exercise boxes; solutions are labelled <docname>:<id> by sphinx-exercise itself
            kind = type(node)
            if not (
                kind.__module__.startswith("sphinx_exercise")
                and kind.__name__ in EXERCISE_NODES
            ):
                continue
            if not node.get("ids") or node.parent is None:
                continue
            # a target just before the box ("(label)=") is written by Sphinx itself
            written = set()
            previous = node.previous_sibling()
            while isinstance(previous, nodes.target):
                written.update([previous.get("refid"), *previous.get("ids", [])])
                previous = previous.previous_sibling()
            docname = self._docname(node)
            labels = "".join(
                f"\\phantomsection\\label{{\\detokenize{{{docname}:{node_id}}}}}"
                for node_id in node["ids"]
                if node_id not in written
            )
            if not labels:
                continue
            node.parent.insert(
                node.parent.index(node), nodes.raw("", labels, format="latex")
            )

    def _docname(self, node: nodes.Element) -> str:
        """The page a node comes from: Sphinx's LaTeX builder marks the sections of each page it
        inlines with ``docname`` (``sphinx.util.nodes.inline_all_toctrees``)."""
        while node is not None:
            if isinstance(node, nodes.section) and node.get("docname"):
                return node["docname"]
            node = node.parent
        return self.document.get("docname") or self.env.docname


# Solutions to exercises (sphinx-exercise) in print: a bold heading and the solution, not a framed
# box.  Their code cells are framed boxes themselves; nested in a framed box, Sphinx keeps a code
# cell unbreakable and the outer box can run past the bottom of the page.
SOLUTION_ENVIRONMENT = r"""
\newenvironment{sphinxsolution}[2]{\par\addvspace{\medskipamount}%
  \noindent{\sphinxstylestrong{#2}}\par\nobreak\smallskip}{\par\addvspace{\medskipamount}}
"""


class FrontMatterHeading(SphinxPostTransform):
    """For the LaTeX builder: the landing page's own title as the heading of the front matter.

    Sphinx takes the first title of the document (the landing page's) for the title of the whole
    PDF, which the title page shows as the book's title; the landing page's text then follows the
    table of contents with no heading, under the running head "CONTENTS".  This gives it its
    title back, as an unnumbered chapter listed in the contents, with its running head.
    """

    builders = ("latex",)
    # after sphinx-jupyterbook-latex has arranged the landing page (700)
    default_priority = 800

    def run(self, **kwargs: Any) -> None:
        from sphinx.util.texescape import escape

        root = self.config.root_doc
        for section in self.document.findall(nodes.section):
            if (
                section.get("docname") == root
                and section.children
                and isinstance(section[0], nodes.title)
            ):
                title = escape(section[0].astext(), self.config.latex_engine)
                heading = (
                    f"\\chapter*{{{title}}}\\addcontentsline{{toc}}{{chapter}}{{{title}}}"
                    f"\\markboth{{{title}}}{{{title}}}"
                )
                section.insert(1, nodes.raw("", heading, format="latex"))
                return


class ProofsAsText(SphinxPostTransform):
    """For the LaTeX builder: a proof as text, *Proof.* to the end mark, not an untitled box.

    sphinx-proof makes a proof an admonition without a title and writes "Proof. " into its
    first paragraph; LaTeX draws such an admonition as a frame with an empty title band.
    Printed mathematics sets a proof as text under the statement's box: here "Proof." is in
    italics and a square ends the last paragraph.
    """

    builders = ("latex",)
    default_priority = 200

    def run(self, **kwargs: Any) -> None:
        for node in list(self.document.findall(nodes.admonition)):
            if "proof" not in node["classes"] or not node.children:
                continue
            text = nodes.container(classes=["proof"])
            text.extend(list(node.children))
            first = text[0]
            if isinstance(first, nodes.paragraph) and first.children:
                lead = first[0]
                if isinstance(lead, nodes.Text) and lead.astext().startswith("Proof. "):
                    first.replace(lead, nodes.Text(lead.astext()[len("Proof. ") :]))
                    first.insert(0, nodes.emphasis("", "Proof."))
                    first.insert(1, nodes.Text(" "))
            last = text[-1]
            mark = nodes.raw("", r"\hfill\ensuremath{\square}", format="latex")
            if isinstance(last, nodes.paragraph):
                last += mark
            else:
                text += nodes.paragraph("", "", mark)
            node.replace_self(text)


def _solution_visitors():
    """sphinx-exercise's LaTeX visitors of a solution, writing ``sphinxsolution`` instead of the
    admonition box (or, should its markup change, its own output unchanged)."""
    from sphinx_exercise.nodes import depart_solution_node, visit_solution_node

    def visit(self, node):
        visit_solution_node(self, node)
        self.body[-1] = self.body[-1].replace(
            r"\begin{sphinxadmonition}", r"\begin{sphinxsolution}"
        )

    def depart(self, node):
        depart_solution_node(self, node)
        self.body[-1] = self.body[-1].replace(
            r"\end{sphinxadmonition}", r"\end{sphinxsolution}"
        )

    return visit, depart


def configure_latex(app: Sphinx, config: Config) -> None:
    """Preamble (macros, code-cell environments, no section numbers) and Sphinx's own class.

    Runs after sphinx-jupyterbook-latex's own ``config-inited`` handler, which sets XeLaTeX,
    its class and its preamble (unicode-math): the macros come after it.
    """
    config.latex_theme = "manual"
    macros = (config.mathjax3_config or {}).get("tex", {}).get("macros", {})
    elements = config.latex_elements
    elements["preamble"] = "\n".join(
        [
            elements.get("preamble", ""),
            PREAMBLE_START,
            VERBATIM_ENVIRONMENTS,
            SOLUTION_ENVIRONMENT,
            MATH_PREAMBLE,
            # inline code (\sphinxcode) may break after an underscore: long identifiers in tables
            r"\protected\def\sphinxunderscorebreak{\discretionary{\textunderscore}{}{\textunderscore}}",
            r"\protected\def\sphinxcode#1{\texttt{\let\_\sphinxunderscorebreak#1}}",
            TITLE_PAGE,
            # tabulary (tables of up to 30 rows) never makes a column narrower than this, so a
            # column of numbers keeps its numbers on the line
            r"\setlength{\tymin}{6em}",
            # and sets the cells of those tables ragged right (Sphinx sets them justified, which
            # spreads the words of a narrow column far apart); T is Sphinx's: redefine quietly
            r"\makeatletter\let\NC@find@T\relax\makeatother",
            r"\newcolumntype{T}{L}",
            # a third pass of line breaking with extra stretch, rather than a line in the margin
            r"\setlength{\emergencystretch}{3em}",
            # the API reference (autodoc's descriptions): generated text with long identifiers
            # and inline formulas, set ragged right, where no line needs to run into the margin
            r"\AddToHook{env/fulllineitems/begin}{\raggedright}",
            r"\setcounter{secnumdepth}{-1}",
            # after unicode-math (sphinx-jupyterbook-latex's preamble), which sets up its math
            # symbols at \begin{document}: the book's macros are defined after that
            r"\AtBeginDocument{%",
            latex_macros(macros),
            "}",
            PREAMBLE_END,
        ]
    )


def setup(app: Sphinx) -> dict:
    app.setup_extension("sphinx_exercise")
    from sphinx_exercise.nodes import solution_node

    app.add_node(solution_node, override=True, latex=_solution_visitors())
    app.connect("config-inited", configure_latex, priority=900)
    app.add_post_transform(DisplayMath)
    app.add_post_transform(LongTableColumns)
    app.add_post_transform(ExerciseTargets)
    app.add_post_transform(HtmlLineBreaks)
    app.add_post_transform(FrontMatterHeading)
    app.add_post_transform(ProofsAsText)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
