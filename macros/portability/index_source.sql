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

{#-
    Spark reads the staged files with its own readers, where they lie (a local path in local
    mode; any path the cluster reads — HDFS, S3, DBFS — elsewhere): Parquet directly
    (parquet.`path`), CSV through an external (unmanaged) table in the schema
    `digindex_index` declaring the canonical files' dialect (a header, RFC 4180 quotes,
    cells that span lines; every column text), pointed at the folder when a model that reads
    it runs. (A table, not a temporary view: a persistent view — a staging model — may not
    read a temporary one; dropping an external table leaves its files.) As on DuckDB, the one
    table that grows with the regions, metric_values, is staged as Parquet.
-#}
{% macro spark__read_index_parquet(name) -%}
    {{ return('parquet.`' ~ var('index_dir') ~ '/' ~ name ~ '.parquet`') }}
{%- endmacro %}

{% macro spark__read_index_csv(name) -%}
    {%- if name == 'metric_values' -%}
        {{ return(spark__read_index_parquet(name)) }}
    {%- endif -%}
    {%- set table = 'digindex_index.' ~ name -%}
    {%- if execute -%}
        {%- do run_query('create schema if not exists digindex_index') -%}
        {%- do run_query('drop table if exists ' ~ table) -%}
        {%- do run_query(
            'create table ' ~ table
            ~ " using csv options (path '" ~ var('index_dir') ~ '/' ~ name ~ ".csv',"
            ~ " header 'true', multiLine 'true', quote '\"', escape '\"', encoding 'UTF-8')"
        ) -%}
    {%- endif -%}
    {{ return(table) }}
{%- endmacro %}


{#
    The relation a staging model of the uncertainty analysis reads: the staged sample's
    `name`.parquet in var('scenario_dir') (written by digindex.uncertainty when the index
    has an uncertainty specification), else no rows — with `columns` ({name: type}) typed,
    so that the nominal index builds alone.
#}
{% macro uncertainty_source(name, columns) -%}
    {%- if var('scenario_dir', none) -%}
        {{ return(adapter.dispatch('read_uncertainty', 'digindex')(name)) }}
    {%- endif -%}
    {%- set typed = [] -%}
    {%- for column, type in columns.items() -%}
        {%- do typed.append('cast(null as ' ~ type ~ ') as ' ~ column) -%}
    {%- endfor -%}
    {{ return('(select ' ~ typed | join(', ') ~ ' where 1 = 0)') }}
{%- endmacro %}

{% macro default__read_uncertainty(name) -%}
    {{ return(source('uncertainty', name)) }}
{%- endmacro %}

{% macro spark__read_uncertainty(name) -%}
    {{ return('parquet.`' ~ var('scenario_dir') ~ '/' ~ name ~ '.parquet`') }}
{%- endmacro %}


{#- a continuous quantile (linear interpolation between order statistics, as numpy's
    percentile) of a group -#}
{% macro quantile_cont(expression, fraction) -%}
    {{ return(adapter.dispatch('quantile_cont', 'digindex')(expression, fraction)) }}
{%- endmacro %}

{% macro default__quantile_cont(expression, fraction) -%}
    quantile_cont({{ expression }}, {{ fraction }})
{%- endmacro %}

{% macro spark__quantile_cont(expression, fraction) -%}
    percentile({{ expression }}, {{ fraction }})
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
