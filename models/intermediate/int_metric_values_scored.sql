{#
    Steps 4–5 of the method, one row per edition × scoring variant × region × metric of the
    region's framework: the values of steps 1–3 (int_metric_values_imputed) with a column per later
    step (COINr's Treated and Normalised datasets beside them):

    4. treated — COINr's outlier treatment for the metrics that declare `treatment =
       winsorise`, for the ranked regions: treatment_decisions() (macros/scoring/
       treatment.sql) decides per metric from a summary row of each (its count, centre,
       power sums and few extreme values), and the bounds or the log fallback are applied
       here, in the same pass;
    5. scored — the treated value transformed and normalised (normalise_score) with the
       statistics of the regions scored together (edition × framework × metric; the
       scoring_statistics macro).

    Every step stays queryable here, and the marts read it once.
#}

with

imputed as (
    select * from {{ ref('int_metric_values_imputed') }}
),

metrics as (
    select * from {{ ref('int_metric_variants') }}
),

{#- step 4: the values treatment_decisions() looks at -#}
to_treat as (
    select
        imputed.edition,
        imputed.variant_code,
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
            imputed.edition = metrics.edition
            and imputed.framework_code = metrics.framework_code
            and imputed.variant_code = metrics.variant_code
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
            imputed.edition = metrics.edition
            and imputed.framework_code = metrics.framework_code
            and imputed.variant_code = metrics.variant_code
            and imputed.metric_code = metrics.metric_code
    left join decisions
        on
            imputed.edition = decisions.edition
            and imputed.variant_code = decisions.variant_code
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
        variant_code,
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
