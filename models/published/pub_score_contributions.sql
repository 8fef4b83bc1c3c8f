with

score_contributions as (
    select * from {{ ref('fct_score_contributions') }}
),

final as (
    select * from score_contributions
)

select * from final
