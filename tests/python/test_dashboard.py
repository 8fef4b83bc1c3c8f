"""The dashboard: its queries read the published schema (displaying the ranks, percentiles,
means and reproduced counts published there, computing none) without holding the
warehouse, and the Streamlit app, started as `make dashboard` starts it, renders every page
from its own URL in Debian's Chromium (driven by Playwright) with no request leaving this
machine, no header or label cut off, score axes from 0 and legends whole.

One server and one browser serve every page. Screenshots of every page go to
build/test-artifacts/dashboard-*.png.
"""

from __future__ import annotations

import base64
import inspect
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pandas as pd
import plotly.graph_objects as go
import pytest
from streamlit.testing.v1 import AppTest
from streamlit.util import calc_hash

from _browser import (
    ARTIFACTS,
    LEGENDS_CUT_JS,
    SETTLED_JS,
    TRUNCATED_JS,
    chromium_context,
    full_screenshot,
)
from _project import one_edition, without_analysis, without_reference
from _repo import REPO_ROOT
from digindex.dashboard import charts, data
from digindex.dashboard.launch import APP, streamlit_command

SERVER_START_S = 60
PAGE_MS = 45_000


# --- the data layer --------------------------------------------------------------------


@pytest.fixture(scope="module")
def warehouse_copy(warehouse: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the published warehouse: these tests also open it for writing."""
    target = tmp_path_factory.mktemp("dashboard") / "wh.duckdb"
    shutil.copy2(warehouse, target)
    return target


@pytest.fixture(scope="module")
def bare_warehouse(warehouse_copy: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return without_analysis(warehouse_copy, tmp_path_factory.mktemp("bare") / "wh.duckdb")


def test_queries_read_the_published_schema(warehouse_copy: Path) -> None:
    assert data.editions(warehouse_copy) == [2022, 2021]  # the latest first
    fws = data.frameworks(warehouse_copy, 2022)
    assert fws["framework_code"].tolist() == ["district", "county", "zone"]
    assert fws["regions"].tolist() == [120, 100, 30]
    district = data.rankings(warehouse_copy, 2022, "district")
    assert len(district) == 120
    assert district.iloc[0]["region_name"] == "北京海淀区"
    level1 = data.indicators(warehouse_copy, "district", 1)["node_code"].tolist()
    assert len(level1) == 4 and all(c in district.columns for c in level1)
    # any indicator of any level can be ranked: the published peer ranks of that node
    second = data.indicators(warehouse_copy, "county", 2).iloc[0]
    ranked = data.indicator_ranking(warehouse_copy, 2022, "county", second["node_code"])
    assert len(ranked) == 100 and ranked["rank"].is_monotonic_increasing
    assert ranked["score"].is_monotonic_decreasing
    # strengths and weaknesses: one row per third-level indicator, published ranks
    ranks = data.node_scores(warehouse_copy, 2022, "beijing_haidian", 3)
    assert len(ranks) == 42
    assert ranks["peer_count"].eq(120).all() and ranks["peer_rank"].between(1, 120).all()
    peers = data.province_peers(warehouse_copy, 2022, "beijing_haidian")
    mine = peers[peers["region_code"] == "beijing_haidian"].iloc[0]
    assert mine["province"] == "北京市" and mine["province_rank"] == 1
    assert mine["province_count"] == len(peers) >= 2
    stated = data.peer_summary(warehouse_copy, 2022, "district")
    assert stated["stated_average"].notna().sum() == 5
    metrics = data.metric_values(warehouse_copy, 2022, "beijing_haidian")
    assert len(metrics) > 40 and metrics["unit"].notna().all()
    assert metrics["source_hint"].notna().any() and metrics["level1_zh"].notna().all()
    summary = data.reconciliation_summary(warehouse_copy, 2022).set_index("framework_code")
    assert data.reproduced_text(summary.loc["district"]) == "120 / 120"
    no_reference = summary.loc["zone"].copy()
    no_reference["has_reference"] = False
    assert "no printed reference" in data.reproduced_text(no_reference)


def test_presentation_numbers_are_the_published_ones(warehouse_copy: Path) -> None:
    """Ranks, percentiles, peer means and province ranks are displayed as published: the
    queries compute none (no window function), and return the published values."""
    source = inspect.getsource(data)
    assert not re.search(r"\bover\s*\(|percent_rank|\brank\s*\(\)|\bavg\s*\(", source, re.I)
    con = duckdb.connect(str(warehouse_copy), read_only=True)
    try:
        published = con.execute("""
            select region_code, rank, percentile, peer_mean, province_rank, province_count
            from published.rankings where edition = 2022 and framework_code = 'county'
            order by region_code""").df()
        node = con.execute("""
            select peer_rank, percentile, peer_mean from published.indicator_scores
            where edition = 2022 and region_code = 'beijing_haidian'
              and node_code = 'digital_economy'""").fetchone()
    finally:
        con.close()
    shown = (
        data.rankings(warehouse_copy, 2022, "county")
        .sort_values("region_code")
        .reset_index(drop=True)
    )
    for column in ["rank", "percentile", "peer_mean", "province_rank", "province_count"]:
        assert shown[column].tolist() == published[column].tolist(), column
    level1 = data.node_scores(warehouse_copy, 2022, "beijing_haidian", 1).set_index("node_code")
    assert node is not None
    assert tuple(
        level1.loc["digital_economy", ["peer_rank", "percentile", "peer_mean"]]
    ) == pytest.approx(node)


def _published(db: Path, sql: str) -> Any:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(sql).df()
    finally:
        con.close()


def test_robustness_charts_draw_the_published_rows(warehouse_copy: Path) -> None:
    """The rank intervals, the sensitivity bars and a region's rank distribution draw the
    published numbers, in the published order, and compute none."""
    published = _published(
        warehouse_copy,
        """select region_code, region_name, nominal_rank, rank_median, rank_p05, rank_p95,
                  interval_width, p_top_n
           from published.rank_uncertainty where edition = 2022 and framework_code = 'county'
           order by nominal_rank, region_name""",
    )
    assert len(published) == 100
    intervals = data.rank_uncertainty(warehouse_copy, 2022, "county")
    for column in published.columns:
        assert intervals[column].tolist() == published[column].tolist(), column
    fig = charts.rank_intervals(intervals)
    bars, median, nominal = fig.data[:3]
    assert list(bars.base) == published["rank_p05"].tolist()
    assert list(bars.x) == published["interval_width"].tolist()
    assert [b + w for b, w in zip(bars.base, bars.x, strict=True)] == pytest.approx(
        published["rank_p95"].tolist()
    )
    assert list(median.x) == published["rank_median"].tolist()
    assert list(nominal.x) == published["nominal_rank"].tolist()
    # the regions by nominal rank, the first at the top; rank 1 on the left
    assert list(fig.layout.yaxis.ticktext) == published["region_name"].tolist()
    assert list(fig.layout.yaxis.tickvals) == list(range(100))
    assert fig.layout.yaxis.range[0] > fig.layout.yaxis.range[1]
    assert list(fig.layout.xaxis.range) == [0.5, 100.5]
    # a peer group too large to name every region: a caterpillar of fixed height
    large = pd.concat([intervals, intervals], ignore_index=True)
    assert len(large) > charts.INTERVALS_LABELLED_MAX
    fig = charts.rank_intervals(large)
    assert fig.layout.yaxis.showticklabels is False and fig.layout.height <= 1100
    assert len(fig.data[0].base) == len(large)

    indices = _published(
        warehouse_copy,
        """select output_code, choice_code, choice_name_zh, s1, s1_lower, s1_upper, st,
                  st_lower, st_upper
           from published.sensitivity_indices where edition = 2022 and framework_code = 'zone'
           order by output_code, choice_position""",
    )
    shown = data.sensitivity(warehouse_copy, 2022, "zone")
    assert data.outputs(shown) == ["mean_abs_rank_shift", "composite_rank"]
    for output in data.outputs(shown):
        rows = indices[indices["output_code"] == output]
        assert len(rows) == 4  # the four choices of uncertainty.yml
        fig = charts.sensitivity_bars(shown, output)
        assert len(fig.data) == 2
        ticks = list(fig.layout.yaxis.ticktext)
        assert [t.split("<br>")[0] for t in ticks] == rows["choice_name_zh"].tolist()
        for trace, index in zip(fig.data, ["s1", "st"], strict=True):
            assert list(trace.y) == [0, 1, 2, 3]  # one bar per choice
            assert list(trace.x) == rows[index].tolist(), (output, index)
            ends = [
                [x - m for x, m in zip(trace.x, trace.error_x.arrayminus, strict=True)],
                [x + p for x, p in zip(trace.x, trace.error_x.array, strict=True)],
            ]
            assert ends[0] == pytest.approx(rows[f"{index}_lower"].tolist())
            assert ends[1] == pytest.approx(rows[f"{index}_upper"].tolist())

    dist = _published(
        warehouse_copy,
        """select rank, n_replications, share from published.rank_distribution
           where edition = 2022 and region_code = 'suzhou_zhangjiagang' order by rank""",
    )
    assert len(dist) >= 1
    shown = data.rank_distribution(warehouse_copy, 2022, "suzhou_zhangjiagang")
    assert shown.to_dict("list") == dist.to_dict("list")
    summary = data.region_uncertainty(warehouse_copy, 2022, "suzhou_zhangjiagang").iloc[0]
    mine = published[published["region_code"] == "suzhou_zhangjiagang"].iloc[0]
    assert summary["nominal_rank"] == mine["nominal_rank"] == 3
    assert summary["peer_count"] == 100
    fig = charts.rank_distribution_bars(shown, summary)
    assert list(fig.data[0].x) == dist["rank"].tolist()
    assert list(fig.data[0].y) == dist["share"].tolist()
    assert list(fig.data[1].x) == [mine["rank_p05"], mine["rank_p95"]]
    assert list(fig.data[2].x) == [mine["rank_median"]]
    assert list(fig.data[3].x) == [mine["nominal_rank"]]


def test_an_index_without_an_analysis_has_no_robustness_rows(
    bare_warehouse: Path, warehouse_copy: Path, tmp_path: Path
) -> None:
    """Empty tables (no uncertainty.yml), or none at all (a warehouse published before the
    analysis existed): no rows, no error."""
    missing = without_analysis(warehouse_copy, tmp_path / "old.duckdb", drop=True)
    for db in (bare_warehouse, missing):
        assert data.rank_uncertainty(db, 2022, "county").empty
        assert data.region_uncertainty(db, 2022, "suzhou_kunshan").empty
        assert data.rank_distribution(db, 2022, "suzhou_kunshan").empty
        assert data.sensitivity(db, 2022, "county").empty
        assert data.outputs(data.sensitivity(db, 2022, "county")) == []
        assert len(data.rankings(db, 2022, "county")) == 100  # the rest as before


def _holder(db: Path, seconds: float) -> subprocess.Popen[str]:
    """Another process holding the warehouse open for writing (as dbt or the publisher)."""
    code = (
        "import duckdb, sys, time; c = duckdb.connect(sys.argv[1]); print('held', "
        "flush=True); time.sleep(float(sys.argv[2])); c.close()"
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", code, str(db), str(seconds)], stdout=subprocess.PIPE, text=True
    )
    assert proc.stdout is not None and proc.stdout.readline().strip() == "held"
    return proc


def _can_write(db: Path) -> bool:
    """Whether another process can open the warehouse for writing right now."""
    code = "import duckdb, sys; duckdb.connect(sys.argv[1]).close()"
    return (
        subprocess.run(
            [sys.executable, "-c", code, str(db)], capture_output=True, timeout=60
        ).returncode
        == 0
    )


def test_queries_never_hold_the_warehouse(warehouse_copy: Path) -> None:
    data.rankings(warehouse_copy, 2022, "county")
    data.region_info(warehouse_copy, "zone_suzhou_sip")
    assert _can_write(warehouse_copy)  # nothing of ours still holds it
    writer = _holder(warehouse_copy, 30)
    try:
        with pytest.raises(data.WarehouseError, match="writer"):
            with data.connect(warehouse_copy, attempts=2, wait=0.05):
                pass
    finally:
        writer.kill()
        writer.wait(timeout=10)
    writer = _holder(warehouse_copy, 1.0)  # released while the reader retries
    try:
        assert data.editions(warehouse_copy) == [2022, 2021]
    finally:
        writer.wait(timeout=10)


def test_unpublished_or_missing_warehouse_is_explained(tmp_path: Path) -> None:
    with pytest.raises(data.WarehouseError, match="make run"):
        data.editions(tmp_path / "absent.duckdb")
    empty = tmp_path / "empty.duckdb"
    duckdb.connect(str(empty)).close()
    with pytest.raises(data.WarehouseError, match="no published rankings"):
        data.editions(empty)


def test_every_region_is_placed_on_the_map(warehouse_copy: Path) -> None:
    placed = charts.placements(data.regions(warehouse_copy, 2022))
    assert placed["map_kind"].notna().all(), placed[placed["map_kind"].isna()]
    polygons = placed[placed["map_kind"] == "polygon"]
    # every district and county with a code in the boundary data is drawn as itself
    assert len(polygons) >= 215
    assert (placed.loc[placed["framework_code"] == "zone", "map_kind"] == "point").all()
    lon, lat = placed["lon"].astype(float), placed["lat"].astype(float)
    assert lon.between(73, 136).all() and lat.between(17, 54).all()
    fc = json.dumps(charts.choropleth_map(placed).to_plotly_json()["data"][1]["geojson"])
    assert len(fc) < 2_000_000  # simplified: the page stays light
    # the colour range is the one of the regions drawn (one peer group at a time)
    county = placed[placed["framework_code"] == "county"]
    trace = charts.choropleth_map(county).to_plotly_json()["data"][1]
    assert (trace["zmin"], trace["zmax"]) == (
        county["composite_score"].min(),
        county["composite_score"].max(),
    )


def test_score_axes_start_at_zero(warehouse_copy: Path) -> None:
    level1 = data.node_scores(warehouse_copy, 2022, "zone_zhongguancun", 1)
    radar = charts.radar(
        level1["name_zh"].tolist(),
        [("x", level1["score"].tolist())],
        ("mean", level1["peer_mean"].tolist()),
    )
    assert list(radar.layout.polar.radialaxis.range) == [0, 100]
    level2 = data.node_scores(warehouse_copy, 2022, "zone_zhongguancun", 2)
    assert charts.level2_bars(level2, "x").layout.xaxis.range[0] == 0
    scores = data.compare(warehouse_copy, 2022, ("beijing_haidian", "shanghai_pudong"))
    assert (
        charts.compare_bars(scores, ["beijing_haidian", "shanghai_pudong"]).layout.xaxis.range[0]
        == 0
    )


def test_launcher_settings_keep_everything_local() -> None:
    cmd = streamlit_command(Path("/x/wh.duckdb"), 8999)
    settings = dict(zip(cmd[5:-3:2], cmd[6:-3:2], strict=True))
    assert cmd[1:5] == ["-m", "streamlit", "run", str(APP)]
    assert settings["--server.address"] == "127.0.0.1"
    assert settings["--browser.gatherUsageStats"] == "false"
    assert settings["--server.fileWatcherType"] == "none"
    assert settings["--server.enableStaticServing"] == "true"
    assert cmd[-3:] == ["--", "--db", "/x/wh.duckdb"]
    # the base-map stub plotly.js asks for is served locally, and is the one the report inlines
    stub = APP.parent / "static" / f"{charts.TOPOJSON_NAME}.json"
    assert json.loads(stub.read_text()) == charts.TOPOJSON_STUB


# --- the changes between editions ------------------------------------------------------


def _movers_in_order(db: Path, framework: str, edition: int = 2022) -> pd.DataFrame:
    """published.movers of a peer group as the dashboard and the report list them: the
    risers, then the fallers, each by position."""
    return _published(
        db,
        f"""select m.*, i.name_zh as indicator_zh, t.name_zh as metric_zh
            from published.movers as m
            left join published.indicators as i
                on i.framework_code = m.framework_code and i.node_code = m.main_indicator_code
            left join published.metrics as t
                on t.framework_code = m.framework_code and t.metric_code = m.main_metric_code
            where m.edition = {edition} and m.framework_code = '{framework}'
            order by m.direction = 'faller', m.position""",
    )


def _same(shown: Any, published: Any) -> bool:
    """Equal, a missing value equal to a missing value."""
    if pd.isna(shown) or pd.isna(published):
        return bool(pd.isna(shown) and pd.isna(published))
    return bool(shown == published)


def test_change_queries_return_the_published_rows(warehouse_copy: Path) -> None:
    """The movers, the peer-group changes, the rank changes of a peer group and a
    region's history are the published rows (none computed); 2021 is the synthetic
    edition."""
    assert data.synthetic_editions(warehouse_copy) == [2021]
    assert data.edition_text(2021, [2021]) == "2021 (合成 SYNTHETIC)"
    assert data.edition_text(2022, [2021]) == "2022"

    shown = data.movers(warehouse_copy, 2022)
    frames = [_movers_in_order(warehouse_copy, fw) for fw in data.FRAMEWORK_ORDER]
    published = pd.concat(frames, ignore_index=True)
    assert len(shown) == len(published) > 0
    for column in [
        "framework_code",
        "direction",
        "position",
        "region_code",
        "region_name",
        "score_change",
        "rank_change",
        "comparable_rank_change",
        "main_indicator_code",
        "main_indicator_contribution",
        "main_metric_code",
        "main_metric_contribution",
    ]:
        assert shown[column].tolist() == published[column].tolist(), column
    assert shown["main_indicator_zh"].tolist() == published["indicator_zh"].tolist()
    assert shown["main_metric_zh"].tolist() == published["metric_zh"].tolist()

    changes = data.peer_group_changes(warehouse_copy, 2022)
    stated = _published(
        warehouse_copy,
        """select framework_code, node_code, mean_change, like_for_like_change,
                  stated_change, is_like_for_like, entered_count
           from published.peer_group_changes where edition = 2022 and level <= 1""",
    )
    assert len(changes) == len(stated) == 15  # the composite and 4 first-level, × 3
    merged = changes.merge(stated, on=["framework_code", "node_code"], suffixes=("", "_p"))
    for column in ["mean_change", "like_for_like_change", "stated_change", "entered_count"]:
        pairs = zip(merged[column], merged[f"{column}_p"], strict=True)
        assert all(_same(a, b) for a, b in pairs), column
    assert changes["framework_code"].drop_duplicates().tolist() == data.FRAMEWORK_ORDER
    assert data.peer_group_changes(warehouse_copy, 2021).empty  # the first edition
    assert data.movers(warehouse_copy, 2021).empty

    ranks = data.rank_changes(warehouse_copy, 2022, "district", "composite")
    published = _published(
        warehouse_copy,
        """select l.region_code, l.link_kind, c.previous_rank, c.rank_change,
                  c.comparable_rank_change
           from published.region_links as l
           left join published.score_changes as c
               on c.edition = l.edition and c.region_code = l.region_code and c.level = 0
           where l.edition = 2022 and l.framework_code = 'district'
           order by l.region_code""",
    )
    assert len(ranks) == len(published) == 120
    for column in published.columns:
        pairs = zip(ranks[column], published[column], strict=True)
        assert all(_same(a, b) for a, b in pairs), column
    new = ranks[ranks["link_kind"] == "new"]
    assert len(new) == 20 and new["previous_rank"].isna().all()  # the municipalities'

    # a region's history: the same rows whichever edition it is asked from
    for edition in (2021, 2022):
        history = data.region_history(warehouse_copy, edition, "jinhua_yiwu")
        assert history["edition"].tolist() == [2021, 2022]
        assert history["link_kind"].isna().tolist() == [True, False]
    ranks = _published(
        warehouse_copy,
        """select edition, rank from published.rankings
           where region_code = 'jinhua_yiwu' order by edition""",
    )
    assert history["rank"].tolist() == ranks["rank"].tolist()
    yiwu = _published(
        warehouse_copy,
        """select rank_change from published.score_changes
           where edition = 2022 and region_code = 'jinhua_yiwu' and level = 0""",
    )
    assert history["rank_change"].iloc[1] == yiwu["rank_change"].iloc[0]


def test_the_contribution_bars_draw_the_published_contributions(warehouse_copy: Path) -> None:
    mover = _movers_in_order(warehouse_copy, "zone").iloc[0]
    parts = data.contributions(
        warehouse_copy, 2022, mover["region_code"], mover["previous_region_code"]
    )
    published = _published(
        warehouse_copy,
        f"""select c.child_code, c.contribution, c.node_score_change
            from published.score_change_contributions as c
            join published.indicators as i
                on i.framework_code = c.framework_code and i.node_code = c.child_code
            where c.edition = 2022 and c.level = 0 and c.region_code = '{mover["region_code"]}'
            order by i.sort_order""",
    )
    assert parts["child_code"].tolist() == published["child_code"].tolist()
    fig = charts.contribution_bars(parts)
    bars, total = fig.data
    assert list(bars.x) == published["contribution"].tolist()
    assert list(total.x) == [published["node_score_change"].iloc[0]]
    assert total.x[0] == pytest.approx(mover["score_change"], abs=1e-9)
    assert [t.split("<br>")[0] for t in bars.y] == parts["child_zh"].tolist()
    low, high = fig.layout.xaxis.range
    assert low <= min(0, *bars.x) and high >= max(0, *bars.x, *total.x)


# --- the pages, run in this process (Streamlit's AppTest) --------------------------------

APP_TIMEOUT_S = 120


@pytest.fixture()
def open_page(monkeypatch: pytest.MonkeyPatch) -> Any:
    """Opens a page of the dashboard of `db` at its own address with its query parameters,
    as a bookmark would (a new session), and checks it ran without an exception."""

    def open_(db: Path, path: str, **query: str) -> AppTest:
        monkeypatch.setenv("DIGINDEX_DB", str(db))
        at = AppTest.from_file(str(APP), default_timeout=APP_TIMEOUT_S)
        at.query_params.update(query)
        # st.navigation's page of that url_path (AppTest.switch_page knows pages in files
        # only): its script hash is the hash of its url_path
        at._page_hash = calc_hash(path)
        at.run()
        assert not at.exception, [e.message for e in at.exception]
        return at

    return open_


def _texts(at: AppTest) -> str:
    """Every markdown, caption, info and warning of the page, the sidebar's too."""
    parts = [*at.markdown, *at.caption, *at.info, *at.warning]
    parts += [*at.sidebar.markdown, *at.sidebar.caption, *at.sidebar.warning]
    return "\n".join(str(e.value) for e in parts)


def _decoded(value: Any) -> Any:
    """A plotly JSON spec with its typed arrays ({"dtype", "bdata"}) as lists."""
    if isinstance(value, dict):
        if set(value) >= {"dtype", "bdata"}:
            array = np.frombuffer(base64.b64decode(value["bdata"]), dtype=value["dtype"])
            if "shape" in value:  # "4, 3"
                array = array.reshape([int(n) for n in str(value["shape"]).split(",")])
            return array.tolist()
        return {k: _decoded(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_decoded(v) for v in value]
    return value


def _charts(at: AppTest) -> list[go.Figure]:
    """The plotly figures of the page, as drawn."""
    return [go.Figure(_decoded(json.loads(c.proto.spec))) for c in at.get("plotly_chart")]


def _table(at: AppTest, column: str) -> pd.DataFrame:
    """The st.table of the page with this column."""
    found = [t.value for t in at.table if column in t.value.columns]
    assert len(found) == 1, [list(t.value.columns) for t in at.table]
    return found[0]


@pytest.mark.parametrize("framework", ["district", "county", "zone"])
def test_movers_page_shows_the_published_changes(
    open_page: Any, warehouse_copy: Path, framework: str
) -> None:
    """The published averages' changes (as published, like-for-like, stated), exactly the
    published risers and fallers in order with their drivers, and the decomposition of a
    chosen mover's change; the synthetic 2021 said so."""
    at = open_page(warehouse_copy, "movers", framework=framework)
    assert [t.value for t in at.title] == ["变化 Movers"]
    assert at.sidebar.radio[0].value == framework
    texts = _texts(at)
    assert "2021 为合成数据 SYNTHETIC" in texts

    # 1. the averages, as published
    head = _published(
        warehouse_copy,
        f"""select * from published.peer_group_changes
            where edition = 2022 and framework_code = '{framework}' and level = 0""",
    ).iloc[0]
    averages = _table(at, "同口径 Like-for-like change")
    composite = averages.iloc[0]
    assert composite["指标 Indicator"] == "综合得分 Composite"
    assert composite["变化 Change as published"] == f"{head['mean_change']:+.2f}"
    assert composite["同口径 Like-for-like change"] == f"{head['like_for_like_change']:+.2f}"
    stated = "–" if pd.isna(head["stated_change"]) else f"{head['stated_change']:+.1f}"
    assert composite["报告所述 Stated change"] == stated
    assert "均值 Mean 2021 (合成 SYNTHETIC)" in averages.columns
    assert len(averages) == 5
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["同口径 Like-for-like"] == f"{head['like_for_like_change']:+.2f}"
    moved = f"{head['entered_count']} entered, {head['left_count']} left"
    if head["is_like_for_like"]:
        assert f"**Like-for-like**: the same {head['region_count']} regions" in texts
    else:
        assert "**Not like-for-like**" in texts
        assert f"compares the {head['like_for_like_count']} regions ranked in both" in texts
    assert moved in texts

    # 2. exactly the published movers, in order, with their numbers and drivers
    published = _movers_in_order(warehouse_copy, framework)
    table = at.dataframe[0].value
    assert (
        table["region"].str.extract(r"name=(.*)$")[0].tolist() == published["region_name"].tolist()
    )
    assert table["mover"].tolist() == [
        ("↑" if d == "riser" else "↓") + str(p)
        for d, p in zip(published["direction"], published["position"], strict=True)
    ]
    for column in ["score_change", "rank_change", "comparable_rank_change", "previous_rank"]:
        assert table[column].tolist() == published[column].tolist(), column
    for column, name, contribution in [
        ("main_indicator", "indicator_zh", "main_indicator_contribution"),
        ("main_metric", "metric_zh", "main_metric_contribution"),
    ]:
        assert table[column].tolist() == [
            f"{n} {v:+.2f}" for n, v in zip(published[name], published[contribution], strict=True)
        ], column

    # 3. the decomposition of a chosen mover: its published first-level contributions
    def decomposition(mover: Any) -> None:
        parts = _published(
            warehouse_copy,
            f"""select c.contribution, c.node_score_change
                from published.score_change_contributions as c
                join published.indicators as i
                    on i.framework_code = c.framework_code and i.node_code = c.child_code
                where c.edition = 2022 and c.level = 0
                  and c.region_code = '{mover["region_code"]}'
                order by i.sort_order""",
        )
        (fig,) = _charts(at)
        assert list(fig.data[0].x) == parts["contribution"].tolist()
        assert list(fig.data[1].x) == [mover["score_change"]]  # what they add up to
        assert at.query_params["region"] == mover["region_code"]
        shown = _table(at, "贡献 Contribution")["贡献 Contribution"].tolist()
        assert shown == [f"{v:+.2f}" for v in parts["contribution"]]

    decomposition(published.iloc[0])  # the first riser, by default
    last = published.iloc[-1]  # the last faller
    at.selectbox(key=f"mover_{framework}").set_value(last["region_code"]).run()
    assert not at.exception
    decomposition(last)


@pytest.mark.slow  # (~10 s: a goal and a scenario through the models; make test-slow)
def test_benchmarking_page_shows_the_published_peers_gaps_and_a_goal(
    open_page: Any, warehouse_copy: Path
) -> None:
    """The 对标 page of a county: its published tier and type, its nearest better-ranked
    peers in the published order, its gap table (rows adding up to the composite), a goal
    path reached through the models, a what-if recomputed when a slider moves, and the
    typology scatter with one trace per published type."""
    region = "jiaxing_tongxiang"
    at = open_page(warehouse_copy, "benchmarking", region=region)
    assert [t.value for t in at.title] == ["对标 Benchmarking"]
    tier = _published(
        warehouse_copy,
        f"""select tier_name_zh, tier_type_zh from published.region_tiers
            where edition = 2022 and region_code = '{region}' and is_default""",
    ).iloc[0]
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["梯队 Tier"] == f"{tier['tier_name_zh']} · {tier['tier_type_zh']}"
    peers = _published(
        warehouse_copy,
        f"""select peer_region_name, peer_rank from published.region_peers
            where edition = 2022 and region_code = '{region}' and scope = 'better'
            order by peer_order""",
    )
    table = at.dataframe[0].value
    assert (
        table["peer"].str.extract(r"name=(.*)$")[0].tolist() == peers["peer_region_name"].tolist()
    )
    assert table["rank"].tolist() == peers["peer_rank"].tolist()
    composite = _published(
        warehouse_copy,
        f"""select composite_score from published.rankings
            where edition = 2022 and region_code = '{region}'""",
    ).iloc[0, 0]
    gaps = at.dataframe[1].value
    assert gaps["points"].sum() == pytest.approx(composite, abs=1e-9)
    texts = _texts(at)
    assert "reached" in texts and "exact: one linear program" in texts
    steps = at.dataframe[2].value
    assert len(steps) >= 1 and steps["raw"].str.contains("→").all()
    # a slider moved: the scenario's composite is shown beside the published one
    slider = at.slider[0]
    slider.set_value(slider.max).run()
    assert not at.exception
    assert "(a scenario: the publication is unchanged)" in _texts(at)
    types = _published(
        warehouse_copy,
        "select count(distinct cluster_id) from published.region_typology "
        "where edition = 2022 and framework_code = 'county'",
    ).iloc[0, 0]
    (fig,) = _charts(at)
    assert len([t for t in fig.data if t.showlegend is not False]) == types


def test_rankings_show_the_published_rank_changes(open_page: Any, warehouse_copy: Path) -> None:
    """Each region's previous rank, rank change and like-for-like rank change are the
    published ones (published.score_changes), and 'new' the regions without a previous
    edition; on any indicator ranked by, its own changes."""
    for node in ["composite", "digital_economy"]:
        at = open_page(warehouse_copy, "rankings", framework="district", indicator=node)
        view = at.dataframe[0].value
        assert list(view.columns[:4]) == ["rank", "region", "score", "percentile"]
        view["region_code"] = view["region"].str.extract(r"region=([^&]+)&")[0]
        published = _published(
            warehouse_copy,
            f"""select l.region_code, l.link_kind, c.previous_rank, c.rank_change,
                       c.comparable_rank_change
                from published.region_links as l
                left join published.score_changes as c
                    on c.edition = l.edition and c.region_code = l.region_code
                    and c.node_code = '{node}'
                where l.edition = 2022 and l.framework_code = 'district'""",
        ).set_index("region_code")
        assert len(view) == len(published) == 120
        for row in view.itertuples():
            mine = published.loc[row.region_code]
            for column in ["previous_rank", "rank_change", "comparable_rank_change"]:
                assert _same(getattr(row, column), mine[column]), (row.region_code, column)
            if mine["link_kind"] == "new":
                assert row.link == "新进 new" and pd.isna(row.rank_change)
            else:
                assert row.link == "同一地区 same region" and not pd.isna(row.rank_change)
        assert (view["link"] == "新进 new").sum() == 20
    assert "Rank changes since 2021 (合成 SYNTHETIC)" in _texts(at)


def test_profile_shows_the_region_over_the_editions(open_page: Any, warehouse_copy: Path) -> None:
    """The region's composite and rank in every edition, its first-level scores by edition
    (the published ones), the published rank change and how it continues from 2021."""
    at = open_page(warehouse_copy, "profile", region="jinhua_yiwu")
    texts = _texts(at)
    assert "#### 历年变化 Over the editions" in texts
    assert "同一地区 The same region as in 2021 (合成 SYNTHETIC)" in texts
    history = _table(at, "版本 Edition")
    assert history["版本 Edition"].tolist() == ["2021 (合成 SYNTHETIC)", "2022"]
    published = _published(
        warehouse_copy,
        """select k.edition, k.rank, k.peer_count, k.composite_score_1dp, c.rank_change,
                  c.comparable_rank_change
           from published.rankings as k
           left join published.score_changes as c
               on c.edition = k.edition and c.region_code = k.region_code and c.level = 0
           where k.region_code = 'jinhua_yiwu' order by k.edition""",
    )
    assert history["排名 Rank"].tolist() == [
        f"{r} / {n}" for r, n in zip(published["rank"], published["peer_count"], strict=True)
    ]
    assert history["综合 Composite"].tolist() == [
        f"{v:.1f}" for v in published["composite_score_1dp"]
    ]
    change = int(published["rank_change"].iloc[1])
    assert history["名次变化 Rank change"].tolist() == ["–", f"{change:+d}"]
    lines = [f for f in _charts(at) if any(t.name == "综合得分 Composite" for t in f.data)]
    assert len(lines) == 1
    scores = _published(
        warehouse_copy,
        """select node_code, edition, score, peer_rank from published.indicator_scores
           where region_code = 'jinhua_yiwu' and level <= 1 order by sort_order, edition""",
    )
    traces = lines[0].data
    assert len(traces) == 5  # the composite and the four first-level indicators
    assert list(traces[0].x) == ["2021<br>合成 SYNTHETIC", "2022"]
    for trace, (_, rows) in zip(traces, scores.groupby("node_code", sort=False), strict=True):
        assert list(trace.y) == rows["score"].tolist()
    assert list(traces[0].text) == [f"#{r}" for r in published["rank"]]
    assert list(lines[0].layout.yaxis.range) == charts.SCORE_AXIS_RANGE  # from 0

    # a region new in 2022: said so; one edition, no lines
    at = open_page(warehouse_copy, "profile", region="beijing_haidian")
    assert "新进 New in 2022: not ranked in 2021 (合成 SYNTHETIC)." in _texts(at)
    assert "新进 new in 2022" in at.caption[0].value  # beside its peer group, at the top
    history = _table(at, "版本 Edition")
    assert history["与上版 Link"].tolist() == ["新进 new"]
    assert not [f for f in _charts(at) if any(t.name == "综合得分 Composite" for t in f.data)]


def test_the_synthetic_edition_is_labelled(open_page: Any, warehouse_copy: Path) -> None:
    at = open_page(warehouse_copy, "rankings", framework="county")
    edition = at.sidebar.selectbox[0]
    assert edition.options == ["2022", "2021 (合成 SYNTHETIC)"]
    assert "SYNTHETIC" not in "".join(str(w.value) for w in at.sidebar.warning)
    edition.set_value(2021).run()
    assert not at.exception
    assert "2021 为合成数据 SYNTHETIC" in "".join(str(w.value) for w in at.sidebar.warning)
    # the first edition: no rank changes
    assert "rank_change" not in at.dataframe[0].value.columns
    at._page_hash = calc_hash("movers")  # the movers of the first edition: none, said so
    at.run()
    assert not at.exception and "No previous edition" in _texts(at)


@pytest.mark.parametrize("drop", [False, True], ids=["empty", "missing"])
def test_a_warehouse_of_one_edition_shows_no_changes(
    open_page: Any, warehouse_copy: Path, tmp_path: Path, drop: bool
) -> None:
    """One edition published (the change tables empty), or a warehouse published before
    they existed (missing): every page renders, without changes and without an error."""
    db = one_edition(warehouse_copy, tmp_path / "one.duckdb", drop=drop)
    assert data.editions(db) == [2022]
    for path, query in [
        ("overview", {}),
        ("compare", {}),
        ("distribution", {}),
        ("reconciliation", {}),
    ]:
        open_page(db, path, **query)
    at = open_page(db, "movers", framework="county")
    assert "No previous edition" in _texts(at)
    assert not at.dataframe and not at.table and not _charts(at)
    at = open_page(db, "rankings", framework="district")
    assert "previous_rank" not in at.dataframe[0].value.columns
    assert len(at.dataframe[0].value) == 120
    at = open_page(db, "profile", region="jinhua_yiwu")
    assert "Over the editions" not in _texts(at)
    assert not [t for t in at.table if "版本 Edition" in t.value.columns]
    assert len(_charts(at)) == 3  # the radar, the bars and the rank distribution
    assert "SYNTHETIC" not in _texts(at)


def test_an_index_without_a_printed_report_labels_nothing_synthetic(
    open_page: Any, warehouse_copy: Path, tmp_path: Path
) -> None:
    """An index folder's warehouse has no printed reference: no edition is called
    synthetic, no change is stated, and the change pages work as before."""
    db = without_reference(warehouse_copy, tmp_path / "index.duckdb")
    assert data.synthetic_editions(db) == []
    at = open_page(db, "movers", framework="district")
    assert "SYNTHETIC" not in _texts(at)
    averages = _table(at, "报告所述 Stated change")
    assert set(averages["报告所述 Stated change"]) == {"–"}
    assert "均值 Mean 2021" in averages.columns
    assert len(at.dataframe[0].value) == len(_movers_in_order(db, "district"))
    at = open_page(db, "profile", region="jinhua_yiwu")
    assert "SYNTHETIC" not in _texts(at)
    assert _table(at, "版本 Edition")["版本 Edition"].tolist() == ["2021", "2022"]


# --- the app in a browser ------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# the dashboards this module started: the only addresses a tab may reach
SERVED: list[str] = []


@contextmanager
def _serve(db: Path, name: str) -> Iterator[str]:
    """The dashboard on a free local port reading `db`, started as `make dashboard` starts
    it (its log: build/test-artifacts/<name>-server.log); stopped on exit."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    port = _free_port()
    log_path = ARTIFACTS / f"{name}-server.log"
    env = {
        **os.environ,
        "STREAMLIT_BROWSER_GATHER_USAGE_STATS": "false",
        "DIGINDEX_DB": str(db),
    }
    with log_path.open("w") as log:
        proc = subprocess.Popen(
            streamlit_command(db, port),
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env=env,
            cwd=REPO_ROOT,
            start_new_session=True,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + SERVER_START_S
        while True:
            if proc.poll() is not None:
                pytest.fail(f"the dashboard exited ({proc.returncode}):\n{log_path.read_text()}")
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(
                    f"the dashboard did not answer within {SERVER_START_S} s:\n"
                    + log_path.read_text()
                )
            time.sleep(0.3)
        SERVED.append(url)
        yield url
    finally:
        try:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(timeout=10)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            proc.wait(timeout=10)


@pytest.fixture(scope="module")
def dashboard(warehouse_copy: Path) -> Iterator[str]:
    """The dashboard on a free local port, reading the published warehouse copy."""
    with _serve(warehouse_copy, "dashboard") as url:
        yield url


@pytest.fixture(scope="module")
def bare_dashboard(bare_warehouse: Path) -> Iterator[str]:
    """The dashboard of an index that declares no uncertainty analysis."""
    with _serve(bare_warehouse, "dashboard-bare") as url:
        yield url


# requests for anything but the dashboards, from any tab of the browser (also the tabs a
# clicked link opens)
OUTSIDE: list[str] = []


@pytest.fixture(scope="module")
def browser_context(tmp_path_factory: pytest.TempPathFactory, dashboard: str) -> Iterator[Any]:
    def route(r: Any) -> None:
        url = r.request.url
        if url.startswith((*SERVED, "data:", "blob:")):
            r.continue_()
        else:
            OUTSIDE.append(url)
            r.abort()

    with chromium_context(tmp_path_factory.mktemp("chromium-profile"), locale="zh-CN") as context:
        context.route("**/*", route)
        yield context


@contextmanager
def _tab(browser_context: Any, dashboard: str) -> Iterator[Any]:
    """A tab that lets only requests to `dashboard` through, and checks none other left."""
    outside: list[str] = []

    def route(r: Any) -> None:
        url = r.request.url
        if url.startswith((dashboard, "data:", "blob:")):
            r.continue_()
        else:
            outside.append(url)
            r.abort()

    tab = browser_context.new_page()
    tab.set_default_timeout(PAGE_MS)
    tab.route("**/*", route)
    errors: list[str] = []
    tab.on("pageerror", lambda e: errors.append(str(e)))
    tab.dashboard = dashboard
    try:
        yield tab
    finally:
        tab.close()
    assert outside == [], f"the dashboard tried to reach the network: {outside}"
    assert OUTSIDE == [], f"the dashboard tried to reach the network: {OUTSIDE}"
    assert errors == [], f"JavaScript errors: {errors}"


@pytest.fixture()
def page(browser_context: Any, dashboard: str) -> Iterator[Any]:
    """A tab on the dashboard of the published warehouse."""
    with _tab(browser_context, dashboard) as tab:
        yield tab


@pytest.fixture()
def bare_page(browser_context: Any, bare_dashboard: str) -> Iterator[Any]:
    """A tab on the dashboard of an index without an uncertainty analysis."""
    with _tab(browser_context, bare_dashboard) as tab:
        yield tab


def _settled(tab: Any) -> None:
    """Wait until the script run has finished and the page is drawn."""
    tab.wait_for_timeout(200)
    tab.wait_for_function(SETTLED_JS)


def _open(tab: Any, path: str, ready: str = "[data-testid='stHeading']") -> None:
    """Open a page by its own address (a new session, as a bookmark or a shared link)."""
    tab.goto(tab.dashboard + path, wait_until="domcontentloaded")
    tab.wait_for_selector(ready, state="attached")
    _settled(tab)
    assert tab.get_by_text("Page not found").count() == 0, path
    _no_exception(tab)


def _no_exception(tab: Any) -> None:
    errors = tab.locator("[data-testid='stException']")
    assert errors.count() == 0, errors.all_inner_texts()


def _nothing_cut(tab: Any) -> None:
    """No table header, cell or label cut off (nor marked "…"), no legend cut."""
    assert tab.evaluate(TRUNCATED_JS) == []
    assert tab.evaluate(LEGENDS_CUT_JS) == []


def _shot(tab: Any, name: str, whole: bool = True) -> None:
    """build/test-artifacts/dashboard-<name>.png: the whole page, or the window."""
    path = ARTIFACTS / f"dashboard-{name}.png"
    if whole:
        full_screenshot(tab, path)
    else:
        tab.screenshot(path=str(path))


def _figure(tab: Any, index: int, expression: str) -> Any:
    """`expression` (JS, of `gd`: the graph div) on the index-th plotly chart of the page."""
    return tab.evaluate(f"""() => {{
        const gd = document.querySelectorAll('.js-plotly-plot')[{index}];
        return {expression}; }}""")


def _until(tab: Any, index: int, condition: str) -> None:
    """Wait until `condition` (JS, of `gd`) holds for the index-th plotly chart."""
    tab.wait_for_function(f"""() => {{
        const gd = document.querySelectorAll('.js-plotly-plot')[{index}];
        return !!gd && !!gd.data && ({condition}); }}""")


def _grid_columns(tab: Any, index: int = 0) -> list[dict[str, Any]]:
    """Titles and rendered widths of the columns of the index-th dataframe."""
    return tab.evaluate(
        """(i) => {
        const grid = document.querySelectorAll('[data-testid="stDataFrame"]')[i];
        const key = Object.keys(grid).find(k => k.startsWith('__reactFiber$'));
        let cols = null;
        const walk = (f) => { while (f && !cols) { const p = f.memoizedProps;
            if (p && Array.isArray(p.columns) && p.theme && p.theme.headerFontFull
                && p.columns.every(c => typeof c.width === 'number')) { cols = p.columns; return; }
            walk(f.child); f = f.sibling; } };
        walk(grid[key].child);
        return cols.map(c => ({title: c.title, width: c.width})); }""",
        index,
    )


def _metrics(scope: Any) -> dict[str, str]:
    """The st.metric labels and values shown in `scope`."""
    return dict(
        zip(
            scope.locator("[data-testid='stMetricLabel']").all_inner_texts(),
            scope.locator("[data-testid='stMetricValue']").all_inner_texts(),
            strict=True,
        )
    )


def _sidebar_peer_group(tab: Any) -> str:
    return str(tab.locator("[data-testid='stSidebar'] label:has(input:checked)").inner_text())


def _pick_peer_group(tab: Any, label: str, url_part: str) -> None:
    tab.locator("[data-testid='stSidebar'] label", has_text=label).click()
    tab.wait_for_function(
        "(part) => decodeURIComponent(location.search).includes(part)", arg=url_part
    )
    _settled(tab)
    _no_exception(tab)


def _choose(tab: Any, widget: str, label: str, option: str | re.Pattern[str]) -> None:
    """Pick `option` in the selectbox or multiselect labelled `label`."""
    box = tab.locator(f"[data-testid='{widget}']", has_text=label)
    box.locator("input").first.click()
    if isinstance(option, str):
        tab.keyboard.type(option)
    tab.get_by_role("option", name=option).first.click()
    if widget == "stMultiSelect":
        tab.keyboard.press("Escape")


def test_the_address_of_the_app_opens_the_overview(page: Any) -> None:
    _open(page, "/")
    assert page.url.endswith("/overview")  # the default page's own address
    assert page.get_by_role("heading", name="概览 Overview").is_visible()
    # per peer group: its regions and the published count of reproduced scores
    values = page.locator("[data-testid='stMain'] [data-testid='stMetricValue']")
    assert values.all_inner_texts() == ["120", "120 / 120", "100", "100 / 100", "30", "30 / 30"]
    top = page.locator("[data-testid='stMain'] a[href='profile?region=beijing_haidian']")
    assert top.inner_text() == "北京海淀区"
    for title in [
        "排名 Rankings",
        "地区画像 Region profile",
        "对比 Compare",
        "分布 Distribution",
        "变化 Movers",
        "地图 Map",
        "稳健性 Robustness",
        "核对与审计 Reconciliation & audit",
    ]:  # a link to every page
        assert (
            page.locator(
                "[data-testid='stMain'] [data-testid='stPageLink']", has_text=title
            ).count()
            == 1
        ), title
    _nothing_cut(page)
    _shot(page, "overview")


def test_rankings_page(page: Any, warehouse_copy: Path) -> None:
    _open(page, "/rankings", "[data-testid='stDataFrame'] [role='gridcell']")
    assert page.get_by_role("heading", name="排名 Rankings").is_visible()
    haidian = page.locator("[data-testid='stDataFrame'] [role='gridcell']", has_text="北京海淀区")
    haidian.first.wait_for(state="attached")
    cells = haidian.first.locator("xpath=..").locator("[role='gridcell']").all_inner_texts()
    # rank 1; the region links to its profile; 1st of the 6 districts of 北京市
    assert cells[0] == "1" and cells[1].startswith("profile?region=beijing_haidian&"), cells
    assert "北京海淀区" in cells[1] and "1 / 6" in cells, cells
    titles = [c["title"] for c in _grid_columns(page)]
    assert titles[:6] == [
        "排名 Rank",
        "地区 Region",
        "综合 Score",
        "百分位 Pctl",
        "省内 In province",
        "比均值 vs mean",
    ], titles
    assert {"标记 Flags", "数字经济", "地级 Prefecture"} <= set(titles), titles
    assert page.get_by_text("120 / 120 regions shown").is_visible()
    assert page.get_by_role("button", name="下载 CSV Download CSV").is_visible()
    _nothing_cut(page)
    _shot(page, "rankings")

    # the region's name opens its profile
    columns = _grid_columns(page)
    box = page.locator("[data-testid='stDataFrame'] canvas").first.bounding_box()
    x, y = box["x"] + columns[0]["width"] + 20, box["y"] + 35 + 17  # row 1, the name
    page.mouse.move(x, y)
    with page.context.expect_page() as opened:
        page.mouse.click(x, y)
    profile = opened.value
    try:
        profile.wait_for_load_state("domcontentloaded")
        assert "/profile?region=beijing_haidian" in profile.url
    finally:
        profile.close()

    # filter by a flag: the districts of the four municipalities (直辖市)
    _choose(page, "stMultiSelect", "标记 Flags", "直辖市 municipality")
    page.get_by_text("20 / 120 regions shown").wait_for()
    _settled(page)
    _shot(page, "rankings-municipalities", whole=False)

    # rank by any indicator: a third-level one, by its published peer rank
    third = data.indicators(warehouse_copy, "district", 3).iloc[5]
    label = f"三级 L3 · {third['name_zh']} {third['name_en']}"
    _choose(page, "stSelectbox", "排名依据 Rank by", label)
    page.wait_for_function(
        "(code) => location.search.includes('indicator=' + code)", arg=third["node_code"]
    )
    page.get_by_text(f"ranked on {label}", exact=False).wait_for()
    _settled(page)
    titles = [c["title"] for c in _grid_columns(page)]
    assert titles[:4] == ["排名 Rank", "地区 Region", "得分 Score", "百分位 Pctl"], titles
    assert "综合排名 Comp. rank" in titles
    _nothing_cut(page)
    _shot(page, "rankings-indicator", whole=False)


def test_region_profile(page: Any) -> None:
    # a shared link to a county's profile: the sidebar says its peer group, 县市 (not 城区)
    _open(page, "/profile?region=suzhou_kunshan", ".polarlayer .trace")
    assert page.get_by_role("heading", name="江苏省昆山市").is_visible()
    assert "县市" in _sidebar_peer_group(page)
    main = page.locator("[data-testid='stMain']")
    assert _metrics(main)["组内排名 Rank in 县市"] == "1 / 100"
    assert page.get_by_role("cell", name="%", exact=True).count() >= 1  # a metric's unit
    _nothing_cut(page)
    _shot(page, "profile-county", whole=False)

    # another peer group picked in the sidebar: the profile shows one of its regions
    _pick_peer_group(page, "城区", "region=beijing_haidian")
    page.get_by_role("heading", name="北京市海淀区").wait_for()
    _settled(page)
    assert "城区" in _sidebar_peer_group(page)
    radar = page.locator(".js-plotly-plot", has=page.locator(".polarlayer .trace")).first
    assert radar.locator(".polarlayer .trace").count() == 2  # the region and the peer mean
    legend = radar.locator(".legendtext").all_text_contents()
    assert "北京海淀区" in legend and "同组均值 peer-group mean" in legend, legend
    # the score axes run from 0 (to 100)
    assert _figure(page, 0, "gd._fullLayout.polar.radialaxis.range") == [0, 100]
    assert _figure(page, 1, "gd._fullLayout.xaxis.range")[0] == 0
    # the published presentation numbers: rank, percentile, province rank, peer mean
    metrics = _metrics(main)
    assert metrics["组内排名 Rank in 城区"] == "1 / 120"
    assert metrics["百分位 Percentile"] == "100"
    assert metrics["省内排名 In 北京市"] == "1 / 6"
    assert metrics["同组均值 Peer mean"] == "74.1"
    assert page.get_by_text("优势 Strengths (top 5)").is_visible()
    assert page.get_by_text("短板 Weaknesses (bottom 5)").is_visible()
    # raw metric values with units and source hints, under their indicators
    metric_table = page.locator(
        "[data-testid='stTable']", has=page.get_by_text("每万人5G基站数", exact=False)
    ).first
    headers = metric_table.locator("th").all_inner_texts()
    assert {"指标 Metric", "数值 Value", "单位 Unit", "来源 Source"} <= set(headers), headers
    units = metric_table.locator("td").all_inner_texts()
    assert "个/万人" in units and "%" in units and "Mbps" in units, units
    assert page.get_by_text("信息基础设施 Information infrastructure").first.is_visible()
    _nothing_cut(page)
    _shot(page, "profile")


def test_profile_shows_the_rank_distribution(page: Any, warehouse_copy: Path) -> None:
    """The region's published numbers of the uncertainty analysis and its rank
    distribution (share by rank) on its profile."""
    mine = _published(
        warehouse_copy,
        """select nominal_rank, rank_median, rank_p05, rank_p95, rank_best, rank_worst,
                  top_n, p_top_n
           from published.rank_uncertainty
           where edition = 2022 and region_code = 'suzhou_zhangjiagang'""",
    ).iloc[0]
    dist = _published(
        warehouse_copy,
        """select rank, share from published.rank_distribution
           where edition = 2022 and region_code = 'suzhou_zhangjiagang' order by rank""",
    )
    _open(page, "/profile?region=suzhou_zhangjiagang", ".polarlayer .trace")
    page.get_by_role("heading", name="排名稳健性 Rank robustness").wait_for()
    _until(page, 2, "gd.data[0].type === 'bar'")
    _settled(page)
    top_n = int(mine["top_n"])
    metrics = _metrics(page.locator("[data-testid='stMain']"))
    assert metrics["组内排名 Rank in 县市"] == "3 / 100"
    assert metrics["名义排名 Nominal rank"] == f"{int(mine['nominal_rank'])} / 100" == "3 / 100"
    assert metrics["中位排名 Median rank"] == charts.fmt_rank_value(mine["rank_median"])
    assert metrics["90 % 区间 interval"] == (
        f"{charts.fmt_rank_value(mine['rank_p05'])} – {charts.fmt_rank_value(mine['rank_p95'])}"
    )
    assert (
        metrics["最好–最差 Best–worst"] == f"{int(mine['rank_best'])} – {int(mine['rank_worst'])}"
    )
    assert metrics[f"P(前{top_n} top {top_n})"] == charts.fmt_share(mine["p_top_n"])
    # the distribution: a bar per rank the region takes, its published share
    assert _figure(page, 2, "Array.from(gd._fullData[0].x)") == dist["rank"].tolist()
    assert _figure(page, 2, "Array.from(gd._fullData[0].y)") == pytest.approx(
        dist["share"].tolist()
    )
    chart = page.locator(".js-plotly-plot").nth(2)
    assert chart.locator(".barlayer .point").count() == len(dist)
    assert _figure(page, 2, "Array.from(gd._fullData[1].x)") == pytest.approx(
        [mine["rank_p05"], mine["rank_p95"]]
    )
    assert _figure(page, 2, "gd._fullData[3].x[0]") == mine["nominal_rank"]
    assert _figure(page, 2, "gd._fullLayout.yaxis.range")[0] == 0  # shares from 0
    link = page.locator("[data-testid='stMain'] a[href='robustness?framework=county']")
    assert link.count() == 1
    _nothing_cut(page)
    _shot(page, "profile-robustness")


def test_robustness_page(page: Any, warehouse_copy: Path) -> None:
    """The rank intervals of a peer group and the sensitivity bars of the picked output:
    the published rows, one bar per choice."""
    published = _published(
        warehouse_copy,
        """select region_name, nominal_rank, rank_median, rank_p05, rank_p95, interval_width
           from published.rank_uncertainty where edition = 2022 and framework_code = 'county'
           order by nominal_rank, region_name""",
    )
    indices = _published(
        warehouse_copy,
        """select output_code, choice_name_zh, s1, s1_lower, s1_upper, st, st_lower, st_upper
           from published.sensitivity_indices
           where edition = 2022 and framework_code = 'county'
           order by output_code, choice_position""",
    )
    _open(page, "/robustness?framework=county", ".js-plotly-plot .barlayer .point")
    assert page.get_by_role("heading", name="稳健性 Robustness").is_visible()
    assert "县市" in _sidebar_peer_group(page)
    _until(page, 1, "gd.data.length === 2")
    _settled(page)

    # 1. the rank intervals: a row per region by nominal rank, the first at the top
    intervals = page.locator(".js-plotly-plot").first
    assert _figure(page, 0, "Array.from(gd._fullLayout.yaxis.ticktext)") == (
        published["region_name"].tolist()
    )
    assert _figure(page, 0, "Array.from(gd._fullData[0].base)") == published["rank_p05"].tolist()
    assert _figure(page, 0, "Array.from(gd._fullData[0].x)") == published["interval_width"].tolist()
    assert _figure(page, 0, "Array.from(gd._fullData[1].x)") == published["rank_median"].tolist()
    assert _figure(page, 0, "Array.from(gd._fullData[2].x)") == published["nominal_rank"].tolist()
    assert intervals.locator(".barlayer .point").count() == 100
    y_range = _figure(page, 0, "gd._fullLayout.yaxis.range")
    assert y_range[0] > y_range[1]  # reversed: the first region at the top
    assert _figure(page, 0, "gd._fullLayout.xaxis.range") == [0.5, 100.5]  # rank 1 left
    legend = intervals.locator(".legendtext").all_text_contents()
    assert legend == [
        "90 % 区间 interval (P5–P95)",
        "中位排名 median rank",
        "名义排名 nominal rank (published)",
    ], legend
    # the table of the intervals, links to the profiles
    page.get_by_text("区间表 The intervals of the 100 regions").click()
    page.locator("[data-testid='stDataFrame'] [role='gridcell']").first.wait_for(state="attached")
    _settled(page)
    titles = [c["title"] for c in _grid_columns(page)]
    assert titles[:5] == ["名义 Nominal", "地区 Region", "中位 Median", "P5", "P95"], titles
    # the cells show the published numbers (a percentile may fall between two ranks)
    for r in published.head(8).itertuples():
        name = page.locator("[data-testid='stDataFrame'] [role='gridcell']", has_text=r.region_name)
        cells = name.first.locator("xpath=..").locator("[role='gridcell']").all_inner_texts()
        assert cells[0] == str(r.nominal_rank), cells
        shown = [r.rank_median, r.rank_p05, r.rank_p95, r.interval_width]
        assert cells[2:6] == [charts.fmt_rank_value(v) for v in shown], cells
    _nothing_cut(page)
    _shot(page, "robustness")

    # 2. the sensitivity bars: S1 and ST of each choice with their bootstrap intervals,
    # COINr's output first
    def check(output: str) -> None:
        rows = indices[indices["output_code"] == output]
        ticks = _figure(page, 1, "Array.from(gd._fullLayout.yaxis.ticktext)")
        assert [t.split("<br>")[0] for t in ticks] == rows["choice_name_zh"].tolist()
        chart = page.locator(".js-plotly-plot").nth(1)
        for i, index in enumerate(["s1", "st"]):
            assert chart.locator(".barlayer .trace").nth(i).locator(".point").count() == len(rows)
            assert _figure(page, 1, f"Array.from(gd._fullData[{i}].x)") == rows[index].tolist()
            # the ends of the error bars (plotly draws them as lengths from the value)
            trace = f"gd._fullData[{i}]"
            lower, upper = _figure(
                page,
                1,
                f"[Array.from({trace}.x, (v, k) => v - {trace}.error_x.arrayminus[k]), "
                f"Array.from({trace}.x, (v, k) => v + {trace}.error_x.array[k])]",
            )
            assert lower == pytest.approx(rows[f"{index}_lower"].tolist())
            assert upper == pytest.approx(rows[f"{index}_upper"].tolist())
        table = page.locator("[data-testid='stTable']").last.inner_text()
        for r in rows.itertuples():
            assert f"{r.st:.3f}" in table and f"[{r.s1_lower:.3f}, {r.s1_upper:.3f}]" in table

    check("mean_abs_rank_shift")
    page.get_by_role("radio", name=re.compile(r"^各地区排名")).click()
    page.wait_for_function("() => location.search.includes('output=composite_rank')")
    first = indices.loc[indices["output_code"] == "composite_rank", "s1"].iloc[0]
    _until(page, 1, f"Math.abs(gd._fullData[0].x[0] - {first}) < 1e-12")
    _settled(page)
    check("composite_rank")
    _nothing_cut(page)
    _shot(page, "robustness-composite-rank", whole=False)


def test_an_index_without_an_analysis_shows_no_robustness_pictures(bare_page: Any) -> None:
    """No uncertainty analysis declared: the robustness page says so, the profile shows
    no distribution — and neither fails."""
    _open(bare_page, "/robustness?framework=county")
    assert bare_page.get_by_role("heading", name="稳健性 Robustness").is_visible()
    assert bare_page.get_by_text("This index declares no uncertainty", exact=False).is_visible()
    assert bare_page.locator(".js-plotly-plot").count() == 0
    _shot(bare_page, "robustness-none", whole=False)
    _open(bare_page, "/profile?region=suzhou_zhangjiagang", ".polarlayer .trace")
    assert bare_page.get_by_role("heading", name="江苏省张家港市").is_visible()
    assert bare_page.get_by_text("排名稳健性 Rank robustness").count() == 0
    # the radar, the bars and the region over the editions
    bare_page.get_by_text("历年变化 Over the editions").wait_for()
    _settled(bare_page)
    assert bare_page.locator(".js-plotly-plot").count() == 3
    metrics = _metrics(bare_page.locator("[data-testid='stMain']"))
    assert metrics["组内排名 Rank in 县市"] == "3 / 100"
    assert "名义排名 Nominal rank" not in metrics
    _nothing_cut(bare_page)


def test_compare_page(page: Any) -> None:
    _open(page, "/compare?regions=beijing_haidian,shanghai_pudong", ".js-plotly-plot .barlayer")
    assert page.get_by_role("heading", name="对比 Compare regions").is_visible()
    links = page.locator("[data-testid='stMain'] a[href*='profile?region=']")
    assert {"北京海淀区", "上海浦东新区"} <= set(links.all_inner_texts())
    assert page.locator("a[href='profile?region=shanghai_pudong']").count() >= 2
    assert _figure(page, 0, "gd._fullLayout.xaxis.range")[0] == 0
    assert _figure(page, 1, "gd._fullLayout.xaxis.range")[0] == 0
    assert page.locator(".js-plotly-plot").first.locator(".barlayer .trace").count() == 2
    side = page.locator("[data-testid='stTable']").last.inner_text()
    assert "92.8 · #1" in side and "数字经济 Digital economy" in side
    # a third region
    _choose(page, "stMultiSelect", "地区 Regions", re.compile("深圳龙岗区"))
    page.locator("a[href='profile?region=shenzhen_longgang']").first.wait_for()
    _until(page, 0, "gd.data.length === 3")
    _settled(page)
    assert page.locator(".js-plotly-plot").first.locator(".barlayer .trace").count() == 3
    _nothing_cut(page)
    _shot(page, "compare")


def test_map_colours_one_peer_group_at_a_time(page: Any, warehouse_copy: Path) -> None:
    con = duckdb.connect(str(warehouse_copy), read_only=True)
    try:
        ranges = {
            fw: (lo, hi)
            for fw, lo, hi in con.execute(
                """select framework_code, min(composite_score), max(composite_score)
               from published.rankings where edition = 2022 group by 1"""
            ).fetchall()
        }
        beijing = con.execute("""select min(composite_score), max(composite_score)
                                 from published.rankings where edition = 2022
                                 and framework_code = 'district' and province = '北京市'
                              """).fetchone()
    finally:
        con.close()
    zrange = "[gd.data[1].zmin, gd.data[1].zmax]"
    # the zones, by the map's address: diamonds at their host area, on the zones' scale
    _open(page, "/map?framework=zone", ".scattergeo path.point")
    assert page.get_by_role("heading", name="地图 Map").is_visible()
    assert "高新区/经开区" in _sidebar_peer_group(page)
    assert page.locator(".scattergeo path.point").count() == 30
    assert _figure(page, 0, "[gd.data[1].marker.cmin, gd.data[1].marker.cmax]") == pytest.approx(
        ranges["zone"]
    )
    _nothing_cut(page)
    _shot(page, "map-zones", whole=False)

    # another peer group: the districts' own boundaries on the districts' scale
    _pick_peer_group(page, "城区", "framework=district")
    _until(
        page,
        0,
        f"gd.data[1].type === 'choropleth' "
        f"&& Math.abs(gd.data[1].zmin - {ranges['district'][0]}) < 1e-6",
    )
    _settled(page)
    assert page.locator("path.choroplethlocation").count() > 150  # and the provinces
    assert _figure(page, 0, zrange) == pytest.approx(ranges["district"])
    assert ranges["district"] != pytest.approx(ranges["zone"])
    _nothing_cut(page)
    _shot(page, "map")

    # one province: the colour range follows the regions shown
    _choose(page, "stSelectbox", "范围 Area", "北京市")
    assert beijing is not None
    _until(page, 0, f"Math.abs(gd.data[1].zmin - {beijing[0]}) < 1e-6")
    _settled(page)
    assert _figure(page, 0, zrange) == pytest.approx(beijing)
    # a click on a region offers its profile
    region = page.locator("g.trace.choropleth").nth(1).locator("path.choroplethlocation")
    box = region.first.bounding_box()
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.locator("[data-testid='stMain'] a[href^='profile?region=beijing_']").first.wait_for()
    # any indicator, of any level
    _choose(page, "stSelectbox", "着色指标 Colour by", "一级 L1 · 数字经济 Digital economy")
    _until(page, 0, "gd.data[1].colorbar.title.text.includes('数字经济')")
    _settled(page)
    assert "indicator=digital_economy" in page.url
    assert _figure(page, 0, zrange) != pytest.approx(beijing)
    _shot(page, "map-beijing", whole=False)


def test_movers_page(page: Any, warehouse_copy: Path) -> None:
    """The published risers and fallers of a peer group in order, and the decomposition of
    a mover's change into its published first-level contributions, drawn; nothing cut."""
    movers = _movers_in_order(warehouse_copy, "county")
    first = movers.iloc[0]
    parts = _published(
        warehouse_copy,
        f"""select i.name_zh, c.contribution
            from published.score_change_contributions as c
            join published.indicators as i
                on i.framework_code = c.framework_code and i.node_code = c.child_code
            where c.edition = 2022 and c.level = 0 and c.region_code = '{first["region_code"]}'
            order by i.sort_order""",
    )
    lfl = _published(
        warehouse_copy,
        """select like_for_like_change from published.peer_group_changes
           where edition = 2022 and framework_code = 'county' and level = 0""",
    ).iloc[0, 0]
    _open(page, "/movers?framework=county", ".js-plotly-plot .barlayer .point")
    assert page.get_by_role("heading", name="变化 Movers").is_visible()
    assert "县市" in _sidebar_peer_group(page)
    main = page.locator("[data-testid='stMain']")
    assert _metrics(main)["同口径 Like-for-like"] == f"{lfl:+.2f}"
    assert page.get_by_text("2021 为合成数据 SYNTHETIC", exact=False).first.is_visible()
    # the movers' rows, in the published order: the region (pinned first), its move
    grid = main.locator("[data-testid='stDataFrame'] [role='gridcell']")
    shown = [t.split("name=")[-1] for t in grid.all_inner_texts() if "name=" in t]
    assert shown == movers["region_name"].tolist()
    for r in movers.itertuples():
        name = grid.filter(has_text=f"name={r.region_name}")
        cells = name.first.locator("xpath=..").locator("[role='gridcell']").all_inner_texts()
        arrow = "↑" if r.direction == "riser" else "↓"
        assert cells[1] == f"{arrow}{r.position}", cells
        # the published change and rank change (the cells' accessible text: the values)
        assert float(cells[4]) == pytest.approx(r.score_change), cells
        assert int(cells[7]) == r.rank_change, cells
    # the first riser's change, split into its four first-level contributions and the total
    assert _figure(page, 0, "Array.from(gd._fullData[0].x)") == pytest.approx(
        parts["contribution"].tolist()
    )
    assert _figure(page, 0, "gd._fullData[1].x[0]") == pytest.approx(first["score_change"])
    assert page.locator(".js-plotly-plot .barlayer .point").count() == len(parts) + 1
    ticks = _figure(page, 0, "gd._fullLayout.yaxis._vals.map(v => v.text)")
    assert [t.split("<br>")[0] for t in ticks if "Total" not in t] == parts["name_zh"].tolist()[
        ::-1
    ]
    _nothing_cut(page)
    _shot(page, "movers")


def test_benchmarking_page(page: Any, warehouse_copy: Path) -> None:
    """The 对标 page in the browser: the region's published peers, the goal path computed
    through the models, the typology scatter with one trace per published type; nothing
    cut, and the warehouse not held."""
    region = "jiaxing_tongxiang"
    _open(page, f"/benchmarking?region={region}", ".js-plotly-plot .scatterlayer .trace")
    assert page.get_by_role("heading", name="对标 Benchmarking").is_visible()
    assert _can_write(warehouse_copy)
    main = page.locator("[data-testid='stMain']")
    peers = _published(
        warehouse_copy,
        f"""select peer_region_name from published.region_peers
            where edition = 2022 and region_code = '{region}' and scope = 'better'
            order by peer_order""",
    )["peer_region_name"].tolist()
    grid = main.locator("[data-testid='stDataFrame'] [role='gridcell']")
    shown = [t.split("name=")[-1] for t in grid.all_inner_texts() if "name=" in t]
    assert shown[: len(peers)] == peers
    assert page.get_by_text("applied through the models", exact=False).count() >= 1
    assert page.get_by_text("reached", exact=False).first.is_visible()
    types = _published(
        warehouse_copy,
        "select count(distinct cluster_id) from published.region_typology "
        "where edition = 2022 and framework_code = 'county'",
    ).iloc[0, 0]
    assert _figure(page, 0, "gd._fullData.filter(t => t.showlegend !== false).length") == types
    _nothing_cut(page)
    _shot(page, "benchmarking")


def test_distribution_page(page: Any, warehouse_copy: Path) -> None:
    _open(page, "/distribution", ".boxlayer .trace")
    assert _can_write(warehouse_copy)  # the running dashboard does not hold the warehouse
    assert page.get_by_role("heading", name="分布 Distribution").is_visible()
    assert page.locator(".boxlayer .trace").count() >= 5
    assert page.get_by_text("报告所述均值 stated average").first.is_visible()
    assert _figure(page, 0, "gd._fullLayout.yaxis.range")[0] == 0
    assert _figure(page, 1, "gd._fullLayout.xaxis.range")[0] == 0
    _nothing_cut(page)
    _shot(page, "distribution")


def test_reconciliation_page(page: Any) -> None:
    _open(page, "/reconciliation", "[data-testid='stTable']")
    assert page.get_by_role("heading", name="核对与审计 Reconciliation and audit").is_visible()
    main = page.locator("[data-testid='stMain']")
    # the reproduced counts are the published ones
    assert _metrics(main) == {
        "城区 district": "120 / 120",
        "县市 county": "100 / 100",
        "高新区/经开区 zone": "30 / 30",
    }
    assert page.get_by_text("23 排名或得分不同").is_visible()
    assert page.get_by_text("Audit of the printed report: 51 findings").is_visible()
    differs = main.locator("[data-testid='stTable']").first.inner_text()
    # human labels for statuses and kinds; reasons and evidence in full
    assert "排名不同 rank differs" in differs and "rank_mismatch" not in differs
    assert (
        "the printed table is out of score order: its rank disagrees with its score "
        "against 济南市中区 (printed 84, 67.7), 海口龙华区 (printed 85, 67.7)" in differs
    )
    audit = main.locator("[data-testid='stTable']").nth(1).inner_text()
    assert "并列得分 tied scores" in audit and "(report line 584)" in audit
    assert page.get_by_role(
        "button", name=re.compile(r"^顺序颠倒 pair out of score order")
    ).is_visible()
    _nothing_cut(page)
    _shot(page, "reconciliation")
