with

sensitivity as (
    select * from {{ ref('rpt_sensitivity_indices') }}
),

final as (
    select * from sensitivity
)

select * from final
