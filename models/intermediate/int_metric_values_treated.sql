{#
    Step 4: outlier treatment as COINr does it, per edition × framework × metric with
    `treatment = winsorise`. A metric fails the check when |skew| ≥ skew_threshold (2) and
    kurtosis ≥ kurtosis_threshold (3.5), with the bias-corrected sample statistics
    (G1 = g1·√(n(n−1))/(n−2), G2 = ((n+1)·g2 + 6)·(n−1)/((n−2)(n−3))). A failing metric is
    winsorised one point at a time — skew ≥ 0: every occurrence of the maximum becomes the
    largest remaining value; otherwise the minimum the smallest remaining one — re-checking
    after each point, up to winsor_max_points (5). If it still fails, the ORIGINAL values
    are log-transformed instead: ln(x − min + 0.01·(max − min)). The loop is unrolled to
    var('max_winsorisation_points') as a linear chain of window queries (each step reads the
    previous one once, so engines that inline CTEs — Spark — do not blow up); metrics
    without treatment bypass it.
#}
{%- set max_points = var('max_winsorisation_points') -%}

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

stage_0 as {{ materialized_cte() }} (
    select
        edition,
        framework_code,
        region_code,
        node_code,
        metric_code,
        value as original_value,
        value as x,
        0 as n_winsorised,
        cast(null as double) as skew_before,
        cast(null as double) as kurtosis_before,
        cast(null as double) as original_min,
        cast(null as double) as original_max,
        max_points,
        skew_threshold,
        kurtosis_threshold
    from joined
    where treatment = 'winsorise'
),

{%- for k in range(max_points + 1) %}

s{{ k }}_moments as {{ materialized_cte() }} (
    select
        *,
        avg(x) over (partition by edition, framework_code, metric_code) as mean_x,
        count(x) over (partition by edition, framework_code, metric_code) as n,
        min(x) over (partition by edition, framework_code, metric_code) as min_x,
        max(x) over (partition by edition, framework_code, metric_code) as max_x
    from stage_{{ k }}
),

s{{ k }}_central as {{ materialized_cte() }} (
    select
        *,
        max(case when x < max_x then x end)
            over (partition by edition, framework_code, metric_code) as next_max,
        min(case when x > min_x then x end)
            over (partition by edition, framework_code, metric_code) as next_min,
        avg(power(x - mean_x, 2)) over (partition by edition, framework_code, metric_code)
            as m2,
        avg(power(x - mean_x, 3)) over (partition by edition, framework_code, metric_code)
            as m3,
        avg(power(x - mean_x, 4)) over (partition by edition, framework_code, metric_code)
            as m4
    from s{{ k }}_moments
),

s{{ k }}_checked as {{ materialized_cte() }} (
    select
        *,
        case
            when n >= 4 and m2 > 0
                then m3 / power(m2, 1.5) * sqrt(cast(n * (n - 1) as double)) / (n - 2)
        end as skew,
        case
            when n >= 4 and m2 > 0
                then ((n + 1) * (m4 / power(m2, 2) - 3) + 6) * (n - 1) / ((n - 2) * (n - 3))
        end as kurtosis
    from s{{ k }}_central
),

s{{ k }}_verdict as {{ materialized_cte() }} (
    select
        *,
        coalesce(abs(skew) >= skew_threshold and kurtosis >= kurtosis_threshold, false)
            as fails,
        coalesce(abs(skew) >= skew_threshold and kurtosis >= kurtosis_threshold, false)
        and {{ k }} < max_points as winsorise_now
    from s{{ k }}_checked
),

{%- if k < max_points %}

stage_{{ k + 1 }} as {{ materialized_cte() }} (
    select
        edition,
        framework_code,
        region_code,
        node_code,
        metric_code,
        original_value,
        case
            when winsorise_now and skew >= 0 and x = max_x then next_max
            when winsorise_now and skew < 0 and x = min_x then next_min
            else x
        end as x,
        n_winsorised + case when winsorise_now then 1 else 0 end as n_winsorised,
        coalesce(skew_before, skew) as skew_before,
        coalesce(kurtosis_before, kurtosis) as kurtosis_before,
        coalesce(original_min, min_x) as original_min,
        coalesce(original_max, max_x) as original_max,
        max_points,
        skew_threshold,
        kurtosis_threshold
    from s{{ k }}_verdict
),

{%- endif %}
{%- endfor %}

treated as (
    select
        edition,
        framework_code,
        region_code,
        node_code,
        metric_code,
        original_value,
        case
            when fails and max_points > 0
                then ln(
                    original_value - coalesce(original_min, min_x)
                    + 0.01 * (coalesce(original_max, max_x) - coalesce(original_min, min_x))
                )
            else x
        end as value,
        true as is_treated,
        coalesce(skew_before, skew) as skew_before,
        coalesce(kurtosis_before, kurtosis) as kurtosis_before,
        n_winsorised,
        fails and max_points > 0 as log_transformed,
        case when fails and max_points > 0 then null else skew end as skew_after,
        case when fails and max_points > 0 then null else kurtosis end as kurtosis_after
    from s{{ max_points }}_verdict
),

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
