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

``--shape coinr`` benchmarks the COINr-equivalent shape (``scripts/scale.py coinr``: 4
pillars, 12 sub-pillars, 42 metrics, 10 groups, 2 % missing with group-mean imputation,
COINr winsorisation, min-max) the way a user runs it: ``digindex run --index DIR --db …
--publish-dir …`` as a subprocess, end to end (validation, staging, dbt build with every
data test, gate, publication), at N = 250, 10k, 100k regions by default. Per size: end-to-end
seconds (and the CLI's own phase timings), peak RSS (``ru_maxrss`` of the process from
``wait4``, and the sampled sum over its process tree), seconds per million values, dbt's
slowest nodes (``target/build_run_results.json``) and the ratio to the pandas oracle.
``tests/oracle.py`` has no imputation or outlier treatment and normalises by goalposts
only: the oracle here reads the pipeline's imputed and treated values (the published
``metric_values.scored_value``), normalises them with goalposts at each metric's observed
min and max (the definition of min-max) and aggregates and ranks them; its composite
scores are checked against the published ones. Rows go to ``bench/coinr_shape.csv``,
the slowest nodes to ``bench/coinr_shape_nodes.csv``.

    python bench/bench.py --shape coinr --sizes 250,10000,100000

Both modes run dbt on a snapshot of the project (models, macros, seeds, tests,
expectations) under ``build/bench/``, so the target/ and logs/ of other runs in the
checkout are left alone and every size runs the same models (``--rev HEAD`` snapshots a
commit instead of the working tree, ``--project DIR`` uses a prepared copy as it is,
``--in-place`` the checkout itself). The CLI and the runtime package are the installed
ones (the checkout's src/, editable) whichever project is used.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import platform
import re
import resource
import shutil
import signal
import subprocess
import sys
import tarfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

# the checkout's paths (and the test oracle) live beside the generators in scripts/
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scripts"))
from _repo import PROJECT_PARTS, REPO_ROOT

RESULTS = REPO_ROOT / "bench" / "results.csv"
COINR_RESULTS = REPO_ROOT / "bench" / "coinr_shape.csv"
COINR_NODES = REPO_ROOT / "bench" / "coinr_shape_nodes.csv"
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


def stage_pipeline(
    index_dir: Path, db: Path, publish_dir: Path, project_dir: Path = REPO_ROOT
) -> dict[str, float]:
    """dbt build, gate and publish of a staged index (in this process), as `digindex run`
    does them: build everything but the published layer, gate, then the published layer
    and the exports."""
    from digindex import gate, publish
    from digindex.dbt_runner import run_dbt

    dbt_vars = {"index_dir": str(index_dir), "index_format": "parquet"}
    t0 = time.perf_counter()
    result = run_dbt(
        ["build", "--exclude", "tag:published"],
        db=db,
        project_dir=project_dir,
        dbt_vars=dbt_vars,
        quiet=True,
    )
    t1 = time.perf_counter()
    models = sum(
        r.execution_time for r in result.results if r.node.resource_type in {"model", "seed"}
    )
    tests = sum(
        r.execution_time for r in result.results if r.node.resource_type in {"test", "unit_test"}
    )
    checked = gate.run_gate(db, "bench", project_dir / "expectations")
    t2 = time.perf_counter()
    if not checked.success:
        raise RuntimeError("the gate failed on synthetic data:\n" + gate.format_failures(checked))
    edition = publish.editions(db)[-1]
    publish.build_published(
        db,
        project_dir,
        "bench",
        edition,
        checked.summary(),
        publish.inputs_hash(sorted(index_dir.glob("*.parquet"))),
        dbt_vars,
    )
    pub = publish.write_exports(
        db, edition, "bench", checked.to_json_dict(), checked.summary(), publish_dir
    )
    # the bench's warehouse is its own commit: the exports follow it as after a real run
    assert pub.directory.is_dir()
    publish.follow_warehouse(db, publish_dir)
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


def _child(stage: str, *args: str) -> dict[str, Any]:
    """A stage of this script in a fresh process (its peak memory is its own)."""
    out = subprocess.run(
        [sys.executable, str(Path(__file__).resolve()), "--stage", stage, *args],
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


def run_size(
    n_regions: int, n_editions: int = 1, keep: bool = False, project: Path = REPO_ROOT
) -> dict[str, object]:
    import scale

    work = WORK / f"{n_regions}x{n_editions}"
    shutil.rmtree(work, ignore_errors=True)
    counts = scale.generate(work / "index", n_regions, n_editions)
    pipeline = _child(
        "pipeline",
        str(work / "index"),
        str(work / "wh.duckdb"),
        str(work / "publish"),
        str(project),
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


# --- the COINr-equivalent shape, end to end through the CLI --------------------------------

COINR_COLUMNS = [
    "measured_at",
    "shape",
    "regions",
    "groups",
    "metrics",
    "values",
    "missing",
    "status",
    "generate_s",
    "e2e_s",
    "validate_stage_s",
    "dbt_build_s",
    "gate_s",
    "publish_s",
    "other_s",
    "cpu_s",
    "peak_rss_mb",
    "tree_rss_sampled_mb",
    "s_per_million_values",
    "dbt_nodes",
    "dbt_models_sql_s",
    "dbt_tests_sql_s",
    "slowest_node",
    "slowest_node_s",
    "metrics_winsorised",
    "metrics_log_transformed",
    "oracle_scope",
    "oracle_load_s",
    "oracle_compute_s",
    "oracle_peak_mb",
    "e2e_over_oracle",
    "oracle_max_abs_diff",
    "oracle_rank_mismatches",
    "load_avg_1m",
    "duckdb_threads",
    "duckdb_memory_limit",
    "git_rev",
    "project",
    "cpu",
    "cores",
    "ram_gb",
    "python",
    "duckdb",
    "dbt_core",
]
NODE_COLUMNS = ["measured_at", "regions", "run", "node", "status", "seconds"]
ORACLE_SCOPE = (
    "normalise (min-max as goalposts at the observed min/max) + aggregate + rank, from the "
    "pipeline's imputed and treated values (not yet tests/oracle.py's whole method, "
    "compute_index, which the differential test uses)"
)
# the CLI's own phase lines: "==> <phase>: …" then "    … in 12.3 s"
PHASES = {"index": "validate_stage_s", "build": "dbt_build_s", "check": "gate_s"}
PHASES["publish"] = "publish_s"
DONE = re.compile(r" in ([0-9.]+) s$")


def snapshot_project(dest: Path, rev: str | None = None) -> Path:
    """The dbt project, its seeds and the gate's suites copied to `dest`: as they are in the
    working tree now, or as committed at `rev` (`git archive`, read-only)."""
    shutil.rmtree(dest, ignore_errors=True)
    if rev:
        archive = subprocess.run(
            ["git", "-C", str(REPO_ROOT), "archive", "--format=tar", rev, "--", *PROJECT_PARTS],
            capture_output=True,
            check=True,
        ).stdout
        dest.mkdir(parents=True)
        with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
            tar.extractall(dest, filter="data")
        return dest
    for part in PROJECT_PARTS:
        src = REPO_ROOT / part
        if src.is_dir():
            shutil.copytree(src, dest / part, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            (dest / part).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest / part)
    return dest


def _git_rev(rev: str | None = None) -> str:
    """The commit the project came from: `rev`, else HEAD plus `+dirty` when the project's
    files in the working tree differ from it (read-only git)."""
    try:
        found = subprocess.run(
            ["git", "-C", str(REPO_ROOT), "rev-parse", "--short", rev or "HEAD"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        if rev:
            return found
        dirty = subprocess.run(
            ["git", "-C", str(REPO_ROOT), "status", "--porcelain", "--", *PROJECT_PARTS],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return found + ("+dirty" if dirty else "")


def _tree_rss_kb(root: int) -> int:
    """The summed VmRSS of `root` and its descendants now (Linux /proc; 0 if gone)."""
    total, todo, seen = 0, [root], set()
    while todo:
        pid = todo.pop()
        if pid in seen:
            continue
        seen.add(pid)
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
                    break
            for task in Path(f"/proc/{pid}/task").iterdir():
                todo += [int(c) for c in (task / "children").read_text().split()]
        except (OSError, ValueError):
            continue
    return total


def run_measured(
    cmd: list[str],
    cwd: Path,
    log: Path,
    timeout_s: float,
    echo: bool = True,
    env: dict[str, str] | None = None,
) -> dict[str, Any]:
    """Run `cmd` in its own process group, its output to `log` (the phase lines echoed);
    return wall seconds, CPU seconds, return code, whether it timed out, the peak RSS of
    the process (`ru_maxrss` from wait4: its own or a waited-for descendant's, whichever
    is larger) and the peak of the sampled sum of RSS over its process tree."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(
        cmd,
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
        env=env,
    )
    assert proc.stdout is not None
    done = threading.Event()
    sampled = [0]
    timed_out = [False]
    marks: list[tuple[float, str]] = []

    def pump(out: IO[str], sink: IO[str]) -> None:
        for line in out:
            sink.write(line)
            sink.flush()
            if line.startswith("==> "):
                marks.append((time.perf_counter() - t0, line[4:].split(":", 1)[0]))
            if echo and (
                line.startswith("==>") or (DONE.search(line.rstrip()) and "[" not in line)
            ):
                print(f"      {line.rstrip()}", flush=True)

    def sample() -> None:
        while not done.wait(0.5):
            sampled[0] = max(sampled[0], _tree_rss_kb(proc.pid))

    def kill() -> None:
        timed_out[0] = True
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass

    timer = threading.Timer(timeout_s, kill)
    with log.open("w", encoding="utf-8") as sink:
        threads = [
            threading.Thread(target=pump, args=(proc.stdout, sink), daemon=True),
            threading.Thread(target=sample, daemon=True),
        ]
        for t in threads:
            t.start()
        timer.start()
        _, status, usage = os.wait4(proc.pid, 0)
        timer.cancel()
        proc.returncode = os.waitstatus_to_exitcode(status)
        done.set()
        for t in threads:
            t.join(timeout=30)
    wall = time.perf_counter() - t0
    # seconds from each phase line ("==> build: …") to the next one (the last: to the exit)
    spans: dict[str, float] = {}
    for (at, phase), (until, _) in zip(marks, [*marks[1:], (wall, "")], strict=True):
        spans[phase] = spans.get(phase, 0.0) + until - at
    return {
        "wall_s": wall,
        "phase_spans": spans,
        "cpu_s": usage.ru_utime + usage.ru_stime,
        "returncode": proc.returncode,
        "timed_out": timed_out[0],
        "peak_rss_mb": usage.ru_maxrss / 1024,
        "tree_rss_sampled_mb": sampled[0] / 1024,
    }


def cli_phases(log_text: str) -> dict[str, float]:
    """The seconds `digindex run` printed for each phase (absent phases are missing)."""
    out: dict[str, float] = {}
    phase = None
    for line in log_text.splitlines():
        if line.startswith("==> "):
            phase = PHASES.get(line[4:].split(":", 1)[0])
        elif phase and not line.lstrip().startswith("[") and (m := DONE.search(line.rstrip())):
            out[phase] = float(m.group(1))
            phase = None
    return out


def dbt_nodes(run_results: Path) -> list[dict[str, Any]]:
    """Every node of a dbt run_results.json: id, status, seconds, slowest first."""
    if not run_results.exists():
        return []
    data = json.loads(run_results.read_text(encoding="utf-8"))
    nodes = [
        {
            "node": r["unique_id"],
            "status": r.get("status", ""),
            "seconds": float(r.get("execution_time") or 0.0),
        }
        for r in data.get("results", [])
    ]
    return sorted(nodes, key=lambda n: -n["seconds"])


def treatment_counts(db: Path) -> tuple[int, int]:
    """Metrics winsorised (≥ 1 point) and metrics log-transformed, from the warehouse."""
    import duckdb

    con = duckdb.connect(str(db), read_only=True)
    try:
        row = con.execute(
            """select count(distinct metric_code) filter (where n_winsorised > 0),
                      count(distinct metric_code) filter (where log_transformed)
               from intermediate.int_metric_values_scored"""
        ).fetchone()
    finally:
        con.close()
    return (int(row[0]), int(row[1])) if row else (0, 0)


def stage_coinr_oracle(index_dir: Path, export_dir: Path) -> dict[str, Any]:
    """tests/oracle.py on the published, imputed and treated values; checked against the
    published metric scores and composite scores."""
    import numpy as np
    import pandas as pd

    import oracle

    t0 = time.perf_counter()
    nodes = pd.read_csv(index_dir / "framework.csv", dtype=str, keep_default_na=False)
    metrics = pd.read_csv(index_dir / "metrics.csv", dtype=str, keep_default_na=False)
    regions = pd.read_csv(
        index_dir / "regions.csv", usecols=["region_code", "framework_code"], dtype=str
    )
    published = pd.read_parquet(
        export_dir / "metric_values.parquet",
        columns=["edition", "region_code", "metric_code", "scored_value", "score"],
    )
    ranked = pd.read_parquet(
        export_dir / "rankings.parquet", columns=["region_code", "composite_score", "rank"]
    )
    t1 = time.perf_counter()
    nodes["local_weight"] = pd.to_numeric(nodes["weight"], errors="coerce").fillna(1.0)
    values = published.rename(columns={"scored_value": "value"}).dropna(subset=["value"])
    # min-max is goalpost normalisation with the goalposts at the observed min and max
    bounds = values.groupby("metric_code")["value"].agg(lower="min", upper="max").reset_index()
    catalog = metrics.drop(columns=["lower", "upper"]).merge(bounds, on="metric_code")
    catalog["weight"] = catalog["weight"].astype(float)
    catalog["direction"] = catalog["direction"].astype(int)
    catalog["normalization"] = "goalpost"
    scores = oracle.node_scores(
        values[["edition", "region_code", "metric_code", "value"]], regions, nodes, catalog
    )
    ranks = oracle.rankings(scores)
    t2 = time.perf_counter()
    got = ranks.merge(ranked, on="region_code", suffixes=("", "_published"))
    metric_scores = oracle.metric_scores(
        values[["edition", "region_code", "metric_code", "value", "score"]].rename(
            columns={"score": "published_score"}
        ),
        regions,
        catalog,
    )
    diff = max(
        float(np.nanmax(np.abs(got["composite_score"] - got["composite_score_published"]))),
        float(np.nanmax(np.abs(metric_scores["score"] - metric_scores["published_score"]))),
    )
    return {
        "oracle_load_s": t1 - t0,
        "oracle_compute_s": t2 - t1,
        "oracle_peak_mb": _peak_mb(),
        "oracle_max_abs_diff": diff,
        "oracle_regions_compared": len(got),
        "oracle_rank_mismatches": int((got["rank"] != got["rank_published"]).sum()),
    }


def run_coinr_size(
    n_regions: int,
    project: Path,
    keep: bool = False,
    timeout_s: float = 3600.0,
    oracle_run: bool = True,
    git_rev: str = "",
) -> tuple[dict[str, object], list[dict[str, object]]]:
    """Generate the COINr-shape folder, run `digindex run --index` on it, then the oracle."""
    import scale

    measured_at = datetime.now(UTC).isoformat(timespec="seconds")
    work = WORK / f"coinr_{n_regions}"
    shutil.rmtree(work, ignore_errors=True)
    index_dir = work / "coinr"
    t0 = time.perf_counter()
    counts = scale.coinr_folder(index_dir, n_regions)
    generate_s = time.perf_counter() - t0
    db, publish_dir = work / "coinr.duckdb", work / "publish"
    exe = Path(sys.executable).with_name("digindex")
    cli = [str(exe)] if exe.exists() else [sys.executable, "-m", "digindex.cli"]
    cmd = [*cli, "run", "--index", str(index_dir), "--db", str(db)]
    cmd += ["--publish-dir", str(publish_dir)]
    print(f"    $ {' '.join(cmd)}   (in {project})", flush=True)
    for stale in ("run_results.json", "build_run_results.json"):
        (project / "target" / stale).unlink(missing_ok=True)
    load = os.getloadavg()[0]
    run = run_measured(cmd, project, work / "digindex_run.log", timeout_s)
    log_text = (work / "digindex_run.log").read_text(encoding="utf-8")
    phases = cli_phases(log_text)
    # a phase that failed or was stopped printed no time: the span between phase lines
    for phase, key in PHASES.items():
        if key not in phases and phase in run["phase_spans"]:
            phases[key] = run["phase_spans"][phase]
    status = "ok" if run["returncode"] == 0 else f"exit {run['returncode']}"
    if run["timed_out"]:
        status = f"killed after {timeout_s:.0f} s"
    build_nodes = dbt_nodes(project / "target" / "build_run_results.json")
    publish_nodes = (
        dbt_nodes(project / "target" / "run_results.json") if "publish_s" in phases else []
    )
    if status != "ok" and not build_nodes:  # killed during the build: whatever dbt wrote
        build_nodes = dbt_nodes(project / "target" / "run_results.json")
    nodes_rows: list[dict[str, object]] = [
        {"measured_at": measured_at, "regions": n_regions, "run": which, **node}
        for which, found in (("build", build_nodes), ("publish", publish_nodes))
        for node in found
    ]
    models = sum(n["seconds"] for n in build_nodes if n["node"].split(".")[0] in {"model", "seed"})
    tests = sum(
        n["seconds"] for n in build_nodes if n["node"].split(".")[0] in {"test", "unit_test"}
    )
    winsorised = logged = float("nan")
    if status == "ok":
        winsorised, logged = treatment_counts(db)
    oracle_figures: dict[str, Any] = {
        "oracle_load_s": float("nan"),
        "oracle_compute_s": float("nan"),
        "oracle_peak_mb": float("nan"),
        "oracle_max_abs_diff": float("nan"),
        "oracle_rank_mismatches": float("nan"),
    }
    exports = publish_dir / str(scale.COINR_EDITION)
    if status == "ok" and oracle_run:
        oracle_figures = _child("coinr-oracle", str(index_dir), str(exports))
        print(
            f"    oracle: {oracle_figures['oracle_regions_compared']:,} regions, max |Δ| "
            f"{oracle_figures['oracle_max_abs_diff']:.2e} vs the published scores, "
            f"{oracle_figures['oracle_rank_mismatches']} rank mismatches",
            flush=True,
        )
    accounted = sum(phases.values())
    e2e = run["wall_s"]
    row: dict[str, object] = {
        "measured_at": measured_at,
        "shape": "coinr",
        **{k: counts[k] for k in ("regions", "groups", "metrics", "values", "missing")},
        "status": status,
        "generate_s": generate_s,
        "e2e_s": e2e,
        **{k: phases.get(k, float("nan")) for k in PHASES.values()},
        "other_s": e2e - accounted,
        "cpu_s": run["cpu_s"],
        "peak_rss_mb": run["peak_rss_mb"],
        "tree_rss_sampled_mb": run["tree_rss_sampled_mb"],
        "s_per_million_values": e2e / (counts["values"] / 1e6),
        "dbt_nodes": len(build_nodes),
        "dbt_models_sql_s": models,
        "dbt_tests_sql_s": tests,
        "slowest_node": build_nodes[0]["node"] if build_nodes else "",
        "slowest_node_s": build_nodes[0]["seconds"] if build_nodes else float("nan"),
        "metrics_winsorised": winsorised,
        "metrics_log_transformed": logged,
        "oracle_scope": ORACLE_SCOPE,
        **oracle_figures,
        "load_avg_1m": load,
        "duckdb_threads": os.environ.get("DIGINDEX_THREADS", "2"),
        "duckdb_memory_limit": os.environ.get("DIGINDEX_MEMORY_LIMIT", "profile default"),
        "git_rev": git_rev,
        "project": str(
            project.relative_to(REPO_ROOT) if project.is_relative_to(REPO_ROOT) else project
        ),
        **_machine(),
    }
    compute = float(oracle_figures["oracle_compute_s"])
    row["e2e_over_oracle"] = e2e / compute if compute == compute and compute > 0 else float("nan")
    if status != "ok":
        print(f"    digindex run: {status}; its log: {work / 'digindex_run.log'}", flush=True)
        print("      " + "\n      ".join(log_text.rstrip().splitlines()[-15:]), flush=True)
    if not keep and status == "ok":
        shutil.rmtree(work, ignore_errors=True)
    return row, nodes_rows


def _print_coinr(rows: list[dict[str, object]]) -> None:
    from digindex.tables import format_table

    def f(v: object) -> str:
        if isinstance(v, float):
            return "–" if v != v else f"{v:,.2f}" if abs(v) < 10 else f"{v:,.1f}"
        return f"{v:,}" if isinstance(v, int) else str(v)

    headers = [
        "regions",
        "values",
        "status",
        "e2e_s",
        "validate_stage_s",
        "dbt_build_s",
        "gate_s",
        "publish_s",
        "peak_rss_mb",
        "s_per_million_values",
        "oracle_compute_s",
        "e2e_over_oracle",
    ]
    print(format_table(headers, [[f(r[h]) for h in headers] for r in rows], [True] * 12))


def _append(path: Path, columns: list[str], rows: list[dict[str, object]]) -> None:
    """Append rows; a file written with other columns is rewritten first with the union
    of both (old rows keep their values, new columns empty)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.exists():
        with path.open(newline="", encoding="utf-8") as fh:
            reader = csv.DictReader(fh)
            header, old = list(reader.fieldnames or []), list(reader)
        if header != columns:
            columns = [*columns, *(c for c in header if c not in columns)]
            with path.open("w", newline="", encoding="utf-8") as fh:
                writer = csv.DictWriter(fh, fieldnames=columns)
                writer.writeheader()
                writer.writerows(old)
    new = not path.exists()
    with path.open("a", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=columns, extrasaction="ignore")
        if new:
            writer.writeheader()
        writer.writerows(rows)
    print(f"appended to {path.relative_to(REPO_ROOT)}")


def main_coinr(args: argparse.Namespace, project: Path, git_rev: str) -> int:
    plan = [int(n) for n in (args.sizes or "250,10000,100000").split(",") if n]
    if args.large:
        plan.append(1_000_000)
    rows: list[dict[str, object]] = []
    for n in plan:
        print(f"==> COINr shape: {n:,} regions × 42 metrics", flush=True)
        row, nodes = run_coinr_size(
            n, project, args.keep, args.timeout, not args.no_oracle, git_rev
        )
        rows.append(row)
        _print_coinr([row])
        print("    slowest dbt nodes (build):")
        for node in [x for x in nodes if x["run"] == "build"][:8]:
            print(f"      {node['seconds']:8.2f} s  {node['node']}")
        if not args.no_save:
            _append(COINR_RESULTS, COINR_COLUMNS, [row])
            _append(COINR_NODES, NODE_COLUMNS, nodes)
    print()
    _print_coinr(rows)
    print(f"(oracle: {ORACLE_SCOPE})")
    return 0 if all(r["status"] == "ok" for r in rows) else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--shape",
        choices=["district", "coinr"],
        default="district",
        help="district: the shipped framework's shape, staged Parquet, the pipeline in "
        "process; coinr: the COINr-equivalent index folder through `digindex run --index` "
        "(default: %(default)s)",
    )
    parser.add_argument(
        "--sizes",
        help="comma-separated region counts (default: 1000,10000,100000; "
        "with --shape coinr 250,10000,100000)",
    )
    parser.add_argument("--large", action="store_true", help="add 1,000,000 regions")
    parser.add_argument(
        "--village",
        action="store_true",
        help="add the village scale: 490,000 regions × 10 editions",
    )
    parser.add_argument("--keep", action="store_true", help="keep build/bench/ afterwards")
    parser.add_argument("--no-save", action="store_true", help="do not append to the CSV")
    parser.add_argument(
        "--timeout",
        type=float,
        default=3600.0,
        help="coinr: stop a `digindex run` after this many seconds (default: %(default)s)",
    )
    parser.add_argument("--no-oracle", action="store_true", help="coinr: skip the oracle")
    parser.add_argument(
        "--rev",
        help="snapshot the project as committed at this git revision (e.g. HEAD) instead "
        "of the working tree",
    )
    parser.add_argument(
        "--project",
        type=Path,
        help="run on this copy of the project as it is (no snapshot), e.g. one with a "
        "changed profiles.yml",
    )
    parser.add_argument(
        "--in-place",
        action="store_true",
        help="run dbt in the checkout itself rather than in a snapshot under build/bench/",
    )
    parser.add_argument("--stage", help=argparse.SUPPRESS)
    parser.add_argument("stage_args", nargs="*", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.stage == "pipeline":
        print(json.dumps(stage_pipeline(*(Path(a) for a in args.stage_args))))
        return 0
    if args.stage == "oracle":
        print(json.dumps(stage_oracle(Path(args.stage_args[0]))))
        return 0
    if args.stage == "coinr-oracle":
        print(json.dumps(stage_coinr_oracle(*(Path(a) for a in args.stage_args))))
        return 0
    if args.shape == "coinr" and args.village:
        parser.error("--village is the district shape's")
    if sum(map(bool, (args.in_place, args.rev, args.project))) > 1:
        parser.error("choose one of --in-place, --rev and --project")
    # the commit the snapshot is taken from (HEAD moves while a long benchmark runs)
    git_rev = _git_rev(args.rev) + (" (project copy)" if args.project else "")
    if args.project:
        project = args.project.resolve()
    elif args.in_place:
        project = REPO_ROOT
    else:
        project = snapshot_project(WORK / "project", args.rev)
    if args.shape == "coinr":
        return main_coinr(args, project, git_rev)
    plan = [(int(n), 1) for n in (args.sizes or "1000,10000,100000").split(",") if n]
    if args.large:
        plan.append((1_000_000, 1))
    if args.village:
        plan.append((490_000, 10))
    rows = []
    for n, editions in plan:
        print(f"==> {n:,} regions × {editions} edition(s)", flush=True)
        rows.append(run_size(n, editions, args.keep, project))
        _print(rows[-1:])
    print()
    _print(rows)
    if not args.no_save:
        _append(RESULTS, COLUMNS, rows)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
