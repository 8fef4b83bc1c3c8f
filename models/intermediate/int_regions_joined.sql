{# The regions with the name of the index (framework) they are ranked in. #}

with

regions as (
    select * from {{ ref('stg_index__regions') }}
),

{# the framework's name as its latest edition gives it #}
named as (
    select
        framework_code,
        edition,
        name_zh as framework_name_zh,
        name_en as framework_name_en,
        max(edition) over (partition by framework_code) as latest_edition
    from {{ ref('int_indicators_weighted') }}
    where parent_code is null and series = 'published'
),

roots as (
    select * from named
    where edition = latest_edition
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
