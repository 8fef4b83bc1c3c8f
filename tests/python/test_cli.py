"""The CLI on a published warehouse: filters resolve as users type them; anything unknown
is a usage error (exit 2) that lists what exists — never an empty table and exit 0."""

from __future__ import annotations

from pathlib import Path

import pytest

from _project import digindex
from digindex import cli


def test_query_by_peer_group_code_or_name(
    baseline: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert digindex(baseline, "query", "县市", "-n", "3") == 0
    out = capsys.readouterr().out
    assert "top 3 of 100" in out and "昆山市" in out


@pytest.mark.parametrize("province", ["浙江", "浙江省"])
def test_province_with_or_without_its_suffix(
    baseline: Path, province: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert digindex(baseline, "query", "county", "--province", province) == 0
    out = capsys.readouterr().out
    assert "浙江省, top 10 of 18" in out and "慈溪市" in out
    assert "江苏" not in out


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["浙江"], ["no peer group '浙江'", "district (城区)", "--province 浙江"]),
        (["city"], ["no peer group 'city'", "county (县市)", "zone"]),
        (["--province", "火星"], ["no province '火星'", "浙江省"]),
        (["--region", "海淀"], ["no region '海淀'", "北京海淀区"]),
        (["--edition", "2023", "--region", "北京海淀区"], ["in edition 2023"]),
    ],
    ids=["province_as_group", "unknown_group", "unknown_province", "unknown_region", "edition"],
)
def test_unknown_filters_are_usage_errors_listing_what_exists(
    baseline: Path, args: list[str], expected: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert digindex(baseline, "query", *args) == cli.EXIT_USAGE
    captured = capsys.readouterr()
    assert captured.out == ""
    for text in expected:
        assert text in captured.err, captured.err


def test_region_shows_its_neighbours_in_the_ranking(
    baseline: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert digindex(baseline, "query", "--region", "beijing_haidian") == 0
    out = capsys.readouterr().out
    assert "北京海淀区" in out and "上海浦东新区" in out


@pytest.mark.parametrize("edition", ["2023", "-7"])
def test_publishing_an_absent_edition_is_refused(
    baseline: Path, edition: str, capsys: pytest.CaptureFixture[str]
) -> None:
    before = sorted(p.name for p in (baseline / "publish").iterdir())
    assert digindex(baseline, "publish", "--edition", edition) == cli.EXIT_USAGE
    err = capsys.readouterr().err
    assert f"edition {edition} is not in the data (editions: 2021, 2022)" in err
    assert sorted(p.name for p in (baseline / "publish").iterdir()) == before
