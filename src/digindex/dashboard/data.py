"""Queries on the ``published`` schema for the dashboard and the static report.

Every function opens the warehouse read-only for one query (or a few) and closes it: the
file must stay writable by dbt and the publisher. While a writer holds the file, DuckDB
refuses readers; :func:`connect` retries for a few seconds, then raises
:class:`WarehouseError` with a message a reader can act on.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

FRAMEWORK_ORDER = ["district", "county", "zone"]

# region flags of published.regions → (Chinese, English) labels
FLAGS: dict[str, tuple[str, str]] = {
    "is_municipality": ("直辖市", "municipality"),
    "is_provincial_capital": ("省会城市", "provincial capital"),
    "is_sub_provincial_city": ("副省级城市", "sub-provincial city"),
    "is_county_level_city": ("县级市", "county-level city"),
    "is_directly_administered": ("省直管", "directly administered by the province"),
}


class WarehouseError(RuntimeError):
    """The published warehouse cannot be read (missing, locked by a writer, unpublished)."""


@contextmanager
def connect(
    db: Path, attempts: int = 20, wait: float = 0.25
) -> Iterator[duckdb.DuckDBPyConnection]:
    """A read-only connection, closed on exit; retried while a writer holds the file."""
    db = Path(db)
    if not db.exists():
        raise WarehouseError(f"no warehouse at {db}: build and publish it first (`make run`)")
    con: duckdb.DuckDBPyConnection | None = None
    for attempt in range(attempts):
        try:
            # no replacement scans: a missing table is an error, not a Python variable
            con = duckdb.connect(
                str(db), read_only=True, config={"python_enable_replacements": False}
            )
            break
        except duckdb.IOException as err:
            if attempt == attempts - 1:
                raise WarehouseError(
                    f"cannot open {db} read-only ({err}); a writer (dbt or the publisher, "
                    "e.g. `make run`) probably holds it: retry when it has finished"
                ) from err
            time.sleep(wait)
    assert con is not None
    try:
        try:
            con.execute("select 1 from published.rankings limit 0")
        except duckdb.CatalogException as err:
            raise WarehouseError(
                f"{db} has no published rankings: publish an edition first "
                "(`make run` or `digindex publish`)"
            ) from err
        except duckdb.Error as err:
            raise WarehouseError(f"cannot read {db}: {err}") from err
        yield con
    finally:
        con.close()


def query(db: Path, sql: str, params: Sequence[Any] | None = None) -> pd.DataFrame:
    """One query on the warehouse, as a DataFrame."""
    with connect(db) as con:
        return con.execute(sql, list(params or [])).df()


def version(db: Path) -> int:
    """Changes when the warehouse file does (cache key for the dashboard)."""
    db = Path(db)
    stamps = [p.stat().st_mtime_ns for p in (db, db.with_name(db.name + ".wal")) if p.exists()]
    return max(stamps, default=0)


def _framework_sort(frame: pd.DataFrame, then: Sequence[str] = ()) -> pd.DataFrame:
    """Peer groups in the report's order (district, county, zone), then by `then`."""
    key = {fw: i for i, fw in enumerate(FRAMEWORK_ORDER)}
    order = frame["framework_code"].map(lambda f: key.get(f, 99))
    return (
        frame.assign(_o=order)
        .sort_values(["_o", "framework_code", *then], kind="stable")
        .drop(columns="_o")
        .reset_index(drop=True)
    )


def editions(db: Path) -> list[int]:
    frame = query(db, "select distinct edition from published.rankings order by 1 desc")
    return [int(e) for e in frame["edition"]]


def frameworks(db: Path, edition: int) -> pd.DataFrame:
    """The peer groups of an edition: code, index name (zh, en), peer group, region count."""
    frame = query(
        db,
        """
        select k.framework_code, i.name_zh, i.name_en,
               coalesce(min(k.peer_group_zh), min(k.framework_code)) as peer_group_zh,
               max(k.peer_count) as regions
        from published.rankings as k
        left join published.indicators as i
            on i.framework_code = k.framework_code and i.level = 0
        where k.edition = ?
        group by all""",
        [edition],
    )
    return _framework_sort(frame)


def indicators(db: Path, framework: str, level: int | None = None) -> pd.DataFrame:
    """The indicator tree of a framework (one level or all), in the report's order."""
    where = "" if level is None else " and level = ?"
    return query(
        db,
        f"""
        select node_code, parent_code, level, name_zh, name_en, local_weight,
               effective_weight, is_leaf, sort_order
        from published.indicators
        where framework_code = ?{where}
        order by sort_order""",
        [framework] if level is None else [framework, level],
    )


_REGION_COLUMNS = "g.full_name, g.prefecture, g.region_type_zh, " + ", ".join(
    f"g.{f}" for f in FLAGS
)


def _with_level1(db: Path, edition: int, framework: str, base: pd.DataFrame) -> pd.DataFrame:
    """`base` (one row per region_code) with one column per first-level indicator score."""
    level1 = query(
        db,
        """
        select region_code, node_code, score
        from published.indicator_scores
        where edition = ? and framework_code = ? and level = 1""",
        [edition, framework],
    )
    if level1.empty:
        return base
    order = indicators(db, framework, 1)["node_code"].tolist()
    wide = level1.pivot(index="region_code", columns="node_code", values="score")
    wide = wide[[c for c in order if c in wide.columns]].reset_index()
    wide.columns.name = None
    return base.merge(wide, on="region_code", how="left")


def rankings(db: Path, edition: int, framework: str) -> pd.DataFrame:
    """A peer group's published ranking: rank, percentile, peer mean, province rank, region
    details and flags, the composite, and one column per first-level indicator."""
    base = query(
        db,
        f"""
        select k.rank, k.region_code, k.region_name, k.province, {_REGION_COLUMNS},
               k.composite_score, k.composite_score_1dp, k.peer_count, k.percentile,
               k.peer_mean, k.vs_peer_mean, k.province_rank, k.province_count
        from published.rankings as k
        join published.regions as g using (region_code)
        where k.edition = ? and k.framework_code = ?
        order by k.rank, k.region_name""",
        [edition, framework],
    )
    return _with_level1(db, edition, framework, base)


def indicator_ranking(db: Path, edition: int, framework: str, node_code: str) -> pd.DataFrame:
    """A peer group ranked on one indicator (any level): its published score, peer rank,
    percentile and peer mean, the region details and flags, the composite and the
    first-level scores."""
    base = query(
        db,
        f"""
        select s.peer_rank as rank, s.region_code, s.region_name, g.province,
               {_REGION_COLUMNS}, s.score, s.score_1dp, s.peer_count, s.percentile,
               s.peer_mean, k.rank as composite_rank, k.composite_score,
               k.composite_score_1dp
        from published.indicator_scores as s
        join published.regions as g using (region_code)
        join published.rankings as k
            on k.edition = s.edition and k.region_code = s.region_code
        where s.edition = ? and s.framework_code = ? and s.node_code = ?
        order by s.peer_rank, s.region_name""",
        [edition, framework, node_code],
    )
    return _with_level1(db, edition, framework, base)


def scores(db: Path, edition: int, framework: str, levels: Sequence[int] = (0, 1)) -> pd.DataFrame:
    """Long scores of a peer group on the given levels, with indicator names and order, and
    each score's published peer rank and the published peer-group mean of its node."""
    marks = ", ".join("?" for _ in levels)
    return query(
        db,
        f"""
        select s.region_code, s.region_name, s.node_code, s.level, s.name_zh, s.name_en,
               s.parent_code, s.sort_order, s.score, s.peer_rank, s.peer_count, s.peer_mean
        from published.indicator_scores as s
        join published.rankings as k
            on k.edition = s.edition and k.region_code = s.region_code
        where s.edition = ? and s.framework_code = ? and s.level in ({marks})
        order by s.sort_order, k.rank""",
        [edition, framework, *levels],
    )


def regions(db: Path, edition: int) -> pd.DataFrame:
    """Every ranked region of an edition with its peer group, published rank, percentile,
    province rank and composite, and where it is (for the map)."""
    frame = query(
        db,
        """
        select k.framework_code, k.rank, k.region_code, k.region_name, g.full_name,
               coalesce(k.peer_group_zh, k.framework_code) as peer_group_zh, k.province,
               g.prefecture, g.region_type_zh, g.adcode,
               g.host_adcode, g.host_prefecture, g.host_district, k.composite_score,
               k.composite_score_1dp, k.peer_count, k.percentile, k.peer_mean,
               k.vs_peer_mean, k.province_rank, k.province_count
        from published.rankings as k
        join published.regions as g using (region_code)
        where k.edition = ?
        order by k.framework_code, k.rank""",
        [edition],
    )
    return _framework_sort(frame, ["rank"])


def region_info(db: Path, region_code: str) -> dict[str, Any]:
    frame = query(db, "select * from published.regions where region_code = ?", [region_code])
    if frame.empty:
        raise WarehouseError(f"no published region {region_code!r}")
    return {
        k: None if v is None or (not isinstance(v, str) and pd.isna(v)) else v
        for k, v in frame.iloc[0].to_dict().items()
    }


def node_scores(db: Path, edition: int, region_code: str, level: int) -> pd.DataFrame:
    """A region's published score on every node of a level, with its peer rank, percentile
    and the peer-group mean (all from ``published.indicator_scores``), in the report's
    order."""
    return query(
        db,
        """
        select s.node_code, s.name_zh, s.name_en, s.parent_code,
               parent.name_zh as parent_zh, parent.name_en as parent_en, s.sort_order,
               s.score, s.score_1dp, s.peer_mean, s.score - s.peer_mean as vs_mean,
               s.peer_rank, s.peer_count, s.percentile
        from published.indicator_scores as s
        left join published.indicators as parent
            on parent.framework_code = s.framework_code and parent.node_code = s.parent_code
        where s.edition = ? and s.region_code = ? and s.level = ?
        order by s.sort_order""",
        [edition, region_code, level],
    )


def province_peers(db: Path, edition: int, region_code: str) -> pd.DataFrame:
    """The regions of the region's peer group in its province, by published province rank."""
    return query(
        db,
        """
        select k.province_rank, k.province_count, k.region_code, k.region_name, k.rank,
               k.peer_count, k.composite_score, k.composite_score_1dp, k.province
        from published.rankings as k
        join published.rankings as mine
            on mine.edition = k.edition and mine.framework_code = k.framework_code
            and mine.province = k.province
        where k.edition = ? and mine.region_code = ?
        order by k.province_rank, k.rank""",
        [edition, region_code],
    )


def metric_values(db: Path, edition: int, region_code: str) -> pd.DataFrame:
    """A region's raw metric values with their units, directions and source hints, under the
    indicators they feed: the leaf indicator (node_*), its first-level ancestor (level1_*)
    and, for a leaf below the second level, its second-level ancestor (level2_*; otherwise
    the leaf itself), in the report's order."""
    frame = query(
        db,
        """
        select v.framework_code, i.node_code, i.name_zh as node_zh, i.name_en as node_en,
               i.sort_order as node_order, v.metric_code, m.name_zh, m.name_en, v.raw_value,
               m.unit, m.value_type, m.direction, m.weight, m.source_hint, v.score,
               v.peer_rank, k.peer_count
        from published.metric_values as v
        join published.metrics as m
            on m.framework_code = v.framework_code and m.metric_code = v.metric_code
        join published.indicators as i
            on i.framework_code = v.framework_code and i.node_code = v.node_code
        join published.rankings as k
            on k.edition = v.edition and k.region_code = v.region_code
        where v.edition = ? and v.region_code = ?
        order by i.sort_order, m.weight desc, v.metric_code""",
        [edition, region_code],
    )
    if frame.empty:
        return frame
    tree = indicators(db, str(frame["framework_code"].iloc[0])).set_index("node_code")

    def ancestor(code: str, level: int) -> str:
        while code in tree.index and int(tree.at[code, "level"]) > level:
            parent = tree.at[code, "parent_code"]
            if not isinstance(parent, str):
                break
            code = parent
        return code

    for level in (1, 2):
        codes = [ancestor(c, level) for c in frame["node_code"]]
        frame[f"level{level}_code"] = codes
        frame[f"level{level}_zh"] = [tree.at[c, "name_zh"] for c in codes]
        frame[f"level{level}_en"] = [tree.at[c, "name_en"] for c in codes]
        frame[f"level{level}_order"] = [tree.at[c, "sort_order"] for c in codes]
    return frame.sort_values(
        ["level1_order", "level2_order", "node_order"], kind="stable"
    ).reset_index(drop=True)


def compare(
    db: Path, edition: int, region_codes: Sequence[str], levels: Sequence[int] = (0, 1, 2)
) -> pd.DataFrame:
    """Long published scores of a few regions on the given levels, in the report's order."""
    if not region_codes:
        return pd.DataFrame(
            columns=[
                "region_code",
                "region_name",
                "node_code",
                "level",
                "name_zh",
                "name_en",
                "parent_code",
                "sort_order",
                "score",
                "score_1dp",
                "peer_rank",
                "peer_count",
                "percentile",
                "peer_mean",
            ]
        )
    codes = ", ".join("?" for _ in region_codes)
    marks = ", ".join("?" for _ in levels)
    return query(
        db,
        f"""
        select region_code, region_name, node_code, level, name_zh, name_en, parent_code,
               sort_order, score, score_1dp, peer_rank, peer_count, percentile, peer_mean
        from published.indicator_scores
        where edition = ? and region_code in ({codes}) and level in ({marks})
        order by sort_order, region_code""",
        [edition, *region_codes, *levels],
    )


def map_scores(db: Path, edition: int, framework: str, node_code: str) -> pd.DataFrame:
    """The published score, peer rank and percentile of a peer group on one indicator."""
    return query(
        db,
        """
        select region_code, score, score_1dp, peer_rank, peer_count, percentile, peer_mean
        from published.indicator_scores
        where edition = ? and framework_code = ? and node_code = ?""",
        [edition, framework, node_code],
    )


def peer_summary(db: Path, edition: int, framework: str | None = None) -> pd.DataFrame:
    """The stated averages of the report beside the computed and printed means."""
    where = "" if framework is None else " and p.framework_code = ?"
    frame = query(
        db,
        f"""
        select p.framework_code, p.node_code, p.level, p.name_zh, p.name_as_stated,
               i.name_en, p.region_count, p.computed_mean, p.stated_average,
               p.stated_yoy_change, p.printed_table_mean, p.computed_minus_stated,
               p.offset_difference
        from published.peer_group_summary as p
        left join published.indicators as i
            on i.framework_code = p.framework_code and i.node_code = p.node_code
        where p.edition = ?{where}
        order by p.framework_code, p.level, i.sort_order""",
        [edition] if framework is None else [edition, framework],
    )
    return _framework_sort(frame) if framework is None else frame


# --- uncertainty and sensitivity (empty when the index declares no analysis) --------------

# output_code of published.sensitivity_indices → (Chinese, English), the default first
OUTPUTS: dict[str, tuple[str, str]] = {
    "mean_abs_rank_shift": ("平均排名变动", "mean |rank − nominal rank|"),
    "composite_rank": ("各地区排名", "the ranks of every region"),
}
DEFAULT_OUTPUT = "mean_abs_rank_shift"


def _optional(db: Path, sql: str, params: Sequence[Any]) -> pd.DataFrame:
    """A query on a table a warehouse may lack: the uncertainty analysis's (no rows when
    the index declares no analysis) and the changes between editions' (no rows with one
    edition). No rows either, and no columns, from a warehouse published before the table
    existed (it is missing there)."""
    with connect(db) as con:
        try:
            return con.execute(sql, list(params)).df()
        except duckdb.CatalogException:
            return pd.DataFrame()


# published.rank_uncertainty beside the peer group's size (rankings.peer_count)
RANK_UNCERTAINTY = """
    select u.framework_code, u.region_code, u.region_name, u.nominal_rank, u.nominal_score,
           u.n_replications, u.rank_median, u.rank_mean, u.rank_p05, u.rank_p95,
           u.interval_width, u.rank_best, u.rank_worst, u.top_n, u.p_top_n, k.peer_count
    from published.rank_uncertainty as u
    left join published.rankings as k
        on k.edition = u.edition and k.region_code = u.region_code"""


def rank_uncertainty(db: Path, edition: int, framework: str) -> pd.DataFrame:
    """A peer group's rank intervals over the uncertainty analysis, by nominal (published)
    rank: nominal rank and score, median and mean rank, the 90 % interval (rank_p05,
    rank_p95) and its width, best and worst rank, P(top n) — as published in
    ``published.rank_uncertainty``."""
    return _optional(
        db,
        RANK_UNCERTAINTY
        + " where u.edition = ? and u.framework_code = ? order by u.nominal_rank, u.region_name",
        [edition, framework],
    )


def region_uncertainty(db: Path, edition: int, region_code: str) -> pd.DataFrame:
    """One region's row of ``published.rank_uncertainty`` (no row: no analysis)."""
    return _optional(
        db, RANK_UNCERTAINTY + " where u.edition = ? and u.region_code = ?", [edition, region_code]
    )


def rank_distribution(db: Path, edition: int, region_code: str) -> pd.DataFrame:
    """The ranks a region takes over the replications and how often (``share``), by rank."""
    return _optional(
        db,
        """
        select rank, n_replications, share
        from published.rank_distribution
        where edition = ? and region_code = ?
        order by rank""",
        [edition, region_code],
    )


def sensitivity(db: Path, edition: int, framework: str) -> pd.DataFrame:
    """A peer group's Sobol' indices (S1, ST and their 90 % bootstrap intervals) of every
    uncertain choice for each output, the choices in the specification's order."""
    return _optional(
        db,
        """
        select output_code, choice_code, choice_kind, choice_name_zh, choice_name_en,
               choice_position, s1, s1_lower, s1_upper, st, st_lower, st_upper,
               n_base_samples, n_resamples
        from published.sensitivity_indices
        where edition = ? and framework_code = ?
        order by output_code, choice_position, choice_code""",
        [edition, framework],
    )


def outputs(frame: pd.DataFrame) -> list[str]:
    """The output codes of data.sensitivity() rows, the default (COINr's) first."""
    if frame.empty:
        return []
    known = list(OUTPUTS)
    return sorted(
        set(frame["output_code"]),
        key=lambda c: (known.index(c) if c in known else len(known), c),
    )


# --- editions and what changed between them (no rows with one edition) ------------------

# link_kind of published.region_links → (Chinese, English)
LINK_KINDS: dict[str, tuple[str, str]] = {
    "same": ("同一地区", "same region"),
    "renamed": ("更名", "renamed"),
    "recoded": ("改码", "new code"),
    "merged": ("合并", "merged"),
    "split": ("拆分", "split"),
    "new": ("新进", "new"),
    "unrecorded": ("退出", "left, no record"),
}

# direction of published.movers → (Chinese, English, arrow)
DIRECTIONS: dict[str, tuple[str, str, str]] = {
    "riser": ("上升", "riser", "↑"),
    "faller": ("下降", "faller", "↓"),
}


def synthetic_editions(db: Path) -> list[int]:
    """The editions no printed report stands behind, of an index that has one for another
    edition: the shipped index's earlier edition (2021), whose every score — the composite
    included — comes from synthetic values (the report publishes no 2021 ranking). None for
    an index without any printed reference (an index folder)."""
    frame = _optional(
        db,
        """
        select edition
        from published.reconciliation_summary
        group by edition
        having not bool_or(has_reference)
           and (select bool_or(has_reference) from published.reconciliation_summary)
        order by edition""",
        [],
    )
    return [] if frame.empty else [int(e) for e in frame["edition"]]


def edition_text(edition: Any, synthetic: Sequence[int]) -> str:
    """'2022', or '2021 (合成 SYNTHETIC)' for an edition of synthetic data."""
    if edition is None or (not isinstance(edition, str) and pd.isna(edition)):
        return "–"
    return f"{int(edition)} (合成 SYNTHETIC)" if int(edition) in synthetic else str(int(edition))


def rank_changes(db: Path, edition: int, framework: str, node_code: str) -> pd.DataFrame:
    """A peer group's regions against the previous edition on one node (the composite: its
    root): how each is linked to its predecessor (``published.region_links``; 'new' without
    one) and its published score and rank changes (``published.score_changes``; none for a
    new region). One row per link: a region merged from several has one per predecessor."""
    return _optional(
        db,
        """
        select l.region_code, l.previous_edition, l.previous_region_code,
               p.region_name as previous_region_name, l.link_kind, l.is_like_for_like,
               l.succession_year, c.previous_score, c.score_change, c.previous_rank,
               c.rank_change, c.comparable_rank_change, c.previous_peer_count,
               c.comparable_count
        from published.region_links as l
        left join published.score_changes as c
            on c.edition = l.edition and c.region_code = l.region_code
            and c.previous_region_code = l.previous_region_code and c.node_code = ?
        left join published.regions as p on p.region_code = l.previous_region_code
        where l.edition = ? and l.framework_code = ? and l.region_in_edition
        order by l.region_code, l.previous_region_code = l.region_code desc,
                 l.previous_region_code""",
        [node_code, edition, framework],
    )


# a region's lineage over the editions: the region in an edition and, through
# published.region_links, its predecessors in the earlier editions and its successors in the
# later ones (itself, or the units it was renamed, re-coded, merged or split from or into)
_LINEAGE = """
    with recursive
    earlier(edition, region_code, step) as (
        select cast(? as integer), cast(? as varchar), 0
        union all
        select l.previous_edition, l.previous_region_code, e.step + 1
        from earlier as e
        join published.region_links as l
            on l.edition = e.edition and l.region_code = e.region_code
        where l.previous_region_code is not null and e.step < 100
    ),
    later(edition, region_code, step) as (
        select cast(? as integer), cast(? as varchar), 0
        union all
        select l.edition, l.region_code, e.step + 1
        from later as e
        join published.region_links as l
            on l.previous_edition = e.edition and l.previous_region_code = e.region_code
        where l.region_code is not null and l.region_in_edition and e.step < 100
    ),
    lineage as (
        select distinct edition, region_code
        from (
            select edition, region_code from earlier
            union all
            select edition, region_code from later
        ) as linked
    )"""


def region_history(db: Path, edition: int, region_code: str) -> pd.DataFrame:
    """The region's published composite, rank and percentile in every edition of its
    lineage (oldest first), each with its link to the previous edition (link_kind 'new':
    none) and the published changes of its composite (``published.score_changes``, level
    0). No rows from a warehouse published before the links existed."""
    return _optional(
        db,
        _LINEAGE
        + """
        select k.edition, k.framework_code, k.region_code, k.region_name, k.composite_score,
               k.composite_score_1dp, k.rank, k.peer_count, k.percentile, l.previous_edition,
               l.previous_region_code, p.region_name as previous_region_name, l.link_kind,
               l.is_like_for_like, l.succession_year, c.score_change, c.previous_rank,
               c.rank_change, c.comparable_rank_change
        from lineage
        join published.rankings as k using (edition, region_code)
        left join published.region_links as l
            on l.edition = k.edition and l.region_code = k.region_code
        left join published.score_changes as c
            on c.edition = l.edition and c.region_code = l.region_code
            and c.previous_region_code = l.previous_region_code and c.level = 0
        left join published.regions as p on p.region_code = l.previous_region_code
        order by k.edition, k.region_code, l.previous_region_code""",
        [edition, region_code, edition, region_code],
    )


def history_scores(
    db: Path, edition: int, region_code: str, levels: Sequence[int] = (0, 1)
) -> pd.DataFrame:
    """The published scores and peer ranks of the region's lineage (see region_history) on
    the given levels, in every edition, in the report's order."""
    marks = ", ".join("?" for _ in levels)
    return _optional(
        db,
        _LINEAGE
        + f"""
        select s.edition, s.region_code, s.region_name, s.node_code, s.level, s.name_zh,
               s.name_en, s.sort_order, s.score, s.score_1dp, s.peer_rank, s.peer_count
        from lineage
        join published.indicator_scores as s using (edition, region_code)
        where s.level in ({marks})
        order by s.sort_order, s.edition, s.region_code""",
        [edition, region_code, edition, region_code, *levels],
    )


def peer_group_changes(
    db: Path, edition: int, framework: str | None = None, levels: Sequence[int] = (0, 1)
) -> pd.DataFrame:
    """How the peer-group averages moved since the previous edition, as published in
    ``published.peer_group_changes``: as published (each edition's own regions),
    like-for-like (the regions in both) and as the report's text states, with the regions
    that entered and left; the nodes of the given levels, named, in the report's order."""
    where = "" if framework is None else " and c.framework_code = ?"
    marks = ", ".join("?" for _ in levels)
    frame = _optional(
        db,
        f"""
        select c.edition, c.previous_edition, c.framework_code, c.node_code, c.level,
               i.name_zh, i.name_en, i.sort_order, c.region_count, c.previous_region_count,
               c.like_for_like_count, c.entered_count, c.left_count, c.is_like_for_like,
               c.mean_score, c.previous_mean_score, c.mean_change, c.like_for_like_mean,
               c.like_for_like_previous_mean, c.like_for_like_change, c.stated_average,
               c.stated_change, c.stated_previous_average
        from published.peer_group_changes as c
        left join published.indicators as i
            on i.framework_code = c.framework_code and i.node_code = c.node_code
        where c.edition = ?{where} and c.level in ({marks})
        order by c.framework_code, c.level, i.sort_order, c.node_code""",
        [edition, *([] if framework is None else [framework]), *levels],
    )
    return frame if frame.empty else _framework_sort(frame, ["level", "sort_order"])


def movers(db: Path, edition: int, framework: str | None = None) -> pd.DataFrame:
    """The published risers and fallers (``published.movers``) — the risers first, each
    way by position — with the names of their main indicator and metric and the peer
    group's size."""
    where = "" if framework is None else " and m.framework_code = ?"
    frame = _optional(
        db,
        f"""
        select m.edition, m.previous_edition, m.framework_code, m.direction, m.position,
               m.region_code, m.region_name, m.previous_region_code,
               p.region_name as previous_region_name, m.link_kind, m.score,
               m.previous_score, m.score_change, m.rank, m.previous_rank, m.rank_change,
               m.comparable_rank_change, k.peer_count, m.main_indicator_code,
               i.name_zh as main_indicator_zh, i.name_en as main_indicator_en,
               m.main_indicator_contribution, m.main_metric_code,
               t.name_zh as main_metric_zh, t.name_en as main_metric_en,
               m.main_metric_contribution,
               case m.direction when 'riser' then 0 else 1 end as direction_order
        from published.movers as m
        left join published.rankings as k
            on k.edition = m.edition and k.region_code = m.region_code
        left join published.regions as p on p.region_code = m.previous_region_code
        left join published.indicators as i
            on i.framework_code = m.framework_code and i.node_code = m.main_indicator_code
        left join published.metrics as t
            on t.framework_code = m.framework_code and t.metric_code = m.main_metric_code
        where m.edition = ?{where}
        order by m.framework_code, direction_order, m.position""",
        [edition] if framework is None else [edition, framework],
    )
    if frame.empty:
        return frame
    return _framework_sort(frame, ["direction_order", "position"]).drop(columns="direction_order")


def contributions(
    db: Path, edition: int, region_code: str, previous_region_code: str, level: int = 0
) -> pd.DataFrame:
    """How a region's score change on the nodes of a level (0: the composite) splits into
    its children's contributions, as published in ``published.score_change_contributions``
    (they add up to the node's change), the children named, in the report's order."""
    return _optional(
        db,
        """
        select c.node_code, c.level, c.aggregation, c.child_code, c.child_kind,
               coalesce(i.name_zh, t.name_zh, c.child_code) as child_zh,
               coalesce(i.name_en, t.name_en) as child_en, c.weight, c.score,
               c.previous_score, c.node_score, c.previous_node_score, c.node_score_change,
               c.contribution, c.contribution_to_composite
        from published.score_change_contributions as c
        left join published.indicators as i
            on c.child_kind = 'node' and i.framework_code = c.framework_code
            and i.node_code = c.child_code
        left join published.metrics as t
            on c.child_kind = 'metric' and t.framework_code = c.framework_code
            and t.metric_code = c.child_code
        where c.edition = ? and c.region_code = ? and c.previous_region_code = ?
          and c.level = ?
        order by c.node_code, i.sort_order nulls last, t.weight desc nulls last,
                 c.child_code""",
        [edition, region_code, previous_region_code, level],
    )


# status of published.reconciliation → (Chinese, English)
STATUSES: dict[str, tuple[str, str]] = {
    "match": ("一致", "reproduced"),
    "rank_mismatch": ("排名不同", "rank differs"),
    "score_mismatch": ("得分不同", "score differs"),
    "not_in_reference": ("报告未列", "not in the printed report"),
    "not_computed": ("未计算", "not computed"),
}

# kind of published.published_table_audit → (Chinese, English)
AUDIT_KINDS: dict[str, tuple[str, str]] = {
    "tied_scores": ("并列得分", "tied scores"),
    "inverted_pair": ("顺序颠倒", "pair out of score order"),
    "footnote_overlap": ("脚注重复", "region counted twice (footnote)"),
    "stated_average_vs_table": ("均值不符", "stated average vs the table"),
    "statement_mismatch": ("表述不符", "text contradicts the table"),
    "indicator_name_mismatch": ("指标名不符", "indicator named differently"),
}


def human(mapping: dict[str, tuple[str, str]], code: Any) -> str:
    """'排名不同 rank differs' for a status or kind code; the code itself when unknown."""
    if code is None or (not isinstance(code, str) and pd.isna(code)):
        return ""
    zh, en = mapping.get(str(code), ("", str(code).replace("_", " ")))
    return f"{zh} {en}".strip()


def reconciliation(db: Path, edition: int) -> pd.DataFrame:
    frame = query(
        db,
        """
        select framework_code, region_code, region_name, printed_rank, computed_rank,
               rank_difference, printed_score, composite_score_1dp, composite_score,
               score_difference, status, reason
        from published.reconciliation
        where edition = ?
        order by framework_code, coalesce(printed_rank, computed_rank)""",
        [edition],
    )
    return _framework_sort(frame)


def reconciliation_summary(db: Path, edition: int) -> pd.DataFrame:
    """Per peer group: the one published count of reproduced scores (and what has no
    printed reference)."""
    frame = query(
        db,
        """
        select s.framework_code, f.peer_group_zh, s.computed_regions, s.reference_regions,
               s.has_reference, s.scores_reproduced, s.score_mismatches, s.ranks_differ,
               s.not_in_reference, s.not_computed
        from published.reconciliation_summary as s
        left join (select framework_code,
                          coalesce(min(peer_group_zh), min(framework_code)) as peer_group_zh
                   from published.rankings where edition = ? group by 1) as f
            using (framework_code)
        where s.edition = ?""",
        [edition, edition],
    )
    return _framework_sort(frame)


def reproduced_text(row: Any) -> str:
    """'120 / 120' (reproduced of the printed reference), or 'no printed reference'."""
    if not bool(row["has_reference"]):
        return "无报告对照 no printed reference"
    return f"{int(row['scores_reproduced'])} / {int(row['reference_regions'])}"


def audit(db: Path, edition: int) -> pd.DataFrame:
    frame = query(
        db,
        """
        select finding_id, framework_code, kind, regions, evidence
        from published.published_table_audit
        where edition = ?
        order by framework_code, kind, finding_id""",
        [edition],
    )
    return _framework_sort(frame)


def publications(db: Path, edition: int | None = None) -> pd.DataFrame:
    where = "" if edition is None else " where edition = ?"
    return query(
        db,
        f"""
        select run_id, edition, published_at, git_commit, inputs_sha256, suite_results,
               row_counts
        from published.publication_log{where}
        order by published_at desc""",
        [] if edition is None else [edition],
    )


# --- 对标 benchmarking ---------------------------------------------------------------------


def region_tiers(db: Path, edition: int, framework: str) -> pd.DataFrame:
    """Each region's tier under the peer group's default scheme (published.region_tiers):
    names, size, points to the tier above, the stability under the uncertainty analysis."""
    return _optional(
        db,
        """select region_code, scheme_code, tier, tier_name_zh, tier_name_en, tier_type_zh,
                  tier_type_en, tier_size, points_to_next_tier, p_same_tier
           from published.region_tiers
           where edition = ? and framework_code = ? and is_default""",
        [edition, framework],
    )


def tier_bounds(db: Path, edition: int, framework: str) -> pd.DataFrame:
    """Every tier scheme's tiers for a peer group (published.tier_bounds)."""
    return _optional(
        db,
        """select scheme_code, method, parameters, is_default, tier, tier_name_zh, tier_name_en,
                  tier_type_zh, tier_type_en, lower_bound, upper_bound
           from published.tier_bounds
           where edition = ? and framework_code = ?
           order by not is_default, scheme_code, tier""",
        [edition, framework],
    )


def region_peers(db: Path, edition: int, region_code: str, scope: str) -> pd.DataFrame:
    """A region's nearest peers in one scope (published.region_peers), with the name of the
    node each is furthest ahead on."""
    return _optional(
        db,
        """select p.peer_order, p.peer_region_code, p.peer_region_name, p.peer_rank,
                  p.peer_composite_score, p.composite_gap, p.distance, p.n_nodes_ahead,
                  p.n_profile_nodes, p.profile_level, p.top_gap_node_code, p.top_gap_points,
                  i.name_zh as top_gap_name_zh, i.name_en as top_gap_name_en
           from published.region_peers as p
           left join published.indicators as i
             on i.framework_code = p.framework_code and i.node_code = p.top_gap_node_code
           where p.edition = ? and p.region_code = ? and p.scope = ?
           order by p.peer_order""",
        [edition, region_code, scope],
    )


def region_gaps(db: Path, edition: int, region_code: str, other: str | None) -> pd.DataFrame:
    """The gap table (digindex.benchmark_tables.region_gaps: the CLI's query)."""
    from digindex.benchmark_tables import region_gaps as gaps

    with connect(db) as con:
        try:
            return gaps(con, edition, region_code, other)
        except duckdb.CatalogException:
            return pd.DataFrame()


def typology(db: Path, edition: int, framework: str) -> pd.DataFrame:
    """Each region's development type and its place on the typology scatter."""
    return _optional(
        db,
        """select t.region_code, k.region_name, k.rank, k.composite_score, t.cluster_id,
                  t.n_clusters, t.cluster_size, t.silhouette, t.type_name_zh, t.type_name_en,
                  t.strength_node_code, t.strength_gap_points, t.weakness_node_code,
                  t.weakness_gap_points, t.pc1, t.pc2
           from published.region_typology as t
           join published.rankings as k using (edition, region_code)
           where t.edition = ? and t.framework_code = ?
           order by t.cluster_id, k.rank""",
        [edition, framework],
    )


def whatif_metrics(db: Path, edition: int, region_code: str) -> pd.DataFrame:
    """A region's metrics for the what-if sliders: raw value, unit, score, marginal weight
    on the composite, plausible range."""
    return _optional(
        db,
        """select v.metric_code, m.name_zh, m.name_en, m.unit, v.raw_value, v.score,
                  c.marginal_weight, m.plausible_min, m.plausible_max, m.lower_bound,
                  m.upper_bound, m.direction, m.transform
           from published.metric_values as v
           join published.rankings as k using (edition, region_code)
           join published.metrics as m
             on m.framework_code = k.framework_code and m.metric_code = v.metric_code
           left join published.score_contributions as c
             on c.edition = v.edition and c.region_code = v.region_code
            and c.node_kind = 'metric' and c.node_code = v.metric_code and c.ancestor_level = 0
           where v.edition = ? and v.region_code = ?
           order by c.marginal_weight desc nulls last, v.metric_code""",
        [edition, region_code],
    )
