with

region_typology as (
    select * from {{ ref('fct_region_typology') }}
),

final as (
    select * from region_typology
)

select * from final
