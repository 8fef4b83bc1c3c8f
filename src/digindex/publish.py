"""Publication (write–audit–publish): the published layer, the exports, and the one switch.

Every run that writes works on a **shadow copy** of the warehouse file (:class:`Shadow`):
the build, the gate and the published models (``models/published/``, built by dbt) all
happen there. The edition's exports are written into a new version folder,
``publish/.versions/<edition>/<run_id>/``, complete with its manifest, while the shadow is
still private. Then the shadow replaces the warehouse in one ``rename``: **that is the
commit point**. The warehouse's ``published.publication_log`` names the run, and so the
version folder, that is current for each edition; ``publish/<edition>`` is a symbolic link
that follows it (:func:`follow_warehouse` switches it in one more ``rename`` and removes
the versions nothing points to). A run killed before the commit leaves the warehouse and
the link as they were (its unsealed folder is removed by the next run); one killed after
it has its link switched by the next writing command, which starts with
:func:`follow_warehouse`. Readers of the warehouse see the previous publication or the new
one, whole; readers of the files see one version folder, whole.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC
from pathlib import Path
from types import TracebackType
from typing import Any

import duckdb

from digindex.checkpoints import checkpoint
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
    "rank_uncertainty",
    "rank_distribution",
    "sensitivity_indices",
    "region_links",
    "score_changes",
    "score_change_contributions",
    "peer_group_changes",
    "movers",
    "score_contributions",
    "tier_bounds",
    "region_tiers",
    "region_peers",
    "region_typology",
]
BOM = "\ufeff".encode()
# where the sealed export folders live, one per edition and run: publish/.versions/<ed>/<run>
VERSIONS = ".versions"
# a CSV cell starting with one of these is a formula to Excel / WPS / LibreOffice: OWASP's
# CSV-injection advice is to prefix it with a single quote
FORMULA_LEADS = "=+-@\t\r"
# significant digits of a double in the CSV exports (the Parquet files keep every bit)
CSV_DIGITS = 12


class PublishError(RuntimeError):
    """The publication did not happen; the previous one is untouched."""


@dataclass
class Publication:
    run_id: str
    edition: int
    directory: Path
    row_counts: dict[str, int]
    manifest: dict[str, Any]


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


def record_build_inputs(db: Path, run_id: str, inputs: list[Path]) -> None:
    """Record, in the warehouse a build wrote, the sha256 of the inputs it read — so that a
    later publication of these marts names what they were built from, not whatever input
    files lie around when it runs."""
    con = duckdb.connect(str(db))
    try:
        con.execute("create schema if not exists audit")
        con.execute(
            """create table if not exists audit.build_inputs (
                   run_id varchar primary key, recorded_at timestamp, inputs_sha256 varchar)"""
        )
        con.execute(
            "insert into audit.build_inputs values (?, now(), ?)", [run_id, inputs_hash(inputs)]
        )
    finally:
        con.close()


def built_inputs(db: Path) -> str:
    """The sha256 of the inputs the warehouse's marts were built from (its latest build)."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        row = con.execute(
            "select inputs_sha256 from audit.build_inputs order by recorded_at desc limit 1"
        ).fetchone()
    except duckdb.CatalogException:
        row = None
    finally:
        con.close()
    if row is None:
        raise PublishError(
            f"{db} does not record the inputs its marts were built from (built by an older "
            "digindex): run `digindex build` first"
        )
    return str(row[0])


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


class LockTimeout(RuntimeError):
    """Another writer held the warehouse for longer than the wait allowed."""


# how long a writer waits for another one (seconds); DIGINDEX_LOCK_TIMEOUT overrides it
LOCK_TIMEOUT_DEFAULT = 3600.0


class WriterLock:
    """The one writer of a warehouse: an exclusive lock (``.<name>.lock`` beside the file)
    held by every command that writes it, for the whole command (staging an index folder,
    build, gate, publication, file switch). A second writer waits for the first to finish —
    saying who holds it (process id, command, since when) — up to ``timeout`` seconds
    (``DIGINDEX_LOCK_TIMEOUT``, default one hour), then gives up with :class:`LockTimeout`.
    So the shadow copy, the staged index folder and the exports have one author at a time.
    The lock is the kernel's (``flock``): a killed process releases it.
    """

    def __init__(self, live: Path, command: str = "digindex", timeout: float | None = None) -> None:
        self.live = live
        self.path = live.with_name(f".{live.name}.lock")
        self.command = command
        self.timeout = (
            float(os.environ.get("DIGINDEX_LOCK_TIMEOUT", LOCK_TIMEOUT_DEFAULT))
            if timeout is None
            else timeout
        )
        self._file: Any = None

    def _holder(self) -> str:
        self._file.seek(0)
        return self._file.read().strip() or "another process"

    def __enter__(self) -> WriterLock:
        import fcntl
        import time
        from datetime import datetime

        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._file = self.path.open("a+")
        try:
            fcntl.flock(self._file, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = self._holder()
            print(
                f"    waiting for the other writer of this warehouse ({holder}); "
                f"giving up after {self.timeout:g} s",
                flush=True,
            )
            deadline = time.monotonic() + self.timeout
            while True:
                try:
                    fcntl.flock(self._file, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() >= deadline:
                        holder = self._holder()
                        self._file.close()
                        raise LockTimeout(
                            f"another writer still holds {self.live} after {self.timeout:g} s "
                            f"({holder}); nothing was changed"
                        ) from None
                    time.sleep(0.2)
        self._file.seek(0)
        self._file.truncate()
        since = datetime.now(UTC).isoformat(timespec="seconds")
        self._file.write(f"pid {os.getpid()}, `{self.command}`, since {since}")
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

    @staticmethod
    def remove_leftover(live: Path) -> None:
        """The copy (and write-ahead log) a killed run left; call it under the writer lock."""
        shadow = live.with_name(f".{live.name}.shadow")
        for leftover in (shadow, shadow.with_name(shadow.name + ".wal")):
            leftover.unlink(missing_ok=True)

    def __enter__(self) -> Shadow:
        self.live.parent.mkdir(parents=True, exist_ok=True)
        self.path.with_name(self.path.name + ".wal").unlink(missing_ok=True)
        if self.live.exists():
            _checkpoint_file(self.live)
            shutil.copyfile(self.live, self.path)
        else:
            self.path.unlink(missing_ok=True)
        checkpoint("shadow copied")
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


def region_count(db: Path, edition: int) -> int:
    """How many regions the edition's published rankings list."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        row = con.execute(
            "select count(*) from published.rankings where edition = ?", [int(edition)]
        ).fetchone()
    finally:
        con.close()
    return int(row[0]) if row else 0


def _export_queries(con: duckdb.DuckDBPyConnection, table: str, edition: int) -> tuple[str, str]:
    """The queries that write one export, for CSV and for Parquet: the edition's rows in key
    order (ORDER BY ALL: the published tables lead with their keys), so identical inputs give
    identical files. In the CSV, a text cell that a spreadsheet would run as a formula gets a
    leading ' (OWASP), and a double is written with CSV_DIGITS significant digits (its last
    bits vary with the order of parallel sums); the Parquet file keeps every value as is."""
    columns = con.execute(
        """select column_name, data_type from duckdb_columns()
           where schema_name = 'published' and table_name = ? order by column_index""",
        [table],
    ).fetchall()
    if not columns:
        raise PublishError(f"published.{table} does not exist")
    names = [str(c) for c, _ in columns]
    where = f" where edition = {int(edition)}" if "edition" in names else ""
    ordered = f"select * from published.{table}{where} order by all"
    leads = ", ".join("'" + ch + "'" for ch in FORMULA_LEADS)
    cells = []
    for name, kind in columns:
        quoted = '"' + str(name).replace('"', '""') + '"'
        if kind == "VARCHAR":
            cells.append(
                f"case when left({quoted}, 1) in ({leads}) then chr(39) || {quoted} "
                f"else {quoted} end as {quoted}"
            )
        elif kind in ("DOUBLE", "FLOAT"):
            cells.append(
                f"case when isfinite({quoted}) then printf('%.{CSV_DIGITS}g', {quoted}) "
                f"else cast({quoted} as varchar) end as {quoted}"
            )
        else:
            cells.append(quoted)
    return f"select {', '.join(cells)} from ({ordered})", ordered


def _write_csv_with_bom(con: duckdb.DuckDBPyConnection, query: str, target: Path) -> None:
    raw = target.with_suffix(".raw")
    con.execute("copy (" + query + ") to ? (format csv, header true)", [str(raw)])
    with target.open("wb") as out, raw.open("rb") as src:
        out.write(BOM)  # so Excel opens the Chinese names as UTF-8
        shutil.copyfileobj(src, out, 1 << 20)
    raw.unlink()


def build_published(
    db: Path,
    project_dir: Path,
    run_id: str,
    editions: list[int],
    gate_summary: dict[str, Any],
    inputs_sha256: str,
    dbt_vars: dict[str, Any] | None = None,
) -> None:
    """dbt builds the published models (and their tests) into `db` — the run's shadow.

    The publication's facts go to the publication_log model as environment variables
    (`inputs_sha256`: what the marts were built from, see built_inputs; one log row per
    edition published), and the vars stay
    those of the build, so dbt reuses the build's parse."""
    run_dbt(
        ["build", "--select", "tag:published"],
        db=db,
        project_dir=project_dir,
        dbt_vars=dbt_vars,
        quiet=True,
        env={
            "DIGINDEX_PUBLICATION_RUN_ID": run_id,
            "DIGINDEX_PUBLICATION_EDITION": ",".join(str(int(e)) for e in editions),
            "DIGINDEX_PUBLICATION_GIT_COMMIT": git_commit(project_dir),
            "DIGINDEX_PUBLICATION_INPUTS_SHA256": inputs_sha256,
            "DIGINDEX_PUBLICATION_SUITE_RESULTS": json.dumps(gate_summary),
        },
    )


def versions_dir(publish_dir: Path, edition: int) -> Path:
    return publish_dir / VERSIONS / str(int(edition))


def write_exports(
    db: Path,
    edition: int,
    run_id: str,
    gate_report: dict[str, Any],
    gate_summary: dict[str, Any],
    publish_dir: Path,
    extras: Callable[[Path], list[Path]] | None = None,
) -> Publication:
    """The edition's published rows as CSV (UTF-8 with BOM) and Parquet, the gate's report,
    whatever `extras(folder)` writes (the HTML report) and a manifest (row counts, sha256 of
    every file), written into an unsealed folder and then sealed: renamed to
    ``publish/.versions/<edition>/<run_id>/``. Nothing points to it yet."""
    staging = versions_dir(publish_dir, edition) / f".{run_id}.tmp"
    staging.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(db), read_only=True, config=duckdb_config(duckdb_spill_dir(db)))
    try:
        files: dict[str, dict[str, Any]] = {}
        counts: dict[str, int] = {}
        for table in EXPORTS:
            csv_query, parquet_query = _export_queries(con, table, edition)
            counts[table] = int(
                con.execute(f"select count(*) from ({parquet_query})").fetchone()[0]
            )
            csv_path, parquet_path = staging / f"{table}.csv", staging / f"{table}.parquet"
            _write_csv_with_bom(con, csv_query, csv_path)
            con.execute("copy (" + parquet_query + ") to ? (format parquet)", [str(parquet_path)])
            for path in (csv_path, parquet_path):
                files[path.name] = {
                    "rows": counts[table],
                    "sha256": _sha256(path),
                    "bytes": path.stat().st_size,
                }
            checkpoint(f"export written: {table}")
        log = con.execute(
            """select published_at, git_commit, inputs_sha256
                             from published.publication_log where run_id = ? and edition = ?""",
            [run_id, int(edition)],
        ).fetchone()
    finally:
        con.close()
    if log is None:
        raise PublishError(f"published.publication_log has no row for run {run_id}")
    report = staging / "validation.json"
    report.write_text(json.dumps(gate_report, ensure_ascii=False, indent=2), encoding="utf-8")
    files[report.name] = {"sha256": _sha256(report), "bytes": report.stat().st_size}
    if extras is not None:
        for path in extras(staging):
            files[path.name] = {"sha256": _sha256(path), "bytes": path.stat().st_size}
        checkpoint("report written")
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
    checkpoint("manifest written")
    sealed = versions_dir(publish_dir, edition) / run_id
    os.replace(staging, sealed)
    checkpoint("version sealed")
    return Publication(run_id, edition, sealed, counts, manifest)


def current_versions(db: Path) -> dict[int, str]:
    """The run whose exports are current for each edition, as the warehouse records it
    (its latest publication of the edition); empty for a warehouse never published."""
    if not db.exists():
        return {}
    con = duckdb.connect(str(db), read_only=True)
    try:
        rows = con.execute(
            """select edition, arg_max(run_id, published_at)
               from published.publication_log group by edition"""
        ).fetchall()
    except duckdb.CatalogException:
        return {}
    finally:
        con.close()
    return {int(e): str(r) for e, r in rows}


def _pointed(link: Path) -> str | None:
    """The version a publish/<edition> link points to (None: no link)."""
    return Path(os.readlink(link)).name if link.is_symlink() else None


def follow_warehouse(db: Path, publish_dir: Path, publishing: bool = False) -> None:
    """Make ``publish/<edition>`` point to the version the warehouse says is current, and
    remove everything else a run leaves in the publish folder: unsealed folders, versions
    nothing points to, a link half made. Runs after every commit and at the start of every
    writing command (under the writer lock), so a run killed anywhere is completed or
    undone by the next one. `publishing`: pass the checkpoints (the crash-safety suite)."""
    current = current_versions(db)
    root = publish_dir / VERSIONS
    for leftover in publish_dir.glob(".*.link"):
        leftover.unlink()
    for leftover in [*publish_dir.glob(".*.tmp"), *publish_dir.glob(".*.old")]:
        shutil.rmtree(leftover, ignore_errors=True)  # also the layout before version folders
    if not root.is_dir():
        return
    for folder in sorted(root.iterdir()):
        if not folder.is_dir() or not folder.name.isdigit():
            continue
        edition = int(folder.name)
        link = publish_dir / str(edition)
        wanted = current.get(edition)
        if wanted and (folder / wanted).is_dir() and _pointed(link) != wanted:
            old = publish_dir / f".{edition}.{wanted}.old"
            if link.is_dir() and not link.is_symlink():
                os.replace(link, old)  # exports of the layout before version folders
            temporary = publish_dir / f".{edition}.{wanted}.link"
            temporary.unlink(missing_ok=True)
            temporary.symlink_to(Path(VERSIONS) / str(edition) / wanted)
            os.replace(temporary, link)
            if publishing:
                checkpoint("exports switched")
            shutil.rmtree(old, ignore_errors=True)
        keep = _pointed(link)
        for version in folder.iterdir():
            if version.name != keep:
                shutil.rmtree(version, ignore_errors=True)
    if publishing:
        checkpoint("old versions removed")


def discard_exports(publish_dir: Path, edition: int, run_id: str) -> None:
    """A publication that failed before its commit: its folder, sealed or not, goes."""
    folder = versions_dir(publish_dir, edition)
    for path in (folder / f".{run_id}.tmp", folder / run_id):
        shutil.rmtree(path, ignore_errors=True)
