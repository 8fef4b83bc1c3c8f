"""The 对标 commands' printable tables: `digindex peers`, `whatif`, `goal` and `tiers`.

Every number shown is a mart's (published.region_peers, score_contributions, region_tiers,
tier_bounds) or a scenario's (digindex.scenarios: the same models run on changed values);
this module only selects and lays them out.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pandas as pd

from digindex import scenarios
from digindex.tables import format_table

SCOPES = {"peer_group": "the peer group", "better": "regions ranked above", "province": "province"}


def _names(con: duckdb.DuckDBPyConnection, framework: str) -> dict[str, str]:
    """Node and metric codes → Chinese names (the latest version of each)."""
    rows = con.execute(
        """select node_code, name_zh from published.indicators where framework_code = ?
           union all
           select metric_code, name_zh from published.metrics where framework_code = ?""",
        [framework, framework],
    ).fetchall()
    return dict(rows)


def _region(con: duckdb.DuckDBPyConnection, edition: int, region: str) -> tuple:
    row = con.execute(
        """select framework_code, region_name, rank, composite_score, peer_count
           from published.rankings where edition = ? and region_code = ?""",
        [edition, region],
    ).fetchone()
    if row is None:
        raise scenarios.ScenarioError(f"region {region!r} is not ranked in edition {edition}")
    return row


def region_gaps(
    con: duckdb.DuckDBPyConnection, edition: int, region: str, other: str | None = None
) -> pd.DataFrame:
    """The region's first-level contributions to its composite (composite points), its gaps
    to the peer-group mean and the leader (published.score_contributions) and — with
    `other` — that region's score and contribution and the gap to it: the one query the CLI
    and the dashboard show. Rows add up to the composite and to each gap."""
    return con.execute(
        """select mine.node_code, i.name_zh, i.name_en, mine.node_score as score,
                  mine.contribution, mine.gap_to_peer_mean, mine.gap_to_leader,
                  mine.leader_region_code, theirs.node_score as other_score,
                  theirs.contribution as other_contribution,
                  mine.contribution - theirs.contribution as gap_to_other
           from published.score_contributions as mine
           join published.indicators as i
             on i.framework_code = mine.framework_code and i.node_code = mine.node_code
           left join published.score_contributions as theirs
             on theirs.edition = mine.edition and theirs.region_code = ?
            and theirs.framework_code = mine.framework_code
            and theirs.node_kind = mine.node_kind and theirs.node_code = mine.node_code
            and theirs.ancestor_code = mine.ancestor_code
           where mine.edition = ? and mine.region_code = ? and mine.ancestor_level = 0
             and mine.distance = 1
           order by i.sort_order, mine.node_code""",
        [other, edition, region],
    ).df()


def gap_table(
    con: duckdb.DuckDBPyConnection, edition: int, region: str, other: str | None = None
) -> str:
    """region_gaps as a printable table."""
    _, name, rank, score, count = _region(con, edition, region)
    gaps = region_gaps(con, edition, region, other)
    if other is None:
        leader = gaps["leader_region_code"].iloc[0] if len(gaps) else None
        leader_name = _region(con, edition, leader)[1] if leader else "?"
        headers = ["first-level indicator", "score", "composite pts", "vs peer mean"]
        headers.append(f"vs leader ({leader_name})")
        rows = [
            (
                r.name_zh,
                f"{r.score:.1f}",
                f"{r.contribution:.2f}",
                f"{r.gap_to_peer_mean:+.2f}",
                f"{r.gap_to_leader:+.2f}",
            )
            for r in gaps.itertuples()
        ]
    else:
        other_framework, other_name = _region(con, edition, other)[:2]
        if other_framework != _region(con, edition, region)[0]:
            raise scenarios.ScenarioError(
                f"{other_name} is not in {name}'s peer group: gaps compare regions scored "
                "on the same framework"
            )
        headers = ["first-level indicator", "score", "composite pts"]
        headers += [f"{other_name} score", f"gap to {other_name}"]
        rows = [
            (
                r.name_zh,
                f"{r.score:.1f}",
                f"{r.contribution:.2f}",
                f"{r.other_score:.1f}",
                f"{r.gap_to_other:+.2f}",
            )
            for r in gaps.itertuples()
        ]
    return (
        f"{name}: rank {rank} of {count}, composite {score:.2f} — where the points come from "
        "(composite points; the rows add up to the composite and its gaps)\n"
        + format_table(headers, rows, [False, True, True, True, True])
    )


def peer_tables(
    db: Path,
    edition: int,
    region: str,
    k: int = 5,
    better_only: bool = False,
    same_province: bool = False,
    versus: str | None = None,
) -> str:
    con = duckdb.connect(str(db), read_only=True)
    try:
        framework, name, rank, score, count = _region(con, edition, region)
        names = _names(con, framework)
        scope = "province" if same_province else ("better" if better_only else "peer_group")
        rows = con.execute(
            """select peer_order, peer_region_name, peer_rank, peer_composite_score,
                      composite_gap, distance, n_nodes_ahead, n_profile_nodes, nodes_ahead,
                      top_gap_node_code, top_gap_points, profile_level
               from published.region_peers
               where edition = ? and region_code = ? and scope = ? and peer_order <= ?
               order by peer_order""",
            [edition, region, scope, k],
        ).fetchall()
        if not rows:
            body = "(no peers in this scope)"
            level = ""
        else:
            level = f", on their level-{rows[0][11]} profile ({rows[0][7]} indicators)"
            body = format_table(
                [
                    "#",
                    "peer",
                    "rank",
                    "score",
                    "vs you",
                    "distance",
                    "ahead on",
                    "furthest ahead on (composite pts)",
                ],
                [
                    (
                        o,
                        n,
                        r,
                        f"{s:.1f}",
                        f"{g:+.1f}",
                        f"{d:.2f}",
                        f"{a}/{total}",
                        f"{names.get(t, t)} {p:+.2f}" if t else "",
                    )
                    for o, n, r, s, g, d, a, total, _, t, p, _ in rows
                ],
                [True, False, True, True, True, True, True, False],
            )
        return (
            f"{name} ({framework}, rank {rank} of {count}, {score:.1f}) — {edition}: "
            f"its {len(rows)} nearest peers among {SCOPES[scope]}{level}\n{body}\n\n"
            + gap_table(con, edition, region)
            + ("\n\n" + gap_table(con, edition, region, versus) if versus else "")
        )
    finally:
        con.close()


def _node_rows(before: pd.DataFrame, after: pd.DataFrame, names: dict[str, str], deepest: int):
    merged = before.merge(after, on=["node_code", "level"], suffixes=("_before", "_after"))
    merged = merged[merged["level"] <= deepest].sort_values(["level", "node_code"])
    return [
        (
            "  " * int(r.level) + names.get(r.node_code, r.node_code),
            f"{r.score_before:.3f}",
            f"{r.score_after:.3f}",
            f"{r.score_after - r.score_before:+.3f}",
            f"{r.peer_rank_before} → {r.peer_rank_after}",
        )
        for r in merged.itertuples()
    ]


def whatif_tables(
    db: Path, edition: int, region: str, changes: dict[str, float], deepest: int = 2
) -> str:
    """Before and after, per node down to level `deepest`, and the rank."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        framework, name, rank, score, count = _region(con, edition, region)
        names = _names(con, framework)
        before_nodes = con.execute(
            """select node_code, level, score, peer_rank from published.indicator_scores
               where edition = ? and region_code = ?""",
            [edition, region],
        ).df()
    finally:
        con.close()
    scenario = scenarios.run_scenario(db, edition, {(region, m): v for m, v in changes.items()})
    after_nodes = scenario.node_scores[scenario.node_scores["region_code"] == region][
        ["node_code", "level", "score", "peer_rank"]
    ]
    mine = scenario.rankings[scenario.rankings["region_code"] == region].iloc[0]
    scored = scenario.metric_scores.set_index(["region_code", "metric_code"])
    base = scenarios.current_state(db, edition)
    base_scored = base.metric_scores.set_index(["region_code", "metric_code"])
    changed = [
        (
            names.get(m, m),
            _num(base_scored.loc[(region, m), "raw_value"]),
            _num(v),
            f"{base_scored.loc[(region, m), 'score']:.2f}",
            f"{scored.loc[(region, m), 'score']:.2f}",
        )
        for m, v in changes.items()
    ]
    lines = [
        f"What if — {name} ({framework}), {edition}; a scenario: the publication is unchanged",
        format_table(
            ["metric", "raw value", "what if", "score", "score after"],
            changed,
            [False, True, True, True, True],
        ),
        "",
        f"rank {rank} → {mine['rank']} of {count}; composite {score:.3f} → "
        f"{mine['composite_score']:.3f} ({mine['composite_score'] - score:+.3f})",
        format_table(
            ["indicator", "before", "after", "change", "rank on it"],
            _node_rows(before_nodes, after_nodes, names, deepest),
            [False, True, True, True, False],
        ),
    ]
    return "\n".join(lines)


def _num(value: object) -> str:
    if value is None or pd.isna(value):
        return "(missing)"
    return f"{float(value):,.6g}"


def goal_tables(
    db: Path, edition: int, region: str, rank: int | None = None, tier: int | None = None
) -> str:
    con = duckdb.connect(str(db), read_only=True)
    try:
        framework, name, _, _, count = _region(con, edition, region)
        names = _names(con, framework)
        units = dict(
            con.execute(
                "select metric_code, unit from published.metrics where framework_code = ?",
                [framework],
            ).fetchall()
        )
        bounds = con.execute(
            """select framework_code, tier, lower_bound, tier_name_zh, scheme_code
               from published.tier_bounds where edition = ? and is_default""",
            [edition],
        ).df()
    finally:
        con.close()
    goal = scenarios.seek_goal(db, edition, region, rank=rank, tier=tier, scheme_bounds=bounds)
    target = goal.target
    if tier is not None:
        row = bounds[(bounds["framework_code"] == framework) & (bounds["tier"] == tier)]
        target = f"{row['tier_name_zh'].iloc[0]} (tier {tier} of {row['scheme_code'].iloc[0]})"
    head = (
        f"Goal — {name} ({framework}), {edition}: from rank {goal.rank} of {count} "
        f"({goal.composite:.3f}) to {target}, which takes {goal.target_score:.3f}: "
        f"{goal.needed_points:.3f} composite points"
    )
    if not goal.steps:
        return head + "\nalready there." if goal.needed_points <= 0 else head + "\nno path found."
    rows = [
        (
            names.get(s.metric_code, s.metric_code),
            names.get(s.node_code, s.node_code),
            f"{s.score:.1f} → {s.target_score:.1f}",
            f"{s.marginal_weight:.4f}",
            f"{s.marginal_weight * (s.target_score - s.score):+.3f}",
            f"{_num(s.raw_value)} → {_num(s.target_raw_value)} {units.get(s.metric_code) or ''}",
        )
        for s in goal.steps
    ]
    lines = [
        head,
        "the cheapest path — the fewest metric-score points, highest marginal weight first, "
        "up to 100:",
        format_table(
            ["metric", "indicator", "score", "weight", "composite pts", "raw value"],
            rows,
            [False, False, True, True, True, False],
        ),
        f"applied through the models: rank {goal.achieved_rank}, composite "
        f"{goal.achieved_composite:.3f} — {'reached' if goal.reached else 'NOT reached'}",
        goal.note,
    ]
    if goal.left_out:
        lines.append(
            "left out (normalisation not invertible): "
            + ", ".join(names.get(m, m) for m in goal.left_out)
        )
    return "\n".join(lines)


def tier_tables(db: Path, edition: int, framework: str | None = None) -> str:
    """Each peer group's tiers under every scheme: thresholds and sizes."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        rows = con.execute(
            """select b.framework_code, b.scheme_code, b.method, b.is_default, b.tier,
                      b.tier_name_zh, b.tier_type_zh, b.lower_bound, b.upper_bound,
                      coalesce(t.tier_size, 0) as n
               from published.tier_bounds as b
               left join (select distinct edition, framework_code, scheme_code, tier, tier_size
                          from published.region_tiers) as t
                 on t.edition = b.edition and t.framework_code = b.framework_code
                and t.scheme_code = b.scheme_code and t.tier = b.tier
               where b.edition = ? and (? is null or b.framework_code = ?)
               order by b.framework_code, not b.is_default, b.scheme_code, b.tier""",
            [edition, framework, framework],
        ).fetchall()
    finally:
        con.close()
    return format_table(
        ["peer group", "scheme", "method", "tier", "type", "from", "below", "regions"],
        [
            (
                fw,
                f"{scheme}{' (default)' if default else ''}",
                method,
                name,
                kind,
                "" if low is None else f"{low:.2f}",
                "" if high is None else f"{high:.2f}",
                n,
            )
            for fw, scheme, method, default, _, name, kind, low, high, n in rows
        ],
        [False, False, False, False, False, True, True, True],
    )
