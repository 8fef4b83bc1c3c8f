"""The warehouse file opens in a DuckDB 1.4 LTS reader, as BI drivers embed it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from _repo import REPO_ROOT

LTS_READER = REPO_ROOT / ".venv" / "duckdb-lts"

READ = """
import json, sys
sys.path.insert(0, sys.argv[1])
import duckdb
con = duckdb.connect(sys.argv[2], read_only=True)
n = con.execute("select count(*) from marts.fct_rankings where edition = 2022").fetchone()[0]
print(json.dumps({"version": duckdb.__version__, "rankings": n}))
"""


def test_warehouse_opens_in_duckdb_1_4_lts(warehouse: Path) -> None:
    assert (LTS_READER / "duckdb").is_dir(), "run `make install`: it installs the 1.4.0 reader"
    out = subprocess.run(
        [sys.executable, "-c", READ, str(LTS_READER), str(warehouse)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert out.returncode == 0, out.stderr
    seen = json.loads(out.stdout.strip().splitlines()[-1])
    assert seen == {"version": "1.4.0", "rankings": 250}
