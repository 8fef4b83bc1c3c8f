"""The dashboard: its queries read the published schema without holding the warehouse, and
the Streamlit app, started as `make dashboard` starts it, renders every page in Debian's
Chromium (driven by Playwright) with no request leaving this machine.

Screenshots go to build/test-artifacts/dashboard-*.png.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from _browser import ARTIFACTS, chromium_context
from _repo import REPO_ROOT
from digindex.dashboard import charts, data
from digindex.dashboard.launch import APP, streamlit_command

SERVER_START_S = 60
PAGE_MS = 45_000


# --- the data layer --------------------------------------------------------------------

@pytest.fixture(scope="module")
def warehouse_copy(baseline: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the published warehouse: these tests also open it for writing."""
    target = tmp_path_factory.mktemp("dashboard") / "wh.duckdb"
    shutil.copy2(baseline / "wh.duckdb", target)
    return target


def test_queries_read_the_published_schema(warehouse_copy: Path) -> None:
    assert data.editions(warehouse_copy) == [2022]
    fws = data.frameworks(warehouse_copy, 2022)
    assert fws["framework_code"].tolist() == ["district", "county", "zone"]
    assert fws["regions"].tolist() == [120, 100, 30]
    district = data.rankings(warehouse_copy, 2022, "district")
    assert len(district) == 120
    assert district.iloc[0]["region_name"] == "北京海淀区"
    level1 = data.indicators(warehouse_copy, "district", 1)["node_code"].tolist()
    assert len(level1) == 4 and all(c in district.columns for c in level1)
    # strengths and weaknesses: one row per third-level indicator, ranks within the group
    ranks = data.node_ranks(warehouse_copy, 2022, "beijing_haidian", 3)
    assert len(ranks) == 42
    assert ranks["peer_count"].eq(120).all() and ranks["peer_rank"].between(1, 120).all()
    assert ranks["peer_rank"].is_monotonic_increasing
    prov = data.province_rank(warehouse_copy, 2022, "beijing_haidian")
    assert prov["province"] == "北京市" and prov["rank"] == 1 and prov["count"] >= 2
    stated = data.peer_summary(warehouse_copy, 2022, "district")
    assert stated["stated_average"].notna().sum() == 5


def _holder(db: Path, seconds: float) -> subprocess.Popen[str]:
    """Another process holding the warehouse open for writing (as dbt or the publisher)."""
    code = ("import duckdb, sys, time; c = duckdb.connect(sys.argv[1]); print('held', "
            "flush=True); time.sleep(float(sys.argv[2])); c.close()")
    proc = subprocess.Popen([sys.executable, "-c", code, str(db), str(seconds)],
                            stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None and proc.stdout.readline().strip() == "held"
    return proc


def _can_write(db: Path) -> bool:
    """Whether another process can open the warehouse for writing right now."""
    code = "import duckdb, sys; duckdb.connect(sys.argv[1]).close()"
    return subprocess.run([sys.executable, "-c", code, str(db)], capture_output=True,
                          timeout=60).returncode == 0


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
        assert data.editions(warehouse_copy) == [2022]
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


# --- the app in a browser ------------------------------------------------------------

def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def dashboard(warehouse_copy: Path) -> Iterator[str]:
    """The dashboard on a free local port, reading the published warehouse copy."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    port = _free_port()
    log_path = ARTIFACTS / "dashboard-server.log"
    env = {**os.environ, "STREAMLIT_BROWSER_GATHER_USAGE_STATS": "false",
           "DIGINDEX_DB": str(warehouse_copy)}
    with log_path.open("w") as log:
        proc = subprocess.Popen(streamlit_command(warehouse_copy, port), stdout=log,
                                stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env,
                                cwd=REPO_ROOT, start_new_session=True)
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
                pytest.fail(f"the dashboard did not answer within {SERVER_START_S} s:\n"
                            + log_path.read_text())
            time.sleep(0.3)
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
def browser_context(tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    with chromium_context(tmp_path_factory.mktemp("chromium-profile"), locale="zh-CN") as context:
        yield context


@pytest.fixture()
def page(browser_context, dashboard: str) -> Iterator[object]:  # type: ignore[no-untyped-def]
    """A tab that lets only requests to the dashboard through, and checks none other left."""
    outside: list[str] = []

    def route(r) -> None:  # type: ignore[no-untyped-def]
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
    try:
        yield tab
    finally:
        tab.close()
    assert outside == [], f"the dashboard tried to reach the network: {outside}"
    assert errors == [], f"JavaScript errors: {errors}"


def _open(tab, url: str, ready: str) -> None:  # type: ignore[no-untyped-def]
    tab.goto(url, wait_until="domcontentloaded")
    tab.wait_for_selector(ready, state="attached")
    # the script has finished once Streamlit's "running" indicator is gone
    tab.wait_for_function("() => !document.querySelector('[data-testid=\"stStatusWidget\"]')")


def _shot(tab, name: str) -> None:  # type: ignore[no-untyped-def]
    tab.wait_for_timeout(300)
    tab.screenshot(path=str(ARTIFACTS / f"dashboard-{name}.png"))


def test_rankings_page_lists_the_districts(page, dashboard: str) -> None:  # type: ignore[no-untyped-def]
    _open(page, dashboard + "/", "[data-testid='stDataFrame'] [role='gridcell']")
    assert page.get_by_role("heading", name="排名 Rankings").is_visible()
    haidian = page.locator("[data-testid='stDataFrame'] [role='gridcell']",
                           has_text="北京海淀区")
    haidian.first.wait_for(state="attached")
    cells = haidian.first.locator("xpath=..").locator("[role='gridcell']").all_inner_texts()
    assert cells[:3] == ["1", "北京海淀区", "北京市"], cells
    assert page.get_by_text("120 / 120 regions shown").is_visible()
    assert page.get_by_role("button", name="下载 CSV Download CSV").is_visible()
    _shot(page, "rankings")
    # filter by a flag: the districts of the four municipalities (直辖市)
    flags = page.locator("[data-testid='stMultiSelect']", has_text="标记 Flags")
    flags.locator("input").click()
    page.get_by_role("option", name="直辖市 municipality").click()
    page.get_by_text("20 / 120 regions shown").wait_for()
    page.keyboard.press("Escape")
    _shot(page, "rankings-municipalities")


def test_region_profile_renders_its_radar(page, dashboard: str) -> None:  # type: ignore[no-untyped-def]
    _open(page, dashboard + "/profile?region=beijing_haidian", ".polarlayer .trace")
    assert page.get_by_role("heading", name="北京市海淀区").is_visible()
    radar = page.locator(".js-plotly-plot", has=page.locator(".polarlayer .trace")).first
    assert radar.locator(".polarlayer .trace").count() == 2  # the region and the peer mean
    legend = radar.locator(".legendtext").all_text_contents()
    assert "北京海淀区" in legend and any("peer-group mean" in t for t in legend), legend
    assert page.get_by_text("优势 Strengths (top 5)").is_visible()
    assert page.get_by_text("短板 Weaknesses (bottom 5)").is_visible()
    assert page.get_by_text("1 / 120").first.is_visible()
    _shot(page, "profile")


def test_map_draws_the_districts_and_counties(page, dashboard: str) -> None:  # type: ignore[no-untyped-def]
    _open(page, dashboard + "/map", "path.choroplethlocation")
    page.wait_for_function("() => document.querySelectorAll('path.choroplethlocation').length"
                           " > 200")
    # 219 own boundaries + the provinces behind them; the 31 others are diamonds
    assert page.locator("path.choroplethlocation").count() > 240
    assert page.locator(".scattergeo path.point").count() >= 30
    _shot(page, "map")


def test_distribution_and_reconciliation_pages(page, dashboard: str) -> None:  # type: ignore[no-untyped-def]
    _open(page, dashboard + "/distribution", ".boxlayer .trace")
    assert page.locator(".boxlayer .trace").count() >= 5
    assert page.get_by_text("报告所述均值 stated average").first.is_visible()
    _shot(page, "distribution")
    _open(page, dashboard + "/reconciliation", "[data-testid='stDataFrame']")
    assert page.get_by_text("Audit of the printed report: 51 findings").is_visible()
    assert page.get_by_text("23 排名或得分不同").is_visible()
    _shot(page, "reconciliation")


def test_the_running_dashboard_does_not_hold_the_warehouse(page, dashboard: str,  # type: ignore[no-untyped-def]
                                                           warehouse_copy: Path) -> None:
    _open(page, dashboard + "/", "[data-testid='stDataFrame'] [role='gridcell']")
    assert _can_write(warehouse_copy)
