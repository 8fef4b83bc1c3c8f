"""Helpers for tests that work on a temporary copy of the project."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import duckdb

from _repo import PROJECT_PARTS, REPO_ROOT
from digindex import cli

WAREHOUSE = Path("build") / "warehouse.duckdb"  # the default, relative to the project


def copy_project(dest: Path) -> Path:
    """The dbt project, its seeds and the gate's suites, copied to `dest`."""
    for part in PROJECT_PARTS:
        src = REPO_ROOT / part
        if src.is_dir():
            shutil.copytree(src, dest / part)
        else:
            (dest / part).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest / part)
    return dest


def digindex(project: Path, *args: str) -> int:
    """The CLI on a project copy: its warehouse and exports are the copy's own defaults
    (build/warehouse.duckdb, publish/), as for a user working in that folder."""
    return cli.main(["--project-dir", str(project), *args])


def published_state(project: Path, edition: int = 2022) -> dict[str, str]:
    """A fingerprint of everything published: every published table and export file."""
    state = {}
    con = duckdb.connect(str(project / WAREHOUSE), read_only=True)
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
    for f in sorted((project / "publish" / str(edition)).iterdir()):
        state[f"file:{f.name}"] = hashlib.sha256(f.read_bytes()).hexdigest()
    return state
