with

indicators as (
    select * from {{ ref('dim_indicators') }}
),

final as (
    select * from indicators
)

select * from final
