with

movers as (
    select * from {{ ref('rpt_movers') }}
),

final as (
    select * from movers
)

select * from final
