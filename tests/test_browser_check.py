"""The pure-Python parts of tests/browser_check.py: no browser, no built book needed."""

from __future__ import annotations

import pytest

from tests.browser_check import (
    check_link,
    expected_binder_url,
    find_raw_markup,
    find_raw_math,
    find_traceback,
    grouped,
    html_ids,
    html_pages,
    is_foreign_request,
    overflow_failures,
    redirect_target,
    resolve_link,
)


@pytest.mark.parametrize(
    ("href", "expected"),
    [
        ("02-preliminaries.html", ("book/02-preliminaries.html", "")),
        ("02-preliminaries.html#thm-2-1", ("book/02-preliminaries.html", "thm-2-1")),
        ("#sec-x", ("book/01-introduction.html", "sec-x")),
        ("../genindex.html", ("genindex.html", "")),
        (
            "../_sources/book/01-introduction.md",
            ("_sources/book/01-introduction.md", ""),
        ),
        ("../search.html?q=adjoint#x", ("search.html", "x")),
        ("./", ("book/index.html", "")),
        ("../", ("index.html", "")),
        ("/book/x.html", ("book/x.html", "")),
        ("a%20b.html#c%2Dd", ("book/a b.html", "c-d")),
    ],
)
def test_resolve_internal(href, expected):
    assert resolve_link("book/01-introduction.html", href) == expected


@pytest.mark.parametrize(
    "href",
    [
        "https://mybinder.org/v2/gh/a/b/main",
        "mailto:x@y.z",
        "//cdn.example/x.js",
        "javascript:void(0)",
        "",
    ],
)
def test_external_links_are_not_resolved(href):
    assert resolve_link("book/01-introduction.html", href) is None


def test_link_leaving_the_build_is_an_error():
    with pytest.raises(ValueError, match="leaves the build"):
        resolve_link("book/01-introduction.html", "../../outside.html")


@pytest.fixture
def build(tmp_path):
    (tmp_path / "book").mkdir()
    (tmp_path / "_static").mkdir()
    (tmp_path / "index.html").write_text(
        '<h1 id="top">x</h1><a name="old-anchor"></a><p id=bare>'
    )
    (tmp_path / "book" / "a.html").write_text(
        '<section id="sec-a"><span id="eq-1"></span></section>'
    )
    (tmp_path / "_static" / "x.html").write_text("theme file")
    (tmp_path / "book" / "a.ipynb").write_text("{}")
    return tmp_path


def test_html_ids(build):
    assert html_ids(build / "index.html") == {"top", "old-anchor", "bare"}


def test_html_pages_skip_theme_folders(build):
    assert html_pages(build) == ["book/a.html", "index.html"]


@pytest.mark.parametrize(
    ("href", "problem"),
    [
        ("a.html#sec-a", None),
        ("a.html#eq-1", None),
        ("../index.html#old-anchor", None),
        ("a.ipynb", None),
        ("https://example.org/missing.html", None),
        ("missing.html", "book/missing.html is not in the build"),
        ("a.html#no-such-id", "no id 'no-such-id' in book/a.html"),
        ("#top", "no id 'top' in book/a.html"),
        ("../../x.html", "leaves the build"),
    ],
)
def test_check_link(build, href, problem):
    found = check_link(build, "book/a.html", href)
    if problem is None:
        assert found is None
    else:
        assert found is not None and problem in found


@pytest.mark.parametrize(
    "text",
    [
        ":::{prf:theorem} Chain rule\nbody",
        "```{code-cell} ipython3\nx = 1",
        "see {doc}`02-preliminaries` for details",
        "by {prf:ref}`thm-3-2-5`",
        "{cite}`caterini2017thesis`",
        "{term}`adjoint`",
        "{py:func}`adjnets.source`",
        "the {prf:theorem} box",
        "(sec-intro)=\n# Introduction",
        "value {{ loss }} here",
    ],
)
def test_raw_markup_is_found(text):
    assert find_raw_markup(text)


@pytest.mark.parametrize(
    "text",
    [
        "Theorem 3.2.5 (Chain rule). Let f be smooth.",
        "a set {1, 2} and a dict {'a': 1}",
        "f(x) = (x)=y",
        "The role of the adjoint (see Section 2) = central.",
    ],
)
def test_rendered_text_is_clean(text):
    assert find_raw_markup(text) == []
    assert find_raw_math(text) == []


@pytest.mark.parametrize(
    "text",
    [
        "$$x^2$$",
        r"where \(x \in \R\)",
        r"\[ D^* f \]",
        r"\begin{align} x \end{align}",
        r"for $\inner{a}{b}$ we",
    ],
)
def test_raw_math_is_found(text):
    assert find_raw_math(text)


def test_prices_are_not_math():
    assert find_raw_math("it costs $5 or $10 a month") == []


def test_traceback():
    assert find_traceback(
        "out\nTraceback (most recent call last):\n  File ...\nValueError: x"
    )
    assert find_traceback("ValueError: expected a vector (printed on purpose)") == []


def test_expected_binder_url():
    config = {
        "repository": {
            "url": "https://github.com/adjnets/adjnets",
            "path_to_book": "",
            "branch": "main",
        },
        "launch_buttons": {
            "binderhub_url": "https://mybinder.org",
            "notebook_interface": "jupyterlab",
        },
    }
    assert (
        expected_binder_url(config, "book/01-introduction")
        == "https://mybinder.org/v2/gh/adjnets/adjnets/main?urlpath=lab/tree/book/01-introduction.md"
    )
    config["repository"]["path_to_book"] = "docs/"
    config["launch_buttons"]["notebook_interface"] = "classic"
    assert expected_binder_url(config, "intro").endswith("?urlpath=tree/docs/intro.md")
    assert (
        expected_binder_url({"repository": {"url": "https://github.com/a/b"}}, "x")
        is None
    )


def test_redirect_target():
    assert (
        redirect_target(
            '<meta http-equiv="Refresh" content="0; url=book/index.html" />'
        )
        == "book/index.html"
    )
    assert redirect_target("<html><body>a page</body></html>") is None


@pytest.mark.parametrize(
    ("url", "foreign"),
    [
        ("http://127.0.0.1:8000/_static/mathjax/tex-chtml-full.js", False),
        ("http://127.0.0.1:8000/book/x.html?highlight=a", False),
        ("data:font/woff2;base64,AAAA", False),
        ("chrome://resources/js/util.js", False),
        ("https://cdn.jsdelivr.net/npm/mathjax@3/es5/tex-mml-chtml.js", True),
        ("http://127.0.0.1:9999/x.js", True),
        ("https://fonts.googleapis.com/css?family=Lato", True),
        ("wss://example.org/socket", True),
    ],
)
def test_is_foreign_request(url, foreign):
    assert is_foreign_request(url, "http://127.0.0.1:8000") is foreign


def test_grouped_keeps_links_apart_and_groups_the_rest():
    problems = [f"raw math \\(: 'x{i}'" for i in range(5)] + [
        "broken link 'a.html': a.html is not in the build",
        "broken link 'b.html': b.html is not in the build",
        "missing image: x.png",
    ]
    assert grouped(problems) == [
        "raw math \\( x5: 'x0' | 'x1' | 'x2' ... (5 in all)",
        "broken link 'a.html': a.html is not in the build",
        "broken link 'b.html': b.html is not in the build",
        "missing image: x.png",
    ]


def _box(kind, over=40, what="x = 1"):
    return {"kind": kind, "where": "sec", "what": what, "over": over}


def _fits(**changes):
    facts = {
        "viewport": 1265,
        "pageWidth": 1265,
        "scrolls": [],
        "clipped": [],
        "outside": [],
    }
    facts.update(changes)
    return facts


def test_overflow_nothing_to_report():
    assert overflow_failures(_fits(), "1280 px") == []


def test_overflow_at_laptop_width_nothing_may_scroll():
    failures = overflow_failures(_fits(scrolls=[_box("code"), _box("math")]), "1280 px")
    assert len(failures) == 2
    assert failures[0].startswith(
        "scrolls sideways at 1280 px: code in #sec (40 px over)"
    )


def test_overflow_on_a_phone_code_math_and_tables_may_scroll_in_their_boxes():
    facts = _fits(
        viewport=390,
        pageWidth=390,
        scrolls=[_box(k) for k in ("code", "math", "table")],
    )
    assert (
        overflow_failures(facts, "390 px", frozenset({"code", "math", "table"})) == []
    )
    facts["scrolls"].append(_box("other"))
    assert overflow_failures(facts, "390 px", frozenset({"code", "math", "table"})) == [
        "scrolls sideways at 390 px: other in #sec (40 px over): 'x = 1'"
    ]


def test_overflow_clipped_outside_and_a_wide_page_always_fail():
    facts = _fits(
        pageWidth=1500, clipped=[_box("math", 4)], outside=[_box("other", 12)]
    )
    failures = overflow_failures(
        facts, "1280 px", frozenset({"code", "math", "table", "other"})
    )
    assert failures == [
        "page wider than the screen at 1280 px: 1500 px for 1265",
        "cut off at 1280 px: math in #sec (4 px over): 'x = 1'",
        "past the right edge at 1280 px: other in #sec (12 px over): 'x = 1'",
    ]
