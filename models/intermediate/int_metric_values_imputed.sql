{#
    Step 2: a missing value takes the mean (or median) of the metric's non-missing values
    among the regions of the same framework and edition that share the metric's
    `impute_group` attribute (all of them when no group is named). `imputation = none`
    leaves it missing.
#}

with

denominated as (
    select * from {{ ref('int_metric_values_denominated') }}
),

metrics as (
    select * from {{ ref('int_metrics_weighted') }}
),

attributes as (
    select * from {{ ref('stg_index__region_attributes') }}
),

grouped as (
    select
        denominated.*,
        metrics.imputation,
        metrics.impute_group,
        coalesce(attributes.value, '') as group_value
    from denominated
    inner join metrics
        on
            denominated.framework_code = metrics.framework_code
            and denominated.metric_code = metrics.metric_code
    left join attributes
        on
            denominated.region_code = attributes.region_code
            and metrics.impute_group = attributes.attribute
),

group_stats as (
    select
        edition,
        framework_code,
        metric_code,
        group_value,
        avg(value) as group_mean,
        {{ median('value') }} as group_median
    from grouped
    group by edition, framework_code, metric_code, group_value
),

final as (
    select
        grouped.edition,
        grouped.framework_code,
        grouped.region_code,
        grouped.node_code,
        grouped.metric_code,
        grouped.value as denominated_value,
        case
            when grouped.value is not null then grouped.value
            when grouped.imputation in ('group_mean', 'mean') then group_stats.group_mean
            when grouped.imputation in ('group_median', 'median') then group_stats.group_median
        end as value,
        grouped.value is null as is_missing,
        grouped.value is null
        and grouped.imputation != 'none'
        and (group_stats.group_mean is not null) as is_imputed,
        grouped.imputation,
        grouped.group_value as impute_group_value
    from grouped
    left join group_stats
        on
            grouped.edition = group_stats.edition
            and grouped.framework_code = group_stats.framework_code
            and grouped.metric_code = group_stats.metric_code
            and grouped.group_value = group_stats.group_value
)

select * from final
