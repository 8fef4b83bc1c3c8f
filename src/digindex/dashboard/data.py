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
def connect(db: Path, attempts: int = 20,
            wait: float = 0.25) -> Iterator[duckdb.DuckDBPyConnection]:
    """A read-only connection, closed on exit; retried while a writer holds the file."""
    db = Path(db)
    if not db.exists():
        raise WarehouseError(f"no warehouse at {db}: build and publish it first (`make run`)")
    con: duckdb.DuckDBPyConnection | None = None
    for attempt in range(attempts):
        try:
            con = duckdb.connect(str(db), read_only=True)
            break
        except duckdb.IOException as err:
            if attempt == attempts - 1:
                raise WarehouseError(
                    f"cannot open {db} read-only ({err}); a writer (dbt or the publisher, "
                    "e.g. `make run`) probably holds it: retry when it has finished") from err
            time.sleep(wait)
    assert con is not None
    try:
        try:
            found = con.execute("select count(*) from information_schema.tables "
                                "where table_schema = 'published' "
                                "and table_name = 'rankings'").fetchone()
        except duckdb.Error as err:
            raise WarehouseError(f"cannot read {db}: {err}") from err
        if not found or not found[0]:
            raise WarehouseError(f"{db} has no published rankings: publish an edition first "
                                 "(`make run` or `digindex publish`)")
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
    return (frame.assign(_o=order).sort_values(["_o", "framework_code", *then], kind="stable")
            .drop(columns="_o").reset_index(drop=True))


def editions(db: Path) -> list[int]:
    frame = query(db, "select distinct edition from published.rankings order by 1 desc")
    return [int(e) for e in frame["edition"]]


def frameworks(db: Path, edition: int) -> pd.DataFrame:
    """The peer groups of an edition: code, index name (zh, en), peer group, region count."""
    frame = query(db, """
        select k.framework_code, i.name_zh, i.name_en,
               min(g.peer_group_zh) as peer_group_zh, count(*) as regions
        from published.rankings as k
        join published.regions as g using (region_code)
        left join published.indicators as i
            on i.framework_code = k.framework_code and i.level = 0
        where k.edition = ?
        group by all""", [edition])
    return _framework_sort(frame)


def indicators(db: Path, framework: str, level: int | None = None) -> pd.DataFrame:
    """The indicator tree of a framework (one level or all), in the report's order."""
    where = "" if level is None else " and level = ?"
    return query(db, f"""
        select node_code, parent_code, level, name_zh, name_en, local_weight,
               effective_weight, is_leaf, sort_order
        from published.indicators
        where framework_code = ?{where}
        order by sort_order""", [framework] if level is None else [framework, level])


def rankings(db: Path, edition: int, framework: str) -> pd.DataFrame:
    """A peer group's ranking: rank, region, flags, composite, one column per 1st-level node."""
    base = query(db, f"""
        select k.rank, k.region_code, k.region_name, g.full_name, g.province, g.prefecture,
               g.region_type_zh, {", ".join(f"g.{f}" for f in FLAGS)},
               k.composite_score, k.composite_score_1dp
        from published.rankings as k
        join published.regions as g using (region_code)
        where k.edition = ? and k.framework_code = ?
        order by k.rank, k.region_name""", [edition, framework])
    level1 = query(db, """
        select s.region_code, s.node_code, s.score
        from published.indicator_scores as s
        where s.edition = ? and s.framework_code = ? and s.level = 1""", [edition, framework])
    if level1.empty:
        return base
    order = indicators(db, framework, 1)["node_code"].tolist()
    wide = level1.pivot(index="region_code", columns="node_code", values="score")
    wide = wide[[c for c in order if c in wide.columns]].reset_index()
    wide.columns.name = None
    return base.merge(wide, on="region_code", how="left")


def scores(db: Path, edition: int, framework: str, levels: Sequence[int] = (0, 1)) -> pd.DataFrame:
    """Long scores of a peer group on the given levels, with indicator names and order."""
    marks = ", ".join("?" for _ in levels)
    return query(db, f"""
        select s.region_code, k.region_name, s.node_code, s.level, i.name_zh, i.name_en,
               i.parent_code, i.sort_order, s.score
        from published.indicator_scores as s
        join published.indicators as i
            on i.framework_code = s.framework_code and i.node_code = s.node_code
        join published.rankings as k
            on k.edition = s.edition and k.region_code = s.region_code
        where s.edition = ? and s.framework_code = ? and s.level in ({marks})
        order by i.sort_order, k.rank""", [edition, framework, *levels])


def regions(db: Path, edition: int) -> pd.DataFrame:
    """Every ranked region of an edition with its peer group, rank and composite."""
    frame = query(db, """
        select k.framework_code, k.rank, k.region_code, k.region_name, g.full_name,
               g.peer_group_zh, g.province, g.prefecture, g.region_type_zh, g.adcode,
               g.host_adcode, g.host_prefecture, g.host_district, k.composite_score,
               k.composite_score_1dp,
               count(*) over (partition by k.framework_code) as peer_count
        from published.rankings as k
        join published.regions as g using (region_code)
        where k.edition = ?
        order by k.framework_code, k.rank""", [edition])
    return _framework_sort(frame, ["rank"])


def region_info(db: Path, region_code: str) -> dict[str, Any]:
    frame = query(db, "select * from published.regions where region_code = ?", [region_code])
    if frame.empty:
        raise WarehouseError(f"no published region {region_code!r}")
    return {k: None if v is None or (not isinstance(v, str) and pd.isna(v)) else v
            for k, v in frame.iloc[0].to_dict().items()}


def node_ranks(db: Path, edition: int, region_code: str, level: int) -> pd.DataFrame:
    """A region's score on every node of a level, the peer-group mean, its rank among peers.

    Ranks are competition ranks within the peer group (1 = the highest score); ``percentile``
    is the share of peers it scores at or above. Sorted by rank (strengths first).
    """
    return query(db, """
        with peers as (
            select s.region_code, s.node_code, s.score,
                   rank() over (partition by s.node_code order by s.score desc) as peer_rank,
                   count(*) over (partition by s.node_code) as peer_count,
                   avg(s.score) over (partition by s.node_code) as peer_mean,
                   percent_rank() over (partition by s.node_code order by s.score) as percentile
            from published.indicator_scores as s
            where s.edition = ? and s.level = ?
              and s.framework_code = (select framework_code from published.regions
                                      where region_code = ?)
        )
        select p.node_code, i.name_zh, i.name_en, i.parent_code, parent.name_zh as parent_zh,
               i.sort_order, p.score, p.peer_mean, p.score - p.peer_mean as vs_mean,
               p.peer_rank, p.peer_count, p.percentile
        from peers as p
        join published.regions as g on g.region_code = p.region_code
        join published.indicators as i
            on i.framework_code = g.framework_code and i.node_code = p.node_code
        left join published.indicators as parent
            on parent.framework_code = i.framework_code and parent.node_code = i.parent_code
        where p.region_code = ?
        order by p.peer_rank, vs_mean desc, i.sort_order""",
        [edition, level, region_code, region_code])


def province_rank(db: Path, edition: int, region_code: str) -> dict[str, Any]:
    """The region's rank among the regions of its peer group in the same province."""
    frame = query(db, """
        with mine as (select framework_code, province from published.regions
                      where region_code = ?)
        select k.region_code, k.region_name, k.rank as peer_rank, k.composite_score,
               rank() over (order by k.composite_score desc) as province_rank,
               count(*) over () as province_count, g.province
        from published.rankings as k
        join published.regions as g using (region_code)
        join mine on mine.framework_code = g.framework_code and mine.province = g.province
        where k.edition = ?
        order by province_rank""", [region_code, edition])
    mine = frame[frame["region_code"] == region_code]
    if mine.empty:
        return {"rank": None, "count": 0, "province": None, "peers": frame}
    row = mine.iloc[0]
    return {"rank": int(row["province_rank"]), "count": int(row["province_count"]),
            "province": row["province"], "peers": frame}


def peer_summary(db: Path, edition: int, framework: str | None = None) -> pd.DataFrame:
    """The stated averages of the report beside the computed and printed means."""
    where = "" if framework is None else " and p.framework_code = ?"
    frame = query(db, f"""
        select p.framework_code, p.node_code, p.level, p.name_zh, p.name_as_stated,
               i.name_en, p.region_count, p.computed_mean, p.stated_average,
               p.stated_yoy_change, p.printed_table_mean, p.computed_minus_stated,
               p.offset_difference
        from published.peer_group_summary as p
        left join published.indicators as i
            on i.framework_code = p.framework_code and i.node_code = p.node_code
        where p.edition = ?{where}
        order by p.framework_code, p.level, i.sort_order""",
        [edition] if framework is None else [edition, framework])
    return _framework_sort(frame) if framework is None else frame


def reconciliation(db: Path, edition: int) -> pd.DataFrame:
    frame = query(db, """
        select framework_code, region_code, region_name, printed_rank, computed_rank,
               rank_difference, printed_score, composite_score_1dp, composite_score,
               score_difference, status, reason
        from published.reconciliation
        where edition = ?
        order by framework_code, printed_rank""", [edition])
    return _framework_sort(frame)


def audit(db: Path, edition: int) -> pd.DataFrame:
    frame = query(db, """
        select finding_id, framework_code, kind, regions, evidence
        from published.published_table_audit
        where edition = ?
        order by framework_code, kind, finding_id""", [edition])
    return _framework_sort(frame)


def publications(db: Path, edition: int | None = None) -> pd.DataFrame:
    where = "" if edition is None else " where edition = ?"
    return query(db, f"""
        select run_id, edition, published_at, git_commit, inputs_sha256, suite_results,
               row_counts
        from published.publication_log{where}
        order by published_at desc""", [] if edition is None else [edition])
