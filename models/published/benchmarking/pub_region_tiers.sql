with

region_tiers as (
    select * from {{ ref('fct_region_tiers') }}
),

final as (
    select * from region_tiers
)

select * from final
