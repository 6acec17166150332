# publish: `make` builds the demo manuscript into dist/, `make test` runs the tests.
# Both create .venv when it is missing.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: all build epub pdf test lint validators bench clean catalogs

all: build

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade 'pip>=24'
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[test]'
	touch $(STAMP)

build: $(STAMP)
	$(BIN)/publish build -m manuscript -o dist

epub: $(STAMP)
	$(BIN)/publish epub -m manuscript

pdf: $(STAMP)
	$(BIN)/publish pdf -m manuscript

validators:
	bash tests/install-validators.sh

test: export PUBLISH_REQUIRE_VALIDATORS = 1
test: $(STAMP) validators
	$(BIN)/ruff check publish tests
	$(BIN)/ruff format --check publish tests
	$(BIN)/python -m pytest -n 2

lint: $(STAMP)
	$(BIN)/ruff check publish tests
	$(BIN)/ruff format --check publish tests

clean:
	rm -rf dist .pytest_cache .ruff_cache

bench: $(STAMP)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[bench]'
	$(BIN)/python benchmarks/bench.py $(BENCH_ARGS)

# The message catalogs: edit publish/i18n/locales/*/LC_MESSAGES/publish.po, then compile them (the .mo
# files are committed, so an installed publish never needs Babel to read them; a test keeps them in step).
catalogs: $(STAMP)
	$(BIN)/pybabel compile --domain publish --directory publish/i18n/locales --statistics
