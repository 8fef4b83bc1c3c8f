"""Where the project is, found the way dbt finds it — never from where this package is installed.

The project (``dbt_project.yml``, seeds, models, ``expectations/``) is, in order:
``--project-dir``, the environment variable ``DIGINDEX_PROJECT_DIR`` (or dbt's own
``DBT_PROJECT_DIR``), else the working directory or the nearest parent holding a
``dbt_project.yml``. Its warehouse defaults to ``<project>/build/warehouse.duckdb``
(``DIGINDEX_DB``) and its exports to ``<project>/publish`` (``DIGINDEX_PUBLISH_DIR``).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

PROJECT_FILE = "dbt_project.yml"


class ProjectNotFound(RuntimeError):
    """No dbt project where the user pointed (or around the working directory)."""


def find_project(project_dir: Path | str | None = None, cwd: Path | None = None) -> Path:
    """The project directory: explicit, from the environment, or found upwards from `cwd`."""
    given = (
        project_dir or os.environ.get("DIGINDEX_PROJECT_DIR") or os.environ.get("DBT_PROJECT_DIR")
    )
    if given:
        path = Path(given).expanduser().resolve()
        if not (path / PROJECT_FILE).is_file():
            raise ProjectNotFound(f"{path} has no {PROJECT_FILE}: not a digindex project")
        return path
    start = (cwd or Path.cwd()).resolve()
    for folder in (start, *start.parents):
        if (folder / PROJECT_FILE).is_file():
            return folder
    raise ProjectNotFound(
        f"no {PROJECT_FILE} in {start} or any parent folder: run from inside the project, or "
        "pass --project-dir (or set DIGINDEX_PROJECT_DIR)"
    )


def default_db(project: Path) -> Path:
    return Path(os.environ.get("DIGINDEX_DB") or project / "build" / "warehouse.duckdb")


def default_publish_dir(project: Path) -> Path:
    return Path(os.environ.get("DIGINDEX_PUBLISH_DIR") or project / "publish")


# DuckDB's memory limit for dbt's connections (the CLI sets DIGINDEX_MEMORY_LIMIT from it;
# profiles.yml's own default, for plain `dbt build`, must equal it: test_build.py checks):
# past it DuckDB spills to disk instead of growing
DEFAULT_MEMORY_LIMIT = "1.5GB"


def duckdb_memory_limit() -> str:
    return os.environ.get("DIGINDEX_MEMORY_LIMIT") or DEFAULT_MEMORY_LIMIT


def duckdb_spill_dir(db: Path) -> Path:
    """Where DuckDB spills past its memory limit when working on `db`: DIGINDEX_TEMP_DIR,
    else a folder beside the warehouse."""
    return Path(os.environ.get("DIGINDEX_TEMP_DIR") or db.parent / "duckdb-spill")


def duckdb_config(spill: Path) -> dict[str, Any]:
    """The bounds of every DuckDB connection that reads or writes a whole index (dbt's are
    set in profiles.yml from the same values): the memory limit, and where to spill."""
    return {"memory_limit": duckdb_memory_limit(), "temp_directory": str(spill)}


def project_vars(project: Path | str | None = None) -> dict[str, Any]:
    """The dbt vars of the project (``vars:`` in its ``dbt_project.yml``): the one place the
    method names (``methods``), the tree depth and the other limits are declared."""
    import yaml  # a dependency of dbt-core

    path = find_project(project) / PROJECT_FILE
    declared = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return dict(declared.get("vars") or {})
