{#
    Generic data tests (no dbt_utils here: the hub is not reachable). Documented in
    _tests__macros.yml. Each returns the failing rows.
#}

{% test unique_combination(model, columns) %}
    select
        {{ columns | join(', ') }},
        count(*) as n_rows
    from {{ model }}
    group by {{ columns | join(', ') }}
    having count(*) > 1
{% endtest %}


{% test sums_to_one(model, column_name, group_by, condition=none) %}
    select
        {{ group_by | join(', ') }},
        sum({{ column_name }}) as total
    from {{ model }}
    {%- if condition %}
    where {{ condition }}
    {%- endif %}
    group by {{ group_by | join(', ') }}
    having abs(sum({{ column_name }}) - 1.0) > {{ var('score_tolerance') }}
{% endtest %}


{% test within_range(model, column_name, min_value, max_value, tolerance=0) %}
    select *
    from {{ model }}
    where
        {{ column_name }} is null
        or {{ column_name }} < {{ min_value }} - {{ tolerance }}
        or {{ column_name }} > {{ max_value }} + {{ tolerance }}
{% endtest %}


{% test foreign_key(model, to, columns) %}
    select child.*
    from {{ model }} as child
    left join {{ to }} as parent
        on
        {%- for column in columns %}
            {% if not loop.first %}and {% endif %}child.{{ column }} = parent.{{ column }}
        {%- endfor %}
    where parent.{{ columns[0] }} is null
{% endtest %}
