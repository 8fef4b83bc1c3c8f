{#
    Step 4: outlier treatment as COINr does it (winsorisation with the log fallback), for
    the metrics that declare `treatment = winsorise`; the others pass through. The treated
    rows come from treated_values() (macros/scoring/treatment.sql: the method and its two
    algorithms, O(N) by default and a windowed chain on Spark), which continues this WITH
    from `to_treat` and ends with a `treated` CTE of the columns `untreated` has.
#}

with

screened as (
    select * from {{ ref('int_metric_values_screened') }}
),

metrics as (
    select * from {{ ref('int_metrics_weighted') }}
),

joined as (
    select
        screened.edition,
        screened.framework_code,
        screened.region_code,
        screened.node_code,
        screened.metric_code,
        screened.value,
        metrics.treatment,
        coalesce(metrics.winsor_max_points, 5) as max_points,
        coalesce(metrics.skew_threshold, 2.0) as skew_threshold,
        coalesce(metrics.kurtosis_threshold, 3.5) as kurtosis_threshold
    from screened
    inner join metrics
        on
            screened.framework_code = metrics.framework_code
            and screened.metric_code = metrics.metric_code
),

to_treat as (
    select * from joined
    where treatment = 'winsorise'
),

{{ treated_values() }}

untreated as (
    select
        edition,
        framework_code,
        region_code,
        node_code,
        metric_code,
        value as original_value,
        value,
        false as is_treated,
        cast(null as double) as skew_before,
        cast(null as double) as kurtosis_before,
        0 as n_winsorised,
        false as log_transformed,
        cast(null as double) as skew_after,
        cast(null as double) as kurtosis_after
    from joined
    where treatment != 'winsorise'
),

final as (
    select * from treated
    union all
    select * from untreated
)

select * from final
