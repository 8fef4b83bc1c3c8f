"""A Spark build brought into the warehouse (`digindex run --from-spark`): which builds it
accepts. The load itself, the gate and the publication of a real Spark build, and the
refusal of a planted duplicate row, are `make test-spark`'s (tests/spark_check.py)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from _repo import REPO_ROOT
from digindex import cli
from digindex.external_build import ExternalBuildError, build_outcome


def results(path: Path, which: str, *nodes: tuple[str, str]) -> Path:
    path.write_text(
        json.dumps(
            {
                "args": {"which": which},
                "results": [
                    {"unique_id": uid, "status": status, "message": None} for uid, status in nodes
                ],
            }
        )
    )
    return path


def test_a_passed_build_has_no_failures(tmp_path: Path) -> None:
    passed = results(
        tmp_path / "run_results.json",
        "build",
        ("model.digindex.fct_rankings", "success"),
        ("test.digindex.unique_fct_rankings", "pass"),
        ("unit_test.digindex.int_metric_values_scored.t", "pass"),
        ("exposure.digindex.dashboard", "no-op"),
    )
    assert build_outcome(passed) == []


def test_a_failed_test_or_model_is_named(tmp_path: Path) -> None:
    failed = results(
        tmp_path / "run_results.json",
        "build",
        ("model.digindex.fct_rankings", "success"),
        ("test.digindex.unique_fct_rankings", "fail"),
        ("model.digindex.fct_indicator_scores", "skipped"),
    )
    assert build_outcome(failed) == [
        "test.digindex.unique_fct_rankings: fail",
        "model.digindex.fct_indicator_scores: skipped",
    ]


def test_only_a_build_is_accepted(tmp_path: Path) -> None:
    ran = results(tmp_path / "run_results.json", "run", ("model.digindex.x", "success"))
    with pytest.raises(ExternalBuildError, match="not a `dbt build`"):
        build_outcome(ran)
    with pytest.raises(ExternalBuildError, match="no dbt run results"):
        build_outcome(tmp_path / "absent.json")
    empty = results(tmp_path / "empty.json", "build")
    assert build_outcome(empty) == [f"{empty} records no node"]


def test_from_spark_needs_the_index_folder(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    project = str(REPO_ROOT)
    code = cli.main(["--project-dir", project, "run", "--from-spark", str(tmp_path)])
    assert code == cli.EXIT_USAGE
    assert "--from-spark needs --index" in capsys.readouterr().err
