{#
    Cast a seed or index-file column to `type`, an empty or blank cell becoming null.
    Index folders are read as text, seeds arrive typed: both go through here.
#}
{% macro cast_or_null(column, type) -%}
    cast(nullif(trim(cast({{ column }} as string)), '') as {{ type }})
{%- endmacro %}
