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
    """Weighted mean of `score` by `weight` within groups, by each group's method."""
    f = frame.copy()
    method = f[method_col].to_numpy()
    with np.errstate(divide="ignore", invalid="ignore"):
        f["_num"] = np.select(
            [method == "arithmetic", method == "geometric", method == "harmonic"],
            [f["weight"] * f["score"], f["weight"] * np.log(f["score"]), f["weight"] / f["score"]],
            default=np.nan,
        )
    g = (
        f.groupby([*by, method_col], sort=False)
        .agg(num=("_num", "sum"), den=("weight", "sum"), n_children=("score", "size"))
        .reset_index()
    )
    m = g[method_col].to_numpy()
    with np.errstate(divide="ignore", invalid="ignore"):
        g["score"] = np.select(
            [m == "arithmetic", m == "geometric", m == "harmonic"],
            [g["num"] / g["den"], np.exp(g["num"] / g["den"]), g["den"] / g["num"]],
            default=np.nan,
        )
    return g.drop(columns=["num", "den", method_col])


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
    tree = weighted_nodes(nodes)
    ms = metric_scores(values, regions, metrics)
    children = pd.DataFrame(
        {
            **{k: ms[k] for k in KEYS},
            "parent_code": ms["node_code"],
            "weight": ms["weight"],
            "score": ms["score"],
        }
    )
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


def rankings(scores: pd.DataFrame, root_code: str | None = None) -> pd.DataFrame:
    """Competition ranks of the root scores within framework and edition."""
    roots = (
        scores[scores["level"] == 0]
        if root_code is None
        else scores[scores["node_code"] == root_code]
    )
    r = roots[[*KEYS, "score"]].rename(columns={"score": "composite_score"}).copy()
    r["rank"] = (
        r.groupby(["edition", "framework_code"])["composite_score"]
        .rank(method="min", ascending=False)
        .astype(int)
    )
    return r.sort_values(["edition", "framework_code", "rank"]).reset_index(drop=True)


def score_mismatches(
    expected: pd.DataFrame,
    actual: pd.DataFrame,
    keys: list[str],
    value: str = "score",
    tolerance: float = 1e-9,
) -> list[str]:
    """What differs between two frames of `value` by `keys` (empty: they agree).

    NaN-safe, unlike ``(a - b).abs().max()`` (which skips NaN): a row on one side only, a
    repeated key, and a null on either side are differences, as is any |Δ| > tolerance."""
    problems = []
    for side, frame in (("expected", expected), ("actual", actual)):
        repeated = frame[frame.duplicated(keys, keep=False)]
        if len(repeated):
            problems.append(f"{side}: {len(repeated)} rows share a key, e.g. {repeated.head(3)}")
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
    a, b = merged[f"{value}_expected"], merged[f"{value}_actual"]
    nulls = merged[(merged["_merge"] == "both") & (a.isna() | b.isna())]
    if len(nulls):
        problems.append(f"{len(nulls)} rows with a null {value}, e.g. {nulls.head(3)}")
    diff = (a - b).abs()
    worst = merged.assign(diff=diff)[diff > tolerance].sort_values("diff")
    if len(worst):
        problems.append(f"{len(worst)} rows differ by more than {tolerance}: {worst.tail(3)}")
    return problems
