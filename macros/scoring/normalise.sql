{#
    Scoring maths shared by the intermediate models. Each macro returns a SQL expression;
    the arguments are SQL expressions (usually column names). Documented in
    _scoring__macros.yml; covered by the unit tests of int_metric_values_scored and
    the int_*_scores_aggregated models.
#}

{% macro transform_value(value, transform) -%}
    case
        when {{ transform }} = 'log' then ln({{ value }})
        when {{ transform }} = 'none' then {{ value }}
    end
{%- endmacro %}


{% macro normalise_score(method, direction, x, lower_bound, upper_bound, t_min, t_max, t_mean, t_sd, pct_rank) -%}
    {#-
        A 0–100 score (z-scores: unbounded) of the transformed value `x` by `method`.
        `lower_bound`/`upper_bound` are the metric's parameters, already transformed;
        t_min, t_max, t_mean, t_sd are the transformed values' statistics over the regions
        scored together (edition × framework × metric); pct_rank is the position of
        direction·x among them, 0 (worst) to 1 (best), ties averaged.
    -#}
    {%- set up_minmax = '100.0 * ((' ~ x ~ ') - (' ~ t_min ~ ')) / ((' ~ t_max ~ ') - (' ~ t_min ~ '))' -%}
    {%- set down_minmax = '100.0 * ((' ~ t_max ~ ') - (' ~ x ~ ')) / ((' ~ t_max ~ ') - (' ~ t_min ~ '))' -%}
    {%- set minmax = 'case when (' ~ t_max ~ ') = (' ~ t_min ~ ') then 50.0 when ' ~ direction
        ~ ' = -1 then ' ~ down_minmax ~ ' else ' ~ up_minmax ~ ' end' -%}
    case
        when {{ method }} = 'goalpost' then
            {{ clamp(
                'case when ' ~ direction ~ ' = -1'
                ~ ' then 100.0 * ((' ~ upper_bound ~ ') - (' ~ x ~ ')) / ((' ~ upper_bound ~ ') - (' ~ lower_bound ~ '))'
                ~ ' else 100.0 * ((' ~ x ~ ') - (' ~ lower_bound ~ ')) / ((' ~ upper_bound ~ ') - (' ~ lower_bound ~ '))'
                ~ ' end',
                0, 100) }}
        when {{ method }} = 'minmax' then {{ minmax }}
        when {{ method }} = 'efficacy' then 60.0 + 0.4 * ({{ minmax }})
        when {{ method }} = 'zscore' then
            case
                when coalesce({{ t_sd }}, 0) = 0 then 0.0
                else {{ direction }} * (({{ x }}) - ({{ t_mean }})) / ({{ t_sd }})
            end
        when {{ method }} = 'rank' then 100.0 * {{ pct_rank }}
        when {{ method }} = 'target' then
            {{ clamp(
                'case when ' ~ direction ~ ' = -1'
                ~ ' then 100.0 * ((' ~ t_max ~ ') - (' ~ x ~ ')) / ((' ~ t_max ~ ') - (' ~ upper_bound ~ '))'
                ~ ' else 100.0 * ((' ~ x ~ ') - (' ~ t_min ~ ')) / ((' ~ upper_bound ~ ') - (' ~ t_min ~ '))'
                ~ ' end',
                0, 100) }}
    end
{%- endmacro %}


{% macro score_to_transformed(method, direction, score, lower_bound, upper_bound, t_min, t_max) -%}
    {#-
        The inverse of normalise_score where it is linear in the value: the transformed value
        that `method` scores `score` (before the clamps at 0 and 100 of goalpost and target),
        with the same arguments. Null for zscore and rank (whose score depends on the other
        regions' values as a whole) and where the method's range is empty.
    -#}
    {%- set s = '(' ~ score ~ ')' -%}
    {%- set e = '((' ~ score ~ ') - 60.0) / 0.4' -%}
    case
        when {{ method }} = 'goalpost' and ({{ upper_bound }}) != ({{ lower_bound }}) then
            case
                when {{ direction }} = -1
                    then ({{ upper_bound }}) - {{ s }} / 100.0 * (({{ upper_bound }}) - ({{ lower_bound }}))
                else ({{ lower_bound }}) + {{ s }} / 100.0 * (({{ upper_bound }}) - ({{ lower_bound }}))
            end
        when {{ method }} in ('minmax', 'efficacy') and ({{ t_max }}) != ({{ t_min }}) then
            case
                when {{ direction }} = -1
                    then ({{ t_max }}) - (case when {{ method }} = 'efficacy' then {{ e }} else {{ s }} end)
                    / 100.0 * (({{ t_max }}) - ({{ t_min }}))
                else ({{ t_min }}) + (case when {{ method }} = 'efficacy' then {{ e }} else {{ s }} end)
                    / 100.0 * (({{ t_max }}) - ({{ t_min }}))
            end
        when {{ method }} = 'target' and {{ direction }} = -1 and ({{ t_max }}) != ({{ upper_bound }})
            then ({{ t_max }}) - {{ s }} / 100.0 * (({{ t_max }}) - ({{ upper_bound }}))
        when {{ method }} = 'target' and {{ direction }} != -1 and ({{ upper_bound }}) != ({{ t_min }})
            then ({{ t_min }}) + {{ s }} / 100.0 * (({{ upper_bound }}) - ({{ t_min }}))
    end
{%- endmacro %}


{% macro clamp(expression, low, high) -%}
    least(cast({{ high }} as double), greatest(cast({{ low }} as double), {{ expression }}))
{%- endmacro %}


{% macro weighted_partials(value, weight, single=false, order_by=none) -%}
    {#-
        The partial sums a weighted mean of any method is finished from (see
        weighted_mean_of_partials): as aggregates over a GROUP BY, adding the rows in the
        order of `order_by` (stable_sum), or — single=true — for one child row. Partial sums
        of disjoint sets of children add up.
    -#}
    {%- if single -%}
        {{ weight }} as sum_weight,
        {{ weight }} * {{ value }} as sum_weighted,
        case when {{ value }} > 0 then {{ weight }} * ln({{ value }}) end as sum_weighted_log,
        case when {{ value }} > 0 then {{ weight }} / {{ value }} end as sum_weighted_inverse,
        {{ value }} as min_score,
        1 as n_children
    {%- else -%}
        {{ stable_sum(weight, order_by) }} as sum_weight,
        {{ stable_sum(weight ~ ' * ' ~ value, order_by) }} as sum_weighted,
        {{ stable_sum(
            'case when ' ~ value ~ ' > 0 then ' ~ weight ~ ' * ln(' ~ value ~ ') end', order_by
        ) }} as sum_weighted_log,
        {{ stable_sum(
            'case when ' ~ value ~ ' > 0 then ' ~ weight ~ ' / ' ~ value ~ ' end', order_by
        ) }} as sum_weighted_inverse,
        min({{ value }}) as min_score,
        count(*) as n_children
    {%- endif -%}
{%- endmacro %}


{% macro weighted_mean_of_partials(partials, method, order_by) -%}
    {#- weighted_mean, finished from summed partials (an aggregate over `partials` rows). -#}
    case
        when {{ method }} = 'arithmetic' then
            {{ stable_sum(partials ~ '.sum_weighted', order_by) }}
                / {{ stable_sum(partials ~ '.sum_weight', order_by) }}
        when min({{ partials }}.min_score) <= 0 then 0.0
        when {{ method }} = 'geometric' then
            exp({{ stable_sum(partials ~ '.sum_weighted_log', order_by) }}
                / {{ stable_sum(partials ~ '.sum_weight', order_by) }})
        when {{ method }} = 'harmonic' then
            {{ stable_sum(partials ~ '.sum_weight', order_by) }}
                / {{ stable_sum(partials ~ '.sum_weighted_inverse', order_by) }}
    end
{%- endmacro %}


{% macro skew_kurtosis_from_sums(n, p1, p2, p3, p4) -%}
    {#-
        COINr's bias-corrected sample skewness G1 and excess kurtosis G2 (as `skew`, `kurtosis`)
        from the count and the first four power sums of the values' deviations from a centre
        (any centre near the mean: the central moments are recovered exactly). Null when
        n < 4 or the values are constant (m2 ≤ 1e-12 of the mean square deviation).
    -#}
    case
        when {{ n }} >= 4 and {{ _central_m2(n, p1, p2) }} > 1e-12 * ({{ p2 }}) / {{ n }}
            then {{ _central_m3(n, p1, p2, p3) }} / power({{ _central_m2(n, p1, p2) }}, 1.5)
            * sqrt(cast({{ n }} * ({{ n }} - 1) as double)) / ({{ n }} - 2)
    end as skew,
    case
        when {{ n }} >= 4 and {{ _central_m2(n, p1, p2) }} > 1e-12 * ({{ p2 }}) / {{ n }}
            then (
                ({{ n }} + 1)
                * ({{ _central_m4(n, p1, p2, p3, p4) }} / power({{ _central_m2(n, p1, p2) }}, 2) - 3)
                + 6
            ) * ({{ n }} - 1) / (({{ n }} - 2) * ({{ n }} - 3))
    end as kurtosis
{%- endmacro %}

{% macro _central_m2(n, p1, p2) -%}
    (({{ p2 }}) / {{ n }} - power(({{ p1 }}) / {{ n }}, 2))
{%- endmacro %}

{% macro _central_m3(n, p1, p2, p3) -%}
    (({{ p3 }}) / {{ n }} - 3 * (({{ p1 }}) / {{ n }}) * (({{ p2 }}) / {{ n }})
     + 2 * power(({{ p1 }}) / {{ n }}, 3))
{%- endmacro %}

{% macro _central_m4(n, p1, p2, p3, p4) -%}
    (({{ p4 }}) / {{ n }} - 4 * (({{ p1 }}) / {{ n }}) * (({{ p3 }}) / {{ n }})
     + 6 * power(({{ p1 }}) / {{ n }}, 2) * (({{ p2 }}) / {{ n }})
     - 3 * power(({{ p1 }}) / {{ n }}, 4))
{%- endmacro %}


{#
    The statistics normalise_score needs, per edition × framework × metric over the ranked
    regions' transformed values, beside every row of `relation` (a CTE with edition,
    framework_code, region_code, metric_code, is_ranked, normalization, direction,
    transformed_value): t_min, t_max, t_mean, t_sd, n_values, and for the metrics
    normalised by rank the value's rank (rank_low, lowest first after direction) and its
    number of ties (n_tied). Continues a WITH and ends with a `positioned` CTE.
    Default: aggregates joined back (a hash aggregate; the sort only for rank metrics);
    Spark: window functions, so that `relation` — which Spark inlines at every reference,
    the treatment chain with it — is read once.
#}
{% macro scoring_statistics(relation) -%}
    {{ return(adapter.dispatch('scoring_statistics', 'digindex')(relation)) }}
{%- endmacro %}


{% macro default__scoring_statistics(relation) -%}
metric_stats as (
    select
        edition,
        variant_code,
        framework_code,
        metric_code,
        min(transformed_value) as t_min,
        max(transformed_value) as t_max,
        avg(transformed_value) as t_mean,
        stddev_samp(transformed_value) as t_sd,
        count(transformed_value) as n_values
    from {{ relation }}
    where is_ranked
    group by edition, variant_code, framework_code, metric_code
),

rank_positions as (
    select
        edition,
        variant_code,
        region_code,
        metric_code,
        rank() over (
            partition by edition, variant_code, framework_code, metric_code
            order by direction * transformed_value asc nulls last
        ) as rank_low,
        count(transformed_value) over (
            partition by
                edition, variant_code, framework_code, metric_code, transformed_value
        ) as n_tied
    from {{ relation }}
    where is_ranked and normalization = 'rank'
),

positioned as (
    select
        {{ relation }}.*,
        metric_stats.t_min,
        metric_stats.t_max,
        metric_stats.t_mean,
        metric_stats.t_sd,
        metric_stats.n_values,
        rank_positions.rank_low,
        rank_positions.n_tied
    from {{ relation }}
    left join metric_stats
        on
            {{ relation }}.edition = metric_stats.edition
            and {{ relation }}.variant_code = metric_stats.variant_code
            and {{ relation }}.framework_code = metric_stats.framework_code
            and {{ relation }}.metric_code = metric_stats.metric_code
    left join rank_positions
        on
            {{ relation }}.edition = rank_positions.edition
            and {{ relation }}.variant_code = rank_positions.variant_code
            and {{ relation }}.region_code = rank_positions.region_code
            and {{ relation }}.metric_code = rank_positions.metric_code
),
{%- endmacro %}


{% macro spark__scoring_statistics(relation) -%}
{%- set ranked_value = 'case when is_ranked then transformed_value end' -%}
{%- set scored_together = 'partition by edition, variant_code, framework_code, metric_code' -%}
positioned as (
    select
        *,
        min({{ ranked_value }}) over ({{ scored_together }}) as t_min,
        max({{ ranked_value }}) over ({{ scored_together }}) as t_max,
        avg({{ ranked_value }}) over ({{ scored_together }}) as t_mean,
        stddev_samp({{ ranked_value }}) over ({{ scored_together }}) as t_sd,
        count({{ ranked_value }}) over ({{ scored_together }}) as n_values,
        rank() over (
            {{ scored_together }}, is_ranked
            order by direction * transformed_value asc nulls last
        ) as rank_low,
        count(transformed_value) over ({{ scored_together }}, is_ranked, transformed_value)
            as n_tied
    from {{ relation }}
),
{%- endmacro %}


{% macro positive_or_null(column) -%}
    {#- `column` where it can be a logarithm's argument or a divisor, null otherwise (an
        engine may evaluate a CASE's branches for rows another branch takes) -#}
    case when {{ column }} > 0 then {{ column }} end
{%- endmacro %}


{% macro edition_in_range(edition, relation) -%}
    {#- whether a framework or catalog row (`relation`: its first_edition, last_edition;
        empty ends are open) applies to `edition` -#}
    (
        coalesce({{ relation }}.first_edition <= {{ edition }}, true)
        and coalesce({{ edition }} <= {{ relation }}.last_edition, true)
    )
{%- endmacro %}
