"""The README works as written: every SQL example against a built warehouse (fast), and
every command of its ``bash`` blocks, verbatim, in a fresh copy of the project (slow: run
by ``make test-slow``)."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import duckdb
import pytest

from _project import copy_project
from _repo import REPO_ROOT

README = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
SQL_BLOCKS = re.findall(r"```sql\n(.*?)```", README, flags=re.S)
BASH_BLOCKS = re.findall(r"```bash\n(.*?)```", README, flags=re.S)


def commands() -> list[str]:
    """Every command line of the bash blocks, comments stripped, in README order."""
    out = []
    for block in BASH_BLOCKS:
        for line in block.splitlines():
            command = re.split(r"\s{2,}#", line)[0].strip()
            if command and not command.startswith("#"):
                out.append(command)
    return out


def test_readme_has_examples() -> None:
    assert len(SQL_BLOCKS) >= 5
    assert {"make run", "make test", ".venv/bin/dbt build"} <= set(commands())


@pytest.mark.parametrize("sql", SQL_BLOCKS, ids=[f"sql{i + 1}" for i in range(len(SQL_BLOCKS))])
def test_readme_sql_runs(con: duckdb.DuckDBPyConnection, sql: str) -> None:
    rows = con.execute(sql).fetchall()
    assert rows, sql
    assert all(any(v is not None for v in row) for row in rows), sql


@pytest.mark.slow
def test_readme_commands_run_verbatim(tmp_path: Path) -> None:
    """A fresh copy of the project (as a clone has it: no warehouse, no exports) with this
    checkout's venv; each command runs as written, from the project folder. `make X` lines
    are checked with `make -n X` here (CI runs `make run`, `make test`, `make test-slow` and
    `make test-spark` for real), and `make run`'s work is done by its own commands."""
    project = copy_project(tmp_path / "clone")
    (project / "build").mkdir(exist_ok=True)
    (project / ".venv").symlink_to(REPO_ROOT / ".venv")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DIGINDEX_", "DBT_"))}
    for command in commands():
        if command.startswith("make "):
            dry = subprocess.run(
                ["make", "-n", *command.split()[1:]],
                cwd=REPO_ROOT,
                capture_output=True,
                text=True,
                timeout=60,
            )
            assert dry.returncode == 0, f"{command}: {dry.stderr}"
            if command == "make run":  # its recipe, on the copy
                for line in dry.stdout.splitlines():
                    if "/bin/digindex" in line:
                        _run(line.strip(), project, env)
            continue
        _run(command, project, env)
    # what the commands made exists where the README says
    assert (project / "publish" / "2022" / "report.html").exists()
    assert (project / "target" / "catalog.json").exists()
    assert (project / "publish" / "h3c" / "2022" / "manifest.json").exists()


def _run(command: str, cwd: Path, env: dict[str, str]) -> None:
    done = subprocess.run(
        ["bash", "-c", command], cwd=cwd, env=env, capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0, f"{command}\n{done.stdout[-2000:]}\n{done.stderr[-3000:]}"
    assert "Traceback" not in done.stderr, f"{command}\n{done.stderr[-3000:]}"
