{#
    Every raw value scored 0–100 by its metric's normalisation (transform first, then the
    method and goalposts declared in the metric catalog). One row per edition × region ×
    metric. The maths lives in macros/scoring.
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

joined as (
    select
        metric_values.edition,
        regions.framework_code,
        metric_values.region_code,
        metrics.node_code,
        metric_values.metric_code,
        metrics.weight as metric_weight,
        metrics.direction,
        metrics.transform,
        metrics.normalization,
        metrics.lower_bound,
        metrics.upper_bound,
        metric_values.value
    from metric_values
    inner join regions
        on metric_values.region_code = regions.region_code
    inner join metrics
        on
            regions.framework_code = metrics.framework_code
            and metric_values.metric_code = metrics.metric_code
),

final as (
    select
        edition,
        framework_code,
        region_code,
        node_code,
        metric_code,
        metric_weight,
        value,
        {{ transform_value('value', 'transform') }} as transformed_value,
        {{ normalise_score(
            'normalization', 'value', 'lower_bound', 'upper_bound', 'direction', 'transform'
        ) }} as score
    from joined
)

select * from final
