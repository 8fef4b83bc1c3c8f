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
import shutil
from pathlib import Path

import numpy as np
import pytest

from _project import INDEX_DB
from _project import query as _rows
from _project import run_index as _run
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


@pytest.fixture(scope="module")
def published(index_project: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("editions")
    db = root / INDEX_DB
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
    db = tmp_path / INDEX_DB
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
    db = tmp_path / INDEX_DB
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


# --- a method that changes between editions: the backcast ------------------------------------

NODE_HEADER = [*REQUIRED["framework.csv"], "first_edition", "last_edition"]
METRIC_HEADER = [*REQUIRED["metrics.csv"], "first_edition", "last_edition"]


def make_versioned(folder: Path, changed: bool = True) -> Path:
    """Framework `v` for 2021 and 2022. With `changed`, 2022 changes the method: pillar
    `a` weighs 1 instead of 3, is aggregated geometrically, and metric `b2` is replaced by
    `b3` (new in 2022, no 2021 values). Without, 2022 declares the same rows again (another
    edition range, the same content)."""
    folder.mkdir(parents=True)
    nodes: list[list[object]] = [["v", "root", "", "Index", "", "arithmetic", "", ""]]
    metrics: list[list[object]] = []
    versions = [(2021, 2021), (2022, "")]
    for first, last in versions:
        new = changed and first == 2022
        nodes += [
            [
                "v",
                "a",
                "root",
                "Pillar a",
                1 if new else 3,
                "geometric" if new else "arithmetic",
                first,
                last,
            ],
            ["v", "b", "root", "Pillar b", 1, "arithmetic", first, last],
        ]
        codes = {"a1": "a", "a2": "a", "b1": "b", "b3" if new else "b2": "b"}
        metrics += [
            ["v", m, node, f"Metric {m}", "pt", 1, 1, "none", "minmax", "", "", first, last]
            for m, node in codes.items()
        ]
    rng = np.random.default_rng(21)
    regions = [[f"r{i}", f"Region {i}", "v"] for i in range(6)]
    values = []
    for edition in (2021, 2022):
        present = ["a1", "a2", "b1", "b3" if changed and edition == 2022 else "b2"]
        for code, _, _ in regions:
            values += [[edition, code, m, round(float(rng.uniform(1, 99)), 3)] for m in present]
    _write(folder / "framework.csv", NODE_HEADER, nodes)
    _write(folder / "metrics.csv", METRIC_HEADER, metrics)
    _write(folder / "regions.csv", REQUIRED["regions.csv"], regions)
    _write(folder / "values.csv", REQUIRED["values.csv"], values)
    return folder


def _scores(db: Path, config_id: int, edition: int) -> dict[tuple[str, str], float]:
    return {
        (region, node): score
        for region, node, score in _rows(
            db,
            f"""select region_code, node_code, score
                from intermediate.int_node_scores_aggregated
                where config_id = {config_id} and edition = {edition}""",
        )
    }


@pytest.fixture(scope="module")
def versioned(index_project: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("versioned")
    db = root / INDEX_DB
    assert _run(index_project, make_versioned(root / "index"), db) == cli.EXIT_OK
    return db


def test_a_changed_method_is_backcast(versioned: Path) -> None:
    methods = _rows(
        versioned,
        """select edition, series, method_edition, is_comparable
           from intermediate.int_edition_methods order by 1, 2""",
    )
    assert methods == [
        (2021, "backcast", 2022, True),
        (2021, "published", 2021, False),
        (2022, "published", 2022, True),
    ]
    # each edition published under its own method: 2021 has b2, 2022 b3
    metrics = _rows(
        versioned,
        """select edition, list(distinct metric_code order by metric_code)
           from published.metric_values group by 1 order by 1""",
    )
    assert metrics == [(2021, ["a1", "a2", "b1", "b2"]), (2022, ["a1", "a2", "b1", "b3"])]


def test_the_backcast_equals_a_build_of_the_earlier_values_under_the_current_method(
    versioned: Path, index_project: Path, tmp_path: Path
) -> None:
    """2021's backcast against an index of its own: 2022's framework and catalog alone,
    2021's values (b3 missing, b2 dropped): the same scores, exactly."""
    source = versioned.parent / "index"
    folder = tmp_path / "index"
    folder.mkdir()
    with (source / "framework.csv").open(encoding="utf-8") as fh:
        nodes = [r for r in csv.reader(fh)][1:]
    with (source / "metrics.csv").open(encoding="utf-8") as fh:
        metrics = [r for r in csv.reader(fh)][1:]
    with (source / "values.csv").open(encoding="utf-8") as fh:
        values = [r for r in csv.reader(fh)][1:]
    current = [r[:-2] for r in nodes if r[-2] in ("", "2022")]
    catalog = [r[:-2] for r in metrics if r[-2] == "2022"]
    kept = {r[1] for r in catalog}
    _write(folder / "framework.csv", REQUIRED["framework.csv"], current)
    _write(folder / "metrics.csv", REQUIRED["metrics.csv"], catalog)
    shutil.copy(source / "regions.csv", folder / "regions.csv")
    _write(
        folder / "values.csv",
        REQUIRED["values.csv"],
        [r for r in values if r[0] == "2021" and r[2] in kept],
    )
    db = tmp_path / INDEX_DB
    assert _run(index_project, folder, db) == cli.EXIT_OK
    backcast, plain = _scores(versioned, -1, 2021), _scores(db, 0, 2021)
    assert len(backcast) == 6 * 3 and backcast == plain


def test_changes_compare_under_one_method(versioned: Path) -> None:
    """The comparable change is 2022's score less 2021's backcast, and its contributions
    add up to it; the published change mixes the two methods."""
    now, backcast, published = (
        _scores(versioned, 0, 2022),
        _scores(versioned, -1, 2021),
        _scores(versioned, 0, 2021),
    )
    rows = _rows(
        versioned,
        """select region_code, node_code, score_change, comparable_score_change
           from published.score_changes where edition = 2022""",
    )
    assert len(rows) == 6 * 3
    for region, node, change, comparable in rows:
        key = (region, node)
        assert change == pytest.approx(now[key] - published[key], abs=TOLERANCE)
        assert comparable == pytest.approx(now[key] - backcast[key], abs=TOLERANCE)
    assert any(abs(c - p) > 1e-6 for _, _, p, c in rows)
    sums = _rows(
        versioned,
        """select region_code, sum(contribution), any_value(node_score_change)
           from published.score_change_contributions
           where edition = 2022 and node_code = 'root' group by 1""",
    )
    for region, total, change in sums:
        assert total == pytest.approx(change, abs=TOLERANCE)
        assert change == pytest.approx(now[(region, "root")] - backcast[(region, "root")])


def test_a_backcast_under_its_own_method_equals_the_published_scores(
    index_project: Path, tmp_path: Path
) -> None:
    """2022 declares 2021's framework again (other rows, the same content): 2021 is
    backcast under rows equal to its own, and its backcast is its published scores, bit
    for bit."""
    db = tmp_path / INDEX_DB
    folder = make_versioned(tmp_path / "index", changed=False)
    assert _run(index_project, folder, db) == cli.EXIT_OK
    backcast, published = _scores(db, -1, 2021), _scores(db, 0, 2021)
    assert len(backcast) == 6 * 3 and backcast == published
