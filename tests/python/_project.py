"""Helpers for tests that work on a temporary copy of the project."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import duckdb

from _repo import copy_project as copy_project
from digindex import cli

WAREHOUSE = Path("build") / "warehouse.duckdb"  # the default, relative to the project


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
    link = project / "publish" / str(edition)
    state["link"] = os.readlink(link) if link.is_symlink() else "(a folder)"
    for f in sorted(link.iterdir()):
        state[f"file:{f.name}"] = hashlib.sha256(f.read_bytes()).hexdigest()
    return state
