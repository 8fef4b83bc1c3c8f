"""The project is the one the user is in (working directory, --project-dir or the
environment), never the checkout the package was installed from."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from _project import copy_project
from digindex.paths import ProjectNotFound, default_db, find_project

DIGINDEX = Path(sys.executable).with_name("digindex")  # the venv's entry point


def _env(**extra: str) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if k
        not in {"DIGINDEX_DB", "DIGINDEX_PUBLISH_DIR", "DIGINDEX_PROJECT_DIR", "DBT_PROJECT_DIR"}
    }
    return {**env, **extra}


def test_found_from_the_working_directory_and_its_parents(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("DIGINDEX_PROJECT_DIR", "DBT_PROJECT_DIR", "DIGINDEX_DB"):
        monkeypatch.delenv(name, raising=False)
    project = tmp_path / "p"
    (project / "models" / "deep").mkdir(parents=True)
    (project / "dbt_project.yml").write_text("name: x\n")
    assert find_project(cwd=project / "models" / "deep") == project
    assert default_db(project) == project / "build" / "warehouse.duckdb"
    monkeypatch.setenv("DIGINDEX_PROJECT_DIR", str(project))
    assert find_project(cwd=tmp_path) == project
    monkeypatch.delenv("DIGINDEX_PROJECT_DIR")
    with pytest.raises(ProjectNotFound, match=r"no dbt_project\.yml"):
        find_project(cwd=tmp_path)
    with pytest.raises(ProjectNotFound, match="not a digindex project"):
        find_project(tmp_path)


def test_a_copy_run_with_the_originals_venv_works_on_the_copy(tmp_path: Path) -> None:
    """A copy of the project driven by this checkout's venv reads the copy's seeds and
    writes the copy's warehouse, not this checkout's."""
    copy = copy_project(tmp_path / "copy")
    regions = copy / "seeds" / "regions" / "regions.csv"
    regions.write_text(
        regions.read_text(encoding="utf-8").replace("北京海淀区", "海淀测试区"), encoding="utf-8"
    )
    out = subprocess.run(
        [str(DIGINDEX), "export-index", "exported"],
        cwd=copy / "models",
        env=_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr
    exported = (copy / "models" / "exported" / "regions.csv").read_text(encoding="utf-8")
    assert "海淀测试区" in exported
    # with no warehouse in the copy yet, `check` names the copy's warehouse and refuses
    out = subprocess.run(
        [str(DIGINDEX), "check"], cwd=copy, env=_env(), capture_output=True, text=True, timeout=120
    )
    assert out.returncode == 1
    assert str(copy / "build" / "warehouse.duckdb") in out.stderr
    assert "Traceback" not in out.stderr


def test_outside_any_project_is_a_clear_usage_error(tmp_path: Path) -> None:
    out = subprocess.run(
        [str(DIGINDEX), "check"],
        cwd=tmp_path,
        env=_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 2
    assert "no dbt_project.yml" in out.stderr and "--project-dir" in out.stderr
    assert "Traceback" not in out.stderr


def test_the_venv_entry_point_exists() -> None:
    assert DIGINDEX.exists() and shutil.which(str(DIGINDEX))
