"""Build the shipped index on Apache Spark and check it equals the DuckDB build.

``make test-spark``: ``dbt build --target spark`` of everything but the published layer
(which the DuckDB warehouse publishes; dbt-spark in session mode: an
in-process SparkSession on this machine's Java 17; seeds, every model, data test and unit
test), then ``dbt build`` on DuckDB, then every composite and node score compared (within
1e-9) and every rank (identical). Exit 0 when both builds pass and agree, 1 otherwise.

Tables go to ``build/spark-check/`` (warehouse directory and Derby metastore, fresh each run).
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import time
from pathlib import Path

import duckdb
import pandas as pd

from digindex.dbt_runner import DbtError, run_dbt

# the checkout's paths (and the test oracle) live beside the generators in scripts/
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scripts"))
from _repo import REPO_ROOT

TOLERANCE = 1e-9
QUERIES = {
    "fct_rankings": (
        "select edition, framework_code, region_code, composite_score, rank "
        "from marts.fct_rankings",
        ["edition", "region_code"],
    ),
    "fct_indicator_scores": (
        "select edition, framework_code, region_code, node_code, score "
        "from marts.fct_indicator_scores",
        ["edition", "region_code", "node_code"],
    ),
}


def compare(spark: dict[str, pd.DataFrame], duck: dict[str, pd.DataFrame]) -> list[str]:
    """Problems found comparing the two builds (empty when they agree)."""
    problems = []
    for name, (_, keys) in QUERIES.items():
        a, b = spark[name], duck[name]
        merged = a.merge(b, on=keys, how="outer", suffixes=("_spark", "_duckdb"), indicator=True)
        lonely = merged[merged["_merge"] != "both"]
        if len(lonely):
            problems.append(
                f"{name}: {len(lonely)} rows in one build only, e.g. "
                f"{lonely.head(3)[[*keys, '_merge']].to_dict('records')}"
            )
        both = merged[merged["_merge"] == "both"]
        value = "composite_score" if name == "fct_rankings" else "score"
        diff = (both[f"{value}_spark"] - both[f"{value}_duckdb"]).abs().max()
        if not diff <= TOLERANCE:
            problems.append(f"{name}: max |spark − duckdb| {value} = {diff}")
        if name == "fct_rankings":
            bad = both[both["rank_spark"] != both["rank_duckdb"]]
            if len(bad):
                problems.append(
                    f"fct_rankings: {len(bad)} ranks differ, e.g. "
                    f"{bad.head(3)[keys].to_dict('records')}"
                )
        print(f"    {name}: {len(both)} rows compared, max |Δ| = {diff:.3g}")
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--work-dir", type=Path, default=REPO_ROOT / "build" / "spark-check")
    args = parser.parse_args(argv)
    work = args.work_dir.resolve()
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    os.environ["DIGINDEX_SPARK_DIR"] = str(work / "spark")

    t0 = time.perf_counter()
    print("==> dbt build --target spark (seeds, models, data tests, unit tests)", flush=True)
    try:
        run_dbt(
            ["build", "--target", "spark", "--exclude", "tag:published"],
            db=work / "unused.duckdb",
            project_dir=REPO_ROOT,
            quiet=True,
        )
    except DbtError as err:
        print(str(err), file=sys.stderr)
        return 1
    print(f"    passed in {time.perf_counter() - t0:.0f} s", flush=True)
    from pyspark.sql import SparkSession

    spark = SparkSession.builder.getOrCreate()  # the session dbt-spark ran in
    spark_frames = {n: spark.sql(q).toPandas() for n, (q, _) in QUERIES.items()}

    t1 = time.perf_counter()
    print("==> dbt build on DuckDB", flush=True)
    db = work / "duckdb.duckdb"
    try:
        run_dbt(["build", "--exclude", "tag:published"], db=db, project_dir=REPO_ROOT, quiet=True)
    except DbtError as err:
        print(str(err), file=sys.stderr)
        return 1
    print(f"    passed in {time.perf_counter() - t1:.0f} s", flush=True)
    con = duckdb.connect(str(db), read_only=True)
    try:
        duck_frames = {n: con.execute(q).df() for n, (q, _) in QUERIES.items()}
    finally:
        con.close()

    print("==> compare Spark with DuckDB", flush=True)
    problems = compare(spark_frames, duck_frames)
    if problems:
        print("Spark and DuckDB disagree:\n  " + "\n  ".join(problems), file=sys.stderr)
        return 1
    print(f"Spark build equals the DuckDB build ({time.perf_counter() - t0:.0f} s in all)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
