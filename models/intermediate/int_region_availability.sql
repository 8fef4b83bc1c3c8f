{#
    Step 3 (screening): each region's data availability — the share of its framework's
    metrics with a raw value, before imputation — over the whole framework and under every
    node. A region is ranked only if every node's `min_availability` (the root's is the
    region threshold) is met; otherwise the first failing node is said in `reason`.
#}

with

metric_values as (
    select * from {{ ref('stg_index__metric_values') }}
),

regions as (
    select * from {{ ref('stg_index__regions') }}
),

metrics as (
    select * from {{ ref('int_metrics_weighted') }}
    where series = 'published'
),

paths as (
    select * from {{ ref('int_indicator_paths') }}
),

indicators as (
    select * from {{ ref('int_indicators_weighted') }}
    where series = 'published'
),

{#- one row per edition × region × metric of the region's framework (raw value or null) -#}
raw as (
    select
        metric_values.edition,
        regions.framework_code,
        metric_values.region_code,
        metrics.node_code,
        metric_values.value as raw_value
    from metric_values
    inner join regions
        on metric_values.region_code = regions.region_code
    inner join metrics
        on
            metric_values.edition = metrics.edition
            and regions.framework_code = metrics.framework_code
            and metric_values.metric_code = metrics.metric_code
),

{#- per region and leaf node first (one pass over the values), then up the paths -#}
leaf_availability as (
    select
        edition,
        framework_code,
        region_code,
        node_code,
        count(*) as n_metrics,
        count(raw_value) as n_available
    from raw
    group by edition, framework_code, region_code, node_code
),

node_availability as (
    select
        leaf_availability.edition,
        leaf_availability.framework_code,
        leaf_availability.region_code,
        paths.ancestor_code as node_code,
        cast(sum(leaf_availability.n_metrics) as bigint) as n_metrics,
        cast(sum(leaf_availability.n_available) as bigint) as n_available
    from leaf_availability
    inner join paths
        on
            leaf_availability.edition = paths.edition
            and leaf_availability.framework_code = paths.framework_code
            and leaf_availability.node_code = paths.node_code
    group by
        leaf_availability.edition,
        leaf_availability.framework_code,
        leaf_availability.region_code,
        paths.ancestor_code
),

checked as (
    select
        node_availability.*,
        cast(node_availability.n_available as double) / node_availability.n_metrics
            as availability,
        indicators.min_availability,
        indicators.parent_code is null as is_root,
        indicators.sort_order,
        cast(node_availability.n_available as double) / node_availability.n_metrics
        < coalesce(indicators.min_availability, 0) as below_threshold
    from node_availability
    inner join indicators
        on
            node_availability.edition = indicators.edition
            and node_availability.framework_code = indicators.framework_code
            and node_availability.node_code = indicators.node_code
),

failures as (
    select
        edition,
        region_code,
        count(*) as n_failing_nodes,
        {{ string_agg_ordered(
            "node_code || ' ' || cast(round(100 * availability, 1) as string) || '% < '"
            ~ " || cast(round(100 * min_availability, 1) as string) || '%'",
            'sort_order', "'; '"
        ) }} as failing_nodes
    from checked
    where below_threshold
    group by edition, region_code
),

final as (
    select
        roots.edition,
        roots.framework_code,
        roots.region_code,
        roots.n_metrics,
        roots.n_available,
        roots.availability,
        coalesce(failures.n_failing_nodes, 0) = 0 as is_ranked,
        case
            when failures.n_failing_nodes > 0
                then 'not ranked: data availability below the threshold at ' || failures.failing_nodes
        end as reason
    from checked as roots
    left join failures
        on roots.edition = failures.edition and roots.region_code = failures.region_code
    where roots.is_root
)

select * from final
