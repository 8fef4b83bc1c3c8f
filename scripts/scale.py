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
"""

from __future__ import annotations

import argparse
import csv
import io
from pathlib import Path

import duckdb

from _repo import SEEDS
from digindex.index_folder import SEED_COLUMNS

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
        for name in ("framework_nodes", "metric_catalog", "region_attributes"):
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


def main(argv: list[str] | None = None) -> int:
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


if __name__ == "__main__":
    raise SystemExit(main())
