"""Start the dashboard: ``python -m digindex.dashboard [--db PATH] [--port N]``.

``make dashboard`` runs it.

Streamlit runs headless on a local address with usage statistics, the file watcher and
run-on-save off, and static serving on (the maps' base-map stub is served from
``static/``, so nothing is fetched from outside).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

from digindex.paths import ProjectNotFound, default_db, find_project

APP = Path(__file__).with_name("app.py")


def streamlit_command(
    db: Path, port: int = 8501, address: str = "127.0.0.1", python: str = sys.executable
) -> list[str]:
    """The `streamlit run` command line for the dashboard on `db`."""
    return [
        python,
        "-m",
        "streamlit",
        "run",
        str(APP),
        "--server.headless",
        "true",
        "--server.address",
        address,
        "--server.port",
        str(port),
        "--server.fileWatcherType",
        "none",
        "--server.runOnSave",
        "false",
        "--server.enableStaticServing",
        "true",
        "--browser.gatherUsageStats",
        "false",
        "--client.toolbarMode",
        "viewer",
        "--theme.base",
        "light",
        "--",
        "--db",
        str(db),
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m digindex.dashboard",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--db",
        type=Path,
        help="published warehouse, opened read-only (default: the project's "
        "build/warehouse.duckdb; env DIGINDEX_DB)",
    )
    parser.add_argument(
        "--project-dir",
        type=Path,
        help="the project (default: found from the working directory, like dbt)",
    )
    parser.add_argument("--port", type=int, default=8501, help="default %(default)s")
    parser.add_argument(
        "--address",
        default="127.0.0.1",
        help="address to listen on (default %(default)s: this machine only)",
    )
    args = parser.parse_args(argv)
    if args.db is None:
        try:
            args.db = default_db(find_project(args.project_dir))
        except ProjectNotFound as err:
            print(f"digindex dashboard: {err}", file=sys.stderr)
            return 2
    db = args.db.resolve()
    if not db.exists():
        print(f"no warehouse at {db}: run `make run` first (or pass --db)", file=sys.stderr)
        return 1
    print(
        f"dashboard on http://{args.address}:{args.port}/ reading {db} (read-only); "
        "Ctrl-C stops it",
        flush=True,
    )
    try:
        return subprocess.call(streamlit_command(db, args.port, args.address))
    except KeyboardInterrupt:
        return 0
