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
