# Two commands a reader needs:  `make book`  and  `make test`.  Everything else is for developers.
# Each target creates the virtual environment .venv inside the clone on first use, installs the
# pinned dependencies of requirements.txt into it, and installs adjnets itself in editable mode.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

# `make lab`'s JupyterLab and jupyterlab-myst (MyST in the markdown cells), as environment.yml
# pins them for Binder (tests/test_lab.py checks that the two agree).
JUPYTERLAB := jupyterlab==4.6.6 jupyterlab-myst==2.7.0

.PHONY: book rebuild-check pdf test test-unit test-pages lint format browser-check screenshot reference benchmark lab lock dist clean help

help:
	@echo "make book       build the book into _build/html, executing the pages that changed (ALL=1: all)"
	@echo "make rebuild-check  check on a copy that make book re-executes exactly the pages it must"
	@echo "make pdf        the whole book as one PDF through LaTeX: _build/latex/adjnets.pdf, checked"
	@echo "make test       run the adjnets tests and the nbval regression of every page, on every core"
	@echo "make test-unit  the tests of the package and the repository only (no pages, no wheel)"
	@echo "make test-pages the nbval regression of the pages (PAGE=book/05-rnn.md: one page)"
	@echo "make lint       ruff format --check, ruff check and mypy (make test runs them too)"
	@echo "make format     apply ruff's format and its safe fixes"
	@echo "make reference  re-execute every page and store its outputs in tests/reference"
	@echo "make lab        open the pages as notebooks in JupyterLab (installs it into .venv; LAB_ARGS=...)"
	@echo "make browser-check  open every page of the built book in headless Chromium and check it"
	@echo "make screenshot the README's picture of a page (.github/screenshot.png) from the built book"
	@echo "make benchmark  time adjnets against PyTorch and JAX into benchmarks/results.json (QUICK=1: short)"
	@echo "make lock       re-resolve requirements.in into the pinned requirements.txt"
	@echo "make dist       build the sdist and the wheel of adjnets into dist/ (emptied first)"
	@echo "make clean      remove _build and .venv"

$(STAMP): requirements.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --requirement requirements.txt
	$(BIN)/python -m pip install --quiet --no-deps --editable .
	touch $@

# Incremental: Sphinx reads again only the pages that are outdated, and myst-nb executes every
# page it reads (execute_notebooks: force).  A page is outdated when its text changed, when
# adjnets code or data it uses changed (book/_ext/page_dependencies.py), or when it warned in
# the last build (book/_ext/warned_pages.py); the API pages when their modules changed
# (autodoc).  ALL=1 reads and executes every page, as a fresh clone (CI) does anyway.
book: $(STAMP)
	$(BIN)/jupyter-book build . $(if $(ALL),--all) -W -n --keep-going

# Several minutes: builds a copy of the clone four times (from scratch, unchanged, after a
# prose edit, after an edit of adjnets/recurrent/gated.py) and checks which pages ran.
rebuild-check: $(STAMP)
	$(BIN)/python tests/rebuild_check.py

# The whole book as one PDF: Sphinx's LaTeX builder (_config.yml's latex: and latex_elements,
# book/_ext/latex_pdf.py), XeLaTeX run by latexmk, as strict as `make book` (-W -n).  Without
# --all it re-uses the pages `make book` has just read and executed (_build/.doctrees): then only
# LaTeX runs; on its own it executes every page first.  The PDF is copied to _build/html, where
# the site serves it (the landing page and every page's download menu link to it), and
# tests/pdf_check.py reads it back.  Needs TeX: the Debian packages of .ci/system-packages.
PDF_LATEXOPTS := -interaction=nonstopmode -halt-on-error -file-line-error
pdf: $(STAMP)
	max_print_line=100000 LATEXOPTS="$(PDF_LATEXOPTS)" $(BIN)/jupyter-book build . --builder pdflatex -W -n --keep-going
	mkdir -p _build/html
	cp _build/latex/adjnets.pdf _build/html/adjnets.pdf
	$(BIN)/python tests/pdf_check.py _build/latex/adjnets.pdf

# The built book as a reader sees it, in Debian's headless Chromium (apt-get install chromium
# chromium-driver); does not rebuild it.  Another build: make browser-check HTML=/tmp/b/_build/html
HTML ?= _build/html
browser-check: $(STAMP)
	$(BIN)/python tests/browser_check.py $(HTML)

# The README's picture of a page, from the built book in the same Chromium.
screenshot: $(STAMP)
	$(BIN)/python tests/screenshot.py $(HTML)

# The tests run on every core (pytest-xdist); --dist loadfile keeps each file on one worker, so
# the cells of a page run in order in one kernel.  Subsets: make test-unit (the package, the
# harness and the checks of the repository, without the slow wheel test), make test-pages (the
# nbval regression of every page), make test-pages PAGE=book/05-rnn.md (one page).
# PYTEST_ARGS="-x -k adjoint" passes options on; JOBS=0 runs serially, JOBS=2 on two workers.
JOBS ?= auto
PYTEST := $(BIN)/python -m pytest -n $(JOBS) --dist loadfile $(PYTEST_ARGS)
PAGE ?= book

test: $(STAMP)
	$(PYTEST)

test-unit: $(STAMP)
	$(PYTEST) -m "not wheel" tests

test-pages: $(STAMP)
	$(PYTEST) $(PAGE)

# A quick local check of the code's form and types (tests/test_lint.py runs the same in make
# test; .pre-commit-config.yaml runs it before each commit).  make format applies the format.
lint: $(STAMP)
	$(BIN)/ruff format --check .
	$(BIN)/ruff check --no-fix .
	$(BIN)/mypy

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

reference: $(STAMP)
	$(BIN)/python -m tests.references $(PAGES)

# The pages as notebooks in JupyterLab, serving book/ (where book/jupytext.toml is found).
# JupyterLab goes into .venv only here, with its own stamp, constrained by requirements.txt so
# that it changes nothing the book and the tests use.  As root (a container) it adds
# --allow-root; other options: make lab LAB_ARGS="--no-browser --port 8890"
LAB_STAMP := $(VENV)/.lab-installed
LAB_CONFIG := JUPYTER_CONFIG_DIR=$(CURDIR)/$(VENV)/jupyter-config

$(LAB_STAMP): $(STAMP) Makefile
	$(BIN)/python -m pip install --quiet $(JUPYTERLAB) --constraint requirements.txt
	touch $@

lab: $(LAB_STAMP)
	$(LAB_CONFIG) $(BIN)/jupytext-config set-default-viewer markdown
	$(LAB_CONFIG) $(BIN)/jupyter lab $(if $(filter 0,$(shell id -u)),--allow-root) $(LAB_ARGS) book

# Benchmarks (not tests): PyTorch (CPU) goes into .venv only for them, with its own stamp.
BENCH_STAMP := $(VENV)/.benchmarks-installed

$(BENCH_STAMP): $(STAMP) benchmarks/requirements.txt
	$(BIN)/python -m pip install --quiet --requirement benchmarks/requirements.txt
	touch $@

benchmark: $(BENCH_STAMP)
	$(BIN)/python -m benchmarks $(if $(QUICK),--quick)

lock:
	rm -rf .lock-venv
	$(PYTHON) -m venv .lock-venv
	.lock-venv/bin/python -m pip install --quiet --requirement requirements.in
	(echo "# Pinned by 'make lock' from requirements.in with $$(.lock-venv/bin/python --version)."; \
	 .lock-venv/bin/python -m pip freeze --exclude-editable) > requirements.txt
	rm -rf .lock-venv

# The release: the sdist and the wheel of the package alone (adjnets/, LICENSE, README.md;
# MANIFEST.in keeps the book, tests and benchmarks out), built by `python -m build` in an
# isolated environment with the setuptools of pyproject.toml.  tests/test_wheel.py checks them.
# TAG=v0.1.0 (the release workflow passes the pushed tag): refuse to build a release whose tag
# is not v<adjnets.__version__>.
dist: $(STAMP)
	@version=$$($(BIN)/python -c 'import adjnets; print(adjnets.__version__)'); \
	if [ -n "$(TAG)" ] && [ "$(TAG)" != "v$$version" ]; then \
	  echo "make dist: the tag $(TAG) is not v$$version (adjnets.__version__)" >&2; exit 1; fi
	rm -rf dist
	$(BIN)/python -m build --outdir dist .

clean:
	rm -rf _build $(VENV)
