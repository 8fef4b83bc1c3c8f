with

score_change_contributions as (
    select * from {{ ref('fct_score_change_contributions') }}
),

final as (
    select * from score_change_contributions
)

select * from final
