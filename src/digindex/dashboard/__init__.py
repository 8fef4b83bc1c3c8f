"""The dashboard (Streamlit) and the queries and charts it shares with the static report.

Everything here reads the ``published`` schema only, through short-lived read-only DuckDB
connections: dbt and the publisher must be able to write the warehouse between two queries.
"""
