"""Build the shipped index on Apache Spark from an index folder and check it equals the
DuckDB build from the seeds.

``make test-spark``: the shipped index written as an index folder (``digindex
export-index``), validated and staged as the CLI stages any folder (canonical CSV files,
the values as Parquet), then ``dbt build --target spark`` of everything but the published
layer (which the DuckDB warehouse publishes; dbt-spark in session mode: an in-process
SparkSession on this machine's Java 17) reading that folder with Spark's own readers
(``read_index_csv`` / ``read_index_parquet``: a CSV view, ``parquet.`path```; the index's
own seeds are not loaded) — models, every data test and unit test — then ``dbt build`` on
DuckDB from the seeds, then every composite and node score compared (within 1e-9), every
rank (identical), and every treated value (within 1e-9, with the same treatment
decisions). One comparison covers both the index-folder path on Spark and the seeds path
on DuckDB. Exit 0 when both builds pass and agree, 1 otherwise.

Both builds run on a copy of the project in which the district and zone metrics declare
COINr's outlier treatment (`treatment = winsorise`, with thresholds low enough to fire on
the synthetic values): both engines run the treatment's one algorithm (macros/scoring/
treatment.sql), finding a metric's extreme values their own way (DuckDB's top-n
aggregates where it can, a window by metric on Spark), and the shipped index declares
none. The check requires the treatment to
fire (metrics winsorised and log-transformed) so the comparison covers it.

The shipped index's uncertainty analysis (its uncertainty.yml, which export-index writes
into the folder) runs on both engines from one staged sample (ANALYSIS_SIZES): every
scenario's composite (1e-9) and rank (identical), the rank intervals and the sensitivity
indices compared; the Spark build's publication stages the same sample.

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

from digindex import cli
from digindex.dbt_runner import DbtError, run_dbt
from digindex.index_folder import load_index, write_canonical

# the checkout's paths live beside the generators in scripts/, the test oracle here
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scripts"))
sys.path.insert(0, str(Path(__file__).resolve().parent))
import oracle
from _repo import REPO_ROOT, copy_project

TOLERANCE = 1e-9
# what a Spark build from an index folder leaves out (see main; bench/bench_spark.py too)
# (tag:benchmarking: 对标's Python models, which dbt-spark's session mode cannot run; a
# `--from-spark` load computes them on DuckDB)
SPARK_EXCLUDE = ["tag:published", "tag:exact_doubles", "tag:index_input", "tag:benchmarking"]
# table → (query, key, the value compared within TOLERANCE, the columns compared exactly)
QUERIES = {
    "fct_rankings": (
        "select edition, framework_code, region_code, composite_score, rank "
        "from marts.fct_rankings",
        ["edition", "region_code"],
        "composite_score",
        ["rank"],
    ),
    "fct_indicator_scores": (
        "select edition, framework_code, region_code, node_code, score "
        "from marts.fct_indicator_scores",
        ["edition", "region_code", "node_code"],
        "score",
        [],
    ),
    "int_metric_values_scored": (
        "select edition, variant_code, region_code, metric_code, treated_value, n_winsorised, "
        "log_transformed from intermediate.int_metric_values_scored where is_ranked",
        ["edition", "variant_code", "region_code", "metric_code"],
        "treated_value",
        ["n_winsorised", "log_transformed"],
    ),
}
# the shipped index's uncertainty analysis (uncertainty.yml) at a check's size: its sample is
# staged once and read by both builds (and by the publication of the Spark build)
ANALYSIS_SIZES = {"DIGINDEX_UNCERTAINTY_SAMPLES": "40", "DIGINDEX_SENSITIVITY_SAMPLES": "8"}
QUERIES.update(
    {
        "int_scenario_ranks": (
            "select scenario_id, edition, region_code, score, rank "
            "from intermediate.int_scenario_ranks",
            ["scenario_id", "edition", "region_code"],
            "score",
            ["rank"],
        ),
        "fct_rank_uncertainty": (
            "select edition, region_code, rank_mean, nominal_rank, rank_best, rank_worst, "
            "rank_p05, rank_p95, p_top_n from marts.fct_rank_uncertainty",
            ["edition", "region_code"],
            "rank_mean",
            ["nominal_rank", "rank_best", "rank_worst", "rank_p05", "rank_p95", "p_top_n"],
        ),
        "rpt_sensitivity_indices (ST)": (
            "select edition, framework_code, output_code, choice_code, st, st_lower, st_upper "
            "from marts.rpt_sensitivity_indices",
            ["edition", "framework_code", "output_code", "choice_code"],
            "st",
            [],
        ),
        "rpt_sensitivity_indices (S1)": (
            "select edition, framework_code, output_code, choice_code, s1, s1_lower, s1_upper "
            "from marts.rpt_sensitivity_indices",
            ["edition", "framework_code", "output_code", "choice_code"],
            "s1",
            [],
        ),
    }
)
TREATED_FRAMEWORKS = ("district", "zone")
# values that may be null in both builds: a treated value is null where the value is
# missing and not imputed (nothing else compared here may be null)
MAY_BE_NULL = {"treated_value"}


def treated_copy(dest: Path) -> Path:
    """The project copied to `dest`, its district and zone metrics declaring treatment."""
    copy_project(dest)
    catalog = dest / "seeds" / "metrics" / "metric_catalog.csv"
    frame = pd.read_csv(catalog, dtype=str, keep_default_na=False)
    # (not the log-transformed metrics: the treatment's log fallback followed by the metric's
    # own log transform can take the log of a negative number, which fails the build)
    treated = frame["framework_code"].isin(TREATED_FRAMEWORKS) & (frame["transform"] == "none")
    # thresholds low enough that the well-behaved synthetic values trip them: some metrics
    # are winsorised, some still fail after one point and fall back to the log
    frame.loc[treated, "treatment"] = "winsorise"
    frame.loc[treated, "skew_threshold"] = "0.5"
    frame.loc[treated, "kurtosis_threshold"] = "-1.5"
    frame.loc[treated, "winsor_max_points"] = "1"
    frame.to_csv(catalog, index=False)
    return dest


def compare(spark: dict[str, pd.DataFrame], duck: dict[str, pd.DataFrame]) -> list[str]:
    """Problems found comparing the two builds (empty when they agree), through the oracle's
    NaN-safe comparison: a row in one build only, a repeated key, a value null in one build
    only, or |Δ| > TOLERANCE (exact for the `exact` columns). Only a treated value may be
    null in both builds (a missing value left missing); scores and ranks never."""
    problems = []
    for name, (_, keys, value, exact) in QUERIES.items():
        a, b = spark[name], duck[name]
        found = oracle.score_mismatches(
            a, b, keys, value, TOLERANCE, both_null_ok=value in MAY_BE_NULL
        )
        for column in exact:
            found += oracle.score_mismatches(
                a.assign(**{column: a[column].astype(float)}),
                b.assign(**{column: b[column].astype(float)}),
                keys,
                column,
                0,
            )
        problems += [f"{name}: {p}" for p in found]
        merged = a.merge(b, on=keys, suffixes=("_spark", "_duckdb"))
        diff = (merged[f"{value}_spark"] - merged[f"{value}_duckdb"]).abs().max()
        print(f"    {name}: {len(merged)} rows compared, max |Δ| = {diff:.3g}")
    return problems


def publish_from_spark(
    work: Path, project: Path, folder: Path, results: Path, spark: dict[str, pd.DataFrame]
) -> list[str]:
    """The Spark build gated and published (`digindex run --from-spark`): its rankings
    published as Spark computed them; then the same with a duplicate row planted in its
    rankings' Parquet, which the marts' contract refuses, leaving that publication as it
    was."""
    print("==> digindex run --from-spark: the Spark build gated and published", flush=True)
    db, publish_dir = work / "from_spark.duckdb", work / "publish"
    warehouse = work / "spark" / "warehouse"

    def run(spark_warehouse: Path) -> int:
        args = ["--project-dir", str(project), "run", "--index", str(folder), "--db", str(db)]
        args += ["--publish-dir", str(publish_dir), "--from-spark", str(spark_warehouse)]
        return cli.main([*args, "--spark-results", str(results)])

    problems = []
    if (code := run(warehouse)) != 0:
        return [f"digindex run --from-spark exited {code}"]
    con = duckdb.connect(str(db), read_only=True)
    try:
        published = con.execute(
            "select edition, region_code, composite_score, rank from published.rankings"
        ).df()
    finally:
        con.close()
    expected = spark["fct_rankings"][["edition", "region_code", "composite_score", "rank"]]
    merged = published.merge(
        expected,
        on=["edition", "region_code"],
        how="outer",
        indicator=True,
        suffixes=("", "_spark"),
    )
    if (merged["_merge"] != "both").any() or len(merged) != len(expected):
        problems.append("published rankings and the Spark build's differ in their rows")
    elif not (
        (merged["composite_score"] == merged["composite_score_spark"]).all()
        and (merged["rank"] == merged["rank_spark"]).all()
    ):
        problems.append("published rankings are not the Spark build's scores and ranks")
    print(f"    published {len(published)} rankings, as the Spark build computed them")

    before = sorted(p.name for p in (publish_dir / ".versions").rglob("*") if p.is_dir())
    planted = work / "spark-planted"
    shutil.copytree(warehouse, planted)
    rankings = planted / "marts.db" / "fct_rankings"
    part = sorted(rankings.glob("*.parquet"))[0]
    con = duckdb.connect()
    try:
        con.execute(
            f"copy (select * from read_parquet('{part}') limit 1) "
            f"to '{rankings / 'part-99999-duplicate.parquet'}' (format parquet)"
        )
    finally:
        con.close()
    code = run(planted)
    after = sorted(p.name for p in (publish_dir / ".versions").rglob("*") if p.is_dir())
    if code != cli.EXIT_BUILD:
        problems.append(f"a duplicate ranking row from Spark was not refused (exit {code})")
    if after != before:
        problems.append("the refused Spark build changed the publication")
    print(
        f"    a duplicate row planted in the Spark rankings: refused (exit {code}), "
        "the publication unchanged"
    )
    return problems


def stage_analysis(folder: Path, staged: Path, project: Path, out: Path) -> Path:
    """The sample of the index's uncertainty analysis (its uncertainty.yml, at
    ANALYSIS_SIZES) staged as `digindex run` stages it."""
    from digindex import uncertainty
    from digindex.paths import project_vars

    declared = project_vars(project)
    spec = uncertainty.load_spec(
        folder / uncertainty.SPEC_FILE,
        declared["methods"],
        int(declared["max_winsorisation_points"]),
    )
    drawn = uncertainty.stage(
        spec,
        uncertainty.Framework.of_staged(staged),
        out,
        samples=int(ANALYSIS_SIZES["DIGINDEX_UNCERTAINTY_SAMPLES"]),
        sensitivity_samples=int(ANALYSIS_SIZES["DIGINDEX_SENSITIVITY_SAMPLES"]),
    )
    print(f"    the uncertainty analysis: {len(drawn.tables['scenarios'])} scenarios staged")
    return out.resolve()


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
    project = treated_copy(work / "project")

    t0 = time.perf_counter()
    print("==> the shipped index as an index folder, validated and staged", flush=True)
    folder = work / "index"
    if cli.main(["--project-dir", str(project), "export-index", str(folder)]) != 0:
        return 1
    staged = write_canonical(load_index(folder, project), work / "staged")
    os.environ.update(ANALYSIS_SIZES)
    scenarios = stage_analysis(folder, staged, project, work / "scenarios")
    print("==> dbt build --target spark from the folder (models, data tests, unit tests)")
    try:
        run_dbt(
            # not the unit tests whose expected doubles are a libm's last bit (Spark's
            # Math.log differs from glibc's by 1 ulp on some values): the comparison with
            # DuckDB below checks the same steps on Spark, within 1e-9; not the index's own
            # seeds, which a build from a folder does not read
            ["build", "--target", "spark", "--exclude", *SPARK_EXCLUDE],
            db=work / "unused.duckdb",
            project_dir=project,
            dbt_vars={"index_dir": str(staged.resolve()), "scenario_dir": str(scenarios)},
            quiet=True,
        )
    except DbtError as err:
        print(str(err), file=sys.stderr)
        return 1
    print(f"    passed in {time.perf_counter() - t0:.0f} s", flush=True)
    # the DuckDB build below writes its own run results
    spark_results = work / "spark_run_results.json"
    shutil.copy(project / "target" / "run_results.json", spark_results)
    from pyspark.sql import SparkSession

    spark = SparkSession.builder.getOrCreate()  # the session dbt-spark ran in
    spark_frames = {n: spark.sql(q).toPandas() for n, (q, *_) in QUERIES.items()}

    t1 = time.perf_counter()
    print("==> dbt build on DuckDB from the seeds", flush=True)
    db = work / "duckdb.duckdb"
    try:
        run_dbt(
            ["build", "--exclude", "tag:published"],
            db=db,
            project_dir=project,
            dbt_vars={"scenario_dir": str(scenarios)},
            quiet=True,
        )
    except DbtError as err:
        print(str(err), file=sys.stderr)
        return 1
    print(f"    passed in {time.perf_counter() - t1:.0f} s", flush=True)
    con = duckdb.connect(str(db), read_only=True)
    try:
        duck_frames = {n: con.execute(q).df() for n, (q, *_) in QUERIES.items()}
        winsorised, logged = con.execute(
            """select count(distinct metric_code) filter (where n_winsorised > 0),
                      count(distinct metric_code) filter (where log_transformed)
               from intermediate.int_metric_values_scored"""
        ).fetchone()
    finally:
        con.close()
    print(f"    treatment fired: {winsorised} metrics winsorised, {logged} log-transformed")

    print("==> compare Spark with DuckDB", flush=True)
    problems = compare(spark_frames, duck_frames)
    if not winsorised or not logged:
        problems.append("the treatment never winsorised or never log-transformed: not compared")
    problems += publish_from_spark(work, project, folder, spark_results, spark_frames)
    if problems:
        print("Spark and DuckDB disagree:\n  " + "\n  ".join(problems), file=sys.stderr)
        return 1
    print(f"Spark build equals the DuckDB build ({time.perf_counter() - t0:.0f} s in all)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
