with

region_peers as (
    select * from {{ ref('fct_region_peers') }}
),

final as (
    select * from region_peers
)

select * from final
