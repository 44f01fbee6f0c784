# Two commands do all set-up on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test test-slow lint bench clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev,dask,rl]"
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/gridshift demo

test: $(STAMP)
	$(BIN)/python -m pytest

test-slow: $(STAMP)  # the large dominance set (50 random variants; ~12 min on 2 cores)
	$(BIN)/python -m pytest -m slow

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/lint-imports
	$(BIN)/mypy

bench: $(STAMP)
	$(BIN)/python benchmarks/bench_greedy_year.py

clean:
	rm -rf $(VENV) results .pytest_cache
