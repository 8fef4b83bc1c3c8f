"""Run dbt in-process (dbtRunner) against a chosen warehouse file, raising on failure.

The one way this project calls dbt: the CLI, the tests and the benchmarks all come here.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from digindex.paths import default_db, duckdb_memory_limit, duckdb_spill_dir, find_project


class DbtError(RuntimeError):
    """dbt did not succeed; the message lists what failed.

    `failing_queries` maps each failed data test to its compiled SQL, so the rows it found
    can be shown (:func:`failing_rows`).
    """

    def __init__(
        self, command: str, failures: list[str], failing_queries: dict[str, str] | None = None
    ) -> None:
        self.failures = failures
        self.failing_queries = failing_queries or {}
        super().__init__(f"dbt {command} failed:\n  " + "\n  ".join(failures or ["(no detail)"]))


def _failures(result: Any) -> tuple[list[str], dict[str, str]]:
    out: list[str] = []
    queries: dict[str, str] = {}
    for r in getattr(result, "results", None) or []:
        status = str(getattr(r, "status", ""))
        if status.lower() in {"error", "fail", "runtime error"}:
            node = getattr(r, "node", None)
            name = getattr(node, "unique_id", "?")
            message = (getattr(r, "message", "") or "").strip().splitlines()
            out.append(f"{status.upper()} {name}: {message[0] if message else ''}")
            compiled = getattr(node, "compiled_code", None)
            if status.lower() == "fail" and name.startswith("test.") and compiled:
                queries[name] = compiled
    return out, queries


def failing_rows(db: Path, queries: dict[str, str], limit: int = 5) -> list[str]:
    """The first rows each failed data test returns, as `key=value` lines to print."""
    import duckdb

    lines: list[str] = []
    con = duckdb.connect(str(db), read_only=True)
    try:
        for name, sql in queries.items():
            try:
                cursor = con.execute(f"select * from ({sql}) as failing limit {int(limit)}")
                columns = [d[0] for d in cursor.description]
                rows = cursor.fetchall()
            except duckdb.Error as err:
                lines.append(f"{name}: (its rows could not be read: {err})")
                continue
            lines.append(f"{name} — rows that fail (up to {limit}):")
            lines += [
                "    " + ", ".join(f"{c}={v}" for c, v in zip(columns, row, strict=True))
                for row in rows
            ]
    finally:
        con.close()
    return lines


def _release_duckdb() -> None:
    """Close the DuckDB database dbt-duckdb keeps open in-process after a run.

    DuckDB allows one process per file: without this, the gate, the dashboard or a
    second process could not open the warehouse while this Python process lives.
    """
    try:
        from dbt.adapters.duckdb.connections import DuckDBConnectionManager as manager
    except ImportError:  # another adapter
        return
    with manager._LOCK:
        env = manager._ENV
        manager._ENV = None
        if env is not None:
            env.close()


class Progress:
    """Prints what dbt is doing as it does it: one line per seed and model (`N/M`), tests
    counted on one line every so often, failures named at once."""

    RESULT_EVENTS = frozenset({"LogModelResult", "LogSeedResult", "LogTestResult"})

    def __init__(self, every: int = 25) -> None:
        self.every = every
        self.tests = self.tests_failed = 0

    def __call__(self, event: Any) -> None:
        name = event.info.name
        if name not in self.RESULT_EVENTS:
            return
        data = event.data
        index, total = (
            getattr(data, "index", 0),
            getattr(data, "total", 0) or getattr(data, "num_models", 0),
        )
        status = str(getattr(data, "status", "")).lower()
        seconds = getattr(data, "execution_time", 0.0)
        if name == "LogTestResult":
            self.tests += 1
            if status in {"fail", "error"}:
                self.tests_failed += 1
                print(f"    [{index:>3}/{total}] FAILED test {data.name}", flush=True)
            elif self.tests % self.every == 0 or index == total:
                print(
                    f"    [{index:>3}/{total}] {self.tests} tests run, {self.tests_failed} failed",
                    flush=True,
                )
        else:
            what = (
                getattr(data, "description", "")
                or f"seed file {getattr(data, 'schema', '')}.{getattr(data, 'relation', '')}"
            )
            print(
                f"    [{index:>3}/{total}] {status.upper() if status == 'error' else 'ok'} "
                f"{what} ({seconds:.2f} s)",
                flush=True,
            )


def _checkpoints(event: Any) -> None:
    """A checkpoint ("built <name>") as each seed and model is written (the crash-safety
    suite's injection points inside a build)."""
    if event.info.name in ("LogModelResult", "LogSeedResult"):
        from digindex.checkpoints import checkpoint

        checkpoint(f"built {event.data.node_info.node_name}")


# the vars that only say where an index's data is: unit tests mock their inputs, so these
# do not change what a unit test checks
DATA_LOCATION_VARS = frozenset({"index_dir", "index_format", "scenario_dir"})
UNIT_TESTS_STAMP = "unit_tests_passed.json"


def code_fingerprint(project_dir: Path, dbt_vars: dict[str, Any] | None = None) -> str:
    """sha256 of what a dbt unit test's verdict depends on: the project's SQL and YAML
    (models, macros, tests, dbt_project.yml), the vars other than the data's location, and
    the versions of dbt-core, dbt-duckdb and DuckDB."""
    import hashlib
    import importlib.metadata
    import json

    digest = hashlib.sha256()
    files = [project_dir / "dbt_project.yml"]
    for folder in ("models", "macros", "tests/dbt"):
        files += sorted(p for p in (project_dir / folder).rglob("*") if p.is_file())
    for path in files:
        digest.update(str(path.relative_to(project_dir)).encode() + b"\0")
        digest.update(path.read_bytes() + b"\0")
    kept = {k: v for k, v in (dbt_vars or {}).items() if k not in DATA_LOCATION_VARS}
    digest.update(json.dumps(kept, sort_keys=True, default=str).encode())
    for package in ("dbt-core", "dbt-duckdb", "duckdb"):
        digest.update(f"{package}=={importlib.metadata.version(package)}".encode())
    return digest.hexdigest()


def unit_tests_passed(project_dir: Path, fingerprint: str) -> str | None:
    """When the unit tests last passed on exactly this code (None: never, or other code)."""
    import json

    stamp = project_dir / "target" / UNIT_TESTS_STAMP
    try:
        recorded = json.loads(stamp.read_text())
    except (OSError, ValueError):
        return None
    return recorded.get("passed_at") if recorded.get("fingerprint") == fingerprint else None


def record_unit_tests(project_dir: Path, fingerprint: str | None) -> None:
    """Remember that the unit tests passed on this code (None: forget it)."""
    import json
    from datetime import UTC, datetime

    stamp = project_dir / "target" / UNIT_TESTS_STAMP
    if fingerprint is None:
        stamp.unlink(missing_ok=True)
        return
    stamp.parent.mkdir(parents=True, exist_ok=True)
    passed_at = f"{datetime.now(UTC):%Y-%m-%d %H:%M:%S} UTC"
    stamp.write_text(json.dumps({"fingerprint": fingerprint, "passed_at": passed_at}))


# the manifest parsed for the last (project, warehouse, target, code, vars, environment):
# the build and the publication of one run share one parse
_MANIFEST: dict[str, Any] = {}
REUSES_MANIFEST = frozenset({"build", "run", "test", "seed", "compile"})
# set per invocation and read only when a model is compiled, never at parse time
PER_INVOCATION_ENV = "DIGINDEX_PUBLICATION_"


def _target(args: Sequence[str]) -> list[str]:
    """The --target option of a dbt command line, if any."""
    args = list(args)
    return ["--target", args[args.index("--target") + 1]] if "--target" in args else []


def _manifest_key(project_dir: Path, args: Sequence[str], dbt_vars: dict[str, Any] | None) -> str:
    """What a parse depends on: the project's files, the vars, the target and the
    environment the profile and the models read (the warehouse path among it)."""
    import json

    seeds = sorted(
        (str(p.relative_to(project_dir)), p.stat().st_size, p.stat().st_mtime_ns)
        for p in (project_dir / "seeds").rglob("*")
        if p.is_file()
    )
    environment = sorted(
        (k, v)
        for k, v in os.environ.items()
        if k.startswith(("DIGINDEX_", "DBT_")) and not k.startswith(PER_INVOCATION_ENV)
    )
    return json.dumps(
        [
            str(project_dir),
            _target(args),
            code_fingerprint(project_dir, dbt_vars),
            dbt_vars or {},
            seeds,
            environment,
        ],
        sort_keys=True,
        default=str,
    )


def _parsed_manifest(key: str, flags: list[str]) -> Any:
    """The manifest for `key`: the one parsed last if the key is the same, else a new parse
    (dbt's partial parsing still applies); None if the parse fails (the command then reports
    the error itself)."""

    from dbt.cli.main import dbtRunner

    if key not in _MANIFEST:
        _MANIFEST.clear()
        res = dbtRunner().invoke(["--quiet", "parse", *flags])
        if not res.success or res.result is None:
            return None
        _MANIFEST[key] = res.result
    # a command renders some of its nodes in place (constraints' refs, compiled SQL): each
    # gets its own copy of the parse (~0.2 s), never one a previous command changed
    return _copy_manifest(_MANIFEST[key])


def _copy_manifest(manifest: Any) -> Any:
    """A deep copy of a dbt Manifest: its public fields and attributes copied (through
    pickle: ~5x faster than copy.deepcopy), its lookups left to be rebuilt (dbt 1.11's own
    Manifest.deepcopy() leaves out fixtures and the parent/child maps, and the Manifest's
    own pickling passes the lookups to the wrong fields)."""
    import dataclasses
    import pickle

    names = {f.name for f in dataclasses.fields(manifest)}
    public = {n: getattr(manifest, n) for n in names if not n.startswith("_")}
    extra = {n: v for n, v in vars(manifest).items() if n not in names and not n.startswith("_")}
    public, extra = pickle.loads(pickle.dumps((public, extra), protocol=pickle.HIGHEST_PROTOCOL))
    clone = type(manifest)(**public)
    for name, value in extra.items():
        setattr(clone, name, value)
    return clone


# where dbt reaches a run's files: links at fixed paths inside the project (see _run_links)
RUN_LINKS = Path("target") / "run_links"


def _link(link: Path, target: Path) -> Path:
    if link.is_symlink() or link.exists():
        link.unlink()
    link.symlink_to(target)
    return link


@contextmanager
def _run_links(
    project_dir: Path, db: Path, spill: Path, dbt_vars: dict[str, Any] | None
) -> Iterator[tuple[Path, Path, dict[str, Any] | None]]:
    """dbt sees a run's warehouse, spill folder and index folder through symbolic links at
    fixed paths in the project (target/run_links/), so that what dbt's parse depends on — the
    profile (path, temp_directory) and the vars (index_dir, scenario_dir) — is the same
    whichever file a run builds and whichever index folder (and sample) it reads: a new
    warehouse or index is a partial
    parse (nothing changed), not a full one (~8–10 s).

    The link keeps the warehouse's file name, so the catalog DuckDB names after it is the
    same as before. DuckDB writes its WAL beside the path it opened (the link): a WAL left
    there by a killed run is removed first, and one left after dbt closed the database is an
    error (the warehouse would lack what it holds). One invocation at a time per project
    (a lock), as dbt's own target/ files already require.
    """
    import fcntl

    links = project_dir / RUN_LINKS
    links.mkdir(parents=True, exist_ok=True)
    with (links / ".lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        db_link = links / db.name
        wal = db_link.with_name(db_link.name + ".wal")
        try:
            wal.unlink(missing_ok=True)
            _link(db_link, db)
            spill.mkdir(parents=True, exist_ok=True)
            spill_link = _link(links / "duckdb-spill", spill.resolve())
            linked_vars = dict(dbt_vars) if dbt_vars is not None else None
            for name, link_name in (("index_dir", "index"), ("scenario_dir", "scenarios")):
                if linked_vars and linked_vars.get(name):
                    target = Path(linked_vars[name]).resolve()
                    linked_vars[name] = str(_link(links / link_name, target))
            yield db_link, spill_link, linked_vars
            if wal.exists():
                raise DbtError(
                    "run", [f"DuckDB left {wal} after closing {db}: the build is incomplete"]
                )
        finally:
            if db_link.is_symlink():
                db_link.unlink()
            fcntl.flock(lock, fcntl.LOCK_UN)


def run_dbt(
    args: Sequence[str],
    db: Path | None = None,
    project_dir: Path | None = None,
    dbt_vars: dict[str, Any] | None = None,
    quiet: bool = False,
    progress: bool = False,
    env: dict[str, str] | None = None,
) -> Any:
    """Invoke `dbt <args>` on `db` (default: the project's warehouse or $DIGINDEX_DB).

    quiet: no dbt log lines on the console; progress: our own one line per node instead;
    env: environment variables set for this invocation only (models read them with env_var).
    """
    import json

    from dbt.cli.main import dbtRunner  # imported late: dbt is slow to import

    project_dir = find_project(project_dir)
    path = Path(db or default_db(project_dir)).resolve()
    path.parent.mkdir(parents=True, exist_ok=True)
    # where DuckDB spills past its memory limit: beside the warehouse unless
    # DIGINDEX_TEMP_DIR says otherwise
    spill = duckdb_spill_dir(path)
    # what profiles.yml reads (the warehouse, its memory limit, the spill folder), set for
    # this invocation and restored afterwards
    previous = {
        k: os.environ.get(k)
        for k in ("DIGINDEX_DB", "DIGINDEX_TEMP_DIR", "DIGINDEX_MEMORY_LIMIT", *(env or {}))
    }
    try:
        with _run_links(project_dir, path, spill, dbt_vars) as (db_link, spill_link, run_vars):
            os.environ["DIGINDEX_DB"] = str(db_link)
            os.environ["DIGINDEX_MEMORY_LIMIT"] = duckdb_memory_limit()
            os.environ["DIGINDEX_TEMP_DIR"] = str(spill_link)
            flags = [
                "--project-dir",
                str(project_dir),
                "--profiles-dir",
                str(project_dir),
                "--target-path",
                str(project_dir / "target"),
                "--log-path",
                str(project_dir / "logs"),
            ]
            if run_vars:
                flags += ["--vars", json.dumps(run_vars)]
            if "DBT_LOG_LEVEL_FILE" not in os.environ:
                # logs/dbt.log keeps each node's start, end and errors; its debug level
                # (every SQL statement) costs ~10 % of a small run: DBT_LOG_LEVEL_FILE=debug
                # brings it back
                flags += ["--log-level-file", "info"]
            full = [*args, *flags]
            if quiet or progress:
                full = ["--quiet", *full]
            try:
                manifest = None
                if args and args[0] in REUSES_MANIFEST:
                    manifest = _parsed_manifest(
                        _manifest_key(project_dir, args, run_vars), [*flags, *_target(args)]
                    )
                # the per-invocation variables only after the parse, which then stays the same
                os.environ.update(env or {})
                if manifest is not None:
                    # the parse wrote manifest.json; dbt would write it again after the
                    # command (~0.4 s): only run_results.json is written, below
                    full.insert(full.index(args[0]) + 1, "--no-write-json")
                callbacks = [Progress(), _checkpoints] if progress else [_checkpoints]
                res = dbtRunner(manifest=manifest, callbacks=callbacks).invoke(full)
                if manifest is not None and hasattr(res.result, "write"):
                    res.result.write(str(project_dir / "target" / "run_results.json"))
            finally:
                _release_duckdb()
    finally:
        for key, value in previous.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
    if not res.success:
        failures, queries = _failures(res.result)
        if res.exception is not None:
            failures.append(f"{type(res.exception).__name__}: {res.exception}")
        raise DbtError(" ".join(args), failures, queries)
    return res.result
