with

rank_uncertainty as (
    select * from {{ ref('fct_rank_uncertainty') }}
),

final as (
    select * from rank_uncertainty
)

select * from final
