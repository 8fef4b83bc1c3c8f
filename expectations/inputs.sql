-- Frame for the `inputs` suite: one row per value row of the input. (That every region has
-- exactly one row per metric of its framework is the dbt test
-- tests/dbt/assert_every_region_has_every_metric.sql, which fails the build.)
with

regions as (
    select region_code, framework_code from staging.stg_index__regions
),

-- each framework and catalog row with the editions it applies to (first_edition …
-- last_edition, open when empty): a value row is checked against its edition's rows
metrics as (
    select
        framework_code, metric_code, node_code, plausible_min, plausible_max, imputation,
        denominator, first_edition, last_edition
    from staging.stg_index__metrics
),

roots as (
    select framework_code, min_availability, first_edition, last_edition
    from staging.stg_index__framework_nodes
    where parent_code is null
),

attributes as (
    select region_code, attribute, value, try_cast(value as double) as numeric_value
    from staging.stg_index__region_attributes
),

observed as (
    select edition, region_code, metric_code, value_text, value
    from staging.stg_index__metric_values
),

observed_rows as (
    select
        observed.edition,
        observed.region_code,
        observed.metric_code,
        observed.value_text,
        observed.value,
        regions.framework_code as region_framework,
        case
            when regions.region_code is null then 'n/a (unknown region)'
            else metrics.node_code
        end as metric_indicator,
        metrics.plausible_min,
        metrics.plausible_max,
        (observed.value_text is null or (metrics.denominator is not null and attributes.value is null))
        and metrics.imputation = 'none'
        and coalesce(roots.min_availability, 0) >= 1 as missing_not_allowed,
        -- a missing denominator makes the value missing (imputed like any other); a zero or
        -- non-numeric one is an error
        case
            when metrics.denominator is null or attributes.value is null then true
            else coalesce(attributes.numeric_value, 0) != 0
        end as denominator_usable
    from observed
    left join regions on observed.region_code = regions.region_code
    left join metrics
        on regions.framework_code = metrics.framework_code
        and observed.metric_code = metrics.metric_code
        and coalesce(metrics.first_edition <= observed.edition, true)
        and coalesce(observed.edition <= metrics.last_edition, true)
    left join roots
        on regions.framework_code = roots.framework_code
        and coalesce(roots.first_edition <= observed.edition, true)
        and coalesce(observed.edition <= roots.last_edition, true)
    left join attributes
        on observed.region_code = attributes.region_code
        and metrics.denominator = attributes.attribute
),

checked as (
    select
        observed_rows.*,
        case
            when observed_rows.value is null or observed_rows.plausible_min is null then null
            else observed_rows.value between observed_rows.plausible_min and observed_rows.plausible_max
        end as within_plausible_range
    from observed_rows
)

-- Every check is computed for every row above; only rows failing at least one of them reach
-- Great Expectations (a clean input gives an empty frame), so GX never reads the whole table.
select *
from checked
where not (
    region_framework is not null
    and metric_indicator is not null
    and (value_text is null or regexp_full_match(value_text, '{{ value_text_regex }}'))
    and coalesce(not missing_not_allowed, true)
    and coalesce(denominator_usable, true)
    and coalesce(within_plausible_range, true)
)
order by edition, region_code, metric_code
