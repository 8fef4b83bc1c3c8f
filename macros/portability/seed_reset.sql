{#
    A seed is reloaded into a table made afresh from its CSV and column_types, as dbt-spark
    does: dbt's default truncates the existing table and loads into it, so a seed whose
    columns changed since the warehouse was built (a column added by an upgrade, a type
    changed) failed until the user knew to run with --full-refresh.
#}
{% macro duckdb__reset_csv_table(model, full_refresh, old_relation, agate_table) %}
    {% do adapter.drop_relation(old_relation) %}
    {{ return(create_csv_table(model, agate_table)) }}
{% endmacro %}
