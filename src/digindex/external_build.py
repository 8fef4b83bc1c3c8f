"""A build computed on another engine, brought into the warehouse to be gated and published.

The computation scales out (``dbt build --target spark`` of the same models, from a staged
index folder: README, "Running on a cluster"); the gate and the publication stay on the
warehouse file, where a publication is one atomic swap. This module joins the two: it
loads the tables a Spark build wrote (Parquet, ``<warehouse>/<schema>.db/<table>/``) into
a warehouse file, as that file's build:

1. the build's outcome from its dbt ``run_results.json``: a ``build`` in which every model
   of the computation succeeded and every data and unit test passed, or the failures;
2. on DuckDB, the staging views over the same staged folder (the gate's inputs suite
   reads them), the reference seeds, and every intermediate and mart table created empty
   by ``dbt run --empty`` — the marts with their enforced contracts (keys, not null);
3. each table filled from the Parquet files, by column name: a duplicate key or a null
   where the contract forbids it is refused there, as on a DuckDB build;
4. the benchmarking models (对标: dbt Python models, which dbt-spark's session mode cannot
   run; excluded from the Spark build) computed here, from the loaded tables;
5. every data test run again on the loaded tables (``dbt test``; the unit tests check the
   SQL, which the Spark build ran): what is published is what was checked, here.

The caller records the outcome as the warehouse's build (``gate.record_build``), and then
gates and publishes it as any build (``digindex run --index DIR --from-spark WAREHOUSE``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from digindex.dbt_runner import DbtError, run_dbt

# the schemas of the computation whose tables a build brings (staging is views: rebuilt)
SCHEMAS = ("intermediate", "marts")
# the models a Spark build leaves out (Python models), computed here after the load
BENCHMARKING = "tag:benchmarking"


class ExternalBuildError(Exception):
    """The other engine's build cannot be used: named, with what to do."""


@dataclass
class Loaded:
    """What was loaded: rows per schema.table, and the build's failures (none: it passed)."""

    rows: dict[str, int] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)


def build_outcome(run_results: Path) -> list[str]:
    """The failures of the dbt build that `run_results` records (empty: it passed)."""
    if not run_results.is_file():
        raise ExternalBuildError(
            f"no dbt run results at {run_results}: pass the Spark build's target/"
            "run_results.json (--spark-results)"
        )
    found = json.loads(run_results.read_text(encoding="utf-8"))
    which = found.get("args", {}).get("which")
    if which != "build":
        raise ExternalBuildError(
            f"{run_results} records a `dbt {which}`, not a `dbt build`: only a build runs "
            "the data and unit tests a publication needs"
        )
    failures = [
        f"{r['unique_id']}: {r['status']}" + (f" ({r['message']})" if r.get("message") else "")
        for r in found.get("results", [])
        if r["status"] not in {"success", "pass"}
        and not (r["unique_id"].startswith("exposure.") and r["status"] == "no-op")
    ]
    if not found.get("results"):
        failures.append(f"{run_results} records no node")
    return failures


def load(
    db: Path,
    project_dir: Path,
    warehouse_dir: Path,
    staged_index: Path,
    run_results: Path,
    scenario_dir: Path | None = None,
) -> Loaded:
    """Load a Spark build of the index staged in `staged_index` (and of the uncertainty
    analysis's sample staged in `scenario_dir`, which the Spark build must have read) into
    `db`; see the module."""
    failures = build_outcome(run_results)
    loaded = Loaded(failures=failures)
    if failures:
        return loaded  # a failed build is recorded, not loaded
    if not warehouse_dir.is_dir():
        raise ExternalBuildError(f"no Spark warehouse directory at {warehouse_dir}")
    index_vars = {"index_dir": str(staged_index.resolve())}
    if scenario_dir is not None:
        index_vars["scenario_dir"] = str(scenario_dir.resolve())
    # the reference seeds, the staging views over the folder, the tables empty
    creating = [
        ["seed", "--exclude", "tag:index_input"],
        ["run", "--select", "staging"],
        ["run", "--empty", "--select", *SCHEMAS, "--exclude", "tag:published", BENCHMARKING],
    ]
    try:
        for command in creating:
            run_dbt(command, db=db, project_dir=project_dir, dbt_vars=index_vars, quiet=True)
    except DbtError as err:
        loaded.failures = [f"creating the warehouse's tables: {f}" for f in err.failures]
        return loaded
    con = duckdb.connect(str(db))
    try:
        tables = con.execute(
            f"""select schema_name, table_name from duckdb_tables()
                where database_name = current_database()
                  and schema_name in ({", ".join("?" for _ in SCHEMAS)})
                order by schema_name, table_name""",
            list(SCHEMAS),
        ).fetchall()
        for schema, table in tables:
            source = warehouse_dir / f"{schema}.db" / table
            if not any(source.glob("*.parquet")):
                loaded.failures.append(f"{schema}.{table}: the Spark build wrote no {source}")
                continue
            pattern = str(source / "*.parquet").replace("'", "''")
            try:
                con.execute(
                    f"insert into {schema}.{table} by name select * from read_parquet('{pattern}')"
                )
            except duckdb.Error as err:
                loaded.failures.append(f"{schema}.{table}: {type(err).__name__}: {err}")
                continue
            (n,) = con.execute(f"select count(*) from {schema}.{table}").fetchone() or (0,)
            loaded.rows[f"{schema}.{table}"] = int(n)
    finally:
        con.close()
    if loaded.failures:
        return loaded
    try:  # 对标's Python models (dbt-spark's session mode runs none), from the loaded tables
        run_dbt(
            ["run", "--select", BENCHMARKING, "--exclude", "tag:published"],
            db=db,
            project_dir=project_dir,
            dbt_vars=index_vars,
            quiet=True,
        )
    except DbtError as err:
        loaded.failures = [
            f"the benchmarking models on the loaded tables: {f}" for f in err.failures
        ]
        return loaded
    data_tests = ["test", "--exclude", "tag:published", "tag:index_input"]
    data_tests += ["--exclude-resource-type", "unit_test"]
    try:  # the tables published are the tables checked: every data test again, here
        run_dbt(data_tests, db=db, project_dir=project_dir, dbt_vars=index_vars, quiet=True)
    except DbtError as err:
        loaded.failures = [f"a data test on the loaded tables: {f}" for f in err.failures]
    return loaded
