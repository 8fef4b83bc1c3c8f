with

score_changes as (
    select * from {{ ref('fct_score_changes') }}
),

final as (
    select * from score_changes
)

select * from final
