{#
    Variance-based sensitivity indices of each uncertain choice, per edition × peer group ×
    output (int_sensitivity_terms), from the Saltelli design's N base rows:

        first order  S_i  = mean_j y_B(y_AB_i − y_A) / V    (Saltelli et al. 2010)
        total effect ST_i = mean_j (y_A − y_AB_i)² / 2 / V  (Jansen 1999)

    with V the variance of the A and B runs together — SALib's sobol.analyze
    (calc_second_order=False) to the last digits. For `composite_rank`, a vector of ranks
    (one per region), the numerators and variances are summed over the regions before
    dividing (Gamboa et al. 2014's indices of a multivariate output: each region's rank
    weighs by its variance). An output that never varies gets 0, as in SALib.

    The 90 % intervals are percentile bootstrap intervals: each estimator again on each of
    the staged resamples of the base rows (stg_uncertainty__bootstrap, SALib's resamples
    under the same seed), its 5th and 95th percentiles. Sums add exactly (stable_sum), so
    the same sample gives the same indices to the last bit.
#}

{%- set total_variance = stable_sum('variances.variance', 'variances.region_code') %}

with

terms as (
    select * from {{ ref('int_sensitivity_terms') }}
),

bootstrap as (
    select * from {{ ref('stg_uncertainty__bootstrap') }}
),

choices as (
    select * from {{ ref('stg_uncertainty__choices') }}
),

settings as (
    select * from {{ ref('stg_uncertainty__settings') }}
),

{#- the A and B runs once per base row (every choice's terms repeat them) -#}
runs as (
    select distinct
        edition,
        framework_code,
        output_code,
        region_code,
        base_row,
        y_a,
        y_b
    from terms
),

{#- resample 0: the sample itself (each base row once); 1..R: the bootstrap -#}
weights as (
    select distinct
        0 as resample_id,
        base_row,
        1 as n_times
    from terms
    union all
    select
        resample_id,
        base_row,
        n_times
    from bootstrap
),

variances as (
    select
        runs.edition,
        runs.framework_code,
        runs.output_code,
        runs.region_code,
        weights.resample_id,
        {{ stable_sum(
            'weights.n_times * (runs.y_a * runs.y_a + runs.y_b * runs.y_b)', 'runs.base_row'
        ) }} / (2.0 * sum(weights.n_times))
        - power(
            {{ stable_sum('weights.n_times * (runs.y_a + runs.y_b)', 'runs.base_row') }}
            / (2.0 * sum(weights.n_times)),
            2
        ) as variance
    from runs
    inner join weights on runs.base_row = weights.base_row
    group by
        runs.edition,
        runs.framework_code,
        runs.output_code,
        runs.region_code,
        weights.resample_id
),

numerators as (
    select
        terms.edition,
        terms.framework_code,
        terms.output_code,
        terms.region_code,
        terms.choice_code,
        weights.resample_id,
        {{ stable_sum('weights.n_times * terms.y_b * (terms.y_ab - terms.y_a)', 'terms.base_row') }}
        / sum(weights.n_times) as first_order,
        {{ stable_sum(
            'weights.n_times * 0.5 * power(terms.y_a - terms.y_ab, 2)', 'terms.base_row'
        ) }} / sum(weights.n_times) as total_effect
    from terms
    inner join weights on terms.base_row = weights.base_row
    group by
        terms.edition,
        terms.framework_code,
        terms.output_code,
        terms.region_code,
        terms.choice_code,
        weights.resample_id
),

estimates as (
    select
        numerators.edition,
        numerators.framework_code,
        numerators.output_code,
        numerators.choice_code,
        numerators.resample_id,
        case
            when {{ total_variance }} > 0
                then {{ stable_sum('numerators.first_order', 'numerators.region_code') }}
                / {{ total_variance }}
            else 0.0
        end as s1,
        case
            when {{ total_variance }} > 0
                then {{ stable_sum('numerators.total_effect', 'numerators.region_code') }}
                / {{ total_variance }}
            else 0.0
        end as st
    from numerators
    inner join variances
        on
            numerators.edition = variances.edition
            and numerators.framework_code = variances.framework_code
            and numerators.output_code = variances.output_code
            and numerators.region_code = variances.region_code
            and numerators.resample_id = variances.resample_id
    group by
        numerators.edition,
        numerators.framework_code,
        numerators.output_code,
        numerators.choice_code,
        numerators.resample_id
),

intervals as (
    select
        edition,
        framework_code,
        output_code,
        choice_code,
        {{ quantile_cont('s1', 0.05) }} as s1_lower,
        {{ quantile_cont('s1', 0.95) }} as s1_upper,
        {{ quantile_cont('st', 0.05) }} as st_lower,
        {{ quantile_cont('st', 0.95) }} as st_upper
    from estimates
    where resample_id > 0
    group by edition, framework_code, output_code, choice_code
),

final as (
    select
        point.edition,
        point.framework_code,
        point.output_code,
        point.choice_code,
        choices.kind as choice_kind,
        choices.name_en as choice_name_en,
        choices.name_zh as choice_name_zh,
        choices.position as choice_position,
        cast(point.s1 as double) as s1,
        cast(intervals.s1_lower as double) as s1_lower,
        cast(intervals.s1_upper as double) as s1_upper,
        cast(point.st as double) as st,
        cast(intervals.st_lower as double) as st_lower,
        cast(intervals.st_upper as double) as st_upper,
        settings.sensitivity_samples as n_base_samples,
        settings.bootstrap_resamples as n_resamples
    from estimates as point
    inner join choices on point.choice_code = choices.choice_code
    cross join settings
    left join intervals
        on
            point.edition = intervals.edition
            and point.framework_code = intervals.framework_code
            and point.output_code = intervals.output_code
            and point.choice_code = intervals.choice_code
    where point.resample_id = 0
)

select * from final
