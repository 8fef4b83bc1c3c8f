"""digindex: build, check and publish the composite-index warehouse, and read its rankings.

  digindex run                 build → check → publish, then print the top 10 per peer group
  digindex build               dbt build: seeds, models, every data test (and unit test)
  digindex check               the Great Expectations gate (expectations/*.json)
  digindex publish             gate again, then publish every edition (tables + exports)
  digindex query county -n 20  a peer group's ranking as a table
  digindex changes             what changed since the previous edition, and what moved it
  digindex reconcile           computed vs published; the audit of the printed tables
  digindex report              the static HTML report (publish/<edition>/report.html)
  digindex run --index DIR     the same for any index given as an index folder
  digindex uncertainty         run, then print the rank intervals and sensitivity indices
  digindex export-index DIR    the shipped index written as an index folder
  digindex recover             finish or undo a run that was killed (any writer does it first)

Exit codes: 0 success · 1 the dbt build failed (or no successful build to publish) ·
2 bad usage or a malformed index folder · 3 the gate failed (what failed is listed) ·
4 the publication failed (the previous publication is untouched) · 5 another writer held
the warehouse past DIGINDEX_LOCK_TIMEOUT seconds (nothing was changed).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from digindex import benchmark_tables, gate, scenarios
from digindex import publish as publish_mod
from digindex.dbt_runner import (
    DbtError,
    code_fingerprint,
    failing_rows,
    record_unit_tests,
    run_dbt,
    unit_tests_passed,
)
from digindex.paths import ProjectNotFound, default_db, default_publish_dir, find_project
from digindex.tables import format_table

FRAMEWORK_ORDER = ["district", "county", "zone"]
EXIT_OK, EXIT_BUILD, EXIT_USAGE, EXIT_GATE, EXIT_PUBLISH, EXIT_LOCKED = 0, 1, 2, 3, 4, 5


def new_run_id() -> str:
    return f"{datetime.now(UTC):%Y%m%dT%H%M%SZ}-{uuid.uuid4().hex[:6]}"


def _step(message: str) -> float:
    print(f"==> {message}", flush=True)
    return time.perf_counter()


def _done(t0: float, what: str) -> None:
    print(f"    {what} in {time.perf_counter() - t0:.1f} s", flush=True)


def _dbt_vars(args: argparse.Namespace) -> dict[str, str] | None:
    found = {
        "index_dir": getattr(args, "canonical_dir", None),
        "scenario_dir": getattr(args, "scenario_dir", None),
    }
    given = {name: str(path) for name, path in found.items() if path}
    return given or None


def _inputs(args: argparse.Namespace) -> list[Path]:
    """The files the publication's inputs hash covers."""
    if getattr(args, "index", None):
        inputs = sorted(Path(args.index).glob("*.csv"))
    else:
        inputs = sorted((args.project_dir / "seeds").rglob("*.csv"))
    spec = getattr(args, "uncertainty_spec", None)
    return inputs + ([spec] if spec else [])


def do_import(args: argparse.Namespace, run_id: str, db: Path) -> bool:
    """The build step for a build computed on Spark (--from-spark): its tables loaded into
    `db` (a run's shadow copy) under the marts' contracts, its outcome recorded as the
    build (digindex.external_build)."""
    from digindex import external_build

    results = args.spark_results or args.project_dir / "target" / "run_results.json"
    t0 = _step(f"build: the Spark build in {args.from_spark} ({results}) loaded into {args.db}")
    scenarios.forget_models(db)  # what-if runs the SQL of a DuckDB build, not Spark's
    try:
        loaded = external_build.load(
            db,
            args.project_dir,
            args.from_spark,
            args.canonical_dir,
            results,
            getattr(args, "scenario_dir", None),
        )
        failures = loaded.failures
    except external_build.ExternalBuildError as err:
        failures, loaded = [str(err)], external_build.Loaded()
    if not _record_build(args, run_id, db, failures, "Spark build NOT LOADED"):
        return False
    _done(t0, f"loaded {sum(loaded.rows.values()):,} rows into {len(loaded.rows)} tables")
    return True


def _record_build(
    args: argparse.Namespace, run_id: str, db: Path, failures: list[str], refused: str
) -> bool:
    """Record a build step's outcome in `db` (and the inputs it read when it passed);
    print its failures under `refused`. True when it passed."""
    gate.record_build(db, run_id, not failures, failures)
    if not failures:
        publish_mod.record_build_inputs(db, run_id, _inputs(args))
    publish_mod.checkpoint("build finished")
    if failures:
        print(f"    {refused}:\n      " + "\n      ".join(failures), file=sys.stderr)
    return not failures


def do_build(args: argparse.Namespace, run_id: str, db: Path) -> bool:
    """dbt build of everything but the published layer into `db` (a run's shadow copy).

    Every data test runs on every build. The unit tests check the SQL, not the data: they
    run whenever the code (models, macros, tests, vars, dbt and DuckDB versions) differs
    from the last code they passed on, and always with --unit-tests."""
    dbt_vars = _dbt_vars(args)
    fingerprint = code_fingerprint(args.project_dir, dbt_vars)
    passed_at = (
        None
        if getattr(args, "unit_tests", False)
        else unit_tests_passed(args.project_dir, fingerprint)
    )
    what = (
        f"data tests; unit tests passed on this code at {passed_at}"
        if passed_at
        else "data tests, unit tests"
    )
    t0 = _step(f"build: dbt build (seeds, models, {what}) for {args.db}")
    failures: list[str] = []
    verbose = getattr(args, "verbose", False)
    command = ["build", "--exclude", "tag:published"]
    if dbt_vars and dbt_vars.get("index_dir"):
        command.append("tag:index_input")  # the shipped index's seeds: unused here
    if passed_at:
        command += ["--exclude-resource-type", "unit_test"]
    try:
        run_dbt(
            command,
            db=db,
            project_dir=args.project_dir,
            dbt_vars=dbt_vars,
            quiet=not verbose,
            progress=not verbose,
        )
    except DbtError as err:
        failures = err.failures + failing_rows(db, err.failing_queries)
    # the publication's own dbt run overwrites run_results.json: keep the build's beside it
    results = args.project_dir / "target" / "run_results.json"
    if results.exists():
        shutil.copyfile(results, results.with_name("build_run_results.json"))
        if not failures:
            # the scoring chain's SQL, kept with the warehouse it computed (what-if, goal)
            scenarios.record_models(db, results)
    if not passed_at:
        record_unit_tests(args.project_dir, None if failures else fingerprint)
    if not _record_build(args, run_id, db, failures, "dbt build FAILED"):
        return False
    _done(t0, "built and tested")
    return True


def do_check(args: argparse.Namespace, run_id: str, build_ok: bool, db: Path) -> gate.GateResult:
    t0 = _step("check: Great Expectations suites " + ", ".join(gate.SUITE_ORDER))
    publish_mod.checkpoint("gate started")
    result = gate.run_gate(db, run_id, args.project_dir / "expectations", build_ok=build_ok)
    gate.record_gate(db, result)
    publish_mod.checkpoint("gate finished")
    report = args.publish_dir / "runs" / f"{run_id}.json"
    report.parent.mkdir(parents=True, exist_ok=True)
    report.write_text(
        json.dumps(result.to_json_dict(), ensure_ascii=False, indent=2), encoding="utf-8"
    )
    for s in result.suites:
        status = "skipped" if s.skipped_reason else ("passed" if s.success else "FAILED")
        failed = sum(not e.success for e in s.expectations)
        warned = f", {len(s.warnings)} warning(s)" if s.warnings else ""
        print(
            f"    {s.name:<12} {status:<8} {len(s.expectations) - failed}/"
            f"{len(s.expectations)} expectations{warned}, {s.n_rows} rows sent to GX"
        )
    if any(s.warnings for s in result.suites):
        print(
            "    the gate WARNS (a warning does not stop a publication):\n"
            + gate.format_failures(result, warnings=True),
            file=sys.stderr,
        )
    if not result.success:
        print("    the gate FAILED:\n" + gate.format_failures(result), file=sys.stderr)
        print(
            f"    full report: {report} and audit.expectation_results (run_id = '{run_id}')",
            file=sys.stderr,
        )
    else:
        _done(t0, "all suites passed")
    return result


def _keep_audit(shadow: Path, live: Path) -> None:
    """A refused run leaves the warehouse as it was, except its audit records."""
    if shadow.exists():
        gate.copy_audit(shadow, live)


def _editions(args: argparse.Namespace, db: Path) -> list[int]:
    """The editions to publish: --edition if the marts hold it, else every edition they
    hold (empty: none, said on stderr)."""
    from digindex import publish

    found = publish.editions(db)
    if args.edition is None:
        return found
    if args.edition not in found:
        print(
            f"digindex: edition {args.edition} is not in the data (editions: "
            f"{', '.join(map(str, found)) or 'none'})",
            file=sys.stderr,
        )
        return []
    return [args.edition]


def do_publish(
    args: argparse.Namespace, run_id: str, result: gate.GateResult, shadow: publish_mod.Shadow
) -> int:
    """Build the published layer in the shadow, write each edition's exports, switch all
    in at once (one commit: every edition of the run is published, or none)."""
    editions = _editions(args, shadow.path)
    if not editions:
        return EXIT_USAGE
    shown = ", ".join(map(str, editions))
    t0 = _step(f"publish: edition {shown} → schema published and {args.publish_dir}/<edition>")
    publications: list[publish_mod.Publication] = []
    try:
        publish_mod.build_published(
            shadow.path,
            args.project_dir,
            run_id,
            editions,
            result.summary(),
            publish_mod.built_inputs(shadow.path),
            _dbt_vars(args),
        )
        publish_mod.checkpoint("published models built")
        for edition in editions:

            def report(folder: Path, edition: int = edition) -> list[Path]:
                from digindex.report import REPORT_MAX_REGIONS, write_report_into

                if publish_mod.region_count(shadow.path, edition) > REPORT_MAX_REGIONS:
                    print(f"    no report.html: more than {REPORT_MAX_REGIONS:,} regions")
                    return []
                return [write_report_into(shadow.path, edition, folder)]

            publications.append(
                publish_mod.write_exports(
                    shadow.path,
                    edition,
                    run_id,
                    result.to_json_dict(),
                    result.summary(),
                    args.publish_dir,
                    extras=report,
                )
            )
        # the commit point: the warehouse, which names the version folders just sealed
        shadow.commit()
    except Exception as err:  # any failure means: not published
        for edition in editions:
            publish_mod.discard_exports(args.publish_dir, edition, run_id)
        print(
            f"    publication FAILED ({type(err).__name__}: {err}); the previous "
            "publication is unchanged",
            file=sys.stderr,
        )
        return EXIT_PUBLISH
    publish_mod.checkpoint("warehouse switched")
    publish_mod.follow_warehouse(args.db, args.publish_dir, publishing=True)
    _done(t0, f"published run {run_id}")
    for pub in publications:
        pub.directory = args.publish_dir / str(pub.edition)
        counts = ", ".join(f"{k} {v}" for k, v in pub.row_counts.items())
        print(f"    edition {pub.edition} ({counts})")
        print(f"    exports: {pub.directory}")
    return EXIT_OK


def _build_step(args: argparse.Namespace) -> Callable[[argparse.Namespace, str, Path], bool]:
    """The build step: dbt build here, or a Spark build loaded (--from-spark)."""
    return do_import if getattr(args, "from_spark", None) else do_build


def cmd_build(args: argparse.Namespace) -> int:
    run_id = new_run_id()
    with publish_mod.Shadow(args.db) as shadow:
        if not _build_step(args)(args, run_id, shadow.path):
            _keep_audit(shadow.path, args.db)
            return EXIT_BUILD
        shadow.commit()
    return EXIT_OK


def cmd_check(args: argparse.Namespace) -> int:
    if not args.db.exists():
        print(f"refused: no warehouse at {args.db}; run `digindex build` first", file=sys.stderr)
        return EXIT_BUILD
    last = gate.last_build(args.db)
    build_ok = last is not None and last[1]
    return EXIT_OK if do_check(args, new_run_id(), build_ok, args.db).success else EXIT_GATE


def cmd_publish(args: argparse.Namespace) -> int:
    last = gate.last_build(args.db) if args.db.exists() else None
    if last is None or not last[1]:
        print(
            "refused: the latest dbt build did not succeed (or there is none); run "
            "`digindex build` first",
            file=sys.stderr,
        )
        return EXIT_BUILD
    if args.edition is not None and not _editions(args, args.db):
        return EXIT_USAGE
    run_id = new_run_id()
    with publish_mod.Shadow(args.db) as shadow:
        result = do_check(args, run_id, True, shadow.path)
        if not result.success:
            _keep_audit(shadow.path, args.db)
            print("refused: the gate failed; nothing was published", file=sys.stderr)
            return EXIT_GATE
        return do_publish(args, run_id, result, shadow)


def cmd_run(args: argparse.Namespace) -> int:
    gate.prefetch()
    run_id = new_run_id()
    print(f"run {run_id}")
    with publish_mod.Shadow(args.db) as shadow:
        build_ok = _build_step(args)(args, run_id, shadow.path)
        result = do_check(args, run_id, build_ok, shadow.path)
        if not build_ok or not result.success:
            _keep_audit(shadow.path, args.db)
            what = "the dbt build" if not build_ok else "the gate"
            print(f"refused: {what} failed; nothing was published", file=sys.stderr)
            return EXIT_BUILD if not build_ok else EXIT_GATE
        code = do_publish(args, run_id, result, shadow)
    if code:
        return code
    print()
    print(ranking_tables(args.db, 10))
    return EXIT_OK


def cmd_recover(args: argparse.Namespace) -> int:
    """Nothing more than what every writing command does first (in main, under the lock)."""
    current = publish_mod.current_versions(args.db)
    shown = ", ".join(f"{e}: run {r}" for e, r in sorted(current.items())) or "none"
    print(f"publish/<edition> follows the warehouse ({shown}); leftovers removed")
    return EXIT_OK


def cmd_uncertainty(args: argparse.Namespace) -> int:
    """`run` with the uncertainty analysis's sample sizes or specification given, then the
    rank intervals and sensitivity indices it published."""
    if getattr(args, "uncertainty_spec", None) is None:
        print(
            "refused: the index has no uncertainty specification (uncertainty.yml beside its "
            "files, or --spec FILE)",
            file=sys.stderr,
        )
        return EXIT_USAGE
    code = cmd_run(args)
    if code:
        return code
    print()
    print(uncertainty_tables(args.db, args.n))
    return EXIT_OK


def uncertainty_tables(db: Path, limit: int = 10) -> str:
    """The latest edition's published rank intervals (the top `limit` of each peer group)
    and sensitivity indices, as text tables."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        out = []
        latest = con.execute("select max(edition) from published.rank_uncertainty").fetchone()
        edition = latest[0] if latest else None
        for (framework,) in con.execute(
            """select distinct framework_code from published.rank_uncertainty
               where edition = ? order by 1""",
            [edition],
        ).fetchall():
            rows = con.execute(
                """select nominal_rank, region_name, rank_median, rank_p05, rank_p95,
                          interval_width, p_top_n
                   from published.rank_uncertainty where edition = ? and framework_code = ?
                   order by nominal_rank, region_code limit ?""",
                [edition, framework, limit],
            ).fetchall()
            out.append(f"{framework}: rank intervals (90 %) over the uncertainty analysis")
            out.append(
                format_table(
                    ["rank", "region", "median", "p5", "p95", "width", "P(top n)"],
                    [
                        [
                            r[0],
                            r[1],
                            f"{r[2]:g}",
                            f"{r[3]:g}",
                            f"{r[4]:g}",
                            f"{r[5]:g}",
                            f"{r[6]:.2f}",
                        ]
                        for r in rows
                    ],
                )
            )
        rows = con.execute(
            """select framework_code, output_code, choice_code, s1, s1_lower, s1_upper, st,
                      st_lower, st_upper
               from published.sensitivity_indices where edition = ?
               order by framework_code, output_code, choice_position""",
            [edition],
        ).fetchall()
        if rows:
            out.append("sensitivity indices (90 % bootstrap intervals)")
            out.append(
                format_table(
                    ["peer group", "output", "choice", "S1", "S1 90 %", "ST", "ST 90 %"],
                    [
                        [
                            r[0],
                            r[1],
                            r[2],
                            f"{r[3]:.3f}",
                            f"[{r[4]:.3f}, {r[5]:.3f}]",
                            f"{r[6]:.3f}",
                            f"[{r[7]:.3f}, {r[8]:.3f}]",
                        ]
                        for r in rows
                    ],
                )
            )
        return "\n\n".join(out)
    finally:
        con.close()


# the commands that write the warehouse: one at a time per warehouse (publish.WriterLock)
WRITERS = {cmd_build, cmd_check, cmd_publish, cmd_run, cmd_recover, cmd_uncertainty}


class UsageError(ValueError):
    """A filter names nothing in the data; the message lists what exists."""


# administrative suffixes a user may leave out of a province name (浙江 = 浙江省)
PROVINCE_SUFFIXES = ("维吾尔自治区", "壮族自治区", "回族自治区", "特别行政区", "自治区", "省", "市")


def province_key(name: str) -> str:
    name = name.strip()
    for suffix in PROVINCE_SUFFIXES:
        if name.endswith(suffix) and len(name) > len(suffix):
            return name[: -len(suffix)]
    return name


def _resolve_filters(
    con: duckdb.DuckDBPyConnection,
    edition: int,
    groups: list[str],
    province: str | None,
    region: str | None,
) -> tuple[list[str], str | None, str | None]:
    """Peer groups (code or Chinese name), province (with or without 省/市/自治区) and region
    (code or printed name) resolved against the published data, or UsageError."""
    found = con.execute(
        """select distinct framework_code, peer_group_zh from published.rankings
                           where edition = ?""",
        [edition],
    ).fetchall()
    by_name = {code: code for code, _ in found} | {zh: code for code, zh in found if zh}
    frameworks = []
    for g in groups:
        if g not in by_name:
            valid = ", ".join(
                f"{code} ({zh})" if zh else code
                for code, zh in sorted(
                    found,
                    key=lambda f: FRAMEWORK_ORDER.index(f[0]) if f[0] in FRAMEWORK_ORDER else 99,
                )
            )
            is_province = con.execute(
                "select count(*) from published.regions where province is not null "
                "and (province = ? or province = ? || '省' or province = ? || '市')",
                [g, g, g],
            ).fetchone()[0]
            hint = f" (for a province: --province {g})" if is_province else ""
            raise UsageError(f"no peer group {g!r} in edition {edition}; valid: {valid}{hint}")
        frameworks.append(by_name[g])
    resolved_province = None
    if province is not None:
        provinces = [
            r[0]
            for r in con.execute(
                """select distinct province from published.rankings
               where edition = ? and province is not null order by 1""",
                [edition],
            ).fetchall()
        ]
        matches = [p for p in provinces if province_key(p) == province_key(province)]
        if not matches:
            raise UsageError(
                f"no province {province!r} in edition {edition}; valid: " + ", ".join(provinces)
            )
        resolved_province = matches[0]
    resolved_region = None
    if region is not None:
        rows = con.execute(
            """select region_code, region_name from published.rankings
                              where edition = ?""",
            [edition],
        ).fetchall()
        hits = [code for code, name in rows if region in (code, name)]
        if not hits:
            import difflib

            names = [name for _, name in rows] + [code for code, _ in rows]
            close = difflib.get_close_matches(region, names, n=8, cutoff=0.3)
            hint = ("; did you mean: " + ", ".join(close)) if close else ""
            raise UsageError(
                f"no region {region!r} in edition {edition}{hint} (region codes "
                "or names as printed: `digindex query -n 1000` lists them all)"
            )
        resolved_region = hits[0]
    return frameworks, resolved_province, resolved_region


def ranking_tables(
    db: Path,
    n: int,
    edition: int | None = None,
    groups: list[str] | None = None,
    province: str | None = None,
    region: str | None = None,
) -> str:
    """The top `n` of each peer group's published ranking as printable tables (optionally
    one province's regions, or the rows around one region). Reads only `published`."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        if edition is None:
            edition = con.execute("select max(edition) from published.rankings").fetchone()[0]
        frameworks, province, region = _resolve_filters(
            con, edition, groups or [], province, region
        )
        found = [
            r[0]
            for r in con.execute(
                "select distinct framework_code from published.rankings where edition = ?",
                [edition],
            ).fetchall()
        ]
        order = sorted(
            found, key=lambda f: (FRAMEWORK_ORDER.index(f) if f in FRAMEWORK_ORDER else 99, f)
        )
        if region is not None:
            frameworks = [
                con.execute(
                    "select framework_code from published.regions where region_code = ?", [region]
                ).fetchone()[0]
            ]
        out = []
        for fw in frameworks or order:
            title = con.execute(
                """select name_zh || ' / ' || name_en from published.indicators
                   where framework_code = ? and parent_code is null""",
                [fw],
            ).fetchone()
            where, params = "edition = ? and framework_code = ?", [edition, fw]
            scope = ""
            if province is not None:
                where += " and province = ?"
                params.append(province)
                scope = f", {province}"
            if region is not None:
                where += """ and rank between
                    (select rank - 2 from published.rankings where edition = ? and region_code = ?)
                    and (select rank + 2 from published.rankings
                         where edition = ? and region_code = ?)"""
                params += [edition, region, edition, region]
            count = con.execute(
                f"select count(*) from published.rankings where {where}", params
            ).fetchone()[0]
            rows = con.execute(
                f"""select rank, region_name, province, province_rank, composite_score_1dp,
                           round(percentile, 1), round(composite_score, 4)
                    from published.rankings where {where}
                    order by rank, region_name limit ?""",
                [*params, n],
            ).fetchall()
            heading = title[0] if title else fw
            out.append(
                f"{heading} — {edition}{scope}, top {min(n, count)} of {count}\n"
                + format_table(
                    [
                        "rank",
                        "region",
                        "province",
                        "in province",
                        "score",
                        "percentile",
                        "unrounded",
                    ],
                    rows,
                    [True, False, False, True, True, True, True],
                )
            )
        return "\n\n".join(out)
    finally:
        con.close()


def cmd_query(args: argparse.Namespace) -> int:
    try:
        print(ranking_tables(args.db, args.n, args.edition, args.group, args.province, args.region))
    except UsageError as err:
        print(f"digindex query: {err}", file=sys.stderr)
        return EXIT_USAGE
    except duckdb.Error as err:
        print(
            f"cannot read the published rankings from {args.db}: {err}\nrun `digindex run` first",
            file=sys.stderr,
        )
        return EXIT_BUILD
    return EXIT_OK


def change_tables(
    db: Path, edition: int | None = None, groups: list[str] | None = None, limit: int = 5
) -> str:
    """What changed since the previous edition, per peer group, from the published change
    tables: the averages' changes (as published, like-for-like, as stated), the regions
    that entered or left, and the largest risers and fallers with what moved them. Reads
    only `published`; every number is the marts'."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        if edition is None:
            edition = con.execute(
                "select max(edition) from published.peer_group_changes"
            ).fetchone()[0]
            if edition is None:
                raise UsageError(
                    "no edition has a previous edition to compare with (the published data "
                    "hold one edition)"
                )
        frameworks, _, _ = _resolve_filters(con, edition, groups or [], None, None)
        found = [
            r[0]
            for r in con.execute(
                """select distinct framework_code from published.peer_group_changes
                   where edition = ?""",
                [edition],
            ).fetchall()
        ]
        if not found:
            raise UsageError(f"edition {edition} has no previous edition to compare with")
        order = sorted(
            found, key=lambda f: (FRAMEWORK_ORDER.index(f) if f in FRAMEWORK_ORDER else 99, f)
        )
        out = []
        for fw in [f for f in order if not frameworks or f in frameworks]:
            rows = con.execute(
                """select changes.node_code, indicators.name_zh, changes.previous_edition,
                          changes.region_count, changes.previous_region_count,
                          changes.like_for_like_count, changes.entered_count,
                          changes.left_count, changes.mean_score, changes.previous_mean_score,
                          changes.mean_change, changes.like_for_like_change,
                          changes.stated_change
                   from published.peer_group_changes as changes
                   inner join published.indicators as indicators
                       on changes.framework_code = indicators.framework_code
                       and changes.node_code = indicators.node_code
                   where changes.edition = ? and changes.framework_code = ?
                         and changes.level <= 1
                   order by changes.level, indicators.sort_order""",
                [edition, fw],
            ).fetchall()
            if not rows:
                continue
            head = rows[0]
            out.append(
                f"{fw}: {edition} against {head[2]} — {head[3]} regions against {head[4]}; "
                f"{head[5]} in both, {head[6]} new, {head[7]} left"
            )
            out.append(
                format_table(
                    ["indicator", "mean", "previous", "change", "like-for-like", "stated"],
                    [
                        [
                            r[1],
                            f"{r[8]:.1f}",
                            f"{r[9]:.1f}",
                            f"{r[10]:+.2f}",
                            "" if r[11] is None else f"{r[11]:+.2f}",
                            "" if r[12] is None else f"{r[12]:+.1f}",
                        ]
                        for r in rows
                    ],
                )
            )
            movers = con.execute(
                """select direction, position, region_name, score_change, rank_change,
                          comparable_rank_change, main_indicator_code,
                          main_indicator_contribution, main_metric_code,
                          main_metric_contribution
                   from published.movers
                   where edition = ? and framework_code = ? and position <= ?
                   order by direction desc, position""",
                [edition, fw, limit],
            ).fetchall()
            if movers:
                out.append(
                    format_table(
                        [
                            "",
                            "region",
                            "change",
                            "rank change",
                            "like-for-like",
                            "main indicator",
                            "main metric",
                        ],
                        [
                            [
                                f"{m[0]} {m[1]}",
                                m[2],
                                f"{m[3]:+.2f}",
                                f"{m[4]:+d}",
                                "" if m[5] is None else f"{m[5]:+d}",
                                f"{m[6]} ({m[7]:+.2f})" if m[6] else "",
                                f"{m[8]} ({m[9]:+.2f})" if m[8] else "",
                            ]
                            for m in movers
                        ],
                    )
                )
        return "\n\n".join(out)
    finally:
        con.close()


def cmd_changes(args: argparse.Namespace) -> int:
    try:
        print(change_tables(args.db, args.edition, args.group, args.n))
    except UsageError as err:
        print(f"digindex changes: {err}", file=sys.stderr)
        return EXIT_USAGE
    except duckdb.Error as err:
        print(
            f"cannot read the published changes from {args.db}: {err}\nrun `digindex run` first",
            file=sys.stderr,
        )
        return EXIT_BUILD
    return EXIT_OK


def _benchmark_region(args: argparse.Namespace) -> tuple[int, str]:
    """The edition (default: the latest published) and the region's code (code or printed
    name), or UsageError."""
    con = duckdb.connect(str(args.db), read_only=True)
    try:
        edition = args.edition
        if edition is None:
            edition = con.execute("select max(edition) from published.rankings").fetchone()[0]
        _, _, region = _resolve_filters(con, edition, [], None, args.region)
    finally:
        con.close()
    return int(edition), str(region)


def _benchmark_command(name: str, render: Callable[[argparse.Namespace], str]):  # type: ignore[no-untyped-def]
    def command(args: argparse.Namespace) -> int:
        from digindex.scenarios import ScenarioError

        try:
            print(render(args))
        except (UsageError, ScenarioError) as err:
            print(f"digindex {name}: {err}", file=sys.stderr)
            return EXIT_USAGE
        except duckdb.Error as err:
            print(
                f"cannot read the published tables from {args.db}: {err}\nrun `digindex run` first",
                file=sys.stderr,
            )
            return EXIT_BUILD
        return EXIT_OK

    return command


def _peers(args: argparse.Namespace) -> str:
    edition, region = _benchmark_region(args)
    versus = None
    if args.vs:
        con = duckdb.connect(str(args.db), read_only=True)
        try:
            versus = _resolve_filters(con, edition, [], None, args.vs)[2]
        finally:
            con.close()
    return benchmark_tables.peer_tables(
        args.db, edition, region, args.k, args.better_only, args.same_province, versus
    )


def _parse_set(items: list[str]) -> dict[str, float]:
    changes = {}
    for item in items or []:
        metric, sep, value = item.partition("=")
        try:
            if not sep:
                raise ValueError
            changes[metric.strip()] = float(value)
        except ValueError:
            raise UsageError(
                f"--set {item!r}: write METRIC=VALUE, e.g. --set 5g_base_stations=120"
            ) from None
    if not changes:
        raise UsageError("give at least one --set METRIC=VALUE")
    return changes


def _whatif(args: argparse.Namespace) -> str:
    edition, region = _benchmark_region(args)
    return benchmark_tables.whatif_tables(args.db, edition, region, _parse_set(args.set))


def _goal(args: argparse.Namespace) -> str:
    if (args.rank is None) == (args.tier is None):
        raise UsageError("give one target: --rank N or --tier T")
    edition, region = _benchmark_region(args)
    return benchmark_tables.goal_tables(args.db, edition, region, args.rank, args.tier)


def _tiers(args: argparse.Namespace) -> str:
    con = duckdb.connect(str(args.db), read_only=True)
    try:
        edition = (
            args.edition or con.execute("select max(edition) from published.rankings").fetchone()[0]
        )
        frameworks, _, _ = _resolve_filters(con, edition, args.group or [], None, None)
    finally:
        con.close()
    return benchmark_tables.tier_tables(
        args.db, int(edition), frameworks[0] if frameworks else None
    )


cmd_peers = _benchmark_command("peers", _peers)
cmd_whatif = _benchmark_command("whatif", _whatif)
cmd_goal = _benchmark_command("goal", _goal)
cmd_tiers = _benchmark_command("tiers", _tiers)


def reconcile_report(db: Path, edition: int | None = None, limit: int = 8) -> str:
    """The published reconciliation with the printed report, the audit of the printed
    tables and the peer-group comparisons. Counts come from published.reconciliation_summary
    (the one definition of "reproduced"); nothing is recounted here."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        if edition is None:
            edition = con.execute(
                "select max(edition) from published.reconciliation_summary"
            ).fetchone()[0]
        out = [
            f"Reconciliation with the published report, edition {edition}",
            "(published.reconciliation_summary, reconciliation, published_table_audit, "
            "peer_group_summary)",
            "",
        ]
        rows = con.execute(
            """select framework_code, computed_regions, has_reference, reference_regions,
                      scores_reproduced, score_mismatches, ranks_differ,
                      not_in_reference + not_computed
               from published.reconciliation_summary where edition = ?
               order by framework_code""",
            [edition],
        ).fetchall()
        if rows and not any(r[2] for r in rows):
            out.append(
                f"This index has no printed reference to reconcile with "
                f"({sum(r[1] for r in rows)} regions computed)."
            )
            return "\n".join(out)
        out.append(
            format_table(
                [
                    "peer group",
                    "computed",
                    "printed",
                    "scores reproduced at 1 dp",
                    "score mismatches",
                    "rank differs",
                    "unmatched",
                ],
                [
                    (fw, n, ref if has else "no reference", rep, mis, rk, un)
                    for fw, n, has, ref, rep, mis, rk, un in rows
                ],
                [False, True, True, True, True, True, True],
            )
        )
        diffs = con.execute(
            """select framework_code, printed_rank, region_name, computed_rank, printed_score,
                      reason
               from published.reconciliation
               where edition = ? and status != 'match'
               order by framework_code, printed_rank""",
            [edition],
        ).fetchall()
        if diffs:
            out += ["", "Why ranks or scores differ:"]
            for fw, pr, name, cr, ps, reason in diffs[: limit * 3]:
                out.append(f"  {fw} printed {pr} → computed {cr}  {name} ({ps}): {reason}")
            if len(diffs) > limit * 3:
                out.append(
                    f"  … {len(diffs) - limit * 3} more: select * from "
                    "published.reconciliation where status != 'match'"
                )
        findings = con.execute(
            """select kind, framework_code, count(*), min(evidence)
               from published.published_table_audit where edition = ?
               group by 1, 2 order by 1, 2""",
            [edition],
        ).fetchall()
        out += ["", f"Audit of the printed tables: {sum(f[2] for f in findings)} findings"]
        out.append(
            format_table(
                ["kind", "peer group", "findings", "first example"],
                [(k, fw, n, (ev[:90] + "…") if len(ev) > 90 else ev) for k, fw, n, ev in findings],
                [False, False, True, False],
            )
        )
        summary = con.execute(
            """select framework_code, name_zh, region_count, round(computed_mean, 2),
                      stated_average, round(printed_table_mean, 2),
                      round(computed_minus_stated, 2), round(offset_difference, 3)
               from published.peer_group_summary where edition = ?
               order by framework_code, level, node_code""",
            [edition],
        ).fetchall()
        out += ["", "Peer-group means (computed vs stated in the text vs printed table):"]
        out.append(
            format_table(
                [
                    "peer group",
                    "indicator",
                    "n",
                    "computed",
                    "stated",
                    "printed table",
                    "computed−stated",
                    "offset diff",
                ],
                summary,
                [False, False, True, True, True, True, True, True],
            )
        )
        return "\n".join(out)
    finally:
        con.close()


def cmd_reconcile(args: argparse.Namespace) -> int:
    try:
        print(reconcile_report(args.db, args.edition))
    except duckdb.Error as err:
        print(
            f"cannot read the published reconciliation from {args.db}: {err}\n"
            "run `digindex run` first",
            file=sys.stderr,
        )
        return EXIT_BUILD
    return EXIT_OK


def cmd_report(args: argparse.Namespace) -> int:
    from digindex import report
    from digindex.dashboard.data import WarehouseError

    t0 = _step(
        f"report: the static HTML report of edition {args.edition or '(the latest published)'}"
    )
    try:
        path = report.write_report(args.db, args.edition, args.publish_dir)
    except WarehouseError as err:
        print(f"    cannot write the report: {err}", file=sys.stderr)
        return EXIT_BUILD
    _done(t0, f"wrote {path}")
    return EXIT_OK


def cmd_export_index(args: argparse.Namespace) -> int:
    from digindex.index_folder import export_seeds
    from digindex.uncertainty import SPEC_FILE

    out = export_seeds(args.directory, args.project_dir / "seeds")
    spec = args.project_dir / SPEC_FILE
    if spec.is_file():  # its uncertainty analysis travels with it
        shutil.copyfile(spec, out / SPEC_FILE)
    print(f"wrote the shipped index as an index folder: {out}")
    return EXIT_OK


def staged_index(db: Path) -> Path:
    """Where `run --index` / `build --index` stage the folder for the warehouse `db`."""
    return db.parent / f"{db.stem}.index"


def staged_scenarios(db: Path) -> Path:
    """Where `run`/`build` stage the sample of the index's uncertainty analysis for `db`."""
    return db.parent / f"{db.stem}.scenarios"


def _sample_size(args: argparse.Namespace, name: str, env: str) -> int | None:
    given = getattr(args, name, None)
    if given is not None:
        return int(given)
    return int(os.environ[env]) if os.environ.get(env) else None


def _prepare_uncertainty(args: argparse.Namespace) -> int:
    """Validate the index's uncertainty specification (if any) and stage its sample."""
    from digindex import uncertainty
    from digindex.paths import project_vars

    staged = staged_scenarios(args.db)
    spec_path = uncertainty.spec_for(
        args.project_dir, getattr(args, "index", None), getattr(args, "spec", None)
    )
    args.uncertainty_spec, args.scenario_dir = spec_path, None
    if spec_path is None:
        shutil.rmtree(staged, ignore_errors=True)
        return EXIT_OK
    t0 = _step(f"uncertainty: sample {spec_path}")
    declared = project_vars(args.project_dir)
    try:
        spec = uncertainty.load_spec(
            spec_path, declared["methods"], int(declared["max_winsorisation_points"])
        )
        framework = (
            uncertainty.Framework.of_staged(args.canonical_dir)
            if getattr(args, "canonical_dir", None)
            else uncertainty.Framework.of_seeds(args.project_dir)
        )
        shutil.rmtree(staged, ignore_errors=True)
        drawn = uncertainty.stage(
            spec,
            framework,
            staged,
            samples=_sample_size(args, "samples", "DIGINDEX_UNCERTAINTY_SAMPLES"),
            sensitivity_samples=_sample_size(
                args, "sensitivity_samples", "DIGINDEX_SENSITIVITY_SAMPLES"
            ),
        )
    except uncertainty.SpecError as err:
        print(str(err), file=sys.stderr)
        return EXIT_USAGE
    args.scenario_dir = staged
    settings = drawn.tables["settings"][0]
    _done(
        t0,
        f"{settings['samples']} replications, a Saltelli design of "
        f"{settings['sensitivity_samples']} × ({settings['n_choices']} + 2) runs; staged in "
        f"{staged}",
    )
    return EXIT_OK


def _prepare_index(args: argparse.Namespace) -> int:
    """Validate --index DIR and stage it as canonical CSVs beside the warehouse."""
    from digindex.index_folder import IndexFolderError, load_index, write_canonical

    t0 = _step(f"index: validate {args.index}")
    try:
        data = load_index(args.index, args.project_dir)
    except IndexFolderError as err:
        print(str(err), file=sys.stderr)
        return EXIT_USAGE
    args.canonical_dir = write_canonical(data, staged_index(args.db))
    counts = ", ".join(f"{n} {name.removesuffix('.csv')}" for name, n in data.counts().items())
    _done(t0, f"valid ({counts}); staged in {args.canonical_dir}")
    return EXIT_OK


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="digindex", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--db",
        type=Path,
        default=argparse.SUPPRESS,
        help="warehouse file (default: <project>/build/warehouse.duckdb; env DIGINDEX_DB)",
    )
    common.add_argument(
        "--publish-dir",
        type=Path,
        default=argparse.SUPPRESS,
        help="where exports and gate reports go (default: <project>/publish; "
        "env DIGINDEX_PUBLISH_DIR)",
    )
    common.add_argument(
        "--project-dir",
        type=Path,
        default=argparse.SUPPRESS,
        help="the dbt project (seeds, models, expectations); default: the working "
        "directory or its nearest parent with a dbt_project.yml "
        "(env DIGINDEX_PROJECT_DIR)",
    )
    for action in common._actions:
        parser._add_action(action)
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def add(name: str, func, helptext: str) -> argparse.ArgumentParser:  # type: ignore[no-untyped-def]
        p = sub.add_parser(name, help=helptext, description=helptext, parents=[common])
        p.set_defaults(func=func)
        return p

    index_help = (
        "compute the index in this folder (framework.csv, metrics.csv, regions.csv, "
        "values.csv) instead of the shipped seeds; default warehouse "
        "build/<folder>.duckdb, exports publish/<folder>/"
    )
    for name, func, helptext in [
        ("run", cmd_run, "build, check and publish; print the top 10 of each peer group"),
        ("build", cmd_build, "dbt build: seeds, models, every data test (and the unit tests)"),
        ("check", cmd_check, "run the Great Expectations suites and record their results"),
        ("publish", cmd_publish, "check again, then publish an edition (tables + exports)"),
    ]:
        p = add(name, func, helptext)
        p.add_argument("--index", type=Path, metavar="DIR", help=index_help)
        if name in {"run", "build"}:
            p.add_argument("-v", "--verbose", action="store_true", help="show dbt's own log")
            p.add_argument(
                "--unit-tests",
                action="store_true",
                help="run dbt's unit tests even if they passed on this code before",
            )
            p.add_argument(
                "--from-spark",
                type=Path,
                metavar="WAREHOUSE",
                help="instead of building here, load the tables a `dbt build --target spark` "
                "of the --index folder wrote under this Spark warehouse directory (the marts "
                "under their contracts), as this warehouse's build",
            )
            p.add_argument(
                "--spark-results",
                type=Path,
                metavar="FILE",
                help="that build's run_results.json (default: <project>/target/run_results.json)",
            )
        if name in {"run", "publish"}:
            p.add_argument(
                "--edition", type=int, help="edition to publish (default: every edition)"
            )
    p = add(
        "uncertainty",
        cmd_uncertainty,
        "run with the index's uncertainty analysis (uncertainty.yml), then print the rank "
        "intervals and sensitivity indices it published",
    )
    p.add_argument("--index", type=Path, metavar="DIR", help=index_help)
    p.add_argument(
        "--spec",
        type=Path,
        metavar="FILE",
        help="the specification to use "
        "(default: uncertainty.yml in the index folder, or the project's)",
    )
    p.add_argument(
        "--samples",
        type=int,
        metavar="N",
        help="replications of the uncertainty analysis (default: the spec's samples)",
    )
    p.add_argument(
        "--sensitivity-samples",
        type=int,
        metavar="N",
        help="base samples N of the sensitivity analysis's Saltelli design, "
        "N·(d+2) runs (default: the spec's sensitivity_samples; 0: none)",
    )
    p.add_argument("-n", type=int, default=10, help="regions shown per peer group (default 10)")
    p.add_argument("-v", "--verbose", action="store_true", help="show dbt's own log")
    p.add_argument("--edition", type=int, help="edition to publish (default: latest)")
    add(
        "recover",
        cmd_recover,
        "finish or undo an interrupted run: point publish/<edition> at the version the "
        "warehouse names, remove what a killed run left (every writing command does this "
        "first)",
    )
    p = add(
        "report",
        cmd_report,
        "write the self-contained HTML report of a publication "
        "(publish/<edition>/report.html; opens with no network)",
    )
    p.add_argument("--edition", type=int, help="edition (default: the latest published)")
    p = add(
        "export-index",
        cmd_export_index,
        "write the shipped (H3C) index as an index folder, the open input format",
    )
    p.add_argument("directory", type=Path, help="folder to write")
    p = add(
        "reconcile",
        cmd_reconcile,
        "compare computed results with the published report; audit the printed tables",
    )
    p.add_argument("--edition", type=int, help="edition (default: the latest)")
    p = add(
        "query",
        cmd_query,
        "print the published ranking of a peer group (or a province, "
        "or around a region) as a table",
    )
    p.add_argument(
        "group",
        nargs="*",
        help="peer group(s): code or name, e.g. district 城区, county 县市, zone (default: all)",
    )
    p.add_argument("-n", type=int, default=10, help="rows per peer group (default 10)")
    p.add_argument("--province", help="only this province (浙江 or 浙江省)")
    p.add_argument("--region", help="the rows around this region (code or printed name)")
    p.add_argument("--edition", type=int, help="edition (default: the latest)")
    p = add(
        "changes",
        cmd_changes,
        "what changed since the previous edition: averages (as published, like-for-like, "
        "as stated), entries and exits, the largest risers and fallers and what moved them",
    )
    p.add_argument(
        "--peer-group",
        dest="group",
        action="append",
        help="only this peer group (code or name; repeatable; default: all)",
    )
    p.add_argument("-n", type=int, default=5, help="risers and fallers per peer group (default 5)")
    p.add_argument("--edition", type=int, help="edition (default: the latest)")
    region_help = "the region (code or name as printed)"
    p = add(
        "peers",
        cmd_peers,
        "对标: a region's nearest peers on its standardised profile, where they are ahead, "
        "and its gaps to the peer-group mean and the leader in composite points",
    )
    p.add_argument("region", help=region_help)
    p.add_argument("-k", type=int, default=5, help="peers to show (default 5; up to peers_k)")
    p.add_argument("--better-only", action="store_true", help="only regions ranked above it")
    p.add_argument("--same-province", action="store_true", help="only its province's regions")
    p.add_argument("--vs", metavar="REGION", help="also its gaps to this region (composite pts)")
    p.add_argument("--edition", type=int, help="edition (default: the latest)")
    p = add(
        "whatif",
        cmd_whatif,
        "a scenario: a region's scores and rank recomputed through the same models from "
        "changed raw values (the publication is not touched)",
    )
    p.add_argument("region", help=region_help)
    p.add_argument(
        "--set",
        action="append",
        metavar="METRIC=VALUE",
        help="a raw value to change (metric code; repeatable)",
    )
    p.add_argument("--edition", type=int, help="edition (default: the latest)")
    p = add(
        "goal",
        cmd_goal,
        "the smallest improvement that takes a region to a rank or tier, and the cheapest "
        "way to get it, in raw metric units, checked through the models",
    )
    p.add_argument("region", help=region_help)
    p.add_argument("--rank", type=int, help="the target rank")
    p.add_argument("--tier", type=int, help="the target tier of the default scheme (1 = top)")
    p.add_argument("--edition", type=int, help="edition (default: the latest)")
    p = add("tiers", cmd_tiers, "each peer group's tiers (梯队) under every scheme")
    p.add_argument("group", nargs="*", help="peer group (code or name; default: all)")
    p.add_argument("--edition", type=int, help="edition (default: the latest)")
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
    if getattr(args, "from_spark", None) is not None:
        if index is None:
            print(
                "digindex: --from-spark needs --index, the folder it was built from",
                file=sys.stderr,
            )
            return EXIT_USAGE
        args.from_spark = Path(args.from_spark).resolve()
        if args.spark_results is not None:
            args.spark_results = Path(args.spark_results).resolve()
    if args.func not in WRITERS:
        return int(args.func(args))
    try:
        with publish_mod.WriterLock(args.db, "digindex " + " ".join(argv or sys.argv[1:])):
            # a run killed after its commit has its files switched now; one killed before
            # it has its unsealed files removed
            publish_mod.Shadow.remove_leftover(args.db)
            publish_mod.follow_warehouse(args.db, args.publish_dir)
            if index is not None and args.func in (cmd_run, cmd_build, cmd_uncertainty):
                code = _prepare_index(args)
                if code:
                    return code
                publish_mod.checkpoint("index staged")
            if args.func in (cmd_run, cmd_build, cmd_uncertainty):
                code = _prepare_uncertainty(args)
                if code:
                    return code
            elif index is not None:
                # check / publish work on what the last build staged and built: staging the
                # folder again could pair its files with marts built from others
                args.canonical_dir = staged_index(args.db)
                if not args.canonical_dir.is_dir():
                    print(
                        f"refused: {args.db} has no build of an index folder; run "
                        f"`digindex build --index {args.index}` first",
                        file=sys.stderr,
                    )
                    return EXIT_BUILD
            if args.func in (cmd_check, cmd_publish) and staged_scenarios(args.db).is_dir():
                args.scenario_dir = staged_scenarios(args.db)  # what the last build read
            return int(args.func(args))
    except publish_mod.LockTimeout as err:
        print(f"digindex: {err}", file=sys.stderr)
        return EXIT_LOCKED


if __name__ == "__main__":
    raise SystemExit(main())
