# Two entry points (see README): `make run` builds the graph and serves it; `make test` runs the suite.
# Both set up their own virtual environment from pyproject.toml, so a fresh machine needs only python3 and make.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: setup setup-test build run test lint clean

$(BIN)/yuetang-kg: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.test-deps: $(BIN)/yuetang-kg
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

setup: $(BIN)/yuetang-kg

setup-test: $(VENV)/.test-deps

build: setup
	$(BIN)/yuetang-kg build

run: build
	$(BIN)/yuetang-kg serve --host $(HOST) --port $(PORT)

test: setup-test
	$(BIN)/python -m pytest

lint: setup-test
	$(BIN)/ruff check src tests

clean:
	rm -rf dist
