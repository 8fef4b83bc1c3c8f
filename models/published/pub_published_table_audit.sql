with

report as (
    select * from {{ ref('rpt_published_table_audit') }}
),

final as (
    select * from report
)

select * from final
