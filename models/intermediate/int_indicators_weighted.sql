{#
    The indicator trees with the weights the aggregation uses, per edition and series: each
    node's local weight normalised among its siblings, and its effective weight (the
    product of the local weights on the path from the root). Series `published`: the
    edition's own framework (the rows whose edition range contains it); `backcast`: the
    latest edition's framework, for an edition whose own differs (int_edition_methods).
    Ancestor joins are unrolled to var('max_tree_depth') so the model runs on adapters
    without recursive CTEs (Spark).
#}
{%- set max_depth = var('max_tree_depth') -%}

with

declared as (
    select * from {{ ref('stg_index__framework_nodes') }}
),

methods as (
    select * from {{ ref('int_edition_methods') }}
),

nodes as (
    select
        methods.edition,
        methods.series,
        declared.*
    from methods
    inner join declared
        on
            methods.framework_code = declared.framework_code
            and {{ edition_in_range('methods.method_edition', 'declared') }}
),

sibling_totals as (
    select
        edition,
        series,
        framework_code,
        parent_code,
        sum(local_weight) as sibling_weight,
        count(*) as n_siblings
    from nodes
    where parent_code is not null
    group by edition, series, framework_code, parent_code
),

child_counts as (
    select
        edition,
        series,
        framework_code,
        parent_code as node_code,
        count(*) as n_children
    from nodes
    where parent_code is not null
    group by edition, series, framework_code, parent_code
),

normalised as (
    select
        nodes.edition,
        nodes.series,
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
            nodes.edition = sibling_totals.edition
            and nodes.series = sibling_totals.series
            and nodes.framework_code = sibling_totals.framework_code
            and nodes.parent_code = sibling_totals.parent_code
    left join child_counts
        on
            nodes.edition = child_counts.edition
            and nodes.series = child_counts.series
            and nodes.framework_code = child_counts.framework_code
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
            n0.edition = a{{ i }}.edition
            and n0.series = a{{ i }}.series
            and n0.framework_code = a{{ i }}.framework_code
            and {{ 'n0' if i == 1 else 'a' ~ (i - 1) }}.parent_code = a{{ i }}.node_code
    {%- endfor %}
),

final as (
    select
        edition,
        series,
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
