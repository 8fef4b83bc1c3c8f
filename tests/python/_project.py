"""Helpers for tests that work on a temporary copy of the project."""

from __future__ import annotations

import hashlib
import os
import shutil
from pathlib import Path

import duckdb

from _repo import copy_project as copy_project
from digindex import cli

WAREHOUSE = Path("build") / "warehouse.duckdb"  # the default, relative to the project
# the file name of every warehouse a test builds from an index folder (each in a folder of its
# own): dbt's profile holds the warehouse's file name (the catalog DuckDB names after it), so
# a run into a warehouse of another name is a full parse of the project (~10 s), one of the
# same name a partial parse
INDEX_DB = "index.duckdb"


def digindex(project: Path, *args: str) -> int:
    """The CLI on a project copy: its warehouse and exports are the copy's own defaults
    (build/warehouse.duckdb, publish/), as for a user working in that folder."""
    return cli.main(["--project-dir", str(project), *args])


def run_index(project: Path, folder: Path, db: Path, command: str = "run") -> int:
    """`digindex run` (or `command`) of an index folder into `db`, its exports beside it."""
    return cli.main(
        [
            command,
            "--index",
            str(folder),
            "--project-dir",
            str(project),
            "--db",
            str(db),
            "--publish-dir",
            str(db.parent / "publish"),
        ]
    )


def query(db: Path, sql: str) -> list[tuple]:
    """The rows of `sql` on the warehouse, opened read-only for that query alone."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def publication_state(db: Path, publish_dir: Path, edition: int) -> dict[str, str]:
    """A fingerprint of a publication: every published table, the edition link's target,
    every file behind it, and the sealed versions of the edition."""
    state = {}
    con = duckdb.connect(str(db), read_only=True)
    try:
        tables = [
            r[0]
            for r in con.execute(
                """select table_name from information_schema.tables
                   where table_schema = 'published' order by 1"""
            ).fetchall()
        ]
        for t in tables:
            rows = con.execute(f"select * from published.{t} order by all").fetchall()
            state[f"table:{t}"] = hashlib.sha256(repr(rows).encode()).hexdigest()
    finally:
        con.close()
    assert tables, "no published tables"
    link = publish_dir / str(edition)
    assert link.is_symlink(), f"{link} is not a link"
    state["link"] = os.readlink(link)
    for f in sorted(link.rglob("*")):
        if f.is_file():
            state[f"file:{f.relative_to(link)}"] = hashlib.sha256(f.read_bytes()).hexdigest()
    versions = publish_dir / ".versions" / str(edition)
    state["versions"] = ", ".join(sorted(p.name for p in versions.iterdir()))
    return state


def published_state(project: Path, edition: int = 2022) -> dict[str, str]:
    """The fingerprint of a project copy's publication (its default warehouse and exports)."""
    return publication_state(project / WAREHOUSE, project / "publish", edition)


# the published tables of the uncertainty analysis (empty when an index declares none)
ANALYSIS_TABLES = ["rank_uncertainty", "rank_distribution", "sensitivity_indices"]


def without_analysis(source: Path, target: Path, drop: bool = False) -> Path:
    """A copy of the warehouse as an index without an uncertainty analysis publishes it
    (the analysis's tables empty), or, with `drop`, as a warehouse published before the
    analysis existed (the tables missing)."""
    shutil.copy2(source, target)
    con = duckdb.connect(str(target))
    try:
        for table in ANALYSIS_TABLES:
            con.execute(f"{'drop table' if drop else 'delete from'} published.{table}")
    finally:
        con.close()
    return target


# the published tables of the changes between editions (empty with one edition)
CHANGE_TABLES = [
    "region_links",
    "score_changes",
    "score_change_contributions",
    "peer_group_changes",
    "movers",
]


def one_edition(source: Path, target: Path, edition: int = 2022, drop: bool = False) -> Path:
    """A copy of the warehouse as an index of one edition publishes it: `edition`'s rows
    only, and the tables of the changes between editions empty, or, with `drop`, as a
    warehouse published before those tables existed (missing)."""
    shutil.copy2(source, target)
    con = duckdb.connect(str(target))
    try:
        for table in CHANGE_TABLES:
            con.execute(f"{'drop table' if drop else 'delete from'} published.{table}")
        with_edition = con.execute(
            """select c.table_name
               from information_schema.columns as c
               join information_schema.tables as t
                   on t.table_schema = c.table_schema and t.table_name = c.table_name
               where c.table_schema = 'published' and c.column_name = 'edition'
                 and t.table_type = 'BASE TABLE'"""
        ).fetchall()
        for (table,) in with_edition:
            con.execute(f"delete from published.{table} where edition != ?", [edition])
    finally:
        con.close()
    return target


def without_reference(source: Path, target: Path) -> Path:
    """A copy of the warehouse as an index folder publishes it: no printed reference (no
    printed ranks or scores, no stated averages, no audit of a printed report)."""
    shutil.copy2(source, target)
    con = duckdb.connect(str(target))
    try:
        con.execute("""update published.reconciliation_summary
                       set has_reference = false, reference_regions = 0,
                           scores_reproduced = 0, score_mismatches = 0, ranks_differ = 0,
                           not_in_reference = computed_regions""")
        con.execute("""update published.reconciliation
                       set status = 'not_in_reference', printed_rank = null,
                           printed_score = null, score_difference = null,
                           rank_difference = null""")
        con.execute("delete from published.published_table_audit")
        con.execute("""update published.peer_group_summary
                       set stated_average = null, stated_yoy_change = null,
                           printed_table_mean = null, computed_minus_stated = null,
                           offset_difference = null""")
        con.execute("""update published.peer_group_changes
                       set stated_average = null, stated_change = null,
                           stated_previous_average = null""")
    finally:
        con.close()
    return target
