"""The dbt build passes: every model, contract, data test and unit test."""

from __future__ import annotations

from collections import Counter
from typing import Any


def kinds_of(result: dict[str, Any]) -> str:
    return str(result["unique_id"]).split(".")[0]


def test_dbt_build_passes_every_data_and_unit_test(build_results: list[dict[str, Any]]) -> None:
    kinds = Counter(kinds_of(r) for r in build_results)
    failed = [
        (r["unique_id"], r["status"], r["message"])
        for r in build_results
        if r["status"] not in {"success", "pass"} and kinds_of(r) != "exposure"
    ]
    assert not failed, failed
    # the suite really ran: seeds, models, data tests and the macros' unit tests
    assert kinds["seed"] == 8
    assert kinds["model"] >= 19
    assert kinds["test"] >= 80
    assert kinds["unit_test"] >= 2


def test_marts_hold_every_region_and_node(con) -> None:  # type: ignore[no-untyped-def]
    counts = dict(
        con.execute("select framework_code, count(*) from marts.fct_rankings group by 1").fetchall()
    )
    assert counts == {"district": 120, "county": 100, "zone": 30}
    nodes = dict(
        con.execute(
            """select framework_code, count(*) filter (where level = 3)
           from marts.dim_indicators group by 1"""
        ).fetchall()
    )
    assert nodes == {"district": 42, "county": 43, "zone": 36}
    n_scores = con.execute("select count(*) from marts.fct_indicator_scores").fetchone()[0]
    assert n_scores == 120 * (1 + 4 + 12 + 42) + 100 * (1 + 4 + 12 + 43) + 30 * (1 + 4 + 12 + 36)
