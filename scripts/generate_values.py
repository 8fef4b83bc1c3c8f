"""Generate the SYNTHETIC raw values of the 2022 and 2021 editions (seeds/values/metric_values.csv).

The report publishes composite scores and peer-group averages, not raw data. These values
are made up, deterministically (seed 2022), so that the pipeline reproduces what the
report prints:

* every region's composite score rounds (1 dp) to its printed score; where printed
  scores tie, the unrounded composites keep the report's order among them;
* in each peer group, mean(first-level score) − mean(composite) equals the difference of
  the averages the text states, up to a common shift c_g = −Σ w_k·d_k that the identity
  Σ w_k·mean(L1_k) = mean(composite) forces whenever the stated averages are not
  themselves consistent (county: the stated first-level averages weigh to 62.45, not
  62.5, so c = +0.05 on every first-level indicator is the best any data can do);
* values look like their units: integers for counts, shares inside 0–100, no negatives.

How: scores are designed top-down (composite target → first-level scores with
double-centred noise → children = parent + weighted-zero noise, bounded to [0.5, 99.5])
down to metric scores, which are inverted through each metric's goalposts into raw values
and rounded to the metric's decimals. A calibration pass then moves one fine-grained
metric per region × first-level indicator to absorb the rounding error, checked with the
pandas oracle. The 2021 edition (``previous_edition``) is the 2022 scores moved back by
plausible changes, calibrated to what the 2022 text states of the previous year. Run
``python scripts/generate_values.py`` (``--check`` compares).
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

import _repo  # noqa: F401  (first: it puts tests/, the oracle's home, on the import path)
import oracle
from _repo import REPO_ROOT, SEEDS

SEED = 2022
EDITION = 2022
# the previous edition (SYNTHETIC): its own random stream, so 2022's values do not change
PREVIOUS_EDITION = 2021
PREVIOUS_SEED = 2021
REGION_CHANGE_SD = 2.0  # spread of the regions' composite changes around their group's
PILLAR_CHANGE_SD = 2.5  # spread of first-level changes around the region's
METRIC_CHANGE_SD = 4.0  # spread of metric changes around their first-level indicator's
# composite mean change of a peer group whose previous-year average the text does not state
PREVIOUS_MEAN_CHANGE = {"zone": 2.0}
# first-level changes above (below) the region's, before centring: the zones grew fastest in
# 高质量发展环境 ("评估样本在高质量发展环境上增幅最快")
PILLAR_OFFSETS = {
    ("zone", "quality_development_environment"): 2.0,
    ("district", "digital_economy"): 0.8,
    ("district", "digital_society"): -0.6,
    ("county", "digital_government"): 0.4,
    ("county", "digital_infrastructure"): -0.3,
}
VALUES_SEED = SEEDS / "values" / "metric_values.csv"
MARGIN = 0.5  # designed scores stay within [MARGIN, 100 - MARGIN]: no truncation
L1_NOISE_SD = 5.0  # spread of first-level scores around the composite
CHILD_NOISE_SD = 9.0  # spread of children around their parent
TIE_SPREAD = 0.02  # ± offset keeping the printed order among tied printed scores


@dataclass
class Inputs:
    nodes: pd.DataFrame
    metrics: pd.DataFrame
    regions: pd.DataFrame
    rankings: pd.DataFrame
    averages: pd.DataFrame


@dataclass
class Design:
    """Designed (target) scores per framework, before raw values exist."""

    composite: dict[str, float] = field(default_factory=dict)
    node: dict[tuple[str, str], float] = field(default_factory=dict)  # (region, node)
    metric: dict[tuple[str, str], float] = field(default_factory=dict)  # (region, metric)


def load_inputs(seeds: Path = SEEDS) -> Inputs:
    read = lambda rel: pd.read_csv(seeds / rel, dtype=str, keep_default_na=False)  # noqa: E731
    nodes = read("framework/framework_nodes.csv")
    nodes["local_weight"] = nodes["local_weight_pct"].astype(float)
    nodes["level"] = nodes["level"].astype(int)
    metrics = read("metrics/metric_catalog.csv")
    for col in ["weight", "lower", "upper", "plausible_min", "plausible_max"]:
        metrics[col] = metrics[col].astype(float)
    metrics["direction"] = metrics["direction"].astype(int)
    metrics["decimals"] = metrics["decimals"].astype(int)
    regions = read("regions/regions.csv")
    rankings = read("reference/published_rankings.csv")
    rankings["printed_rank"] = rankings["printed_rank"].astype(int)
    rankings["printed_score"] = rankings["printed_score"].astype(float)
    averages = read("reference/published_averages.csv")
    averages["stated_average"] = averages["stated_average"].astype(float)
    return Inputs(nodes, metrics, regions, rankings, averages)


def composite_targets(inp: Inputs) -> pd.DataFrame:
    """Per region: the printed score, nudged within ±TIE_SPREAD to keep tied rows' order."""
    t = inp.rankings.merge(
        inp.regions[["region_code", "region_name", "framework_code"]],
        on=["framework_code", "region_name"],
        how="left",
    )
    missing = t[t["region_code"].isna()]
    if not missing.empty:
        raise ValueError(
            "published_rankings.csv: no region in regions.csv for "
            + ", ".join(missing["region_name"])
        )
    t = t.sort_values(["framework_code", "printed_rank"])
    t["tie_pos"] = t.groupby(["framework_code", "printed_score"]).cumcount()
    t["tie_n"] = t.groupby(["framework_code", "printed_score"])["region_code"].transform("size")
    spread = np.where(
        t["tie_n"] > 1,
        TIE_SPREAD * ((t["tie_n"] - 1) / 2 - t["tie_pos"]) / np.maximum(t["tie_n"] - 1, 1) * 2,
        0.0,
    )
    t["target"] = t["printed_score"] + spread
    return t[["framework_code", "region_code", "printed_rank", "printed_score", "target"]]


def _bounded_children(rng: np.random.Generator, parent: float, weights: np.ndarray) -> np.ndarray:
    """Children scores whose weighted mean is `parent`, each within the margins."""
    w = weights / weights.sum()
    u = rng.normal(0.0, CHILD_NOISE_SD, size=len(w))
    u -= (w * u).sum()
    room = np.where(u > 0, (100 - MARGIN - parent), (parent - MARGIN))
    with np.errstate(divide="ignore"):
        t = np.min(np.where(np.abs(u) > 1e-12, room / np.abs(u), np.inf))
    return parent + u * min(1.0, t)


def first_level_design(
    rng: np.random.Generator, comp: np.ndarray, offsets: np.ndarray, weights: np.ndarray
) -> np.ndarray:
    """L1 scores: comp + offset + noise with weighted row sums 0 and column means 0."""
    w = weights / weights.sum()
    noise = rng.normal(0.0, L1_NOISE_SD, size=(len(comp), len(w)))
    for _ in range(200):
        row = noise @ w
        col = noise.mean(axis=0)
        noise = noise - row[:, None] - col[None, :] + (col @ w)
        scores = comp[:, None] + offsets[None, :] + noise
        low, high = scores.min(axis=1), scores.max(axis=1)
        bad = (low < MARGIN + 1) | (high > 100 - MARGIN - 1)
        if not bad.any():
            return scores
        noise[bad] *= 0.8
    raise RuntimeError("could not bound the first-level design")


def design_scores(inp: Inputs, rng: np.random.Generator) -> tuple[Design, pd.DataFrame]:
    targets = composite_targets(inp)
    tree = oracle.weighted_nodes(inp.nodes)
    design = Design()
    for fw, regions_fw in targets.groupby("framework_code", sort=False):
        nodes_fw = tree[tree["framework_code"] == fw]
        firsts = nodes_fw[nodes_fw["depth"] == 1].sort_values("sort_order")
        w1 = firsts["local_weight"].to_numpy()
        stated = inp.averages[inp.averages["framework_code"] == fw].set_index("node_code")
        d = np.array(
            [
                stated.loc[c, "stated_average"] - stated.loc["composite", "stated_average"]
                for c in firsts["node_code"]
            ]
        )
        offsets = d - (w1 @ d)  # the common shift that makes Σ w·offset = 0
        comp = regions_fw["target"].to_numpy()
        l1 = first_level_design(rng, comp, offsets, w1)
        children = {
            p: g.sort_values("sort_order")
            for p, g in nodes_fw.dropna(subset=["parent_code"]).groupby("parent_code")
        }
        leaf_metrics = {
            n: g
            for n, g in inp.metrics[inp.metrics["framework_code"] == fw].groupby(
                "node_code", sort=False
            )
        }
        for i, region in enumerate(regions_fw["region_code"]):
            design.composite[region] = comp[i]
            stack = list(zip(firsts["node_code"], l1[i], strict=True))
            while stack:
                code, score = stack.pop()
                design.node[(region, code)] = score
                if code in children:
                    kids = children[code]
                    scores = _bounded_children(rng, score, kids["local_weight"].to_numpy())
                    stack.extend(zip(kids["node_code"], scores, strict=True))
                else:
                    ms = leaf_metrics[code]
                    scores = _bounded_children(rng, score, ms["weight"].to_numpy())
                    for m, s in zip(ms["metric_code"], scores, strict=True):
                        design.metric[(region, m)] = s
    return design, targets


def invert(
    score: np.ndarray,
    lower: np.ndarray,
    upper: np.ndarray,
    direction: np.ndarray,
    transform: np.ndarray,
) -> np.ndarray:
    """Raw values whose goalpost score is `score` (the inverse of the normalisation)."""
    is_log = transform == "log"
    with np.errstate(divide="ignore", over="ignore"):
        lo = np.where(is_log, np.log(lower), lower)
        hi = np.where(is_log, np.log(upper), upper)
        frac = np.where(direction == -1, 1 - score / 100, score / 100)
        x = lo + frac * (hi - lo)
        return np.where(is_log, np.exp(x), x)


def _values_frame(inp: Inputs, design: Design) -> pd.DataFrame:
    rows = pd.DataFrame(
        [(r, m, s) for (r, m), s in design.metric.items()],
        columns=["region_code", "metric_code", "target_score"],
    )
    rows = rows.merge(inp.regions[["region_code", "framework_code"]], on="region_code")
    rows = rows.merge(inp.metrics, on=["framework_code", "metric_code"])
    rows["edition"] = EDITION
    rows["value"] = invert(
        rows["target_score"].to_numpy(),
        rows["lower"].to_numpy(),
        rows["upper"].to_numpy(),
        rows["direction"].to_numpy(),
        rows["transform"].to_numpy(),
    )
    rows["value"] = [round(v, d) for v, d in zip(rows["value"], rows["decimals"], strict=True)]
    return rows


def _first_level_of(tree: pd.DataFrame) -> dict[tuple[str, str], tuple[str, float]]:
    """(framework, node) → (its first-level ancestor, product of local weights below it)."""
    parent = {
        (f, n): p
        for f, n, p in zip(
            tree["framework_code"], tree["node_code"], tree["parent_code"], strict=True
        )
    }
    weight = {
        (f, n): w
        for f, n, w in zip(
            tree["framework_code"], tree["node_code"], tree["local_weight"], strict=True
        )
    }
    depth = {
        (f, n): d
        for f, n, d in zip(tree["framework_code"], tree["node_code"], tree["depth"], strict=True)
    }
    out = {}
    for key in parent:
        if depth[key] < 1:
            continue
        cur, w = key, 1.0
        while depth[cur] > 1:
            w *= weight[cur]
            cur = (key[0], parent[cur])
        out[key] = (cur[1], w)
    return out


def calibrate(inp: Inputs, design: Design, rows: pd.DataFrame, passes: int = 3) -> pd.DataFrame:
    """Move one fine-grained metric per region × first-level node to absorb rounding."""
    tree = oracle.weighted_nodes(inp.nodes)
    first_of = _first_level_of(tree)
    rows = rows.copy()
    rows["first_level"] = [
        first_of[(f, n)][0] for f, n in zip(rows["framework_code"], rows["node_code"], strict=True)
    ]
    rows["w_in_first"] = [
        first_of[(f, n)][1] * w
        for f, n, w in zip(rows["framework_code"], rows["node_code"], rows["weight"], strict=True)
    ]
    # calibrators: untransformed metrics recorded with ≥ 2 decimals, largest weight first
    eligible = rows[(rows["transform"] == "none") & (rows["decimals"] >= 2)]
    # each region × first-level node's candidates as plain tuples (Index = the row's label),
    # heaviest first (ties in row order): one stable sort, not one per group
    ordered = eligible.assign(neg_weight=-eligible["w_in_first"]).sort_values(
        ["region_code", "first_level", "neg_weight"], kind="stable"
    )
    candidates: dict[tuple[str, str], list[Any]] = {}
    for c in ordered.itertuples():
        candidates.setdefault((c.region_code, c.first_level), []).append(c)
    for _ in range(passes):
        scores = oracle.node_scores(
            rows[["edition", "region_code", "metric_code", "value"]],
            inp.regions,
            _oracle_nodes(inp),
            _oracle_metrics(inp),
        )
        first = scores[scores["level"] == 1].set_index(["region_code", "node_code"])["score"]
        residual = {k: design.node[k] - v for k, v in first.items()}
        ms = oracle.metric_scores(
            rows[["edition", "region_code", "metric_code", "value"]],
            inp.regions,
            _oracle_metrics(inp),
        )
        metric_score = dict(
            zip(zip(ms["region_code"], ms["metric_code"], strict=True), ms["score"], strict=True)
        )
        for (region, first_code), delta in residual.items():
            if abs(delta) < 1e-10:
                continue
            for c in candidates.get((region, first_code), []):
                new_score = metric_score[(region, c.metric_code)] + delta / c.w_in_first
                if MARGIN / 2 <= new_score <= 100 - MARGIN / 2:
                    x = invert(
                        np.array([new_score]),
                        np.array([c.lower]),
                        np.array([c.upper]),
                        np.array([c.direction]),
                        np.array([c.transform]),
                    )[0]
                    rows.at[c.Index, "value"] = round(float(x), int(c.decimals))
                    break
            else:
                raise RuntimeError(f"no metric can calibrate {region} × {first_code}")
    return rows


def _oracle_nodes(inp: Inputs) -> pd.DataFrame:
    return inp.nodes[
        ["framework_code", "node_code", "parent_code", "local_weight", "aggregation", "sort_order"]
    ]


def _oracle_metrics(inp: Inputs) -> pd.DataFrame:
    return inp.metrics[
        [
            "framework_code",
            "metric_code",
            "node_code",
            "weight",
            "direction",
            "transform",
            "normalization",
            "lower",
            "upper",
        ]
    ]


def _format(value: float, decimals: int) -> str:
    text = f"{value:.{decimals}f}"
    return "0" if decimals == 0 and text == "-0" else text


def _bounded_to_mean(x: np.ndarray, w: np.ndarray, target: float) -> np.ndarray:
    """x moved (clipped to the margins, the remainder spread over the metrics still free)
    until its w-weighted mean is `target`."""
    w = w / w.sum()
    x = np.clip(x, MARGIN, 100 - MARGIN)
    for _ in range(50):
        r = target - w @ x
        if abs(r) < 1e-12:
            return x
        free = (x < 100 - MARGIN) if r > 0 else (x > MARGIN)
        x = np.where(free, x + r / w[free].sum(), x)
        x = np.clip(x, MARGIN, 100 - MARGIN)
    raise RuntimeError(f"cannot reach a weighted mean of {target} within the margins")


def previous_targets(inp: Inputs, framework: str, mean_2022: float) -> float:
    """The composite mean the previous edition is calibrated to: what the 2022 text states
    for the previous year (average − stated change) where it states one; otherwise
    PREVIOUS_MEAN_CHANGE below the 2022 mean of the same regions (SYNTHETIC)."""
    stated = inp.averages[
        (inp.averages["framework_code"] == framework) & (inp.averages["node_code"] == "composite")
    ]
    change = stated["stated_yoy_change"].iloc[0] if len(stated) else ""
    if change != "":
        return float(stated["stated_average"].iloc[0]) - float(change)
    return mean_2022 - PREVIOUS_MEAN_CHANGE[framework]


def previous_edition(inp: Inputs, rows_2022: pd.DataFrame) -> tuple[Inputs, Design, pd.DataFrame]:
    """The SYNTHETIC 2021 edition: the regions the 2021 edition ranked (the 2022 report
    added the municipalities' districts: "本次评估城区数量由100个扩大到120个，增加北京、
    上海、天津、重庆四个直辖市的领先城区"), their 2022 scores moved back by a change per
    region whose peer-group mean makes the composite average what the report states for
    the previous year (70.3 districts, 61.6 counties), split over the first-level
    indicators (PILLAR_OFFSETS: the zones' fastest growth in 高质量发展环境, as stated) and
    their metrics with zero-sum noise, then inverted into raw values like 2022's."""
    rng = np.random.default_rng(PREVIOUS_SEED)
    regions = inp.regions[
        ~(
            (inp.regions["framework_code"] == "district")
            & (inp.regions["is_municipality"] == "true")
        )
    ]
    inp21 = Inputs(inp.nodes, inp.metrics, regions, inp.rankings, inp.averages)
    values = rows_2022[["edition", "region_code", "metric_code", "value"]]
    values = values[values["region_code"].isin(regions["region_code"])]
    ms = oracle.metric_scores(values, regions, _oracle_metrics(inp))
    scores = oracle.node_scores(values, regions, _oracle_nodes(inp), _oracle_metrics(inp))
    tree = oracle.weighted_nodes(inp.nodes)
    first_of = _first_level_of(tree)
    design = Design()
    metric_21: dict[tuple[str, str], float] = {}
    for fw, comp in scores[scores["level"] == 0].groupby("framework_code", sort=False):
        firsts = tree[(tree["framework_code"] == fw) & (tree["depth"] == 1)].sort_values(
            "sort_order"
        )
        w1 = firsts["local_weight"].to_numpy()
        codes = list(firsts["node_code"])
        comp = comp.sort_values("region_code")
        target = previous_targets(inp, fw, comp["score"].mean())
        eta = rng.normal(0.0, REGION_CHANGE_SD, len(comp))
        change = comp["score"].mean() - target + (eta - eta.mean())  # mean: exactly that
        offsets = np.array([PILLAR_OFFSETS.get((fw, c), 0.0) for c in codes])
        offsets -= w1 @ offsets / w1.sum()
        noise = rng.normal(0.0, PILLAR_CHANGE_SD, (len(comp), len(codes)))
        for _ in range(50):  # double-centred: weighted row sums 0, column means 0
            noise -= (noise @ (w1 / w1.sum()))[:, None]
            noise -= noise.mean(axis=0)[None, :]
        l1 = scores[(scores["framework_code"] == fw) & (scores["level"] == 1)].set_index(
            ["region_code", "node_code"]
        )["score"]
        fw_metrics = ms[ms["framework_code"] == fw]
        fw_metrics = fw_metrics.assign(
            first=[first_of[(fw, n)][0] for n in fw_metrics["node_code"]],
            w_in_first=[
                first_of[(fw, n)][1] * wt
                for n, wt in zip(fw_metrics["node_code"], fw_metrics["weight"], strict=True)
            ],
        )
        by_pillar = dict(iter(fw_metrics.groupby(["region_code", "first"], sort=False)))
        for i, region in enumerate(comp["region_code"]):
            design.composite[region] = comp["score"].iloc[i] - change[i]
            for k, code in enumerate(codes):
                pillar_21 = l1[(region, code)] - (change[i] + offsets[k] + noise[i, k])
                design.node[(region, code)] = pillar_21
                mine = by_pillar[(region, code)]
                w = mine["w_in_first"].to_numpy()
                xi = rng.normal(0.0, METRIC_CHANGE_SD, len(w))
                xi -= (w / w.sum()) @ xi
                x = mine["score"].to_numpy() - (l1[(region, code)] - pillar_21) - xi
                x = _bounded_to_mean(x, w, pillar_21)
                for m, sc in zip(mine["metric_code"], x, strict=True):
                    metric_21[(region, m)] = sc
    design.metric = metric_21
    rows = _values_frame(inp21, design)
    rows["edition"] = PREVIOUS_EDITION
    return inp21, design, calibrate(inp21, design, rows)


def render(inp: Inputs | None = None) -> tuple[str, pd.DataFrame]:
    inp = inp or load_inputs()
    rng = np.random.default_rng(SEED)
    design, targets = design_scores(inp, rng)
    rows = calibrate(inp, design, _values_frame(inp, design))
    region_order = {r: i for i, r in enumerate(targets["region_code"])}
    metric_order = {
        (f, m): i
        for i, (f, m) in enumerate(
            zip(inp.metrics["framework_code"], inp.metrics["metric_code"], strict=True)
        )
    }
    _, _, rows_21 = previous_edition(inp, rows)
    lines = ["edition,region_code,metric_code,value"]
    for frame in (rows_21, rows):
        frame = frame.assign(
            _r=frame["region_code"].map(region_order),
            _m=[
                metric_order[(f, m)]
                for f, m in zip(frame["framework_code"], frame["metric_code"], strict=True)
            ],
        ).sort_values(["_r", "_m"])
        lines += [
            f"{e},{r},{m},{_format(v, d)}"
            for e, r, m, v, d in zip(
                frame["edition"],
                frame["region_code"],
                frame["metric_code"],
                frame["value"],
                frame["decimals"],
                strict=True,
            )
        ]
    return "\n".join(lines) + "\n", targets


def verify(inp: Inputs, text_path: Path = VALUES_SEED) -> list[str]:
    """What the calibration promises, checked with the oracle on the written file."""
    values = pd.read_csv(text_path)
    problems = verify_previous(inp, values)
    values = values[values["edition"] == EDITION]
    scores = oracle.node_scores(values, inp.regions, _oracle_nodes(inp), _oracle_metrics(inp))
    ranks = oracle.rankings(scores)
    targets = composite_targets(inp)
    merged = targets.merge(ranks, on=["framework_code", "region_code"])
    off = merged[np.round(merged["composite_score"] + 1e-9, 1) != merged["printed_score"]]
    problems += [
        f"{r.region_code}: composite {r.composite_score:.4f} vs printed {r.printed_score}"
        for r in off.itertuples()
    ]
    for fw, g in scores.groupby("framework_code"):
        comp = g[g["level"] == 0]["score"].mean()
        stated = inp.averages[inp.averages["framework_code"] == fw].set_index("node_code")
        for code, s in g[g["level"] == 1].groupby("node_code")["score"]:
            got = s.mean() - comp
            want = stated.loc[code, "stated_average"] - stated.loc["composite", "stated_average"]
            if abs(got - want) > 0.05 + 1e-3:
                problems.append(f"{fw}/{code}: mean offset {got:.4f}, stated {want:.1f}")
    return problems


def verify_previous(inp: Inputs, values: pd.DataFrame) -> list[str]:
    """What the previous edition promises: its composite averages are the previous year's
    the 2022 text implies (at one decimal), the counties gained on every first-level
    indicator ("数字基础设施、数字经济、数字政府、数字社会等方面评分均有提升"), and the zones
    gained most in 高质量发展环境."""
    scores = oracle.node_scores(values, inp.regions, _oracle_nodes(inp), _oracle_metrics(inp))
    means = scores.groupby(["edition", "framework_code", "node_code"])["score"].mean()
    problems = []
    for fw in ("district", "county"):
        got = means[(PREVIOUS_EDITION, fw, "composite")]
        want = previous_targets(inp, fw, means[(EDITION, fw, "composite")])
        if round(got + 1e-9, 1) != round(want, 1):
            problems.append(f"{PREVIOUS_EDITION} {fw}: composite mean {got:.4f}, stated {want:.1f}")
    firsts = scores[scores["level"] == 1][["framework_code", "node_code"]].drop_duplicates()
    gains = {
        (fw, n): means[(EDITION, fw, n)] - means[(PREVIOUS_EDITION, fw, n)]
        for fw, n in zip(firsts["framework_code"], firsts["node_code"], strict=True)
    }
    problems += [
        f"county/{n}: mean change {g:.3f}, stated a gain"
        for (fw, n), g in gains.items()
        if fw == "county" and g <= 0
    ]
    zone = {n: g for (fw, n), g in gains.items() if fw == "zone"}
    if max(zone, key=zone.__getitem__) != "quality_development_environment":
        problems.append(f"zone: the largest first-level gain is not 高质量发展环境: {zone}")
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--check",
        action="store_true",
        help="exit 1 if the committed values differ from a fresh generation",
    )
    args = parser.parse_args(argv)
    inp = load_inputs()
    text, _ = render(inp)
    if args.check:
        if not VALUES_SEED.exists() or VALUES_SEED.read_text(encoding="utf-8") != text:
            print(f"stale seed: {VALUES_SEED.relative_to(REPO_ROOT)}", file=sys.stderr)
            return 1
        return 0
    VALUES_SEED.parent.mkdir(parents=True, exist_ok=True)
    VALUES_SEED.write_text(text, encoding="utf-8")
    print(f"wrote {VALUES_SEED.relative_to(REPO_ROOT)} ({text.count(chr(10)) - 1} values)")
    problems = verify(inp)
    for p in problems:
        print("calibration: " + p, file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
