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


{% test column_checks(model, not_null=[], methods={}, declared_values={}, accepted_values={}, within_range={}) %}
    {#- A model's column checks in one query (one scan, one dbt node): every failing row once,
        with `failed_checks` naming each check it fails. `methods` maps a column to a method
        kind of var('methods') (the one list of valid method names), `declared_values` a
        column to the var listing its values. -#}
    {%- set checks = [] -%}
    {%- for column in not_null -%}
        {%- do checks.append((column ~ ' is not null', column ~ ' is null')) -%}
    {%- endfor -%}
    {%- set allowed = {} -%}
    {%- for column, kind in methods.items() -%}
        {%- do allowed.update({column: var('methods')[kind]}) -%}
    {%- endfor -%}
    {%- for column, name in declared_values.items() -%}
        {%- do allowed.update({column: var(name)}) -%}
    {%- endfor -%}
    {%- do allowed.update(accepted_values) -%}
    {%- for column, values in allowed.items() -%}
        {%- set listed = [] -%}
        {%- for value in values -%}
            {%- do listed.append(value if value is number else "'" ~ value ~ "'") -%}
        {%- endfor -%}
        {%- do checks.append((
            column ~ ' in (' ~ values | join(', ') ~ ')',
            column ~ ' is not null and ' ~ column ~ ' not in (' ~ listed | join(', ') ~ ')'
        )) -%}
    {%- endfor -%}
    {%- for column, bounds in within_range.items() -%}
        {%- do checks.append((
            column ~ ' within [' ~ bounds[0] ~ ', ' ~ bounds[1] ~ ']',
            column ~ ' is null or ' ~ column ~ ' < ' ~ bounds[0] ~ ' or ' ~ column ~ ' > ' ~ bounds[1]
        )) -%}
    {%- endfor %}
    select *
    from (
        select
            concat_ws(
                '; '
                {%- for label, failing in checks %},
                case when {{ failing }} then '{{ label | replace("'", "''") }}' end
                {%- endfor %}
            ) as failed_checks,
            checked.*
        from {{ model }} as checked
    ) as rows_checked
    where failed_checks != ''
{% endtest %}


{% test declared_constraints(model) %}
    {#- The model's contract constraints (not null, primary key) checked as data: for engines
        that declare but do not enforce them (dbt-spark on Parquet skips them). On DuckDB,
        which enforces them as the table is written, the test is disabled. -#}
    {%- set checks = [] -%}
    {%- set keys = [] -%}
    {%- set found = [] -%}
    {%- if execute -%}
        {%- set found = graph.nodes.values() | selectattr('resource_type', 'equalto', 'model')
                        | selectattr('name', 'equalto', model.identifier) | list -%}
    {%- endif -%}
    {%- for node in found -%}
    {%- for column in node.columns.values() -%}
        {%- for constraint in column.constraints -%}
            {%- if constraint.type in ('not_null', 'primary_key') -%}
                {%- do checks.append((column.name ~ ' is not null', column.name ~ ' is null')) -%}
            {%- endif -%}
            {%- if constraint.type == 'primary_key' -%}
                {%- do keys.append([column.name]) -%}
            {%- endif -%}
        {%- endfor -%}
    {%- endfor -%}
    {%- for constraint in node.constraints -%}
        {%- if constraint.type == 'primary_key' -%}
            {%- do keys.append(constraint.columns) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- endfor %}
    select *
    from (
        select
            concat_ws(
                '; '
                {%- for label, failing in checks %},
                case when {{ failing }} then '{{ label }}' end
                {%- endfor %}
                {%- for key in keys %},
                case when count(*) over (partition by {{ key | join(', ') }}) > 1
                    then 'primary key ({{ key | join(', ') }}) unique' end
                {%- endfor %}
            ) as failed_checks,
            checked.*
        from {{ model }} as checked
    ) as rows_checked
    where failed_checks != ''
{% endtest %}
