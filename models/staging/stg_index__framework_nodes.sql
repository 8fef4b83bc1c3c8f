with

source as (
    select * from {{ index_source('framework_nodes') }}
),

renamed as (
    select
        cast(framework_code as string) as framework_code,
        cast(node_code as string) as node_code,
        cast(nullif(trim(parent_code), '') as string) as parent_code,
        {{ cast_or_null('level', 'integer') }} as level,
        cast(name_zh as string) as name_zh,
        cast(name_en as string) as name_en,
        {{ cast_or_null('local_weight_pct', 'double') }} / 100.0 as local_weight,
        cast(lower(trim(aggregation)) as string) as aggregation,
        {{ cast_or_null('sort_order', 'integer') }} as sort_order,
        {{ cast_or_null('min_availability', 'double') }} as min_availability,
        {{ cast_or_null('first_edition', 'integer') }} as first_edition,
        {{ cast_or_null('last_edition', 'integer') }} as last_edition
    from source
)

select * from renamed
