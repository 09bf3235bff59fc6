# One-command entry points. `make run` and `make test` do all set-up on a fresh machine.
# `make bench` measures the nightly build against its floor (benchmarks/README.md).
SHELL := /bin/bash
VENV ?= .venv
PY := $(VENV)/bin/python
DBT := $(VENV)/bin/dbt
export CTWH_EXTRACT_ROOT ?= build/extracts/demo
export CTWH_DB ?= build/warehouse.duckdb
export DBT_PROFILES_DIR := $(CURDIR)
export DBT_SEND_ANONYMOUS_USAGE_STATS := false
PORT ?= 8501
ADDRESS ?= 127.0.0.1   # patient-level pages: bind to this machine unless asked otherwise

.PHONY: run test install system-deps demo-data build serve clean bench adam-docs

## make run: install, render the demo extracts, build the warehouse, serve the page
run: demo-data build serve

## make test: install (with Chromium), render the demo extracts, run every test
test: install system-deps demo-data
	$(PY) -m pytest

install: $(VENV)/.installed

# the warehouse and, beside it, the demo-data generator (a separate distribution)
$(VENV)/.installed: pyproject.toml generator/pyproject.toml requirements.lock
	python3 -m venv $(VENV)
	$(VENV)/bin/pip install -q --upgrade pip
	$(VENV)/bin/pip install -q -c requirements.lock -e '.[test,lint]' -e ./generator
	touch $@

## system packages the browser tests need (Debian chromium; never a downloaded browser)
system-deps:
	@bash scripts/install_system_deps.sh

demo-data: install
	$(PY) -m trialgen render --out $(CTWH_EXTRACT_ROOT)

build: install
	$(DBT) build

## make adam-docs: rewrite the ADaM model columns (models/adam/_adam__models.yml) and the variables
## table of docs/DESIGN.md from the spec seeds/adam_spec/ (expectations/adam_docs.py; idempotent)
adam-docs: install
	$(PY) -m expectations.adam_docs

serve: install
	$(VENV)/bin/streamlit run streamlit_app.py --server.port $(PORT) --server.address $(ADDRESS) --server.headless true

clean:
	rm -rf build

## make bench: floor vs nightly build per size, stage shares, page render; e.g. BENCH_ARGS="--sizes 1000"
bench: install
	$(PY) benchmarks/bench.py $(BENCH_ARGS)

## make lint: SQL (sqlfluff, .sqlfluff) and Python (ruff, pyproject.toml) - no violations allowed
SQL_PATHS := models data-tests
.PHONY: lint lint-fix
lint: install
	$(VENV)/bin/sqlfluff lint $(SQL_PATHS) --processes 2 --disable-progress-bar --nocolor
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

## make lint-fix: apply every mechanical fix (idempotent); `make lint` then lists what needs a person
## (the fixers exit non-zero when something unfixable remains: `-` lets the next fixer run)
lint-fix: install
	-$(VENV)/bin/sqlfluff fix $(SQL_PATHS) --processes 2 --disable-progress-bar --nocolor
	-$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .
