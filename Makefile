# slaguard developer and operator commands. `make help` lists them.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.DEFAULT_GOAL := help
.PHONY: help install browser run test test-fast lint typecheck fmt screenshots bench check lock

help: #: list the targets
	@grep -E '^[a-z-]+:.*#:' $(MAKEFILE_LIST) | sed -E 's/:.*#: */\t/'

$(STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[dev,bench]'
	touch $(STAMP)

install: $(STAMP) #: create .venv with slaguard and its dev/test/bench dependencies (pinned by constraints.txt)

run: install #: set everything up and start slaguard on the embedded default
	$(BIN)/slaguard run

browser: #: Debian's Chromium for the dashboard's browser tests (installed when missing)
	@command -v chromium >/dev/null || { \
	  if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
	  $$SUDO apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium; }

# The tests run in this many processes (pytest-xdist), a test file's tests in one of them.
TEST_PROCESSES ?= 2

test: install browser #: install what the tests need and run every test
	$(BIN)/pytest -n $(TEST_PROCESSES) --dist loadfile

test-fast: install browser #: the test suite without the slow property runs
	$(BIN)/pytest -n $(TEST_PROCESSES) --dist loadfile -m "not slow"

lint: install #: ruff, mypy strict and the layer contract
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy
	$(BIN)/lint-imports

fmt: install #: format and autofix
	$(BIN)/ruff format src tests bench
	$(BIN)/ruff check --fix src tests bench

typecheck: install #: mypy strict on src/
	$(BIN)/mypy

screenshots: install browser #: docs/images/: the hub, a ticket and the reports over the demo data
	SLAGUARD_SCREENSHOTS=docs/images $(BIN)/pytest -q tests/browser/test_screenshots.py

bench: install #: run the benchmarks; they print their figures
	$(BIN)/python bench/business_time.py
	$(BIN)/python bench/businesstimedelta_errors.py
	$(BIN)/python bench/clocks.py
	$(BIN)/python bench/ingest.py
	$(BIN)/python bench/import_bench.py
	$(BIN)/python bench/reports.py
	$(BIN)/python bench/dashboard.py
	$(BIN)/python bench/timers.py

check: lint test #: what CI runs

lock: #: re-pin constraints.txt from a fresh resolve of pyproject.toml
	rm -rf .lockenv && $(PYTHON) -m venv .lockenv
	.lockenv/bin/pip install --quiet -e '.[dev,bench]'
	.lockenv/bin/pip freeze --exclude-editable | grep -v '^-e' > constraints.txt
	rm -rf .lockenv
