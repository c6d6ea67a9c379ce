# Stride: `make up` runs the platform locally, `make test` runs every test.
VENV   ?= .venv
PYTHON ?= python3
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

.PHONY: up test lint unit integration e2e chaos servers bench clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

up: $(STAMP)
	$(BIN)/stride up

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

servers:
	scripts/ensure-servers

test: $(STAMP) servers lint
	$(BIN)/pytest

unit: $(STAMP)
	$(BIN)/pytest -m "unit or security"

integration: $(STAMP) servers
	$(BIN)/pytest -m integration

e2e: $(STAMP) servers
	$(BIN)/pytest -m "e2e or embedded"

chaos: $(STAMP) servers
	$(BIN)/pytest -m chaos

bench: $(STAMP) servers
	$(BIN)/python bench/backbone.py

clean:
	rm -rf var .pytest_cache .mypy_cache .ruff_cache
