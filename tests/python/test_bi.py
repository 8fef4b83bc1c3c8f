"""What a BI tool meets: the published schema through SQLAlchemy + duckdb-engine (the pins
the README gives), every published column commented, keys declared so tools can join."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

sqlalchemy = pytest.importorskip("sqlalchemy")

# the one-table entry point and the tables BI users join
EXPECTED_TABLES = {
    "rankings",
    "indicator_scores",
    "metric_values",
    "regions",
    "indicators",
    "metrics",
    "reconciliation",
    "reconciliation_summary",
    "peer_group_summary",
    "published_table_audit",
    "publication_log",
    "rank_uncertainty",
    "rank_distribution",
    "sensitivity_indices",
}


def test_every_published_column_has_a_comment(con: duckdb.DuckDBPyConnection) -> None:
    rows = con.execute("""select table_name, column_name, comment from duckdb_columns()
                          where schema_name = 'published'""").fetchall()
    assert {r[0] for r in rows} >= EXPECTED_TABLES | {"region_scores_wide"}
    missing = [(t, c) for t, c, comment in rows if not comment]
    assert not missing, missing
    tables = con.execute("""select table_name, comment from duckdb_tables()
                            where schema_name = 'published'""").fetchall()
    assert all(comment for _, comment in tables), tables


def test_published_tables_have_primary_and_foreign_keys(con: duckdb.DuckDBPyConnection) -> None:
    keys = con.execute("""select table_name, constraint_type, constraint_column_names,
                                 referenced_table
                          from duckdb_constraints() where schema_name = 'published'""").fetchall()
    primary = {t: cols for t, kind, cols, _ in keys if kind == "PRIMARY KEY"}
    # the two per-value tables state their keys in their comments instead (DuckDB enforces a
    # declared key row by row: minutes at 100k regions); every other table declares them
    per_value = {"indicator_scores", "metric_values"}
    assert set(primary) >= EXPECTED_TABLES - per_value
    assert not per_value & {t for t, *_ in keys}
    assert primary["rankings"] == ["edition", "region_code"]
    foreign = {(t, tuple(cols), ref) for t, kind, cols, ref in keys if kind == "FOREIGN KEY"}
    assert ("rankings", ("region_code",), "regions") in foreign
    comments = dict(
        con.execute(
            "select table_name, comment from duckdb_tables() where schema_name = 'published'"
        ).fetchall()
    )
    assert "Key (edition, region_code, node_code)" in comments["indicator_scores"]
    assert "(framework_code, metric_code) → metrics" in comments["metric_values"]


def test_sqlalchemy_and_duckdb_engine_inspect_and_query(warehouse: Path) -> None:
    """What Superset does when a dataset is added: list schemas and tables, inspect columns
    (with their comments) and foreign keys, then query."""
    assert sqlalchemy.__version__ == "2.0.44"  # the README's pin
    engine = sqlalchemy.create_engine(f"duckdb:///{warehouse}", connect_args={"read_only": True})
    try:
        inspector = sqlalchemy.inspect(engine)
        # duckdb-engine names schemas <catalog>.<schema>, the catalog being the file's stem
        assert f"{warehouse.stem}.published" in inspector.get_schema_names()
        assert set(inspector.get_table_names(schema="published")) >= EXPECTED_TABLES
        assert "region_scores_wide" in inspector.get_view_names(schema="published")
        columns = {c["name"]: c for c in inspector.get_columns("rankings", schema="published")}
        assert {"rank", "percentile", "province_rank"} <= set(columns)
        assert all(c.get("comment") for c in columns.values())
        fks = inspector.get_foreign_keys("rankings", schema="published")
        assert {fk["referred_table"] for fk in fks} == {"regions"}
        with engine.connect() as connection:
            top = connection.execute(
                sqlalchemy.text(
                    """select region_name from published.region_scores_wide
                   where edition = 2022 and framework_code = 'district' order by rank limit 1"""
                )
            ).scalar_one()
        assert top == "北京海淀区"
    finally:
        engine.dispose()
