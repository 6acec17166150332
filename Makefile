# publish: `make` builds the demo manuscript into dist/, `make test` runs the tests.
# Both create .venv when it is missing.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: all build epub pdf test test-oldest lint validators bench clean catalogs

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
	$(BIN)/mypy
	$(BIN)/python -m pytest -n 2

# The PDF tests again, against the oldest WeasyPrint and pydyf pyproject.toml allows (their '>=' floors,
# read by tests/floors.py), in a second virtual environment: so the floors stay true.
OLDEST := .venv-oldest
OLDEST_STAMP := $(OLDEST)/.installed-stamp
PDF_TESTS := tests/test_pdf.py tests/test_handout.py tests/test_booklet.py tests/test_parallel.py \
	tests/test_typesetters.py tests/test_print_real.py

$(OLDEST_STAMP): pyproject.toml tests/floors.py
	test -x $(OLDEST)/bin/python || $(PYTHON) -m venv $(OLDEST)
	$(OLDEST)/bin/python -m pip install --quiet --disable-pip-version-check --upgrade 'pip>=24'
	$(OLDEST)/bin/python -m pip install --quiet --disable-pip-version-check -e '.[test]' \
		$$($(OLDEST)/bin/python tests/floors.py weasyprint pydyf)
	touch $(OLDEST_STAMP)

test-oldest: export PUBLISH_REQUIRE_VALIDATORS = 1
test-oldest: $(OLDEST_STAMP) validators
	$(OLDEST)/bin/python tests/floors.py --installed weasyprint pydyf
	$(OLDEST)/bin/python -m pytest -n 2 -q $(PDF_TESTS)

lint: $(STAMP)
	$(BIN)/ruff check publish tests
	$(BIN)/ruff format --check publish tests
	$(BIN)/mypy

# The message catalogs: edit publish/i18n/locales/*/LC_MESSAGES/publish.po, then compile them (the .mo
# files are committed, so an installed publish never needs Babel to read them; a test keeps them in step).
catalogs: $(STAMP)
	$(BIN)/pybabel compile --domain publish --directory publish/i18n/locales --statistics

clean:
	rm -rf dist .pytest_cache .ruff_cache

bench: $(STAMP)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[bench]'
	$(BIN)/python benchmarks/bench.py $(BENCH_ARGS)
