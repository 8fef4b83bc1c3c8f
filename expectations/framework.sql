-- Frame for the `framework` suite: one row per node of every indicator tree.
with

nodes as (
    select * from staging.stg_index__framework_nodes
),

metrics as (
    select * from staging.stg_index__metrics
),

code_counts as (
    select framework_code, node_code, count(*) as n_rows_for_code
    from nodes
    group by framework_code, node_code
),

siblings as (
    select framework_code, parent_code, sum(local_weight) as sibling_weight_sum
    from nodes
    where parent_code is not null
    group by framework_code, parent_code
),

children as (
    select framework_code, parent_code as node_code, count(*) as n_children
    from nodes
    where parent_code is not null
    group by framework_code, parent_code
),

node_metrics as (
    select framework_code, node_code, count(*) as n_metrics, sum(weight) as metric_weight_sum
    from metrics
    group by framework_code, node_code
),

roots as (
    select framework_code, count(*) as n_roots
    from nodes
    where parent_code is null
    group by framework_code
)

select
    nodes.framework_code,
    nodes.node_code,
    nodes.parent_code,
    nodes.level,
    nodes.aggregation,
    code_counts.n_rows_for_code,
    roots.n_roots,
    parents.level as parent_level,
    case
        when nodes.parent_code is null then nodes.level = 0
        when parents.node_code is null then false
        else nodes.level = parents.level + 1
    end as level_consistent_with_parent,
    siblings.sibling_weight_sum,
    coalesce(children.n_children, 0) = 0 as is_leaf,
    case when coalesce(children.n_children, 0) = 0 then coalesce(node_metrics.n_metrics, 0) end
        as leaf_metric_count,
    case when coalesce(children.n_children, 0) = 0 then node_metrics.metric_weight_sum end
        as leaf_metric_weight_sum
from nodes
left join code_counts
    on nodes.framework_code = code_counts.framework_code
    and nodes.node_code = code_counts.node_code
left join roots on nodes.framework_code = roots.framework_code
left join nodes as parents
    on nodes.framework_code = parents.framework_code
    and nodes.parent_code = parents.node_code
left join siblings
    on nodes.framework_code = siblings.framework_code
    and nodes.parent_code = siblings.parent_code
left join children
    on nodes.framework_code = children.framework_code
    and nodes.node_code = children.node_code
left join node_metrics
    on nodes.framework_code = node_metrics.framework_code
    and nodes.node_code = node_metrics.node_code
order by nodes.framework_code, nodes.sort_order
