{#
    Where the index inputs come from: the shipped seeds, or — with var('index_dir') — the
    canonical CSV files `digindex run --index DIR` writes after validating an index folder.
    Both have the same columns, so the staging SQL after FROM is the same.
#}
{% macro index_source(name) -%}
    {%- if var('index_dir', none) -%}
        {{ return(adapter.dispatch('read_index_csv', 'digindex')(var('index_dir') ~ '/' ~ name ~ '.csv')) }}
    {%- else -%}
        {{ return(ref(name)) }}
    {%- endif -%}
{%- endmacro %}

{% macro default__read_index_csv(path) -%}
    {{ exceptions.raise_compiler_error(
        "index folders are read with DuckDB's read_csv; on " ~ target.type
        ~ " load the index as seeds instead (see README, 'Bring your own index')") }}
{%- endmacro %}

{% macro duckdb__read_index_csv(path) -%}
    read_csv('{{ path }}', header = true, all_varchar = true, quote = '"', escape = '"')
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
