{#
    Where the index inputs come from: the shipped seeds, or — with var('index_dir') — the
    canonical CSV files `digindex run --index DIR` writes after validating an index folder.
    Both have the same columns, so the staging SQL after FROM is the same.
#}
{% macro index_source(name) -%}
    {%- if var('index_dir', none) and var('index_format', 'csv') == 'parquet' -%}
        {{ return(read_index_parquet(name)) }}
    {%- elif var('index_dir', none) -%}
        {{ return(read_index_csv(name)) }}
    {%- else -%}
        {{ return(ref(name)) }}
    {%- endif -%}
{%- endmacro %}

{% macro read_index_csv(name) -%}
    {{ return(adapter.dispatch('read_index_csv', 'digindex')(name)) }}
{%- endmacro %}

{% macro read_index_parquet(name) -%}
    {{ return(adapter.dispatch('read_index_parquet', 'digindex')(name)) }}
{%- endmacro %}

{% macro default__read_index_csv(name) -%}
    {{ exceptions.raise_compiler_error(
        "index folders are read with DuckDB's read_csv; on " ~ target.type
        ~ " load the index as seeds instead (see README, 'Bring your own index')") }}
{%- endmacro %}

{% macro default__read_index_parquet(name) -%}
    {{ exceptions.raise_compiler_error(
        "staged Parquet index files are read with DuckDB; on " ~ target.type ~ " use seeds") }}
{%- endmacro %}

{% macro duckdb__read_index_parquet(name) -%}
    {{ return(source('index_parquet', name)) }}
{%- endmacro %}

{% macro duckdb__read_index_csv(name) -%}
    {{ return(source('index_csv', name)) }}
{%- endmacro %}


{% macro median(expression) -%}
    {{ return(adapter.dispatch('median', 'digindex')(expression)) }}
{%- endmacro %}

{% macro default__median(expression) -%}
    median({{ expression }})
{%- endmacro %}

{% macro spark__median(expression) -%}
    percentile({{ expression }}, 0.5)
{%- endmacro %}


{#
    `as materialized (...)` for a CTE where the engine supports it. DuckDB otherwise inlines
    the long winsorisation chain and spends ~30 s planning it; Spark has no such keyword.
#}
{% macro materialized_cte() -%}
    {{ return(adapter.dispatch('materialized_cte', 'digindex')()) }}
{%- endmacro %}

{% macro default__materialized_cte() -%}{%- endmacro %}

{% macro duckdb__materialized_cte() -%}materialized{%- endmacro %}
