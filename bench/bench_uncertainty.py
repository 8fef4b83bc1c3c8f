"""Benchmarks of the uncertainty and sensitivity analysis (README, "Uncertainty and
sensitivity"): ``make bench`` runs it after ``bench.py``.

Three cases, each ``digindex build --index DIR`` (dbt build with every data test; no gate
or publication) as a subprocess on a snapshot of the project (``build/bench/``), once with
the case's ``uncertainty.yml`` beside the folder's files and once without it (the nominal
index alone), so that the analysis's cost is the difference:

* ``uncertainty_250`` — the shipped H3C index (250 regions in its three peer groups,
  ``digindex export-index``): 1,000 replications, weights ± 25 % at levels 1 and 2 and the
  aggregation arithmetic or geometric (levels 0–2);
* ``sensitivity_250`` — the same index, a Saltelli design of N = 1,000 base samples for
  d = 4 choices (those three and the normalisation, goalposts or min-max): 6,000 runs;
* ``uncertainty_10k`` — the COINr-shape index (``scripts/scale.py coinr``) at 10,000
  regions, 1,000 replications of the first case's choices.

Per case: the build's wall seconds with and without the analysis and their difference
(``analysis_s``: parsing, sampling, SQL and tests together), the SQL seconds of the models
whose work grows with the scenarios (dbt's execution times; ``analysis_models_s`` with the
analysis, ``analysis_sql_s`` the same minus the nominal build's — the analysis's cost in the
warehouse), the sampling's seconds (``==> uncertainty`` phase), and the peak RSS (the
process tree, sampled). Rows go to ``bench/uncertainty.csv``.

    python bench/bench_uncertainty.py [--cases uncertainty_250,sensitivity_250]
"""

from __future__ import annotations

import argparse
import shutil
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench import (
    REPO_ROOT,
    WORK,
    _append,
    _git_rev,
    _machine,
    dbt_nodes,
    run_measured,
    snapshot_project,
)

RESULTS = REPO_ROOT / "bench" / "uncertainty.csv"
COLUMNS = [
    "measured_at",
    "case",
    "regions",
    "replications",
    "saltelli_runs",
    "scenarios",
    "build_nominal_s",
    "build_with_analysis_s",
    "analysis_s",
    "analysis_models_s",
    "analysis_sql_s",
    "sampling_s",
    "peak_tree_rss_mb",
    "status",
    "git_rev",
    "cpu",
    "cores",
]
# the models whose work grows with the scenarios (the rest is the nominal index's)
ANALYSIS_MODELS = (
    "int_metric_values_imputed",
    "int_metric_values_scored",
    "int_node_scores_aggregated",
    "int_scenario_ranks",
    "int_sensitivity_terms",
    "fct_rank_uncertainty",
    "fct_rank_distribution",
    "rpt_sensitivity_indices",
)
WEIGHTS_AND_AGGREGATION = """\
  - {code: weights_level_1, kind: weight_noise, levels: [1], noise: 0.25}
  - {code: weights_level_2, kind: weight_noise, levels: [2], noise: 0.25}
  - {code: aggregation, kind: aggregation, levels: [0, 1, 2], alternatives: [arithmetic, geometric]}
"""
CASES: dict[str, dict[str, Any]] = {
    "uncertainty_250": {
        "index": "h3c",
        "spec": "seed: 1\nsamples: 1000\ndesign: sobol\nsensitivity_samples: 0\nchoices:\n"
        + WEIGHTS_AND_AGGREGATION,
    },
    "sensitivity_250": {
        "index": "h3c",
        "spec": "seed: 1\nsamples: 0\nsensitivity_samples: 1000\nbootstrap_resamples: 100\n"
        "choices:\n"
        + WEIGHTS_AND_AGGREGATION
        + "  - {code: normalisation, kind: normalisation, alternatives: [goalpost, minmax]}\n",
    },
    "uncertainty_10k": {
        "index": "coinr_10000",
        "spec": "seed: 1\nsamples: 1000\ndesign: sobol\nsensitivity_samples: 0\nchoices:\n"
        + WEIGHTS_AND_AGGREGATION,
    },
}


def _cli() -> list[str]:
    exe = Path(sys.executable).with_name("digindex")
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "digindex.cli"]


def make_index(name: str, dest: Path, project: Path) -> Path:
    """The case's index folder (without a specification)."""
    if dest.exists():
        return dest
    if name == "h3c":
        import subprocess

        subprocess.run(
            [*_cli(), "--project-dir", str(project), "export-index", str(dest)], check=True
        )
        # the 2022 edition alone: the cases measure 250 regions (as before 2021 was added)
        values = dest / "values.csv"
        lines = values.read_text(encoding="utf-8").splitlines(keepends=True)
        values.write_text(
            "".join([lines[0], *(line for line in lines[1:] if line.startswith("2022,"))]),
            encoding="utf-8",
        )
        return dest
    sys.path.insert(0, str(REPO_ROOT / "scripts"))
    import scale

    scale.coinr_folder(dest, int(name.split("_")[1]))
    return dest


def build(project: Path, folder: Path, work: Path, label: str) -> dict[str, Any]:
    db = work / label / "index.duckdb"
    shutil.rmtree(db.parent, ignore_errors=True)
    db.parent.mkdir(parents=True)
    cmd = [*_cli(), "build", "--index", str(folder), "--db", str(db)]
    print(f"    $ {' '.join(cmd)}", flush=True)
    run = run_measured(cmd, project, db.parent / "build.log", timeout_s=3600)
    nodes = dbt_nodes(project / "target" / "build_run_results.json")
    run["analysis_models_s"] = sum(
        n["seconds"] for n in nodes if n["node"].split(".")[-1] in ANALYSIS_MODELS
    )
    run["nodes"] = nodes
    run["db"] = db
    return run


def scenario_counts(db: Path) -> tuple[int, int]:
    import duckdb

    con = duckdb.connect(str(db), read_only=True)
    try:
        row = con.execute(
            """select count(*) filter (where design = 'uncertainty'),
                      count(*) filter (where design = 'sensitivity')
               from staging.stg_uncertainty__scenarios"""
        ).fetchone()
        regions = con.execute("select count(*) from marts.dim_regions").fetchone()
    finally:
        con.close()
    assert row and regions
    return int(row[0]), int(row[1])


def run_case(name: str, project: Path, git_rev: str) -> dict[str, object]:
    case = CASES[name]
    work = WORK / "uncertainty" / name
    shutil.rmtree(work, ignore_errors=True)
    folder = make_index(case["index"], WORK / "uncertainty" / "indices" / case["index"], project)
    # without the specification: the nominal index alone (then the same folder with it)
    (folder / "uncertainty.yml").unlink(missing_ok=True)
    nominal = build(project, folder, work, "nominal")
    (folder / "uncertainty.yml").write_text(case["spec"], encoding="utf-8")
    try:
        analysed = build(project, folder, work, "analysed")
    finally:
        (folder / "uncertainty.yml").unlink(missing_ok=True)
    ok = nominal["returncode"] == 0 and analysed["returncode"] == 0
    replications, saltelli = scenario_counts(analysed["db"]) if ok else (0, 0)
    import duckdb

    regions = 0
    if ok:
        con = duckdb.connect(str(analysed["db"]), read_only=True)
        regions = int(con.execute("select count(*) from marts.dim_regions").fetchone()[0])
        con.close()
    machine = _machine()
    row: dict[str, object] = {
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "case": name,
        "regions": regions,
        "replications": replications,
        "saltelli_runs": saltelli,
        "scenarios": replications + saltelli,
        "build_nominal_s": round(nominal["wall_s"], 1),
        "build_with_analysis_s": round(analysed["wall_s"], 1),
        "analysis_s": round(analysed["wall_s"] - nominal["wall_s"], 1),
        "analysis_models_s": round(analysed["analysis_models_s"], 1),
        "analysis_sql_s": round(analysed["analysis_models_s"] - nominal["analysis_models_s"], 1),
        "sampling_s": round(analysed["phase_spans"].get("uncertainty", 0.0), 1),
        "peak_tree_rss_mb": round(analysed["tree_rss_sampled_mb"]),
        "status": "ok" if ok else "failed",
        "git_rev": git_rev,
        "cpu": machine.get("cpu", ""),
        "cores": machine.get("cores", ""),
    }
    print("    slowest dbt nodes (with the analysis):")
    for node in analysed["nodes"][:6]:
        print(f"      {node['seconds']:8.2f} s  {node['node']}")
    return row


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--cases", default=",".join(CASES), help="comma-separated case names")
    parser.add_argument("--no-save", action="store_true", help="do not append to the CSV")
    args = parser.parse_args(argv)
    project = snapshot_project(WORK / "uncertainty" / "project")
    git_rev = _git_rev()
    # a first build runs the unit tests and parses the project: not either case's cost
    print("==> warm-up (unit tests, parse)", flush=True)
    warm = make_index("h3c", WORK / "uncertainty" / "indices" / "h3c", project)
    (warm / "uncertainty.yml").unlink(missing_ok=True)
    build(project, warm, WORK / "uncertainty", "warm-up")
    rows = []
    t0 = time.perf_counter()
    for name in args.cases.split(","):
        print(f"==> {name}", flush=True)
        row = run_case(name, project, git_rev)
        rows.append(row)
        print("    " + ", ".join(f"{k}={v}" for k, v in row.items() if k not in ("cpu",)))
        if not args.no_save:
            _append(RESULTS, COLUMNS, [row])
    print(f"({time.perf_counter() - t0:.0f} s in all)")
    return 0 if all(r["status"] == "ok" for r in rows) else 1


if __name__ == "__main__":
    raise SystemExit(main())
