"""Publication (write–audit–publish): the published layer, the exports, and the one switch.

Every run that writes works on a **shadow copy** of the warehouse file (:class:`Shadow`):
the build, the gate and the published models (``models/published/``, built by dbt) all
happen there. Only when all of them passed and the exports are written does the shadow
replace the warehouse, in one ``rename`` — so readers of the file see the previous
publication or the new one, whole, never a mix, and an interrupted or failed run leaves
the warehouse as it was. The exports are written to a temporary folder and switched into
``publish/<edition>/`` right after.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
from dataclasses import dataclass
from datetime import UTC
from pathlib import Path
from types import TracebackType
from typing import Any

import duckdb

from digindex.dbt_runner import run_dbt
from digindex.paths import duckdb_config, duckdb_spill_dir

# the tables and views of the `published` schema written as export files
EXPORTS = [
    "rankings",
    "indicator_scores",
    "metric_values",
    "region_scores_wide",
    "regions",
    "indicators",
    "metrics",
    "reconciliation",
    "reconciliation_summary",
    "peer_group_summary",
    "published_table_audit",
]
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
        head = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=repo, capture_output=True, text=True, check=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=repo,
            capture_output=True,
            text=True,
            check=True,
        ).stdout
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


def _checkpoint_file(db: Path) -> None:
    """Fold a write-ahead log into the file, so the file alone is the whole database."""
    if db.with_name(db.name + ".wal").exists():
        con = duckdb.connect(str(db))
        try:
            con.execute("checkpoint")
        finally:
            con.close()


class WriterLock:
    """The one writer of a warehouse: an exclusive lock (``.<name>.lock`` beside the file)
    held by every command that writes it, for the whole command (staging an index folder,
    build, gate, publication). A second writer waits for the first to finish, so the shadow
    copy, the staged index folder and the exports have one author at a time. The lock is
    the kernel's (``flock``): a killed process releases it.
    """

    def __init__(self, live: Path) -> None:
        self.path = live.with_name(f".{live.name}.lock")
        self._file: Any = None

    def __enter__(self) -> WriterLock:
        import fcntl

        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._file = self.path.open("a+")
        try:
            fcntl.flock(self._file, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            self._file.seek(0)
            holder = self._file.read().strip() or "another process"
            print(f"    waiting for the other writer of this warehouse ({holder})", flush=True)
            fcntl.flock(self._file, fcntl.LOCK_EX)
        self._file.seek(0)
        self._file.truncate()
        self._file.write(f"pid {os.getpid()}")
        self._file.flush()
        return self

    def __exit__(self, *exc: object) -> None:
        import fcntl

        self._file.seek(0)
        self._file.truncate()
        fcntl.flock(self._file, fcntl.LOCK_UN)
        self._file.close()


class Shadow:
    """A private copy of the warehouse that a run writes; :meth:`commit` makes it the warehouse.

    Leaving the ``with`` block without committing deletes the copy: the warehouse is as it
    was before the run. The copy has a fixed name (``.<name>.shadow``): runs are serialised
    by :class:`WriterLock` and a copy left by a killed run is overwritten by the next. dbt
    reaches it through a link at a fixed path in the project (``dbt_runner._run_links``),
    so its partial parsing stays valid whichever warehouse a run writes.
    """

    def __init__(self, live: Path) -> None:
        self.live = live
        self.path = live.with_name(f".{live.name}.shadow")
        self.committed = False

    def __enter__(self) -> Shadow:
        self.live.parent.mkdir(parents=True, exist_ok=True)
        self.path.with_name(self.path.name + ".wal").unlink(missing_ok=True)
        if self.live.exists():
            _checkpoint_file(self.live)
            shutil.copyfile(self.live, self.path)
        else:
            self.path.unlink(missing_ok=True)
        return self

    def commit(self) -> None:
        _checkpoint_file(self.path)
        os.replace(self.path, self.live)
        self.committed = True

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        if not self.committed:
            for leftover in (self.path, self.path.with_name(self.path.name + ".wal")):
                leftover.unlink(missing_ok=True)


def editions(db: Path) -> list[int]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return [
            int(r[0])
            for r in con.execute(
                "select distinct edition from marts.fct_rankings order by 1"
            ).fetchall()
        ]
    finally:
        con.close()


def _write_csv_with_bom(con: duckdb.DuckDBPyConnection, query: str, target: Path) -> None:
    raw = target.with_suffix(".raw")
    con.execute(f"copy ({query}) to '{raw}' (format csv, header true)")
    with target.open("wb") as out, raw.open("rb") as src:
        out.write(BOM)  # so Excel opens the Chinese names as UTF-8
        shutil.copyfileobj(src, out, 1 << 20)
    raw.unlink()


def build_published(
    db: Path,
    project_dir: Path,
    run_id: str,
    edition: int,
    gate_summary: dict[str, Any],
    inputs: list[Path],
    dbt_vars: dict[str, Any] | None = None,
) -> None:
    """dbt builds the published models (and their tests) into `db` — the run's shadow.

    The publication's facts go to the publication_log model as environment variables, and
    the vars stay those of the build, so dbt reuses the build's parse."""
    run_dbt(
        ["build", "--select", "tag:published"],
        db=db,
        project_dir=project_dir,
        dbt_vars=dbt_vars,
        quiet=True,
        env={
            "DIGINDEX_PUBLICATION_RUN_ID": run_id,
            "DIGINDEX_PUBLICATION_EDITION": str(int(edition)),
            "DIGINDEX_PUBLICATION_GIT_COMMIT": git_commit(project_dir),
            "DIGINDEX_PUBLICATION_INPUTS_SHA256": inputs_hash(inputs),
            "DIGINDEX_PUBLICATION_SUITE_RESULTS": json.dumps(gate_summary),
        },
    )


def write_exports(
    db: Path,
    edition: int,
    run_id: str,
    gate_report: dict[str, Any],
    gate_summary: dict[str, Any],
    publish_dir: Path,
) -> Publication:
    """The edition's published rows as CSV (UTF-8 with BOM) and Parquet in a temporary
    folder, with the gate's report and a manifest (row counts, sha256 of every file)."""
    staging = publish_dir / f".{edition}.{run_id}.tmp"
    staging.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(db), read_only=True, config=duckdb_config(duckdb_spill_dir(db)))
    try:
        files: dict[str, dict[str, Any]] = {}
        counts: dict[str, int] = {}
        for table in EXPORTS:
            columns = {
                r[0]
                for r in con.execute(
                    "select column_name from duckdb_columns() where schema_name = 'published' "
                    "and table_name = ?",
                    [table],
                ).fetchall()
            }
            where = f" where edition = {int(edition)}" if "edition" in columns else ""
            query = f"select * from published.{table}{where}"
            counts[table] = int(con.execute(f"select count(*) from ({query})").fetchone()[0])
            csv_path, parquet_path = staging / f"{table}.csv", staging / f"{table}.parquet"
            _write_csv_with_bom(con, query, csv_path)
            con.execute(f"copy ({query}) to '{parquet_path}' (format parquet)")
            for path in (csv_path, parquet_path):
                files[path.name] = {
                    "rows": counts[table],
                    "sha256": _sha256(path),
                    "bytes": path.stat().st_size,
                }
        log = con.execute(
            """select published_at, git_commit, inputs_sha256
                             from published.publication_log where run_id = ?""",
            [run_id],
        ).fetchone()
    finally:
        con.close()
    if log is None:
        raise PublishError(f"published.publication_log has no row for run {run_id}")
    report = staging / "validation.json"
    report.write_text(json.dumps(gate_report, ensure_ascii=False, indent=2), encoding="utf-8")
    files[report.name] = {"sha256": _sha256(report), "bytes": report.stat().st_size}
    manifest = {
        "run_id": run_id,
        "edition": edition,
        "published_at": log[0].replace(tzinfo=UTC).isoformat(timespec="seconds"),
        "git_commit": log[1],
        "inputs_sha256": log[2],
        "row_counts": counts,
        "suite_results": gate_summary,
        "files": files,
    }
    (staging / "manifest.json").write_text(
        json.dumps(manifest, ensure_ascii=False, indent=2), encoding="utf-8"
    )
    return Publication(run_id, edition, staging, counts, manifest)


def switch_exports(pub: Publication, publish_dir: Path) -> Publication:
    """Put the staged export folder in place of ``publish/<edition>/`` (two renames)."""
    target = publish_dir / str(pub.edition)
    old = publish_dir / f".{pub.edition}.{pub.run_id}.old"
    if target.exists():
        os.replace(target, old)
    os.replace(pub.directory, target)
    shutil.rmtree(old, ignore_errors=True)
    pub.directory = target
    return pub


def discard_exports(publish_dir: Path, edition: int, run_id: str) -> None:
    shutil.rmtree(publish_dir / f".{edition}.{run_id}.tmp", ignore_errors=True)
