{#
    One row per metric: as its latest edition declares it (by edition:
    int_metrics_weighted), with the first and last edition it is part of.
#}

with

versions as (
    select
        *,
        min(edition) over (partition by framework_code, metric_code) as first_edition,
        max(edition) over (partition by framework_code, metric_code) as last_edition
    from {{ ref('int_metrics_weighted') }}
    where series = 'published'
),

metrics as (
    select * from versions
    where edition = last_edition
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
        source_hint,
        first_edition,
        last_edition
    from metrics
)

select * from final
