"""Convert the COINr ASEM reference inputs into an index folder (tests/data/asem/).

Source: ``tests/data/coinr_asem/`` (COINr 1.1.14's reference, vendored) —
``ASEM_iData.csv`` (51 units, groups, denominators, 49 indicators) and
``ASEM_iMeta.csv`` (the tree, directions, weights, denominators). The folder states
COINr's example build as this project's methods: denominate by the
indicator's ``Denominator``, impute missing values with the mean of the unit's
``EurAsia_group``, winsorise as COINr does (at most 5 points, |skew| ≥ 2 and kurtosis
≥ 3.5), normalise min-max to [0, 100] with the indicator's direction, aggregate by weighted
arithmetic means. Numbers are copied as text, so nothing is rounded on the way.

Run ``python scripts/asem_to_index.py`` (``--check`` compares with the committed folder).
"""

from __future__ import annotations

import argparse
import csv
import io
import sys
from pathlib import Path

from _repo import ASEM_REFERENCE as SOURCE
from _repo import REPO_ROOT

TARGET = REPO_ROOT / "tests" / "data" / "asem"
FRAMEWORK = "asem"
GROUP_COLUMNS = ["GDP_group", "GDPpc_group", "Pop_group", "EurAsia_group"]
DENOMINATORS = ["Area", "Energy", "GDP", "Population"]


def _read(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def _na(text: str) -> str:
    return "" if text in {"NA", ""} else text


def _csv(header: list[str], rows: list[dict[str, str]]) -> str:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=header, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buf.getvalue()


def render(source: Path = SOURCE) -> dict[str, str]:
    meta = _read(source / "ASEM_iMeta.csv")
    data = _read(source / "ASEM_iData.csv")
    tree = sorted((m for m in meta if m["Type"] == "Aggregate"), key=lambda m: -int(m["Level"]))
    indicators = [m for m in meta if m["Type"] == "Indicator"]
    framework = [
        {
            "framework_code": FRAMEWORK,
            "node_code": m["iCode"],
            "parent_code": _na(m["Parent"]),
            "name": m["iName"],
            "weight": m["Weight"],
            "aggregation": "arithmetic",
            "min_availability": "",
        }
        for m in tree
    ]
    metrics = [
        {
            "framework_code": FRAMEWORK,
            "metric_code": m["iCode"],
            "node_code": m["Parent"],
            "name": m["iName"],
            "unit": m["Unit"],
            "weight": m["Weight"],
            "direction": m["Direction"],
            "transform": "none",
            "normalization": "minmax",
            "lower": "",
            "upper": "",
            "denominator": _na(m["Denominator"]),
            "imputation": "group_mean",
            "impute_group": "EurAsia_group",
            "treatment": "winsorise",
            "winsor_max_points": "5",
            "skew_threshold": "2",
            "kurtosis_threshold": "3.5",
        }
        for m in indicators
    ]
    regions = [
        {
            "region_code": d["uCode"],
            "region_name": d["uName"],
            "framework_code": FRAMEWORK,
            **{c: _na(d[c]) for c in GROUP_COLUMNS + DENOMINATORS},
        }
        for d in data
    ]
    values = [
        {
            "edition": d["Time"],
            "region_code": d["uCode"],
            "metric_code": m["iCode"],
            "value": _na(d[m["iCode"]]),
        }
        for d in data
        for m in indicators
    ]
    return {
        "framework.csv": _csv(
            [
                "framework_code",
                "node_code",
                "parent_code",
                "name",
                "weight",
                "aggregation",
                "min_availability",
            ],
            framework,
        ),
        "metrics.csv": _csv(list(metrics[0]), metrics),
        "regions.csv": _csv(list(regions[0]), regions),
        "values.csv": _csv(["edition", "region_code", "metric_code", "value"], values),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--check",
        action="store_true",
        help="exit 1 if the committed folder differs from a fresh conversion",
    )
    args = parser.parse_args(argv)
    stale = []
    for name, text in render().items():
        path = TARGET / name
        if args.check:
            if not path.exists() or path.read_text(encoding="utf-8") != text:
                stale.append(name)
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
            print(f"wrote {path.relative_to(REPO_ROOT)}")
    if stale:
        print(f"stale: {', '.join(stale)} in {TARGET}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
