"""The COINr-equivalent synthetic index (scripts/scale.py coinr): a valid index folder of
the documented shape, missing share and groups, the same bytes under the same seed."""

from __future__ import annotations

import csv
from collections import Counter
from pathlib import Path

import pytest
import scale

from digindex.index_folder import load_index

N = 40


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("coinr") / "coinr"
    assert scale.main(["coinr", str(out), "--regions", str(N)]) == 0
    return out


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def test_the_folder_validates_with_the_documented_shape(folder: Path) -> None:
    data = load_index(folder)
    nodes = {r.get("node_code"): r.get("parent_code") for r in data.tables["framework.csv"]}
    depth = {code: data.depth[("coinr", code)] for code in nodes}
    assert Counter(depth.values()) == {0: 1, 1: 4, 2: 12}
    assert all(Counter(nodes.values())[p] == 3 for p, d in depth.items() if d == 1)
    metrics = data.tables["metrics.csv"]
    assert len(metrics) == 42
    per_leaf = Counter(m.get("node_code") for m in metrics)
    assert set(per_leaf) == {p for p, d in depth.items() if d == 2}
    assert set(per_leaf.values()) == {3, 4}
    for m in metrics:
        assert (m.get("imputation"), m.get("impute_group")) == ("group_mean", "group")
        assert (m.get("treatment"), m.get("normalization"), m.get("direction")) == (
            "winsorise",
            "minmax",
            "1",
        )
        assert (
            m.get("winsor_max_points"),
            m.get("skew_threshold"),
            m.get("kurtosis_threshold"),
        ) == ("5", "2", "3.5")
    assert data.region_extra_columns == ["group"]
    groups = Counter(r.get("group") for r in data.tables["regions.csv"])
    assert len(groups) == 10 and set(groups.values()) == {N // 10}


def test_values_missing_share_decimals_and_distributions(folder: Path) -> None:
    values = _rows(folder / "values.csv")
    assert len(values) == N * 42
    missing = [v for v in values if v["value"] == ""]
    assert len(missing) == round(0.02 * N * 42)
    given = [v for v in values if v["value"]]
    assert all(len(v["value"].split(".")[1]) == 6 for v in given)
    by_metric: dict[str, list[float]] = {}
    for v in given:
        by_metric.setdefault(v["metric_code"], []).append(float(v["value"]))
    names = {m["metric_code"]: m["name"] for m in _rows(folder / "metrics.csv")}
    lognormal = {code for code, name in names.items() if "log-normal" in name}
    assert len(lognormal) == 14
    for code, xs in by_metric.items():
        if code in lognormal:
            assert min(xs) > 0
        else:
            assert 30 < sum(xs) / len(xs) < 70


def test_same_seed_same_bytes(folder: Path, tmp_path: Path) -> None:
    again = tmp_path / "again"
    scale.coinr_folder(again, N)
    for name in ("framework.csv", "metrics.csv", "regions.csv", "values.csv"):
        assert (again / name).read_bytes() == (folder / name).read_bytes(), name
    other = tmp_path / "other"
    scale.coinr_folder(other, N, seed=7)
    assert (other / "values.csv").read_bytes() != (folder / "values.csv").read_bytes()
