"""Shared fixtures: one complete run (dbt build → gate → publish) of a temporary copy of
the project, which most tests read. dbt runs serially (DuckDB has one writer) and never
touches the user's warehouse.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import pytest

from _project import WAREHOUSE, copy_project, digindex


@pytest.fixture(scope="session")
def baseline_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, int]:
    """`digindex run` on a copy of the project: its directory and exit code."""
    project = copy_project(tmp_path_factory.mktemp("baseline"))
    return project, digindex(project, "run")


@pytest.fixture(scope="session")
def baseline(baseline_run: tuple[Path, int]) -> Path:
    project, code = baseline_run
    if code != 0:
        pytest.fail(f"the baseline `digindex run` failed with exit code {code}")
    return project


@pytest.fixture(scope="session")
def build_results(baseline_run: tuple[Path, int]) -> list[dict[str, Any]]:
    """dbt's run_results of the baseline build (the build step; the publication's dbt run
    writes run_results.json after it)."""
    project, _ = baseline_run
    return json.loads((project / "target" / "build_run_results.json").read_text())["results"]


@pytest.fixture(scope="session")
def warehouse(baseline: Path) -> Path:
    return baseline / WAREHOUSE


@pytest.fixture()
def con(warehouse: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    connection = duckdb.connect(str(warehouse), read_only=True)
    yield connection
    connection.close()


# the fixtures that open a headless browser: tests using them are `make test-browser`'s
BROWSER_FIXTURES = {"page", "browser_context", "offline_page"}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if BROWSER_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.browser)
