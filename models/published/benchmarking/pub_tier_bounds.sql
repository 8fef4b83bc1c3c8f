with

tier_bounds as (
    select * from {{ ref('fct_tier_bounds') }}
),

final as (
    select * from tier_bounds
)

select * from final
