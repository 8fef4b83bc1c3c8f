"""The SQL examples in the README run as written against a built warehouse."""

from __future__ import annotations

import re

import pytest

from _repo import REPO_ROOT

BLOCKS = re.findall(r"```sql\n(.*?)```", (REPO_ROOT / "README.md").read_text(encoding="utf-8"),
                    flags=re.S)


def test_readme_has_sql_examples() -> None:
    assert len(BLOCKS) >= 3


@pytest.mark.parametrize("sql", BLOCKS, ids=[f"example{i + 1}" for i in range(len(BLOCKS))])
def test_readme_sql_runs(con, sql: str) -> None:  # type: ignore[no-untyped-def]
    rows = con.execute(sql).fetchall()
    assert rows, sql
