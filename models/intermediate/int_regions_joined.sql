{# The regions with the name of the index (framework) they are ranked in. #}

with

regions as (
    select * from {{ ref('stg_index__regions') }}
),

roots as (
    select
        framework_code,
        name_zh as framework_name_zh,
        name_en as framework_name_en
    from {{ ref('int_indicators_weighted') }}
    where parent_code is null
),

final as (
    select
        regions.*,
        roots.framework_name_zh,
        roots.framework_name_en
    from regions
    left join roots on regions.framework_code = roots.framework_code
)

select * from final
