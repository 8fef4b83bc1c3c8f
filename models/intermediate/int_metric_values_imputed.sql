{#
    Steps 1–3 of the method, one row per edition × scoring variant × region × metric of the
    region's framework (variant 'nominal': the index as declared; int_metric_variants), one column per step (COINr's Denominated and Imputed datasets and the
    screening side by side):

    1. denominated — the raw value divided by the region attribute the metric names as
       `denominator` (if any);
    2. imputed — a missing value takes the mean (or median) of the metric's non-missing
       values among the regions of the same framework and edition (`mean`, `median`), or
       among those sharing the metric's `impute_group` attribute (`group_mean`,
       `group_median`; all of them when none is named); `imputation = none` leaves it
       missing;
    3. screened — `is_ranked` from int_region_availability.

    A table of its own: int_metric_values_scored reads it three times (the treatment's
    per-metric summaries, its distinct values and the values treated), and an engine that
    inlines CTEs (Spark) would otherwise compute these joins at every reading.
#}

with

metric_values as (
    select * from {{ ref('stg_index__metric_values') }}
),

regions as (
    select * from {{ ref('stg_index__regions') }}
),

metrics as (
    select * from {{ ref('int_metric_variants') }}
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
        metrics.variant_code,
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
            metric_values.edition = metrics.edition
            and regions.framework_code = metrics.framework_code
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
        variant_code,
        framework_code,
        metric_code,
        impute_group_value,
        avg(denominated_value) as group_mean,
        {{ median('denominated_value') }} as group_median
    from denominated
    group by edition, variant_code, framework_code, metric_code, impute_group_value
),

{#- steps 2 and 3 applied -#}
imputed as (
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
            and denominated.variant_code = group_stats.variant_code
            and denominated.framework_code = group_stats.framework_code
            and denominated.metric_code = group_stats.metric_code
            and denominated.impute_group_value = group_stats.impute_group_value
    inner join availability
        on
            denominated.edition = availability.edition
            and denominated.region_code = availability.region_code
)

select * from imputed
