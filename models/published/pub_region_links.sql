with

region_links as (
    select * from {{ ref('fct_region_links') }}
),

final as (
    select * from region_links
)

select * from final
