-- The children's contributions to a node's comparable change add up to the change
-- (within var('score_tolerance')) for every like-for-like link and node, and every
-- comparable change of fct_score_changes is decomposed.
with

contributions as (
    select * from {{ ref('fct_score_change_contributions') }}
),

changes as (
    select * from {{ ref('fct_score_changes') }}
    where comparable_score_change is not null
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
        changes.comparable_score_change,
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
where total is null or abs(total - comparable_score_change) > {{ var('score_tolerance') }}
