{#
    Step 4: outlier treatment as COINr does it, per edition × framework × metric with
    `treatment = winsorise`. A metric fails the check when |skew| ≥ skew_threshold (2) and
    kurtosis ≥ kurtosis_threshold (3.5), with the bias-corrected sample statistics
    (G1 = g1·√(n(n−1))/(n−2), G2 = ((n+1)·g2 + 6)·(n−1)/((n−2)(n−3))). A failing metric is
    winsorised one point at a time — skew ≥ 0: every occurrence of the maximum becomes the
    largest remaining value; otherwise the minimum the smallest remaining one — re-checking
    after each point, up to winsor_max_points (5). If it still fails, the ORIGINAL values
    are log-transformed instead: ln(x − min + 0.01·(max − min)). The loop is unrolled to
    var('max_winsorisation_points').
#}
{%- set max_points = var('max_winsorisation_points') -%}

with

screened as (
    select * from {{ ref('int_metric_values_screened') }}
),

metrics as (
    select * from {{ ref('int_metrics_weighted') }}
),

stage_0 as (
    select
        screened.edition,
        screened.framework_code,
        screened.region_code,
        screened.node_code,
        screened.metric_code,
        screened.value as original_value,
        screened.value as x,
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

{%- for k in range(max_points + 1) %}

means_{{ k }} as (
    select
        edition,
        framework_code,
        metric_code,
        count(x) as n,
        avg(x) as mean_x,
        min(x) as min_x,
        max(x) as max_x,
        max(skew_threshold) as skew_threshold,
        max(kurtosis_threshold) as kurtosis_threshold,
        max(case when treatment = 'winsorise' then max_points else 0 end) as max_points
    from stage_{{ k }}
    group by edition, framework_code, metric_code
),

check_{{ k }} as (
    select
        means.edition,
        means.framework_code,
        means.metric_code,
        means.n,
        means.min_x,
        means.max_x,
        means.max_points,
        max(case when stage.x < means.max_x then stage.x end) as next_max,
        min(case when stage.x > means.min_x then stage.x end) as next_min,
        avg(power(stage.x - means.mean_x, 2)) as m2,
        avg(power(stage.x - means.mean_x, 3)) as m3,
        avg(power(stage.x - means.mean_x, 4)) as m4,
        max(means.skew_threshold) as skew_threshold,
        max(means.kurtosis_threshold) as kurtosis_threshold
    from stage_{{ k }} as stage
    inner join means_{{ k }} as means
        on
            stage.edition = means.edition
            and stage.framework_code = means.framework_code
            and stage.metric_code = means.metric_code
    group by
        means.edition, means.framework_code, means.metric_code, means.n, means.min_x,
        means.max_x, means.max_points
),

stats_{{ k }} as (
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
    from check_{{ k }}
),

verdict_{{ k }} as (
    select
        *,
        coalesce(abs(skew) >= skew_threshold and kurtosis >= kurtosis_threshold, false)
            as fails,
        coalesce(abs(skew) >= skew_threshold and kurtosis >= kurtosis_threshold, false)
        and {{ k }} < max_points as winsorise_now
    from stats_{{ k }}
),

{%- if k < max_points %}

stage_{{ k + 1 }} as (
    select
        stage.edition,
        stage.framework_code,
        stage.region_code,
        stage.node_code,
        stage.metric_code,
        stage.original_value,
        case
            when verdict.winsorise_now and verdict.skew >= 0 and stage.x = verdict.max_x
                then verdict.next_max
            when verdict.winsorise_now and verdict.skew < 0 and stage.x = verdict.min_x
                then verdict.next_min
            else stage.x
        end as x,
        stage.treatment,
        stage.max_points,
        stage.skew_threshold,
        stage.kurtosis_threshold
    from stage_{{ k }} as stage
    inner join verdict_{{ k }} as verdict
        on
            stage.edition = verdict.edition
            and stage.framework_code = verdict.framework_code
            and stage.metric_code = verdict.metric_code
),

{%- endif %}
{%- endfor %}

winsorised_counts as (
    select
        verdict_0.edition,
        verdict_0.framework_code,
        verdict_0.metric_code,
        verdict_0.skew as skew_before,
        verdict_0.kurtosis as kurtosis_before,
        verdict_0.min_x as original_min,
        verdict_0.max_x as original_max,
        verdict_0.max_points > 0 as is_treated,
        0
        {%- for k in range(max_points) %}
        + case when verdict_{{ k }}.winsorise_now then 1 else 0 end
        {%- endfor %} as n_winsorised,
        last.fails and last.max_points > 0 as log_transformed,
        last.skew as skew_after,
        last.kurtosis as kurtosis_after
    from verdict_0
    {%- for k in range(1, max_points + 1) %}
    inner join verdict_{{ k }}
        on
            verdict_0.edition = verdict_{{ k }}.edition
            and verdict_0.framework_code = verdict_{{ k }}.framework_code
            and verdict_0.metric_code = verdict_{{ k }}.metric_code
    {%- endfor %}
    inner join verdict_{{ max_points }} as last
        on
            verdict_0.edition = last.edition
            and verdict_0.framework_code = last.framework_code
            and verdict_0.metric_code = last.metric_code
),

final as (
    select
        stage.edition,
        stage.framework_code,
        stage.region_code,
        stage.node_code,
        stage.metric_code,
        stage.original_value,
        case
            when counts.log_transformed
                then ln(
                    stage.original_value - counts.original_min
                    + 0.01 * (counts.original_max - counts.original_min)
                )
            else stage.x
        end as value,
        counts.is_treated,
        counts.skew_before,
        counts.kurtosis_before,
        counts.n_winsorised,
        counts.log_transformed,
        case when counts.log_transformed then null else counts.skew_after end as skew_after,
        case when counts.log_transformed then null else counts.kurtosis_after end
            as kurtosis_after
    from stage_{{ max_points }} as stage
    inner join winsorised_counts as counts
        on
            stage.edition = counts.edition
            and stage.framework_code = counts.framework_code
            and stage.metric_code = counts.metric_code
)

select * from final
