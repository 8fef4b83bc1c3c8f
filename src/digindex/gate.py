"""The completeness gate: Great Expectations suites over frames read from the warehouse.

Each concern is a pair of files in ``expectations/``: ``<suite>.sql`` computes a frame in
DuckDB (aggregating there, so GX never reads whole fact tables) and ``<suite>.json`` is a
GX 1.x expectation suite over that frame. GX runs on its pandas datasource (its SQL
datasource on DuckDB silently fails). Results are written to the warehouse (``audit``
schema) and returned for the JSON report and the console summary.
"""

from __future__ import annotations

import atexit
import json
import logging
import math
import os
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb

from digindex.paths import duckdb_config, duckdb_spill_dir

# One home for every check: the gate checks what only it checks before publication — the
# inputs (unknown codes, non-numeric and implausible values, values missing where the index
# does not allow it, unusable denominators). The values' completeness and unique key, the
# framework's shape and the outputs are dbt tests of the build, which a publication
# requires to pass; a GX copy of them could never fail. After a build, the gate also judges
# whether the method's output is plausible (a metric scoring every region alike): a warning
# in the report, or an error where the index says so (the expectation's severity).
SUITE_ORDER = ["inputs", "plausibility"]
# suites that read only inputs (seeds via staging views) can run when the build failed
INPUT_SUITES = {"inputs"}
MAX_EXAMPLES = 20
# GX's severities (an expectation's "severity"; GX's default is critical): a failing
# critical expectation stops the publication, a failing warning is reported only
CRITICAL = "critical"


@dataclass
class ExpectationOutcome:
    suite: str
    index: int
    expectation_type: str
    column: str | None
    description: str
    kwargs: dict[str, Any]
    success: bool
    unexpected_count: int
    observed_value: Any
    examples: list[dict[str, Any]]
    severity: str = CRITICAL

    @property
    def blocks(self) -> bool:
        """Whether the outcome stops the publication: a failing critical expectation."""
        return not self.success and self.severity == CRITICAL

    @property
    def warns(self) -> bool:
        return not self.success and self.severity != CRITICAL


@dataclass
class SuiteOutcome:
    name: str
    success: bool
    skipped_reason: str | None = None
    n_rows: int = 0
    expectations: list[ExpectationOutcome] = field(default_factory=list)

    @property
    def warnings(self) -> list[ExpectationOutcome]:
        return [e for e in self.expectations if e.warns]


@dataclass
class GateResult:
    run_id: str
    started_at: str
    finished_at: str
    suites: list[SuiteOutcome]

    @property
    def success(self) -> bool:
        return all(s.success for s in self.suites)

    def to_json_dict(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "started_at": self.started_at,
            "finished_at": self.finished_at,
            "success": self.success,
            "suites": [
                {
                    "name": s.name,
                    "success": s.success,
                    "skipped_reason": s.skipped_reason,
                    "n_rows": s.n_rows,
                    "expectations": [
                        {
                            "type": e.expectation_type,
                            "column": e.column,
                            "description": e.description,
                            "kwargs": e.kwargs,
                            "success": e.success,
                            "severity": e.severity,
                            "unexpected_count": e.unexpected_count,
                            "observed_value": e.observed_value,
                            "unexpected_examples": e.examples,
                        }
                        for e in s.expectations
                    ],
                }
                for s in self.suites
            ],
        }

    def summary(self) -> dict[str, Any]:
        return {
            s.name: {
                "success": s.success,
                "skipped": s.skipped_reason is not None,
                "failed": sum(e.blocks for e in s.expectations),
                "warnings": len(s.warnings),
                "evaluated": len(s.expectations),
            }
            for s in self.suites
        }


def _plain(value: Any) -> Any:
    """JSON-safe Python value (numpy scalars, NaN, timestamps)."""
    if hasattr(value, "item") and not isinstance(value, (list, dict, str)):
        try:
            value = value.item()
        except (ValueError, AttributeError):
            pass
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    return str(value)


def load_suite(name: str, directory: Path) -> tuple[dict[str, Any], str]:
    """The suite and its frame SQL. A frame that pre-filters rows in SQL refers to a regex
    expectation's pattern as ``{{ <column>_regex }}``, so the pattern lives only in the JSON."""
    spec = json.loads((directory / f"{name}.json").read_text(encoding="utf-8"))
    sql = (directory / spec["meta"]["frame_sql"]).read_text(encoding="utf-8")
    for e in spec["expectations"]:
        if "regex" in e["kwargs"]:
            sql = sql.replace(
                "{{ " + e["kwargs"]["column"] + "_regex }}", e["kwargs"]["regex"].replace("'", "''")
            )
    return spec, sql


def _import_gx() -> None:
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    import great_expectations  # noqa: F401  (imported late: it takes seconds)
    from great_expectations.data_context.types.base import ProgressBarsConfig  # noqa: F401

    # GX logs its ephemeral context at INFO; the gate's own summary is what users read
    for logger in ("great_expectations", "great_expectations.data_context.types.base"):
        logging.getLogger(logger).setLevel(logging.WARNING)


class _Worker:
    """A process that imports Great Expectations once and validates the frames it is sent
    (a daemon: it ends with the process that started it)."""

    def __init__(self) -> None:
        import multiprocessing

        context = multiprocessing.get_context("spawn")
        self.conn, child = context.Pipe()
        self.process = context.Process(target=_serve, args=(child,), name="gx", daemon=True)
        self.process.start()
        child.close()
        atexit.register(self.close)

    def close(self) -> None:
        """Stop the worker at once (it holds nothing to clean up, see _serve)."""
        self.conn.close()
        self.process.terminate()
        self.process.join(timeout=5)

    def validate(self, name: str, spec: dict[str, Any], frame: Any) -> list[ExpectationOutcome]:
        self.conn.send((name, spec, frame))
        ok, value = self.conn.recv()
        if not ok:
            raise RuntimeError(f"Great Expectations failed on suite {name!r}:\n{value}")
        return list(value)


def _serve(conn: Any) -> None:
    import threading
    import traceback

    import tqdm

    # GX's progress bars take a multiprocessing lock (a named semaphore) that a stopped
    # worker would leave behind, with a warning from Python at exit; a thread lock will do
    tqdm.tqdm.set_lock(threading.RLock())
    _import_gx()
    while True:
        try:
            name, spec, frame = conn.recv()
        except EOFError:
            return
        try:
            conn.send((True, _validate_here(name, spec, frame)))
        except Exception:
            conn.send((False, traceback.format_exc()))


# the process Great Expectations runs in (see prefetch); None: validate in this process
_WORKER: _Worker | None = None


def prefetch() -> None:
    """Start Great Expectations in a worker process now, so the seconds its import takes
    (about 7 on this project's machines) run on another core while dbt builds, instead of
    after the build or competing with dbt for this process's interpreter lock. The gate
    then validates its frames in that worker; one worker serves every run of the process."""
    global _WORKER
    if _WORKER is None or not _WORKER.process.is_alive():
        _WORKER = _Worker()


def _validate(name: str, spec: dict[str, Any], frame: Any) -> list[ExpectationOutcome]:
    if _WORKER is not None and _WORKER.process.is_alive():
        return _WORKER.validate(name, spec, frame)
    return _validate_here(name, spec, frame)


def _validate_here(name: str, spec: dict[str, Any], frame: Any) -> list[ExpectationOutcome]:
    _import_gx()
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    batch = (
        context.data_sources.add_pandas(f"frames_{name}")
        .add_dataframe_asset(name)
        .add_batch_definition_whole_dataframe("whole")
        .get_batch(batch_parameters={"dataframe": frame})
    )
    suite = gx.ExpectationSuite(
        name=spec["name"], expectations=spec["expectations"], meta=spec.get("meta", {})
    )
    index_columns = [c for c in spec["meta"].get("index_columns", []) if c in frame.columns]
    result = batch.validate(
        suite,
        result_format={
            "result_format": "COMPLETE",
            "unexpected_index_column_names": index_columns,
            "partial_unexpected_count": MAX_EXAMPLES,
        },
    )
    outcomes = []
    for i, (declared, r) in enumerate(zip(spec["expectations"], result.results, strict=True)):
        res = r.result or {}
        examples = res.get("unexpected_index_list") or []
        if not examples and res.get("partial_unexpected_list"):
            examples = [{"value": v} for v in res["partial_unexpected_list"]]
        exc = (r.exception_info or {}).get("exception_message") if r.exception_info else None
        if exc:
            examples = [{"error": exc}]
        outcomes.append(
            ExpectationOutcome(
                suite=name,
                index=i,
                expectation_type=declared["type"],
                column=declared["kwargs"].get("column"),
                description=declared.get("meta", {}).get("description", declared["type"]),
                kwargs=_plain(declared["kwargs"]),
                success=bool(r.success),
                unexpected_count=int(res.get("unexpected_count") or (0 if r.success else 1)),
                observed_value=_plain(res.get("observed_value")),
                examples=_plain(examples[:MAX_EXAMPLES]),
                severity=str(declared.get("severity", CRITICAL)),
            )
        )
    return outcomes


def run_gate(db: Path, run_id: str, directory: Path, build_ok: bool = True) -> GateResult:
    """Run every suite against the warehouse `db` (read-only)."""
    started = datetime.now(UTC).isoformat(timespec="seconds")
    suites: list[SuiteOutcome] = []
    # bounded like dbt's: the suites scan every value (42M rows at 1M regions), and an
    # unbounded DuckDB takes up to 80 % of the machine's memory for that
    con = duckdb.connect(str(db), read_only=True, config=duckdb_config(duckdb_spill_dir(db)))
    try:
        for name in SUITE_ORDER:
            if not build_ok and name not in INPUT_SUITES:
                suites.append(
                    SuiteOutcome(
                        name,
                        False,
                        "skipped: the dbt build failed, so the marts may be stale or missing",
                    )
                )
                continue
            spec, sql = load_suite(name, directory)
            try:
                frame = con.execute(sql).df()
            except duckdb.Error as err:
                suites.append(SuiteOutcome(name, False, f"frame query failed: {err}"))
                continue
            outcomes = _validate(name, spec, frame)
            suites.append(
                SuiteOutcome(name, not any(o.blocks for o in outcomes), None, len(frame), outcomes)
            )
    finally:
        con.close()
    finished = datetime.now(UTC).isoformat(timespec="seconds")
    return GateResult(run_id, started, finished, suites)


AUDIT_DDL = [
    "create schema if not exists audit",
    """create table if not exists audit.gate_runs (
        run_id varchar primary key, started_at timestamptz, finished_at timestamptz,
        success boolean, summary json)""",
    """create table if not exists audit.expectation_results (
        run_id varchar, suite varchar, expectation_index integer, expectation_type varchar,
        column_name varchar, description varchar, kwargs json, success boolean,
        unexpected_count bigint, observed_value json, unexpected_examples json,
        skipped_reason varchar)""",
    # added with the plausibility suite (warehouses made before it gain the column)
    "alter table audit.expectation_results add column if not exists severity varchar",
    """create table if not exists audit.build_runs (
        run_id varchar primary key, finished_at timestamptz, success boolean,
        failures json)""",
]


RESULT_COLUMNS = (
    "run_id, suite, expectation_index, expectation_type, column_name, description, kwargs, "
    "success, unexpected_count, observed_value, unexpected_examples, skipped_reason, severity"
)


def ensure_audit(con: duckdb.DuckDBPyConnection) -> None:
    for ddl in AUDIT_DDL:
        con.execute(ddl)


def record_build(db: Path, run_id: str, success: bool, failures: list[str]) -> None:
    con = duckdb.connect(str(db))
    try:
        ensure_audit(con)
        con.execute(
            "insert into audit.build_runs values (?, now(), ?, ?)",
            [run_id, success, json.dumps(failures, ensure_ascii=False)],
        )
    finally:
        con.close()


def copy_audit(source: Path, target: Path) -> None:
    """Copy the audit records `source` has and `target` lacks (a refused run's shadow → the
    warehouse), so refused runs stay on record although their shadow is discarded."""
    con = duckdb.connect(str(target))
    try:
        ensure_audit(con)
        quoted = str(source).replace("'", "''")  # a path may hold a quote
        con.execute(f"attach '{quoted}' as shadow (read_only)")
        for table in ("build_runs", "gate_runs", "expectation_results"):
            found = con.execute(
                """select count(*) from duckdb_tables()
                                   where database_name = 'shadow' and schema_name = 'audit'
                                   and table_name = ?""",
                [table],
            ).fetchone()[0]
            if found:
                con.execute(f"""insert into audit.{table} by name select * from shadow.audit.{table}
                                where run_id not in (select run_id from audit.{table})""")
        con.execute("detach shadow")
    finally:
        con.close()


def last_build(db: Path) -> tuple[str, bool] | None:
    con = duckdb.connect(str(db), read_only=True)
    try:
        exists = con.execute("""select count(*) from information_schema.tables
                                where table_schema = 'audit' and table_name = 'build_runs'""")
        if not exists.fetchone()[0]:
            return None
        row = con.execute("""select run_id, success from audit.build_runs
                             order by finished_at desc limit 1""").fetchone()
        return (row[0], bool(row[1])) if row else None
    finally:
        con.close()


def record_gate(db: Path, result: GateResult) -> None:
    """Keep the results in the warehouse's audit schema."""
    con = duckdb.connect(str(db))
    try:
        ensure_audit(con)
        con.execute("begin")
        con.execute(
            "insert into audit.gate_runs values (?, ?, ?, ?, ?)",
            [
                result.run_id,
                result.started_at,
                result.finished_at,
                result.success,
                json.dumps(result.summary()),
            ],
        )
        for s in result.suites:
            if s.skipped_reason:
                con.execute(
                    """insert into audit.expectation_results
                               (run_id, suite, success, skipped_reason)
                               values (?, ?, false, ?)""",
                    [result.run_id, s.name, s.skipped_reason],
                )
            for e in s.expectations:
                con.execute(
                    f"insert into audit.expectation_results ({RESULT_COLUMNS}) "
                    "values (?,?,?,?,?,?,?,?,?,?,?,?,?)",
                    [
                        result.run_id,
                        s.name,
                        e.index,
                        e.expectation_type,
                        e.column,
                        e.description,
                        json.dumps(e.kwargs, ensure_ascii=False),
                        e.success,
                        e.unexpected_count,
                        json.dumps(e.observed_value, ensure_ascii=False),
                        json.dumps(e.examples, ensure_ascii=False),
                        None,
                        e.severity,
                    ],
                )
        con.execute("commit")
    finally:
        con.close()


def _describe_expected(e: ExpectationOutcome) -> str:
    k = e.kwargs
    if "value_set" in k:
        return f"in {k['value_set']}"
    if "regex" in k:
        return "a number"
    if "min_value" in k or "max_value" in k:
        lo, hi = k.get("min_value"), k.get("max_value")
        if lo == hi and lo is not None:
            return f"= {lo}"
        return " and ".join(
            p
            for p in [f">= {lo}" if lo is not None else "", f"<= {hi}" if hi is not None else ""]
            if p
        )
    if e.expectation_type.endswith("not_be_null"):
        return "not null"
    return e.expectation_type


def format_failures(result: GateResult, limit: int = 10, warnings: bool = False) -> str:
    """What failed, short and readable: suite, expectation, rows, observed vs expected (with
    `warnings`, the failing expectations of severity warning instead)."""
    lines = []
    for s in result.suites:
        if s.skipped_reason:
            if not warnings:
                lines.append(f"- {s.name}: {s.skipped_reason}")
            continue
        for e in s.expectations:
            if not (e.warns if warnings else e.blocks):
                continue
            lines.append(
                f"- {s.name}: {e.description} — {e.unexpected_count} row(s) fail "
                f"[{e.expectation_type}({e.column})]"
            )
            for ex in e.examples[:limit]:
                observed = ex.get(e.column, ex.get("value", ex.get("error")))
                where = ", ".join(
                    f"{k}={v}" for k, v in ex.items() if k != e.column and v is not None
                )
                lines.append(
                    f"    {where}: {e.column} = {observed!r}, expected {_describe_expected(e)}"
                )
            if e.unexpected_count > limit:
                lines.append(
                    f"    … and {e.unexpected_count - limit} more "
                    "(see the JSON report / audit.expectation_results)"
                )
    return "\n".join(lines)
