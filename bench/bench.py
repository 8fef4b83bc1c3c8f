"""Benchmarks: the warehouse pipeline against the pandas oracle, at growing sizes.

``make bench`` (``python bench/bench.py``) generates synthetic indices with
``scripts/scale.py`` (the district framework's shape: 42 metrics, one per third-level
indicator) at N = 1k, 10k, 100k regions (``--large`` adds 1M; ``--village`` runs 490k
regions × 10 editions), then, each stage in a fresh subprocess so peak memory is its own:

* pipeline — ``dbt build`` (models + data tests; split into SQL time and dbt's own
  overhead), the gate (GX suites), publication (tables + CSV/Parquet exports);
* oracle — the same computation in plain pandas (``tests/oracle.py``): load, compute.

It prints a table and appends the figures, with machine information, to
``bench/results.csv``. The README's table comes from that file.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

# the checkout's paths (and the test oracle) live beside the generators in scripts/
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scripts"))
from _repo import REPO_ROOT

RESULTS = REPO_ROOT / "bench" / "results.csv"
WORK = REPO_ROOT / "build" / "bench"
COLUMNS = [
    "measured_at",
    "regions",
    "editions",
    "metrics",
    "values",
    "dbt_build_s",
    "dbt_models_sql_s",
    "dbt_tests_sql_s",
    "dbt_overhead_s",
    "gate_s",
    "publish_s",
    "pipeline_s",
    "pipeline_peak_mb",
    "oracle_load_s",
    "oracle_compute_s",
    "oracle_peak_mb",
    "pipeline_over_oracle",
    "cpu",
    "cores",
    "ram_gb",
    "python",
    "duckdb",
    "dbt_core",
]


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def stage_pipeline(index_dir: Path, db: Path, publish_dir: Path) -> dict[str, float]:
    """dbt build, gate and publish of a staged index (in this process)."""
    from digindex import gate, publish
    from digindex.dbt_runner import run_dbt

    dbt_vars = {"index_dir": str(index_dir), "index_format": "parquet"}
    t0 = time.perf_counter()
    result = run_dbt(["build"], db=db, project_dir=REPO_ROOT, dbt_vars=dbt_vars, quiet=True)
    t1 = time.perf_counter()
    models = sum(
        r.execution_time for r in result.results if r.node.resource_type in {"model", "seed"}
    )
    tests = sum(
        r.execution_time for r in result.results if r.node.resource_type in {"test", "unit_test"}
    )
    checked = gate.run_gate(db, "bench", REPO_ROOT / "expectations")
    t2 = time.perf_counter()
    if not checked.success:
        raise RuntimeError("the gate failed on synthetic data:\n" + gate.format_failures(checked))
    edition = 2022
    publish.publish(
        db,
        edition,
        "bench",
        checked.summary(),
        checked.to_json_dict(),
        publish_dir,
        sorted(index_dir.glob("*.parquet")),
        REPO_ROOT,
    )
    t3 = time.perf_counter()
    return {
        "dbt_build_s": t1 - t0,
        "dbt_models_sql_s": models,
        "dbt_tests_sql_s": tests,
        # threads overlap, so this is approximate: wall time not spent in node SQL
        "dbt_overhead_s": max(0.0, (t1 - t0) - (models + tests) / 2),
        "gate_s": t2 - t1,
        "publish_s": t3 - t2,
        "pipeline_s": t3 - t0,
        "pipeline_peak_mb": _peak_mb(),
    }


def stage_oracle(index_dir: Path) -> dict[str, float]:
    """The same computation in pandas: load the staged files, compute scores and ranks."""
    import pandas as pd

    import oracle

    t0 = time.perf_counter()
    nodes = pd.read_parquet(index_dir / "framework_nodes.parquet")
    nodes["local_weight"] = nodes["local_weight_pct"].astype(float)
    metrics = pd.read_parquet(index_dir / "metric_catalog.parquet")
    for col in ["weight", "lower", "upper"]:
        metrics[col] = metrics[col].astype(float)
    metrics["direction"] = metrics["direction"].astype(int)
    regions = pd.read_parquet(
        index_dir / "regions.parquet", columns=["region_code", "framework_code"]
    )
    values = pd.read_parquet(index_dir / "metric_values.parquet")
    t1 = time.perf_counter()
    scores = oracle.node_scores(values, regions, nodes, metrics)
    oracle.rankings(scores)
    t2 = time.perf_counter()
    return {"oracle_load_s": t1 - t0, "oracle_compute_s": t2 - t1, "oracle_peak_mb": _peak_mb()}


def _child(stage: str, *args: str) -> dict[str, float]:
    out = subprocess.run(
        [sys.executable, "-m", "digindex.bench", "--stage", stage, *args],
        capture_output=True,
        text=True,
        check=False,
    )
    if out.returncode != 0:
        raise RuntimeError(f"{stage} failed:\n{out.stdout[-3000:]}\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def _machine() -> dict[str, str]:
    import dbt.version
    import duckdb

    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    ram = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return {
        "cpu": cpu,
        "cores": str(os.cpu_count()),
        "ram_gb": f"{ram:.0f}",
        "python": platform.python_version(),
        "duckdb": duckdb.__version__,
        "dbt_core": dbt.version.__version__,
    }


def run_size(n_regions: int, n_editions: int = 1, keep: bool = False) -> dict[str, object]:
    import scale

    work = WORK / f"{n_regions}x{n_editions}"
    shutil.rmtree(work, ignore_errors=True)
    counts = scale.generate(work / "index", n_regions, n_editions)
    pipeline = _child(
        "pipeline", str(work / "index"), str(work / "wh.duckdb"), str(work / "publish")
    )
    # the in-memory oracle needed ~42 KB per region-edition at 100k (4.2 GB): skip it where
    # that estimate passes 60 % of this machine's memory, rather than let it be killed
    ram_mb = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**20
    if n_regions * n_editions * 0.042 > 0.6 * ram_mb:
        print(
            f"    oracle skipped: it would need about {n_regions * n_editions * 0.042:,.0f} MB",
            flush=True,
        )
        oracle_figures = {
            "oracle_load_s": float("nan"),
            "oracle_compute_s": float("nan"),
            "oracle_peak_mb": float("nan"),
        }
    else:
        oracle_figures = _child("oracle", str(work / "index"))
    if not keep:
        shutil.rmtree(work, ignore_errors=True)
    row: dict[str, object] = {
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "regions": n_regions,
        "editions": n_editions,
        "metrics": counts["metrics"],
        "values": counts["values"],
        **pipeline,
        **oracle_figures,
        **_machine(),
    }
    row["pipeline_over_oracle"] = (
        pipeline["pipeline_s"] / max(oracle_figures["oracle_compute_s"], 1e-9)
        if oracle_figures["oracle_compute_s"] == oracle_figures["oracle_compute_s"]
        else float("nan")
    )
    return row


def _print(rows: list[dict[str, object]]) -> None:
    from digindex.tables import format_table

    def f(v: object) -> str:
        return f"{v:,.1f}" if isinstance(v, float) else f"{v:,}" if isinstance(v, int) else str(v)

    headers = [
        "regions",
        "editions",
        "values",
        "dbt_build_s",
        "gate_s",
        "publish_s",
        "pipeline_s",
        "pipeline_peak_mb",
        "oracle_compute_s",
        "oracle_peak_mb",
        "pipeline_over_oracle",
    ]
    print(format_table(headers, [[f(r[h]) for h in headers] for r in rows], [True] * 11))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--sizes",
        default="1000,10000,100000",
        help="comma-separated region counts (default: %(default)s)",
    )
    parser.add_argument("--large", action="store_true", help="add 1,000,000 regions")
    parser.add_argument(
        "--village",
        action="store_true",
        help="add the village scale: 490,000 regions × 10 editions",
    )
    parser.add_argument("--keep", action="store_true", help="keep build/bench/ afterwards")
    parser.add_argument("--no-save", action="store_true", help="do not append to the CSV")
    parser.add_argument("--stage", help=argparse.SUPPRESS)
    parser.add_argument("stage_args", nargs="*", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.stage == "pipeline":
        print(json.dumps(stage_pipeline(*(Path(a) for a in args.stage_args))))
        return 0
    if args.stage == "oracle":
        print(json.dumps(stage_oracle(Path(args.stage_args[0]))))
        return 0
    plan = [(int(n), 1) for n in args.sizes.split(",") if n]
    if args.large:
        plan.append((1_000_000, 1))
    if args.village:
        plan.append((490_000, 10))
    rows = []
    for n, editions in plan:
        print(f"==> {n:,} regions × {editions} edition(s)", flush=True)
        rows.append(run_size(n, editions, args.keep))
        _print(rows[-1:])
    print()
    _print(rows)
    if not args.no_save:
        RESULTS.parent.mkdir(parents=True, exist_ok=True)
        new = not RESULTS.exists()
        with RESULTS.open("a", newline="", encoding="utf-8") as fh:
            writer = csv.DictWriter(fh, fieldnames=COLUMNS, extrasaction="ignore")
            if new:
                writer.writeheader()
            writer.writerows(rows)
        print(f"appended to {RESULTS.relative_to(REPO_ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
