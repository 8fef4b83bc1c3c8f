"""The static report: every region, nothing fetched, every chart drawn offline, and the
presentation numbers (ranks, percentiles, peer means, reproduced counts) as published.

It is written by `digindex report` from the baseline publication into a temporary publish
directory (the baseline's own publish/ stays as the publication left it). Chromium loads it
with every request but file: ones aborted; screenshots go to
build/test-artifacts/report*.png.
"""

from __future__ import annotations

import contextlib
import io
import re
import shutil
from collections.abc import Iterator
from html import escape
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import pytest

from _browser import ARTIFACTS, LEGENDS_CUT_JS, chromium_context
from _project import one_edition, without_analysis
from digindex import cli, report
from digindex.dashboard import charts, data


def _cli(project: Path, *args: str) -> tuple[int, str, str]:
    """`digindex --project-dir <project> <args>`: exit code, stdout, stderr."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = cli.main(["--project-dir", str(project), *args])
    return code, out.getvalue(), err.getvalue()


@pytest.fixture(scope="module")
def written(baseline: Path, warehouse: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    publish_dir = tmp_path_factory.mktemp("report-publish")
    code, out, _ = _cli(
        baseline,
        "report",
        "--db",
        str(warehouse),
        "--edition",
        "2022",
        "--publish-dir",
        str(publish_dir),
    )
    path = publish_dir / "2022" / "report.html"
    assert code == 0 and str(path) in out
    assert path.stat().st_size > 1_000_000
    return path


@pytest.fixture(scope="module")
def html(written: Path) -> str:
    return written.read_text(encoding="utf-8")


def test_report_lists_all_250_regions(html: str, con: duckdb.DuckDBPyConnection) -> None:
    ranked = con.execute("""select framework_code, region_name from published.rankings
                            where edition = 2022""").fetchall()
    assert len(ranked) == 250
    missing = [name for _, name in ranked if escape(name) not in html]
    assert missing == []
    for framework, n in [("district", 120), ("county", 100), ("zone", 30)]:
        table = re.search(rf'<table id="rankings-{framework}".*?</table>', html, re.S)
        assert table is not None, framework
        assert table.group(0).count("<tr>") - 1 == n  # minus the header row


def test_report_shows_the_published_ranks_and_percentiles(
    html: str, con: duckdb.DuckDBPyConnection
) -> None:
    table = re.search(r'<table id="rankings-county".*?</table>', html, re.S)
    assert table is not None
    heads = re.findall(r"<th(?: [^>]*)?>(.*?)</th>", table.group(0))
    assert heads[:8] == [
        "排名 Rank",
        "报告排名 Printed rank",
        "地区 Region",
        "省份 Province",
        "地级 Prefecture",
        "综合得分 Composite",
        "百分位 Percentile",
        "省内排名 Rank in province",
    ], heads
    rows = {}
    for row in re.findall(r"<tr>(.*?)</tr>", table.group(0), re.S)[1:]:
        cells = [re.sub(r"<[^>]+>", "", c) for c in re.findall(r"<td[^>]*>(.*?)</td>", row)]
        rows[cells[2]] = cells
    published = con.execute("""
        select region_name, rank, percentile, province_rank, province_count
        from published.rankings where edition = 2022 and framework_code = 'county'""")
    for name, rank, percentile, province_rank, province_count in published.fetchall():
        cells = rows[escape(name)]
        assert cells[0] == str(rank) and cells[6] == f"{percentile:.0f}", cells
        assert cells[7] == f"{province_rank} / {province_count}", cells


def test_reproduced_counts_are_the_published_ones(
    html: str, warehouse: Path, tmp_path: Path
) -> None:
    for framework, shown in [
        ("district", "120 / 120"),
        ("county", "100 / 100"),
        ("zone", "30 / 30"),
    ]:
        card = re.search(rf'<div class="card" id="reproduced-{framework}">(.*?)</div>', html)
        assert card is not None and f"<b>{shown}</b>" in card.group(1), framework
    assert "23 排名或得分不同" in html
    assert "排名不同 rank differs" in html and "rank_mismatch</td>" not in html
    # an index with no printed reference for a peer group (as an index folder may be):
    # no "30 / 30" for it, and its regions are not listed as differing
    copy = tmp_path / "no-reference.duckdb"
    shutil.copy2(warehouse, copy)
    con = duckdb.connect(str(copy))
    try:
        con.execute("""update published.reconciliation_summary
                       set has_reference = false, reference_regions = 0,
                           scores_reproduced = 0, not_in_reference = computed_regions
                       where framework_code = 'zone'""")
        con.execute("""update published.reconciliation
                       set status = 'not_in_reference', printed_rank = null,
                           printed_score = null
                       where framework_code = 'zone'""")
    finally:
        con.close()
    section = report._reconciliation_section(copy, 2022, data.reconciliation(copy, 2022))
    card = re.search(r'<div class="card" id="reproduced-zone">(.*?)</div>', section)
    assert card is not None
    assert "no printed reference" in card.group(1) and "30 / 30" not in card.group(1)
    assert "<b>120 / 120</b>" in section
    assert "23 排名或得分不同" in section  # the zones are not "differing"


def _rows(html: str, table_id: str) -> list[list[str]]:
    """The cells of the table `table_id`, as shown (header row left out)."""
    table = re.search(rf'<table id="{table_id}".*?</table>', html, re.S)
    assert table is not None, table_id
    return [
        [re.sub(r"<[^>]+>", "", c) for c in re.findall(r"<td[^>]*>(.*?)</td>", row)]
        for row in re.findall(r"<tr>(.*?)</tr>", table.group(0), re.S)[1:]
    ]


def test_report_lists_the_published_rank_intervals_and_indices(
    html: str, con: duckdb.DuckDBPyConnection
) -> None:
    assert '<a href="#robustness">' in html and 'id="no-analysis"' not in html
    for framework, n in [("district", 120), ("county", 100), ("zone", 30)]:
        published = con.execute(
            """select nominal_rank, region_name, rank_median, rank_p05, rank_p95,
                      interval_width, rank_best, rank_worst, p_top_n
               from published.rank_uncertainty where edition = 2022 and framework_code = ?
               order by nominal_rank, region_name""",
            [framework],
        ).fetchall()
        assert len(published) == n
        expected = [
            [
                str(rank),
                escape(name),
                *(charts.fmt_rank_value(v) for v in (median, p05, p95, width)),
                str(best),
                str(worst),
                charts.fmt_share(p_top),
            ]
            for rank, name, median, p05, p95, width, best, worst, p_top in published
        ]
        assert _rows(html, f"intervals-table-{framework}") == expected, framework
        indices = con.execute(
            """select output_code, s1, s1_lower, s1_upper, st, st_lower, st_upper
               from published.sensitivity_indices where edition = 2022 and framework_code = ?
               order by output_code = 'composite_rank', choice_position""",
            [framework],
        ).fetchall()
        assert len(indices) == 8  # two outputs × four choices
        shown = _rows(html, f"sensitivity-table-{framework}")
        assert [r[0] for r in shown] == [escape(data.human(data.OUTPUTS, o)) for o, *_ in indices]
        assert [r[2:] for r in shown] == [
            [f"{s1:.3f}", f"[{s1_lo:.3f}, {s1_hi:.3f}]", f"{st:.3f}", f"[{st_lo:.3f}, {st_hi:.3f}]"]
            for _, s1, s1_lo, s1_hi, st, st_lo, st_hi in indices
        ]


@pytest.fixture(scope="module")
def bare_html(warehouse: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The report of an index that declares no uncertainty analysis."""
    folder = tmp_path_factory.mktemp("report-bare")
    bare = without_analysis(warehouse, folder / "bare.duckdb")
    return report.write_report_into(bare, 2022, folder)


def test_report_without_an_analysis_says_so(
    bare_html: Path, warehouse: Path, tmp_path: Path
) -> None:
    html = bare_html.read_text(encoding="utf-8")
    assert 'id="no-analysis"' in html and "declares no uncertainty" in html
    assert not re.search(r'id="(?:intervals|sensitivity)-', html)
    assert len(re.findall(r'<table id="rankings-', html)) == 3  # the rest as before
    # a warehouse published before the analysis existed: the same note, no error
    old = without_analysis(warehouse, tmp_path / "old.duckdb", drop=True)
    assert 'id="no-analysis"' in report._robustness_section(old, 2022, data.frameworks(old, 2022))


def test_report_refers_to_nothing_outside(html: str) -> None:
    tags = re.findall(r"<script\b[^>]*>", html, re.I)
    assert tags and all(t.lower() == "<script>" for t in tags), set(tags)  # all inline
    # the markup outside the inline scripts (plotly.js itself mentions URLs in strings,
    # which the browser test shows are never requested)
    markup = re.sub(r"<script>.*?</script>", "<script></script>", html, flags=re.S | re.I)
    assert not re.search(r"<link\b", markup, re.I)
    assert not re.search(r"<(?:img|iframe|object|embed|source|video|audio)\b", markup, re.I)
    assert not re.search(r"""(?:src|href)\s*=\s*["']?(?:https?:)?//""", markup, re.I)
    assert not re.search(r"""url\(\s*["']?(?:https?:)?//""", markup, re.I)
    assert not re.search(r"@import", markup, re.I)
    assert "PlotlyGeoAssets" in html  # the base-map stub plotly.js would otherwise fetch


def test_report_cli_explains_what_it_cannot_write(
    baseline: Path, warehouse: Path, tmp_path: Path
) -> None:
    code, _, err = _cli(
        baseline, "report", "--db", str(tmp_path / "absent.duckdb"), "--publish-dir", str(tmp_path)
    )
    assert code == 1 and "no warehouse" in err
    code, _, err = _cli(
        baseline,
        "report",
        "--db",
        str(warehouse),
        "--edition",
        "1999",
        "--publish-dir",
        str(tmp_path),
    )
    assert code == 1 and "published: 2022" in err
    assert not (tmp_path / "1999").exists()


@pytest.fixture(scope="module")
def offline_page(written: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    with chromium_context(tmp_path_factory.mktemp("chromium-report")) as context:
        tab = context.new_page()
        tab.set_default_timeout(45_000)
        attempted: list[str] = []
        errors: list[str] = []

        def route(r: Any) -> None:
            if r.request.url.startswith(("file:", "data:", "blob:")):
                r.continue_()
            else:
                attempted.append(r.request.url)
                r.abort()

        tab.route("**/*", route)
        tab.on("pageerror", lambda e: errors.append(str(e)))
        tab.goto(written.as_uri(), wait_until="load")
        tab.wait_for_selector("#map-detail-county path.choroplethlocation", state="attached")
        tab.attempted = attempted
        tab.errors = errors
        yield tab


def _figure(tab: Any, div_id: str, expression: str) -> Any:
    return tab.evaluate(
        f"() => {{ const gd = document.getElementById('{div_id}'); return {expression}; }}"
    )


def test_report_opens_and_draws_offline(offline_page: Any, con: duckdb.DuckDBPyConnection) -> None:
    tab = offline_page
    assert tab.attempted == [], f"the report tried to reach the network: {tab.attempted}"
    assert tab.errors == [], tab.errors
    plots = tab.locator(".js-plotly-plot")
    # 3 radars, 3 distributions, a map per peer group and the 长三角 details of two; per
    # peer group the rank intervals and the sensitivity bars of the two outputs
    # (+ one typology scatter per peer group: the 对标 section)
    assert plots.count() == 11 + 3 * 3 + 3
    for framework in ("district", "county", "zone"):
        types = tab.locator(f"#typology-{framework} .scatterlayer .trace")
        assert types.count() >= 2, framework  # one trace per development type
        # the top 5 and the peer-group mean on each radar; a box per score on each distribution
        assert tab.locator(f"#radar-{framework} .polarlayer .trace").count() == 6
        assert tab.locator(f"#dist-{framework} .boxlayer .trace").count() == 5
        # score axes from 0
        assert _figure(tab, f"radar-{framework}", "gd._fullLayout.polar.radialaxis.range") == [
            0,
            100,
        ]
        assert _figure(tab, f"dist-{framework}", "gd._fullLayout.yaxis.range")[0] == 0
    assert tab.locator("#map-district path.choroplethlocation").count() > 140
    assert tab.locator("#map-county path.choroplethlocation").count() > 120
    assert tab.locator("#map-zone .scattergeo path.point").count() == 30
    assert tab.locator("#map-detail-county path.choroplethlocation").count() > 30
    # each peer group's map on its own colour scale
    ranges = dict(
        con.execute("""select framework_code,
                                        [min(composite_score), max(composite_score)]
                                 from published.rankings where edition = 2022
                                 group by 1""").fetchall()
    )
    for framework in ("district", "county"):
        zrange = _figure(tab, f"map-{framework}", "[gd.data[1].zmin, gd.data[1].zmax]")
        assert zrange == pytest.approx(ranges[framework]), framework
    zone = _figure(tab, "map-zone", "[gd.data[1].marker.cmin, gd.data[1].marker.cmax]")
    assert zone == pytest.approx(ranges["zone"])
    legend = tab.locator("#radar-district .legendtext").all_text_contents()
    assert "1. 北京海淀区" in legend and "同组均值 peer-group mean" in legend, legend
    assert tab.evaluate(LEGENDS_CUT_JS) == []  # every legend whole
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    tab.screenshot(path=str(ARTIFACTS / "report.png"))
    tab.locator("#map").scroll_into_view_if_needed()
    tab.screenshot(path=str(ARTIFACTS / "report-map.png"))
    tab.locator("#reconciliation").scroll_into_view_if_needed()
    tab.screenshot(path=str(ARTIFACTS / "report-reconciliation.png"))


def test_report_draws_the_rank_intervals_and_sensitivity_bars(
    offline_page: Any, con: duckdb.DuckDBPyConnection
) -> None:
    """Per peer group: the rank intervals of the published rows (by nominal rank, rank 1 at
    the top left) and one bar of S1 and one of ST per choice with the published values."""
    tab = offline_page
    for framework, n in [("district", 120), ("county", 100), ("zone", 30)]:
        published = con.execute(
            """select region_name, nominal_rank, rank_median, rank_p05, interval_width
               from published.rank_uncertainty where edition = 2022 and framework_code = ?
               order by nominal_rank, region_name""",
            [framework],
        ).df()
        div = f"intervals-{framework}"
        assert tab.locator(f"#{div} .barlayer .point").count() == n
        assert _figure(tab, div, "Array.from(gd._fullLayout.yaxis.ticktext)") == (
            published["region_name"].tolist()
        )
        assert _figure(tab, div, "Array.from(gd._fullData[0].base)") == (
            published["rank_p05"].tolist()
        )
        assert _figure(tab, div, "Array.from(gd._fullData[0].x)") == (
            published["interval_width"].tolist()
        )
        assert _figure(tab, div, "Array.from(gd._fullData[1].x)") == (
            published["rank_median"].tolist()
        )
        assert _figure(tab, div, "Array.from(gd._fullData[2].x)") == (
            published["nominal_rank"].tolist()
        )
        y_range = _figure(tab, div, "gd._fullLayout.yaxis.range")
        assert y_range[0] > y_range[1]  # the first region at the top
        assert _figure(tab, div, "gd._fullLayout.xaxis.range") == [0.5, n + 0.5]
        for output in ("mean_abs_rank_shift", "composite_rank"):
            indices = con.execute(
                """select choice_name_zh, s1, st from published.sensitivity_indices
                   where edition = 2022 and framework_code = ? and output_code = ?
                   order by choice_position""",
                [framework, output],
            ).df()
            div = f"sensitivity-{framework}-{output}"
            for i, index in enumerate(["s1", "st"]):
                bars = tab.locator(f"#{div} .barlayer .trace").nth(i).locator(".point")
                assert bars.count() == len(indices) == 4
                assert _figure(tab, div, f"Array.from(gd._fullData[{i}].x)") == (
                    indices[index].tolist()
                )
            ticks = _figure(tab, div, "Array.from(gd._fullLayout.yaxis.ticktext)")
            assert [t.split("<br>")[0] for t in ticks] == indices["choice_name_zh"].tolist()
    tab.locator("#robust-zone").scroll_into_view_if_needed()
    tab.screenshot(path=str(ARTIFACTS / "report-robustness.png"))


def test_report_without_an_analysis_opens_without_its_charts(
    offline_page: Any, bare_html: Path
) -> None:
    tab = offline_page.context.new_page()
    errors: list[str] = []
    tab.on("pageerror", lambda e: errors.append(str(e)))
    tab.route(
        "**/*",
        lambda r: r.continue_() if r.request.url.startswith(("file:", "data:")) else r.abort(),
    )
    try:
        tab.goto(bare_html.as_uri(), wait_until="load")
        tab.wait_for_selector("#map-detail-county path.choroplethlocation", state="attached")
        assert errors == [], errors
        assert tab.locator(".js-plotly-plot").count() == 11 + 3  # (+ the typology scatters)
        note = tab.locator("#no-analysis")
        assert note.is_visible() and "declares no uncertainty" in note.inner_text()
    finally:
        tab.close()


def test_report_tables_sort_in_the_browser(offline_page: Any) -> None:
    tab = offline_page
    table = tab.locator("#rankings-county")
    first = table.locator("tbody tr").first.locator("td").nth(2)
    assert first.inner_text() == "昆山市"
    header = table.locator("th").nth(5)  # the composite
    header.click()  # ascending
    assert first.inner_text() != "昆山市"
    header.click()  # descending
    assert first.inner_text() == "昆山市"


# --- what changed since the previous edition ------------------------------------------


def _section(html: str) -> str:
    found = re.search(r'<section id="changes">.*?</section>', html, re.S)
    assert found is not None, "no What changed section"
    return found.group(0)


def test_report_says_what_changed(html: str, con: duckdb.DuckDBPyConnection) -> None:
    """Per peer group: the published averages' changes (as published, like-for-like,
    stated) formatted as shown, whether they compare like-for-like and how many regions
    entered and left; the published top risers and fallers in order, with their drivers;
    the synthetic 2021 said so."""
    section = _section(html)
    assert '<a href="#changes">' in html
    assert "2021 为合成数据 SYNTHETIC" in section
    published = con.execute("""
        select framework_code, mean_change, like_for_like_change, stated_change,
               is_like_for_like, region_count, previous_region_count, like_for_like_count,
               entered_count, left_count
        from published.peer_group_changes
        where edition = 2022 and level = 0""").df()
    assert len(published) == 3
    for p in published.itertuples():
        rows = _rows(section, f"changes-{p.framework_code}")
        assert len(rows) == 5  # the composite and its four first-level indicators
        composite = rows[0]
        assert composite[0] == "综合得分 Composite"
        assert composite[1] == f"{p.region_count} / {p.previous_region_count}"
        assert composite[4] == f"{p.mean_change:+.2f}", composite
        assert composite[5] == f"{p.like_for_like_change:+.2f}", composite
        assert composite[6] == ("" if pd.isna(p.stated_change) else f"{p.stated_change:+.1f}")
        note = re.search(rf'<p class="note" id="comparison-{p.framework_code}">(.*?)</p>', section)
        assert note is not None
        assert f"{p.entered_count} entered, {p.left_count} left" in note.group(1)
        if p.is_like_for_like:
            assert "<b>Like-for-like</b>" in note.group(1)
        else:
            assert "<b>Not like-for-like</b>" in note.group(1)
            assert f"compares the {p.like_for_like_count} regions" in note.group(1)
    # the district averages are not like-for-like: the 20 districts of the municipalities
    # entered in 2022
    assert published.set_index("framework_code").loc["district", "entered_count"] == 20

    for framework in ("district", "county", "zone"):
        movers = con.execute(
            """select m.direction, m.position, m.region_name, m.score_change, m.rank_change,
                      m.comparable_rank_change, i.name_zh, m.main_indicator_code,
                      m.main_indicator_contribution, t.name_zh, m.main_metric_code,
                      m.main_metric_contribution
               from published.movers as m
               left join published.indicators as i
                   on i.framework_code = m.framework_code
                   and i.node_code = m.main_indicator_code
               left join published.metrics as t
                   on t.framework_code = m.framework_code
                   and t.metric_code = m.main_metric_code
               where m.edition = 2022 and m.framework_code = ? and m.position <= ?
               order by m.direction = 'faller', m.position""",
            [framework, report.TOP_N],
        ).fetchall()
        rows = _rows(section, f"movers-{framework}")
        assert [r[2] for r in rows] == [escape(m[2]) for m in movers]  # the published order
        for row, m in zip(rows, movers, strict=True):
            assert row[0].startswith("↑" if m[0] == "riser" else "↓") and row[1] == str(m[1])
            assert row[5] == f"{m[3]:+.2f}"
            assert row[7] == (f"{m[4]:+d}" if m[4] else "0")
            assert row[9] == f"{m[6]} ({m[7]}) {m[8]:+.2f}"
            assert row[10] == f"{escape(m[9])} ({m[10]}) {m[11]:+.2f}"


def test_report_of_the_first_edition_or_of_one_edition(warehouse: Path, tmp_path: Path) -> None:
    """The first of two editions: no changes, said so, and the edition called synthetic;
    a warehouse of one edition (the change tables empty or missing): no section at all."""
    first = report.render_report(warehouse, 2021)
    assert 'id="no-previous"' in _section(first)
    assert not re.search(r'id="(?:changes|movers)-', first)
    banner = re.search(r'<p class="synthetic" id="synthetic">(.*?)</p>', first)
    assert banner is not None and "2021 为合成数据 SYNTHETIC" in banner.group(1)
    assert "reproduce the printed report" not in first
    for drop in (False, True):
        one = one_edition(warehouse, tmp_path / f"one-{drop}.duckdb", drop=drop)
        frameworks = data.frameworks(one, 2022)
        assert report._changes_section(one, 2022, frameworks) == ""


def test_report_of_a_real_edition_has_no_synthetic_banner(html: str) -> None:
    assert 'id="synthetic"' not in html
    assert "The composite scores reproduce the printed report at one decimal" in html


def test_report_shows_the_tiers_and_development_types(
    html: str, con: duckdb.DuckDBPyConnection
) -> None:
    """Per peer group: the default tier scheme's tiers with their published ranges and
    sizes, and the published development types with their sizes, in the 对标 section."""
    found = re.search(r'<section id="benchmarking">.*?</section>', html, re.S)
    assert found is not None and '<a href="#benchmarking">' in html
    section = found.group(0)
    for framework in ("district", "county", "zone"):
        tiers = con.execute(
            """select b.tier_name_zh, b.lower_bound, count(t.region_code) as n
               from published.tier_bounds as b
               left join published.region_tiers as t
                 using (edition, framework_code, scheme_code, tier)
               where b.edition = 2022 and b.framework_code = ? and b.is_default
               group by b.tier, b.tier_name_zh, b.lower_bound order by b.tier""",
            [framework],
        ).fetchall()
        rows = _rows(section, f"tiers-{framework}")
        assert [r[0].split(" ")[0] for r in rows] == [t[0] for t in tiers]
        assert [int(r[4]) for r in rows] == [t[2] for t in tiers]
        assert [r[2] for r in rows] == ["" if t[1] is None else f"{t[1]:.2f}" for t in tiers]
        types = con.execute(
            """select type_name_zh, count(*) from published.region_typology
               where edition = 2022 and framework_code = ? group by all order by min(cluster_id)""",
            [framework],
        ).fetchall()
        rows = _rows(section, f"types-{framework}")
        assert [(r[0].split(" · ")[0], int(r[1])) for r in rows] == types
