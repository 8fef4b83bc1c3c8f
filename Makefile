# The two commands a fresh clone needs: `make run` and `make test`.
SHELL := /bin/bash
.SHELLFLAGS := -o pipefail -c
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
# a DuckDB 1.4 LTS reader (the oldest BI drivers embed it), used by the compatibility test
LTS_READER := $(VENV)/duckdb-lts

.PHONY: install run test lint-python test-slow test-browser test-crash test-spark test-mutation test-differential-nightly bench bench-spark lint seeds clean dashboard

$(STAMP): pyproject.toml
	@echo "==> installing into $(VENV) (first time: about 2 minutes; pip lists what it fetches)"
	@test -x $(PY) || python3 -m venv $(VENV)
	PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 $(PY) -m pip install --progress-bar off \
		--disable-pip-version-check -e ".[dev]" | sed "/^Requirement already satisfied/d"
	$(PY) -m pip install --quiet --disable-pip-version-check --no-deps --upgrade \
		--target $(LTS_READER) "duckdb==1.4.0"
	@touch $(STAMP)
	@echo "==> installed"

install: $(STAMP)

## build, check and publish the warehouse; print the top 10 of each peer group, the
## reconciliation with the report, and write the static HTML report
run: install
	$(VENV)/bin/digindex run
	$(VENV)/bin/digindex reconcile
	$(VENV)/bin/digindex report

## the tests: ruff on the Python, then pytest (which drives dbt build with every data and unit
## test). The SQL's style (sqlfluff, ~30 s of CPU) is `make lint`, which CI runs too.
test: install lint-python
	$(PY) -m pytest -n 2 --dist loadscope --no-loadscope-reorder --durations=15

## the slow suites: every README command run verbatim on a fresh copy of the project, and
## every generic dbt test seen to fail on a defect planted for it
test-slow: install
	$(PY) -m pytest -m slow

## the dashboard and the HTML report in a real headless browser (Debian's chromium and
## fonts-noto-cjk): every page, its numbers, its layout, and no request leaving the machine
test-browser: install
	$(PY) -m pytest -m browser -n 2 --dist loadscope

## crash safety and concurrency: real runs killed (SIGKILL) at 20 checkpoints over build, gate,
## publication and file switch, two runs racing for one warehouse, identical runs compared
test-crash: install
	$(PY) -m pytest -m crash

## the shipped index built on Apache Spark (dbt-spark, in-process) with every data test,
## compared with the DuckDB build (scores within 1e-9, identical ranks)
test-spark: install
	$(PY) -m pip install --quiet --disable-pip-version-check -e ".[spark]"
	$(PY) tests/spark_check.py

## mutation testing of the SQL: each mutation of the models/macros must fail the method's
## tests (scripts/mutation_test.py prints the score; exits 1 below 95 %)
test-mutation: install
	$(PY) scripts/mutation_test.py

## the differential test at nightly size: thousands of random frameworks against the oracle,
## a new seed each day (DIGINDEX_DIFFERENTIAL_EXAMPLES, DIGINDEX_DIFFERENTIAL_SEED override)
test-differential-nightly: install
	DIGINDEX_DIFFERENTIAL_EXAMPLES=$${DIGINDEX_DIFFERENTIAL_EXAMPLES:-5000} DIGINDEX_DIFFERENTIAL_SEED=$${DIGINDEX_DIFFERENTIAL_SEED:-$$(date +%Y%m%d)} $(PY) -m pytest tests/python/test_differential.py -n 0 -k "not shipped"

## benchmarks: the pipeline and the pandas oracle at 1k, 10k, 100k regions (BENCH_ARGS=--large adds
## 1M), then the uncertainty and sensitivity analysis (bench/bench_uncertainty.py: 1,000
## replications and 6,000 Saltelli runs on the H3C index's 250 regions, 1,000 on 10k regions)
bench: install
	$(PY) bench/bench.py $(BENCH_ARGS)
	$(PY) bench/bench_uncertainty.py

## Spark (local mode) beside DuckDB on the COINr-shape index, 10k and 100k regions
## (BENCH_SPARK_ARGS="--sizes 1000000" for 1M)
bench-spark: install
	$(PY) -m pip install --quiet --disable-pip-version-check -e ".[spark]"
	$(PY) bench/bench_spark.py $(BENCH_SPARK_ARGS)

## the dashboard of the published warehouse (read-only; DIGINDEX_DB or build/warehouse.duckdb)
dashboard: install
	$(PY) -m digindex.dashboard

## style: ruff (lint and format) on the Python, sqlfluff on the SQL models and tests
lint: lint-python
	$(VENV)/bin/sqlfluff lint models tests/dbt --processes 2

lint-python: install
	$(VENV)/bin/ruff check src scripts tests bench
	$(VENV)/bin/ruff format --check src scripts tests bench

## regenerate the committed seeds from their sources (report text, division codes, generator)
seeds: install
	$(PY) scripts/extract_report.py
	$(PY) scripts/build_regions.py
	$(PY) scripts/generate_values.py

clean:
	rm -rf build target logs .pytest_cache
