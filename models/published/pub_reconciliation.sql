with

report as (
    select * from {{ ref('rpt_reconciliation') }}
),

final as (
    select * from report
)

select * from final
