{#
    Step 5: every treated value scored by its metric's normalisation — after the metric's
    transform (applied to values and parameters alike) — using the statistics of the
    regions scored together (edition × framework × metric). The maths lives in
    macros/scoring (normalise_score).
#}

with

treated as (
    select * from {{ ref('int_metric_values_treated') }}
),

metrics as (
    select * from {{ ref('int_metrics_weighted') }}
),

joined as (
    select
        treated.edition,
        treated.framework_code,
        treated.region_code,
        metrics.node_code,
        treated.metric_code,
        metrics.weight as metric_weight,
        treated.value,
        metrics.direction,
        metrics.normalization,
        {{ transform_value('treated.value', 'metrics.transform') }} as transformed_value,
        {{ transform_value('metrics.lower_bound', 'metrics.transform') }} as t_lower,
        {{ transform_value('metrics.upper_bound', 'metrics.transform') }} as t_upper
    from treated
    inner join metrics
        on
            treated.framework_code = metrics.framework_code
            and treated.metric_code = metrics.metric_code
),

with_stats as (
    select
        joined.*,
        min(transformed_value) over (partition by edition, framework_code, metric_code)
            as t_min,
        max(transformed_value) over (partition by edition, framework_code, metric_code)
            as t_max,
        avg(transformed_value) over (partition by edition, framework_code, metric_code)
            as t_mean,
        stddev_samp(transformed_value) over (
            partition by edition, framework_code, metric_code
        ) as t_sd,
        count(transformed_value) over (partition by edition, framework_code, metric_code)
            as n_values,
        rank() over (
            partition by edition, framework_code, metric_code
            order by direction * transformed_value asc nulls last
        ) as rank_low,
        count(transformed_value) over (
            partition by edition, framework_code, metric_code, transformed_value
        ) as n_tied
    from joined
),

ranked as (
    select
        with_stats.*,
        case
            when transformed_value is null then null
            when n_values = 1 then 0.5
            else (rank_low + (n_tied - 1) / 2.0 - 1) / (n_values - 1)
        end as pct_rank
    from with_stats
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
        transformed_value,
        {{ normalise_score(
            'normalization', 'direction', 'transformed_value', 't_lower', 't_upper',
            't_min', 't_max', 't_mean', 't_sd', 'pct_rank'
        ) }} as score
    from ranked
)

select * from final
