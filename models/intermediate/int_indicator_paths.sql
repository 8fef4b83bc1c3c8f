{#
    Every node with each of its ancestors (itself included, distance 0), per edition (its
    own framework): the paths the availability thresholds walk. Unrolled to
    var('max_tree_depth') like int_indicators_weighted.
#}
{%- set max_depth = var('max_tree_depth') -%}

with

nodes as (
    select * from {{ ref('int_indicators_weighted') }}
    where series = 'published'
),

paths as (
    {%- for distance in range(0, max_depth + 1) %}
    select
        n0.edition,
        n0.framework_code,
        n0.node_code,
        {{ 'n0' if distance == 0 else 'a' ~ distance }}.node_code as ancestor_code,
        {{ distance }} as distance
    from nodes as n0
    {%- for i in range(1, distance + 1) %}
    inner join nodes as a{{ i }}
        on
            n0.edition = a{{ i }}.edition
            and n0.framework_code = a{{ i }}.framework_code
            and {{ 'n0' if i == 1 else 'a' ~ (i - 1) }}.parent_code = a{{ i }}.node_code
    {%- endfor %}
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}
),

final as (
    select * from paths
)

select * from final
