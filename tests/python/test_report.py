"""The static report: every region, nothing fetched, every chart drawn offline.

It is written from the baseline publication into a temporary publish directory (the
baseline's own publish/ stays as the publication left it). Chromium loads it with every
request but file: ones aborted; a screenshot goes to build/test-artifacts/report.png.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from html import escape
from pathlib import Path

import duckdb
import pytest

from _browser import ARTIFACTS, chromium_context
from digindex import report


@pytest.fixture(scope="module")
def written(baseline: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    publish_dir = tmp_path_factory.mktemp("report-publish")
    path = report.write_report(baseline / "wh.duckdb", None, publish_dir)
    assert path == publish_dir / "2022" / "report.html"
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


def test_report_cli(baseline: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = report.main(["--db", str(baseline / "wh.duckdb"), "--edition", "2022",
                        "--publish-dir", str(tmp_path)])
    assert code == 0
    assert (tmp_path / "2022" / "report.html").stat().st_size > 1_000_000
    assert "report.html" in capsys.readouterr().out
    assert report.main(["--db", str(tmp_path / "absent.duckdb"),
                        "--publish-dir", str(tmp_path)]) == 1
    assert report.main(["--db", str(baseline / "wh.duckdb"), "--edition", "1999",
                        "--publish-dir", str(tmp_path)]) == 1
    assert "published: 2022" in capsys.readouterr().err


@pytest.fixture(scope="module")
def offline_page(written: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    with chromium_context(tmp_path_factory.mktemp("chromium-report")) as context:
        tab = context.new_page()
        tab.set_default_timeout(45_000)
        attempted: list[str] = []
        errors: list[str] = []

        def route(r) -> None:  # type: ignore[no-untyped-def]
            if r.request.url.startswith(("file:", "data:", "blob:")):
                r.continue_()
            else:
                attempted.append(r.request.url)
                r.abort()

        tab.route("**/*", route)
        tab.on("pageerror", lambda e: errors.append(str(e)))
        tab.goto(written.as_uri(), wait_until="load")
        tab.wait_for_selector("#map-detail path.choroplethlocation", state="attached")
        tab.attempted = attempted  # type: ignore[attr-defined]
        tab.errors = errors  # type: ignore[attr-defined]
        yield tab


def test_report_opens_and_draws_offline(offline_page) -> None:  # type: ignore[no-untyped-def]
    tab = offline_page
    assert tab.attempted == [], f"the report tried to reach the network: {tab.attempted}"
    assert tab.errors == [], tab.errors
    plots = tab.locator(".js-plotly-plot")
    assert plots.count() == 8  # 3 radars, 3 distributions, 2 maps
    for framework in ("district", "county", "zone"):
        # the top 5 and the peer-group mean on each radar; a box per score on each distribution
        assert tab.locator(f"#radar-{framework} .polarlayer .trace").count() == 6
        assert tab.locator(f"#dist-{framework} .boxlayer .trace").count() == 5
    assert tab.locator("#map-national path.choroplethlocation").count() > 240
    assert tab.locator("#map-detail path.choroplethlocation").count() > 60
    legend = tab.locator("#radar-district .legendtext").all_text_contents()
    assert "1. 北京海淀区" in legend, legend
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    tab.screenshot(path=str(ARTIFACTS / "report.png"))
    tab.locator("#map").scroll_into_view_if_needed()
    tab.screenshot(path=str(ARTIFACTS / "report-map.png"))


def test_report_tables_sort_in_the_browser(offline_page) -> None:  # type: ignore[no-untyped-def]
    tab = offline_page
    table = tab.locator("#rankings-county")
    first = table.locator("tbody tr").first.locator("td").nth(2)
    assert first.inner_text() == "昆山市"
    header = table.locator("th").nth(5)  # the composite
    header.click()  # ascending
    assert first.inner_text() != "昆山市"
    header.click()  # descending
    assert first.inner_text() == "昆山市"
