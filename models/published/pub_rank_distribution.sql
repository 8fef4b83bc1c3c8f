with

distribution as (
    select * from {{ ref('fct_rank_distribution') }}
),

final as (
    select * from distribution
)

select * from final
