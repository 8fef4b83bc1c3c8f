with

source as (
    select * from {{ ref('metric_catalog') }}
),

renamed as (
    select
        cast(framework_code as string) as framework_code,
        cast(metric_code as string) as metric_code,
        cast(node_code as string) as node_code,
        cast(name_zh as string) as name_zh,
        cast(name_en as string) as name_en,
        cast(unit as string) as unit,
        cast(value_type as string) as value_type,
        cast(decimals as integer) as decimals,
        cast(weight as double) as weight,
        cast(direction as integer) as direction,
        cast(lower(trim(transform)) as string) as transform,
        cast(lower(trim(normalization)) as string) as normalization,
        cast(lower as double) as lower_bound,
        cast(upper as double) as upper_bound,
        cast(plausible_min as double) as plausible_min,
        cast(plausible_max as double) as plausible_max,
        cast(source_hint as string) as source_hint
    from source
)

select * from renamed
