"""Shared fixtures: one complete run (dbt build → gate → publish) of a temporary copy of
the project, which most tests read. dbt runs serially (DuckDB has one writer) and never
touches the user's warehouse.
"""

from __future__ import annotations

import fcntl
import json
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import duckdb
import pytest

from _project import WAREHOUSE, copy_project, digindex
from digindex.dbt_runner import UNIT_TESTS_STAMP


def _session_dir(tmp_path_factory: pytest.TempPathFactory, worker_id: str) -> Path:
    """A folder every worker of this test session shares (pytest-xdist gives each worker
    its own temporary folder, inside one for the session)."""
    base = tmp_path_factory.getbasetemp()
    return base if worker_id == "master" else base.parent


@pytest.fixture(scope="session")
def baseline_run(tmp_path_factory: pytest.TempPathFactory, worker_id: str) -> tuple[Path, int]:
    """`digindex run` on a copy of the project: its directory and exit code.

    Made once per test session: under pytest-xdist the first worker that needs it builds
    it in the session's shared folder while the others wait on a file lock, then every
    worker reads it (the baseline is only read: tests that change a project change a copy
    of it)."""
    shared = _session_dir(tmp_path_factory, worker_id)
    project, exit_code = shared / "baseline", shared / "baseline.exit_code"
    with (shared / "baseline.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            if not exit_code.exists():
                if project.exists():  # a worker died building it: start again
                    shutil.rmtree(project)
                exit_code.write_text(str(digindex(copy_project(project), "run")))
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
    return project, int(exit_code.read_text())


@pytest.fixture(scope="session")
def project_copy(
    tmp_path_factory: pytest.TempPathFactory, worker_id: str
) -> Callable[[Path], Path]:
    """Copies the project to a folder. If the session's baseline has already passed its
    unit tests, the copy carries that record (target/unit_tests_passed.json): its first
    build then runs every data test but not the unit tests again — the record holds the
    code's fingerprint, so a copy whose code differs runs them. (The baseline's own build
    always runs them, and test_build checks they passed.)"""
    stamp = _session_dir(tmp_path_factory, worker_id) / "baseline" / "target" / UNIT_TESTS_STAMP

    def copy(dest: Path) -> Path:
        project = copy_project(dest)
        if stamp.exists():
            (project / "target").mkdir(exist_ok=True)
            shutil.copy(stamp, project / "target")
        return project

    return copy


@pytest.fixture(scope="session")
def index_project(
    tmp_path_factory: pytest.TempPathFactory, project_copy: Callable[[Path], Path]
) -> Path:
    """One project copy per worker for the runs on index folders (ASEM, the tiny index,
    the shipped index round trip, the differential examples): tests on one worker run one
    at a time, and dbt reaches each run's warehouse and folder through links at fixed
    paths, so after its first parse every run there is a partial parse."""
    return project_copy(tmp_path_factory.mktemp("index_project") / "project")


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
