"""Every expectation of the gate can fail: for each one, a bad input that makes exactly that
expectation fail (and no other), run through the gate on a copy of the built warehouse.

The inputs are changed in the copy's seed tables (what the staging views read), so no dbt
build is needed; the gate's frame SQL and GX suite are the shipped ones.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import duckdb
import pytest

from _repo import REPO_ROOT
from digindex import gate

SUITE = REPO_ROOT / "expectations" / "inputs.json"
FIRST = """(select region_code, metric_code from seeds.metric_values
            order by region_code, metric_code limit 1)"""

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
}


def _failed(db: Path) -> set[str]:
    result = gate.run_gate(db, "bad-data", REPO_ROOT / "expectations")
    return {str(e.column) for suite in result.suites for e in suite.expectations if not e.success}


def test_every_expectation_has_a_bad_input() -> None:
    declared = {e["kwargs"]["column"] for e in json.loads(SUITE.read_text())["expectations"]}
    assert declared == set(BREAKS)


@pytest.mark.parametrize("column", sorted(BREAKS))
def test_the_bad_input_fails_exactly_its_expectation(
    warehouse: Path, tmp_path: Path, column: str
) -> None:
    db = tmp_path / "warehouse.duckdb"
    shutil.copyfile(warehouse, db)
    assert _failed(db) == set()  # the copy passes as built
    con = duckdb.connect(str(db))
    try:
        for sql in BREAKS[column]:
            con.execute(sql)
    finally:
        con.close()
    assert _failed(db) == {column}
