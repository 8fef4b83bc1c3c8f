"""What is published is what was checked, whole — when a run is killed, and when two runs
race for one warehouse (``make test-crash``: ~10 minutes, too slow for ``make test``).

Every run here is a real ``digindex run`` process on a copy of the project, publishing the
tiny index folder in one of two variants that differ in one value (so every published
number says which variant it came from). A crash is ``kill -9``: the run kills itself with
SIGKILL at a named checkpoint (``DIGINDEX_CRASH_AT``, digindex/checkpoints.py) — in the
build (after given dbt models are written), the gate, the published layer, each export, the
seal, the warehouse switch and the file switch.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest
from test_index_folder import TINY, write_folder

from _project import INDEX_DB
from digindex import publish
from digindex.checkpoints import CRASH_ENV

pytestmark = pytest.mark.crash

EDITION = "2024"
# the one value the two variants differ in: region r1's metric m1
VARIANTS = {"A": "2024,r1,m1,10", "B": "2024,r1,m1,15"}

# where the run is killed, in the order a run passes them; the ones after the commit
# (the warehouse renamed) must end with the new publication, the others with the old one
BEFORE_COMMIT = [
    "index staged",
    "shadow copied",
    "built stg_index__metric_values",
    "built int_metric_values_scored",
    "built fct_rankings",
    "built rpt_reconciliation",
    "build finished",
    "gate started",
    "gate finished",
    "built pub_rankings",
    "published models built",
    "export written: rankings",
    "export written: metric_values",
    "export written: published_table_audit",
    "report written",
    "manifest written",
    "version sealed",
]
AFTER_COMMIT = ["warehouse switched", "exports switched", "old versions removed"]


@dataclass(frozen=True)
class World:
    project: Path
    db: Path
    publish_dir: Path
    folders: dict[str, Path]  # variant → index folder

    def run(self, variant: str, *, crash_at: str | None = None) -> subprocess.CompletedProcess[str]:
        return self.digindex("run", "--index", str(self.folders[variant]), crash_at=crash_at)

    def digindex(self, *args: str, crash_at: str | None = None) -> subprocess.CompletedProcess[str]:
        env = {k: v for k, v in os.environ.items() if k != CRASH_ENV}
        if crash_at:
            env[CRASH_ENV] = crash_at
        return subprocess.run(
            [
                sys.executable,
                "-m",
                "digindex.cli",
                *args,
                "--project-dir",
                str(self.project),
                "--db",
                str(self.db),
                "--publish-dir",
                str(self.publish_dir),
            ],
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
        )


def _inputs_hash(folder: Path) -> str:
    return publish.inputs_hash(sorted(folder.glob("*.csv")))


@pytest.fixture(scope="module")
def world(project_copy, tmp_path_factory: pytest.TempPathFactory) -> World:  # type: ignore[no-untyped-def]
    root = tmp_path_factory.mktemp("crash")
    folders = {}
    for name, line in VARIANTS.items():
        files = dict(TINY)
        files["values.csv"] = files["values.csv"].replace(VARIANTS["A"], line)
        folders[name] = write_folder(root / name / "tiny", files)
    w = World(project_copy(root / "project"), root / "w" / INDEX_DB, root / "pub", folders)
    done = w.run("A")
    assert done.returncode == 0, done.stderr[-3000:]
    return w


def _variant_of(world: World, inputs_sha256: str) -> str:
    found = [v for v, f in world.folders.items() if _inputs_hash(f) == inputs_sha256]
    assert len(found) == 1, inputs_sha256
    return found[0]


def _r1_scores(rows: list[tuple[str, float]]) -> str:
    return ";".join(f"{code}={score:.9f}" for code, score in sorted(rows))


@dataclass
class Seen:
    """One publication as its reader sees it: through the warehouse or through the files."""

    run_id: str
    variant: str  # the variant its record says it published
    scores: str  # what it shows (composite score of every region)


def through_warehouse(world: World) -> Seen:
    con = duckdb.connect(str(world.db), read_only=True)
    try:
        run_id, inputs = con.execute(
            """select run_id, inputs_sha256 from published.publication_log
               order by published_at desc limit 1"""
        ).fetchone()
        rows = con.execute(
            "select region_code, composite_score from published.rankings where edition = ?",
            [int(EDITION)],
        ).fetchall()
    finally:
        con.close()
    return Seen(run_id, _variant_of(world, inputs), _r1_scores(rows))


def through_files(world: World) -> Seen:
    """The files of publish/<edition>, each checked against the manifest beside it."""
    folder = world.publish_dir / EDITION
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    for name, meta in manifest["files"].items():
        assert hashlib.sha256((folder / name).read_bytes()).hexdigest() == meta["sha256"], name
    con = duckdb.connect()
    try:
        rows = con.execute(
            "select region_code, composite_score from read_parquet(?)",
            [str(folder / "rankings.parquet")],
        ).fetchall()
    finally:
        con.close()
    return Seen(manifest["run_id"], _variant_of(world, manifest["inputs_sha256"]), _r1_scores(rows))


@pytest.fixture(scope="module")
def expected_scores(world: World) -> dict[str, str]:
    """What each variant publishes, from an uninterrupted run of each."""
    scores = {}
    for variant in ("B", "A"):
        done = world.run(variant)
        assert done.returncode == 0, done.stderr[-3000:]
        scores[variant] = through_warehouse(world).scores
    assert scores["A"] != scores["B"]
    return scores


def leftovers(world: World) -> list[str]:
    """What a run leaves behind beyond the publication: anything but the edition's link, the
    one version folder it points to, the gate reports (runs/); and the warehouse's shadow."""
    found = []
    for path in world.publish_dir.iterdir():
        if path.name not in {EDITION, publish.VERSIONS, "runs"}:
            found.append(str(path))
    versions = world.publish_dir / publish.VERSIONS / EDITION
    pointed = Path(os.readlink(world.publish_dir / EDITION)).name
    found += [str(p) for p in versions.iterdir() if p.name != pointed]
    found += [str(p) for p in world.db.parent.glob(f".{world.db.name}.shadow*")]
    found += [str(p) for p in world.db.parent.glob("*.wal")]
    return found


@pytest.mark.parametrize("point", BEFORE_COMMIT + AFTER_COMMIT)
def test_a_run_killed_anywhere_leaves_no_mix_and_the_next_one_no_leftovers(
    world: World, expected_scores: dict[str, str], point: str
) -> None:
    old = through_warehouse(world)
    new = "B" if old.variant == "A" else "A"
    killed = world.run(new, crash_at=point)
    assert killed.returncode == -signal.SIGKILL, (
        f"the run was not killed at {point!r} (exit {killed.returncode}): the checkpoint is "
        f"never reached\n{killed.stdout[-2000:]}\n{killed.stderr[-2000:]}"
    )
    # right after the kill: each reader sees one publication, whole, and what it claims
    db_side, file_side = through_warehouse(world), through_files(world)
    for seen in (db_side, file_side):
        assert seen.scores == expected_scores[seen.variant], "a cross-over"
    assert file_side.run_id in {old.run_id, db_side.run_id}
    after_commit = point in AFTER_COMMIT
    assert db_side.variant == (new if after_commit else old.variant)
    # the next writing command completes or undoes it: the files follow the warehouse, and
    # nothing the killed run wrote is left
    recovered = world.digindex("recover")
    assert recovered.returncode == 0, recovered.stderr
    db_side, file_side = through_warehouse(world), through_files(world)
    assert file_side.run_id == db_side.run_id and file_side.variant == db_side.variant
    assert db_side.variant == (new if after_commit else old.variant)
    assert not leftovers(world)


def test_the_next_run_after_a_kill_publishes(world: World, expected_scores: dict[str, str]) -> None:
    killed = world.run("B", crash_at="manifest written")
    assert killed.returncode == -signal.SIGKILL
    done = world.run("B")
    assert done.returncode == 0, done.stderr[-3000:]
    db_side, file_side = through_warehouse(world), through_files(world)
    assert db_side.variant == file_side.variant == "B"
    assert db_side.run_id == file_side.run_id
    assert file_side.scores == expected_scores["B"]
    assert not leftovers(world)


def test_two_runs_racing_for_one_warehouse_each_publish_their_own(
    world: World, expected_scores: dict[str, str]
) -> None:
    """`run --index A & run --index B` on one warehouse and publish folder: the second waits
    for the first (the lock covers the staged index folder too), each publishes its own
    data under its own record, and the last one is what both readers see."""
    env = {k: v for k, v in os.environ.items() if k != CRASH_ENV}

    def start(variant: str) -> subprocess.Popen[str]:
        return subprocess.Popen(
            [
                sys.executable,
                "-m",
                "digindex.cli",
                "run",
                "--index",
                str(world.folders[variant]),
                "--project-dir",
                str(world.project),
                "--db",
                str(world.db),
                "--publish-dir",
                str(world.publish_dir),
            ],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    runs = {"A": start("A"), "B": start("B")}
    outputs = {v: p.communicate(timeout=600) for v, p in runs.items()}
    for variant, process in runs.items():
        assert process.returncode == 0, outputs[variant][1][-3000:]
    assert any("waiting for the other writer" in out for out, _ in outputs.values())
    con = duckdb.connect(str(world.db), read_only=True)
    try:
        log = dict(
            con.execute("select run_id, inputs_sha256 from published.publication_log").fetchall()
        )
    finally:
        con.close()
    for variant, (out, _) in outputs.items():
        run_id = next(line for line in out.splitlines() if line.startswith("run ")).split()[1]
        assert _variant_of(world, log[run_id]) == variant, "a run recorded another's inputs"
    db_side, file_side = through_warehouse(world), through_files(world)
    assert db_side.run_id == file_side.run_id
    assert db_side.scores == file_side.scores == expected_scores[db_side.variant]
    assert not leftovers(world)


# what may differ between two publications of identical inputs: the run's own fields
RUN_FIELDS = {"run_id", "published_at", "git_commit"}
RUN_FILES = {"manifest.json", "validation.json", "report.html"}


def _without_run_fields(folder: Path) -> dict[str, object]:
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    manifest["files"] = {k: v for k, v in manifest["files"].items() if k not in RUN_FILES}
    return {k: v for k, v in manifest.items() if k not in RUN_FIELDS}


def test_identical_runs_publish_identical_files(
    project_copy, tmp_path_factory: pytest.TempPathFactory
) -> None:  # type: ignore[no-untyped-def]
    """Three runs of the shipped index on identical inputs: every export (CSV and Parquet)
    byte-identical, and the manifest apart from the run's own fields (run id, time, commit)
    and the files that carry them (the gate's report and the HTML report name the run). The
    shipped index has ties and sums of many children, where the order an engine adds rows in
    used to decide last bits and ranks."""
    root = tmp_path_factory.mktemp("identical")
    project = project_copy(root / "project")
    folders = []
    for i in range(3):
        done = subprocess.run(
            [sys.executable, "-m", "digindex.cli", "run", "--project-dir", str(project)],
            capture_output=True,
            text=True,
            timeout=900,
        )
        assert done.returncode == 0, done.stderr[-3000:]
        kept = root / f"run{i}"
        shutil.copytree(project / "publish" / "2022", kept)  # the files the link points to
        folders.append(kept)
    first = folders[0]
    names = sorted(p.name for p in first.iterdir())
    assert {"rankings.csv", "rankings.parquet", "indicator_scores.parquet"} <= set(names)
    for other in folders[1:]:
        assert sorted(p.name for p in other.iterdir()) == names
        for name in names:
            if name in RUN_FILES:
                continue
            assert (first / name).read_bytes() == (other / name).read_bytes(), name
        assert _without_run_fields(first) == _without_run_fields(other)


def test_publish_after_a_killed_build_publishes_the_last_whole_build(
    world: World, expected_scores: dict[str, str]
) -> None:
    """`build` killed after it rewrote fct_rankings, then `publish` (naming the other
    variant's folder, as a user might): the publication is the last complete build's —
    its marts and its inputs' record — never marts of one build with another's record."""
    done = world.run("A")
    assert done.returncode == 0, done.stderr[-3000:]
    killed = world.digindex(
        "build", "--index", str(world.folders["B"]), crash_at="built fct_rankings"
    )
    assert killed.returncode == -signal.SIGKILL
    published = world.digindex("publish", "--index", str(world.folders["B"]))
    assert published.returncode == 0, published.stderr[-3000:]
    db_side, file_side = through_warehouse(world), through_files(world)
    assert db_side.run_id == file_side.run_id
    assert db_side.variant == file_side.variant == "A"
    assert db_side.scores == expected_scores["A"]
    assert not leftovers(world)
