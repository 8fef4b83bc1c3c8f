"""``make bench-spark``: the COINr-equivalent index on Apache Spark (local mode) beside DuckDB.

Per size (``--sizes``, default 10k and 100k regions; ``BENCH_SPARK_ARGS="--sizes
1000000"`` for 1M), on one machine:

1. the COINr-shape index folder (``scripts/scale.py coinr``: 42 metrics, 2 % missing with
   group-mean imputation, COINr winsorisation, min-max), validated and staged as
   ``digindex run --index`` stages any folder (canonical CSV files, the values as Parquet);
2. ``dbt build`` of the same models, data tests and unit tests from that staged folder —
   once on DuckDB, once with ``--target spark`` (dbt-spark in session mode: a SparkSession
   in local mode, the profile's settings) — each in a subprocess of its own, timed, with
   the peak of the sampled RSS summed over its process tree (Spark's JVM included);
3. every composite score, rank and node score of the two builds compared, in DuckDB,
   reading the Spark warehouse's Parquet files: scores within 1e-9, ranks identical, no
   row in one build only.

Both builds select the same nodes: everything but the published layer (the gate and the
publication run on DuckDB: README, "Running on a cluster"), the index's own seeds (a
build from a folder does not read them) and the unit tests whose expected doubles are one
libm's last bit. The rows go to ``bench/spark.csv``. Exit 1 if a build fails or the two
disagree.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import shutil
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import bench
from _repo import REPO_ROOT, copy_project

RESULTS = REPO_ROOT / "bench" / "spark.csv"
WORK = REPO_ROOT / "build" / "bench" / "spark"
TOLERANCE = 1e-9
# table → key columns, the score compared within TOLERANCE, the column compared exactly
COMPARED = {
    "fct_rankings": (["edition", "region_code"], "composite_score", "rank"),
    "fct_indicator_scores": (["edition", "region_code", "node_code"], "score", "peer_rank"),
}
COLUMNS = [
    "measured_at",
    "engine",
    "regions",
    "metrics",
    "values",
    "status",
    "build_s",
    "peak_tree_rss_mb",
    "cpu_s",
    "dbt_nodes",
    "models_s",
    "tests_s",
    "slowest_node",
    "slowest_node_s",
    "rows_compared",
    "max_abs_diff",
    "rank_mismatches",
    "rows_in_one_build_only",
    "spark_driver_memory",
    "spark_shuffle_partitions",
    "git_rev",
    "cpu",
    "cores",
    "ram_gb",
]


def stage_build(engine: str, project: Path, staged: Path, db: Path) -> int:
    """The child process: one `dbt build` of the selection on `engine`."""
    from spark_check import SPARK_EXCLUDE  # tests/, on the path once bench is imported

    from digindex.dbt_runner import DbtError, run_dbt

    args = ["build", "--exclude", *SPARK_EXCLUDE]
    if engine == "spark":
        args += ["--target", "spark"]
    print(f"==> build: dbt {' '.join(args)} (index_dir {staged})", flush=True)
    t0 = time.perf_counter()
    try:
        run_dbt(
            args,
            db=db,
            project_dir=project,
            dbt_vars={"index_dir": str(staged)},
            progress=True,
        )
    except DbtError as err:
        print(str(err), file=sys.stderr)
        return 1
    print(f"    built and tested in {time.perf_counter() - t0:.1f} s", flush=True)
    return 0


def spark_table(spark_dir: Path, schema: str, table: str) -> str:
    """The Parquet files of a table in the Spark warehouse, as DuckDB reads them."""
    return f"read_parquet('{spark_dir}/warehouse/{schema}.db/{table}/*.parquet')"


def compare(db: Path, spark_dir: Path) -> dict[str, float]:
    """The two builds' composites, ranks and node scores side by side, in DuckDB."""
    import duckdb

    con = duckdb.connect(str(db), read_only=True)
    found = {"rows_compared": 0, "max_abs_diff": 0.0, "rank_mismatches": 0, "one_side": 0}
    try:
        for table, (keys, value, rank) in COMPARED.items():
            on = " and ".join(f"d.{k} = s.{k}" for k in keys)
            row = con.execute(
                f"""select count(*) filter (where d.{keys[0]} is not null
                                              and s.{keys[0]} is not null),
                           max(abs(d.{value} - s.{value})),
                           count(*) filter (where d.{rank} is distinct from s.{rank}
                                              and d.{keys[0]} is not null
                                              and s.{keys[0]} is not null),
                           count(*) filter (where d.{keys[0]} is null or s.{keys[0]} is null),
                           count(*) filter (where (d.{value} is null) != (s.{value} is null))
                    from marts.{table} d
                    full join {spark_table(spark_dir, "marts", table)} s on {on}"""
            ).fetchone()
            assert row is not None
            n, diff, ranks, one_side, nulls = row
            print(
                f"    {table}: {n:,} rows compared, max |Δ| {float(diff or 0):.3g}, "
                f"{ranks} {rank} mismatches, {one_side} rows in one build only, "
                f"{nulls} null in one only",
                flush=True,
            )
            found["rows_compared"] += n
            found["max_abs_diff"] = max(found["max_abs_diff"], float(diff or 0.0))
            found["rank_mismatches"] += ranks
            found["one_side"] += one_side + nulls
    finally:
        con.close()
    return found


def run_size(n_regions: int, keep: bool, timeout_s: float, git_rev: str) -> list[dict[str, Any]]:
    import scale

    from digindex.index_folder import load_index, write_canonical

    measured_at = datetime.now(UTC).isoformat(timespec="seconds")
    work = WORK / str(n_regions)
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    project = copy_project(work / "project")
    print(f"==> {n_regions:,} regions: the COINr-shape folder, validated and staged", flush=True)
    t0 = time.perf_counter()
    counts = scale.coinr_folder(work / "coinr", n_regions)
    staged = write_canonical(load_index(work / "coinr", project), work / "staged").resolve()
    print(f"    {counts['values']:,} values in {time.perf_counter() - t0:.0f} s", flush=True)
    db, spark_dir = work / "duckdb.duckdb", work / "spark"
    env = {**os.environ, "DIGINDEX_SPARK_DIR": str(spark_dir)}
    rows = []
    for engine in ("duckdb", "spark"):
        print(f"==> {engine}", flush=True)
        for stale in ("run_results.json", "build_run_results.json"):
            (project / "target" / stale).unlink(missing_ok=True)
        cmd = [sys.executable, str(Path(__file__).resolve()), "--stage", engine]
        cmd += [str(project), str(staged), str(db)]
        run = bench.run_measured(cmd, project, work / f"{engine}.log", timeout_s, env=env)
        nodes = bench.dbt_nodes(project / "target" / "run_results.json")
        status = "ok" if run["returncode"] == 0 else f"exit {run['returncode']}"
        if run["timed_out"]:
            status = f"killed after {timeout_s:.0f} s"
        if status != "ok":
            log = (work / f"{engine}.log").read_text(encoding="utf-8").rstrip().splitlines()
            print("      " + "\n      ".join(log[-20:]), flush=True)
        kinds = {"model", "seed"}
        rows.append(
            {
                "measured_at": measured_at,
                "engine": engine,
                **{k: counts[k] for k in ("regions", "metrics", "values")},
                "status": status,
                "build_s": run["wall_s"],
                "peak_tree_rss_mb": run["tree_rss_sampled_mb"],
                "cpu_s": run["cpu_s"],
                "dbt_nodes": len(nodes),
                "models_s": sum(n["seconds"] for n in nodes if n["node"].split(".")[0] in kinds),
                "tests_s": sum(n["seconds"] for n in nodes if n["node"].split(".")[0] not in kinds),
                "slowest_node": nodes[0]["node"] if nodes else "",
                "slowest_node_s": nodes[0]["seconds"] if nodes else float("nan"),
                "spark_driver_memory": os.environ.get("DIGINDEX_SPARK_DRIVER_MEMORY", "3g"),
                "spark_shuffle_partitions": os.environ.get("DIGINDEX_SPARK_PARTITIONS", "2"),
                "git_rev": git_rev,
                **bench._machine(),
            }
        )
        (work / f"{engine}_nodes.json").write_text(json.dumps(nodes[:30], indent=1))
    if all(r["status"] == "ok" for r in rows):
        print("==> compare Spark with DuckDB", flush=True)
        found = compare(db, spark_dir)
        for row in rows:
            row.update(
                rows_compared=found["rows_compared"],
                max_abs_diff=found["max_abs_diff"],
                rank_mismatches=found["rank_mismatches"],
                rows_in_one_build_only=found["one_side"],
            )
    if not keep and all(r["status"] == "ok" for r in rows):
        shutil.rmtree(work, ignore_errors=True)
    return rows


def agree(rows: list[dict[str, Any]]) -> bool:
    return all(
        r["status"] == "ok"
        and r.get("rows_compared", 0) > 0
        and float(r["max_abs_diff"]) <= TOLERANCE
        and r["rank_mismatches"] == 0
        and r["rows_in_one_build_only"] == 0
        for r in rows
    )


CLUSTER_CORES = (8, 32, 128, 512)
LOCAL_CORES = 2


def fit(points: list[tuple[float, float]]) -> tuple[float, float]:
    """Least squares a + b·N through (N, seconds) points."""
    n = len(points)
    mean_x = sum(x for x, _ in points) / n
    mean_y = sum(y for _, y in points) / n
    sxx = sum((x - mean_x) ** 2 for x, _ in points)
    b = sum((x - mean_x) * (y - mean_y) for x, y in points) / sxx
    return mean_y - b * mean_x, b


# what a build's time depends on: rows measured at a commit where these equal HEAD's are
# comparable
BUILD_CODE = ["models", "macros", "tests/dbt", "dbt_project.yml", "profiles.yml"]


def same_build_code(rev: str) -> bool:
    """True when `rev`'s models, macros, data tests and profiles equal HEAD's."""
    diff = ["git", "diff", "--quiet", rev, "HEAD", "--", *BUILD_CODE]
    return subprocess.run(diff, cwd=REPO_ROOT, capture_output=True).returncode == 0


def crossover(rows: list[dict[str, str]]) -> list[str]:
    """Where Spark on a cluster would overtake DuckDB on this machine — an estimate on
    paper from measured costs, not a cluster run. The rows measured with HEAD's build code
    (the newest per engine and size) give each engine's build time as fixed + per-value
    cost (seconds = a + b·values, least squares); on a cluster of P cores Spark's
    per-value cost is taken to fall as 2/P of the local mode's two cores (perfect scaling:
    optimistic) and its fixed cost (planning, a job per node) to stay; DuckDB keeps this
    machine. The crossover is where the two lines meet."""
    revs = {r["git_rev"] for r in rows if r["status"] == "ok"}
    current = {rev for rev in revs if same_build_code(rev)}
    newest: dict[tuple[str, str], dict[str, str]] = {}
    for r in rows:  # the file is in time order: the last row wins
        if r["status"] == "ok" and r["git_rev"] in current:
            newest[(r["engine"], r["regions"])] = r
    lines = [f"fitted on {RESULTS.name}'s rows of {', '.join(sorted(current)) or '–'}"]
    lines[0] += " (HEAD's build code; seconds = fixed + per-value cost):"
    costs = {}
    for engine in ("duckdb", "spark"):
        sizes = sorted((int(n) for e, n in newest if e == engine))
        if len(sizes) < 2:
            return [
                f"{engine}: measured at {len(sizes)} size(s) with HEAD's build code; "
                "run make bench-spark"
            ]
        points = [
            (float(newest[(engine, str(n))]["values"]), float(newest[(engine, str(n))]["build_s"]))
            for n in sizes
        ]
        a, b = fit(points)
        costs[engine] = (a, b)
        lines.append(
            f"  {engine:<6} fixed {a:7.1f} s, {b * 1e6:7.2f} s per million values"
            f" (regions {', '.join(f'{n:,}' for n in sizes)})"
        )
    (da, db), (sa, sb) = costs["duckdb"], costs["spark"]
    for cores in CLUSTER_CORES:
        per_value = sb * LOCAL_CORES / cores
        if per_value >= db:
            lines.append(f"  {cores:>4} cores: Spark's per-value cost stays above DuckDB's: never")
            continue
        values = max(sa - da, 0.0) / (db - per_value)
        lines.append(
            f"  {cores:>4} cores: Spark ahead beyond ~{values / 1e6:,.0f}M values"
            f" (~{values / 42 / 1e6:,.1f}M regions of 42 metrics)"
        )
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", default="10000,100000", help="regions, comma-separated")
    parser.add_argument("--timeout", type=float, default=4 * 3600, help="seconds per build")
    parser.add_argument("--keep", action="store_true", help="keep build/bench/spark/")
    parser.add_argument("--no-save", action="store_true", help=f"do not append to {RESULTS}")
    parser.add_argument(
        "--crossover",
        action="store_true",
        help=f"only print the cluster crossover estimate from {RESULTS.name}",
    )
    parser.add_argument("--stage", help=argparse.SUPPRESS)
    parser.add_argument("stage_args", nargs="*", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.stage:
        project, staged, db = (Path(a) for a in args.stage_args)
        return stage_build(args.stage, project, staged, db)
    if args.crossover:
        with RESULTS.open(newline="", encoding="utf-8") as fh:
            print("\n".join(crossover(list(csv.DictReader(fh)))))
        return 0
    git_rev = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=REPO_ROOT, capture_output=True, text=True
    ).stdout.strip()
    ok = True
    for size in (int(s) for s in args.sizes.split(",")):
        rows = run_size(size, args.keep, args.timeout, git_rev)
        ok = ok and agree(rows)
        if not args.no_save:
            bench._append(RESULTS, COLUMNS, rows)
        from digindex.tables import format_table

        shown = ["engine", "regions", "values", "status", "build_s", "peak_tree_rss_mb"]
        shown += ["models_s", "tests_s", "max_abs_diff", "rank_mismatches"]
        print(
            format_table(
                shown,
                [
                    [f"{r.get(c):.1f}" if isinstance(r.get(c), float) else r.get(c) for c in shown]
                    for r in rows
                ],
            ),
            flush=True,
        )
    print("Spark equals DuckDB" if ok else "Spark and DuckDB disagree (or a build failed)")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
