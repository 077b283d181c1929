# compact-calendar: `make run` serves ./events.yaml; `make test` installs what the
# tests need and runs lint and the whole suite.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
REGISTRY ?= events.yaml

.PHONY: run demo install install-test test lint format bench schema docs clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV) || { \
	  echo "python3 -m venv failed: installing Debian's python3-venv"; \
	  apt-get install -y python3-venv && $(PYTHON) -m venv $(VENV); }
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: $(BIN)/python pyproject.toml
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: $(BIN)/python pyproject.toml
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(VENV)/.installed $@

install: $(VENV)/.installed

install-test: $(VENV)/.installed-test
	bash scripts/install-test-deps.sh

run: install
	$(BIN)/compact-calendar serve --registry $(REGISTRY)

demo: install
	$(BIN)/python examples/demo.py
	$(BIN)/compact-calendar serve --registry examples/demo-events.yaml

lint: $(VENV)/.installed-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy --strict

format: $(VENV)/.installed-test
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

test: install-test lint
	$(BIN)/python -m pytest

bench: install-test
	$(BIN)/python -m benchmarks

schema: install
	$(BIN)/compact-calendar schema > events.schema.json

docs: install
	$(BIN)/python -m compact_calendar.docs_reference

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache .hypothesis node_modules
