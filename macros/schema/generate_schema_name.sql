{#
    Custom schemas as named (`staging`, `intermediate`, `marts`, `seeds`), without the
    target-schema prefix dbt adds by default, so users and BI tools see `marts.fct_rankings`.
#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}
        {{ target.schema }}
    {%- else -%}
        {{ custom_schema_name | trim }}
    {%- endif -%}
{%- endmacro %}
