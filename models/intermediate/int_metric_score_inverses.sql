{#
    How to turn a metric score back into a value (what `digindex goal` expresses its paths
    in), per edition × framework × metric of the index as published (variant 'nominal'): the
    transformed values that score 0 and 100 (score_to_transformed; a score s needs
    transformed_at_0 + (transformed_at_100 − transformed_at_0) · s / 100, before the value's
    transform — ln for `log` — and its denominator). Invertible where the normalisation is
    linear in the value (goalpost, minmax, efficacy, target) and the outlier treatment left
    the metric's values as they were; the min and max are those normalise_score used (the
    ranked regions' transformed values).
#}

with

scored as (
    select * from {{ ref('int_metric_values_scored') }}
    where variant_code = 'nominal'
),

metrics as (
    select * from {{ ref('int_metric_variants') }}
    where variant_code = 'nominal'
),

statistics as (
    select
        edition,
        framework_code,
        metric_code,
        min(transformed_value) as t_min,
        max(transformed_value) as t_max,
        max(case when n_winsorised > 0 or log_transformed then 1 else 0 end) = 1 as is_treated
    from scored
    where is_ranked
    group by edition, framework_code, metric_code
),

inverted as (
    select
        metrics.edition,
        metrics.framework_code,
        metrics.metric_code,
        metrics.normalization,
        metrics.direction,
        metrics.transform,
        metrics.denominator,
        statistics.is_treated,
        {{ score_to_transformed(
            'metrics.normalization', 'metrics.direction', 0,
            transform_value('metrics.lower_bound', 'metrics.transform'),
            transform_value('metrics.upper_bound', 'metrics.transform'),
            'statistics.t_min', 'statistics.t_max'
        ) }} as transformed_at_0,
        {{ score_to_transformed(
            'metrics.normalization', 'metrics.direction', 100,
            transform_value('metrics.lower_bound', 'metrics.transform'),
            transform_value('metrics.upper_bound', 'metrics.transform'),
            'statistics.t_min', 'statistics.t_max'
        ) }} as transformed_at_100
    from metrics
    inner join statistics
        on
            metrics.edition = statistics.edition
            and metrics.framework_code = statistics.framework_code
            and metrics.metric_code = statistics.metric_code
),

final as (
    select
        *,
        transformed_at_0 is not null and transformed_at_100 is not null and not is_treated
            as is_invertible
    from inverted
)

select * from final
