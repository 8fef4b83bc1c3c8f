with

source as (
    select * from {{ ref('framework_nodes') }}
),

renamed as (
    select
        cast(framework_code as string) as framework_code,
        cast(node_code as string) as node_code,
        cast(nullif(trim(parent_code), '') as string) as parent_code,
        cast(level as integer) as level,
        cast(name_zh as string) as name_zh,
        cast(name_en as string) as name_en,
        cast(local_weight_pct as double) / 100.0 as local_weight,
        cast(lower(trim(aggregation)) as string) as aggregation,
        cast(sort_order as integer) as sort_order
    from source
)

select * from renamed
