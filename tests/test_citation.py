"""The citation file, the licences and the project's URLs cannot drift apart.

* ``CITATION.cff`` is valid Citation File Format 1.2.0: it is checked against the
  official JSON schema, vendored as
  ``tests/data/citation-file-format-1.2.0.schema.json`` (from the repository
  citation-file-format/citation-file-format at its tag 1.2.0; nothing is downloaded),
  with jsonschema's draft-07 validator and the format checks that work offline. Mutated
  copies must fail, so the validation is known to bite.
* Its version is ``adjnets.__version__``, its date that of the release in
  ``CHANGELOG.md``, its title the book's (``_config.yml``).
* The repository URL is written once in ``_config.yml`` (``repository.url``); every
  other place that has to quote it (``CITATION.cff``, ``[project.urls]`` in
  ``pyproject.toml``, links in ``README.md``, ``CHANGELOG.md``, ``CONTRIBUTING.md``)
  agrees with it, and so does the address of the published book,
  ``https://<owner>.github.io/<name>/``.
* The licences: ``LICENSE`` (MIT, the code) is what ``pyproject.toml`` declares, with
  no ``License ::`` classifier beside the SPDX expression; ``LICENSE-text`` is the
  complete, verbatim CC BY 4.0 legal code (the text and figures); the footer of every
  page names both.
"""

from __future__ import annotations

import copy
import hashlib
import json
import re
import tomllib
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import yaml
from jsonschema import Draft7Validator

import adjnets

ROOT = Path(__file__).resolve().parent.parent
SCHEMA_PATH = ROOT / "tests" / "data" / "citation-file-format-1.2.0.schema.json"
SCHEMA_SHA256 = "0b8d22140da702d766df318dcff3a91af2f39521298dcf36d76315fd99cc169b"
# creativecommons.org/licenses/by/4.0/legalcode.txt, byte for byte (its tabs and the one
# trailing space included): an editor that "cleans" the file makes this test fail.
LEGALCODE_SHA256 = "fd3a263fe19ed8faa9068b43abaebafc02c77897b0c6fc09abc04bb592e5f16e"


class _CffLoader(yaml.SafeLoader):
    """YAML without implicit timestamps: a date stays the string that the schema
    describes."""


_CffLoader.yaml_implicit_resolvers = {
    first: [
        (tag, regex) for tag, regex in resolvers if tag != "tag:yaml.org,2002:timestamp"
    ]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def load_cff(text: str) -> dict:
    return yaml.load(text, Loader=_CffLoader)  # a SafeLoader subclass: safe


@pytest.fixture(scope="module")
def cff() -> dict:
    return load_cff((ROOT / "CITATION.cff").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def validator() -> Draft7Validator:
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    Draft7Validator.check_schema(schema)
    return Draft7Validator(schema, format_checker=Draft7Validator.FORMAT_CHECKER)


@pytest.fixture(scope="module")
def config() -> dict:
    return yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def pyproject() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


def pages_url(repository_url: str) -> str:
    """The GitHub Pages address of a repository: ``https://<owner>.github.io/<name>/``
    (``https://<owner>.github.io/`` for the repository ``<owner>.github.io`` itself)."""
    parts = urlsplit(repository_url)
    if parts.scheme != "https" or parts.netloc != "github.com":
        raise ValueError(
            f"expected https://github.com/<owner>/<name>, got {repository_url}"
        )
    owner, name = parts.path.strip("/").removesuffix(".git").split("/")
    host = f"{owner.lower()}.github.io"
    return f"https://{host}/" if name.lower() == host else f"https://{host}/{name}/"


@pytest.fixture(scope="module")
def urls(config) -> tuple[str, str]:
    repository = config["repository"]["url"].rstrip("/")
    return repository, pages_url(repository)


def test_pages_url_derivation():
    assert (
        pages_url("https://github.com/adjnets/adjnets")
        == "https://adjnets.github.io/adjnets/"
    )
    assert pages_url("https://github.com/Org/Book.git") == "https://org.github.io/Book/"
    assert pages_url("https://github.com/org/org.github.io") == "https://org.github.io/"
    with pytest.raises(ValueError):
        pages_url("https://gitlab.com/org/book")


# --- CITATION.cff against the CFF 1.2.0 schema ---------------------------------------


def test_vendored_schema_is_the_official_1_2_0():
    assert hashlib.sha256(SCHEMA_PATH.read_bytes()).hexdigest() == SCHEMA_SHA256
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    assert schema["$id"] == "https://citation-file-format.github.io/1.2.0/schema.json"
    assert schema["$schema"].startswith("http://json-schema.org/draft-07/")


def test_format_checking_covers_dates():
    # "date" is checked without any optional package; "uri" needs rfc3987 and is skipped
    assert "date" in Draft7Validator.FORMAT_CHECKER.checkers


def test_citation_file_is_valid(cff, validator):
    errors = [
        f"{'/'.join(map(str, e.path)) or '(top)'}: {e.message}"
        for e in validator.iter_errors(cff)
    ]
    assert not errors, "CITATION.cff is not valid CFF 1.2.0:\n" + "\n".join(errors)
    assert cff["cff-version"] == "1.2.0"


def _drop(key):
    def mutate(d):
        del d[key]

    return mutate


def _set(*path_and_value):
    *path, value = path_and_value

    def mutate(d):
        for key in path[:-1]:
            d = d[key]
        d[path[-1]] = value

    return mutate


MUTATIONS = {
    "no authors": _drop("authors"),
    "no message": _drop("message"),
    "unknown key": _set("citation", "adjnets"),
    "month 13": _set("date-released", "2026-13-03"),
    "30 February (only the format check sees it)": _set("date-released", "2026-02-30"),
    "SPDX expression instead of identifiers": _set("license", "MIT AND CC-BY-4.0"),
    "unknown licence": _set("license", ["MIT", "CC-BY-4.5"]),
    "type book": _set("type", "book"),
    "reference type masters-thesis": _set("references", 0, "type", "masters-thesis"),
    "country Canada": _set("references", 0, "institution", "country", "Canada"),
    "empty title": _set("title", ""),
}


@pytest.mark.parametrize("mutation", list(MUTATIONS), ids=list(MUTATIONS))
def test_a_mutated_citation_file_fails(cff, validator, mutation):
    broken = copy.deepcopy(cff)
    MUTATIONS[mutation](broken)
    assert not validator.is_valid(broken), (
        f"the schema accepts a citation with {mutation}"
    )


def test_citation_matches_the_package_and_the_book(cff, config):
    assert cff["version"] == adjnets.__version__
    assert cff["title"] == config["title"]
    assert cff["type"] == "software"
    assert set(cff["license"]) == {"MIT", "CC-BY-4.0"}
    (thesis,) = [r for r in cff["references"] if r["type"] == "thesis"]
    assert thesis["authors"] == [
        {"family-names": "Caterini", "given-names": "Anthony L."}
    ]
    assert thesis["institution"]["name"] == "University of Waterloo"
    assert thesis["year"] == 2017


def test_release_date_is_the_changelogs(cff):
    changelog = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    entry = re.search(
        rf"^## \[{re.escape(adjnets.__version__)}\] - (\d{{4}}-\d\d-\d\d)$",
        changelog,
        re.M,
    )
    assert entry, f"CHANGELOG.md has no entry '## [{adjnets.__version__}] - <date>'"
    assert cff["date-released"] == entry.group(1)


# --- the repository URL and the published book's address ----------------------------


def test_repository_url_is_written_once_in_the_config(config, urls):
    repository, _ = urls
    assert repository.startswith("https://github.com/")
    text = (ROOT / "_config.yml").read_text(encoding="utf-8")
    assert text.count(repository) == 1, (
        "_config.yml should hold the repository URL once"
    )


def test_citation_urls(cff, urls):
    repository, pages = urls
    assert cff["repository-code"] == repository
    assert cff["url"] == pages


def test_pyproject_urls(pyproject, urls):
    repository, pages = urls
    project_urls = pyproject["project"]["urls"]
    assert project_urls["Homepage"] == pages
    assert project_urls["Source"] == repository
    assert project_urls["Documentation"].startswith(pages)


GITHUB_URL = re.compile(
    r"https?://(?:www\.)?github\.com/[\w.-]+/[\w.-]+[^\s)>\"'`]*"
    r"|https?://[\w.-]+\.github\.io[^\s)>\"'`]*",
    re.I,
)


def project_urls_in(text: str) -> list[str]:
    """The URLs in ``text`` that point at the project's repository or published book:
    those on github.com or github.io that mention adjnets (or a misspelling of it)."""
    urls = (m.group(0).rstrip(".,;:") for m in GITHUB_URL.finditer(text))
    return [url for url in urls if "adjnet" in url.lower()]


def test_project_url_finder():
    text = (
        "see https://github.com/adjnets/adjnets/blob/main/X.md, "
        "[book](https://adjnets.github.io/adjnets/), https://github.com/numpy/numpy; "
        "`git clone https://github.com/adjnet/adjnets`, https://adjnet.github.io/x/."
    )
    assert project_urls_in(text) == [
        "https://github.com/adjnets/adjnets/blob/main/X.md",
        "https://adjnets.github.io/adjnets/",
        "https://github.com/adjnet/adjnets",
        "https://adjnet.github.io/x/",
    ]


@pytest.mark.parametrize(
    "name",
    ["README.md", "CHANGELOG.md", "CONTRIBUTING.md", "CITATION.cff", "pyproject.toml"],
)
def test_every_quoted_project_url_agrees(name, urls):
    repository, pages = urls
    text = (ROOT / name).read_text(encoding="utf-8")
    wrong = [
        url
        for url in project_urls_in(text)
        if not (
            url in (repository, repository + ".git")
            or url.startswith((repository + "/", pages))
        )
    ]
    assert not wrong, (
        f"{name} quotes URLs that disagree with _config.yml's repository.url "
        f"{repository} (and the book at {pages}): {wrong}"
    )


# --- the licences --------------------------------------------------------------------


def test_code_licence_is_mit_as_declared(pyproject):
    project = pyproject["project"]
    assert project["license"] == "MIT"
    assert project["license-files"] == ["LICENSE"]
    text = (ROOT / "LICENSE").read_text(encoding="utf-8")
    assert text.startswith("MIT License\n\nCopyright (c) 2026 The adjnets developers\n")
    assert 'THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND' in text


def test_classifiers(pyproject):
    classifiers = pyproject["project"]["classifiers"]
    assert len(set(classifiers)) == len(classifiers)
    # PEP 639: the SPDX `license` replaces the License classifiers (setuptools refuses
    # both at once)
    assert not [c for c in classifiers if c.startswith("License ::")]
    assert all(re.fullmatch(r"[A-Z][^:]*( :: [^:]+)+", c) for c in classifiers), (
        classifiers
    )
    # what the classifiers say of Python agrees with requires-python (>=3.11)
    versions = [
        c.rsplit(" :: ", 1)[1]
        for c in classifiers
        if re.fullmatch(r"Programming Language :: Python :: 3\.\d+", c)
    ]
    assert versions and all(int(v.split(".")[1]) >= 11 for v in versions)
    assert pyproject["project"]["requires-python"] == ">=3.11"


def test_text_licence_is_the_complete_cc_by_4_0_legal_code():
    raw = (ROOT / "LICENSE-text").read_bytes()
    text = raw.decode("utf-8")
    assert text.startswith("Attribution 4.0 International\n\n=====")
    assert "Creative Commons Attribution 4.0 International Public License" in text
    headings = re.findall(r"^Section (\d) -- ", text, re.M)
    assert headings == [str(i) for i in range(1, 9)], headings
    assert text.endswith("Creative Commons may be contacted at creativecommons.org.\n")
    assert hashlib.sha256(raw).hexdigest() == LEGALCODE_SHA256, (
        "LICENSE-text differs from the official legal code "
        "(https://creativecommons.org/licenses/by/4.0/legalcode.txt), byte for byte"
    )


def test_footer_states_both_licences(config, urls):
    repository, _ = urls
    footer = config["html"]["extra_footer"]
    assert 'href="https://opensource.org/license/mit"' in footer
    assert 'href="https://creativecommons.org/licenses/by/4.0/"' in footer
    assert "LICENSE" in footer and "LICENSE-text" in footer
    # plain links only: a page loads nothing from another host (make browser-check)
    assert "<img" not in footer and "<script" not in footer
    assert repository not in footer
