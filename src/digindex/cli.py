"""digindex: build, check and publish the composite-index warehouse, and read its rankings.

  digindex run                 build → check → publish, then print the top 10 per peer group
  digindex build               dbt build: seeds, models, every data test and unit test
  digindex check               the Great Expectations gate (expectations/*.json)
  digindex publish             gate again, then publish the edition (tables + exports)
  digindex query county -n 20  a peer group's ranking as a table
  digindex reconcile           computed vs published; the audit of the printed tables
  digindex report              the static HTML report (publish/<edition>/report.html)
  digindex run --index DIR     the same for any index given as an index folder
  digindex export-index DIR    the shipped index written as an index folder

Exit codes: 0 success · 1 the dbt build failed (or no successful build to publish) ·
2 bad usage or a malformed index folder · 3 the gate failed (what failed is listed) ·
4 the publication failed (the previous publication is untouched).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from digindex import gate
from digindex.dbt_runner import DbtError, run_dbt
from digindex.paths import ProjectNotFound, default_db, default_publish_dir, find_project
from digindex.tables import format_table

FRAMEWORK_ORDER = ["district", "county", "zone"]
EXIT_OK, EXIT_BUILD, EXIT_USAGE, EXIT_GATE, EXIT_PUBLISH = 0, 1, 2, 3, 4


def new_run_id() -> str:
    return f"{datetime.now(UTC):%Y%m%dT%H%M%SZ}-{uuid.uuid4().hex[:6]}"


def _step(message: str) -> float:
    print(f"==> {message}", flush=True)
    return time.perf_counter()


def _done(t0: float, what: str) -> None:
    print(f"    {what} in {time.perf_counter() - t0:.1f} s", flush=True)


def _dbt_vars(args: argparse.Namespace) -> str | None:
    canonical = getattr(args, "canonical_dir", None)
    return json.dumps({"index_dir": str(canonical)}) if canonical else None


def _inputs(args: argparse.Namespace) -> list[Path]:
    """The files the publication's inputs hash covers."""
    if getattr(args, "index", None):
        return sorted(Path(args.index).glob("*.csv"))
    return sorted((args.project_dir / "seeds").rglob("*.csv"))


def do_build(args: argparse.Namespace, run_id: str) -> bool:
    t0 = _step(f"build: dbt build (seeds, models, data tests, unit tests) into {args.db}")
    failures: list[str] = []
    try:
        run_dbt(["build"], db=args.db, project_dir=args.project_dir, dbt_vars=_dbt_vars(args),
                quiet=not getattr(args, "verbose", False))
    except DbtError as err:
        failures = err.failures
    gate.record_build(args.db, run_id, not failures, failures)
    if failures:
        print("    dbt build FAILED:\n      " + "\n      ".join(failures), file=sys.stderr)
        return False
    _done(t0, "built and tested")
    return True


def do_check(args: argparse.Namespace, run_id: str, build_ok: bool) -> gate.GateResult:
    t0 = _step("check: Great Expectations suites " + ", ".join(gate.SUITE_ORDER))
    result = gate.run_gate(args.db, run_id, build_ok=build_ok,
                           directory=args.project_dir / "expectations")
    gate.record_gate(args.db, result)
    report = args.publish_dir / "runs" / f"{run_id}.json"
    report.parent.mkdir(parents=True, exist_ok=True)
    report.write_text(json.dumps(result.to_json_dict(), ensure_ascii=False, indent=2),
                      encoding="utf-8")
    for s in result.suites:
        status = "skipped" if s.skipped_reason else ("passed" if s.success else "FAILED")
        failed = sum(not e.success for e in s.expectations)
        print(f"    {s.name:<10} {status:<8} {len(s.expectations) - failed}/"
              f"{len(s.expectations)} expectations, {s.n_rows} rows sent to GX")
    if not result.success:
        print("    the gate FAILED:\n" + gate.format_failures(result), file=sys.stderr)
        print(f"    full report: {report} and audit.expectation_results "
              f"(run_id = '{run_id}')", file=sys.stderr)
    else:
        _done(t0, "all suites passed")
    return result


def _latest_edition(db: Path, table: str = "marts.fct_rankings") -> int:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return int(con.execute(f"select max(edition) from {table}").fetchone()[0])
    finally:
        con.close()


def do_publish(args: argparse.Namespace, run_id: str, result: gate.GateResult) -> int:
    from digindex import publish

    edition = args.edition or _latest_edition(args.db)
    t0 = _step(f"publish: edition {edition} → schema published and {args.publish_dir}/{edition}")
    inputs = _inputs(args)
    try:
        pub = publish.publish(args.db, edition, run_id, result.summary(),
                              result.to_json_dict(), args.publish_dir, inputs,
                              args.project_dir)
    except Exception as err:  # any failure means: not published
        print(f"    publication FAILED ({type(err).__name__}: {err}); the previous "
              "publication is unchanged", file=sys.stderr)
        return EXIT_PUBLISH
    counts = ", ".join(f"{k} {v}" for k, v in pub.row_counts.items())
    _done(t0, f"published run {run_id} ({counts})")
    print(f"    exports: {pub.directory}")
    return EXIT_OK


def cmd_build(args: argparse.Namespace) -> int:
    return EXIT_OK if do_build(args, new_run_id()) else EXIT_BUILD


def cmd_check(args: argparse.Namespace) -> int:
    last = gate.last_build(args.db)
    build_ok = last is not None and last[1]
    return EXIT_OK if do_check(args, new_run_id(), build_ok).success else EXIT_GATE


def cmd_publish(args: argparse.Namespace) -> int:
    last = gate.last_build(args.db)
    if last is None or not last[1]:
        print("refused: the latest dbt build did not succeed (or there is none); run "
              "`digindex build` first", file=sys.stderr)
        return EXIT_BUILD
    run_id = new_run_id()
    result = do_check(args, run_id, build_ok=True)
    if not result.success:
        print("refused: the gate failed; nothing was published", file=sys.stderr)
        return EXIT_GATE
    return do_publish(args, run_id, result)


def cmd_run(args: argparse.Namespace) -> int:
    run_id = new_run_id()
    print(f"run {run_id}")
    build_ok = do_build(args, run_id)
    result = do_check(args, run_id, build_ok)
    if not build_ok:
        print("refused: the dbt build failed; nothing was published", file=sys.stderr)
        return EXIT_BUILD
    if not result.success:
        print("refused: the gate failed; nothing was published", file=sys.stderr)
        return EXIT_GATE
    code = do_publish(args, run_id, result)
    if code:
        return code
    print()
    print(ranking_tables(args.db, 10, source="published"))
    return EXIT_OK


def ranking_tables(db: Path, n: int, edition: int | None = None,
                   frameworks: list[str] | None = None, source: str = "published") -> str:
    """The top `n` of each framework's ranking as printable tables."""
    tables = {"published": ("published.rankings", "published.regions", "published.indicators"),
              "marts": ("marts.fct_rankings", "marts.dim_regions", "marts.dim_indicators")}
    rankings, regions, indicators = tables[source]
    con = duckdb.connect(str(db), read_only=True)
    try:
        if edition is None:
            edition = con.execute(f"select max(edition) from {rankings}").fetchone()[0]
        found = [r[0] for r in con.execute(
            f"select distinct framework_code from {rankings} where edition = ?",
            [edition]).fetchall()]
        order = sorted(found, key=lambda f: (FRAMEWORK_ORDER.index(f)
                                             if f in FRAMEWORK_ORDER else 99, f))
        out = []
        for fw in frameworks or order:
            title, count = con.execute(
                f"""select i.name_zh || ' / ' || i.name_en, count(*)
                    from {rankings} r
                    join {indicators} i
                      on i.framework_code = r.framework_code and i.parent_code is null
                    where r.edition = ? and r.framework_code = ?
                    group by 1""", [edition, fw]).fetchone() or (fw, 0)
            rows = con.execute(
                f"""select r.rank, r.region_name, g.province, r.composite_score_1dp,
                           round(r.composite_score, 4)
                    from {rankings} r join {regions} g using (region_code)
                    where r.edition = ? and r.framework_code = ?
                    order by r.rank, r.region_name limit ?""", [edition, fw, n]).fetchall()
            out.append(f"{title} — {edition} ({source}), top {min(n, count)} of {count}\n"
                       + format_table(["rank", "region", "province", "score", "unrounded"],
                                      rows, [True, False, False, True, True]))
        return "\n\n".join(out)
    finally:
        con.close()


def cmd_query(args: argparse.Namespace) -> int:
    try:
        print(ranking_tables(args.db, args.n, args.edition, args.framework or None,
                             args.source))
    except duckdb.Error as err:
        print(f"cannot read the {args.source} rankings from {args.db}: {err}\n"
              "run `digindex run` first", file=sys.stderr)
        return EXIT_BUILD
    return EXIT_OK


def reconcile_report(db: Path, edition: int | None = None, limit: int = 8) -> str:
    """Computed vs published, the audit of the printed tables, the peer-group comparisons."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        if edition is None:
            edition = con.execute("select max(edition) from marts.rpt_reconciliation").fetchone()[0]
        out = [f"Reconciliation with the published report, edition {edition}",
               "(marts.rpt_reconciliation, rpt_published_table_audit, rpt_peer_group_summary)",
               ""]
        rows = con.execute(
            """select framework_code, count(*),
                      count(*) filter (where status in ('match', 'rank_mismatch')),
                      count(*) filter (where status = 'score_mismatch'),
                      count(*) filter (where status = 'rank_mismatch'),
                      count(*) filter (where status in ('not_in_reference', 'not_computed'))
               from marts.rpt_reconciliation where edition = ?
               group by 1 order by 1""", [edition]).fetchall()
        out.append(format_table(["peer group", "regions", "score matches at 1 dp",
                                 "score mismatches", "rank differs", "unmatched"], rows,
                                [False, True, True, True, True, True]))
        diffs = con.execute(
            """select framework_code, printed_rank, region_name, computed_rank, printed_score,
                      reason
               from marts.rpt_reconciliation
               where edition = ? and status != 'match'
               order by framework_code, printed_rank""", [edition]).fetchall()
        if diffs:
            out += ["", "Why ranks or scores differ:"]
            for fw, pr, name, cr, ps, reason in diffs[:limit * 3]:
                out.append(f"  {fw} printed {pr} → computed {cr}  {name} ({ps}): {reason}")
            if len(diffs) > limit * 3:
                out.append(f"  … {len(diffs) - limit * 3} more: select * from "
                           "marts.rpt_reconciliation where status != 'match'")
        findings = con.execute(
            """select kind, framework_code, count(*), min(evidence)
               from marts.rpt_published_table_audit where edition = ?
               group by 1, 2 order by 1, 2""", [edition]).fetchall()
        out += ["", f"Audit of the printed tables: {sum(f[2] for f in findings)} findings"]
        out.append(format_table(["kind", "peer group", "findings", "first example"],
                                [(k, fw, n, (ev[:90] + "…") if len(ev) > 90 else ev)
                                 for k, fw, n, ev in findings],
                                [False, False, True, False]))
        summary = con.execute(
            """select framework_code, name_zh, region_count, round(computed_mean, 2),
                      stated_average, round(printed_table_mean, 2),
                      round(computed_minus_stated, 2), round(offset_difference, 3)
               from marts.rpt_peer_group_summary where edition = ?
               order by framework_code, level, node_code""", [edition]).fetchall()
        out += ["", "Peer-group means (computed vs stated in the text vs printed table):"]
        out.append(format_table(["peer group", "indicator", "n", "computed", "stated",
                                 "printed table", "computed−stated", "offset diff"], summary,
                                [False, False, True, True, True, True, True, True]))
        return "\n".join(out)
    finally:
        con.close()


def cmd_reconcile(args: argparse.Namespace) -> int:
    try:
        print(reconcile_report(args.db, args.edition))
    except duckdb.Error as err:
        print(f"cannot read the reconciliation marts from {args.db}: {err}\n"
              "run `digindex build` first", file=sys.stderr)
        return EXIT_BUILD
    return EXIT_OK


def cmd_report(args: argparse.Namespace) -> int:
    from digindex import report
    from digindex.dashboard.data import WarehouseError

    t0 = _step(f"report: static HTML of edition {args.edition or '(latest published)'} "
               f"→ {args.publish_dir}/<edition>/report.html")
    try:
        path = report.write_report(args.db, args.edition, args.publish_dir)
    except WarehouseError as err:
        print(f"    cannot write the report: {err}", file=sys.stderr)
        return EXIT_BUILD
    _done(t0, f"wrote {path}")
    return EXIT_OK


def cmd_export_index(args: argparse.Namespace) -> int:
    from digindex.index_folder import export_seeds

    out = export_seeds(args.directory, args.project_dir / "seeds")
    print(f"wrote the shipped index as an index folder: {out}")
    return EXIT_OK


def _prepare_index(args: argparse.Namespace) -> int:
    """Validate --index DIR and stage it as canonical CSVs beside the warehouse."""
    from digindex.index_folder import IndexFolderError, load_index, write_canonical

    t0 = _step(f"index: validate {args.index}")
    try:
        data = load_index(args.index)
    except IndexFolderError as err:
        print(str(err), file=sys.stderr)
        return EXIT_USAGE
    args.canonical_dir = write_canonical(data, args.db.parent / f"{args.db.stem}.index")
    counts = ", ".join(f"{len(rows)} {name.removesuffix('.csv')}" for name, rows
                       in data.tables.items())
    _done(t0, f"valid ({counts}); staged in {args.canonical_dir}")
    return EXIT_OK


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="digindex", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--db", type=Path, default=argparse.SUPPRESS,
                        help="warehouse file (default: <project>/build/warehouse.duckdb; "
                             "env DIGINDEX_DB)")
    common.add_argument("--publish-dir", type=Path, default=argparse.SUPPRESS,
                        help="where exports and gate reports go (default: <project>/publish; "
                             "env DIGINDEX_PUBLISH_DIR)")
    common.add_argument("--project-dir", type=Path, default=argparse.SUPPRESS,
                        help="the dbt project (seeds, models, expectations); default: the working "
                             "directory or its nearest parent with a dbt_project.yml "
                             "(env DIGINDEX_PROJECT_DIR)")
    for action in common._actions:
        parser._add_action(action)
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def add(name: str, func, helptext: str) -> argparse.ArgumentParser:  # type: ignore[no-untyped-def]
        p = sub.add_parser(name, help=helptext, description=helptext, parents=[common])
        p.set_defaults(func=func)
        return p

    index_help = ("compute the index in this folder (framework.csv, metrics.csv, regions.csv, "
                  "values.csv) instead of the shipped seeds; default warehouse "
                  "build/<folder>.duckdb, exports publish/<folder>/")
    for name, func, helptext in [
        ("run", cmd_run, "build, check and publish; print the top 10 of each peer group"),
        ("build", cmd_build, "dbt build: seeds, models, every data test and unit test"),
        ("check", cmd_check, "run the Great Expectations suites and record their results"),
        ("publish", cmd_publish, "check again, then publish an edition (tables + exports)"),
    ]:
        p = add(name, func, helptext)
        p.add_argument("--index", type=Path, metavar="DIR", help=index_help)
        if name in {"run", "build"}:
            p.add_argument("-v", "--verbose", action="store_true", help="show dbt's own log")
        if name in {"run", "publish"}:
            p.add_argument("--edition", type=int, help="edition to publish (default: latest)")
    p = add("report", cmd_report, "write the self-contained HTML report of a publication "
            "(publish/<edition>/report.html; opens with no network)")
    p.add_argument("--edition", type=int, help="edition (default: the latest published)")
    p = add("export-index", cmd_export_index,
            "write the shipped (H3C) index as an index folder, the open input format")
    p.add_argument("directory", type=Path, help="folder to write")
    p = add("reconcile", cmd_reconcile,
            "compare computed results with the published report; audit the printed tables")
    p.add_argument("--edition", type=int, help="edition (default: the latest)")
    p = add("query", cmd_query, "print a peer group's ranking as a table")
    p.add_argument("framework", nargs="*", help="framework code(s): district, county, zone "
                                                "(default: all)")
    p.add_argument("-n", type=int, default=10, help="rows per peer group (default 10)")
    p.add_argument("--edition", type=int, help="edition (default: the latest)")
    p.add_argument("--source", choices=["published", "marts"], default="published",
                   help="read the published tables (default) or the marts")
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    index = getattr(args, "index", None)
    given_db, given_publish = getattr(args, "db", None), getattr(args, "publish_dir", None)
    try:
        args.project_dir = find_project(getattr(args, "project_dir", None))
    except ProjectNotFound as err:
        print(f"digindex: {err}", file=sys.stderr)
        return EXIT_USAGE
    args.db = given_db or default_db(args.project_dir)
    args.publish_dir = given_publish or default_publish_dir(args.project_dir)
    if index is not None:
        args.index = Path(index).resolve()
        name = args.index.name
        if given_db is None:
            args.db = args.project_dir / "build" / f"{name}.duckdb"
        if given_publish is None:
            args.publish_dir = default_publish_dir(args.project_dir) / name
    args.db = Path(args.db).resolve()
    args.publish_dir = Path(args.publish_dir).resolve()
    args.project_dir = Path(args.project_dir).resolve()
    if not hasattr(args, "edition"):
        args.edition = None
    if index is not None:
        code = _prepare_index(args)
        if code:
            return code
    return int(args.func(args))


if __name__ == "__main__":
    raise SystemExit(main())
