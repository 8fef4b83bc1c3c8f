{#
    Steps 1–5 of the method in one pass, one row per edition × region × metric of the
    region's framework, one column per step (COINr's datasets side by side):

    1. denominated — the raw value divided by the region attribute the metric names as
       `denominator` (if any);
    2. imputed — a missing value takes the mean (or median) of the metric's non-missing
       values among the regions of the same framework and edition (`mean`, `median`), or
       among those sharing the metric's `impute_group` attribute (`group_mean`,
       `group_median`; all of them when none is named); `imputation = none` leaves it
       missing;
    3. screened — `is_ranked` from int_region_availability; the later steps are computed for
       the ranked regions only (null for the others);
    4. treated — COINr's outlier treatment for the metrics that declare `treatment =
       winsorise`: treatment_decisions() (macros/scoring/treatment.sql, O(N) by default, a
       windowed chain on Spark) decides per metric, and the bounds or the log fallback are
       applied here, in the same pass;
    5. scored — the treated value transformed and normalised (normalise_score) with the
       statistics of the regions scored together (edition × framework × metric; the
       scoring_statistics macro).

    Written once: every step stays queryable here, and the marts read it once.
#}

with

metric_values as (
    select * from {{ ref('stg_index__metric_values') }}
),

regions as (
    select * from {{ ref('stg_index__regions') }}
),

metrics as (
    select * from {{ ref('int_metrics_weighted') }}
),

attributes as (
    select * from {{ ref('stg_index__region_attributes') }}
),

availability as (
    select * from {{ ref('int_region_availability') }}
),

{#- step 1 -#}
denominated as (
    select
        metric_values.edition,
        regions.framework_code,
        metric_values.region_code,
        metrics.node_code,
        metric_values.metric_code,
        metrics.weight as metric_weight,
        metric_values.value as raw_value,
        metrics.denominator,
        cast(denominator_attribute.value as double) as denominator_value,
        case
            when metrics.denominator is null then metric_values.value
            else metric_values.value / cast(denominator_attribute.value as double)
        end as denominated_value,
        metrics.imputation,
        -- the group column is for group_* imputation; mean and median take the framework's.
        -- (Said here, not in the join: a condition on one side of a left join is no equality,
        -- and DuckDB then joins every value with every attribute, a nested loop.)
        case
            when metrics.imputation in ('group_mean', 'group_median')
                then coalesce(group_attribute.value, '')
            else ''
        end as impute_group_value
    from metric_values
    inner join regions
        on metric_values.region_code = regions.region_code
    inner join metrics
        on
            regions.framework_code = metrics.framework_code
            and metric_values.metric_code = metrics.metric_code
    left join attributes as denominator_attribute
        on
            metric_values.region_code = denominator_attribute.region_code
            and metrics.denominator = denominator_attribute.attribute
    left join attributes as group_attribute
        on
            metric_values.region_code = group_attribute.region_code
            and metrics.impute_group = group_attribute.attribute
),

{#- step 2 -#}
group_stats as (
    select
        edition,
        framework_code,
        metric_code,
        impute_group_value,
        avg(denominated_value) as group_mean,
        {{ median('denominated_value') }} as group_median
    from denominated
    group by edition, framework_code, metric_code, impute_group_value
),

{#- steps 2 and 3 applied -#}
imputed as {{ materialized_cte() }} (
    select
        denominated.*,
        case
            when denominated.denominated_value is not null then denominated.denominated_value
            when denominated.imputation in ('group_mean', 'mean') then group_stats.group_mean
            when denominated.imputation in ('group_median', 'median')
                then group_stats.group_median
        end as imputed_value,
        denominated.denominated_value is null as is_missing,
        denominated.denominated_value is null
        and denominated.imputation != 'none'
        and (group_stats.group_mean is not null) as is_imputed,
        availability.is_ranked
    from denominated
    left join group_stats
        on
            denominated.edition = group_stats.edition
            and denominated.framework_code = group_stats.framework_code
            and denominated.metric_code = group_stats.metric_code
            and denominated.impute_group_value = group_stats.impute_group_value
    inner join availability
        on
            denominated.edition = availability.edition
            and denominated.region_code = availability.region_code
),

{#- step 4: the values treatment_decisions() looks at -#}
to_treat as (
    select
        imputed.edition,
        imputed.framework_code,
        imputed.region_code,
        imputed.metric_code,
        imputed.imputed_value as value,
        coalesce(metrics.winsor_max_points, 5) as max_points,
        coalesce(metrics.skew_threshold, 2.0) as skew_threshold,
        coalesce(metrics.kurtosis_threshold, 3.5) as kurtosis_threshold
    from imputed
    inner join metrics
        on
            imputed.framework_code = metrics.framework_code
            and imputed.metric_code = metrics.metric_code
    where imputed.is_ranked and metrics.treatment = 'winsorise'
),

{{ treatment_decisions() }}

treated as (
    select
        imputed.*,
        decisions.metric_code is not null as is_treated,
        case
            when not imputed.is_ranked then null
            -- a value still missing stays missing (least/greatest would skip the null)
            when imputed.imputed_value is null then null
            when decisions.log_transformed
                then ln(
                    imputed.imputed_value - decisions.original_min
                    + 0.01 * (decisions.original_max - decisions.original_min)
                )
            when decisions.n_winsorised > 0
                then least(
                    greatest(imputed.imputed_value, decisions.lower_bound), decisions.upper_bound
                )
            else imputed.imputed_value
        end as treated_value,
        decisions.skew_before,
        decisions.kurtosis_before,
        coalesce(decisions.n_winsorised, 0) as n_winsorised,
        coalesce(decisions.log_transformed, false) as log_transformed,
        decisions.skew_after,
        decisions.kurtosis_after,
        metrics.direction,
        metrics.normalization,
        {{ transform_value('metrics.lower_bound', 'metrics.transform') }} as t_lower,
        {{ transform_value('metrics.upper_bound', 'metrics.transform') }} as t_upper,
        metrics.transform
    from imputed
    inner join metrics
        on
            imputed.framework_code = metrics.framework_code
            and imputed.metric_code = metrics.metric_code
    left join decisions
        on
            imputed.edition = decisions.edition
            and imputed.framework_code = decisions.framework_code
            and imputed.metric_code = decisions.metric_code
),

{#- step 5 -#}
transformed as {{ materialized_cte() }} (
    select
        treated.*,
        {{ transform_value('treated.treated_value', 'treated.transform') }} as transformed_value
    from treated
),

{{ scoring_statistics('transformed') }}

ranked as (
    select
        positioned.*,
        case
            when transformed_value is null then null
            when n_values = 1 then 0.5
            else (rank_low + (n_tied - 1) / 2.0 - 1) / (n_values - 1)
        end as pct_rank
    from positioned
),

final as (
    select
        edition,
        framework_code,
        region_code,
        node_code,
        metric_code,
        metric_weight,
        raw_value,
        denominator,
        denominator_value,
        denominated_value,
        imputation,
        impute_group_value,
        is_missing,
        is_imputed,
        imputed_value,
        is_ranked,
        is_treated,
        treated_value,
        skew_before,
        kurtosis_before,
        n_winsorised,
        log_transformed,
        skew_after,
        kurtosis_after,
        transformed_value,
        -- a value still missing is not scored: its node's other children carry the weight
        case when is_ranked and transformed_value is not null then {{ normalise_score(
            'normalization', 'direction', 'transformed_value', 't_lower', 't_upper',
            't_min', 't_max', 't_mean', 't_sd', 'pct_rank'
        ) }} end as score
    from ranked
)

select * from final
