-- Every leaf indicator has at least one metric, and metrics feed only leaf indicators, in
-- every edition's framework (and every backcast's).
with

indicators as (
    select * from {{ ref('int_indicators_weighted') }}
),

metrics as (
    select * from {{ ref('int_metrics_weighted') }}
),

metric_counts as (
    select
        edition,
        series,
        framework_code,
        node_code,
        count(*) as n_metrics
    from metrics
    group by edition, series, framework_code, node_code
),

final as (
    select
        coalesce(indicators.edition, metric_counts.edition) as edition,
        indicators.framework_code,
        indicators.node_code,
        coalesce(metric_counts.n_metrics, 0) as n_metrics,
        indicators.is_leaf
    from indicators
    full outer join metric_counts
        on
            indicators.edition = metric_counts.edition
            and indicators.series = metric_counts.series
            and indicators.framework_code = metric_counts.framework_code
            and indicators.node_code = metric_counts.node_code
    where
        indicators.node_code is null
        or (indicators.is_leaf and metric_counts.node_code is null)
        or (not indicators.is_leaf and metric_counts.node_code is not null)
)

select * from final
