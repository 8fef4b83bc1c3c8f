"""Publication (write–audit–publish): replace the `published` schema and the exports.

Called only after the dbt build and every gate suite passed. In ONE DuckDB transaction it
replaces the published tables (facts: the edition's rows; dimensions: whole tables),
appends to ``published.publication_log`` and copies the edition's published rows to
temporary export files; only after COMMIT are the files renamed into
``publish/<edition>/`` (each rename atomic, the manifest last). Any failure before COMMIT
rolls back and deletes the temporary files, so the previous publication — tables and
files — stays byte-for-byte as it was.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb

# published table → (source mart, replaced per edition?)
PUBLISHED_TABLES: dict[str, tuple[str, bool]] = {
    "rankings": ("marts.fct_rankings", True),
    "indicator_scores": ("marts.fct_indicator_scores", True),
    "regions": ("marts.dim_regions", False),
    "indicators": ("marts.dim_indicators", False),
    "metrics": ("marts.dim_metrics", False),
    "reconciliation": ("marts.rpt_reconciliation", True),
    "peer_group_summary": ("marts.rpt_peer_group_summary", True),
    "published_table_audit": ("marts.rpt_published_table_audit", True),
}
BOM = "\ufeff".encode()


class PublishError(RuntimeError):
    """The publication did not happen; the previous one is untouched."""


@dataclass
class Publication:
    run_id: str
    edition: int
    directory: Path
    row_counts: dict[str, int]
    manifest: dict[str, Any]


def checkpoint(stage: str) -> None:
    """A named point in the publication; tests replace it to inject failures."""


def git_commit(repo: Path) -> str:
    try:
        head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=repo, capture_output=True,
                              text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"],
                               cwd=repo, capture_output=True, text=True, check=True).stdout
        return head + ("-dirty" if dirty.strip() else "")
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def inputs_hash(paths: list[Path]) -> str:
    """sha256 over the input files (relative path and bytes, in path order)."""
    h = hashlib.sha256()
    for path in sorted(paths):
        h.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return h.hexdigest()


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _write_csv_with_bom(con: duckdb.DuckDBPyConnection, query: str, target: Path) -> None:
    raw = target.with_suffix(".raw")
    con.execute(f"copy ({query}) to '{raw}' (format csv, header true)")
    with target.open("wb") as out, raw.open("rb") as src:
        out.write(BOM)  # so Excel opens the Chinese names as UTF-8
        shutil.copyfileobj(src, out, 1 << 20)
    raw.unlink()


def _replace_tables(con: duckdb.DuckDBPyConnection, edition: int) -> dict[str, int]:
    con.execute("create schema if not exists published")
    counts = {}
    for table, (source, per_edition) in PUBLISHED_TABLES.items():
        if per_edition:
            con.execute(f"create table if not exists published.{table} as "
                        f"select * from {source} limit 0")
            con.execute(f"delete from published.{table} where edition = ?", [edition])
            con.execute(f"insert into published.{table} select * from {source} "
                        "where edition = ?", [edition])
            n = con.execute(f"select count(*) from published.{table} where edition = ?",
                            [edition]).fetchone()[0]
        else:
            con.execute(f"create or replace table published.{table} as select * from {source}")
            n = con.execute(f"select count(*) from published.{table}").fetchone()[0]
        counts[table] = int(n)
    return counts


def publish(db: Path, edition: int, run_id: str, gate_summary: dict[str, Any],
            gate_report: dict[str, Any], publish_dir: Path, inputs: list[Path],
            project_dir: Path) -> Publication:
    """Publish `edition` from the marts of `db` (see the module docstring)."""
    target = publish_dir / str(edition)
    staging = publish_dir / f".{edition}.{run_id}.tmp"
    staging.mkdir(parents=True, exist_ok=True)
    published_at = datetime.now(UTC).isoformat(timespec="seconds")
    commit = git_commit(project_dir)
    digest = inputs_hash(inputs)
    con = duckdb.connect(str(db))
    committed = False
    try:
        con.execute("begin transaction")
        counts = _replace_tables(con, edition)
        checkpoint("tables_replaced")
        con.execute("""create table if not exists published.publication_log (
                           run_id varchar primary key, edition integer,
                           published_at timestamptz, git_commit varchar, inputs_sha256 varchar,
                           suite_results json, row_counts json)""")
        con.execute("insert into published.publication_log values (?, ?, ?, ?, ?, ?, ?)",
                    [run_id, edition, published_at, commit, digest,
                     json.dumps(gate_summary), json.dumps(counts)])
        files: dict[str, dict[str, Any]] = {}
        for table, (_, per_edition) in PUBLISHED_TABLES.items():
            where = f" where edition = {int(edition)}" if per_edition else ""
            query = f"select * from published.{table}{where}"
            csv_path, parquet_path = staging / f"{table}.csv", staging / f"{table}.parquet"
            _write_csv_with_bom(con, query, csv_path)
            con.execute(f"copy ({query}) to '{parquet_path}' (format parquet)")
            for path in (csv_path, parquet_path):
                files[path.name] = {"rows": counts[table], "sha256": _sha256(path),
                                    "bytes": path.stat().st_size}
        report = staging / "validation.json"
        report.write_text(json.dumps(gate_report, ensure_ascii=False, indent=2),
                          encoding="utf-8")
        files[report.name] = {"sha256": _sha256(report), "bytes": report.stat().st_size}
        checkpoint("exports_written")
        con.execute("commit")
        committed = True
    except BaseException:
        if not committed:
            try:
                con.execute("rollback")
            except duckdb.Error:
                pass
            shutil.rmtree(staging, ignore_errors=True)
        raise
    finally:
        con.close()

    manifest = {"run_id": run_id, "edition": edition, "published_at": published_at,
                "git_commit": commit, "inputs_sha256": digest, "row_counts": counts,
                "suite_results": gate_summary, "files": files}
    target.mkdir(parents=True, exist_ok=True)
    for name in files:
        os.replace(staging / name, target / name)
    (staging / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=2),
                                           encoding="utf-8")
    os.replace(staging / "manifest.json", target / "manifest.json")
    shutil.rmtree(staging, ignore_errors=True)
    return Publication(run_id, edition, target, counts, manifest)
