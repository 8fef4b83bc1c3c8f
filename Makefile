# The two commands a fresh clone needs: `make run` and `make test`.
SHELL := /bin/bash
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
# a DuckDB 1.4 LTS reader (the oldest BI drivers embed it), used by the compatibility test
LTS_READER := $(VENV)/duckdb-lts

.PHONY: install run test lint seeds clean

$(STAMP): pyproject.toml
	@test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -e ".[dev]"
	$(PY) -m pip install --quiet --disable-pip-version-check --no-deps --upgrade \
		--target $(LTS_READER) "duckdb==1.4.0"
	@touch $(STAMP)

install: $(STAMP)

## build, check and publish the warehouse; print the top 10 of each peer group and the reconciliation
run: install
	$(VENV)/bin/digindex run
	$(VENV)/bin/digindex reconcile

## everything CI runs: lint, then pytest (which drives dbt build with every data and unit test)
test: install lint
	$(PY) -m pytest

lint: install
	$(VENV)/bin/ruff check scripts tests

## regenerate the committed seeds from their sources (report text, division codes, generator)
seeds: install
	$(PY) -m digindex.extract_report
	$(PY) -m digindex.build_regions
	$(PY) -m digindex.generate_values

clean:
	rm -rf build target logs .pytest_cache
