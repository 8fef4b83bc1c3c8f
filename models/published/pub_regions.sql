with

regions as (
    select * from {{ ref('dim_regions') }}
),

final as (
    select * from regions
)

select * from final
