"""对标: tiers, peers and development types (digindex.benchmarking, against independent
oracles and under reordering), and what-if and goal-seeking through the models
(digindex.scenarios) on the baseline warehouse."""

from __future__ import annotations

from pathlib import Path

import duckdb
import jenkspy
import numpy as np
import pandas as pd
import pytest

from _project import digindex, query
from digindex import benchmarking, scenarios

SEED = 0
METHODS = ["fixed", "mean_sd", "quantile", "natural_breaks", "kmeans"]


def _scores(rng: np.random.Generator, n: int, editions=(2022,), frameworks=("a",)) -> pd.DataFrame:
    rows = []
    for e in editions:
        for f in frameworks:
            values = np.concatenate(
                [
                    rng.normal(80, 3, n // 3),
                    rng.normal(65, 4, n // 3),
                    rng.normal(45, 5, n - 2 * (n // 3)),
                ]
            )
            rows += [(e, f, f"{f}{i:04d}", float(v)) for i, v in enumerate(values)]
    return pd.DataFrame(rows, columns=["edition", "framework_code", "region_code", "score"])


def _schemes(framework: str = "a") -> pd.DataFrame:
    return pd.DataFrame(
        [
            (framework, "nb", 1, "natural_breaks", 4, None, True),
            (framework, "km", 2, "kmeans", 3, None, False),
            (framework, "q", 3, "quantile", 4, None, False),
            (framework, "qs", 4, "quantile", 3, "0.1;0.5", False),
            (framework, "sd", 5, "mean_sd", 3, "1;-1", False),
            (framework, "fx", 6, "fixed", 3, "80;60", False),
        ],
        columns=[
            "framework_code",
            "scheme_code",
            "scheme_order",
            "method",
            "n_tiers",
            "parameters",
            "is_default",
        ],
    )


def _tiers_of(scores: np.ndarray, bounds: list[float]) -> np.ndarray:
    """Tier 1 + the number of lower bounds above each score (the marts' rule)."""
    return 1 + np.sum(np.asarray(bounds)[None, :] > scores[:, None], axis=1)


@pytest.mark.parametrize("n,k", [(30, 3), (120, 4), (400, 5)])
def test_natural_breaks_are_jenks_optimum(n: int, k: int) -> None:
    """The natural-breaks bounds (Ckmeans.1d.dp via ckwrap) are the classes Jenks' own
    algorithm (jenkspy, an independent implementation) finds, on data with clear and with
    blurred classes."""
    rng = np.random.default_rng(n)
    for values in (_scores(rng, n)["score"].to_numpy(), rng.uniform(0, 100, n)):
        ordered = np.sort(values)
        bounds = benchmarking.lower_bounds("natural_breaks", k, [], ordered, SEED)
        breaks = jenkspy.jenks_breaks(values, n_classes=k)  # [min, upper of class 1, …, max]
        expected = np.searchsorted(np.asarray(breaks[1:-1]), ordered, side="left")
        # jenkspy's class j holds values ≤ breaks[j+1]; ours: tier t from lower bound up
        ours = k - _tiers_of(ordered, bounds)
        assert np.array_equal(ours, expected), (bounds, breaks)


def _sse(values: np.ndarray, labels: np.ndarray) -> float:
    return float(
        sum(((values[labels == c] - values[labels == c].mean()) ** 2).sum() for c in set(labels))
    )


def test_kmeans_tiers_are_contiguous_and_never_beat_the_exact_optimum() -> None:
    rng = np.random.default_rng(7)
    ordered = np.sort(_scores(rng, 150)["score"].to_numpy())
    exact = benchmarking.lower_bounds("natural_breaks", 3, [], ordered, SEED)
    local = benchmarking.lower_bounds("kmeans", 3, [], ordered, SEED)
    assert len(local) == 2 and local[0] > local[1]
    assert (
        _sse(ordered, _tiers_of(ordered, exact)) <= _sse(ordered, _tiers_of(ordered, local)) + 1e-9
    )


def test_rule_based_tiers() -> None:
    ordered = np.arange(1.0, 101.0)  # 1 … 100
    assert benchmarking.lower_bounds("fixed", 3, [80, 60], ordered, SEED) == [80, 60]
    mean, sd = ordered.mean(), ordered.std(ddof=1)
    assert benchmarking.lower_bounds("mean_sd", 3, [1, -1], ordered, SEED) == pytest.approx(
        [mean + sd, mean - sd]
    )
    bounds = benchmarking.lower_bounds("quantile", 4, [], ordered, SEED)
    assert bounds == [76.0, 51.0, 26.0]  # 25 regions per tier
    assert np.bincount(_tiers_of(ordered, bounds))[1:].tolist() == [25, 25, 25, 25]
    # declared shares: 10 % above the first threshold, 50 % above the second
    assert benchmarking.lower_bounds("quantile", 3, [0.1, 0.5], ordered, SEED) == [91.0, 51.0]
    # ties across both thresholds: as many tiers as distinct bounds
    flat = np.sort(np.array([5.0, 5.0, 5.0, 5.0, 1.0, 9.0]))
    assert benchmarking.lower_bounds("quantile", 3, [], flat, SEED) == [5.0]
    # a tie across a quantile bound joins the higher tier
    tied = np.sort(np.array([1.0, 2.0, 3.0, 3.0, 3.0, 4.0]))
    assert _tiers_of(tied, benchmarking.lower_bounds("quantile", 2, [], tied, SEED)).tolist() == [
        2,
        2,
        1,
        1,
        1,
        1,
    ]


def test_a_target_rank_at_or_past_the_last_is_already_reached() -> None:
    rankings = pd.DataFrame({"region_code": ["a", "b", "c"], "composite_score": [90.0, 80.0, 70.0]})
    assert scenarios.target_score(rankings, "c", rank=1) == 90.0
    assert scenarios.target_score(rankings, "c", rank=2) == 80.0
    assert scenarios.target_score(rankings, "c", rank=3) == 70.0  # its own: already there
    assert scenarios.target_score(rankings, "a", rank=3) == 90.0  # past the last other


def test_tier_fits_do_not_depend_on_row_order() -> None:
    rng = np.random.default_rng(3)
    scores = _scores(rng, 90, editions=(2021, 2022), frameworks=("a", "b"))
    schemes = pd.concat([_schemes("a"), _schemes("b")])
    first = benchmarking.fit_tiers(scores, schemes, METHODS, SEED)
    shuffled = scores.sample(frac=1, random_state=11).reset_index(drop=True)
    second = benchmarking.fit_tiers(shuffled, schemes.sample(frac=1, random_state=2), METHODS, SEED)
    pd.testing.assert_frame_equal(first, second)
    assert set(first["scheme_code"]) == set(schemes["scheme_code"])
    assert (first.groupby(["edition", "framework_code", "scheme_code"])["tier"].max() >= 3).all()


@pytest.mark.parametrize(
    "change,message",
    [
        ({"method": "jenks"}, "is not one of"),
        ({"method": "fixed", "n_tiers": 3, "parameters": "60;80"}, "must decrease"),
        ({"method": "fixed", "n_tiers": 3, "parameters": "80"}, "takes n_tiers − 1 = 2"),
        ({"method": "quantile", "n_tiers": 3, "parameters": "0.5;0.2"}, "must increase"),
        ({"n_tiers": 1}, "at least 2"),
    ],
)
def test_a_bad_tier_scheme_is_named(change: dict, message: str) -> None:
    schemes = _schemes().head(1).assign(**change)
    with pytest.raises(ValueError, match=message) as err:
        benchmarking.fit_tiers(_scores(np.random.default_rng(1), 30), schemes, METHODS, SEED)
    assert "the tier_schemes seed, scheme 'nb'" in str(err.value)


def _profiles(rng: np.random.Generator, n: int, nodes: int = 6) -> pd.DataFrame:
    rows = []
    for i in range(n):
        base = rng.normal(60, 10)
        for j in range(nodes):
            rows.append((2022, "a", f"r{i:04d}", f"n{j}", 2, base + rng.normal(0, 8)))
    return pd.DataFrame(
        rows, columns=["edition", "framework_code", "region_code", "node_code", "level", "score"]
    )


def _brute_force_peers(
    profiles: np.ndarray, codes: list[str], totals: np.ndarray, k: int, better: bool
):
    d = np.sqrt(((profiles[:, None, :] - profiles[None, :, :]) ** 2).mean(axis=2))
    out = []
    for i in range(len(codes)):
        candidates = [
            (d[i, j], codes[j])
            for j in range(len(codes))
            if j != i and (not better or totals[j] > totals[i])
        ]
        out.append(sorted(candidates)[:k])
    return out


def test_peers_are_the_exact_nearest_neighbours() -> None:
    """find_peers against a brute-force oracle (every pairwise distance): the k nearest in
    the peer group, the k nearest among the better-ranked (found by widening searches),
    the k nearest in the province; distances to 1e-12."""
    rng = np.random.default_rng(5)
    nodes = _profiles(rng, 160)
    codes = sorted(nodes["region_code"].unique())
    totals = pd.DataFrame(
        {
            "edition": 2022,
            "framework_code": "a",
            "region_code": codes,
            "score": rng.uniform(30, 90, len(codes)),
        }
    )
    provinces = pd.DataFrame(
        {"region_code": codes, "province": [f"p{i % 4}" for i in range(len(codes))]}
    )
    found = benchmarking.find_peers(nodes, totals, provinces, k=4)
    profiles, order, _ = benchmarking.standardised_profiles(nodes)
    assert order == codes
    total = totals.set_index("region_code")["score"].reindex(codes).to_numpy()
    for scope, better in (("peer_group", False), ("better", True)):
        expected = _brute_force_peers(profiles, codes, total, 4, better)
        got = found[found["scope"] == scope]
        for i, code in enumerate(codes):
            mine = got[got["region_code"] == code].sort_values("peer_order")
            assert mine["peer_region_code"].tolist() == [c for _, c in expected[i]], (scope, code)
            assert np.allclose(mine["distance"], [x for x, _ in expected[i]], atol=1e-12)
    # the region ranked first has no better peer; the second has one
    best = codes[int(np.argmax(total))]
    assert found[(found["scope"] == "better") & (found["region_code"] == best)].empty
    province = found[found["scope"] == "province"].merge(provinces, on="region_code")
    peer_province = province["peer_region_code"].map(provinces.set_index("region_code")["province"])
    assert (province["province"] == peer_province).all()


def test_peers_and_typology_do_not_depend_on_row_order() -> None:
    rng = np.random.default_rng(9)
    nodes = _profiles(rng, 80, nodes=4)
    codes = sorted(nodes["region_code"].unique())
    totals = nodes.groupby(["edition", "framework_code", "region_code"], as_index=False)[
        "score"
    ].mean()
    provinces = pd.DataFrame({"region_code": codes, "province": "p"})
    shuffled = nodes.sample(frac=1, random_state=4).reset_index(drop=True)
    pd.testing.assert_frame_equal(
        benchmarking.find_peers(nodes, totals, provinces, 5),
        benchmarking.find_peers(shuffled, totals.sample(frac=1, random_state=1), provinces, 5),
    )
    level1 = nodes.assign(level=1)
    first = benchmarking.fit_typology(level1, totals, 5, 10_000, SEED)
    second = benchmarking.fit_typology(
        level1.sample(frac=1, random_state=8), totals, 5, 10_000, SEED
    )
    pd.testing.assert_frame_equal(first, second)


def test_typology_keeps_the_k_with_the_best_silhouette() -> None:
    """Three planted development types (each strong on one node): k = 3 is found, each
    cluster is one planted type, and the silhouette is the highest of k = 2 … 5."""
    from sklearn.cluster import KMeans
    from sklearn.metrics import silhouette_score

    rng = np.random.default_rng(2)
    rows = []
    for i in range(90):
        kind = i % 3
        level = rng.normal(60, 8)
        for j in range(3):
            rows.append(
                (
                    2022,
                    "a",
                    f"r{i:03d}",
                    f"n{j}",
                    1,
                    level + (15 if j == kind else 0) + rng.normal(0, 2),
                )
            )
    nodes = pd.DataFrame(
        rows, columns=["edition", "framework_code", "region_code", "node_code", "level", "score"]
    )
    totals = nodes.groupby(["edition", "framework_code", "region_code"], as_index=False)[
        "score"
    ].mean()
    fitted = benchmarking.fit_typology(nodes, totals, 5, 10_000, SEED)
    assert fitted["n_clusters"].iloc[0] == 3
    planted = fitted["region_code"].str[1:].astype(int) % 3
    assert fitted.groupby("cluster_id").apply(lambda g: planted[g.index].nunique()).eq(1).all()
    profiles, _ = benchmarking._mix_profiles(nodes)
    best = max(
        silhouette_score(
            profiles,
            KMeans(k, n_init=benchmarking.TYPOLOGY_STARTS, random_state=SEED).fit_predict(profiles),
        )
        for k in range(2, 6)
    )
    assert fitted["silhouette"].iloc[0] == pytest.approx(best, abs=1e-12)


# --- the marts on the baseline warehouse ---------------------------------------------------


def test_tiers_peers_and_types_are_published(con: duckdb.DuckDBPyConnection) -> None:
    """Every ranked region of every edition has a tier under every scheme (exactly one
    default), peers in each scope, and a development type with a bilingual label."""
    ranked = con.execute("select count(*) from published.rankings").fetchone()[0]
    schemes = con.execute(
        "select count(distinct scheme_code) from published.tier_bounds"
    ).fetchone()[0]
    assert schemes == 5
    assert (
        con.execute("select count(*) from published.region_tiers").fetchone()[0] == ranked * schemes
    )
    assert (
        con.execute("select count(*) from published.region_tiers where is_default").fetchone()[0]
        == ranked
    )
    with_peers = con.execute(
        """select count(distinct edition || region_code) from published.region_peers
           where scope = 'peer_group'"""
    ).fetchone()[0]
    assert with_peers == ranked
    typed = con.execute(
        """select count(*) from published.region_typology
           where type_name_zh like '%型' and type_name_en != ''"""
    ).fetchone()[0]
    assert typed == ranked
    # the published uncertainty analysis gives each default tier its stability, over every
    # replication
    replications = con.execute(
        "select max(n_replications) from published.rank_uncertainty"
    ).fetchone()[0]
    assert replications > 0
    assert con.execute(
        """select min(n_replications), max(n_replications), count(p_same_tier)
           from published.region_tiers where is_default"""
    ).fetchone() == (replications, replications, ranked)


def test_contributions_explain_the_gap_between_two_regions(con: duckdb.DuckDBPyConnection) -> None:
    """For the county ranked 30th, its metrics' contributions to the composite add up to
    its score, and its first-level gaps to the leader add up to the composite gap."""
    region, score = con.execute(
        """select region_code, composite_score from published.rankings
           where edition = 2022 and framework_code = 'county' and rank = 30"""
    ).fetchone()
    leader_score = con.execute(
        """select composite_score from published.rankings
           where edition = 2022 and framework_code = 'county' and rank = 1"""
    ).fetchone()[0]
    metrics, gaps = con.execute(
        """select sum(contribution) filter (where node_kind = 'metric'),
                  sum(gap_to_leader) filter (where distance = 1)
           from published.score_contributions
           where edition = 2022 and region_code = ? and ancestor_level = 0""",
        [region],
    ).fetchone()
    assert metrics == pytest.approx(score, abs=1e-9)
    assert gaps == pytest.approx(score - leader_score, abs=1e-9)


def test_whatif_without_changes_reproduces_the_publication(warehouse: Path) -> None:
    """The scenario engine runs the build's own SQL: with no change every composite, rank,
    node score and contribution of both editions is the published one, bit for bit."""
    for edition in (2021, 2022):
        scenario = scenarios.run_scenario(warehouse, edition)
        published = pd.DataFrame(
            query(
                warehouse,
                f"""select region_code, composite_score, rank from published.rankings
                    where edition = {edition}""",
            ),
            columns=["region_code", "composite_score", "rank"],
        ).set_index("region_code")
        mine = scenario.rankings.set_index("region_code")[["composite_score", "rank"]]
        assert len(mine) == len(published)
        assert (mine.loc[published.index, "composite_score"] == published["composite_score"]).all()
        assert (mine.loc[published.index, "rank"] == published["rank"]).all()
        nodes = pd.DataFrame(
            query(
                warehouse,
                f"""select region_code, node_code, score from published.indicator_scores
                    where edition = {edition}""",
            ),
            columns=["region_code", "node_code", "score"],
        ).set_index(["region_code", "node_code"])["score"]
        recomputed = scenario.node_scores.set_index(["region_code", "node_code"])["score"]
        assert (recomputed.loc[nodes.index] == nodes).all()
        # and the contributions the goal-seeking reads (every row)
        key = ["region_code", "node_kind", "node_code", "ancestor_code"]
        parts = pd.DataFrame(
            query(
                warehouse,
                f"""select {", ".join(key)}, contribution, marginal_weight
                    from published.score_contributions where edition = {edition}""",
            ),
            columns=[*key, "contribution", "marginal_weight"],
        ).set_index(key)
        mine = scenario.contributions.set_index(key)
        assert len(mine) == len(parts)
        assert (mine.loc[parts.index, "contribution"] == parts["contribution"]).all()
        assert np.array_equal(
            mine.loc[parts.index, "marginal_weight"].to_numpy(float),
            parts["marginal_weight"].to_numpy(float),
            equal_nan=True,
        )


def test_whatif_moves_the_composite_by_the_marginal_weight(warehouse: Path) -> None:
    """A goalpost metric raised by Δ raw units moves the region's composite by its marginal
    weight × its score change (arithmetic paths), and nobody else's score."""
    region, metric, weight, score = query(
        warehouse,
        """select c.region_code, c.node_code, c.marginal_weight, c.node_score
           from published.score_contributions as c
           join published.rankings as r using (edition, region_code)
           where c.edition = 2022 and r.framework_code = 'district' and r.rank = 40
             and c.node_kind = 'metric' and c.ancestor_level = 0 and c.node_score < 80
           order by c.marginal_weight desc, c.node_code limit 1""",
    )[0]
    with scenarios.Engine(warehouse, 2022) as engine:
        base = engine.run()
        inverse = scenarios._inverses(base, region).loc[metric]
        raw = scenarios._raw_for(base, region, metric, score + 10)
        changed = engine.run({(region, metric): raw})
    before = base.rankings.set_index("region_code")["composite_score"]
    after = changed.rankings.set_index("region_code")["composite_score"]
    assert bool(inverse["is_invertible"])
    assert after[region] - before[region] == pytest.approx(weight * 10, abs=1e-9)
    others = before.drop(region)
    assert (after.loc[others.index] == others).all()


def _check_goals(  # type: ignore[no-untyped-def]
    warehouse: Path, ranks: tuple[int, ...], targets, frameworks=("district", "county", "zone")
) -> int:
    """Goal-seeking for the regions at `ranks` of every peer group, to each of
    `targets(rank)` and to the first tier: each path applied through a second engine (a
    fresh one, independent of the search) reaches a rank at or above the target, and the
    composite gained is at least the points said to be needed. Returns the goals checked."""
    cases = query(
        warehouse,
        f"""select region_code, rank from published.rankings
            where edition = 2022 and rank in ({", ".join(map(str, ranks))})
              and framework_code in ({", ".join(f"'{f}'" for f in frameworks)})
            order by all""",
    )
    bounds = pd.DataFrame(
        query(
            warehouse,
            """select framework_code, tier, lower_bound from published.tier_bounds
               where edition = 2022 and is_default""",
        ),
        columns=["framework_code", "tier", "lower_bound"],
    )
    checked = 0
    with scenarios.Engine(warehouse, 2022) as search, scenarios.Engine(warehouse, 2022) as check:
        for region, rank in cases:
            for target in targets(rank):
                goal = scenarios.seek_goal(warehouse, 2022, region, rank=target, engine=search)
                assert goal.reached, (region, target, goal.note)
                applied = check.run(
                    {(region, s.metric_code): s.target_raw_value for s in goal.steps}
                )
                mine = applied.rankings.set_index("region_code").loc[region]
                assert mine["rank"] <= target, (region, target)
                assert mine["composite_score"] - goal.composite >= goal.needed_points - 1e-9
                checked += 1
            goal = scenarios.seek_goal(
                warehouse, 2022, region, tier=1, scheme_bounds=bounds, engine=search
            )
            assert goal.reached and goal.achieved_composite >= goal.target_score
    return checked


def test_goal_paths_reach_their_targets(warehouse: Path) -> None:
    """The county ranked 30th to rank 15 and to the first tier; the sweep over the peer
    groups, many regions and targets is test-slow's."""
    assert _check_goals(warehouse, (30,), lambda rank: [rank // 2], ("county",)) == 1


@pytest.mark.slow
def test_goal_paths_reach_their_targets_over_many_regions(warehouse: Path) -> None:
    """Three regions of each peer group (ranks 12, 30, 57), each to one place up, to half
    its rank and to the top 5, and to the first tier."""
    targets = lambda rank: sorted({max(1, rank - 1), max(1, rank // 2), 5})  # noqa: E731
    assert _check_goals(warehouse, (12, 30, 57), targets) >= 21


def test_benchmark_commands(baseline: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """peers and tiers print the published rows; whatif and goal refuse what they cannot
    do, naming it. (Their paths and scenarios: the tests above, the dashboard's, and the
    README's commands run verbatim by make test-slow.)"""
    db = baseline / "build" / "warehouse.duckdb"
    region, code = query(
        db,
        """select region_name, region_code from published.rankings
           where edition = 2022 and framework_code = 'county' and rank = 30""",
    )[0]
    assert digindex(baseline, "peers", region, "-k", "3", "--better-only") == 0
    out = capsys.readouterr().out
    first = query(
        db,
        f"""select peer_region_name from published.region_peers
            where edition = 2022 and region_code = '{code}' and scope = 'better'
              and peer_order = 1""",
    )[0][0]
    assert "nearest peers among regions ranked above" in out and "vs peer mean" in out
    assert f"1  {first}" in out
    assert digindex(baseline, "tiers", "county") == 0
    assert "第一梯队" in capsys.readouterr().out
    assert digindex(baseline, "whatif", region, "--set", "nope") == 2
    assert "METRIC=VALUE" in capsys.readouterr().err
    assert digindex(baseline, "goal", region) == 2
    assert "--rank N or --tier T" in capsys.readouterr().err
    assert digindex(baseline, "whatif", region, "--set", "no_such_metric=1") == 2
    assert "no value of edition 2022 to change" in capsys.readouterr().err
    assert digindex(baseline, "peers", "no such place") == 2
    assert "no region 'no such place'" in capsys.readouterr().err
    district = query(
        db,
        "select region_name from published.rankings where edition = 2022 and rank = 1 "
        "and framework_code = 'district'",
    )[0][0]
    assert digindex(baseline, "peers", region, "--vs", district) == 2
    assert "is not in" in capsys.readouterr().err
    log_metric = query(
        db,
        "select min(metric_code) from published.metrics "
        "where framework_code = 'county' and transform = 'log'",
    )[0][0]
    assert digindex(baseline, "whatif", region, "--set", f"{log_metric}=0") == 2
    assert "a log-transformed metric needs a positive value" in capsys.readouterr().err
