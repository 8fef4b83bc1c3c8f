"""Write–audit–publish: the gate refuses bad input, names it, and never damages what was
published before; a complete run publishes 120 / 100 / 30 rows.

Each test works on a temporary copy of the project (seeds, models, expectations) with its
own warehouse and publish directory, starting from a published baseline.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import duckdb
import pytest

from _project import WAREHOUSE, digindex, published_state
from _repo import REPO_ROOT
from digindex import cli, publish
from digindex.dbt_runner import UNIT_TESTS_STAMP, run_dbt


@pytest.fixture(scope="module")
def published_copy(baseline: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the published baseline (project, warehouse and exports), shared by this
    module's tests so that dbt parses it once (its partial parsing then serves them all)."""
    dest = tmp_path_factory.mktemp("published") / "project"
    shutil.copytree(baseline, dest, symlinks=True, ignore=shutil.ignore_patterns("target", "logs"))
    # the baseline's unit tests passed on this code: these runs skip them (and say so)
    (dest / "target").mkdir()
    shutil.copy(baseline / "target" / UNIT_TESTS_STAMP, dest / "target")
    return dest


@pytest.fixture()
def project(published_copy: Path, tmp_path: Path) -> Iterator[Path]:
    """The published copy for one test to break; afterwards its inputs, warehouse and
    exports are put back as they were (dbt's parse cache in target/ is kept)."""
    kept = tmp_path / "kept"
    for part in ("seeds", "build", "publish"):
        shutil.copytree(published_copy / part, kept / part, symlinks=True)
    yield published_copy
    for part in ("seeds", "build", "publish"):
        shutil.rmtree(published_copy / part)
        shutil.copytree(kept / part, published_copy / part, symlinks=True)


def test_a_complete_run_publishes_every_peer_group(baseline: Path) -> None:
    con = duckdb.connect(str(baseline / WAREHOUSE), read_only=True)
    try:
        counts = dict(
            con.execute("""select framework_code, count(*) from published.rankings
                                     where edition = 2022 group by 1""").fetchall()
        )
        log = con.execute("""select edition, git_commit, inputs_sha256, suite_results
                             from published.publication_log""").fetchall()
        audit = con.execute("""select count(*), count(*) filter (where success)
                               from audit.expectation_results""").fetchone()
    finally:
        con.close()
    assert counts == {"district": 120, "county": 100, "zone": 30}
    # one publication of each edition, by one run
    assert sorted(row[0] for row in log) == [2021, 2022]
    assert all(len(row[2]) == 64 for row in log)
    assert all(s["success"] for row in log for s in json.loads(row[3]).values())
    assert audit[0] == audit[1] > 0
    exports = baseline / "publish" / "2022"
    manifest = json.loads((exports / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["row_counts"]["rankings"] == 250
    for name, meta in manifest["files"].items():
        assert hashlib.sha256((exports / name).read_bytes()).hexdigest() == meta["sha256"]
    assert (exports / "rankings.csv").read_bytes().startswith(b"\xef\xbb\xbf")
    assert "北京海淀区" in (exports / "rankings.csv").read_text(encoding="utf-8-sig")


def _edit(path: Path, change: Callable[[list[str]], list[str]]) -> None:
    lines = path.read_text(encoding="utf-8").splitlines()
    path.write_text("\n".join(change(lines)) + "\n", encoding="utf-8")


VALUES = Path("seeds/values/metric_values.csv")
NODES = Path("seeds/framework/framework_nodes.csv")
REGIONS = Path("seeds/regions/regions.csv")


def _rename_haidian(lines: list[str]) -> list[str]:
    # the region's name in the index no longer matches the name the report prints
    return [
        line.replace("beijing_haidian,北京海淀区,", "beijing_haidian,北京市海淀,", 1)
        for line in lines
    ]


def _drop_first_value(lines: list[str]) -> list[str]:
    return [lines[0], *lines[2:]]


def _duplicate_first_value(lines: list[str]) -> list[str]:
    return [*lines, lines[1]]


def _unknown_metric(lines: list[str]) -> list[str]:
    e, r, _, v = lines[1].split(",")
    return [*lines[:1], f"{e},{r},not_a_metric,{v}", *lines[2:]]


def _non_numeric(lines: list[str]) -> list[str]:
    e, r, m, _ = lines[1].split(",")
    return [*lines[:1], f"{e},{r},{m},n/a", *lines[2:]]


def _bump_weight(lines: list[str]) -> list[str]:
    # district connectivity_infrastructure: 40% → 45%, so its siblings sum to 105%; and the
    # district's digital_infrastructure asks for an aggregation no index may use
    lines = [
        line.replace(
            "数字基础设施,Digital infrastructure,20,arithmetic,",
            "数字基础设施,Digital infrastructure,20,median,",
        )
        for line in lines
    ]
    return [
        line.replace(
            "connectivity_infrastructure,information_infrastructure,3,连接基础设施,"
            "Connectivity infrastructure,40,",
            "connectivity_infrastructure,information_infrastructure,3,连接基础设施,"
            "Connectivity infrastructure,45,",
        )
        if line.startswith("district,")
        else line
        for line in lines
    ]


_first = (REPO_ROOT / VALUES).read_text(encoding="utf-8").splitlines()[1].split(",")
FIRST_VALUE = f"region_code={_first[1]}, metric_code={_first[2]}"  # how a failure names it
COMPLETE = "FAIL test.digindex.assert_every_region_has_every_metric"


@pytest.mark.parametrize(
    ("path", "change", "expected"),
    [
        # the values' completeness and unique key: the dbt test, with the pair it names
        # (make test runs the refusal by a dbt test of a duplicate row — a refusal by the gate
        # is test_bad_input's test_what_only_the_gate_knows_is_refused_by_it — and make
        # test-slow, which CI runs too, the others)
        pytest.param(
            VALUES,
            _drop_first_value,
            [COMPLETE, f"{FIRST_VALUE}, n_values=0"],
            marks=pytest.mark.slow,
        ),
        (VALUES, _duplicate_first_value, [COMPLETE, f"{FIRST_VALUE}, n_values=2"]),
        pytest.param(
            VALUES,
            _unknown_metric,
            [
                # the gate names the unknown code, the dbt test the metric now absent
                "belongs to a metric of its region's framework",
                "metric_code=not_a_metric",
                COMPLETE,
                f"{FIRST_VALUE}, n_values=0",
            ],
            marks=pytest.mark.slow,
        ),
        pytest.param(
            VALUES,
            _non_numeric,
            ["every value is a number", FIRST_VALUE, "value_text = 'n/a'"],
            marks=pytest.mark.slow,
        ),
        pytest.param(
            NODES,
            _bump_weight,
            [
                # a dbt test of the inputs (the framework's shape is dbt's to check), and its rows
                "FAIL test.digindex.sums_to_one_stg_index__framework_nodes_local_weight",
                "framework_code=district, parent_code=information_infrastructure, "
                "first_edition=None, last_edition=None, total=1.05",
                # the model's column checks (one dbt test) name the check each row fails
                "FAIL test.digindex.column_checks_stg_index__framework_nodes",
                "failed_checks=aggregation in (arithmetic, geometric, harmonic), "
                "framework_code=district, node_code=digital_infrastructure",
            ],
            marks=pytest.mark.slow,
        ),
        pytest.param(
            REGIONS,
            _rename_haidian,
            [
                # the printed ranking names a region the index lacks: the row says which
                "FAIL test.digindex.column_checks_int_published_rankings_joined",
                "failed_checks=region_code is not null, edition=2022, framework_code=district, "
                "printed_rank=1, region_name=北京海淀区",
            ],
            marks=pytest.mark.slow,
        ),
    ],
    ids=[
        "missing_value",
        "duplicate_row",
        "unknown_metric",
        "non_numeric",
        "weights_105pct",
        "region_renamed",
    ],
)
def test_bad_input_is_refused_named_and_leaves_the_publication(
    project: Path,
    path: Path,
    change: Callable[[list[str]], list[str]],
    expected: list[str],
    capsys: pytest.CaptureFixture[str],
) -> None:
    before = published_state(project)
    _edit(project / path, change)
    code = digindex(project, "run")
    out, err = capsys.readouterr()
    assert "unit tests passed on this code at" in out
    assert code != 0
    assert "nothing was published" in err
    for text in expected:
        assert text in err, f"{text!r} not in:\n{err}"
    assert published_state(project) == before


@pytest.mark.parametrize(
    "stage",
    [
        # the last moment before the commit point in make test, the others in make test-slow
        pytest.param("published models built", marks=pytest.mark.slow),
        pytest.param("export written: rankings", marks=pytest.mark.slow),
        "version sealed",
    ],
)
def test_an_interrupted_publish_leaves_the_previous_publication(
    project: Path, stage: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    before = published_state(project)

    def fail(at: str) -> None:
        if at == stage:
            raise RuntimeError(f"injected failure at {at}")

    monkeypatch.setattr(publish, "checkpoint", fail)
    assert digindex(project, "publish") == cli.EXIT_PUBLISH
    assert "injected failure" in capsys.readouterr().err
    assert published_state(project) == before
    versions = project / "publish" / publish.VERSIONS / "2022"
    assert sorted(p.name for p in versions.iterdir()) == [state_link(before)]
    assert not list(project.glob("build/.*.shadow*"))


@pytest.mark.slow  # make test-slow (CI runs it): keeps make test within 3 minutes
def test_the_publish_after_an_interrupted_one_goes_through(
    project: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def fail(at: str) -> None:
        if at == "version sealed":
            raise RuntimeError(f"injected failure at {at}")

    before = published_state(project)
    monkeypatch.setattr(publish, "checkpoint", fail)
    assert digindex(project, "publish") == cli.EXIT_PUBLISH
    monkeypatch.setattr(publish, "checkpoint", lambda at: None)
    assert digindex(project, "publish") == 0
    assert "injected failure" in capsys.readouterr().err
    after = published_state(project)
    assert state_link(after) != state_link(before)  # a new version, sealed and linked
    versions = project / "publish" / publish.VERSIONS / "2022"
    assert sorted(p.name for p in versions.iterdir()) == [state_link(after)]


def state_link(state: dict[str, str]) -> str:
    return Path(state["link"]).name


def test_publish_is_refused_after_a_failed_build(project: Path) -> None:
    before = published_state(project)
    _edit(project / VALUES, _drop_first_value)
    assert digindex(project, "build") == cli.EXIT_BUILD
    assert digindex(project, "publish") == cli.EXIT_BUILD
    assert published_state(project) == before


def test_a_seed_changed_since_the_warehouse_was_built_loads(project: Path) -> None:
    """A warehouse built by an earlier version: its metric_catalog lacks a column the CSV now
    has and holds another as text. dbt's default seed load truncated that table and copied
    the CSV into it (DuckDB: 'It was not possible to automatically detect the CSV parsing
    dialect'); the seed is now made afresh from the CSV and its column_types."""
    con = duckdb.connect(str(project / WAREHOUSE))
    try:
        con.execute("alter table seeds.metric_catalog drop column constant_scores")
        con.execute("alter table seeds.metric_catalog alter weight type varchar")
    finally:
        con.close()
    run_dbt(["seed", "--select", "metric_catalog"], project_dir=project, quiet=True)
    con = duckdb.connect(str(project / WAREHOUSE), read_only=True)
    try:
        columns = dict(
            con.execute("""select column_name, data_type from duckdb_columns()
                           where schema_name = 'seeds' and table_name = 'metric_catalog'
                           order by column_index""").fetchall()
        )
    finally:
        con.close()
    header = (project / "seeds/metrics/metric_catalog.csv").open(encoding="utf-8").readline()
    assert list(columns) == header.strip().split(",")
    assert columns["weight"] == "DOUBLE"


@pytest.mark.slow  # make test-slow (CI runs it): keeps make test within 3 minutes
def test_a_reader_holding_the_warehouse_neither_blocks_nor_sees_a_mix(project: Path) -> None:
    """A BI tool keeps the file open during a run: the run publishes anyway (it writes a
    shadow copy and switches it in), the open reader keeps its consistent old view, and a
    new connection sees the new publication whole."""
    reader = duckdb.connect(str(project / WAREHOUSE), read_only=True)
    try:
        before = reader.execute("select count(*) from published.publication_log").fetchone()
        assert digindex(project, "publish") == 0
        assert reader.execute("select count(*) from published.publication_log").fetchone() == (
            before
        )
        # both editions' rankings: 250 in 2022, 230 in 2021
        assert reader.execute("select count(*) from published.rankings").fetchone() == (480,)
    finally:
        reader.close()
    fresh = duckdb.connect(str(project / WAREHOUSE), read_only=True)
    try:
        runs = fresh.execute("select count(*) from published.publication_log").fetchone()[0]
    finally:
        fresh.close()
    assert runs == before[0] + 2  # one publication of each edition
    assert not list(project.glob("build/.*.shadow*"))


def _lock_holder(live: Path, seconds: int, command: str = "digindex") -> subprocess.Popen[str]:
    """Another process holding the writer lock of `live` for `seconds`, once it says so."""
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import time; from pathlib import Path; from digindex.publish import WriterLock\n"
            f"with WriterLock(Path({str(live)!r}), {command!r}):\n"
            f"    print('held', flush=True); time.sleep({seconds})",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
    return holder


@pytest.mark.slow  # make test-slow (CI runs it): keeps make test within 3 minutes
def test_a_second_writer_waits_for_the_first(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two writers of one warehouse never overlap: the second waits for the first's lock
    (which the kernel releases when the first ends, even when killed), naming the holder,
    up to its timeout (then exit code 5, nothing changed)."""
    live = tmp_path / "build" / "warehouse.duckdb"
    holder = _lock_holder(live, 2)
    try:
        out = io.StringIO()
        t0 = time.perf_counter()
        with contextlib.redirect_stdout(out), publish.WriterLock(live):
            waited = time.perf_counter() - t0
        assert waited > 1.0
        assert (
            f"waiting for the other writer of this warehouse (pid {holder.pid}, `digindex`, since "
            in out.getvalue()
        )
    finally:
        holder.kill()
        holder.wait()
    # a writer that waits longer than its timeout gives up, naming the holder, and the CLI
    # says so with its own exit code
    holder = _lock_holder(live, 30, "digindex run --index x")
    try:
        with pytest.raises(publish.LockTimeout) as timed_out:
            with contextlib.redirect_stdout(io.StringIO()), publish.WriterLock(live, timeout=0.5):
                pass
        assert f"pid {holder.pid}, `digindex run --index x`, since " in str(timed_out.value)
        monkeypatch.setenv("DIGINDEX_LOCK_TIMEOUT", "0.5")
        err = io.StringIO()
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(err):
            code = cli.main(["build", "--db", str(live)])
        assert code == cli.EXIT_LOCKED
        assert f"another writer still holds {live} after 0.5 s (pid {holder.pid}" in err.getvalue()
        assert "Traceback" not in err.getvalue()
    finally:
        holder.kill()
        holder.wait()
    # a killed holder releases the lock at once
    killed = _lock_holder(live, 60)
    killed.kill()
    killed.wait()
    t0 = time.perf_counter()
    with publish.WriterLock(live):
        assert time.perf_counter() - t0 < 1.0


# the defects planted for each singular dbt test (tests/dbt/): the SQL that plants one, and
# what that test's failing rows must name
def _planted_defects(con: duckdb.DuckDBPyConnection) -> dict[str, list[tuple[str, str]]]:
    def region(framework: str, rank: int) -> str:
        row = con.execute(
            """select region_code from marts.fct_rankings
               where framework_code = ? and rank = ? order by region_code limit 1""",
            [framework, rank],
        ).fetchone()
        assert row, (framework, rank)
        return str(row[0])

    def leaf_metric(framework: str) -> tuple[str, str]:
        row = con.execute(
            """select metric_code, node_code from intermediate.int_metrics_weighted
               where framework_code = ? order by metric_code limit 1""",
            [framework],
        ).fetchone()
        assert row
        return str(row[0]), str(row[1])

    r1, r2, r3, r6, r7, r8, r9, r10 = (
        region("district", 60),
        region("district", 70),
        region("county", 50),
        region("county", 40),
        region("zone", 15),
        region("district", 80),
        region("county", 30),
        region("zone", 20),
    )
    metric, leaf = leaf_metric("county")
    parent = con.execute(
        """select parent_code from intermediate.int_indicators_weighted
           where framework_code = 'county' and node_code = ?""",
        [leaf],
    ).fetchone()[0]
    zone_leaf = leaf_metric("zone")[1]
    return {
        "assert_change_contributions_add_up": [
            (
                f"""update marts.fct_score_change_contributions
               set contribution = contribution + 0.001
               where region_code = '{r9}' and level = 0 and child_code = (
                   select min(child_code) from marts.fct_score_change_contributions
                   where region_code = '{r9}' and level = 0)""",
                f"region_code={r9}",
            )
        ],
        "assert_score_contributions_add_up": [
            # one metric's contribution to its composite off by a thousandth
            (
                f"""update marts.fct_score_contributions
               set contribution = contribution + 0.001
               where region_code = '{r3}' and node_kind = 'metric' and ancestor_level = 0
                 and node_code = (
                   select min(node_code) from marts.fct_score_contributions
                   where region_code = '{r3}' and node_kind = 'metric')""",
                f"region_code={r3}",
            )
        ],
        "assert_score_inverses_round_trip": [
            # a metric's inverse no longer what normalise_score used
            (
                f"""update intermediate.int_metric_score_inverses
               set transformed_at_100 = transformed_at_100 * 1.01 + 0.01
               where framework_code = 'county' and metric_code = '{metric}'""",
                f"metric_code={metric}",
            )
        ],
        "assert_regions_continue_between_editions": [
            # a region of the previous edition gone from the next without a record
            (
                f"""update marts.fct_region_links
               set link_kind = 'unrecorded', region_code = null, region_in_edition = false,
                   is_like_for_like = false
               where previous_region_code = '{r10}'""",
                f"region_code={r10}",
            )
        ],
        "assert_composite_equals_effective_weighted_metrics": [
            (
                f"""update marts.fct_rankings set composite_score = composite_score + 0.001
               where region_code = '{r1}'""",
                f"region_code={r1}",
            )
        ],
        "assert_every_region_has_every_metric": [
            # a region × metric absent
            (
                f"""delete from seeds.metric_values
                   where region_code = '{r2}' and metric_code = (
                       select min(metric_code) from seeds.metric_values
                       where region_code = '{r2}')""",
                f"region_code={r2}",
            ),
            # one repeated (the region keeps its number of rows: a repeat replaces a metric)
            (
                f"""update seeds.metric_values set metric_code = (
                       select min(metric_code) from seeds.metric_values
                       where region_code = '{r8}')
                   where region_code = '{r8}' and metric_code = (
                       select max(metric_code) from seeds.metric_values
                       where region_code = '{r8}')""",
                f"region_code={r8}",
            ),
        ],
        "assert_every_region_scored_on_every_node": [
            (
                f"""delete from marts.fct_indicator_scores
               where region_code = '{r3}' and level = 2""",
                f"region_code={r3}",
            )
        ],
        "assert_indicator_levels_follow_parents": [
            (
                f"""update intermediate.int_indicators_weighted set level = level + 1
               where framework_code = 'zone' and node_code = '{zone_leaf}'""",
                f"node_code={zone_leaf}",
            )
        ],
        "assert_metrics_feed_leaf_indicators": [
            (
                f"""update intermediate.int_metrics_weighted set node_code = '{parent}'
               where framework_code = 'county' and metric_code = '{metric}'""",
                f"node_code={parent}",
            )
        ],
        "assert_rank_intervals_ordered": [
            (
                f"""update marts.fct_rank_uncertainty set rank_p05 = rank_worst + 1
               where region_code = '{r6}'""",
                f"region_code={r6}",
            )
        ],
        "assert_rankings_run_one_to_n_per_framework": [
            (
                f"update marts.fct_rankings set rank = rank + 1 where region_code = '{r6}'",
                f"region_code={r6}",
            )
        ],
        "assert_scores_within_0_100": [
            (
                f"""update marts.fct_metric_values set score = 100.5
               where region_code = '{r7}' and metric_code = (
                   select min(metric_code) from marts.fct_metric_values
                   where region_code = '{r7}')""",
                f"region_code={r7}",
            )
        ],
    }


def test_every_singular_dbt_test_fails_on_its_planted_defect(
    published_copy: Path, tmp_path: Path
) -> None:
    """Each singular dbt test (tests/dbt/*.sql) is seen to fail: a copy of the published
    warehouse gets one defect per test, `dbt test` runs them all there, and each must fail
    with its own defect among its failing rows (the clean warehouse passes them: the
    baseline build)."""
    from digindex.dbt_runner import DbtError, failing_rows, run_dbt

    singular = sorted(p.stem for p in (published_copy / "tests" / "dbt").glob("*.sql"))
    # the same file name: DuckDB names the catalog after it, and the staging views name it
    planted = tmp_path / WAREHOUSE.name
    shutil.copy(published_copy / WAREHOUSE, planted)
    con = duckdb.connect(str(planted))
    try:
        defects = _planted_defects(con)
        for planted_sql in defects.values():
            for sql, _ in planted_sql:
                con.execute(sql)
    finally:
        con.close()
    assert sorted(defects) == singular, "a singular dbt test without a planted defect"
    with pytest.raises(DbtError) as failed:
        run_dbt(
            ["test", "--select", "test_type:singular"],
            db=planted,
            project_dir=published_copy,
            quiet=True,
        )
    for name, planted_sql in defects.items():
        query = {k: v for k, v in failed.value.failing_queries.items() if k.split(".")[2] == name}
        assert query, f"{name} did not fail on its defect:\n{failed.value}"
        rows = "\n".join(failing_rows(planted, query, limit=10_000))
        for _, named in planted_sql:
            assert named in rows, f"{name} failed, but not on {named}:\n{rows[:2000]}"


# what a planted value looks like in a failing row (foreign keys, accepted values)
PLANTED = "planted_defect"


class _Planter:
    """Plants one defect per generic dbt test in a copy of the warehouse. Each tested model
    becomes a plain table (no contract: DuckDB would refuse the defect as it is written) and
    each defect goes to a row of its own, so a test failing shows it caught its own defect:
    every plant returns the text the test's failing rows must contain."""

    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        self.con = con
        self.rows_used: dict[str, int] = {}

    def table(self, schema: str, name: str) -> str:
        relation = f'"{schema}"."{name}"'
        if relation not in self.rows_used:
            kind = self.con.execute(
                "select table_type from information_schema.tables "
                "where table_schema = ? and table_name = ?",
                [schema, name],
            ).fetchone()
            assert kind, relation
            self.con.execute(f"create temp table unconstrained as select * from {relation}")
            self.con.execute(f"drop {'view' if kind[0] == 'VIEW' else 'table'} {relation}")
            self.con.execute(f"create table {relation} as select * from unconstrained")
            self.con.execute("drop table unconstrained")
            self.rows_used[relation] = 0
        return relation

    def row(self, relation: str, condition: str | None = None) -> int:
        """The rowid of a row no other defect of this table has touched."""
        n = self.rows_used[relation]
        self.rows_used[relation] = n + 1
        where = f"where {condition}" if condition else ""
        found = self.con.execute(
            f"select rowid from {relation} {where} order by rowid limit 1 offset {n}"
        ).fetchone()
        assert found, f"{relation} has no row {n} {where} to plant a defect in"
        return int(found[0])

    def values(self, relation: str, rowid: int, columns: list[str]) -> str:
        row = self.con.execute(
            f"select {', '.join(columns)} from {relation} where rowid = {rowid}"
        ).fetchone()
        assert row
        return ", ".join(f"{c}={v}" for c, v in zip(columns, row, strict=True))

    def duplicate(self, relation: str, key: list[str], condition: str | None = None) -> str:
        rowid = self.row(relation, condition)
        self.con.execute(f"insert into {relation} select * from {relation} where rowid = {rowid}")
        return self.values(relation, rowid, key)

    def set(self, relation: str, column: str, value: str, condition: str | None = None) -> int:
        rowid = self.row(relation, condition)
        self.con.execute(f"update {relation} set {column} = {value} where rowid = {rowid}")
        return rowid

    def orphan(self, relation: str, column: str) -> str:
        """A copy of a row whose `column` names nothing in the parent."""
        rowid = self.row(relation)
        columns = [
            f"'{PLANTED}' as {c}" if c == column else c
            for c, *_ in self.con.execute(f"select * from {relation} limit 0").description
        ]
        self.con.execute(
            f"insert into {relation} select {', '.join(columns)} from {relation} "
            f"where rowid = {rowid}"
        )
        return f"{PLANTED}"


def _plant_generic(
    planter: _Planter,
    kind: str,
    relation: str,
    kwargs: dict[str, Any],
    constraints: dict[str, Any],
    where: str | None = None,
) -> list[str]:
    """Plant the defect a generic test of `kind` must catch (in a row its `where` config
    selects); what its failing rows name."""
    if kind in ("unique_combination", "unique"):
        key = kwargs.get("columns") or [kwargs["column_name"]]
        named = planter.duplicate(relation, key, where)
        return [named, "n_rows=2"] if kind == "unique_combination" else ["n_records=2"]
    if kind == "not_null":
        planter.set(relation, kwargs["column_name"], "null")
        return [f"{kwargs['column_name']}=None"]
    if kind == "sums_to_one":
        column, group = kwargs["column_name"], kwargs["group_by"]
        rowid = planter.set(relation, column, f"{column} + 0.5", kwargs.get("condition"))
        return [planter.values(relation, rowid, group)]
    if kind in ("foreign_key", "relationships"):
        column = kwargs["columns"][0] if kind == "foreign_key" else kwargs["column_name"]
        return [planter.orphan(relation, column)]
    if kind == "column_checks":
        known = {"not_null", "methods", "declared_values", "accepted_values", "within_range"}
        assert set(kwargs) - {"model"} <= known, f"plant the new kind of check: {sorted(kwargs)}"
        named = []
        for column in kwargs.get("not_null", []):
            planter.set(relation, column, "null")
            named.append(f"{column} is not null")
        allowed = {c: [PLANTED] for c in kwargs.get("methods", {})}
        allowed.update({c: [PLANTED] for c in kwargs.get("declared_values", {})})
        allowed.update(kwargs.get("accepted_values", {}))
        for column, values in allowed.items():
            numeric = all(isinstance(v, int | float) for v in values)
            bad = str(max(values) + 1) if numeric else f"'{PLANTED}'"
            planter.set(relation, column, bad)
            named.append(f"{column} in (")
        for column, (low, high) in kwargs.get("within_range", {}).items():
            planter.set(relation, column, str(high + 1))
            named.append(f"{column} within [{low}, {high}]")
        assert named, f"column_checks on {relation} checks nothing"
        return named
    if kind == "declared_constraints":
        named = []
        for column in constraints["not_null"]:
            planter.set(relation, column, "null")
            named.append(f"{column} is not null")
        for key in constraints["primary_keys"]:
            planter.duplicate(relation, key)
            named.append(f"primary key ({', '.join(key)}) unique")
        assert named, f"declared_constraints on {relation} declares nothing"
        return named
    raise AssertionError(f"no planted defect for the generic test {kind!r}: add one")


def _constraints(model: Any) -> dict[str, Any]:
    not_null, keys = [], []
    for column in model.columns.values():
        types = {str(c.type.value) for c in column.constraints}
        if types & {"not_null", "primary_key"}:
            not_null.append(column.name)
        if "primary_key" in types:
            keys.append([column.name])
    keys += [
        list(c.columns)
        for c in getattr(model, "constraints", [])  # (a seed has none)
        if str(c.type.value) == "primary_key"
    ]
    return {"not_null": not_null, "primary_keys": keys}


@pytest.mark.slow  # ~15 s: a full parse (the var switches declared_constraints on) and a test run
def test_every_generic_dbt_test_fails_on_its_planted_defect(
    published_copy: Path, tmp_path: Path
) -> None:
    """Each generic dbt test (every use of unique_combination, sums_to_one, foreign_key,
    column_checks, declared_constraints — the check dbt-spark relies on, switched on here —
    and dbt's unique, not_null, relationships) is seen to fail: one defect per test, planted
    by kind from the test's own arguments in a copy of the published warehouse; `dbt test`
    runs them all there, and each must fail naming its defect (the clean warehouse passes
    them: the baseline build)."""
    from digindex.dbt_runner import DbtError, failing_rows, run_dbt

    dbt_vars = {"check_declared_constraints": True}
    manifest = run_dbt(["parse"], project_dir=published_copy, dbt_vars=dbt_vars, quiet=True)
    planted = tmp_path / WAREHOUSE.name
    shutil.copy(published_copy / WAREHOUSE, planted)
    expected: dict[str, list[str]] = {}
    con = duckdb.connect(str(planted))
    try:
        planter = _Planter(con)
        for unique_id, node in sorted(manifest.nodes.items()):
            if node.resource_type != "test" or getattr(node, "test_metadata", None) is None:
                continue
            model = manifest.nodes[node.attached_node]
            relation = planter.table(model.schema, model.alias)
            expected[unique_id] = _plant_generic(
                planter,
                node.test_metadata.name,
                relation,
                node.test_metadata.kwargs,
                _constraints(model),
                node.config.get("where"),
            )
    finally:
        con.close()
    kinds = {uid.split(".")[2].split("_")[0] for uid in expected}
    assert len(expected) >= 50 and "declared" in kinds, sorted(expected)
    with pytest.raises(DbtError) as failed:
        run_dbt(
            ["test", "--select", "test_type:generic"],
            db=planted,
            project_dir=published_copy,
            dbt_vars=dbt_vars,
            quiet=True,
        )
    queries = failed.value.failing_queries
    missed = sorted(set(expected) - set(queries))
    assert not missed, f"generic tests that passed despite their defect: {missed}"
    for unique_id, named in expected.items():
        rows = "\n".join(failing_rows(planted, {unique_id: queries[unique_id]}, limit=10_000))
        for text in named:
            assert text in rows, f"{unique_id} failed, but not naming {text!r}:\n{rows[:2000]}"
