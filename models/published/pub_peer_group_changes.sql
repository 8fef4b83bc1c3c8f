with

peer_group_changes as (
    select * from {{ ref('rpt_peer_group_changes') }}
),

final as (
    select * from peer_group_changes
)

select * from final
