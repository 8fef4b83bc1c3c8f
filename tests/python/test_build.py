"""The dbt build passes: every model, contract, data test and unit test."""

from __future__ import annotations

import json
import shutil
from collections import Counter
from pathlib import Path
from typing import Any

import duckdb
import pytest

from _repo import REPO_ROOT, copy_project
from digindex.dbt_runner import (
    DbtError,
    code_fingerprint,
    record_unit_tests,
    run_dbt,
    unit_tests_passed,
)
from digindex.paths import DEFAULT_MEMORY_LIMIT


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
    assert kinds["seed"] == 10
    assert kinds["model"] >= 19
    assert kinds["test"] >= 50
    assert kinds["unit_test"] >= 2
    # every input model's columns are checked (one column_checks test per model)
    checked = {
        str(r["unique_id"]).split(".")[2].removeprefix("column_checks_")
        for r in build_results
        if str(r["unique_id"]).startswith("test.digindex.column_checks_")
    }
    for model in ("stg_index__framework_nodes", "stg_index__metrics", "stg_index__regions"):
        assert any(name.startswith(model) for name in checked), (model, checked)


def test_the_marts_keys_and_not_nulls_are_enforced_constraints(con) -> None:  # type: ignore[no-untyped-def]
    """The marts' keys and not-null columns are constraints DuckDB enforces on every write
    (not separate tests): the table as built refuses a duplicate key and a null."""
    primary = dict(
        con.execute(
            """select table_name, constraint_column_names from duckdb_constraints()
               where schema_name = 'marts' and constraint_type = 'PRIMARY KEY'"""
        ).fetchall()
    )
    assert primary["dim_regions"] == ["region_code"]
    assert primary["dim_indicators"] == ["framework_code", "node_code"]
    assert primary["rpt_reconciliation"] == ["edition", "region_code"]
    ddl = con.execute(
        "select sql from duckdb_tables() where schema_name = 'marts' and table_name = 'dim_regions'"
    ).fetchone()[0]
    columns = [c[0] for c in con.execute("select * from marts.dim_regions limit 0").description]
    row = dict.fromkeys(columns, "null") | {
        "region_code": "'x'",
        "region_name": "'X'",
        "framework_code": "'district'",
    }
    scratch = duckdb.connect()
    try:
        scratch.execute("create schema marts")
        scratch.execute(ddl)
        insert = "insert into marts.dim_regions values ({})"
        scratch.execute(insert.format(", ".join(row.values())))
        with pytest.raises(duckdb.ConstraintException, match=r"(?i)primary key"):
            scratch.execute(insert.format(", ".join(row.values())))
        with pytest.raises(duckdb.ConstraintException, match="NOT NULL"):
            scratch.execute(
                insert.format(
                    ", ".join((row | {"region_code": "'y'", "region_name": "null"}).values())
                )
            )
    finally:
        scratch.close()


def test_marts_hold_every_region_and_node(con) -> None:  # type: ignore[no-untyped-def]
    counts = dict(
        con.execute(
            """select edition || ' ' || framework_code, count(*) from marts.fct_rankings
               group by 1"""
        ).fetchall()
    )
    # the 2021 edition ranked 100 districts: the municipalities' 20 were added in 2022
    assert counts == {
        "2022 district": 120,
        "2022 county": 100,
        "2022 zone": 30,
        "2021 district": 100,
        "2021 county": 100,
        "2021 zone": 30,
    }
    nodes = dict(
        con.execute(
            """select framework_code, count(*) filter (where level = 3)
           from marts.dim_indicators group by 1"""
        ).fetchall()
    )
    assert nodes == {"district": 42, "county": 43, "zone": 36}
    n_scores = con.execute(
        "select count(*) from marts.fct_indicator_scores where edition = 2022"
    ).fetchone()[0]
    assert n_scores == 120 * (1 + 4 + 12 + 42) + 100 * (1 + 4 + 12 + 43) + 30 * (1 + 4 + 12 + 36)


def test_ranks_percentiles_and_means_equal_their_definitions(con) -> None:  # type: ignore[no-untyped-def]
    """The presentation numbers of fct_rankings recomputed independently of the window
    functions that produce them — by self-joins and plain aggregates: rank = 1 + the number
    of peers scoring strictly higher; percentile = 100 × the share of the other peers
    scoring strictly lower; province rank the same within the province; peer mean and count
    the group's plain aggregates."""
    mismatches = con.execute(
        """
        with r as (
            select fct_rankings.*, dim_regions.province
            from marts.fct_rankings
            inner join marts.dim_regions using (region_code)
        ),
        recomputed as (
            select
                a.edition,
                a.region_code,
                1 + count(*) filter (where b.composite_score > a.composite_score) as rank,
                100.0 * count(*) filter (where b.composite_score < a.composite_score)
                    / nullif(count(*) - 1, 0) as percentile,
                count(*) as peer_count,
                avg(b.composite_score) as peer_mean,
                1 + count(*) filter (
                    where b.province = a.province and b.composite_score > a.composite_score
                ) as province_rank
            from r as a
            inner join r as b on a.edition = b.edition and a.framework_code = b.framework_code
            group by a.edition, a.region_code
        )
        select r.region_code, r.rank, recomputed.rank, r.percentile, recomputed.percentile
        from r
        inner join recomputed using (edition, region_code)
        where r.rank != recomputed.rank
            or abs(r.percentile - coalesce(recomputed.percentile, 0)) > 1e-9
            or r.peer_count != recomputed.peer_count
            or abs(r.peer_mean - recomputed.peer_mean) > 1e-9
            or abs(r.vs_peer_mean - (r.composite_score - recomputed.peer_mean)) > 1e-9
            or r.province_rank is distinct from recomputed.province_rank
        """
    ).fetchall()
    assert mismatches == []
    assert con.execute("select count(*) from marts.fct_rankings").fetchone()[0] == 250 + 230


def test_declared_constraints_are_checked_where_not_enforced(
    baseline: Path, tmp_path: Path
) -> None:
    """On engines that declare the marts' constraints without enforcing them (Spark), the
    `declared_constraints` tests check them as data. Run here on DuckDB (where they are
    disabled, the constraints being enforced), in one dbt invocation: they pass on every
    built mart but one, which is rebuilt without its constraints with a duplicate key and a
    null, and whose test names both."""
    project = tmp_path / "project"
    shutil.copytree(baseline, project, ignore=shutil.ignore_patterns("target", "logs"))
    db = project / "build" / "warehouse.duckdb"
    args = ["test", "--select", "test_name:declared_constraints"]
    switch = {"check_declared_constraints": True}
    con = duckdb.connect(str(db))
    try:
        con.execute(
            """create or replace table marts.dim_regions as
               select * from marts.dim_regions
               union all (select * replace (null as region_name) from marts.dim_regions limit 1)"""
        )
    finally:
        con.close()
    with pytest.raises(DbtError) as failed:
        run_dbt(args, db=db, project_dir=project, dbt_vars=switch, quiet=True)
    assert len(failed.value.failures) == 1, failed.value.failures  # the ten others pass
    assert "declared_constraints_dim_regions" in failed.value.failures[0]
    query = next(sql for name, sql in failed.value.failing_queries.items() if "dim_regions" in name)
    con = duckdb.connect(str(db), read_only=True)
    try:
        found = [r[0] for r in con.execute(f"select failed_checks from ({query})").fetchall()]
    finally:
        con.close()
    assert "region_name is not null; primary key (region_code) unique" in found


def test_unit_tests_rerun_exactly_when_the_code_changes(tmp_path: Path) -> None:
    """The unit tests check SQL, not data: a build skips them only while the code they
    passed on is unchanged — any model, macro or dbt test file, any var other than the
    data's location, the dbt and DuckDB versions. A new index folder is not new code."""
    project = tmp_path / "project"
    for part in ("models", "macros", "tests/dbt"):
        shutil.copytree(REPO_ROOT / part, project / part)
    shutil.copy(REPO_ROOT / "dbt_project.yml", project)
    here = code_fingerprint(project, {"index_dir": "/a"})
    assert code_fingerprint(project, {"index_dir": "/b", "index_format": "parquet"}) == here
    assert code_fingerprint(project, None) == here
    assert code_fingerprint(project, {"max_tree_depth": 7}) != here

    assert unit_tests_passed(project, here) is None
    record_unit_tests(project, here)
    assert unit_tests_passed(project, here)
    macro = project / "macros" / "scoring" / "normalise.sql"
    macro.write_text(macro.read_text().replace("100.0 *", "99.0 *", 1))
    changed = code_fingerprint(project, None)
    assert changed != here
    assert unit_tests_passed(project, changed) is None
    record_unit_tests(project, None)  # a failed build forgets
    assert unit_tests_passed(project, here) is None


def test_duckdb_memory_limit_has_one_default() -> None:
    """profiles.yml's default memory limit (plain `dbt build`) is the one the CLI and index
    validation use (digindex.paths.DEFAULT_MEMORY_LIMIT)."""
    import re

    profile = (REPO_ROOT / "profiles.yml").read_text(encoding="utf-8")
    found = re.search(r"env_var\('DIGINDEX_MEMORY_LIMIT', '([^']+)'\)", profile)
    assert found, "profiles.yml reads DIGINDEX_MEMORY_LIMIT with a default"
    assert found.group(1) == DEFAULT_MEMORY_LIMIT


@pytest.mark.slow  # make test-slow (CI runs it): keeps make test within 3 minutes
def test_a_new_warehouse_or_index_folder_is_not_a_new_parse(tmp_path: Path) -> None:
    """dbt reaches a run's warehouse and index folder through links at fixed paths in the
    project, so another file or folder leaves what dbt's parse depends on unchanged: dbt
    parses partially (nothing to do) instead of again from scratch. A WAL a killed run left
    beside the link is removed before DuckDB could replay it into another warehouse."""
    project = copy_project(tmp_path / "project")
    log = project / "logs" / "dbt.log"

    def full_parses() -> int:
        return log.read_text(encoding="utf-8").count("Unable to do partial parsing")

    folders = [tmp_path / name for name in ("index_a", "index_b")]
    for folder in folders:
        folder.mkdir()
    first, second = tmp_path / "a" / "first.duckdb", tmp_path / "b" / "first.duckdb"
    run_dbt(["parse"], db=first, project_dir=project, dbt_vars={"index_dir": str(folders[0])})
    assert (project / "target" / "partial_parse.msgpack").exists()
    before = full_parses()
    run_dbt(["parse"], db=second, project_dir=project, dbt_vars={"index_dir": str(folders[1])})
    assert full_parses() == before, "a new warehouse path or index folder made dbt parse again"

    # a run killed with its database open leaves a WAL beside the link; DuckDB would
    # replay it into whatever file the link names next (measured: it does, silently)
    link = project / "target" / "run_links" / second.name
    killed = tmp_path / "killed.duckdb"
    duckdb.connect(str(killed)).close()
    link.symlink_to(killed)
    con = duckdb.connect(str(link))
    con.execute("pragma disable_checkpoint_on_shutdown")
    con.execute("create table main.from_a_killed_run as select 1 as x")
    con.close()
    link.unlink()
    assert link.with_name(f"{second.name}.wal").exists()
    second.parent.mkdir(parents=True, exist_ok=True)
    duckdb.connect(str(second)).close()  # a warehouse that exists, as a run's shadow does
    run_dbt(["seed", "--select", "published_statements"], db=second, project_dir=project)
    con = duckdb.connect(str(second), read_only=True)
    try:
        tables = {r[0] for r in con.execute("select table_name from duckdb_tables()").fetchall()}
    finally:
        con.close()
    assert "published_statements" in tables
    assert "from_a_killed_run" not in tables


# the physical operators DuckDB falls back to when a join condition is no equality between the
# two sides: every row of one side against every row of the other
NESTED_LOOPS = ("BLOCKWISE_NL_JOIN", "NESTED_LOOP_JOIN")


def nested_loop_joins(con: duckdb.DuckDBPyConnection, sql: str) -> list[str]:
    """The nested-loop join operators in DuckDB's physical plan of `sql`."""
    plan = "\n".join(row[1] for row in con.execute("explain " + sql).fetchall())
    # the plan draws operators in boxes that cut long names short
    return [name for name in NESTED_LOOPS if name[:9] in plan]


def test_no_model_joins_in_a_nested_loop(baseline: Path, con: duckdb.DuckDBPyConnection) -> None:
    """Every model's joins are hash joins (or merge joins): a nested loop costs values ×
    rows, the 4.2M × 200k join that made int_metric_values_scored take minutes at 100k
    regions where it had taken 18 s (a left join's condition on its left side only). The
    compiled SQL of the baseline run, explained on its warehouse."""
    manifest = json.loads((baseline / "target" / "manifest.json").read_text(encoding="utf-8"))
    models = [
        n
        for n in manifest["nodes"].values()
        if n["resource_type"] == "model"
        and n["package_name"] == "digindex"
        and n["language"] == "sql"  # the Python models (benchmarking) join in pandas
    ]
    assert len(models) >= 19
    compiled = baseline / "target" / "compiled" / "digindex"
    found = {}
    for node in models:
        sql = (compiled / node["original_file_path"]).read_text(encoding="utf-8")
        found[node["name"]] = nested_loop_joins(con, sql)
    assert {name: ops for name, ops in found.items() if ops} == {}


def test_a_join_on_one_sides_column_is_a_nested_loop(con: duckdb.DuckDBPyConnection) -> None:
    """The check above sees what it looks for: the pre-fix join of int_metric_values_scored."""
    sql = """select v.region_code
             from staging.stg_index__metric_values as v
             inner join staging.stg_index__metrics as m on v.metric_code = m.metric_code
             left join staging.stg_index__region_attributes as a
                 on v.region_code = a.region_code and m.impute_group = a.attribute
                 and m.imputation in ('group_mean', 'group_median')"""
    assert nested_loop_joins(con, sql) == ["BLOCKWISE_NL_JOIN"]
    assert nested_loop_joins(con, sql.replace("\n                 and m.imputation", " --")) == []
