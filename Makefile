# Two entry points (see README): `make run` builds the graph and serves it; `make test` runs the suite.
# Both set up their own virtual environment from pyproject.toml, so a fresh machine needs only python3 and make.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: setup setup-test vendor build run test lint wheel clean

$(BIN)/yuetang-kg: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.test-deps: $(BIN)/yuetang-kg
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

$(VENV)/.lint-deps: $(BIN)/yuetang-kg
	$(BIN)/pip install --quiet -e '.[lint]'
	touch $@

# YASGUI for the query page: the npm package, pinned and checked against web/yasgui.sha256, copied into the
# package's static/vendor/ (git-ignored) and served by the app itself, never from a CDN.
YASGUI_VERSION := 4.6.2
VENDOR := src/yuetang_kg/web/static/vendor
NPM_CACHE := $(VENV)/npm-yasgui

$(VENDOR)/yasgui.min.js: src/yuetang_kg/web/yasgui.sha256
	rm -rf $(NPM_CACHE) && mkdir -p $(NPM_CACHE)
	cd $(NPM_CACHE) && npm pack --silent @zazuko/yasgui@$(YASGUI_VERSION) > /dev/null
	tar -xzf $(NPM_CACHE)/zazuko-yasgui-$(YASGUI_VERSION).tgz -C $(NPM_CACHE) \
	    package/build/yasgui.min.js package/build/yasgui.min.css
	cd $(NPM_CACHE)/package/build && sha256sum --quiet -c $(CURDIR)/src/yuetang_kg/web/yasgui.sha256
	mkdir -p $(VENDOR)
	cp $(NPM_CACHE)/package/build/yasgui.min.css $(VENDOR)/
	cp $(NPM_CACHE)/package/build/yasgui.min.js $(VENDOR)/

vendor: $(VENDOR)/yasgui.min.js

setup: $(BIN)/yuetang-kg vendor

setup-test: $(VENV)/.test-deps vendor

build: setup
	$(BIN)/yuetang-kg build

run: build
	$(BIN)/yuetang-kg serve --host $(HOST) --port $(PORT)

test: setup-test
	$(BIN)/python -m pytest

lint: $(VENV)/.lint-deps
	$(BIN)/ruff check src tests benchmarks

# The wheel is the whole product: it carries YASGUI and the built graph (see setup.py), so it needs both first.
wheel: vendor build
	$(BIN)/pip wheel --quiet --no-deps --wheel-dir dist .

clean:
	rm -rf dist build
