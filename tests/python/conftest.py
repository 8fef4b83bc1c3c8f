"""Shared fixtures: one dbt build of the shipped project into a temporary warehouse.

dbt runs serially (DuckDB has one writer) and never touches the user's warehouse.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from digindex.dbt_runner import DbtError, run_dbt


@pytest.fixture(scope="session")
def build_result(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    """`dbt build` (seeds, models, every data test and unit test) into a temporary file."""
    db = tmp_path_factory.mktemp("warehouse") / "warehouse.duckdb"
    try:
        result = run_dbt(["build"], db=db, quiet=True)
    except DbtError as err:
        return {"db": db, "error": err, "results": []}
    return {"db": db, "error": None, "results": list(result.results)}


@pytest.fixture(scope="session")
def warehouse(build_result: dict[str, object]) -> Path:
    if build_result["error"] is not None:
        pytest.fail(f"the warehouse did not build: {build_result['error']}")
    return Path(str(build_result["db"]))


@pytest.fixture()
def con(warehouse: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    connection = duckdb.connect(str(warehouse), read_only=True)
    yield connection
    connection.close()
