with

report as (
    select * from {{ ref('rpt_peer_group_summary') }}
),

final as (
    select * from report
)

select * from final
