-- The children's contributions to a node's change add up to the change (within
-- var('score_tolerance')) for every like-for-like link and node, and every change of
-- fct_score_changes on a like-for-like link is decomposed.
with

contributions as (
    select * from {{ ref('fct_score_change_contributions') }}
),

changes as (
    select * from {{ ref('fct_score_changes') }}
    where is_like_for_like
),

summed as (
    select
        edition,
        region_code,
        previous_region_code,
        node_code,
        sum(contribution) as total
    from contributions
    group by edition, region_code, previous_region_code, node_code
),

compared as (
    select
        changes.edition,
        changes.region_code,
        changes.previous_region_code,
        changes.node_code,
        changes.score_change,
        summed.total
    from changes
    left join summed
        on
            changes.edition = summed.edition
            and changes.region_code = summed.region_code
            and changes.previous_region_code = summed.previous_region_code
            and changes.node_code = summed.node_code
)

select * from compared
where total is null or abs(total - score_change) > {{ var('score_tolerance') }}
