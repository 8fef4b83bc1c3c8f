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

    The macro continues a WITH from a `to_treat` CTE (edition, variant_code, framework_code,
    region_code, metric_code, value, max_points, skew_threshold, kurtosis_threshold) and
    ends with a `decisions` CTE, one row per metric (of a scoring variant): lower_bound/upper_bound (the clip bounds when
    n_winsorised > 0), original_min/original_max (for the log fallback), n_winsorised,
    log_transformed and the statistics before and after. The model applies them to its
    rows in the same pass.

    One algorithm on every engine, in O(N): the values are read in two passes (per metric,
    treatment_edges), into ONE summary row per metric — its count, centre (mean), range,
    the centred power sums of the values no step can move, and the P + 1 largest and
    smallest distinct values with their counts, one column each (P = the
    max_winsorisation_points var). The loop then works on those rows alone: each step is a
    projection of the previous one (the bounds picked from the columns by rank, the clipped
    values' power sums added to the fixed ones, the check), so no step reads the values
    again, joins, or references an earlier step twice — the plan grows linearly with P on
    an engine that inlines CTEs (Spark) and stays a few rows per metric on any.
#}

{% macro treatment_decisions() -%}
{%- set max_points = var('max_winsorisation_points') | int -%}
{%- set edge = max_points + 1 -%}

{{ treatment_edges(edge) }}

{#- the loop's state: the upper bound is the upper_rank-th largest value, the lower bound
    the lower_rank-th smallest (1 and 1: nothing clipped); a metric with no value to treat
    gets no decision -#}
state_0 as (
    select
        {{ treatment_summary_names(edge) | join(',\n        ') }},
        1 as upper_rank,
        1 as lower_rank,
        0 as n_winsorised,
        cast(null as double) as skew_before,
        cast(null as double) as kurtosis_before
    from edge_summary
    where n > 0
),

{%- for k in range(max_points + 1) %}

s{{ k }}_bounds as {{ materialized_cte() }} (
    select
        *
        {%- for bound, end in [('upper', 'top'), ('lower', 'bottom')] %}
        {%- for field in ['value', 'n'] %},
        case {{ bound }}_rank
            {%- for r in range(1, edge + 1) %} when {{ r }} then {{ end }}_{{ r }}_{{ field }}{% endfor %}
        end as {{ bound }}_{{ field }}
        {%- endfor %}
        {%- endfor %}
    from state_{{ k }}
),

{#- the edge values' deviations from the centre once clipped to the bounds -#}
s{{ k }}_clipped as {{ materialized_cte() }} (
    select
        *
        {%- for end in ['top', 'bottom'] %}
        {%- for r in range(1, edge + 1) %},
        coalesce(
            least(greatest({{ end }}_{{ r }}_value, lower_value), upper_value) - centre, 0
        ) as {{ end }}_{{ r }}_d
        {%- endfor %}
        {%- endfor %}
    from s{{ k }}_bounds
),

{#- their power sums, each distinct value once (bottom_r_w: 0 for a smallest value also
    among the largest) -#}
s{{ k }}_sums as {{ materialized_cte() }} (
    select
        *
        {%- for p in range(1, 5) %},
        {% for r in range(1, edge + 1) -%}
        top_{{ r }}_n * power(top_{{ r }}_d, {{ p }}) + bottom_{{ r }}_w * power(bottom_{{ r }}_d, {{ p }})
        {%- if not loop.last %}
        + {% endif %}
        {%- endfor %} as e{{ p }}
        {%- endfor %}
    from s{{ k }}_clipped
),

s{{ k }}_checked as {{ materialized_cte() }} (
    select
        *,
        {{ skew_kurtosis_from_sums('n', 's1 + e1', 's2 + e2', 's3 + e3', 's4 + e4') }}
    from s{{ k }}_sums
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
        {{ treatment_summary_names(edge) | join(',\n        ') }},
        upper_rank + case when winsorise_now and skew >= 0 then 1 else 0 end as upper_rank,
        lower_rank + case when winsorise_now and skew < 0 then 1 else 0 end as lower_rank,
        {#- the points clipped: the values at the bound that moves join those moved before -#}
        n_winsorised + case
            when winsorise_now and skew >= 0 then upper_n
            when winsorise_now then lower_n
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
        variant_code,
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


{#- the columns of a metric's summary row (edge_summary), in order: its keys, count,
    centre, range and parameters, the centred power sums s1..s4 of the values no step can
    move, and per rank r ≤ edge the r-th largest and r-th smallest distinct values with
    their counts (value null and count 0 past the metric's distinct values); bottom_r_w is
    the count again, or 0 when the r-th smallest is also among the `edge` largest (few
    distinct values), so that the sums count each distinct value once -#}
{% macro treatment_summary_names(edge) -%}
    {%- set names = [
        'edition', 'variant_code', 'framework_code', 'metric_code', 'n', 'centre',
        'original_min', 'original_max', 'max_points', 'skew_threshold', 'kurtosis_threshold',
        's1', 's2', 's3', 's4'
    ] -%}
    {%- for r in range(1, edge + 1) -%}
        {%- do names.extend([
            'top_' ~ r ~ '_value', 'top_' ~ r ~ '_n',
            'bottom_' ~ r ~ '_value', 'bottom_' ~ r ~ '_n', 'bottom_' ~ r ~ '_w'
        ]) -%}
    {%- endfor -%}
    {{ return(names) }}
{%- endmacro %}


{#
    The loop's input: `edge_summary`, one row per metric (treatment_summary_names).
    Continues a WITH from `to_treat`.
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


{#- exact everywhere, in two passes: the centres, then every distinct value ranked from
    both ends (a window partitioned by metric) and folded into the metric's row
    (`source`: the rows to use; `prefix`: put before the CTE names, so that a caller can
    use it for some metrics) -#}
{% macro default__treatment_edges(edge, source='to_treat', prefix='') -%}
{%- set centres = prefix ~ 'centres' -%}
{%- set distinct_values = prefix ~ 'distinct_values' -%}
{#- the per-metric columns of the summary row, before its sums and edge values -#}
{%- set metric_columns = treatment_summary_names(edge)[:11] -%}
{#- pass 1: per metric, n, centre, range and the thresholds -#}
{{ centres }} as {{ materialized_cte() }} (
    select
        edition,
        variant_code,
        framework_code,
        metric_code,
        {{ treatment_summary_columns() }}
    from {{ source }}
    group by edition, variant_code, framework_code, metric_code
),

{#- pass 2: distinct values with their counts, ranked from both ends -#}
{{ distinct_values }} as {{ materialized_cte() }} (
    select
        edition,
        variant_code,
        framework_code,
        metric_code,
        value,
        count(*) as n_value,
        row_number() over (
            partition by edition, variant_code, framework_code, metric_code order by value desc
        ) as rank_desc,
        row_number() over (
            partition by edition, variant_code, framework_code, metric_code order by value asc
        ) as rank_asc
    from {{ source }}
    where value is not null
    group by edition, variant_code, framework_code, metric_code, value
),

{#- one row per metric: the interior's centred power sums and the edge values as columns -#}
{{ prefix }}edge_summary as {{ materialized_cte() }} (
    select
        {%- for name in metric_columns %}
        mc.{{ name }},
        {%- endfor %}
        {%- for p in range(1, 5) %}
        coalesce(sum(
            case when dv.rank_desc > {{ edge }} and dv.rank_asc > {{ edge }}
                then dv.n_value * power(dv.value - mc.centre, {{ p }}) end
        ), 0) as s{{ p }},
        {%- endfor %}
        {%- for r in range(1, edge + 1) %}
        max(case when dv.rank_desc = {{ r }} then dv.value end) as top_{{ r }}_value,
        coalesce(max(case when dv.rank_desc = {{ r }} then dv.n_value end), 0) as top_{{ r }}_n,
        max(case when dv.rank_asc = {{ r }} then dv.value end) as bottom_{{ r }}_value,
        coalesce(max(case when dv.rank_asc = {{ r }} then dv.n_value end), 0)
            as bottom_{{ r }}_n,
        coalesce(max(
            case when dv.rank_asc = {{ r }} and dv.rank_desc > {{ edge }} then dv.n_value end
        ), 0) as bottom_{{ r }}_w{% if not loop.last %},{% endif %}
        {%- endfor %}
    from {{ centres }} as mc
    left join {{ distinct_values }} as dv
        on
            mc.edition = dv.edition
            and mc.variant_code = dv.variant_code
            and mc.framework_code = dv.framework_code
            and mc.metric_code = dv.metric_code
    group by
        {%- for name in metric_columns %}
        mc.{{ name }}{% if not loop.last %},{% endif %}
        {%- endfor %}
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
        variant_code,
        framework_code,
        metric_code,
        {{ treatment_summary_columns() }},
        max(value, {{ n }}) as top_values,
        min(value, {{ n }}) as bottom_values
    from to_treat
    group by edition, variant_code, framework_code, metric_code
),

tie_free as (
    select *
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
            and to_treat.variant_code = tie_free.variant_code
            and to_treat.framework_code = tie_free.framework_code
            and to_treat.metric_code = tie_free.metric_code
    where tie_free.metric_code is null
),

{{ default__treatment_edges(edge, source='with_ties', prefix='tied_') }}

tie_free_interior as materialized (
    select
        tie_free.edition,
        tie_free.variant_code,
        tie_free.framework_code,
        tie_free.metric_code,
        {%- for p in range(1, 5) %}
        coalesce(sum(power(to_treat.value - tie_free.centre, {{ p }})), 0) as s{{ p }}
        {%- if not loop.last %},{% endif %}
        {%- endfor %}
    from tie_free
    left join to_treat
        on
            tie_free.edition = to_treat.edition
            and tie_free.variant_code = to_treat.variant_code
            and tie_free.framework_code = to_treat.framework_code
            and tie_free.metric_code = to_treat.metric_code
            and to_treat.value < tie_free.top_values[{{ edge }}]
            and to_treat.value > tie_free.bottom_values[{{ edge }}]
    group by
        tie_free.edition, tie_free.variant_code, tie_free.framework_code, tie_free.metric_code
),

edge_summary as materialized (
    select
        tie_free.edition,
        tie_free.variant_code,
        tie_free.framework_code,
        tie_free.metric_code,
        tie_free.n,
        tie_free.centre,
        tie_free.original_min,
        tie_free.original_max,
        tie_free.max_points,
        tie_free.skew_threshold,
        tie_free.kurtosis_threshold,
        interior.s1,
        interior.s2,
        interior.s3,
        interior.s4,
        {%- for r in range(1, edge + 1) %}
        tie_free.top_values[{{ r }}] as top_{{ r }}_value,
        cast(1 as bigint) as top_{{ r }}_n,
        tie_free.bottom_values[{{ r }}] as bottom_{{ r }}_value,
        cast(1 as bigint) as bottom_{{ r }}_n,
        cast(1 as bigint) as bottom_{{ r }}_w{% if not loop.last %},{% endif %}
        {%- endfor %}
    from tie_free
    inner join tie_free_interior as interior
        on
            tie_free.edition = interior.edition
            and tie_free.variant_code = interior.variant_code
            and tie_free.framework_code = interior.framework_code
            and tie_free.metric_code = interior.metric_code
    union all
    select * from tied_edge_summary
),
{%- endmacro %}
