# Two commands matter: `make demo` and `make test`. Each bootstraps .venv by itself.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PLUGINS := $(sort $(dir $(wildcard providers/*/pyproject.toml examples/*/pyproject.toml)))
STAMP := $(VENV)/.seotasks-installed

.PHONY: demo test lint typecheck unit docs bench install clean

$(STAMP): pyproject.toml $(wildcard providers/*/pyproject.toml examples/*/pyproject.toml)
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev,speed]' $(foreach p,$(PLUGINS),-e $(p))
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/seotasks providers
	$(BIN)/seotasks tasks --sandbox -p dataforseo -p serpstat --status any --limit 25 --format table

LINTED := $(wildcard src providers tests benchmarks examples)

lint: $(STAMP)
	$(BIN)/ruff check $(LINTED)
	$(BIN)/ruff format --check $(LINTED)

typecheck: $(STAMP)
	$(BIN)/mypy src $(foreach p,$(PLUGINS),$(p)src)

unit: $(STAMP)
	$(BIN)/python -m pytest -q

docs: $(STAMP)
	$(BIN)/mkdocs build --strict --site-dir $(VENV)/site

test: lint typecheck unit docs

BENCH_STAMP := $(VENV)/.seotasks-bench-installed

$(BENCH_STAMP): $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[dev,speed,bench]'
	touch $(BENCH_STAMP)

bench: $(BENCH_STAMP)
	$(BIN)/python benchmarks/run.py

clean:
	rm -rf $(VENV)
