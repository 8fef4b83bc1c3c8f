"""Shared fixtures: one complete run (dbt build → gate → publish) of a temporary copy of
the project, which most tests read. dbt runs serially (DuckDB has one writer) and never
touches the user's warehouse.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import duckdb
import pytest

from _project import WAREHOUSE, copy_project, digindex
from digindex.dbt_runner import UNIT_TESTS_STAMP, code_fingerprint, record_unit_tests

# the shipped index's uncertainty analysis at a test's size in the many builds of the shipped
# index (the same models and code: tests/python/test_uncertainty.py checks the analysis)
os.environ.setdefault("DIGINDEX_UNCERTAINTY_SAMPLES", "100")
os.environ.setdefault("DIGINDEX_SENSITIVITY_SAMPLES", "16")


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
    """Copies the project to a folder, with a record that the unit tests passed on its code
    (target/unit_tests_passed.json): its first build then runs every data test but not the
    unit tests, which the session's baseline build runs on this same code (its build always
    runs them, and test_build fails the session unless they passed). The record holds the
    code's fingerprint, so a copy whose code is then changed runs them. (Copied from the
    baseline once it has passed them; before that, written for the code being tested.)"""
    stamp = _session_dir(tmp_path_factory, worker_id) / "baseline" / "target" / UNIT_TESTS_STAMP

    def copy(dest: Path) -> Path:
        project = copy_project(dest)
        (project / "target").mkdir(exist_ok=True)
        if stamp.exists():
            shutil.copy(stamp, project / "target")
        else:
            record_unit_tests(project, code_fingerprint(project))
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


# The order modules are handed to pytest-xdist's workers in (`make test`: --dist loadscope
# --no-loadscope-reorder; a worker takes the next module when it is nearly done with its
# own). First, one module that needs the baseline run (its worker builds it, ~1 min) and
# the modules that run index folders in their own project copy (the other worker keeps
# busy meanwhile); the modules reading the baseline after. Modules not listed come last.
MODULE_ORDER = [
    "test_build",
    "test_bad_input",
    "test_differential",
    "test_asem_conformance",
    "test_gate_publish",
    "test_index_folder",
    "test_reproduces_report",
    "test_gate_expectations",
    "test_seeds",
]


def _module_rank(item: pytest.Item) -> int:
    name = Path(str(item.fspath)).stem
    return MODULE_ORDER.index(name) if name in MODULE_ORDER else len(MODULE_ORDER)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if BROWSER_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.browser)
    items.sort(key=_module_rank)  # stable: a module's tests keep their order
