r"""The thesis's 58 numbered results, and the adjnets code that implements each of them.

``thesis_results.tsv`` (shipped with the package) lists every numbered lemma,
proposition, theorem, remark and algorithm of the thesis. Code that implements or
exhibits a result says so with the :func:`implements` decorator; tests say which result
they check with the pytest marker ``@pytest.mark.thesis("Theorem 3.2.5")``; pages state
a result in a sphinx-proof box labelled with its number (``thm-3-2-5``).
:func:`traceability` reads the three and is what the book's traceability appendix shows
and what ``tests/test_traceability.py`` checks.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib.resources import files
from pathlib import Path
from typing import Any, TypeVar

F = TypeVar("F", bound=Callable[..., Any])

LABEL_PREFIX = {
    "Lemma": "lem",
    "Theorem": "thm",
    "Proposition": "prop",
    "Remark": "rem",
    "Algorithm": "alg",
    "Corollary": "cor",
}
"""The prefix of a result's label on its page, by kind (Theorem 3.2.5 is
``thm-3-2-5``)."""


@dataclass(frozen=True)
class Result:
    """A numbered result: of the thesis (``Theorem 3.2.5``), or one of the book's own,
    in a series named by a letter: ``Proposition F.1.2`` (Part IV, its first page, its
    second result), ``Proposition P.1`` (the first of the results used to compute
    faster)."""

    kind: str
    number: str
    about: str

    @property
    def name(self) -> str:
        """``"Theorem 3.2.5"``."""
        return f"{self.kind} {self.number}"

    @property
    def series(self) -> str:
        """The letter of a series of the book's own (``"F"``, ``"P"``); ``""`` for
        the thesis's results."""
        head = self.number.split(".")[0]
        return head if head.isalpha() else ""

    @property
    def ours(self) -> bool:
        """Whether the result is the book's own (its number starts with a series
        letter), not the thesis's."""
        return bool(self.series)

    @property
    def label(self) -> str:
        """Its box's label on its page, ``"thm-3-2-5"`` or ``"prop-f-1-2"``."""
        return f"{LABEL_PREFIX[self.kind]}-{self.number.lower().replace('.', '-')}"

    @property
    def chapter(self) -> int:
        """The chapter, ``3`` for Theorem 3.2.5; for the book's own results the first
        number after the series letter: the page of Part IV, ``1`` for Proposition
        F.1.2."""
        return int(self.number.removeprefix(f"{self.series}.").split(".")[0])


def _load(name: str = "thesis_results.tsv") -> dict[str, Result]:
    text = files("adjnets.pages").joinpath(name).read_text(encoding="utf-8")
    results = {}
    for line in text.splitlines():
        if line.strip() and not line.startswith("#"):
            kind, number, about = line.split("\t")
            result = Result(kind, number, about)
            results[result.name] = result
    return results


RESULTS: dict[str, Result] = _load()
"""Every numbered result of the thesis, by name (``"Theorem 3.2.5"``), in thesis
order."""

OWN_RESULTS: dict[str, Result] = {
    name: result
    for page in ("F1", "F2", "F3", "F4", "P")
    for name, result in _load(f"own_results/{page}.tsv").items()
}
"""The book's own numbered results by name, in two series. Series F is Part IV,
"Beyond the thesis" (``"Proposition F.1.2"``), page by page; series P holds the
results the package uses to compute faster (``"Proposition P.1"``). They are not the
thesis's: the pages say so, and the traceability appendix lists them in a table of
their own."""

IMPLEMENTATIONS: dict[str, list[str]] = {name: [] for name in (*RESULTS, *OWN_RESULTS)}
"""For each result, the qualified names of the functions and classes that implement
it."""


def implements(*names: str) -> Callable[[F], F]:
    """Record that the decorated function or class implements the named thesis results.

    Raises
    ------
    ValueError
        If a name is not a numbered result of the thesis (e.g. a typo in the number).
    """
    unknown = [n for n in names if n not in RESULTS and n not in OWN_RESULTS]
    if unknown:
        raise ValueError(
            "implements expected thesis results such as 'Theorem 3.2.5' (or the book's "
            f"own, such as 'Proposition F.1.1'), got {unknown}"
        )

    def register(obj: F) -> F:
        qualname = f"{obj.__module__}.{obj.__qualname__}"
        for name in names:
            if qualname not in IMPLEMENTATIONS[name]:
                IMPLEMENTATIONS[name].append(qualname)
        obj.__thesis__ = names  # type: ignore[attr-defined]  # function/class attribute
        return obj

    return register


@dataclass
class Trace:
    """Where one result is stated, implemented and checked."""

    result: Result
    pages: list[str] = field(default_factory=list)
    implementations: list[str] = field(default_factory=list)
    tests: list[str] = field(default_factory=list)


_LABEL = re.compile(
    r"^:label:\s*([a-z]+-(?:\d+-\d+-\d+|f-\d+-\d+|p-\d+))\s*$", re.MULTILINE
)


def _page_labels(book: Path) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for page in sorted(book.rglob("*.md")):
        for label in _LABEL.findall(page.read_text(encoding="utf-8")):
            found.setdefault(label, []).append(str(page.relative_to(book.parent)))
    return found


def _marked_tests(tests: Path) -> dict[str, list[str]]:
    """``{result name: [test ids]}`` from ``@pytest.mark.thesis(...)`` decorators."""
    found: dict[str, list[str]] = {}
    for path in sorted(tests.rglob("test_*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if not isinstance(node, ast.FunctionDef | ast.ClassDef):
                continue
            for deco in node.decorator_list:
                if (
                    isinstance(deco, ast.Call)
                    and isinstance(deco.func, ast.Attribute)
                    and deco.func.attr == "thesis"
                ):
                    for arg in deco.args:
                        if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                            test_id = f"{path.relative_to(tests.parent)}::{node.name}"
                            found.setdefault(arg.value, []).append(test_id)
    return found


class RepositoryNotFoundError(FileNotFoundError):
    """No clone of the adjnets repository for :func:`traceability` to read."""


def _is_repository(path: Path) -> bool:
    return (
        all((path / part).is_dir() for part in ("book", "tests", "adjnets/pages"))
        and (path / "adjnets" / "pages" / "thesis.py").is_file()
    )


def find_repository(start: Path | None = None, package: Path | None = None) -> Path:
    """The clone of the adjnets repository whose pages and tests :func:`traceability`
    reads.

    First the checkout the imported ``adjnets`` lives in (an editable install, as
    ``make`` makes), whose code is the code the table lists; otherwise ``start`` (by
    default the working directory) or the nearest folder above it that holds
    ``book/``, ``tests/`` and ``adjnets/``, as when a page runs in a clone where
    adjnets is installed from it (Binder). ``package`` is the folder of the imported
    package (by default this module's ``adjnets/``).

    Raises
    ------
    RepositoryNotFoundError
        If neither is in a clone; the message says what is needed and how to get it.
    """
    package = package or Path(__file__).resolve().parent.parent
    start = (start or Path.cwd()).resolve()
    for candidate in (package.parent, start, *start.parents):
        if _is_repository(candidate):
            return candidate
    try:
        from importlib.metadata import PackageNotFoundError, metadata

        urls = dict(
            url.split(", ", 1)
            for url in metadata("adjnets").get_all("Project-URL") or []
        )
        clone = f" (`git clone {urls['Source']}`)"
    except (PackageNotFoundError, KeyError, ValueError):
        clone = ""
    raise RepositoryNotFoundError(
        "The traceability table reads the adjnets repository (the pages in book/, "
        "the code in adjnets/, the tests in tests/), and there is no clone here: "
        f"neither {start} nor a folder above it holds one, and the installed adjnets "
        f"({package}) is not inside one. Clone the repository{clone}, install "
        "adjnets from the clone (`pip install -e .` in it) and run this notebook "
        "inside the clone, where it is book/traceability.md."
    )


def traceability(root: Path, own: bool = False) -> list[Trace]:
    """For every thesis result (or, with ``own``, every result of the book's own): its
    page(s), implementation(s) and test(s), in a checkout at ``root``.

    Implementations come from the :func:`implements` registry (import :mod:`adjnets`
    first, which imports every module); pages and tests are read from ``root/book`` and
    ``root/tests``.
    """
    import adjnets  # noqa: F401  (registers every implementation)

    labels, tests = _page_labels(root / "book"), _marked_tests(root / "tests")
    return [
        Trace(
            r, labels.get(r.label, []), list(IMPLEMENTATIONS[name]), tests.get(name, [])
        )
        for name, r in (OWN_RESULTS if own else RESULTS).items()
    ]
