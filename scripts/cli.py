"""digindex: build the composite-index warehouse and look at its rankings.

Exit codes: 0 success; 1 a build step or data test failed (what failed is printed);
2 bad command-line usage.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import duckdb

from digindex.dbt_runner import DbtError, run_dbt
from digindex.paths import DEFAULT_DB
from digindex.tables import format_table

FRAMEWORK_ORDER = ["district", "county", "zone"]


def _step(message: str) -> float:
    print(f"==> {message}", flush=True)
    return time.perf_counter()


def cmd_build(args: argparse.Namespace) -> int:
    t0 = _step(f"dbt build (seeds, models, data tests, unit tests) into {args.db}")
    try:
        run_dbt(["build"], db=args.db, quiet=not args.verbose)
    except DbtError as err:
        print(str(err), file=sys.stderr)
        return 1
    print(f"    built and tested in {time.perf_counter() - t0:.1f} s")
    return 0


def top_tables(db: Path, n: int, edition: int | None = None,
               frameworks: list[str] | None = None) -> str:
    """The top `n` of each framework's ranking as printable tables."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        if edition is None:
            edition = con.execute("select max(edition) from marts.fct_rankings").fetchone()[0]
        found = [r[0] for r in con.execute(
            "select distinct framework_code from marts.fct_rankings where edition = ?",
            [edition]).fetchall()]
        order = sorted(found, key=lambda f: (FRAMEWORK_ORDER.index(f)
                                             if f in FRAMEWORK_ORDER else 99, f))
        out = []
        for fw in frameworks or order:
            title, count = con.execute(
                """select i.name_zh || ' / ' || i.name_en, count(*)
                   from marts.fct_rankings r
                   join marts.dim_indicators i
                     on i.framework_code = r.framework_code and i.parent_code is null
                   where r.edition = ? and r.framework_code = ?
                   group by 1""", [edition, fw]).fetchone() or (fw, 0)
            rows = con.execute(
                """select r.rank, r.region_name, g.province, r.composite_score_1dp,
                          round(r.composite_score, 4)
                   from marts.fct_rankings r join marts.dim_regions g using (region_code)
                   where r.edition = ? and r.framework_code = ?
                   order by r.rank, r.region_name limit ?""", [edition, fw, n]).fetchall()
            out.append(f"{title} — {edition}, top {min(n, count)} of {count}\n" + format_table(
                ["rank", "region", "province", "score", "unrounded"], rows,
                [True, False, False, True, True]))
        return "\n\n".join(out)
    finally:
        con.close()


def cmd_top(args: argparse.Namespace) -> int:
    print(top_tables(args.db, args.n, args.edition, args.framework))
    return 0


def cmd_run(args: argparse.Namespace) -> int:
    code = cmd_build(args)
    if code:
        return code
    print()
    return cmd_top(args)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="digindex", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", type=Path, default=DEFAULT_DB,
                        help="warehouse file (default: %(default)s; env DIGINDEX_DB)")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("build", help="dbt build: seeds, models, data tests and unit tests")
    p.add_argument("-v", "--verbose", action="store_true", help="show dbt's own log")
    p.set_defaults(func=cmd_build)

    for name, func, helptext in [
        ("top", cmd_top, "print the top of each peer group's ranking"),
        ("run", cmd_run, "build, then print the top of each peer group"),
    ]:
        p = sub.add_parser(name, help=helptext)
        p.add_argument("-n", type=int, default=10, help="rows per peer group (default 10)")
        p.add_argument("--edition", type=int, help="edition (default: the latest)")
        p.add_argument("--framework", action="append", choices=None,
                       help="framework code(s) to show (default: all)")
        if name == "run":
            p.add_argument("-v", "--verbose", action="store_true", help="show dbt's own log")
        p.set_defaults(func=func)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return int(args.func(args))


if __name__ == "__main__":
    raise SystemExit(main())
