with

metrics as (
    select * from {{ ref('int_metrics_weighted') }}
),

final as (
    select
        framework_code,
        metric_code,
        node_code,
        name_zh,
        name_en,
        unit,
        value_type,
        weight,
        effective_weight,
        direction,
        transform,
        normalization,
        lower_bound,
        upper_bound,
        plausible_min,
        plausible_max,
        source_hint
    from metrics
)

select * from final
