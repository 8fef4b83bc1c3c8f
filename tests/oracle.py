"""A plain-pandas computation of the index: the test oracle and benchmark baseline.

An independent code path from the dbt models (same method, different engine): normalise
raw values by their metric's goalposts, aggregate up each framework's tree by each
node's aggregation method, rank per framework and edition. Used to calibrate the
synthetic sample values (``generate_values``) and to check the warehouse in tests;
never used to publish anything.

Frames use the seed column names: nodes (framework_code, node_code, parent_code,
local_weight [any positive scale], aggregation), metrics (framework_code, metric_code,
node_code, weight, direction, transform, normalization, lower, upper), regions
(region_code, framework_code), values (edition, region_code, metric_code, value).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

KEYS = ["edition", "framework_code", "region_code"]


def _transform(x: pd.Series | np.ndarray, transform: pd.Series | np.ndarray) -> np.ndarray:
    x = np.asarray(x, dtype=float)
    is_log = np.asarray(transform) == "log"
    out = x.copy()
    with np.errstate(divide="ignore", invalid="ignore"):
        out[is_log] = np.log(x[is_log])
    return out


def normalise(frame: pd.DataFrame) -> np.ndarray:
    """Goalpost scores 0–100 of rows holding value, lower, upper, direction, transform."""
    unknown = set(frame["normalization"]) - {"goalpost"}
    if unknown:
        raise ValueError(f"normalisation methods not supported by the oracle: {sorted(unknown)}")
    x = _transform(frame["value"], frame["transform"])
    lo = _transform(frame["lower"], frame["transform"])
    hi = _transform(frame["upper"], frame["transform"])
    up = 100.0 * (x - lo) / (hi - lo)
    down = 100.0 * (hi - x) / (hi - lo)
    raw = np.where(np.asarray(frame["direction"]) == -1, down, up)
    return np.clip(raw, 0.0, 100.0)


def weighted_mean(
    frame: pd.DataFrame, by: list[str], method_col: str = "aggregation"
) -> pd.DataFrame:
    """Weighted mean of `score` by `weight` within groups, by each group's method.

    arithmetic Σw·x/Σw; geometric exp(Σw·ln x/Σw); harmonic Σw/Σ(w/x). A geometric or
    harmonic mean with a child ≤ 0 is 0 (a zero factor makes the product 0, an infinite
    reciprocal the harmonic mean 0; the shipped method, macros/scoring/_scoring__macros.yml,
    extends that limit to children below 0, e.g. negative z-scores)."""
    f = frame.copy()
    score = f["score"].to_numpy(dtype=float)
    positive = score > 0
    with np.errstate(divide="ignore", invalid="ignore"):
        f["_arith"] = f["weight"] * score
        f["_log"] = np.where(positive, f["weight"] * np.log(np.where(positive, score, 1.0)), 0.0)
        f["_inv"] = np.where(positive, f["weight"] / np.where(positive, score, 1.0), 0.0)
    g = (
        f.groupby([*by, method_col], sort=False)
        .agg(
            arith=("_arith", "sum"),
            log=("_log", "sum"),
            inv=("_inv", "sum"),
            den=("weight", "sum"),
            low=("score", "min"),
            n_children=("score", "size"),
        )
        .reset_index()
    )
    m = g[method_col].to_numpy()
    with np.errstate(divide="ignore", invalid="ignore"):
        g["score"] = np.select(
            [m == "arithmetic", g["low"] <= 0, m == "geometric", m == "harmonic"],
            [g["arith"] / g["den"], 0.0, np.exp(g["log"] / g["den"]), g["den"] / g["inv"]],
            default=np.nan,
        )
    return g.drop(columns=["arith", "log", "inv", "den", "low", method_col])


def weighted_nodes(nodes: pd.DataFrame) -> pd.DataFrame:
    """Nodes with local weights normalised among siblings, depth and effective weight."""
    n = nodes.copy()
    n["parent_code"] = n["parent_code"].replace("", np.nan)
    is_root = n["parent_code"].isna()
    sibling_total = n.groupby(["framework_code", "parent_code"])["local_weight"].transform("sum")
    n["local_weight"] = np.where(is_root, 1.0, n["local_weight"] / sibling_total)
    parent = dict(
        zip(zip(n["framework_code"], n["node_code"], strict=True), n["parent_code"], strict=True)
    )
    weight = dict(
        zip(zip(n["framework_code"], n["node_code"], strict=True), n["local_weight"], strict=True)
    )
    depths, effective = [], []
    for fw, code in zip(n["framework_code"], n["node_code"], strict=True):
        d, w, cur = 0, weight[(fw, code)], parent[(fw, code)]
        while isinstance(cur, str):
            d += 1
            w *= weight[(fw, cur)]
            cur = parent[(fw, cur)]
        depths.append(d)
        effective.append(w)
    n["depth"] = depths
    n["effective_weight"] = effective
    children = n.dropna(subset=["parent_code"]).groupby(["framework_code", "parent_code"]).size()
    n["is_leaf"] = [
        (fw, c) not in children.index
        for fw, c in zip(n["framework_code"], n["node_code"], strict=True)
    ]
    return n


def metric_scores(
    values: pd.DataFrame, regions: pd.DataFrame, metrics: pd.DataFrame
) -> pd.DataFrame:
    v = values.merge(regions[["region_code", "framework_code"]], on="region_code")
    v = v.merge(metrics, on=["framework_code", "metric_code"])
    v["score"] = normalise(v)
    return v


def node_scores(
    values: pd.DataFrame, regions: pd.DataFrame, nodes: pd.DataFrame, metrics: pd.DataFrame
) -> pd.DataFrame:
    """Scores of every node (root included) for every edition × region."""
    ms = metric_scores(values, regions, metrics)
    children = pd.DataFrame(
        {
            **{k: ms[k] for k in KEYS},
            "parent_code": ms["node_code"],
            "weight": ms["weight"],
            "score": ms["score"],
        }
    )
    return aggregate_tree(children, nodes)


def aggregate_tree(children: pd.DataFrame, nodes: pd.DataFrame) -> pd.DataFrame:
    """Every node's score from its metrics' scores (`children`: KEYS, parent_code = the leaf
    node, weight, score; rows without a score are left out), bottom-up: each node is the
    weighted mean (its `aggregation`) of the children it has, a missing child re-weighting
    its siblings; a node with no child has no score (no row)."""
    tree = weighted_nodes(nodes)
    children = children[children["score"].notna()]
    out = []
    for depth in range(int(tree["depth"].max()), -1, -1):
        level_nodes = tree.loc[
            tree["depth"] == depth,
            ["framework_code", "node_code", "parent_code", "local_weight", "aggregation", "depth"],
        ]
        kids = children.merge(
            level_nodes[["framework_code", "node_code", "aggregation"]].rename(
                columns={"node_code": "parent_code"}
            ),
            on=["framework_code", "parent_code"],
        )
        scored = weighted_mean(kids, [*KEYS, "parent_code"]).rename(
            columns={"parent_code": "node_code"}
        )
        scored["level"] = depth
        out.append(scored)
        # these nodes become the children of the next level up
        up = scored.merge(
            level_nodes[["framework_code", "node_code", "parent_code", "local_weight"]],
            on=["framework_code", "node_code"],
        )
        up = up.dropna(subset=["parent_code"])
        children = pd.concat(
            [
                children,
                pd.DataFrame(
                    {
                        **{k: up[k] for k in KEYS},
                        "parent_code": up["parent_code"],
                        "weight": up["local_weight"],
                        "score": up["score"],
                    }
                ),
            ],
            ignore_index=True,
        )
    return pd.concat(out, ignore_index=True)[[*KEYS, "node_code", "level", "score", "n_children"]]


def _count_above(frame: pd.DataFrame, by: list[str], value: str, offset: float = 0.0) -> np.ndarray:
    """For each row, how many rows of its `by` group have a `value` > its own + offset
    (counted on the group's sorted values; O(n log n), so the benchmark sizes work)."""
    groups = frame.groupby(by, sort=False, dropna=False).ngroup().to_numpy()
    values = frame[value].to_numpy(dtype=float)
    order = np.lexsort((values, groups))  # by group, then value
    bounds = np.searchsorted(groups[order], np.arange(groups.max() + 2 if len(groups) else 1))
    above = np.empty(len(values))
    for start, end in itertools.pairwise(bounds):
        rows = order[start:end]
        ordered = values[rows]
        above[rows] = len(rows) - np.searchsorted(ordered, values[rows] + offset, "right")
    return above


def competition_ranks(frame: pd.DataFrame, by: list[str], value: str) -> np.ndarray:
    """1 + the number of rows of the same `by` group whose `value` is strictly higher (ties
    share the best rank), counted directly — not pandas' or SQL's rank(). Rows with a null
    value are left out (their rank is null)."""
    present = frame[frame[value].notna()]
    ranks = np.full(len(frame), np.nan)
    ranks[frame[value].notna().to_numpy()] = 1.0 + _count_above(present, by, value)
    return ranks


def rankings(scores: pd.DataFrame, root_code: str | None = None) -> pd.DataFrame:
    """Competition ranks of the root scores within framework and edition."""
    roots = (
        scores[scores["level"] == 0]
        if root_code is None
        else scores[scores["node_code"] == root_code]
    )
    r = roots[[*KEYS, "score"]].rename(columns={"score": "composite_score"}).copy()
    r["rank"] = competition_ranks(r, ["edition", "framework_code"], "composite_score").astype(int)
    return r.sort_values(["edition", "framework_code", "rank"]).reset_index(drop=True)


def _shape_problems(frame: pd.DataFrame, keys: list[str], side: str) -> list[str]:
    repeated = frame[frame.duplicated(keys, keep=False)]
    if len(repeated):
        return [f"{side}: {len(repeated)} rows share a key, e.g. {repeated.head(3)}"]
    return []


def score_mismatches(
    expected: pd.DataFrame,
    actual: pd.DataFrame,
    keys: list[str],
    value: str = "score",
    tolerance: float = 1e-9,
    both_null_ok: bool = False,
    relative: bool = False,
) -> list[str]:
    """What differs between two frames of `value` by `keys` (empty: they agree).

    NaN-safe, unlike ``(a - b).abs().max()`` (which skips NaN): a row on one side only, a
    repeated key, and a null on either side are differences, as is any |Δ| > tolerance.
    both_null_ok: a value that is legitimately null (a missing value, a region not ranked)
    agrees when it is null on BOTH sides; null on one side only is still a difference.
    relative: the tolerance is relative to max(1, |expected|)."""
    problems = [
        *_shape_problems(expected, keys, "expected"),
        *_shape_problems(actual, keys, "actual"),
    ]
    merged = expected[[*keys, value]].merge(
        actual[[*keys, value]],
        on=keys,
        how="outer",
        suffixes=("_expected", "_actual"),
        indicator=True,
    )
    lonely = merged[merged["_merge"] != "both"]
    if len(lonely):
        problems.append(f"{len(lonely)} rows on one side only, e.g. {lonely.head(3)}")
    a = pd.to_numeric(merged[f"{value}_expected"], errors="coerce").astype(float)
    b = pd.to_numeric(merged[f"{value}_actual"], errors="coerce").astype(float)
    both = merged["_merge"] == "both"
    null_a = a.isna() | merged[f"{value}_expected"].isna()
    null_b = b.isna() | merged[f"{value}_actual"].isna()
    bad_null = (null_a != null_b) if both_null_ok else (null_a | null_b)
    nulls = merged[both & bad_null]
    if len(nulls):
        which = "on one side only" if both_null_ok else "on either side"
        problems.append(f"{len(nulls)} rows with a null {value} {which}, e.g. {nulls.head(3)}")
    diff = (a - b).abs()
    if relative:
        diff = diff / np.maximum(1.0, a.abs())
    worst = merged.assign(diff=diff)[both & ~null_a & ~null_b & ~(diff <= tolerance)]
    if len(worst):
        worst = worst.sort_values("diff")
        problems.append(f"{len(worst)} rows differ by more than {tolerance}: {worst.tail(3)}")
    return problems


def rank_mismatches(
    expected: pd.DataFrame,
    actual: pd.DataFrame,
    keys: list[str],
    by: list[str],
    score: str = "score",
    rank: str = "rank",
    tolerance: float = 1e-9,
) -> list[str]:
    """Ranks of `actual` against the scores of `expected` (keys ⊇ by; empty: they agree).

    A row's rank must be 1 + the number of rows of its `by` group whose expected score is
    higher; scores within `tolerance` of each other are ties the two engines may break
    either way (floating-point noise), so the rank may lie anywhere between the best and
    the worst place of that near-tie. NaN-safe like score_mismatches: a row on one side
    only, a repeated key or a null score or rank is a difference."""
    problems = [
        *_shape_problems(expected, keys, "expected"),
        *_shape_problems(actual, keys, "actual"),
    ]
    columns = list(dict.fromkeys([*keys, *by, score]))
    merged = expected[columns].merge(actual[[*keys, rank]], on=keys, how="outer", indicator=True)
    lonely = merged[merged["_merge"] != "both"]
    if len(lonely):
        problems.append(f"{len(lonely)} ranks on one side only, e.g. {lonely.head(3)}")
    merged = merged[merged["_merge"] == "both"].drop(columns="_merge").reset_index(drop=True)
    nulls = merged[merged[score].isna() | merged[rank].isna()]
    if len(nulls):
        problems.append(f"{len(nulls)} rows with a null {score} or {rank}, e.g. {nulls.head(3)}")
    merged = merged.dropna(subset=[score, rank]).reset_index(drop=True)
    best = 1 + _count_above(merged, by, score, tolerance)
    worst = _count_above(merged, by, score, -tolerance)  # itself included
    actual_rank = merged[rank].to_numpy(dtype=float)
    off = merged[(actual_rank < best) | (actual_rank > worst)].assign(
        best=best[(actual_rank < best) | (actual_rank > worst)],
        worst=worst[(actual_rank < best) | (actual_rank > worst)],
    )
    if len(off):
        problems.append(f"{len(off)} ranks outside [best, worst], e.g. {off.head(5)}")
    return problems


# --- the complete method on an index folder ---------------------------------------------
#
# Written from each step's definition (README, "The method, step by step"; COINr 1.1.14's
# Denominate / Impute / Treat (winsorise, log_CT, check_SkewKurt, skew, kurt) / Normalise
# for the steps the README says follow COINr; the shipped method's documented formulas
# for the others), one step after the other on plain frames, with no reference to the SQL.

# the methods this oracle implements, by kind (the differential test requires these to
# cover the dbt var `methods`, so a method added to the models fails it until added here)
SUPPORTED = {
    "aggregation": {"arithmetic", "geometric", "harmonic"},
    "normalization": {"goalpost", "minmax", "zscore", "rank", "target", "efficacy"},
    "transform": {"none", "log"},
    "imputation": {"none", "mean", "median", "group_mean", "group_median"},
    "treatment": {"none", "winsorise"},
}
# COINr's Treat() defaults (winmax, skew_thresh, kurt_thresh), also the index folder's
TREATMENT_DEFAULTS = {"winsor_max_points": 5, "skew_threshold": 2.0, "kurtosis_threshold": 3.5}
# a treatment check this close (relative) to its threshold is decided by rounding, not by
# the method (the models' statistics after winsorisation carry up to ~2e-5 of error):
# reported as ambiguous (Treatment.ambiguous)
THRESHOLD_EPS = 1e-4
REGION_COLUMNS = ("region_code", "region_name", "framework_code")


def read_index_folder(folder: Path) -> dict[str, pd.DataFrame]:
    """The four CSV files of an index folder as text frames (empty cell: '')."""
    return {
        name: pd.read_csv(folder / name, dtype=str, keep_default_na=False)
        for name in ("framework.csv", "metrics.csv", "regions.csv", "values.csv")
    }


def _number(column: pd.Series) -> pd.Series:
    text = column.fillna("").astype(str).str.strip().str.replace("−", "-")
    return pd.to_numeric(text.replace("", np.nan)).astype(float)


def _text(column: pd.Series, default: str = "") -> pd.Series:
    text = column.fillna("").astype(str).str.strip().str.lower()
    return text.where(text != "", default)


def _optional(frame: pd.DataFrame, column: str) -> pd.Series:
    return frame[column] if column in frame else pd.Series("", index=frame.index)


def skew_kurtosis(x: np.ndarray) -> tuple[float | None, float | None]:
    """COINr's skew() and kurt() (e1071 type 2: the bias-corrected G1 and excess G2);
    None when undefined: fewer than 4 values (COINr stops) or all equal (0/0)."""
    n = len(x)
    if n < 4 or x.max() == x.min():
        return None, None
    d = x - x.mean()
    s2 = np.sum(d**2)
    g1 = np.sqrt(n) * np.sum(d**3) / s2**1.5
    r = n * np.sum(d**4) / s2**2
    return (
        float(g1 * np.sqrt(n * (n - 1)) / (n - 2)),
        float(((n + 1) * (r - 3) + 6) * (n - 1) / ((n - 2) * (n - 3))),
    )


@dataclass
class Treatment:
    """COINr's Treat() of one metric's values with f1 = winsorise, f2 = log_CT."""

    values: np.ndarray
    n_winsorised: int = 0  # COINr's nwin: points winsorised (tied points each count)
    n_steps: int = 0  # winsorisation steps taken (a step moves every tied extreme)
    log_transformed: bool = False
    skew_before: float | None = None
    kurtosis_before: float | None = None
    skew_after: float | None = None  # of the winsorised values (None when log-transformed)
    kurtosis_after: float | None = None
    ambiguous: bool = False  # some check within THRESHOLD_EPS of a threshold


def treat(
    x: np.ndarray, max_points: int, skew_threshold: float, kurt_threshold: float
) -> Treatment:
    """COINr 1.1.14's outlier treatment of the values `x` (no nulls).

    check_SkewKurt: x passes when |skew| < skew_threshold OR kurtosis < kurt_threshold
    (undefined statistics pass). winsorise: while x fails and fewer than max_points points
    have been winsorised: if skew ≥ 0 every occurrence of the maximum becomes the largest
    remaining value, else every occurrence of the minimum the smallest remaining one; the
    points winsorised are those moved at the top plus those moved at the bottom. If x
    still fails, log_CT is applied to the ORIGINAL x instead: ln(x − min + 0.01·(max − min))."""
    original = np.asarray(x, dtype=float)
    out = Treatment(values=original.copy())
    out.skew_before, out.kurtosis_before = skew_kurtosis(original)

    def fails(values: np.ndarray) -> bool:
        s, k = skew_kurtosis(values)
        if s is None or k is None:
            return False
        # within THRESHOLD_EPS (relative) of either threshold, with the other test not
        # clearly failed: rounding could decide the check either way
        s_margin = THRESHOLD_EPS * max(1.0, skew_threshold)
        k_margin = THRESHOLD_EPS * max(1.0, abs(kurt_threshold))
        near_s = abs(abs(s) - skew_threshold) <= s_margin
        near_k = abs(k - kurt_threshold) <= k_margin
        if (near_s and k >= kurt_threshold - k_margin) or (
            near_k and abs(s) >= skew_threshold - s_margin
        ):
            out.ambiguous = True
        return abs(s) >= skew_threshold and k >= kurt_threshold

    values = original.copy()
    at_top = np.zeros(len(values), dtype=bool)
    at_bottom = np.zeros(len(values), dtype=bool)
    failing = fails(values)
    while failing and out.n_winsorised < max_points:
        s, _ = skew_kurtosis(values)
        assert s is not None
        if s >= 0:
            at_top = values == values.max()
            values[at_top] = values[~at_top].max()
        else:
            at_bottom = values == values.min()
            values[at_bottom] = values[~at_bottom].min()
        out.n_steps += 1
        out.n_winsorised = int(at_top.sum() + at_bottom.sum())
        failing = fails(values)
    if failing:
        out.log_transformed = True
        low, high = original.min(), original.max()
        out.values = np.log(original - low + 0.01 * (high - low))
    else:
        out.values = values
        out.skew_after, out.kurtosis_after = skew_kurtosis(values)
    return out


def _normalise_all(v: pd.DataFrame) -> np.ndarray:
    """Scores of the transformed values `x` by each row's method, with the statistics of the
    ranked regions' values of the same edition × framework × metric."""
    scored = v["is_ranked"] & v["x"].notna()
    group = ["edition", "framework_code", "metric_code"]
    stats = (
        v[scored]
        .groupby(group)["x"]
        .agg(t_min="min", t_max="max", t_mean="mean", t_sd="std", n="count")
        .reset_index()
    )
    s = v[[*group]].merge(stats, on=group, how="left")
    x = v["x"].to_numpy(dtype=float)
    lo = v["t_lower"].to_numpy(dtype=float)
    hi = v["t_upper"].to_numpy(dtype=float)
    down = v["direction"].to_numpy() == -1
    t_min, t_max = s["t_min"].to_numpy(dtype=float), s["t_max"].to_numpy(dtype=float)
    t_mean, t_sd = s["t_mean"].to_numpy(dtype=float), s["t_sd"].to_numpy(dtype=float)
    n = s["n"].to_numpy(dtype=float)
    # rank: the average position (ties share it) of direction·x, 0 (worst) … 1 (best)
    signed = pd.Series(np.where(down, -x, x), index=v.index).where(scored)
    position = signed.groupby([v[c] for c in group]).rank(method="average").to_numpy(dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        goalpost = np.clip(np.where(down, hi - x, x - lo) / (hi - lo) * 100.0, 0.0, 100.0)
        constant = t_max == t_min  # all equal: mid-scale, at the mean
        minmax = np.where(
            constant, 50.0, np.where(down, t_max - x, x - t_min) / (t_max - t_min) * 100.0
        )
        zscore = np.where(constant, 0.0, np.where(down, -1.0, 1.0) * (x - t_mean) / t_sd)
        rank = np.where(n == 1, 50.0, 100.0 * (position - 1) / (n - 1))
        target = np.clip(
            np.where(down, (t_max - x) / (t_max - hi), (x - t_min) / (hi - t_min)) * 100.0,
            0.0,
            100.0,
        )
    method = v["normalization"].to_numpy()
    score = np.select(
        [
            method == "goalpost",
            method == "minmax",
            method == "efficacy",
            method == "zscore",
            method == "rank",
            method == "target",
        ],
        [goalpost, minmax, 60.0 + 0.4 * minmax, zscore, rank, target],
        default=np.nan,
    )
    return np.where(scored, score, np.nan)


@dataclass
class IndexResult:
    values: pd.DataFrame  # edition × region × metric: every step (COINr's datasets)
    availability: pd.DataFrame  # edition × region × node: n_metrics, n_available, …
    regions: pd.DataFrame  # edition × region: root availability, is_ranked
    treatment: pd.DataFrame  # edition × framework × metric declaring winsorise
    nodes: pd.DataFrame  # edition × region × node: score, peer_rank
    rankings: pd.DataFrame  # edition × region: composite_score, rank


def compute_index(tables: dict[str, pd.DataFrame]) -> IndexResult:
    """The whole method on an index folder's four tables (text frames, read_index_folder)."""
    fw = tables["framework.csv"]
    nodes = pd.DataFrame(
        {
            "framework_code": fw["framework_code"].str.strip(),
            "node_code": fw["node_code"].str.strip(),
            "parent_code": fw["parent_code"].str.strip().replace("", np.nan),
            "local_weight": _number(fw["weight"]).fillna(1.0),
            "aggregation": _text(fw["aggregation"], "arithmetic"),
            "min_availability": _number(_optional(fw, "min_availability")).fillna(0.0),
        }
    )
    m = tables["metrics.csv"]
    metrics = pd.DataFrame(
        {
            "framework_code": m["framework_code"].str.strip(),
            "metric_code": m["metric_code"].str.strip(),
            "node_code": m["node_code"].str.strip(),
            "weight": _number(m["weight"]),
            "direction": _number(m["direction"]).astype(int),
            "transform": _text(m["transform"], "none"),
            "normalization": _text(m["normalization"]),
            "lower": _number(m["lower"]),
            "upper": _number(m["upper"]),
            "denominator": _optional(m, "denominator").str.strip(),
            "imputation": _text(_optional(m, "imputation"), "none"),
            "impute_group": _optional(m, "impute_group").str.strip(),
            "treatment": _text(_optional(m, "treatment"), "none"),
            **{
                column: _number(_optional(m, column)).fillna(default)
                for column, default in TREATMENT_DEFAULTS.items()
            },
        }
    )
    for kind, column in (
        ("aggregation", nodes["aggregation"]),
        *((k, metrics[k]) for k in ("normalization", "transform", "imputation", "treatment")),
    ):
        unknown = set(column) - SUPPORTED[kind]
        if unknown:
            raise ValueError(f"{kind} methods the oracle does not implement: {sorted(unknown)}")
    regions = tables["regions.csv"].copy()
    attributes = regions.melt(
        id_vars=["region_code"],
        value_vars=[c for c in regions.columns if c not in REGION_COLUMNS],
        var_name="attribute",
        value_name="attribute_value",
    )
    attributes["attribute_value"] = attributes["attribute_value"].fillna("").str.strip()
    given = tables["values.csv"]
    given = pd.DataFrame(
        {
            "edition": _number(given["edition"]).astype(int),
            "region_code": given["region_code"].str.strip(),
            "metric_code": given["metric_code"].str.strip(),
            "raw_value": _number(given["value"]),
        }
    )

    # the edition × region × metric grid (every metric of the region's framework, in every
    # edition the region is assessed in: those it has rows in): an absent row is a missing
    # value
    grid = regions[["region_code", "framework_code"]].merge(metrics, on="framework_code")
    grid = grid.merge(given[["edition", "region_code"]].drop_duplicates(), on="region_code")
    v = grid.merge(given, on=["edition", "region_code", "metric_code"], how="left")

    # 1. denominate: the value ÷ the region's attribute named by the metric
    v = v.merge(
        attributes.rename(columns={"attribute": "denominator", "attribute_value": "_den"}),
        on=["region_code", "denominator"],
        how="left",
    )
    v["denominator_value"] = _number(v["_den"])
    v["denominated_value"] = np.where(
        v["denominator"] != "", v["raw_value"] / v["denominator_value"], v["raw_value"]
    )

    # 2. impute: mean / median of the metric's non-missing values over all regions of the
    # framework (COINr's i_mean / i_median), or over those sharing the region's value of
    # impute_group (i_mean_grp / i_median_grp), before screening
    v = v.merge(
        attributes.rename(columns={"attribute": "impute_group", "attribute_value": "_group"}),
        on=["region_code", "impute_group"],
        how="left",
    )
    grouped = v["imputation"].str.startswith("group_")
    v["impute_group_value"] = np.where(grouped, v["_group"].fillna(""), "")
    by = ["edition", "framework_code", "metric_code", "impute_group_value"]
    centre = (
        v.groupby(by)["denominated_value"]
        .agg(group_mean="mean", group_median="median")
        .reset_index()
    )
    v = v.merge(centre, on=by, how="left")
    fill = np.select(
        [
            v["imputation"].isin(["mean", "group_mean"]),
            v["imputation"].isin(["median", "group_median"]),
        ],
        [v["group_mean"], v["group_median"]],
        default=np.nan,
    )
    v["is_missing"] = v["denominated_value"].isna()
    v["imputed_value"] = v["denominated_value"].where(~v["is_missing"], fill)
    v["is_imputed"] = v["is_missing"] & v["imputed_value"].notna()

    # 3. screen: availability of raw values per region under every node, against the
    # node's min_availability (a region below any is not ranked)
    tree = weighted_nodes(nodes[["framework_code", "node_code", "parent_code", "local_weight"]])
    parent = dict(
        zip(
            zip(tree["framework_code"], tree["node_code"], strict=True),
            tree["parent_code"],
            strict=True,
        )
    )
    paths = []
    for fw_code, node in zip(metrics["framework_code"], metrics["node_code"], strict=True):
        current: object = node
        while isinstance(current, str):
            paths.append((fw_code, node, current))
            current = parent[(fw_code, current)]
    ancestors = pd.DataFrame(paths, columns=["framework_code", "node_code", "ancestor"])
    ancestors = ancestors.drop_duplicates()
    per_node = (
        v[["edition", "framework_code", "region_code", "node_code", "raw_value"]]
        .merge(ancestors, on=["framework_code", "node_code"])
        .groupby(["edition", "framework_code", "region_code", "ancestor"])["raw_value"]
        .agg(n_metrics="size", n_available="count")
        .reset_index()
        .rename(columns={"ancestor": "node_code"})
    )
    per_node = per_node.merge(
        nodes[["framework_code", "node_code", "parent_code", "min_availability"]],
        on=["framework_code", "node_code"],
    )
    per_node["availability"] = per_node["n_available"] / per_node["n_metrics"]
    per_node["below"] = per_node["availability"] < per_node["min_availability"]
    status = per_node.groupby(["edition", "region_code"])["below"].any().rename("_failing")
    region_rows = per_node[per_node["parent_code"].isna()].merge(
        status.reset_index(), on=["edition", "region_code"]
    )
    region_rows["is_ranked"] = ~region_rows["_failing"]
    region_rows = region_rows[
        [
            "edition",
            "framework_code",
            "region_code",
            "n_metrics",
            "n_available",
            "availability",
            "is_ranked",
        ]
    ]
    v = v.merge(region_rows[["edition", "region_code", "is_ranked"]], on=["edition", "region_code"])

    # 4. treat (COINr), per edition × framework × metric over the ranked regions' values
    v["treated_value"] = v["imputed_value"].where(v["is_ranked"])
    treated_rows = []
    treated_values = v["treated_value"].to_numpy(dtype=float, copy=True)
    declared = np.flatnonzero(
        ((v["treatment"] == "winsorise") & v["is_ranked"] & v["imputed_value"].notna()).to_numpy()
    )  # the positions of the values to treat (a metric with none gets no decision: the
    # models make none either)
    imputed = v["imputed_value"].to_numpy(dtype=float)
    points, skew, kurtosis = (
        v[c].to_numpy(dtype=float)
        for c in ("winsor_max_points", "skew_threshold", "kurtosis_threshold")
    )
    by = ["edition", "framework_code", "metric_code"]
    for (edition, fw_code, metric), at in sorted(v.iloc[declared].groupby(by).indices.items()):
        rows = declared[at]  # the metric's parameters are on each of its rows
        t = treat(imputed[rows], int(points[rows[0]]), skew[rows[0]], kurtosis[rows[0]])
        treated_values[rows] = t.values
        treated_rows.append(
            {
                "edition": edition,
                "framework_code": fw_code,
                "metric_code": metric,
                "n_values": len(rows),
                "n_winsorised": t.n_winsorised,
                "n_steps": t.n_steps,
                "log_transformed": t.log_transformed,
                "skew_before": t.skew_before,
                "kurtosis_before": t.kurtosis_before,
                "skew_after": t.skew_after,
                "kurtosis_after": t.kurtosis_after,
                "ambiguous": t.ambiguous,
            }
        )
    v["treated_value"] = treated_values
    treatment = pd.DataFrame(
        treated_rows,
        columns=[
            "edition",
            "framework_code",
            "metric_code",
            "n_values",
            "n_winsorised",
            "n_steps",
            "log_transformed",
            "skew_before",
            "kurtosis_before",
            "skew_after",
            "kurtosis_after",
            "ambiguous",
        ],
    )

    # 5. transform (the metric's log: values and parameters alike) and normalise
    is_log = (v["transform"] == "log").to_numpy()
    with np.errstate(divide="ignore", invalid="ignore"):
        for column, source in (("x", "treated_value"), ("t_lower", "lower"), ("t_upper", "upper")):
            raw = v[source].to_numpy(dtype=float)
            v[column] = np.where(is_log, np.log(raw), raw)
    v["transformed_value"] = v["x"]
    v["score"] = _normalise_all(v)

    # 6. aggregate up each tree; 7. rank
    children = pd.DataFrame(
        {
            **{k: v[k] for k in KEYS},
            "parent_code": v["node_code"],
            "weight": v["weight"],
            "score": v["score"],
        }
    )
    scores = aggregate_tree(children, nodes)
    scores["peer_rank"] = competition_ranks(
        scores, ["edition", "framework_code", "node_code"], "score"
    )
    ranks = rankings(scores)
    columns = [
        "edition",
        "framework_code",
        "region_code",
        "node_code",
        "metric_code",
        "raw_value",
        "denominator_value",
        "denominated_value",
        "imputation",
        "impute_group_value",
        "is_missing",
        "is_imputed",
        "imputed_value",
        "is_ranked",
        "treatment",
        "treated_value",
        "transform",
        "transformed_value",
        "normalization",
        "direction",
        "score",
    ]
    return IndexResult(
        values=v[columns].reset_index(drop=True),
        availability=per_node.drop(columns=["below", "parent_code"]),
        regions=region_rows.reset_index(drop=True),
        treatment=treatment,
        nodes=scores,
        rankings=ranks,
    )


# --- change between editions ---------------------------------------------------------------


def previous_editions(regions: pd.DataFrame) -> pd.DataFrame:
    """Per framework and edition, the previous edition: the latest earlier edition any of
    its regions is assessed in (`regions`: edition × region rows, with framework_code)."""
    editions = regions[["framework_code", "edition"]].drop_duplicates()
    rows = []
    for fw, group in editions.groupby("framework_code"):
        years = sorted(group["edition"])
        rows += [(fw, later, earlier) for earlier, later in itertools.pairwise(years)]
    return pd.DataFrame(rows, columns=["framework_code", "edition", "previous_edition"])


def score_changes(nodes: pd.DataFrame, regions: pd.DataFrame) -> pd.DataFrame:
    """Every node score of a region scored in an edition and the previous one (the same
    code: no succession records), with its change, its rank change (previous − current)
    and its ranks again among the regions scored in both (comparable)."""
    pairs = previous_editions(regions)
    now = nodes.merge(pairs, on=["framework_code", "edition"])
    before = nodes.rename(
        columns={
            "edition": "previous_edition",
            "score": "previous_score",
            "peer_rank": "previous_rank",
        }
    )
    both = now.merge(
        before[
            [
                "previous_edition",
                "framework_code",
                "region_code",
                "node_code",
                "previous_score",
                "previous_rank",
            ]
        ],
        on=["previous_edition", "framework_code", "region_code", "node_code"],
    )
    both["score_change"] = both["score"] - both["previous_score"]
    both["rank_change"] = both["previous_rank"] - both["peer_rank"]
    by = ["edition", "framework_code", "node_code"]
    both["comparable_rank"] = competition_ranks(both, by, "score")
    both["comparable_previous_rank"] = competition_ranks(both, by, "previous_score")
    return both


def change_contributions(
    values: pd.DataFrame, nodes: pd.DataFrame, regions: pd.DataFrame, tree: pd.DataFrame
) -> pd.DataFrame:
    """Each node's change between a region's editions split over its children, by the
    node's method (the README's formulas, written out here from the means' definitions):
    arithmetic w·(s/W) differences; geometric: the logarithmic mean of the two scores times
    the difference of the w·ln(s)/W terms; harmonic: −S·S′ times the difference of the
    w/(s·W) terms; a change to or from a zero geometric or harmonic mean is shared equally
    by the children at or below 0. `values`: edition × region × metric rows with score,
    weight (the catalog's), node_code, is_ranked; `nodes`: edition × region × node scores;
    `tree`: weighted_nodes."""
    scored = values[values["is_ranked"].astype(bool) & values["score"].notna()]
    metric_children = pd.DataFrame(
        {
            "edition": scored["edition"],
            "framework_code": scored["framework_code"],
            "region_code": scored["region_code"],
            "node_code": scored["node_code"],
            "child_code": scored["metric_code"],
            "weight": scored["weight"],
            "score": scored["score"],
        }
    )
    up = nodes.merge(
        tree[["framework_code", "node_code", "parent_code", "local_weight"]],
        on=["framework_code", "node_code"],
    ).dropna(subset=["parent_code"])
    node_children = pd.DataFrame(
        {
            "edition": up["edition"],
            "framework_code": up["framework_code"],
            "region_code": up["region_code"],
            "node_code": up["parent_code"],
            "child_code": up["node_code"],
            "weight": up["local_weight"],
            "score": up["score"],
        }
    )
    children = pd.concat([metric_children, node_children], ignore_index=True)
    group = ["edition", "framework_code", "region_code", "node_code"]
    children["share"] = children["weight"] / children.groupby(group)["weight"].transform("sum")
    pairs = previous_editions(regions)
    now = children.merge(pairs, on=["framework_code", "edition"])
    before = children.rename(
        columns={
            "edition": "previous_edition",
            "score": "previous_score",
            "share": "previous_share",
        }
    )[
        [
            "previous_edition",
            "framework_code",
            "region_code",
            "node_code",
            "child_code",
            "previous_score",
            "previous_share",
        ]
    ]
    both = now.merge(
        before.merge(pairs, on=["framework_code", "previous_edition"]),
        on=[
            "edition",
            "previous_edition",
            "framework_code",
            "region_code",
            "node_code",
            "child_code",
        ],
        how="outer",
    )
    node_scores = nodes[["edition", "framework_code", "region_code", "node_code", "score"]]
    both = both.merge(
        node_scores.rename(columns={"score": "node_score"}),
        on=["edition", "framework_code", "region_code", "node_code"],
    ).merge(
        node_scores.rename(columns={"edition": "previous_edition", "score": "previous_node_score"}),
        on=["previous_edition", "framework_code", "region_code", "node_code"],
    )
    both = both.merge(
        tree[["framework_code", "node_code", "aggregation"]], on=["framework_code", "node_code"]
    )
    # every node's children at once (column-wise; each row's own node's scores and method)
    node = ["edition", "framework_code", "region_code", "node_code"]
    s_now = both["node_score"].to_numpy(dtype=float)
    s_before = both["previous_node_score"].to_numpy(dtype=float)
    method = both["aggregation"].to_numpy()
    w, wp = both["share"].fillna(0.0).to_numpy(), both["previous_share"].fillna(0.0).to_numpy()
    x, xp = both["score"].to_numpy(dtype=float), both["previous_score"].to_numpy(dtype=float)
    at_zero = (np.nan_to_num(x, nan=1.0) <= 0) | (np.nan_to_num(xp, nan=1.0) <= 0)
    n_at_zero = (
        pd.Series(at_zero, index=both.index)
        .groupby([both[c] for c in node])
        .transform("sum")
        .to_numpy()
    )
    # (the terms of the other methods are computed for every row, and overflow or divide by
    # 0 where a score is 0: those rows take the degenerate branch)
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        arithmetic = np.nan_to_num(w * x) - np.nan_to_num(wp * xp)
        degenerate = np.where(at_zero, (s_now - s_before) / np.maximum(n_at_zero, 1), 0.0)
        log_mean = np.where(
            s_now == s_before, s_now, (s_now - s_before) / (np.log(s_now) - np.log(s_before))
        )
        geometric = log_mean * (np.nan_to_num(w * np.log(x)) - np.nan_to_num(wp * np.log(xp)))
        harmonic = -s_now * s_before * (np.nan_to_num(w / x) - np.nan_to_num(wp / xp))
    contribution = np.select(
        [method == "arithmetic", n_at_zero > 0, method == "geometric"],
        [arithmetic, degenerate, geometric],
        harmonic,
    )
    return both.assign(contribution=contribution)
