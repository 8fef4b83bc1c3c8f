"""Synthetic indices of any size, for benchmarks: N regions × the shipped framework shapes.

``generate(out_dir, n_regions, ...)`` writes a staged index folder (the canonical layout
the staging models read through ``var('index_dir')``, see ``index_folder``; the tables as
Parquet for ``var('index_format') = 'parquet'``, the small ones also as CSV): one of the
shipped frameworks (district: 42 third-level indicators), one metric per leaf indicator
taken from the shipped catalog (so ~40 metrics), N synthetic regions and their values for
one or more editions. Values are a deterministic function of (seed, edition, region,
metric) — a multiplicative hash, not a random generator — written by DuckDB, so a
million regions take seconds and every run writes the same bytes. SYNTHETIC data: it
exercises the engine, it describes no place.

    python scripts/scale.py OUT_DIR --regions 100000 [--editions 1] [--framework district]

``coinr_folder(out_dir, n_regions, ...)`` writes the "COINr-equivalent" shape as a real
index folder of CSV files — what a user gives ``digindex run --index DIR``: index ← 4
pillars ← 12 sub-pillars (3 per pillar) ← 42 metrics (3 or 4 per sub-pillar), equal
weights, arithmetic means; N regions in 10 groups (the ``group`` column of regions.csv); a
third of the metrics log-normal(0, 1.2), the rest normal(50, 10), 6 decimals; 2 % of the
values missing (empty cells), imputed with the mean of the region's group
(``group_mean`` by ``group``); every metric treated with COINr's winsorisation (5 points,
|skew| 2, kurtosis 3.5, log fallback), so the log-normal ones are treated; ``minmax``
normalisation, direction 1. Numbers from numpy's PCG64 under the seed, the CSV written by
DuckDB: a million regions (42 million values) take well under a minute, and the same seed
and size write the same bytes.

    python scripts/scale.py coinr OUT_DIR --regions 10000 [--seed 2022] [--edition 2024]

(A legacy output folder literally named ``coinr`` is written as ``./coinr``.)
"""

from __future__ import annotations

import argparse
import csv
import io
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from _repo import SEEDS
from digindex.index_folder import OPTIONAL, REQUIRED, SEED_COLUMNS

SEED = 2022


def _read(rel: str) -> list[dict[str, str]]:
    with (SEEDS / rel).open(encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def _write(path: Path, header: list[str], rows: list[dict[str, str]]) -> None:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=header, lineterminator="\n", extrasaction="ignore")
    writer.writeheader()
    writer.writerows(rows)
    path.write_text(buf.getvalue(), encoding="utf-8")


def generate(
    out_dir: Path,
    n_regions: int,
    n_editions: int = 1,
    framework: str = "district",
    seed: int = SEED,
    first_edition: int = 2022,
) -> dict[str, int]:
    """Write the staged index; return its row counts."""
    out_dir.mkdir(parents=True, exist_ok=True)
    # the shipped framework's shape under its own code, so no published table applies to it
    code = f"synthetic_{framework}"
    nodes = [
        {**n, "framework_code": code}
        for n in _read("framework/framework_nodes.csv")
        if n["framework_code"] == framework
    ]
    if not nodes:
        raise ValueError(f"no shipped framework {framework!r}")
    _write(out_dir / "framework_nodes.csv", SEED_COLUMNS["framework_nodes"], nodes)
    # one metric per leaf indicator: the first the shipped catalog lists for it
    metrics, seen = [], set()
    for m in _read("metrics/metric_catalog.csv"):
        if m["framework_code"] == framework and m["node_code"] not in seen:
            seen.add(m["node_code"])
            metrics.append({**m, "framework_code": code, "weight": "1"})
    _write(out_dir / "metric_catalog.csv", SEED_COLUMNS["metric_catalog"], metrics)
    _write(out_dir / "region_attributes.csv", ["region_code", "attribute", "value"], [])
    _write(out_dir / "region_succession.csv", SEED_COLUMNS["region_succession"], [])
    con = duckdb.connect()
    try:
        given = {
            "region_code": "'r' || lpad(cast(i as varchar), 8, '0')",
            "region_name": "'Region ' || cast(i as varchar)",
            "full_name": "'Synthetic region ' || cast(i as varchar)",
            "framework_code": f"'{code}'",
        }
        columns = ", ".join(
            f"{given.get(c, 'cast(null as varchar)')} as {c}" for c in SEED_COLUMNS["regions"]
        )
        con.execute(f"""copy (select {columns} from range({int(n_regions)}) as t(i))
                       to '{out_dir / "regions.csv"}' (header true)""")
        con.execute(f"""copy (select * from read_csv('{out_dir / "regions.csv"}',
                                                     all_varchar = true))
                       to '{out_dir / "regions.parquet"}' (format parquet)""")
        con.execute(
            "create temp table metrics (metric_index integer, metric_code varchar, "
            "lower_bound double, upper_bound double, transform varchar, "
            "plausible_min double, plausible_max double)"
        )
        con.executemany(
            "insert into metrics values (?, ?, ?, ?, ?, ?, ?)",
            [
                (
                    i,
                    m["metric_code"],
                    float(m["lower"]),
                    float(m["upper"]),
                    m["transform"],
                    float(m["plausible_min"] or "-inf"),
                    float(m["plausible_max"] or "inf"),
                )
                for i, m in enumerate(metrics)
            ],
        )
        # u in [0, 1): a multiplicative hash of (seed, edition, region, metric); values run a
        # little past both goalposts (within the plausible range) so truncation is exercised
        con.execute(f"""copy (
            with grid as (
                select e.edition, r.i as region_index, m.*,
                       ((({int(seed)} + e.edition * 131 + r.i * 7919 + m.metric_index * 104729)
                         * 2654435761) % 4294967296) / 4294967296.0 as u
                from range({int(first_edition)}, {int(first_edition + n_editions)}) as e(edition)
                cross join range({int(n_regions)}) as r(i)
                cross join metrics as m
            )
            select edition,
                   'r' || lpad(cast(region_index as varchar), 8, '0') as region_code,
                   metric_code,
                   round(greatest(plausible_min, least(plausible_max,
                       case when transform = 'log'
                            then exp(ln(lower_bound) + (1.1 * u - 0.05)
                                     * (ln(upper_bound) - ln(lower_bound)))
                            else lower_bound + (1.1 * u - 0.05) * (upper_bound - lower_bound)
                       end)), 4) as value
            from grid
        ) to '{out_dir / "metric_values.parquet"}' (format parquet)""")
        for name in ("framework_nodes", "metric_catalog", "region_attributes", "region_succession"):
            con.execute(f"""copy (select * from read_csv('{out_dir / (name + ".csv")}',
                                                         all_varchar = true, header = true))
                           to '{out_dir / (name + ".parquet")}' (format parquet)""")
    finally:
        con.close()
    return {
        "regions": n_regions,
        "metrics": len(metrics),
        "editions": n_editions,
        "values": n_regions * len(metrics) * n_editions,
    }


# the COINr-equivalent shape: 4 pillars × 3 sub-pillars, 42 metrics (the first six
# sub-pillars hold 4, the other six 3), every third metric log-normal
COINR_FRAMEWORK = "coinr"
COINR_PILLARS = 4
COINR_SUBPILLARS_PER_PILLAR = 3
COINR_METRICS_PER_SUBPILLAR = (4, 4, 4, 4, 4, 4, 3, 3, 3, 3, 3, 3)
COINR_GROUPS = 10
COINR_EDITION = 2024
COINR_MISSING_SHARE = 0.02
COINR_LOGNORMAL = (0.0, 1.2)  # meanlog, sdlog
COINR_NORMAL = (50.0, 10.0)  # mean, sd
# the index folder's columns as digindex.index_folder declares them, with the optional
# ones this shape uses (imputation by group, winsorisation)
COINR_COLUMNS = {
    "framework.csv": REQUIRED["framework.csv"],
    "metrics.csv": [
        *REQUIRED["metrics.csv"],
        *(
            c
            for c in OPTIONAL["metrics.csv"]
            if c
            in {
                "imputation",
                "impute_group",
                "treatment",
                "winsor_max_points",
                "skew_threshold",
                "kurtosis_threshold",
            }
        ),
    ],
}


def coinr_tree() -> tuple[list[dict[str, str]], list[dict[str, str]]]:
    """framework.csv and metrics.csv rows of the COINr-equivalent shape."""
    fw = COINR_FRAMEWORK
    nodes = [
        {"node_code": "Index", "parent_code": "", "name": "Synthetic COINr-shape index"},
    ]
    metrics: list[dict[str, str]] = []
    sizes = iter(COINR_METRICS_PER_SUBPILLAR)
    for p in range(1, COINR_PILLARS + 1):
        nodes.append({"node_code": f"P{p}", "parent_code": "Index", "name": f"Pillar {p}"})
        for s in range(1, COINR_SUBPILLARS_PER_PILLAR + 1):
            sub = f"P{p}.{s}"
            nodes.append({"node_code": sub, "parent_code": f"P{p}", "name": f"Sub-pillar {sub}"})
            for _ in range(next(sizes)):
                i = len(metrics)
                metrics.append(
                    {
                        "metric_code": f"M{i + 1:02d}",
                        "node_code": sub,
                        "name": f"Metric {i + 1} ({'log-normal' if i % 3 == 0 else 'normal'})",
                        "unit": "synthetic",
                    }
                )
    framework = [
        {
            "framework_code": fw,
            **n,
            "weight": "1" if n["parent_code"] else "",
            "aggregation": "arithmetic",
        }
        for n in nodes
    ]
    method = {
        "framework_code": fw,
        "weight": "1",
        "direction": "1",
        "transform": "none",
        "normalization": "minmax",
        "lower": "",
        "upper": "",
        "imputation": "group_mean",
        "impute_group": "group",
        "treatment": "winsorise",
        "winsor_max_points": "5",
        "skew_threshold": "2",
        "kurtosis_threshold": "3.5",
    }
    return framework, [{**method, **m} for m in metrics]


def coinr_values(n_regions: int, seed: int = SEED) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(values, missing, groups): an n_regions × 42 matrix of values rounded to 6 decimals,
    the matching mask of missing cells (exactly round(2 %) of them) and each region's group
    (0–9, as equal as N allows, shuffled). Row-major draws: region i's values are the same
    for every N > i under one seed."""
    n_metrics = sum(COINR_METRICS_PER_SUBPILLAR)
    rng = np.random.default_rng(seed)
    z = rng.standard_normal((n_regions, n_metrics))
    is_log = np.arange(n_metrics) % 3 == 0
    meanlog, sdlog = COINR_LOGNORMAL
    mean, sd = COINR_NORMAL
    # in place: one n × 42 matrix at a time (1M regions: 336 MB)
    z[:, is_log] = np.exp(meanlog + sdlog * z[:, is_log])
    z[:, ~is_log] = mean + sd * z[:, ~is_log]
    np.round(z, 6, out=z)
    picker = np.random.default_rng([seed, 1])
    total = n_regions * n_metrics
    missing = np.zeros(total, dtype=bool)
    missing[picker.choice(total, size=round(COINR_MISSING_SHARE * total), replace=False)] = True
    groups = picker.permutation(np.arange(n_regions) % COINR_GROUPS)
    return z, missing.reshape(n_regions, n_metrics), groups


def coinr_folder(
    out_dir: Path, n_regions: int, seed: int = SEED, edition: int = COINR_EDITION
) -> dict[str, int]:
    """Write the COINr-equivalent index folder (framework.csv, metrics.csv, regions.csv,
    values.csv); return its counts."""
    if n_regions < 1:
        raise ValueError("n_regions must be positive")
    out_dir.mkdir(parents=True, exist_ok=True)
    framework, metrics = coinr_tree()
    _write(out_dir / "framework.csv", COINR_COLUMNS["framework.csv"], framework)
    _write(out_dir / "metrics.csv", COINR_COLUMNS["metrics.csv"], metrics)
    values, missing, groups = coinr_values(n_regions, seed)
    n_metrics = len(metrics)
    n_missing = int(missing.sum())
    number = pc.cast(pa.array(np.arange(1, n_regions + 1)), pa.string())
    codes = pc.binary_join_element_wise(
        "R", pc.utf8_lpad(number, width=max(6, len(str(n_regions))), padding="0"), ""
    )
    regions = pa.table(
        {
            "region_code": codes,
            "region_name": pc.binary_join_element_wise("Synthetic region ", number, ""),
            "framework_code": pa.repeat(COINR_FRAMEWORK, n_regions),
            "group": pa.array([f"G{g + 1:02d}" for g in range(COINR_GROUPS)]).take(groups),
        }
    )
    # region-major long table: row k is region k // 42, metric k % 42; the codes as
    # dictionary arrays (indices into the region and metric codes), the values as
    # decimal(18, 6) so every one is written with 6 decimals, missing ones as empty cells
    values_table = pa.table(
        {
            "edition": pa.repeat(pa.scalar(int(edition), pa.int32()), n_regions * n_metrics),
            "region_code": pa.DictionaryArray.from_arrays(
                pa.array(np.repeat(np.arange(n_regions, dtype=np.int32), n_metrics)), codes
            ),
            "metric_code": pa.DictionaryArray.from_arrays(
                pa.array(np.tile(np.arange(n_metrics, dtype=np.int32), n_regions)),
                pa.array([m["metric_code"] for m in metrics]),
            ),
            "value": pc.cast(
                pa.array(values.ravel(), mask=missing.ravel()), pa.decimal128(18, 6), safe=False
            ),
        }
    )
    del values, missing
    con = duckdb.connect()
    try:
        con.execute("set preserve_insertion_order = true")
        for name, table in (("regions", regions), ("values", values_table)):
            con.register(f"{name}_arrow", table)
            con.execute(f"""copy (select * from {name}_arrow)
                           to '{out_dir / (name + ".csv")}' (header true, quote '"')""")
    finally:
        con.close()
    return {
        "regions": n_regions,
        "groups": min(COINR_GROUPS, n_regions),
        "metrics": n_metrics,
        "values": n_regions * n_metrics,
        "missing": n_missing,
    }


def main(argv: list[str] | None = None) -> int:
    import sys

    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["coinr"]:
        return main_coinr(argv[1:])
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("out_dir", type=Path)
    parser.add_argument("--regions", type=int, required=True)
    parser.add_argument("--editions", type=int, default=1)
    parser.add_argument("--framework", default="district")
    parser.add_argument("--seed", type=int, default=SEED)
    args = parser.parse_args(argv)
    counts = generate(args.out_dir, args.regions, args.editions, args.framework, args.seed)
    print(f"wrote {args.out_dir}: " + ", ".join(f"{v:,} {k}" for k, v in counts.items()))
    return 0


def main_coinr(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="scale.py coinr",
        description="Write the COINr-equivalent synthetic index as an index folder of CSV "
        "files (for `digindex run --index OUT_DIR`).",
    )
    parser.add_argument("out_dir", type=Path)
    parser.add_argument("--regions", type=int, required=True)
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--edition", type=int, default=COINR_EDITION)
    args = parser.parse_args(argv)
    counts = coinr_folder(args.out_dir, args.regions, args.seed, args.edition)
    print(f"wrote {args.out_dir}: " + ", ".join(f"{v:,} {k}" for k, v in counts.items()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
