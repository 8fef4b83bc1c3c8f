{#
    Aggregate strings into one, in a given order, with a separator: the one piece of the
    reconciliation models whose syntax differs between adapters.
#}
{% macro string_agg_ordered(expression, order_by, separator="'; '") -%}
    {{ return(adapter.dispatch('string_agg_ordered', 'digindex')(expression, order_by, separator)) }}
{%- endmacro %}

{% macro default__string_agg_ordered(expression, order_by, separator) -%}
    string_agg({{ expression }}, {{ separator }} order by {{ order_by }})
{%- endmacro %}

{% macro spark__string_agg_ordered(expression, order_by, separator) -%}
    concat_ws(
        {{ separator }},
        transform(
            array_sort(collect_list(struct({{ order_by }} as k, {{ expression }} as v))),
            x -> x.v
        )
    )
{%- endmacro %}
