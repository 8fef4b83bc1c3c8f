"""The committed seeds are what their scripts produce, and the sample values look real."""

from __future__ import annotations

import build_regions
import extract_report
import generate_values
import pandas as pd
import pytest

from _repo import SEEDS


@pytest.mark.parametrize(
    "module",
    [extract_report, build_regions, generate_values],
    ids=["extract_report", "build_regions", "generate_values"],
)
@pytest.mark.slow  # make test-slow (CI runs it): keeps make test within 3 minutes
def test_committed_seed_matches_its_generator(module) -> None:  # type: ignore[no-untyped-def]
    assert module.main(["--check"]) == 0


def test_frameworks_have_the_appendix_shape() -> None:
    nodes = pd.read_csv(SEEDS / "framework" / "framework_nodes.csv")
    shape = nodes.groupby(["framework_code", "level"]).size().unstack()
    assert shape.loc["district"].tolist() == [1, 4, 12, 42]
    assert shape.loc["county"].tolist() == [1, 4, 12, 43]
    assert shape.loc["zone"].tolist() == [1, 4, 12, 36]


def test_sample_values_look_like_their_units() -> None:
    values = pd.read_csv(SEEDS / "values" / "metric_values.csv")
    regions = pd.read_csv(SEEDS / "regions" / "regions.csv", dtype=str)
    metrics = pd.read_csv(SEEDS / "metrics" / "metric_catalog.csv")
    v = values.merge(regions[["region_code", "framework_code"]], on="region_code").merge(
        metrics, on=["framework_code", "metric_code"]
    )
    assert len(v) == len(values)
    assert (v["value"] >= 0).all()
    counts = v[v["value_type"] == "count"]["value"]
    assert not counts.empty and (counts == counts.round()).all()
    shares = v[v["value_type"] == "share"]["value"]
    assert not shares.empty and shares.between(0, 100).all()
    outside = v[(v["value"] < v["plausible_min"]) | (v["value"] > v["plausible_max"])]
    assert outside.empty, outside[["region_code", "metric_code", "value"]].head()
    # as many decimals as the catalog records, no more
    scaled = v["value"] * 10.0 ** v["decimals"]
    assert ((scaled - scaled.round()).abs() < 1e-6).all()


def test_catalog_has_lower_is_better_and_log_metrics() -> None:
    metrics = pd.read_csv(SEEDS / "metrics" / "metric_catalog.csv")
    for fw, g in metrics.groupby("framework_code"):
        assert (g["direction"] == -1).any(), fw
        assert (g["transform"] == "log").any(), fw
