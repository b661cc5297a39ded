# Two commands a reader needs:  `make book`  and  `make test`.  Everything else is for developers.
# Each target creates the virtual environment .venv inside the clone on first use, installs the
# pinned dependencies of requirements.txt into it, and installs adjnets itself in editable mode.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

JUPYTERLAB := jupyterlab==4.6.6

.PHONY: book pdf test lint format browser-check screenshot reference benchmark lab lock dist clean help

help:
	@echo "make book       build the book, executing every page, into _build/html"
	@echo "make pdf        the whole book as one PDF through LaTeX: _build/latex/adjnets.pdf, checked"
	@echo "make test       run the adjnets tests and the nbval regression of every page"
	@echo "make lint       ruff format --check, ruff check and mypy (make test runs them too)"
	@echo "make format     apply ruff's format and its safe fixes"
	@echo "make reference  re-execute every page and store its outputs in tests/reference"
	@echo "make lab        open the pages as notebooks in JupyterLab (installs it into .venv)"
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

book: $(STAMP)
	$(BIN)/jupyter-book build . --all -W -n --keep-going

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

test: $(STAMP)
	$(BIN)/python -m pytest

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

lab: $(STAMP)
	$(BIN)/python -m pip install --quiet "$(JUPYTERLAB)"
	JUPYTER_CONFIG_DIR=$(CURDIR)/$(VENV)/jupyter-config $(BIN)/jupytext-config set-default-viewer markdown
	JUPYTER_CONFIG_DIR=$(CURDIR)/$(VENV)/jupyter-config $(BIN)/jupyter lab book

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
