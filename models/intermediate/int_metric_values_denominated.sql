{#
    Step 1 of the method: raw values joined to their region's framework and metric, divided
    by the region attribute the metric names as `denominator` (if any). Missing values stay
    null. One row per edition × region × metric of the region's framework.
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
),

attributes as (
    select * from {{ ref('stg_index__region_attributes') }}
),

joined as (
    select
        metric_values.edition,
        regions.framework_code,
        metric_values.region_code,
        metrics.node_code,
        metric_values.metric_code,
        metric_values.value as raw_value,
        metrics.denominator,
        cast(attributes.value as double) as denominator_value
    from metric_values
    inner join regions
        on metric_values.region_code = regions.region_code
    inner join metrics
        on
            regions.framework_code = metrics.framework_code
            and metric_values.metric_code = metrics.metric_code
    left join attributes
        on
            metric_values.region_code = attributes.region_code
            and metrics.denominator = attributes.attribute
),

final as (
    select
        edition,
        framework_code,
        region_code,
        node_code,
        metric_code,
        raw_value,
        denominator,
        denominator_value,
        case
            when denominator is null then raw_value
            else raw_value / denominator_value
        end as value
    from joined
)

select * from final
