# Two commands a reader needs:  `make book`  and  `make test`.  Everything else is for developers.
# Each target creates the virtual environment .venv inside the clone on first use, installs the
# pinned dependencies of requirements.txt into it, and installs adjnets itself in editable mode.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

JUPYTERLAB := jupyterlab==4.6.6

.PHONY: book test browser-check reference benchmark lab lock clean help

help:
	@echo "make book       build the book, executing every page, into _build/html"
	@echo "make test       run the adjnets tests and the nbval regression of every page"
	@echo "make reference  re-execute every page and store its outputs in tests/reference"
	@echo "make lab        open the pages as notebooks in JupyterLab (installs it into .venv)"
	@echo "make browser-check  open every page of the built book in headless Chromium and check it"
	@echo "make benchmark  time adjnets against PyTorch and JAX into benchmarks/results.json (QUICK=1: short)"
	@echo "make lock       re-resolve requirements.in into the pinned requirements.txt"
	@echo "make clean      remove _build and .venv"

$(STAMP): requirements.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --requirement requirements.txt
	$(BIN)/python -m pip install --quiet --no-deps --editable .
	touch $@

book: $(STAMP)
	$(BIN)/jupyter-book build . --all -W -n --keep-going

# The built book as a reader sees it, in Debian's headless Chromium (apt-get install chromium
# chromium-driver); does not rebuild it.  Another build: make browser-check HTML=/tmp/b/_build/html
HTML ?= _build/html
browser-check: $(STAMP)
	$(BIN)/python tests/browser_check.py $(HTML)

test: $(STAMP)
	$(BIN)/python -m pytest

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

clean:
	rm -rf _build $(VENV)
