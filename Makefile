# Stride: `make up` runs the platform locally, `make test` runs every test.
VENV   ?= .venv
PYTHON ?= python3
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

.PHONY: up demo test lint unit integration e2e chaos servers bench clean mutation

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev,bench]'
	touch $(STAMP)

up: $(STAMP)
	$(BIN)/stride up

# With `make up` running (in another terminal): real students of the Open University
# dataset through the gateway's API; prints a teacher token and a class view's URL.
demo: $(STAMP)
	$(BIN)/stride oulad demo

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

servers:
	scripts/ensure-servers

# Every tier but chaos runs in TEST_WORKERS processes (each with its own RabbitMQ vhost
# and its own databases); the chaos tier restarts RabbitMQ, so it runs alone afterwards.
TEST_WORKERS ?= 4

test: $(STAMP) servers lint
	$(BIN)/pytest -m "not chaos" -n $(TEST_WORKERS) --dist loadfile
	$(BIN)/pytest -m chaos

unit: $(STAMP)
	$(BIN)/pytest -m "unit or security"

integration: $(STAMP) servers
	$(BIN)/pytest -m integration

e2e: $(STAMP) servers
	$(BIN)/pytest -m "e2e or embedded"

chaos: $(STAMP) servers
	$(BIN)/pytest -m chaos

# Mutation testing of the rules: every services/*/domain/ package and the pure helpers of
# shared/, one package at a time, each mutant running only the unit tests that execute
# the mutated function ([tool.mutmut] in pyproject.toml). Not part of `make test`.
MUTATION_PACKAGES ?= $(subst /,.,$(patsubst %/,%,$(sort $(wildcard services/*/domain/)))) \
	shared.time shared.pagination
MUTATION_CHILDREN ?= 2

mutation: $(STAMP)
	rm -f mutants/mutmut-stats.json
	for package in $(MUTATION_PACKAGES); do \
		$(BIN)/mutmut run --max-children $(MUTATION_CHILDREN) "$$package.*" || exit 1; \
	done
	$(BIN)/python tests/mutation/scores.py --record $(MUTATION_PACKAGES)

bench: $(STAMP) servers
	$(BIN)/python bench/backbone.py

clean:
	rm -rf var mutants .pytest_cache .mypy_cache .ruff_cache
