"""Every numbered result of the chapters done so far is stated, implemented and tested.

The table of the traceability appendix is generated from the same data (adjnets.pages.thesis).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from adjnets.pages.thesis import OWN_RESULTS, RESULTS, implements, traceability

ROOT = Path(__file__).resolve().parent.parent
COVERED_CHAPTERS = {2, 3, 4, 5}
"""Chapters whose results must be complete; each later chapter's issue adds its number."""

TRACES = {t.result.name: t for t in traceability(ROOT)}


def test_the_list_holds_the_thesis_58_results():
    assert len(RESULTS) == 58
    assert (
        next(iter(RESULTS)) == "Lemma 2.2.1" and list(RESULTS)[-1] == "Algorithm 5.2.2"
    )
    assert sum(r.chapter in COVERED_CHAPTERS for r in RESULTS.values()) == 58


@pytest.mark.parametrize(
    "name", [n for n, r in RESULTS.items() if r.chapter in COVERED_CHAPTERS]
)
def test_result_is_stated_implemented_and_tested(name):
    trace = TRACES[name]
    assert trace.pages, (
        f"{name} has no box labelled {trace.result.label} on any page of book/"
    )
    assert trace.implementations, f"{name} has no @implements({name!r}) in adjnets"
    assert trace.tests, f"{name} has no test marked @pytest.mark.thesis({name!r})"


def test_implements_rejects_an_unknown_result():
    with pytest.raises(ValueError, match="thesis results"):
        implements("Theorem 9.9.9")


def test_labels_follow_the_thesis_numbers():
    assert RESULTS["Theorem 3.2.5"].label == "thm-3-2-5"
    assert RESULTS["Algorithm 3.3.1"].label == "alg-3-3-1"
    assert RESULTS["Proposition 2.4.1"].label == "prop-2-4-1"


# -- the book's own results (Part IV), in a series of their own ------------------------

OWN_TRACES = {t.result.name: t for t in traceability(ROOT, own=True)}
PART_IV_PAGES = {
    1: "07-1-subspace",
    2: "07-2-manifold",
    3: "07-3-uncertainty",
    4: "07-4-infinite-width",
}
P_PAGES = {"Proposition P.1": "04-2-cnn"}
"""Series P: each result is stated on the page of the thesis result it speeds up."""


def own_page(result) -> str:
    if result.series == "F":
        return f"book/{PART_IV_PAGES[result.chapter]}.md"
    return f"book/{P_PAGES[result.name]}.md"


def test_each_page_of_part_iv_has_results_of_its_own():
    pages = {r.chapter for r in OWN_RESULTS.values() if r.series == "F"}
    assert pages == set(PART_IV_PAGES)
    assert {r.series for r in OWN_RESULTS.values()} == {"F", "P"}
    assert all(r.ours and not RESULTS.get(name) for name, r in OWN_RESULTS.items())
    assert not any(r.ours for r in RESULTS.values())
    assert {n for n, r in OWN_RESULTS.items() if r.series == "P"} == set(P_PAGES)


@pytest.mark.parametrize("name", list(OWN_RESULTS))
def test_own_result_is_stated_on_its_page_implemented_and_tested(name):
    trace = OWN_TRACES[name]
    page = own_page(trace.result)
    assert trace.pages == [page], (
        f"{name} should be stated once, on {page}, in a box labelled "
        f"{trace.result.label}; found {trace.pages}"
    )
    assert trace.implementations, f"{name} has no @implements({name!r}) in adjnets"
    assert trace.tests, f"{name} has no test marked @pytest.mark.thesis({name!r})"


def test_own_labels_carry_the_series_letter():
    assert all(
        r.label.split("-", 1)[1].startswith(f"{r.series.lower()}-")
        for r in OWN_RESULTS.values()
    )
    assert OWN_RESULTS["Proposition P.1"].label == "prop-p-1"
    assert OWN_RESULTS["Proposition F.1.2"].chapter == 1
