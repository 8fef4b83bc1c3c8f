"""Plotly figures shared by the dashboard and the static report.

No figure needs the network: maps are geojson choropleths (``fitbounds``, no tiles) whose
polygons come from :mod:`digindex.geo`. plotly.js still asks for its base-map topojson
whenever a choropleth is drawn (even with every base layer hidden), so callers must
either pre-load the stub :data:`TOPOJSON_STUB` (the static report sets
``window.PlotlyGeoAssets``) or point the ``topojsonURL`` config at a local copy (the
dashboard serves ``static/world_110m.json``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd
import plotly.graph_objects as go

from digindex import geo

FONT = (
    "'Noto Sans CJK SC', 'Noto Sans SC', 'Source Han Sans SC', 'PingFang SC', "
    "'Microsoft YaHei', 'Helvetica Neue', Arial, sans-serif"
)
COLORSCALE = "YlGnBu"
REGION_COLOR = "#1f6fb2"
PEER_COLOR = "#e07b39"
STATED_COLOR = "#c0392b"
# plotly.js fetches "<topojsonURL>/world_110m.json" for any choropleth; this empty
# topology satisfies it (every base layer is hidden, so nothing of it is drawn)
TOPOJSON_NAME = "world_110m"
TOPOJSON_STUB: dict[str, Any] = {
    "type": "Topology",
    "arcs": [],
    "objects": {
        name: {"type": "GeometryCollection", "geometries": []}
        for name in ("coastlines", "land", "ocean", "lakes", "rivers", "countries", "subunits")
    },
}


def _english(name_zh: str | None, name_en: str | None) -> str:
    """The English name, unless it is missing or merely repeats the other name."""
    if not name_en or not isinstance(name_en, str) or name_en == name_zh:
        return ""
    return name_en


def label(name_zh: str, name_en: str | None) -> str:
    """'数字经济 Digital economy' — Chinese first, English beside it."""
    english = _english(name_zh, name_en)
    return f"{name_zh} {english}" if english else str(name_zh)


def axis_label(name_zh: str, name_en: str | None, width: int = 14) -> str:
    """Chinese name over its English one, the English wrapped, for category axes."""
    words, lines, line = _english(name_zh, name_en).split(), [], ""
    for word in words:
        if line and len(line) + 1 + len(word) > width:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}".strip()
    if line:
        lines.append(line)
    return "<br>".join([name_zh, *lines])


SCORE_RANGE = [0, 100]
# the score axes start at 0: a range that starts near the lowest score exaggerates gaps
SCORE_AXIS_RANGE = [0, 102]  # a little room for the markers at 100
SCORE_TICKS = [0, 20, 40, 60, 80, 100]


def _layout(fig: go.Figure, title: str | None = None, height: int = 420) -> go.Figure:
    fig.update_layout(
        title=title,
        height=height,
        font={"family": FONT, "size": 13},
        margin={"l": 40, "r": 30, "t": 60 if title else 30, "b": 40},
        legend={"orientation": "h", "yanchor": "bottom", "y": -0.25, "x": 0.5, "xanchor": "center"},
    )
    return fig


def _legend_below(
    fig: go.Figure, entries: int, top: int = 50, sides: int = 40, labels: int = 50
) -> None:
    """The legend under the plot, one entry a row and centred, inside the figure: nothing
    of it is cut however narrow the chart. `labels`: room for the axis labels the plot
    draws below its area (a radar's bottom axis), clear of the legend."""
    fig.update_layout(
        margin={"l": sides, "r": sides, "t": top, "b": labels + 10 + 21 * entries},
        legend={
            "orientation": "v",
            "yref": "container",
            "y": 0.01,
            "yanchor": "bottom",
            "x": 0.5,
            "xanchor": "center",
        },
    )


def radar(
    axes: Sequence[str],
    series: Sequence[tuple[str, Sequence[float]]],
    reference: tuple[str, Sequence[float]] | None = None,
    title: str | None = None,
    height: int = 480,
) -> go.Figure:
    """Scores on a radar whose radial axis runs from 0 to 100: one closed trace per series
    (a single series is filled), and a dashed reference (e.g. the peer-group mean)."""
    fig = go.Figure()

    def closed(vals: Sequence[float]) -> tuple[list[float], list[str]]:
        return ([*vals, vals[0]], [*axes, axes[0]]) if len(vals) else ([], [])

    single = len(series) == 1
    for name, vals in series:
        r, theta = closed(vals)
        fig.add_trace(
            go.Scatterpolar(
                r=r,
                theta=theta,
                name=name,
                mode="lines+markers",
                fill="toself" if single else "none",
                line={
                    "width": 2.5 if single else 1.8,
                    **({"color": REGION_COLOR} if single else {}),
                },
                hovertemplate="%{theta}: %{r:.1f}<extra>" + name + "</extra>",
            )
        )
    if reference:
        r, theta = closed(reference[1])
        fig.add_trace(
            go.Scatterpolar(
                r=r,
                theta=theta,
                name=reference[0],
                mode="lines+markers",
                line={"width": 2, "dash": "dash", "color": PEER_COLOR if single else "#3d4550"},
                hovertemplate="%{theta}: %{r:.1f}<extra>" + reference[0] + "</extra>",
            )
        )
    fig.update_layout(
        polar={
            "radialaxis": {
                "range": SCORE_RANGE,
                "tickvals": SCORE_TICKS,
                "angle": 45,
                "tickangle": 45,
                "tickfont": {"size": 9},
                "gridcolor": "#d5dbe3",
            },
            "angularaxis": {"direction": "clockwise", "rotation": 90, "gridcolor": "#d5dbe3"},
        },
        showlegend=True,
    )
    _layout(fig, title, height)
    _legend_below(fig, len(series) + (1 if reference else 0), top=80 if title else 50, sides=105)
    return fig


def level2_bars(frame: pd.DataFrame, region_name: str, height: int | None = None) -> go.Figure:
    """Second-level scores as dots on a 0–100 axis, the peer-group mean beside each (a
    dumbbell chart).

    `frame`: data.node_scores() rows of level 2 (name_zh, name_en, parent_zh, score,
    peer_mean, peer_rank, peer_count, sort_order).
    """
    rows = frame.sort_values("sort_order", ascending=False)
    labels = [label(r.name_zh, r.name_en) for r in rows.itertuples()]
    fig = go.Figure()
    for r, lab in zip(rows.itertuples(), labels, strict=True):
        fig.add_trace(
            go.Scatter(
                x=[r.peer_mean, r.score],
                y=[lab, lab],
                mode="lines",
                line={"color": "#b9c3cf", "width": 3},
                showlegend=False,
                hoverinfo="skip",
            )
        )
    fig.add_trace(
        go.Scatter(
            y=labels,
            x=rows["peer_mean"],
            mode="markers",
            name="同组均值 peer-group mean",
            marker={
                "symbol": "line-ns-open",
                "size": 16,
                "color": PEER_COLOR,
                "line": {"width": 3, "color": PEER_COLOR},
            },
            hovertemplate="peer mean %{x:.1f}<extra></extra>",
        )
    )
    fig.add_trace(
        go.Scatter(
            y=labels,
            x=rows["score"],
            mode="markers",
            name=region_name,
            marker={"size": 12, "color": REGION_COLOR},
            customdata=rows[["peer_rank", "peer_count", "parent_zh"]].to_numpy(),
            hovertemplate="%{customdata[2]} · %{y}<br>%{x:.1f} — rank %{customdata[0]} / "
            "%{customdata[1]}<extra></extra>",
        )
    )
    fig.update_xaxes(range=SCORE_AXIS_RANGE, tickvals=SCORE_TICKS, title="得分 score (0–100)")
    fig.update_yaxes(automargin=True)
    _layout(fig, None, height or 130 + 30 * len(rows))
    fig.update_layout(
        legend={
            "orientation": "h",
            "yref": "container",
            "y": 0.995,
            "yanchor": "top",
            "x": 1,
            "xanchor": "right",
        },
        margin={"t": 60, "r": 20},
    )
    return fig


def compare_bars(
    frame: pd.DataFrame, order: Sequence[str], height: int | None = None, title: str | None = None
) -> go.Figure:
    """Grouped horizontal bars on a 0–100 axis: one bar per region for each indicator.

    `frame`: data.compare() rows (region_code, region_name, node_code, name_zh, name_en,
    sort_order, score, peer_rank, peer_count); `order`: region codes, in the legend's order.
    """
    nodes = (
        frame[["node_code", "name_zh", "name_en", "sort_order", "level"]]
        .drop_duplicates("node_code")
        .sort_values("sort_order", ascending=False)
    )
    labels = {
        n.node_code: ("综合得分 Composite" if n.level == 0 else label(n.name_zh, n.name_en))
        for n in nodes.itertuples()
    }
    fig = go.Figure()
    for code in reversed(list(order)):  # plotly stacks the last trace on top of each group
        rows = frame[frame["region_code"] == code].set_index("node_code")
        rows = rows.reindex([n for n in nodes["node_code"] if n in rows.index])
        if rows.empty:
            continue
        name = str(rows["region_name"].iloc[0])
        fig.add_trace(
            go.Bar(
                y=[labels[n] for n in rows.index],
                x=rows["score"],
                name=name,
                orientation="h",
                customdata=rows[["peer_rank", "peer_count"]].to_numpy(),
                text=[f"{v:.1f}" for v in rows["score"]],
                textposition="outside",
                cliponaxis=False,
                hovertemplate=f"<b>{name}</b><br>%{{y}}: %{{x:.1f}} — rank %{{customdata[0]}} / "
                "%{customdata[1]}<extra></extra>",
            )
        )
    fig.update_xaxes(range=[0, 108], tickvals=SCORE_TICKS, title="得分 score (0–100)")
    fig.update_yaxes(automargin=True)
    _layout(fig, title, height or 120 + len(nodes) * (18 * len(order) + 14))
    fig.update_layout(
        barmode="group",
        bargap=0.25,
        bargroupgap=0.05,
        legend={
            "orientation": "h",
            "yref": "container",
            "y": 0.995,
            "yanchor": "top",
            "x": 0,
            "xanchor": "left",
            "traceorder": "reversed",
        },
        margin={"t": 60 if not title else 90, "r": 20},
    )
    return fig


def distribution(
    scores: pd.DataFrame, summary: pd.DataFrame, title: str | None = None, height: int = 460
) -> go.Figure:
    """Box plots of the composite and first-level scores, the report's stated averages marked.

    `scores`: data.scores() rows (levels 0 and 1); `summary`: data.peer_summary() rows.
    """
    fig = go.Figure()
    scores = scores.copy()
    composite = scores["level"] == 0
    scores.loc[composite, "name_zh"] = "综合得分"
    scores.loc[composite, "name_en"] = "Composite"
    nodes = (
        scores[["node_code", "name_zh", "name_en", "sort_order"]]
        .drop_duplicates()
        .sort_values("sort_order")
    )
    for node in nodes.itertuples():
        rows = scores[scores["node_code"] == node.node_code]
        fig.add_trace(
            go.Box(
                y=rows["score"],
                x=[axis_label(node.name_zh, node.name_en)] * len(rows),
                name=node.name_zh,
                boxpoints="all",
                jitter=0.35,
                pointpos=0,
                boxmean=True,
                marker={"size": 4, "opacity": 0.55, "color": REGION_COLOR},
                line={"color": "#35506b"},
                fillcolor="rgba(31,111,178,0.12)",
                text=rows["region_name"],
                showlegend=False,
                hovertemplate="%{text}: %{y:.1f}<extra></extra>",
            )
        )
    stated = summary[["node_code", "stated_average"]].merge(
        nodes[["node_code", "name_zh", "name_en"]], on="node_code", how="inner"
    )
    stated = stated[stated["stated_average"].notna()]
    if not stated.empty:
        fig.add_trace(
            go.Scatter(
                x=[axis_label(r.name_zh, r.name_en) for r in stated.itertuples()],
                y=stated["stated_average"],
                mode="markers",
                name="报告所述均值 stated average",
                marker={
                    "symbol": "diamond",
                    "size": 12,
                    "color": STATED_COLOR,
                    "line": {"width": 1, "color": "white"},
                },
                hovertemplate="stated average %{y:.1f}<extra></extra>",
            )
        )
    fig.update_yaxes(title="得分 score (0–100)", range=SCORE_AXIS_RANGE, tickvals=SCORE_TICKS)
    fig.update_xaxes(tickangle=0)
    _layout(fig, title, height)
    fig.update_layout(
        showlegend=True,
        legend={"orientation": "h", "y": 1.02, "x": 1, "yanchor": "bottom", "xanchor": "right"},
    )
    return fig


def histogram(
    values: Sequence[float],
    stated: float | None,
    computed: float | None,
    title: str | None = None,
    height: int = 320,
) -> go.Figure:
    """Histogram of composite scores with the stated and computed means as lines."""
    fig = go.Figure(
        go.Histogram(
            x=list(values),
            xbins={"size": 1},
            marker_color=REGION_COLOR,
            opacity=0.8,
            name="地区数 regions",
            hovertemplate="%{x}: %{y}<extra></extra>",
        )
    )
    if stated is not None:
        fig.add_vline(
            x=stated,
            line={"color": STATED_COLOR, "width": 2, "dash": "dash"},
            annotation_text=f"报告所述均值 stated {stated:.1f}",
            annotation_position="top left",
        )
    if computed is not None:
        fig.add_vline(
            x=computed,
            line={"color": PEER_COLOR, "width": 2},
            annotation_text=f"计算均值 computed {computed:.2f}",
            annotation_position="top right",
            annotation_yshift=-18,
        )
    fig.update_xaxes(
        title="综合得分 composite score (0–100)", range=SCORE_AXIS_RANGE, tickvals=SCORE_TICKS
    )
    fig.update_yaxes(title="地区数 regions")
    return _layout(fig, title, height)


def placements(regions: pd.DataFrame) -> pd.DataFrame:
    """data.regions() rows with where each goes on the map (polygon or point, lon/lat)."""
    rows = []
    for r in regions.itertuples():
        adcode = None if pd.isna(r.adcode) else str(r.adcode)
        host = None if pd.isna(r.host_adcode) else str(r.host_adcode)
        place = geo.locate(adcode, host)
        rows.append(
            {
                "region_code": r.region_code,
                "map_kind": place.kind if place else None,
                "map_code": place.code if place else None,
                "lon": place.lon if place else None,
                "lat": place.lat if place else None,
                "map_note": place.note if place else "not placed",
            }
        )
    return regions.merge(pd.DataFrame(rows), on="region_code", how="left")


def choropleth_map(
    placed: pd.DataFrame,
    title: str | None = None,
    height: int = 620,
    provinces: Sequence[str] | None = None,
    zrange: tuple[float, float] | None = None,
    value: str = "composite_score",
    rank: str = "rank",
    value_label: str = "综合得分<br>composite",
) -> go.Figure:
    """Districts and counties coloured by a score; zones (and regions without a polygon) as
    diamonds at their host area. Provinces are the grey background.

    `placed`: placements() rows, with the `value` to colour by and its `rank` (and
    peer_count) among the peer group. The colour range is `zrange`, by default the range of
    the regions drawn: draw one peer group at a time, so colours compare like with like.
    `provinces`: names of provinces to draw in the background (default: every one). The
    view fits the drawn locations (``fitbounds``).
    """
    polys = placed[placed["map_kind"] == "polygon"]
    points = placed[placed["map_kind"] == "point"]
    low, high = zrange or (float(placed[value].min()), float(placed[value].max()))
    if high - low < 1e-9:
        low, high = low - 0.5, high + 0.5
    outline = geo.province_outlines()
    base_features = [
        f
        for f in outline["features"]
        if provinces is None or f["properties"]["name"] in set(provinces)
    ]
    fig = go.Figure()
    fig.add_trace(
        go.Choropleth(
            geojson={"type": "FeatureCollection", "features": base_features},
            featureidkey="properties.adcode",
            locations=[f["properties"]["adcode"] for f in base_features],
            z=[0] * len(base_features),
            colorscale=[[0, "#eceff3"], [1, "#eceff3"]],
            showscale=False,
            marker={"line": {"color": "#9aa4b1", "width": 0.6}},
            text=[f["properties"]["name"] for f in base_features],
            hovertemplate="%{text}<extra></extra>",
            name="省界 provinces",
            showlegend=False,
        )
    )
    custom = ["region_name", "peer_group_zh", rank, "peer_count", "province", value, "region_code"]
    hover = (
        "<b>%{customdata[0]}</b> (%{customdata[1]})<br>%{customdata[4]}"
        "<br>%{customdata[5]:.1f} — rank %{customdata[2]} / %{customdata[3]}"
        "<extra></extra>"
    )
    colorbar = {"title": {"text": value_label}, "thickness": 14, "len": 0.7}
    if not polys.empty:
        fig.add_trace(
            go.Choropleth(
                geojson=geo.feature_collection(polys["map_code"]),
                featureidkey="properties.adcode",
                locations=polys["map_code"],
                z=polys[value],
                zmin=low,
                zmax=high,
                colorscale=COLORSCALE,
                marker={"line": {"color": "#333", "width": 0.4}},
                customdata=polys[custom].to_numpy(),
                colorbar=colorbar,
                hovertemplate=hover,
                name="区县 districts & counties",
            )
        )
    if not points.empty:
        fig.add_trace(
            go.Scattergeo(
                lon=points["lon"],
                lat=points["lat"],
                mode="markers",
                marker={
                    "symbol": "diamond",
                    "size": 9,
                    "color": points[value],
                    "cmin": low,
                    "cmax": high,
                    "colorscale": COLORSCALE,
                    "line": {"color": "#222", "width": 0.8},
                    "showscale": polys.empty,
                    "colorbar": colorbar,
                },
                customdata=points[custom].to_numpy(),
                hovertemplate=hover,
                name="置于所在地 at the host area (no boundary of its own)",
            )
        )
    fig.update_geos(
        visible=False, fitbounds="locations", projection_type="mercator", bgcolor="rgba(0,0,0,0)"
    )
    _layout(fig, title, height)
    fig.update_layout(
        showlegend=bool(len(points)),
        margin={"l": 0, "r": 0, "t": 40 if title else 0, "b": 0},
        legend={
            "orientation": "h",
            "x": 0.01,
            "y": 0.99,
            "xanchor": "left",
            "yanchor": "top",
            "bgcolor": "rgba(255,255,255,0.7)",
        },
    )
    return fig


# --- uncertainty and sensitivity ----------------------------------------------------------

INTERVAL_COLOR = "rgba(31,111,178,0.35)"
S1_COLOR = "#9cc3e6"
ST_COLOR = REGION_COLOR
ERROR_COLOR = "#3d4550"
# a peer group of up to this many regions names each on the rank-interval chart (a row of
# ROW_PX each); a larger one is drawn as a caterpillar of fixed height, names on hover
INTERVALS_LABELLED_MAX = 150
ROW_PX = 16


def fmt_rank_value(value: Any) -> str:
    """A rank statistic as published, at most two decimals ('3', '19.05'): medians and
    percentiles of ranks may fall between two ranks."""
    if value is None or pd.isna(value):
        return "–"
    return f"{float(value):.2f}".rstrip("0").rstrip(".")


def fmt_share(value: Any) -> str:
    """A published share (0–1) as a percentage at one decimal at most ('73.5 %', '100 %')."""
    if value is None or pd.isna(value):
        return "–"
    return f"{100 * float(value):.1f}".rstrip("0").rstrip(".") + " %"


def fmt_interval(lower: Any, upper: Any, digits: int = 3) -> str:
    """A published interval as '[0.047, 0.667]' ('–' when an end is missing)."""
    if lower is None or upper is None or pd.isna(lower) or pd.isna(upper):
        return "–"
    return f"[{float(lower):.{digits}f}, {float(upper):.{digits}f}]"


def rank_intervals(frame: pd.DataFrame, title: str | None = None) -> go.Figure:
    """COINr's uncertainty plot: one row per region, in the order of its nominal (published)
    rank, the best at the top; on a rank axis with rank 1 on the left, a bar over the 90 %
    interval (from rank_p05, as long as interval_width), a dot at the median rank and a
    mark at the nominal rank.

    `frame`: data.rank_uncertainty() rows of one peer group (region_name, nominal_rank,
    rank_median, rank_p05, rank_p95, interval_width, p_top_n, top_n), by nominal rank.
    Every number drawn is a published one.
    """
    rows = frame.reset_index(drop=True)
    n = len(rows)
    position = list(range(n))  # the rows, by nominal rank (names may repeat)
    custom = rows[
        ["region_name", "nominal_rank", "rank_median", "rank_p05", "rank_p95", "p_top_n", "top_n"]
    ].to_numpy()
    hover = (
        "<b>%{customdata[0]}</b><br>名义排名 nominal rank %{customdata[1]}"
        "<br>中位 median %{customdata[2]:.4~g} · 90 %: %{customdata[3]:.4~g}–"
        "%{customdata[4]:.4~g}<br>P(前%{customdata[6]} top %{customdata[6]}) "
        "%{customdata[5]:.1%}<extra></extra>"
    )
    fig = go.Figure()
    fig.add_trace(
        go.Bar(
            y=position,
            x=rows["interval_width"],
            base=rows["rank_p05"],
            orientation="h",
            width=0.62,
            marker={"color": INTERVAL_COLOR, "line": {"width": 0}},
            name="90 % 区间 interval (P5–P95)",
            customdata=custom,
            hovertemplate=hover,
        )
    )
    fig.add_trace(
        go.Scatter(
            y=position,
            x=rows["rank_median"],
            mode="markers",
            marker={"size": 7, "color": REGION_COLOR},
            name="中位排名 median rank",
            customdata=custom,
            hovertemplate=hover,
        )
    )
    fig.add_trace(
        go.Scatter(
            y=position,
            x=rows["nominal_rank"],
            mode="markers",
            marker={
                "symbol": "line-ns-open",
                "size": 13,
                "color": PEER_COLOR,
                "line": {"width": 2.5, "color": PEER_COLOR},
            },
            name="名义排名 nominal rank (published)",
            customdata=custom,
            hovertemplate=hover,
        )
    )
    labelled = n <= INTERVALS_LABELLED_MAX
    top = 115 if title else 85
    height = top + 35 + (ROW_PX * max(n, 8) if labelled else 900)
    fig.update_yaxes(
        tickvals=position if labelled else [],
        ticktext=rows["region_name"].astype(str).tolist() if labelled else [],
        showticklabels=labelled,
        range=[n - 0.5, -0.5],  # the first row at the top
        showgrid=False,
        automargin=True,
        fixedrange=True,
    )
    fig.update_xaxes(
        title={"text": "排名 rank (1 = 最好 best)", "standoff": 6},
        side="top",
        range=[0.5, max(n, 1) + 0.5],
        gridcolor="#e3e8ee",
        zeroline=False,
    )
    if n > 40:  # a long chart: the rank axis at its foot as well
        fig.add_trace(
            go.Scatter(x=[None], y=[None], xaxis="x2", showlegend=False, hoverinfo="skip")
        )
        fig.update_layout(
            xaxis2={
                "matches": "x",
                "overlaying": "x",
                "side": "bottom",
                "showgrid": False,
                "zeroline": False,
            }
        )
    _layout(fig, title, height)
    fig.update_layout(
        barmode="overlay",
        hovermode="closest",
        margin={"l": 40, "r": 20, "t": top, "b": 45 if n > 40 else 25},
        legend={
            "orientation": "h",
            "yref": "container",
            "y": 1 - (46 if title else 8) / height,
            "yanchor": "top",
            "x": 0,
            "xanchor": "left",
        },
    )
    return fig


def sensitivity_bars(
    frame: pd.DataFrame, output: str, title: str | None = None, height: int | None = None
) -> go.Figure:
    """COINr's sensitivity plot: for each uncertain choice (in the specification's order,
    the first at the top) a bar of its first-order index S1 and one of its total effect ST,
    each with its 90 % bootstrap interval as an error bar.

    `frame`: data.sensitivity() rows of one peer group; `output`: the output_code drawn.
    The values, and the ends of the error bars, are the published ones (plotly draws an
    error bar as its lengths from the value).
    """
    rows = frame[frame["output_code"] == output].sort_values("choice_position")
    rows = rows.reset_index(drop=True)
    position = list(range(len(rows)))
    labels = [axis_label(r.choice_name_zh, r.choice_name_en, 40) for r in rows.itertuples()]
    names = [label(r.choice_name_zh, r.choice_name_en) for r in rows.itertuples()]
    fig = go.Figure()
    for index, name, color in (
        ("s1", "S1 一阶效应 first-order", S1_COLOR),
        ("st", "ST 总效应 total effect", ST_COLOR),
    ):
        value, lower, upper = rows[index], rows[f"{index}_lower"], rows[f"{index}_upper"]
        fig.add_trace(
            go.Bar(
                y=position,
                x=value,
                orientation="h",
                name=name,
                marker={"color": color},
                error_x={
                    "type": "data",
                    "symmetric": False,
                    "array": (upper - value).tolist(),
                    "arrayminus": (value - lower).tolist(),
                    "color": ERROR_COLOR,
                    "thickness": 1.4,
                    "width": 5,
                },
                customdata=list(zip(names, lower, upper, strict=True)),
                hovertemplate=f"%{{customdata[0]}}<br>{index.upper()} %{{x:.3f}} "
                "(90 %: %{customdata[1]:.3f} – %{customdata[2]:.3f})<extra></extra>",
            )
        )
    fig.update_yaxes(
        tickvals=position,
        ticktext=labels,
        range=[len(rows) - 0.5, -0.5],
        automargin=True,
        fixedrange=True,
    )
    fig.update_xaxes(
        title="Sobol' 指数 index (share of the output's variance)",
        rangemode="tozero",
        zeroline=True,
        zerolinecolor="#7b8794",
        gridcolor="#e3e8ee",
    )
    _layout(fig, title, height or (120 if title else 90) + 80 * max(len(rows), 1))
    fig.update_layout(
        barmode="group",
        bargap=0.3,
        bargroupgap=0.08,
        margin={"l": 40, "r": 20, "t": 90 if title else 50, "b": 45},
        legend={
            "orientation": "h",
            "yref": "container",
            "y": 1 - (48 if title else 6) / fig.layout.height,
            "yanchor": "top",
            "x": 0,
            "xanchor": "left",
            "traceorder": "normal",
        },
    )
    return fig


def rank_distribution_bars(
    dist: pd.DataFrame, summary: pd.Series, title: str | None = None, height: int = 340
) -> go.Figure:
    """A region's rank distribution over the replications: a bar of the share of the
    replications at each rank it takes (rank 1 on the left), and above it the region's row
    of the interval chart: its 90 % interval, median and nominal rank.

    `dist`: data.rank_distribution() rows (rank, n_replications, share); `summary`: the
    region's data.region_uncertainty() row. Every number drawn is a published one.
    """
    fig = go.Figure()
    fig.add_trace(
        go.Bar(
            x=dist["rank"],
            y=dist["share"],
            marker={"color": REGION_COLOR},
            name="份额 share of the replications",
            customdata=dist[["n_replications"]].to_numpy(),
            hovertemplate="排名 rank %{x}: %{y:.1%} (%{customdata[0]} replications)<extra></extra>",
        )
    )
    p05, p95 = float(summary["rank_p05"]), float(summary["rank_p95"])
    fig.add_trace(
        go.Scatter(
            x=[p05, p95],
            y=[0, 0],
            yaxis="y2",
            mode="lines+markers",
            line={"color": INTERVAL_COLOR, "width": 8},
            marker={"symbol": "line-ns-open", "size": 12, "color": INTERVAL_COLOR},
            name="90 % 区间 interval",
            hovertemplate="90 %: %{x:.4~g}<extra></extra>",
        )
    )
    fig.add_trace(
        go.Scatter(
            x=[summary["rank_median"]],
            y=[0],
            yaxis="y2",
            mode="markers",
            marker={"size": 9, "color": REGION_COLOR},
            name="中位 median",
            hovertemplate="中位 median %{x:.4~g}<extra></extra>",
        )
    )
    fig.add_trace(
        go.Scatter(
            x=[summary["nominal_rank"]],
            y=[0],
            yaxis="y2",
            mode="markers",
            marker={
                "symbol": "line-ns-open",
                "size": 16,
                "color": PEER_COLOR,
                "line": {"width": 3, "color": PEER_COLOR},
            },
            name="名义 nominal",
            hovertemplate="名义排名 nominal rank %{x}<extra></extra>",
        )
    )
    ranks = [*dist["rank"].tolist(), summary["nominal_rank"], p05, p95]
    low, high = float(min(ranks)), float(max(ranks))
    fig.update_xaxes(
        title="排名 rank (1 = 最好 best)",
        range=[max(low - 1, 0.4), high + 1],
        dtick=1 if high - low <= 25 else None,
        zeroline=False,
    )
    fig.update_layout(
        yaxis={
            "domain": [0, 0.8],
            "tickformat": ".0%",
            "rangemode": "tozero",
            "title": {"text": "份额 share"},
        },
        yaxis2={"domain": [0.86, 1], "range": [-1, 1], "visible": False, "fixedrange": True},
    )
    _layout(fig, title, height)
    fig.update_layout(
        margin={"l": 50, "r": 20, "t": 50 if title else 20, "b": 100},
        legend={
            "orientation": "h",
            "yref": "container",
            "y": 0.01,
            "yanchor": "bottom",
            "x": 0.5,
            "xanchor": "center",
        },
    )
    return fig


# --- editions and what changed between them -----------------------------------------------

RISE_COLOR = REGION_COLOR
FALL_COLOR = PEER_COLOR
CHANGE_COLOR = "#3d4550"


def fmt_change(value: Any, digits: int = 2) -> str:
    """A published change with its sign ('+1.63', '-0.12'; '–' when missing)."""
    if value is None or pd.isna(value):
        return "–"
    return f"{float(value):+.{digits}f}"


def fmt_rank_change(value: Any) -> str:
    """A published rank change (previous rank − rank: positive is a rise) with its sign
    ('+14', '-3', '0'; '–' when missing)."""
    if value is None or pd.isna(value):
        return "–"
    return f"{int(value):+d}" if int(value) else "0"


def edition_tick(edition: int, synthetic: Sequence[int]) -> str:
    """An edition on a category axis: '2022', or '2021' over '合成 SYNTHETIC'."""
    return f"{int(edition)}<br>合成 SYNTHETIC" if int(edition) in synthetic else str(int(edition))


def history_lines(
    scores: pd.DataFrame,
    synthetic: Sequence[int] = (),
    title: str | None = None,
    height: int | None = None,
) -> go.Figure:
    """A region's scores by edition on a 0–100 axis: the composite (bold, its published
    rank beside each point) and each first-level indicator, the editions oldest first.

    `scores`: data.history_scores() rows (edition, node_code, level, name_zh, name_en,
    sort_order, score, peer_rank, peer_count, region_name). Every number drawn is a
    published one.
    """
    editions = sorted({int(e) for e in scores["edition"]})
    ticks = [edition_tick(e, synthetic) for e in editions]
    tick_of = dict(zip(editions, ticks, strict=True))
    nodes = (
        scores[["node_code", "level", "name_zh", "name_en", "sort_order"]]
        .drop_duplicates("node_code")
        .sort_values("sort_order")
    )
    fig = go.Figure()
    for node in nodes.itertuples():
        rows = scores[scores["node_code"] == node.node_code].sort_values(["edition", "region_code"])
        composite = node.level == 0
        name = "综合得分 Composite" if composite else label(node.name_zh, node.name_en)
        fig.add_trace(
            go.Scatter(
                x=[tick_of[int(e)] for e in rows["edition"]],
                y=rows["score"],
                name=name,
                mode="lines+markers+text" if composite else "lines+markers",
                text=[f"#{int(r)}" for r in rows["peer_rank"]] if composite else None,
                textposition="top center",
                line={"width": 3.5, "color": REGION_COLOR} if composite else {"width": 1.6},
                marker={"size": 10 if composite else 6},
                customdata=rows[["peer_rank", "peer_count", "region_name"]].to_numpy(),
                hovertemplate=f"<b>{name}</b><br>%{{customdata[2]}} · %{{x}}: %{{y:.1f}} — "
                "rank %{customdata[0]} / %{customdata[1]}<extra></extra>",
            )
        )
    fig.update_xaxes(
        type="category", categoryorder="array", categoryarray=ticks, title="版本 edition"
    )
    fig.update_yaxes(range=SCORE_AXIS_RANGE, tickvals=SCORE_TICKS, title="得分 score (0–100)")
    _layout(fig, title, height or 440 + 21 * len(nodes))
    _legend_below(fig, len(nodes), top=70 if title else 30, sides=50, labels=60)
    return fig


def contribution_bars(
    rows: pd.DataFrame, title: str | None = None, height: int | None = None
) -> go.Figure:
    """A score change split into its children's contributions: one horizontal bar per
    child (in the report's order, the first at the top; rises blue, falls orange), and at
    the foot the node's change they add up to.

    `rows`: data.contributions() rows of one node (child_zh, child_en, weight, score,
    previous_score, contribution, node_score_change). Every number drawn is a published one.
    """
    rows = rows.reset_index(drop=True)
    labels = [axis_label(r.child_zh, r.child_en, 24) for r in rows.itertuples()]
    change = float(rows["node_score_change"].iloc[0]) if len(rows) else 0.0
    total = "<b>合计 Total change</b>"
    fig = go.Figure()
    fig.add_trace(
        go.Bar(
            y=labels,
            x=rows["contribution"],
            orientation="h",
            name="贡献 contribution",
            marker={"color": [RISE_COLOR if v >= 0 else FALL_COLOR for v in rows["contribution"]]},
            text=[fmt_change(v) for v in rows["contribution"]],
            textposition="outside",
            cliponaxis=False,
            customdata=rows[["weight", "previous_score", "score"]].to_numpy(),
            hovertemplate="%{y}<br>贡献 contribution %{x:+.2f}<br>weight %{customdata[0]:.3g}: "
            "%{customdata[1]:.1f} → %{customdata[2]:.1f}<extra></extra>",
            showlegend=False,
        )
    )
    fig.add_trace(
        go.Bar(
            y=[total],
            x=[change],
            orientation="h",
            name="合计 total change",
            marker={"color": CHANGE_COLOR},
            text=[fmt_change(change)],
            textposition="outside",
            cliponaxis=False,
            hovertemplate="合计 total change %{x:+.2f}<extra></extra>",
            showlegend=False,
        )
    )
    values = [*rows["contribution"].tolist(), change, 0.0]
    low, high = min(values), max(values)
    pad = max(high - low, 0.5) * 0.25
    fig.update_xaxes(
        range=[low - pad if low < 0 else 0, high + pad if high > 0 else 0],
        zeroline=True,
        zerolinecolor="#7b8794",
        zerolinewidth=1.5,
        gridcolor="#e3e8ee",
        title="得分变化 score change (points)",
    )
    fig.update_yaxes(
        categoryorder="array",
        categoryarray=[total, *reversed(labels)],
        automargin=True,
        fixedrange=True,
    )
    _layout(fig, title, height or (110 if title else 70) + 52 * (len(rows) + 1))
    fig.update_layout(bargap=0.3, margin={"t": 60 if title else 20, "r": 30, "b": 50})
    return fig


# one colour per development type (cluster), the same on every chart
TYPE_COLORS = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2"]


def typology_scatter(
    frame: pd.DataFrame, highlight: str | None = None, height: int = 460
) -> go.Figure:
    """The regions on the first two principal components of their first-level profile mix,
    one colour per development type (published.region_typology's pc1, pc2, type names);
    `highlight`: a region code drawn larger and named."""
    fig = go.Figure()
    clusters = frame[["cluster_id", "type_name_zh", "type_name_en"]].drop_duplicates()
    for n, c in enumerate(clusters.sort_values("cluster_id").itertuples()):
        members = frame[frame["cluster_id"] == c.cluster_id]
        fig.add_trace(
            go.Scatter(
                x=members["pc1"],
                y=members["pc2"],
                mode="markers",
                name=f"{c.type_name_zh} · {c.type_name_en} ({len(members)})",
                marker={"size": 9, "color": TYPE_COLORS[n % len(TYPE_COLORS)], "opacity": 0.8},
                customdata=members[["region_name", "rank"]].to_numpy(),
                hovertemplate="%{customdata[0]} · #%{customdata[1]}<extra>"
                + c.type_name_zh
                + "</extra>",
            )
        )
    if highlight is not None and highlight in set(frame["region_code"]):
        me = frame[frame["region_code"] == highlight].iloc[0]
        fig.add_trace(
            go.Scatter(
                x=[me["pc1"]],
                y=[me["pc2"]],
                mode="markers+text",
                text=[str(me["region_name"])],
                textposition="top center",
                marker={
                    "size": 18,
                    "color": "rgba(0,0,0,0)",
                    "line": {"width": 2.5, "color": "#111"},
                },
                hoverinfo="skip",
                showlegend=False,
            )
        )
    fig.update_xaxes(title="主成分 1 · PC1", zeroline=True, gridcolor="#e3e8ee")
    fig.update_yaxes(title="主成分 2 · PC2", zeroline=True, gridcolor="#e3e8ee")
    _layout(fig, None, height + 24 * len(clusters))
    _legend_below(fig, len(clusters), top=20, labels=50)
    return fig
