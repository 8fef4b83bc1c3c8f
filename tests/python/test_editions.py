"""Editions and change over time (README, "Editions and change over time") on an index
folder of three editions built for it: framework `f` (root arithmetic over pillar `a`,
geometric, and `b`, harmonic; two metrics each, goalposts 0–100) and regions that

- stay from 2020 to 2022 (`s1`…`s5`);
- are renamed in 2022 (`old` → `new`, a succession record);
- merge into another in 2022 (`absorbed` → `s1`), or into a unit the index does not rank
  (`swallowed` → `outside`);
- enter in 2022 (`entrant`);

with a metric at 0 in 2021 (a geometric mean at 0 on one side of a change). A second
folder adds a region that leaves without a record, and one that re-enters under another
code with the same name: continuity findings, never a match by name.
"""

from __future__ import annotations

import csv
from pathlib import Path

import duckdb
import numpy as np
import pytest

from digindex import cli
from digindex.index_folder import REQUIRED, IndexFolderError, load_index

EDITIONS = (2020, 2021, 2022)
METRICS = {"a1": "a", "a2": "a", "b1": "b", "b2": "b"}
TOLERANCE = 1e-9


def _write(path: Path, header: list[str], rows: list[list[object]]) -> None:
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(header)
        writer.writerows(rows)


def make_index(
    folder: Path, extra_regions: dict[str, tuple[str, tuple[int, ...]]] | None = None
) -> Path:
    """The index folder; `extra_regions`: code → (name, editions assessed)."""
    folder.mkdir(parents=True)
    nodes = [
        ["f", "root", "", "Index", "", "arithmetic"],
        ["f", "a", "root", "Pillar a", 2, "geometric"],
        ["f", "b", "root", "Pillar b", 1, "harmonic"],
    ]
    metrics = [
        ["f", m, node, f"Metric {m}", "pt", w, 1, "none", "goalpost", 0, 100]
        for (m, node), w in zip(METRICS.items(), (1, 3, 2, 1), strict=True)
    ]
    assessed: dict[str, tuple[str, tuple[int, ...]]] = {
        **{f"s{i}": (f"Stay {i}", EDITIONS) for i in range(1, 6)},
        "old": ("Old name", (2020, 2021)),
        "new": ("New name", (2022,)),
        "absorbed": ("Absorbed", (2020, 2021)),
        "swallowed": ("Swallowed", (2020, 2021)),
        "entrant": ("Entrant", (2022,)),
        **(extra_regions or {}),
    }
    rng = np.random.default_rng(14)
    regions, values = [], []
    for code, (name, editions) in assessed.items():
        regions.append([code, name, "f"])
        for edition in editions:
            for m in METRICS:
                value = round(float(rng.uniform(5, 95)), 4)
                if (code, edition, m) == ("s3", 2021, "a1"):
                    value = 0.0  # pillar a (geometric) is 0 for s3 in 2021
                values.append([edition, code, m, value])
    _write(folder / "framework.csv", REQUIRED["framework.csv"], nodes)
    _write(folder / "metrics.csv", REQUIRED["metrics.csv"], metrics)
    _write(folder / "regions.csv", REQUIRED["regions.csv"], regions)
    _write(folder / "values.csv", REQUIRED["values.csv"], values)
    _write(
        folder / "succession.csv",
        ["predecessor_code", "successor_code", "year", "kind", "predecessor_name"],
        [
            ["old", "new", 2022, "renamed", "Old name"],
            ["absorbed", "s1", 2022, "merged", ""],
            ["swallowed", "outside", 2022, "merged", ""],
        ],
    )
    return folder


def _run(project: Path, folder: Path, db: Path) -> int:
    return cli.main(
        [
            "run",
            "--index",
            str(folder),
            "--project-dir",
            str(project),
            "--db",
            str(db),
            "--publish-dir",
            str(db.parent / "publish"),
        ]
    )


def _rows(db: Path, sql: str) -> list[tuple]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


@pytest.fixture(scope="module")
def published(index_project: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("editions")
    db = root / "warehouse.duckdb"
    assert _run(index_project, make_index(root / "index"), db) == cli.EXIT_OK
    return db


def test_every_edition_is_published(published: Path) -> None:
    log = _rows(published, "select edition from published.publication_log order by 1")
    assert [e for (e,) in log] == list(EDITIONS)
    for edition in EDITIONS:
        assert (published.parent / "publish" / str(edition) / "manifest.json").is_file()
    counts = dict(_rows(published, "select edition, count(*) from published.rankings group by 1"))
    assert counts == {2020: 8, 2021: 8, 2022: 7}


def test_regions_are_linked_through_the_succession_table(published: Path) -> None:
    links = {
        (edition, before, after): (kind, like)
        for edition, before, after, kind, like in _rows(
            published,
            """select edition, previous_region_code, region_code, link_kind, is_like_for_like
               from published.region_links""",
        )
    }
    same = {
        (2021, c, c): ("same", True)
        for c in ("s1", "s2", "s3", "s4", "s5", "old", "absorbed", "swallowed")
    }
    assert links == {
        **same,
        **{(2022, c, c): ("same", True) for c in ("s2", "s3", "s4", "s5")},
        (2022, "s1", "s1"): ("merged", False),  # it absorbed a region: not like-for-like
        (2022, "absorbed", "s1"): ("merged", False),
        (2022, "swallowed", "outside"): ("merged", False),  # outside the index
        (2022, "old", "new"): ("renamed", True),
        (2022, None, "entrant"): ("new", False),
    }


def test_changes_compare_the_published_scores_and_ranks(published: Path) -> None:
    """fct_score_changes against the published rankings of both editions, read apart."""
    ranked = {
        (edition, code): (score, rank)
        for edition, code, score, rank in _rows(
            published,
            "select edition, region_code, composite_score, rank from published.rankings",
        )
    }
    changes = _rows(
        published,
        """select edition, region_code, previous_region_code, score_change, rank_change,
                  is_like_for_like, comparable_rank_change
           from published.score_changes where level = 0""",
    )
    seen = set()
    for edition, code, before, change, rank_change, like, comparable in changes:
        seen.add((edition, code, before))
        now, then = ranked[(edition, code)], ranked[(edition - 1, before)]
        assert change == pytest.approx(now[0] - then[0], abs=TOLERANCE)
        assert rank_change == then[1] - now[1]
        assert (comparable is not None) == like
    assert (2022, "new", "old") in seen and (2022, "s1", "absorbed") in seen
    assert not any(code == "entrant" for _, code, _ in seen)


def test_comparable_ranks_leave_out_entrants_and_merged_regions(published: Path) -> None:
    rows = _rows(
        published,
        """select region_code, score, previous_score, comparable_rank, comparable_previous_rank
           from published.score_changes
           where edition = 2022 and level = 0 and is_like_for_like""",
    )
    assert {r[0] for r in rows} == {"s2", "s3", "s4", "s5", "new"}
    for code, score, previous, rank, previous_rank in rows:
        assert rank == 1 + sum(other[1] > score for other in rows), code
        assert previous_rank == 1 + sum(other[2] > previous for other in rows), code


def test_peer_group_changes_say_whether_they_are_like_for_like(published: Path) -> None:
    row = _rows(
        published,
        """select region_count, previous_region_count, like_for_like_count, entered_count,
                  left_count, is_like_for_like, mean_change, like_for_like_change
           from published.peer_group_changes where edition = 2022 and node_code = 'root'""",
    )[0]
    scores = dict(
        ((e, c), s)
        for e, c, s in _rows(
            published, "select edition, region_code, composite_score from published.rankings"
        )
    )
    now = [s for (e, _), s in scores.items() if e == 2022]
    then = [s for (e, _), s in scores.items() if e == 2021]
    pairs = [("s2", "s2"), ("s3", "s3"), ("s4", "s4"), ("s5", "s5"), ("new", "old")]
    like = np.mean([scores[(2022, a)] - scores[(2021, b)] for a, b in pairs])
    assert row[:6] == (7, 8, 5, 1, 1, False)  # `swallowed` left: its successor is not ranked
    assert row[6] == pytest.approx(np.mean(now) - np.mean(then), abs=TOLERANCE)
    assert row[7] == pytest.approx(like, abs=TOLERANCE)
    assert _rows(
        published,
        """select bool_and(is_like_for_like) from published.peer_group_changes
           where edition = 2021""",
    ) == [(True,)]


def test_contributions_add_up_under_every_method(published: Path) -> None:
    rows = _rows(
        published,
        """select edition, region_code, node_code, any_value(aggregation),
                  sum(contribution), any_value(node_score_change), count(*)
           from published.score_change_contributions
           group by edition, region_code, node_code""",
    )
    assert {r[3] for r in rows} == {"arithmetic", "geometric", "harmonic"}
    for edition, code, node, _, total, change, _ in rows:
        assert total == pytest.approx(change, abs=TOLERANCE), (edition, code, node)
    # the geometric pillar at 0 on one side: the change goes to the metric at 0
    zero = dict(
        _rows(
            published,
            """select child_code, contribution from published.score_change_contributions
               where edition = 2022 and region_code = 's3' and node_code = 'a'""",
        )
    )
    (change,) = _rows(
        published,
        """select score_change from published.score_changes
           where edition = 2022 and region_code = 's3' and node_code = 'a'""",
    )[0]
    assert zero == {"a1": pytest.approx(change, abs=TOLERANCE), "a2": 0.0}


def test_a_region_leaving_without_a_record_is_refused(
    index_project: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`gone` is assessed in 2020 only; `back` in 2021 under another code and the same
    name: neither is matched by name, `gone` is a continuity finding, nothing is published."""
    folder = make_index(
        tmp_path / "index",
        {"gone": ("Gone", (2020,)), "back": ("Gone", (2021, 2022))},
    )
    db = tmp_path / "warehouse.duckdb"
    assert _run(index_project, folder, db) == cli.EXIT_BUILD
    captured = capsys.readouterr()
    err = captured.out + captured.err
    assert "assert_regions_continue_between_editions" in err
    assert "region_code=gone" in err and "region_code=back" not in err
    assert not (tmp_path / "publish" / "2022").exists()


def test_a_bad_succession_record_is_named(index_project: Path, tmp_path: Path) -> None:
    folder = make_index(tmp_path / "index")
    _write(
        folder / "succession.csv",
        ["predecessor_code", "successor_code", "year", "kind"],
        [["old", "new", 2022, "annexed"], ["old", "new", "twenty", "renamed"]],
    )
    with pytest.raises(IndexFolderError) as err:
        load_index(folder, index_project)
    message = str(err.value)
    assert "succession.csv, line 2, column kind: 'annexed' is not one of" in message
    assert "succession.csv, line 3, column year: 'twenty' is not a number" in message


def test_goalposts_compare_across_editions_and_min_max_does_not(
    index_project: Path, tmp_path: Path
) -> None:
    """The comparability policy, per metric: `x` has the same raw values in both editions
    while the other regions move. Under fixed goalposts its score does not change; under
    min-max (each edition's own regions) it does."""
    folder = tmp_path / "index"
    folder.mkdir()
    _write(
        folder / "framework.csv",
        REQUIRED["framework.csv"],
        [["g", "root", "", "Index", "", "arithmetic"]],
    )
    _write(
        folder / "metrics.csv",
        REQUIRED["metrics.csv"],
        [
            ["g", "fixed", "root", "Fixed", "pt", 1, 1, "none", "goalpost", 0, 100],
            ["g", "relative", "root", "Relative", "pt", 1, 1, "none", "minmax", "", ""],
        ],
    )
    _write(folder / "regions.csv", REQUIRED["regions.csv"], [[c, c, "g"] for c in "xyz"])
    others = {2021: {"y": 20.0, "z": 80.0}, 2022: {"y": 45.0, "z": 95.0}}
    _write(
        folder / "values.csv",
        REQUIRED["values.csv"],
        [
            [edition, code, metric, 50.0 if code == "x" else others[edition][code]]
            for edition in (2021, 2022)
            for code in "xyz"
            for metric in ("fixed", "relative")
        ],
    )
    db = tmp_path / "warehouse.duckdb"
    assert _run(index_project, folder, db) == cli.EXIT_OK
    scores = dict(
        ((edition, metric), score)
        for edition, metric, score in _rows(
            db,
            """select edition, metric_code, score from published.metric_values
               where region_code = 'x'""",
        )
    )
    assert scores[(2021, "fixed")] == scores[(2022, "fixed")] == pytest.approx(50.0)
    assert scores[(2021, "relative")] == pytest.approx(50.0)
    assert scores[(2022, "relative")] == pytest.approx(10.0)  # (50 − 45) / (95 − 45)
    (change,) = _rows(
        db,
        """select score_change from published.score_changes
           where edition = 2022 and region_code = 'x' and node_code = 'root'""",
    )[0]
    assert change == pytest.approx((10.0 - 50.0) / 2)
