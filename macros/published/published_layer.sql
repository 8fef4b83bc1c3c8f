{#
    Helpers of the published layer (models/published/): the first-level indicators that
    become columns of region_scores_wide, and their column comments. (Rebuilding a table
    other tables reference by foreign key is dbt-duckdb's own business: it drops and
    restores the dependents.)
#}

{% macro first_level_indicators() %}
    {#- [{code, label}] of every first-level indicator (all frameworks), in report order;
        empty while parsing or before dim_indicators exists. -#}
    {%- set found = [] -%}
    {%- if execute -%}
        {%- set relation = adapter.get_relation(
            database=target.database, schema='marts', identifier='dim_indicators') -%}
        {%- if relation is not none -%}
            {%- set rows = run_query(
                "select node_code, min(name_zh), min(name_en), min(sort_order) from "
                ~ relation ~ " where level = 1 group by node_code order by 4, 1") -%}
            {%- for row in rows -%}
                {%- do found.append({'code': row[0], 'label': row[1] ~ ' / ' ~ row[2]}) -%}
            {%- endfor -%}
        {%- endif -%}
    {%- endif -%}
    {{ return(found) }}
{% endmacro %}

{% macro comment_first_level_columns(relation) %}
    {#- post-hook: a comment on each first-level score column of region_scores_wide -#}
    {%- set statements = [] -%}
    {%- for node in first_level_indicators() -%}
        {%- do statements.append(
            "comment on column " ~ relation ~ "." ~ adapter.quote(node.code) ~ " is '"
            ~ ("First-level indicator score (0–100, unrounded): " ~ node.label) | replace("'", "''")
            ~ "'") -%}
    {%- endfor -%}
    {{ return(statements | join(';\n') if statements else 'select 1') }}
{% endmacro %}
