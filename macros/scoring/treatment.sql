{#
    Outlier treatment (step 4 of the method; int_metric_values_scored calls it), as COINr
    does it, per edition × framework × metric with `treatment = winsorise`: a metric fails
    the check when |skew| ≥ skew_threshold (2) and kurtosis ≥ kurtosis_threshold (3.5), with
    the bias-corrected sample statistics (G1 = g1·√(n(n−1))/(n−2),
    G2 = ((n+1)·g2 + 6)·(n−1)/((n−2)(n−3))). A failing metric is winsorised one step at a
    time — skew ≥ 0: every occurrence of the maximum becomes the largest remaining value;
    otherwise the minimum the smallest remaining one — re-checking after each step, while
    fewer than winsor_max_points (5) points are winsorised. Points as COINr counts them:
    the values clipped so far (two tied maxima moved in one step are two points; a step
    may take the count past the limit). If it still fails, the ORIGINAL values are
    log-transformed instead: ln(x − min + 0.01·(max − min)) — with winsor_max_points 0 too
    (no point moved, still failing), as COINr's Treat() applies its second function
    whenever the first leaves the check failing.

    The macro continues a WITH from a `to_treat` CTE (edition, framework_code, region_code,
    metric_code, value, max_points, skew_threshold, kurtosis_threshold) and ends with a
    `decisions` CTE, one row per metric: lower_bound/upper_bound (the clip bounds when
    n_winsorised > 0), original_min/original_max (for the log fallback), n_winsorised,
    log_transformed and the statistics before and after. The model applies them to its
    rows in the same pass.

    One method, two algorithms by engine (the same decisions; the Spark check compares them):
    - default: in O(N) — one pass for each metric's centre, edge values and interior power
      sums, the loop on a few rows per metric (treatment_edges: on DuckDB the edge values
      come from top-n aggregates, with the exact distinct-value ranking only for metrics
      with ties at an extreme);
    - spark: the loop unrolled as a linear chain of window queries over every value (each
      step reads the previous one once: Spark inlines a CTE at every reference, and the O(N)
      version references its edge table twice per step); the last stage's range is the
      clip bounds.
#}

{% macro treatment_decisions() -%}
    {{ return(adapter.dispatch('treatment_decisions', 'digindex')()) }}
{%- endmacro %}


{% macro default__treatment_decisions() -%}
{%- set max_points = var('max_winsorisation_points') | int -%}
{%- set edge = max_points + 1 -%}

{{ treatment_edges(edge) }}

{#- the loop's state: the upper bound is the rank_desc-th largest value, the lower bound the
    rank_asc-th smallest (1 and 1: nothing clipped) -#}
state_0 as (
    select
        centres.*,
        interior.s1,
        interior.s2,
        interior.s3,
        interior.s4,
        1 as upper_rank,
        1 as lower_rank,
        0 as n_winsorised,
        cast(null as double) as skew_before,
        cast(null as double) as kurtosis_before
    from centres
    inner join interior
        on
            centres.edition = interior.edition
            and centres.framework_code = interior.framework_code
            and centres.metric_code = interior.metric_code
),

{%- for k in range(max_points + 1) %}

s{{ k }}_bounds as (
    select
        state.*,
        upper_edge.value as upper_value,
        upper_edge.d as upper_d,
        upper_edge.n_value as upper_n,
        lower_edge.value as lower_value,
        lower_edge.d as lower_d,
        lower_edge.n_value as lower_n
    from state_{{ k }} as state
    left join edges as upper_edge
        on
            state.edition = upper_edge.edition
            and state.framework_code = upper_edge.framework_code
            and state.metric_code = upper_edge.metric_code
            and state.upper_rank = upper_edge.rank_desc
    left join edges as lower_edge
        on
            state.edition = lower_edge.edition
            and state.framework_code = lower_edge.framework_code
            and state.metric_code = lower_edge.metric_code
            and state.lower_rank = lower_edge.rank_asc
),

s{{ k }}_clipped as (
    select
        bounds.edition,
        bounds.framework_code,
        bounds.metric_code,
        edges.n_value,
        least(greatest(edges.d, bounds.lower_d), bounds.upper_d) as d
    from s{{ k }}_bounds as bounds
    inner join edges
        on
            bounds.edition = edges.edition
            and bounds.framework_code = edges.framework_code
            and bounds.metric_code = edges.metric_code
),

s{{ k }}_sums as (
    select
        edition,
        framework_code,
        metric_code,
        sum(n_value * d) as e1,
        sum(n_value * power(d, 2)) as e2,
        sum(n_value * power(d, 3)) as e3,
        sum(n_value * power(d, 4)) as e4
    from s{{ k }}_clipped
    group by edition, framework_code, metric_code
),

s{{ k }}_checked as {{ materialized_cte() }} (
    select
        bounds.*,
        {{ skew_kurtosis_from_sums(
            'bounds.n', 'bounds.s1 + sums.e1', 'bounds.s2 + sums.e2', 'bounds.s3 + sums.e3',
            'bounds.s4 + sums.e4'
        ) }}
    from s{{ k }}_bounds as bounds
    inner join s{{ k }}_sums as sums
        on
            bounds.edition = sums.edition
            and bounds.framework_code = sums.framework_code
            and bounds.metric_code = sums.metric_code
),

s{{ k }}_verdict as (
    select
        *,
        coalesce(abs(skew) >= skew_threshold and kurtosis >= kurtosis_threshold, false)
            as fails,
        coalesce(abs(skew) >= skew_threshold and kurtosis >= kurtosis_threshold, false)
        and n_winsorised < max_points as winsorise_now
    from s{{ k }}_checked
),

{%- if k < max_points %}

state_{{ k + 1 }} as (
    select
        edition,
        framework_code,
        metric_code,
        n,
        centre,
        original_min,
        original_max,
        max_points,
        skew_threshold,
        kurtosis_threshold,
        s1,
        s2,
        s3,
        s4,
        upper_rank + case when winsorise_now and skew >= 0 then 1 else 0 end as upper_rank,
        lower_rank + case when winsorise_now and skew < 0 then 1 else 0 end as lower_rank,
        {#- the points clipped: the values at the bound that moves join those moved before -#}
        n_winsorised + case
            when winsorise_now and skew >= 0 then coalesce(upper_n, 0)
            when winsorise_now then coalesce(lower_n, 0)
            else 0
        end as n_winsorised,
        coalesce(skew_before, skew) as skew_before,
        coalesce(kurtosis_before, kurtosis) as kurtosis_before
    from s{{ k }}_verdict
),

{%- endif %}
{%- endfor %}

decisions as (
    select
        edition,
        framework_code,
        metric_code,
        lower_value as lower_bound,
        upper_value as upper_bound,
        original_min,
        original_max,
        n_winsorised,
        fails as log_transformed,
        coalesce(skew_before, skew) as skew_before,
        coalesce(kurtosis_before, kurtosis) as kurtosis_before,
        case when fails then null else skew end as skew_after,
        case when fails then null else kurtosis end as kurtosis_after
    from s{{ max_points }}_verdict
),
{%- endmacro %}


{#
    The loop's inputs, per metric: `centres` (n, centre, range, thresholds), `edges` (the
    `edge` largest and smallest distinct values with their counts, ranks from both ends
    and deviation d from the centre) and `interior` (the centred power sums s1..s4 of the
    values no step can move). Continues a WITH from `to_treat`.
#}
{% macro treatment_edges(edge) -%}
    {{ return(adapter.dispatch('treatment_edges', 'digindex')(edge)) }}
{%- endmacro %}


{#- a metric's count, centre (its mean), range and treatment parameters, as aggregates
    over its rows: the one pass both edge paths start from -#}
{% macro treatment_summary_columns() -%}
    count(value) as n,
        avg(value) as centre,
        min(value) as original_min,
        max(value) as original_max,
        min(max_points) as max_points,
        min(skew_threshold) as skew_threshold,
        min(kurtosis_threshold) as kurtosis_threshold
{%- endmacro %}


{#- exact everywhere: every distinct value ranked from both ends (`source`: the rows to
    use; `prefix`: put before the CTE names, so that a caller can use it for some metrics) -#}
{% macro default__treatment_edges(edge, source='to_treat', prefix='') -%}
{%- set centres = prefix ~ 'centres' -%}
{%- set distinct_values = prefix ~ 'distinct_values' -%}
{#- pass 1: per metric, n, centre, range and the thresholds -#}
{{ centres }} as {{ materialized_cte() }} (
    select
        edition,
        framework_code,
        metric_code,
        {{ treatment_summary_columns() }}
    from {{ source }}
    group by edition, framework_code, metric_code
),

{#- pass 2: distinct values with their counts, ranked from both ends -#}
{{ distinct_values }} as {{ materialized_cte() }} (
    select
        edition,
        framework_code,
        metric_code,
        value,
        count(*) as n_value,
        row_number() over (
            partition by edition, framework_code, metric_code order by value desc
        ) as rank_desc,
        row_number() over (
            partition by edition, framework_code, metric_code order by value asc
        ) as rank_asc
    from {{ source }}
    where value is not null
    group by edition, framework_code, metric_code, value
),

{#- the few values winsorisation can move: the P + 1 largest and smallest distinct ones -#}
{{ prefix }}edges as {{ materialized_cte() }} (
    select
        dv.*,
        dv.value - mc.centre as d
    from {{ distinct_values }} as dv
    inner join {{ centres }} as mc
        on
            dv.edition = mc.edition
            and dv.framework_code = mc.framework_code
            and dv.metric_code = mc.metric_code
    where dv.rank_desc <= {{ edge }} or dv.rank_asc <= {{ edge }}
),

{#- centred power sums of the values no step can move -#}
{{ prefix }}interior as {{ materialized_cte() }} (
    select
        mc.edition,
        mc.framework_code,
        mc.metric_code,
        coalesce(sum(dv.n_value * (dv.value - mc.centre)), 0) as s1,
        coalesce(sum(dv.n_value * power(dv.value - mc.centre, 2)), 0) as s2,
        coalesce(sum(dv.n_value * power(dv.value - mc.centre, 3)), 0) as s3,
        coalesce(sum(dv.n_value * power(dv.value - mc.centre, 4)), 0) as s4
    from {{ centres }} as mc
    left join {{ distinct_values }} as dv
        on
            mc.edition = dv.edition
            and mc.framework_code = dv.framework_code
            and mc.metric_code = dv.metric_code
            and dv.rank_desc > {{ edge }}
            and dv.rank_asc > {{ edge }}
    group by mc.edition, mc.framework_code, mc.metric_code
),
{%- endmacro %}


{#-
    DuckDB: a metric's `edge` + 1 largest and smallest values come from the top-n
    aggregates max(value, n) / min(value, n) in the pass that finds its centre. When both
    lists hold distinct values (no ties at the extremes) and the two ends do not meet, the
    `edge` values at each end occur once each and the interior is everything strictly
    between them: one more pass sums it. The other metrics (ties at an extreme, or too few
    values) take the exact path above, on their own rows only.
-#}
{% macro duckdb__treatment_edges(edge) -%}
{%- set n = edge + 1 -%}
summaries as materialized (
    select
        edition,
        framework_code,
        metric_code,
        {{ treatment_summary_columns() }},
        max(value, {{ n }}) as top_values,
        min(value, {{ n }}) as bottom_values
    from to_treat
    group by edition, framework_code, metric_code
),

tie_free as (
    select
        edition,
        framework_code,
        metric_code,
        centre,
        top_values,
        bottom_values
    from summaries
    where
        len(list_distinct(top_values)) = {{ n }}
        and len(list_distinct(bottom_values)) = {{ n }}
        and top_values[{{ edge }}] > bottom_values[{{ edge }}]
),

with_ties as (
    select to_treat.*
    from to_treat
    left join tie_free
        on
            to_treat.edition = tie_free.edition
            and to_treat.framework_code = tie_free.framework_code
            and to_treat.metric_code = tie_free.metric_code
    where tie_free.metric_code is null
),

{{ default__treatment_edges(edge, source='with_ties', prefix='tied_') }}

centres as (
    select
        edition,
        framework_code,
        metric_code,
        n,
        centre,
        original_min,
        original_max,
        max_points,
        skew_threshold,
        kurtosis_threshold
    from summaries
),

tie_free_edges as (
    select
        edition,
        framework_code,
        metric_code,
        centre,
        unnest(top_values[1:{{ edge }}]) as value,
        unnest(range(1, {{ edge + 1 }})) as rank_desc,
        cast(null as bigint) as rank_asc
    from tie_free
    union all
    select
        edition,
        framework_code,
        metric_code,
        centre,
        unnest(bottom_values[1:{{ edge }}]) as value,
        cast(null as bigint) as rank_desc,
        unnest(range(1, {{ edge + 1 }})) as rank_asc
    from tie_free
),

edges as materialized (
    select
        edition,
        framework_code,
        metric_code,
        value,
        cast(1 as bigint) as n_value,
        rank_desc,
        rank_asc,
        value - centre as d
    from tie_free_edges
    union all
    select
        edition,
        framework_code,
        metric_code,
        value,
        n_value,
        rank_desc,
        rank_asc,
        d
    from tied_edges
),

interior as materialized (
    select
        tie_free.edition,
        tie_free.framework_code,
        tie_free.metric_code,
        coalesce(sum(to_treat.value - tie_free.centre), 0) as s1,
        coalesce(sum(power(to_treat.value - tie_free.centre, 2)), 0) as s2,
        coalesce(sum(power(to_treat.value - tie_free.centre, 3)), 0) as s3,
        coalesce(sum(power(to_treat.value - tie_free.centre, 4)), 0) as s4
    from tie_free
    left join to_treat
        on
            tie_free.edition = to_treat.edition
            and tie_free.framework_code = to_treat.framework_code
            and tie_free.metric_code = to_treat.metric_code
            and to_treat.value < tie_free.top_values[{{ edge }}]
            and to_treat.value > tie_free.bottom_values[{{ edge }}]
    group by tie_free.edition, tie_free.framework_code, tie_free.metric_code
    union all
    select * from tied_interior
),
{%- endmacro %}


{% macro spark__treatment_decisions() -%}
{%- set max_points = var('max_winsorisation_points') -%}

stage_0 as {{ materialized_cte() }} (
    select
        edition,
        framework_code,
        region_code,
        metric_code,
        value as original_value,
        value as x,
        0 as n_top,
        0 as n_bottom,
        0 as n_winsorised,
        cast(null as double) as skew_before,
        cast(null as double) as kurtosis_before,
        cast(null as double) as original_min,
        cast(null as double) as original_max,
        max_points,
        skew_threshold,
        kurtosis_threshold
    from to_treat
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
        sum(case when x = max_x then 1 else 0 end)
            over (partition by edition, framework_code, metric_code) as n_at_max,
        sum(case when x = min_x then 1 else 0 end)
            over (partition by edition, framework_code, metric_code) as n_at_min,
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
        and n_winsorised < max_points as winsorise_now
    from s{{ k }}_checked
),

{%- if k < max_points %}

stage_{{ k + 1 }} as {{ materialized_cte() }} (
    select
        edition,
        framework_code,
        region_code,
        metric_code,
        original_value,
        case
            when winsorise_now and skew >= 0 and x = max_x then next_max
            when winsorise_now and skew < 0 and x = min_x then next_min
            else x
        end as x,
        {#- the points clipped at each end: the plateau a step moves holds every value
            moved before at that end -#}
        case when winsorise_now and skew >= 0 then n_at_max else n_top end as n_top,
        case when winsorise_now and skew < 0 then n_at_min else n_bottom end as n_bottom,
        case when winsorise_now and skew >= 0 then n_at_max else n_top end
        + case when winsorise_now and skew < 0 then n_at_min else n_bottom end as n_winsorised,
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

{#- the chain's outcome per metric: its values are the originals clipped to the last
    stage's range (winsorisation moves only the extremes, to the next distinct value) -#}
decisions as (
    select
        edition,
        framework_code,
        metric_code,
        min(x) as lower_bound,
        max(x) as upper_bound,
        min(coalesce(original_min, min_x)) as original_min,
        max(coalesce(original_max, max_x)) as original_max,
        max(n_winsorised) as n_winsorised,
        max(case when fails then 1 else 0 end) = 1 as log_transformed,
        max(coalesce(skew_before, skew)) as skew_before,
        max(coalesce(kurtosis_before, kurtosis)) as kurtosis_before,
        max(case when fails then null else skew end) as skew_after,
        max(case when fails then null else kurtosis end) as kurtosis_after
    from s{{ max_points }}_verdict
    group by edition, framework_code, metric_code
),
{%- endmacro %}
