"""Conformance with COINr 1.1.14: the ASEM index computed from its index folder equals
every intermediate dataset COINr computed, within 1e-9, for all 51 units and every code,
and ranks the units identically."""

from __future__ import annotations

from pathlib import Path

import asem_to_index
import duckdb
import pandas as pd
import pytest

from _project import INDEX_DB
from _repo import ASEM_REFERENCE, REPO_ROOT
from digindex import cli

REFERENCE = ASEM_REFERENCE
FOLDER = REPO_ROOT / "tests" / "data" / "asem"
TOLERANCE = 1e-9

DATASETS = {
    "Denominated": """select region_code, metric_code as code, denominated_value as value
                      from intermediate.int_metric_values_scored""",
    "Imputed": """select region_code, metric_code as code, imputed_value as value
                  from intermediate.int_metric_values_scored""",
    "Treated": """select region_code, metric_code as code, treated_value as value
                  from intermediate.int_metric_values_scored where is_ranked""",
    "Normalised": """select region_code, metric_code as code, score as value
                     from intermediate.int_metric_values_scored where is_ranked""",
    "Aggregated": """select region_code, metric_code as code, score as value
                     from intermediate.int_metric_values_scored where is_ranked
                     union all
                     select region_code, node_code, score from marts.fct_indicator_scores""",
}


@pytest.fixture(scope="module")
def asem(tmp_path_factory: pytest.TempPathFactory, index_project: Path) -> Path:
    """`digindex run --index tests/data/asem`: build, gate and publish, like any index."""
    project, root = index_project, tmp_path_factory.mktemp("asem")
    db = root / INDEX_DB
    code = cli.main(
        [
            "run",
            "--index",
            str(FOLDER),
            "--project-dir",
            str(project),
            "--db",
            str(db),
            "--publish-dir",
            str(root / "publish"),
        ]
    )
    assert code == 0
    return db


def test_the_committed_folder_is_the_conversion_of_the_reference() -> None:
    assert asem_to_index.main(["--check"]) == 0


@pytest.mark.parametrize("dataset", list(DATASETS))
def test_dataset_equals_coinr(asem: Path, dataset: str) -> None:
    con = duckdb.connect(str(asem), read_only=True)
    try:
        ours = (
            con.execute(DATASETS[dataset])
            .df()
            .pivot(index="region_code", columns="code", values="value")
        )
    finally:
        con.close()
    theirs = pd.read_csv(REFERENCE / f"ASEM_dset_{dataset}.csv").set_index("uCode")
    assert sorted(ours.index) == sorted(theirs.index) and len(theirs) == 51
    assert sorted(ours.columns) == sorted(theirs.columns)
    ours = ours.loc[theirs.index, theirs.columns]
    assert (ours.isna() == theirs.isna()).all().all(), "missing values differ"
    diff = (ours - theirs).abs().max().max()
    assert diff <= TOLERANCE, f"{dataset}: max |ours − COINr| = {diff}"


def test_index_ranking_is_identical(asem: Path) -> None:
    con = duckdb.connect(str(asem), read_only=True)
    try:
        ours = con.execute("select region_code, rank from marts.fct_rankings").df()
    finally:
        con.close()
    theirs = pd.read_csv(REFERENCE / "ASEM_results_Aggs.csv")
    merged = theirs.merge(ours, left_on="uCode", right_on="region_code")
    assert len(merged) == 51
    assert (merged["Rank"] == merged["rank"]).all()


def test_treatment_decisions_match_coinr(asem: Path) -> None:
    con = duckdb.connect(str(asem), read_only=True)
    try:
        ours = (
            con.execute(
                """select distinct metric_code, skew_before, kurtosis_before, n_winsorised,
                      log_transformed
               from intermediate.int_metric_values_scored where is_treated"""
            )
            .df()
            .set_index("metric_code")
        )
    finally:
        con.close()
    theirs = pd.read_csv(REFERENCE / "ASEM_treat_details.csv").set_index("iCode")
    ours = ours.loc[theirs.index]
    assert (ours["skew_before"] - theirs["check_SkewKurt0.Skew"]).abs().max() <= TOLERANCE
    assert (ours["kurtosis_before"] - theirs["check_SkewKurt0.Kurt"]).abs().max() <= TOLERANCE
    assert (ours["n_winsorised"] == theirs["winsorise.nwin"].fillna(0)).all()
    assert not ours["log_transformed"].any()


def test_benchmarking_works_on_an_index_folder(asem: Path) -> None:
    """对标 on an index no one here wrote (min-max normalisation, COINr's winsorisation):
    every region has tiers, peers and a type; with no change the scenario engine gives the
    published composites bit for bit; a goal path (min-max bounds may move: solved through
    the models) applied through a fresh engine reaches its target rank."""
    from digindex import scenarios

    con = duckdb.connect(str(asem), read_only=True)
    try:
        edition, ranked = con.execute(
            "select max(edition), count(*) from published.rankings"
        ).fetchone()
        published = (
            con.execute("select region_code, composite_score, rank from published.rankings")
            .df()
            .set_index("region_code")
        )
        for table in (
            "region_peers where scope = 'peer_group'",
            "region_tiers where is_default",
            "region_typology",
        ):
            n = con.execute(f"select count(distinct region_code) from published.{table}")
            assert n.fetchone()[0] == ranked, table
        region = con.execute(
            "select region_code from published.rankings where rank = 25"
        ).fetchone()[0]
    finally:
        con.close()
    goal = scenarios.seek_goal(asem, edition, region, rank=10)
    assert goal.reached, goal.note
    with scenarios.Engine(asem, edition) as engine:
        unchanged = engine.run().rankings.set_index("region_code")
        assert (
            unchanged.loc[published.index, "composite_score"] == published["composite_score"]
        ).all()
        applied = engine.run({(region, s.metric_code): s.target_raw_value for s in goal.steps})
    assert applied.rankings.set_index("region_code").loc[region, "rank"] <= 10
