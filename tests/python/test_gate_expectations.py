"""Every expectation of the gate can fail: for each one, a bad input (or a degenerate output)
that makes exactly that expectation fail (and no other), run through the gate on a copy of
the built warehouse.

The inputs are changed in the copy's seed tables (what the staging views read), the outputs
in its mart tables, so no dbt build is needed; the gate's frame SQL and GX suites are the
shipped ones. A failing expectation of severity warning is reported and does not fail the
gate; any other does.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import duckdb
import pytest

from _repo import REPO_ROOT
from digindex import gate

SUITES = [REPO_ROOT / "expectations" / f"{name}.json" for name in gate.SUITE_ORDER]
FIRST = """(select region_code, metric_code from seeds.metric_values
            order by region_code, metric_code limit 1)"""
# one metric of one framework, scored alike for every region
FIRST_METRIC = """(select framework_code, metric_code from seeds.metric_catalog
                   order by framework_code, metric_code limit 1)"""
CONSTANT = f"""update marts.fct_metric_values set score = 100
               where (framework_code, metric_code) in {FIRST_METRIC}"""

# expectation (by the column it checks) → SQL that breaks exactly it
BREAKS = {
    "missing_not_allowed": [
        f"update seeds.metric_values set value = null where (region_code, metric_code) in {FIRST}",
    ],
    "denominator_usable": [
        # a denominator that is not a number (the region's province name)
        """update seeds.metric_catalog set denominator = 'province'
           where metric_code = (select min(metric_code) from seeds.metric_catalog)""",
    ],
    "region_framework": [
        """insert into seeds.metric_values
           select edition, 'nowhere', metric_code, value from seeds.metric_values limit 1""",
    ],
    "metric_indicator": [
        """insert into seeds.metric_values
           select edition, region_code, 'not_a_metric', value from seeds.metric_values limit 1""",
    ],
    "value_text": [
        f"update seeds.metric_values set value = 'n/a' where (region_code, metric_code) in {FIRST}",
    ],
    "within_plausible_range": [
        f"""update seeds.metric_values set value = '1e12'
            where (region_code, metric_code) in {FIRST}""",
    ],
    # plausibility: a metric scoring every region alike, a warning by default …
    "constant_where_warned": [CONSTANT],
    # … and an error where the metric says so
    "constant_where_refused": [
        CONSTANT,
        f"""update seeds.metric_catalog set constant_scores = 'error'
            where (framework_code, metric_code) in {FIRST_METRIC}""",
    ],
}
# the expectations of severity warning: reported, the gate passes
WARNINGS = {"constant_where_warned"}


def _failed(db: Path) -> tuple[set[str], bool]:
    """The columns of the failing expectations, and whether the gate passes."""
    result = gate.run_gate(db, "bad-data", REPO_ROOT / "expectations")
    failed = {str(e.column) for suite in result.suites for e in suite.expectations if not e.success}
    return failed, result.success


def test_every_expectation_has_a_bad_input() -> None:
    declared = [e for suite in SUITES for e in json.loads(suite.read_text())["expectations"]]
    assert sorted(e["kwargs"]["column"] for e in declared) == sorted(BREAKS)
    warned = {
        e["kwargs"]["column"] for e in declared if e.get("severity", gate.CRITICAL) != gate.CRITICAL
    }
    assert warned == WARNINGS


@pytest.mark.parametrize("column", sorted(BREAKS))
def test_the_bad_input_fails_exactly_its_expectation(
    warehouse: Path, tmp_path: Path, column: str
) -> None:
    db = tmp_path / "warehouse.duckdb"
    shutil.copyfile(warehouse, db)
    assert _failed(db) == (set(), True)  # the copy passes as built
    con = duckdb.connect(str(db))
    try:
        for sql in BREAKS[column]:
            con.execute(sql)
    finally:
        con.close()
    assert _failed(db) == ({column}, column in WARNINGS)
