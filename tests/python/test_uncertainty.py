"""The uncertainty and sensitivity analysis (README, "Uncertainty and sensitivity"), on a
small index built for it:

- framework `f`: region `top` leads on every metric, `r1`…`r7` are spread out;
- framework `g`: four perfectly correlated metrics (each a linear function of one
  latent value), so no weighting, aggregation or normalisation can reorder its regions.

Its specification varies the first-level weights and the metrics' weights (± 40 %), the
aggregation (arithmetic or geometric), the normalisation (min-max or rank) and the
imputation (mean or median), which has no effect: no value is missing.
"""

from __future__ import annotations

import csv
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import duckdb
import numpy as np
import pytest

from _project import INDEX_DB
from _project import query as _rows
from _project import run_index as _run
from digindex import cli, uncertainty
from digindex.index_folder import REQUIRED
from digindex.paths import project_vars

SIZE_VARIABLES = ("DIGINDEX_UNCERTAINTY_SAMPLES", "DIGINDEX_SENSITIVITY_SAMPLES")
SPEC = """\
seed: 7
samples: 64
design: random
sensitivity_samples: 32
bootstrap_resamples: 50
top_n: 3
choices:
  - code: weights
    kind: weight_noise
    levels: [1, metrics]
    noise: 0.4
  - code: aggregation
    kind: aggregation
    levels: [0, 1]
    alternatives: [arithmetic, geometric]
  - code: normalisation
    kind: normalisation
    alternatives: [minmax, rank]
  - code: imputation
    kind: imputation
    alternatives: [mean, median]
"""


def _write(path: Path, header: list[str], rows: list[list[object]]) -> None:
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(header)
        writer.writerows(rows)


def make_index(folder: Path, spec: str | None = SPEC) -> Path:
    folder.mkdir(parents=True)
    nodes, metrics, regions, values = [], [], [], []
    rng = np.random.default_rng(3)
    for fw in ("f", "g"):
        nodes.append([fw, "root", "", "Index", "", "arithmetic"])
        for pillar in ("a", "b"):
            nodes.append([fw, pillar, "root", f"Pillar {pillar}", 1, "arithmetic"])
            for k in (1, 2):
                metrics.append(
                    [
                        fw,
                        f"{pillar}{k}",
                        pillar,
                        f"Metric {pillar}{k}",
                        "pt",
                        1,
                        1,
                        "none",
                        "minmax",
                        "",
                        "",
                    ]
                )
    for i in range(8):
        code = "top" if i == 0 else f"r{i}"
        regions.append([f"f_{code}", f"F {code}", "f"])
        for m in ("a1", "a2", "b1", "b2"):
            value = 100.0 + rng.uniform(0, 5) if i == 0 else float(rng.uniform(0, 90))
            values.append([2022, f"f_{code}", m, round(value, 6)])
        regions.append([f"g_{i}", f"G {i}", "g"])
        latent = float(rng.uniform(0, 10))
        for j, m in enumerate(("a1", "a2", "b1", "b2")):
            values.append([2022, f"g_{i}", m, round((j + 1) * latent + 3 * j, 9)])
    _write(folder / "framework.csv", REQUIRED["framework.csv"], nodes)
    _write(folder / "metrics.csv", REQUIRED["metrics.csv"], metrics)
    _write(folder / "regions.csv", ["region_code", "region_name", "framework_code"], regions)
    _write(folder / "values.csv", ["edition", "region_code", "metric_code", "value"], values)
    if spec is not None:
        (folder / "uncertainty.yml").write_text(spec, encoding="utf-8")
    return folder


@pytest.fixture(scope="module", autouse=True)
def _sizes_as_specified() -> Iterator[None]:
    """The specification's own sample sizes here (conftest makes the shipped index's small)."""
    saved = {k: os.environ.pop(k, None) for k in SIZE_VARIABLES}
    yield
    os.environ.update({k: v for k, v in saved.items() if v is not None})


@pytest.fixture(scope="module")
def analysed(
    _sizes_as_specified: None, tmp_path_factory: pytest.TempPathFactory, index_project: Path
) -> Path:
    """The small index built with its analysis (`digindex uncertainty --index`)."""
    base = tmp_path_factory.mktemp("uncertainty")
    folder = make_index(base / "small")
    db = base / "a" / INDEX_DB
    db.parent.mkdir()
    assert _run(index_project, folder, db, "uncertainty") == 0
    return db


def test_a_dominant_region_ranks_first_in_every_scenario(analysed: Path) -> None:
    (row,) = _rows(
        analysed,
        """select nominal_rank, rank_best, rank_worst, rank_p05, rank_p95, interval_width,
                  p_top_n, n_replications
           from published.rank_uncertainty where region_code = 'f_top'""",
    )
    assert row == (1, 1, 1, 1.0, 1.0, 0.0, 1.0, 64)
    # while the other regions of f do move: the analysis varies something
    (moving,) = _rows(
        analysed,
        "select count(*) from published.rank_uncertainty where framework_code = 'f' "
        "and interval_width > 0",
    )
    assert moving[0] >= 3


def test_perfectly_correlated_indicators_give_intervals_of_width_zero(analysed: Path) -> None:
    rows = _rows(
        analysed,
        """select nominal_rank, rank_best, rank_worst, interval_width
           from published.rank_uncertainty where framework_code = 'g'""",
    )
    assert len(rows) == 8
    assert all(r[0] == r[1] == r[2] and r[3] == 0 for r in rows)


def test_a_choice_without_effect_has_total_effect_zero(analysed: Path) -> None:
    rows = _rows(
        analysed,
        """select output_code, s1, s1_lower, s1_upper, st, st_lower, st_upper
           from published.sensitivity_indices
           where framework_code = 'f' and choice_code = 'imputation'""",
    )
    assert len(rows) == 2
    for _, s1, s1_lo, s1_hi, st, st_lo, st_hi in rows:
        assert st == 0 and st_lo == 0 and st_hi == 0
        assert s1 == 0 and s1_lo <= 0 <= s1_hi
    # the choices that do act have a total effect above zero
    (acting,) = _rows(
        analysed,
        """select min(st) from published.sensitivity_indices
           where framework_code = 'f' and choice_code != 'imputation'""",
    )
    assert acting[0] > 0


def _outputs(db: Path, framework: str) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """The Saltelli design's outputs in SALib's row order: the mean absolute rank shift per
    run, and the rank of each region per run (runs × regions)."""
    shift = _rows(
        db,
        f"""select r.scenario_id, avg(abs(r.rank - n.rank))
            from intermediate.int_scenario_ranks r
            join staging.stg_uncertainty__scenarios s using (scenario_id)
            join intermediate.int_scenario_ranks n
              on n.scenario_id = 0 and n.region_code = r.region_code
            where s.design = 'sensitivity' and r.framework_code = '{framework}'
            group by 1 order by 1""",
    )
    ranks = _rows(
        db,
        f"""select r.scenario_id, r.region_code, r.rank
            from intermediate.int_scenario_ranks r
            join staging.stg_uncertainty__scenarios s using (scenario_id)
            where s.design = 'sensitivity' and r.framework_code = '{framework}'
            order by 1, 2""",
    )
    regions = sorted({r[1] for r in ranks})
    matrix = np.array([r[2] for r in ranks], dtype=float).reshape(-1, len(regions))
    return np.array([r[1] for r in shift], dtype=float), matrix, regions


def test_sensitivity_indices_are_salibs(analysed: Path) -> None:
    """The mean absolute rank shift's indices and their bootstrap intervals equal SALib's
    sobol.analyze on the same outputs (same resamples: same seed)."""
    from SALib.analyze import sobol

    choices = ["weights", "aggregation", "normalisation", "imputation"]
    y, _, _ = _outputs(analysed, "f")
    assert len(y) == 32 * (len(choices) + 2)
    problem = {"num_vars": 4, "names": choices, "groups": choices, "bounds": [[0, 1]] * 4}
    salib = sobol.analyze(
        problem, y, calc_second_order=False, num_resamples=50, seed=7, keep_resamples=True
    )
    rows = _rows(
        analysed,
        """select s1, s1_lower, s1_upper, st, st_lower, st_upper
           from published.sensitivity_indices
           where framework_code = 'f' and output_code = 'mean_abs_rank_shift'
           order by choice_position""",
    )
    ours = np.array(rows, dtype=float)
    np.testing.assert_allclose(ours[:, 0], salib["S1"], atol=1e-9)
    np.testing.assert_allclose(ours[:, 3], salib["ST"], atol=1e-9)
    np.testing.assert_allclose(
        ours[:, 1:3].T, np.percentile(salib["S1_conf_all"], [5, 95], axis=0), atol=1e-9
    )
    np.testing.assert_allclose(
        ours[:, 4:6].T, np.percentile(salib["ST_conf_all"], [5, 95], axis=0), atol=1e-9
    )


def test_composite_rank_indices_sum_over_the_regions(analysed: Path) -> None:
    """composite_rank: numerators and variances summed over the regions (Gamboa et al.):
    with one region it would be SALib's index of that region's rank."""
    _, ranks, _ = _outputs(analysed, "f")
    d = 4
    step = d + 2
    centred = ranks - ranks.mean(axis=0)
    a, b = centred[0::step], centred[step - 1 :: step]
    variance = np.var(np.r_[a, b], axis=0).sum()
    expected = []
    for i in range(d):
        ab = centred[i + 1 :: step]
        expected.append(
            (
                np.mean(b * (ab - a), axis=0).sum() / variance,
                0.5 * np.mean((a - ab) ** 2, axis=0).sum() / variance,
            )
        )
    rows = _rows(
        analysed,
        """select s1, st from published.sensitivity_indices
           where framework_code = 'f' and output_code = 'composite_rank'
           order by choice_position""",
    )
    np.testing.assert_allclose(np.array(rows), np.array(expected), atol=1e-9)


def _scenario_folder(source: Path, staged: Path, scenario_ids: list[int], out: Path) -> Path:
    """The index as a plain index folder once per scenario (its framework f as f_s<id>, its
    regions suffixed likewise): weights multiplied by the scenario's draw, the aggregation
    and the metric methods replaced by its alternatives."""
    con = duckdb.connect()

    def table(name: str) -> list[dict]:
        rel = con.sql(f"select * from read_parquet('{staged / name}.parquet')")
        return [dict(zip(rel.columns, row, strict=True)) for row in rel.fetchall()]

    def read(name: str) -> list[dict]:
        with (source / name).open(encoding="utf-8") as fh:
            return list(csv.DictReader(fh))

    choices = {c["choice_code"]: c for c in table("choices")}
    picks = table("scenario_choices")
    draws = table("weight_draws")
    variants = table("variants")
    scenarios = {s["scenario_id"]: s for s in table("scenarios")}
    nodes, metrics, regions, values = (
        read(n) for n in ("framework.csv", "metrics.csv", "regions.csv", "values.csv")
    )
    out.mkdir(parents=True)
    rows: dict[str, list[dict]] = {
        "framework.csv": [],
        "metrics.csv": [],
        "regions.csv": [],
        "values.csv": [],
    }
    for sid in scenario_ids:
        mine = {p["choice_code"]: p for p in picks if p["scenario_id"] == sid}
        suffix = f"_s{sid}"
        fw_map = {fw: fw + suffix for fw in {n["framework_code"] for n in nodes}}
        for n in nodes:
            row = dict(n, framework_code=fw_map[n["framework_code"]])
            level = 0 if not n["parent_code"] else 1 if n["parent_code"] == "root" else 2
            for code, choice in choices.items():
                pick = mine[code]
                if choice["kind"] == "weight_noise" and str(level) in choice["levels"].split(","):
                    (mult,) = [
                        w["multiplier"]
                        for w in draws
                        if w["draw_id"] == pick["draw_id"]
                        and w["framework_code"] == n["framework_code"]
                        and w["node_code"] == n["node_code"]
                    ]
                    row["weight"] = repr(float(n["weight"]) * mult)
                if choice["kind"] == "aggregation" and str(level) in choice["levels"].split(","):
                    row["aggregation"] = pick["alternative"]
            rows["framework.csv"].append(row)
        variant = scenarios[sid]["variant_code"]
        for m in metrics:
            row = dict(m, framework_code=fw_map[m["framework_code"]])
            for code, choice in choices.items():
                if choice["kind"] == "weight_noise" and "metrics" in choice["levels"].split(","):
                    (mult,) = [
                        w["multiplier"]
                        for w in draws
                        if w["draw_id"] == mine[code]["draw_id"]
                        and w["framework_code"] == m["framework_code"]
                        and w["metric_code"] == m["metric_code"]
                    ]
                    row["weight"] = repr(float(m["weight"]) * mult)
            for v in variants:
                if (v["variant_code"], v["framework_code"], v["metric_code"]) == (
                    variant,
                    m["framework_code"],
                    m["metric_code"],
                ):
                    row["normalization"] = v["normalization"] or m["normalization"]
                    row["imputation"] = v["imputation"] or m.get("imputation") or "none"
            rows["metrics.csv"].append(row)
        for r in regions:
            rows["regions.csv"].append(
                dict(
                    r,
                    region_code=r["region_code"] + suffix,
                    framework_code=fw_map[r["framework_code"]],
                )
            )
        for v in values:
            rows["values.csv"].append(dict(v, region_code=v["region_code"] + suffix))
    for name, data in rows.items():
        header = list(dict.fromkeys(k for row in data for k in row))
        _write(out / name, header, [[row.get(h, "") for h in header] for row in data])
    con.close()
    return out


def test_any_scenario_equals_a_build_of_its_parameters(
    analysed: Path, index_project: Path, tmp_path: Path
) -> None:
    """Six sampled scenarios (replications and Saltelli runs, both aggregations and both
    normalisations among them), each written out as an index folder and built as a normal
    index: the same composites (1e-9) and the same ranks."""
    staged = cli.staged_scenarios(analysed)
    picked = [1, 2, 3, 64 + 1, 64 + 2, 64 + 6 * 5 + 3]
    mixes = _rows(
        analysed,
        f"""select count(distinct alternative) from staging.stg_uncertainty__scenario_choices
            where scenario_id in ({", ".join(map(str, picked))})
              and choice_code in ('aggregation', 'normalisation') group by choice_code""",
    )
    assert sorted(m[0] for m in mixes) == [2, 2]
    source = tmp_path / "source"
    make_index(source, spec=None)
    folder = _scenario_folder(source, staged, picked, tmp_path / "scenarios")
    db = tmp_path / "plain" / INDEX_DB
    db.parent.mkdir()
    assert _run(index_project, folder, db) == 0
    con = duckdb.connect(str(db), read_only=True)
    try:
        con.execute(f"attach '{analysed}' as analysed (read_only)")
        compared = con.execute(
            f"""select count(*), max(abs(plain.composite_score - s.score)),
                       count(*) filter (where plain.rank != s.rank)
                from analysed.intermediate.int_scenario_ranks s
                join marts.fct_rankings plain
                  on plain.region_code = s.region_code || '_s' || s.scenario_id
                where s.scenario_id in ({", ".join(map(str, picked))})"""
        ).fetchone()
    finally:
        con.close()
    assert compared[0] == 16 * len(picked)
    assert compared[1] <= 1e-9 and compared[2] == 0


def test_the_same_seed_gives_identical_marts(
    analysed: Path, index_project: Path, tmp_path: Path
) -> None:
    folder = make_index(tmp_path / "small")
    db = tmp_path / "again" / INDEX_DB
    db.parent.mkdir()
    assert _run(index_project, folder, db) == 0
    for table in ("rank_uncertainty", "sensitivity_indices"):
        sql = f"select * from published.{table} order by all"
        assert _rows(db, sql) == _rows(analysed, sql), table


def test_the_sample_is_reproducible_and_follows_the_seed(tmp_path: Path) -> None:
    folder = make_index(tmp_path / "small")
    declared = project_vars()
    spec = uncertainty.load_spec(
        folder / "uncertainty.yml", declared["methods"], declared["max_winsorisation_points"]
    )
    nodes = [
        {"framework_code": fw, "node_code": n, "level": str(level)}
        for fw in ("f", "g")
        for n, level in (("root", 0), ("a", 1), ("b", 1))
    ]
    metrics = [
        {"framework_code": fw, "metric_code": m, "lower": "", "upper": ""}
        for fw in ("f", "g")
        for m in ("a1", "a2", "b1", "b2")
    ]
    framework = uncertainty.Framework(nodes, metrics)
    one = uncertainty.sample(spec, framework).tables
    two = uncertainty.sample(spec, framework).tables
    assert one == two
    other = uncertainty.sample(uncertainty.Spec(**{**spec.__dict__, "seed": 8}), framework).tables
    assert other["scenario_choices"] != one["scenario_choices"]
    # SALib's Saltelli layout: N · (d + 2) runs after the M replications
    assert len(one["scenarios"]) == 64 + 32 * 6
    # a Saltelli AB row takes B's value for its switched choice only
    by_id = {s["scenario_id"]: s for s in one["scenarios"]}
    assert [by_id[64 + k]["matrix"] for k in range(1, 7)] == ["A", "AB", "AB", "AB", "AB", "B"]
    assert by_id[64 + 3]["switched_choice"] == "aggregation"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("seed: -1\nchoices: []\n", "uncertainty.yml, line 1, key seed: a whole number ≥ 0"),
        (SPEC.replace("noise: 0.4", "noise: 1.5"), "line 11, key noise: a fraction in (0, 1)"),
        (
            SPEC.replace("[minmax, rank]", "[minmax, sideways]"),
            "key alternatives: 'sideways' is not one of",
        ),
        (
            SPEC.replace("levels: [1, metrics]", "levels: [0, metrics]"),
            "the composite (level 0) has no weight",
        ),
        (SPEC.replace("kind: imputation", "kind: guesswork"), "key kind: one of"),
        (SPEC + "colour: blue\n", "line 22, key colour: unknown key"),
    ],
)
def test_a_bad_specification_is_named(
    tmp_path: Path,
    index_project: Path,
    text: str,
    message: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    folder = make_index(tmp_path / "small", spec=text)
    db = tmp_path / "bad" / INDEX_DB
    db.parent.mkdir()
    assert _run(index_project, folder, db) == cli.EXIT_USAGE
    assert message in capsys.readouterr().err
    assert not (db.parent / "publish").exists()
    shutil.rmtree(folder)
