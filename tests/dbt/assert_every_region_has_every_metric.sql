-- Every region has exactly one value row for every metric of its framework, in every
-- edition that has values (the value may be empty: missing data is then imputed or
-- screened): lists the absent and the duplicated region × metric pairs.
with

regions as (
    select * from {{ ref('stg_index__regions') }}
),

metrics as (
    select * from {{ ref('stg_index__metrics') }}
),

metric_values as (
    select * from {{ ref('stg_index__metric_values') }}
),

editions as (
    select distinct edition from metric_values
),

expected as (
    select
        editions.edition,
        regions.region_code,
        metrics.metric_code
    from editions
    cross join regions
    inner join metrics on regions.framework_code = metrics.framework_code
),

observed as (
    select
        edition,
        region_code,
        metric_code,
        count(*) as n_values
    from metric_values
    group by edition, region_code, metric_code
),

final as (
    select
        expected.edition,
        expected.region_code,
        expected.metric_code,
        coalesce(observed.n_values, 0) as n_values
    from expected
    left join observed
        on
            expected.edition = observed.edition
            and expected.region_code = observed.region_code
            and expected.metric_code = observed.metric_code
    where coalesce(observed.n_values, 0) != 1
)

select * from final
