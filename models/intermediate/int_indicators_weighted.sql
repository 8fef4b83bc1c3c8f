{#
    The indicator trees with the weights the aggregation uses: each node's local weight
    normalised among its siblings, and its effective weight (the product of the local
    weights on the path from the root). Ancestor joins are unrolled to var('max_tree_depth')
    so the model runs on adapters without recursive CTEs (Spark).
#}
{%- set max_depth = var('max_tree_depth') -%}

with

nodes as (
    select * from {{ ref('stg_index__framework_nodes') }}
),

sibling_totals as (
    select
        framework_code,
        parent_code,
        sum(local_weight) as sibling_weight,
        count(*) as n_siblings
    from nodes
    where parent_code is not null
    group by framework_code, parent_code
),

child_counts as (
    select
        framework_code,
        parent_code as node_code,
        count(*) as n_children
    from nodes
    where parent_code is not null
    group by framework_code, parent_code
),

normalised as (
    select
        nodes.framework_code,
        nodes.node_code,
        nodes.parent_code,
        nodes.level,
        nodes.name_zh,
        nodes.name_en,
        nodes.aggregation,
        nodes.sort_order,
        nodes.min_availability,
        nodes.local_weight as local_weight_as_printed,
        case
            when nodes.parent_code is null then 1.0
            else nodes.local_weight / sibling_totals.sibling_weight
        end as local_weight,
        coalesce(child_counts.n_children, 0) as n_children
    from nodes
    left join sibling_totals
        on
            nodes.framework_code = sibling_totals.framework_code
            and nodes.parent_code = sibling_totals.parent_code
    left join child_counts
        on
            nodes.framework_code = child_counts.framework_code
            and nodes.node_code = child_counts.node_code
),

with_ancestors as (
    select
        n0.*,
        n0.local_weight
        {%- for i in range(1, max_depth + 1) %}
            * coalesce(a{{ i }}.local_weight, 1.0)
        {%- endfor %} as effective_weight,
        0
        {%- for i in range(1, max_depth + 1) %}
            + case when a{{ i }}.node_code is not null then 1 else 0 end
        {%- endfor %} as depth
    from normalised as n0
    {%- for i in range(1, max_depth + 1) %}
    left join normalised as a{{ i }}
        on
            n0.framework_code = a{{ i }}.framework_code
            and {{ 'n0' if i == 1 else 'a' ~ (i - 1) }}.parent_code = a{{ i }}.node_code
    {%- endfor %}
),

final as (
    select
        framework_code,
        node_code,
        parent_code,
        level,
        depth,
        name_zh,
        name_en,
        local_weight_as_printed,
        local_weight,
        effective_weight,
        aggregation,
        n_children,
        n_children = 0 as is_leaf,
        min_availability,
        sort_order
    from with_ancestors
)

select * from final
