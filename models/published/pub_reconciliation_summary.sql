with

report as (
    select * from {{ ref('rpt_reconciliation_summary') }}
),

final as (
    select * from report
)

select * from final
