"""对标 (benchmarking): the numerical steps of the tiers, the peers and the development
types — natural breaks, k-means, nearest neighbours, principal components — defined once,
here. The dbt Python models of ``models/intermediate/benchmarking/`` call them on the
warehouse's scores (dbt-duckdb runs them in process, with this package installed); the tests
call them on their own data.

Tiers (``fit_tiers``)
---------------------
The thresholds of every tier (梯队) scheme, fitted per edition and framework on the
composite scores of the index as published (configuration 0).

One row per edition × framework × scheme × tier, tier 1 the highest: ``lower_bound`` is the
smallest composite score the tier takes (null for the last tier, which takes the rest). A
region is in the first tier whose lower bound its score reaches (fct_region_tiers). The
methods (var ``tier_methods``), each defined here once:

* ``fixed`` — the declared thresholds;
* ``mean_sd`` — the mean plus each declared multiple of the (sample) standard deviation;
* ``quantile`` — tiers of equal counts from the top (or the declared shares of regions above
  each threshold): the bound is the score of the last region placed in the tier, so a tie
  across it joins the higher tier;
* ``natural_breaks`` — Jenks' natural breaks: the partition into contiguous tiers with the
  smallest within-tier sum of squared deviations, solved exactly by Ckmeans.1d.dp (Wang &
  Song 2011, via ``ckwrap``; O(k·n·log n), where Jenks' own algorithm is O(k·n²)); the bound
  is the lowest score of each class;
* ``kmeans`` — scikit-learn's k-means (Lloyd, k-means++ starts, var ``benchmarking_seed``)
  on the composite: a local optimum of the same criterion, to compare with the exact one.

The scores are sorted before fitting, so a fit depends on the scores alone, never on the
order rows arrive in. With fewer distinct scores than tiers a
data-driven scheme fits as many tiers as there are distinct scores (``n_tiers_fitted``).

Peers (``find_peers``)
----------------------
Each region's nearest peers (对标), per edition and framework, on its profile.

A region's profile is its scores on the nodes of var ``peer_profile_level`` (a framework
without that level: its deepest level above it; a branch that ends above it: its leaf), each
node's scores standardised within the peer group (mean 0, sample standard deviation 1; a
node every region scores alike counts for nothing; a region not scored on a node sits at the
mean). The distance between two regions is
the root mean square of their standardised differences: 1 is one standard deviation apart
on every node. Exact nearest neighbours (scikit-learn), the k = var ``peers_k`` nearest per
region and scope:

* ``peer_group`` — among the whole peer group;
* ``better`` — among the regions with a higher composite score (those to learn from); found
  by asking for ever more neighbours until k better ones are among them (or all were seen):
  every better region not returned is farther than those that were;
* ``province`` — among the regions of the same province (where regions have one).

Rows are sorted by region code before anything is fitted, and neighbours are ordered by
(distance, region code), so the result depends on the scores alone.

Development types (``fit_typology``)
------------------------------------
Development types (差异化路线): clusters of the regions' first-level profiles, per edition
and framework (the index as published).

Each first-level node's scores are standardised within the peer group (as for the peers:
mean 0, sample standard deviation 1; a region not scored on a node sits at the mean), and
each region's profile is taken relative to its own mean over the nodes: the clusters are of
the mix of strengths — the path — not of the overall level, which the tiers classify.
scikit-learn's k-means (k-means++ starts, ``TYPOLOGY_STARTS`` of them, seed var
``benchmarking_seed``) runs for k = 2 … var ``typology_max_clusters`` (at most regions − 1);
the k with the highest mean silhouette is kept (the smaller k on a tie). The silhouette is
computed on every region up to var ``silhouette_sample_max`` regions per peer group, beyond
that on that many regions drawn with the same seed. Clusters are numbered by their mean
composite score, 1 the highest.

The two principal components of the standardised profiles place each region on the
dashboard's typology scatter; each component's sign is fixed so that its largest loading is
positive. Rows are sorted by region code before anything is fitted, so the result depends
on the scores alone.
"""

from __future__ import annotations

from itertools import pairwise

# The numerical libraries are imported here, once, with this module: the dbt Python models
# that call it run on dbt's threads, and two threads importing scikit-learn at the same
# time can meet a partially initialised module (measured: "cannot import name 'clone' from
# partially initialized module 'sklearn.base'"); a module's own import is serialised.
import ckwrap
import numpy as np
import pandas as pd
from sklearn.cluster import KMeans
from sklearn.decomposition import PCA
from sklearn.metrics import silhouette_score
from sklearn.neighbors import NearestNeighbors

# k-means starts per k of the typology (the best of them kept: scikit-learn's n_init)
TYPOLOGY_STARTS = 4


def _frame(rows: list[tuple], columns: list[str], types: dict[str, str]) -> pd.DataFrame:
    """The rows as a frame with every column typed (the other columns text), so that an
    empty result still has the table's column types."""
    frame = pd.DataFrame(rows, columns=columns)
    return frame.astype({c: types.get(c, "string") for c in columns})


TIER_COLUMNS = [
    "edition",
    "framework_code",
    "scheme_code",
    "method",
    "n_tiers",
    "n_tiers_fitted",
    "tier",
    "lower_bound",
    "is_default",
]


def _parameters(scheme: pd.Series) -> list[float]:
    text = scheme["parameters"]
    if text is None or (isinstance(text, float) and np.isnan(text)) or text == "":
        return []
    return [float(p) for p in str(text).split(";")]


def _check(scheme: pd.Series, methods: list[str]) -> list[float]:
    """The scheme's parameters, or a clear error naming the scheme in the tier_schemes seed."""
    where = f"the tier_schemes seed, scheme {scheme['scheme_code']!r}"
    if scheme["method"] not in methods:
        raise ValueError(f"{where}: method {scheme['method']!r} is not one of {methods}")
    n = int(scheme["n_tiers"])
    if n < 2:
        raise ValueError(f"{where}: n_tiers must be at least 2, not {n}")
    parameters = _parameters(scheme)
    needed = scheme["method"] in ("fixed", "mean_sd")
    if (needed or parameters) and len(parameters) != n - 1:
        raise ValueError(
            f"{where}: {scheme['method']} takes n_tiers − 1 = {n - 1} parameters, "
            f"not {len(parameters)}"
        )
    steps = list(pairwise(parameters))
    if scheme["method"] == "quantile":
        if parameters and (
            any(a >= b for a, b in steps) or not 0 < parameters[0] < 1 or not 0 < parameters[-1] < 1
        ):
            raise ValueError(f"{where}: quantile shares must increase within (0, 1)")
    elif any(a <= b for a, b in steps):
        raise ValueError(f"{where}: parameters must decrease (highest threshold first)")
    return parameters


def lower_bounds(method: str, n: int, parameters: list[float], scores: np.ndarray, seed: int):
    """The lower bounds of tiers 1 … k−1 (highest first) of `scores` (sorted ascending)."""
    if method == "fixed":
        return list(parameters)
    if method == "mean_sd":
        mean = float(np.mean(scores))
        sd = float(np.std(scores, ddof=1)) if len(scores) > 1 else 0.0
        return [mean + p * sd for p in parameters]
    descending = scores[::-1]
    count = len(descending)
    if method == "quantile":
        shares = parameters or [t / n for t in range(1, n)]
        # the last region placed in each tier: positions ceil(share × count), at least one
        positions = [min(count, max(1, int(np.ceil(share * count - 1e-9)))) for share in shares]
        bounds = [float(descending[p - 1]) for p in positions]
        # ties across thresholds leave tiers empty: as many tiers as distinct bounds (and
        # none below the lowest score)
        distinct = sorted({b for b in bounds if b > descending[-1]}, reverse=True)
        return distinct
    k = min(n, len(np.unique(scores)))
    if k < 2:
        return []
    if method == "natural_breaks":
        labels = np.asarray(ckwrap.ckmeans(np.array(scores, dtype=float), k).labels)
    else:  # kmeans
        labels = KMeans(n_clusters=k, n_init=10, random_state=seed).fit_predict(
            scores.reshape(-1, 1)
        )
    # classes ordered by their lowest score, highest class first; its bound = that minimum
    minima = sorted({float(scores[labels == label].min()) for label in np.unique(labels)})
    return minima[::-1][:-1]


def fit_tiers(
    scores: pd.DataFrame,
    schemes: pd.DataFrame,
    methods: list[str],
    seed: int,
    replicated: bool = False,
) -> pd.DataFrame:
    """The tiers' lower bounds of each scheme, per edition and framework (``replicated``: per
    replication of the uncertainty analysis too — ``scores`` has a ``scenario_id`` — for the
    default schemes only, as the stability of the published tiers needs)."""
    keys = ["scenario_id", "edition"] if replicated else ["edition"]
    rows = []
    for scheme in schemes.sort_values(["framework_code", "scheme_order"]).itertuples():
        if replicated and not scheme.is_default:
            continue
        scheme_row = pd.Series(scheme._asdict())
        parameters = _check(scheme_row, methods)
        mine = scores[scores["framework_code"] == scheme.framework_code]
        # one sort for every group (scenario, edition), then a slice per group: the scores
        # sorted — what a fit reads — whatever order the rows came in
        group_keys = [mine[k].to_numpy(np.int64) for k in keys]
        values = mine["score"].to_numpy(float)
        if not len(values):
            continue
        order = np.lexsort((values, *reversed(group_keys)))
        stacked = np.column_stack([k[order] for k in group_keys])
        starts = np.flatnonzero(np.r_[True, np.any(stacked[1:] != stacked[:-1], axis=1)])
        ends = np.r_[starts[1:], len(order)]
        for start, end in zip(starts, ends, strict=True):
            key = tuple(int(v) for v in stacked[start])
            ordered = values[order[start:end]]
            bounds = lower_bounds(scheme.method, int(scheme.n_tiers), parameters, ordered, seed)
            fitted = len(bounds) + 1
            for tier in range(1, fitted + 1):
                rows.append(
                    (
                        *key,
                        scheme.framework_code,
                        scheme.scheme_code,
                        scheme.method,
                        int(scheme.n_tiers),
                        fitted,
                        tier,
                        bounds[tier - 1] if tier < fitted else None,
                        bool(scheme.is_default),
                    )
                )
    columns = (["scenario_id"] if replicated else []) + TIER_COLUMNS
    integers = ["edition", "n_tiers", "n_tiers_fitted", "tier"]
    types = {c: "int32" for c in integers + (["scenario_id"] if replicated else [])}
    return _frame(rows, columns, types | {"lower_bound": "float64", "is_default": "bool"})


PEER_COLUMNS = [
    "edition",
    "framework_code",
    "scope",
    "region_code",
    "peer_order",
    "peer_region_code",
    "distance",
    "profile_level",
    "n_profile_nodes",
]


def standardised_profiles(scores: pd.DataFrame) -> tuple[np.ndarray, list[str], list[str]]:
    """(matrix regions × nodes, region codes, node codes) of one edition and framework."""
    wide = scores.pivot(index="region_code", columns="node_code", values="score").sort_index()
    wide = wide.reindex(sorted(wide.columns), axis=1)
    mean = wide.mean()
    sd = wide.std(ddof=1).fillna(0.0)
    z = (wide - mean) / sd.where(sd > 0, 1.0)
    z.loc[:, sd <= 0] = 0.0
    return z.fillna(0.0).to_numpy(float), list(wide.index), list(wide.columns)


def _ordered(indices: np.ndarray, distances: np.ndarray, codes: list[str], k: int):
    pairs = sorted(zip(distances, (codes[i] for i in indices), strict=True))
    return pairs[:k]


def nearest(profiles: np.ndarray, codes: list[str], k: int, totals: np.ndarray | None = None):
    """For each row: [(distance, code)] of its k nearest other rows (with `totals`, among the
    rows whose total is higher than its own)."""
    n, d = profiles.shape
    if n < 2:
        return [[] for _ in range(n)]
    scale = 1.0 / np.sqrt(max(d, 1))
    index = NearestNeighbors().fit(profiles)
    found: list[list[tuple[float, str]]] = [[] for _ in range(n)]
    todo = np.arange(n)
    ranked = np.sort(totals) if totals is not None else None
    ask = min(n, k + 1)
    while len(todo):
        distances, indices = index.kneighbors(profiles[todo], n_neighbors=ask)
        again = []
        for row, dist, idx in zip(todo, distances, indices, strict=True):
            keep = idx != row
            if totals is not None:
                keep &= totals[idx] > totals[row]
            hits = _ordered(idx[keep], dist[keep] * scale, codes, k)
            available = (
                n - 1
                if ranked is None
                else n - int(np.searchsorted(ranked, totals[row], side="right"))
            )
            # complete when k were found and nothing tied with the k-th lies beyond those
            # asked for (the returned distances reach past it), or everything was asked for
            beyond = len(hits) >= k and float(dist.max()) * scale > hits[k - 1][0]
            if ask >= n or (len(hits) >= min(k, available) and (beyond or len(hits) < k)):
                found[row] = hits
            else:
                again.append(row)
        todo = np.asarray(again, dtype=int)
        ask = min(n, ask * 4)
    return found


def find_peers(scores: pd.DataFrame, composite: pd.DataFrame, provinces: pd.DataFrame, k: int):
    rows = []
    province_of = dict(zip(provinces["region_code"], provinces["province"], strict=True))
    for (edition, framework), group in scores.groupby(["edition", "framework_code"], sort=True):
        profiles, codes, nodes = standardised_profiles(group)
        level = int(group["level"].iloc[0])
        totals = composite[
            (composite["edition"] == edition) & (composite["framework_code"] == framework)
        ].set_index("region_code")["score"]
        total = totals.reindex(codes).to_numpy(float)
        scopes = {
            "peer_group": nearest(profiles, codes, k),
            "better": nearest(profiles, codes, k, totals=total),
        }
        by_province: dict[str, list[int]] = {}
        for i, code in enumerate(codes):
            province = province_of.get(code)
            if isinstance(province, str) and province:
                by_province.setdefault(province, []).append(i)
        scopes["province"] = [[] for _ in codes]
        for members in by_province.values():
            sub = nearest(profiles[members], [codes[i] for i in members], k)
            for i, hits in zip(members, sub, strict=True):
                scopes["province"][i] = hits
        for scope, per_region in scopes.items():
            for i, hits in enumerate(per_region):
                for order, (distance, peer) in enumerate(hits, start=1):
                    rows.append(
                        (
                            int(edition),
                            framework,
                            scope,
                            codes[i],
                            order,
                            peer,
                            float(distance),
                            level,
                            len(nodes),
                        )
                    )
    integers = ["edition", "peer_order", "profile_level", "n_profile_nodes"]
    return _frame(rows, PEER_COLUMNS, {c: "int32" for c in integers} | {"distance": "float64"})


def profile_scores(
    nodes: pd.DataFrame, level: int, leaves: pd.DataFrame | None = None
) -> pd.DataFrame:
    """The node scores of each framework's profile: its nodes at the profile level (the
    deepest up to `level`) and, where a branch ends above it, the branch's leaf
    (`leaves`: edition, framework_code, node_code of the leaf nodes)."""
    depth = nodes.groupby(["edition", "framework_code"])["level"].transform("max")
    chosen = np.minimum(depth, level)
    at_level = nodes["level"] == chosen
    if leaves is not None and len(leaves):
        keys = ["edition", "framework_code", "node_code"]
        is_leaf = nodes[keys].merge(
            leaves[keys].drop_duplicates().assign(_leaf=True), on=keys, how="left"
        )["_leaf"]
        at_level |= (nodes["level"] < chosen) & is_leaf.fillna(False).astype(bool).to_numpy()
    return nodes[at_level].assign(level=chosen[at_level])


TYPOLOGY_COLUMNS = [
    "edition",
    "framework_code",
    "region_code",
    "cluster_id",
    "n_clusters",
    "silhouette",
    "pc1",
    "pc2",
]


def _mix_profiles(scores: pd.DataFrame) -> tuple[np.ndarray, list[str]]:
    wide = scores.pivot(index="region_code", columns="node_code", values="score").sort_index()
    wide = wide.reindex(sorted(wide.columns), axis=1)
    sd = wide.std(ddof=1).fillna(0.0)
    z = (wide - wide.mean()) / sd.where(sd > 0, 1.0)
    z.loc[:, sd <= 0] = 0.0
    profiles = z.fillna(0.0).to_numpy(float)
    return profiles - profiles.mean(axis=1, keepdims=True), list(wide.index)


def components(profiles: np.ndarray) -> np.ndarray:
    """The first two principal components' scores (zeros where there are fewer)."""
    n, d = profiles.shape
    out = np.zeros((n, 2))
    m = min(2, n, d)
    if m == 0 or not np.any(profiles):
        return out
    pca = PCA(n_components=m, svd_solver="full").fit(profiles)
    loadings = pca.components_
    signs = np.sign(loadings[np.arange(m), np.argmax(np.abs(loadings), axis=1)])
    out[:, :m] = pca.transform(profiles) * signs
    return out


def cluster(profiles: np.ndarray, max_k: int, sample_max: int, seed: int):
    """(labels, k, silhouette) of the best k-means partition by mean silhouette."""
    n = len(profiles)
    distinct = len(np.unique(profiles.round(12), axis=0))
    best = (np.zeros(n, dtype=int), 1, None)
    for k in range(2, min(max_k, n - 1, distinct) + 1):
        labels = KMeans(n_clusters=k, n_init=TYPOLOGY_STARTS, random_state=seed).fit_predict(
            profiles
        )
        sample = None if n <= sample_max else sample_max
        score = float(silhouette_score(profiles, labels, sample_size=sample, random_state=seed))
        if best[2] is None or score > best[2] + 1e-12:
            best = (labels, k, score)
    return best


def fit_typology(
    scores: pd.DataFrame, composite: pd.DataFrame, max_k: int, sample_max: int, seed: int
):
    rows = []
    for (edition, framework), group in scores.groupby(["edition", "framework_code"], sort=True):
        profiles, codes = _mix_profiles(group)
        labels, k, silhouette = cluster(profiles, max_k, sample_max, seed)
        totals = (
            composite[
                (composite["edition"] == edition) & (composite["framework_code"] == framework)
            ]
            .set_index("region_code")["score"]
            .reindex(codes)
            .to_numpy(float)
        )
        # clusters numbered by mean composite, highest first (then by their smallest code)
        order = sorted(
            np.unique(labels),
            key=lambda c: (
                -float(np.mean(totals[labels == c])),
                codes[int(np.argmax(labels == c))],
            ),
        )
        number = {label: i + 1 for i, label in enumerate(order)}
        pcs = components(profiles)
        for i, code in enumerate(codes):
            rows.append(
                (
                    int(edition),
                    framework,
                    code,
                    number[labels[i]],
                    k,
                    silhouette,
                    float(pcs[i, 0]),
                    float(pcs[i, 1]),
                )
            )
    integers = ["edition", "cluster_id", "n_clusters"]
    doubles = ["silhouette", "pc1", "pc2"]
    return _frame(
        rows,
        TYPOLOGY_COLUMNS,
        {c: "int32" for c in integers} | {c: "float64" for c in doubles},
    )
