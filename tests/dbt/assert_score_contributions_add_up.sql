-- The contributions of fct_score_contributions add up (within var('score_tolerance')): for
-- every region and scored node, its children's contributions and its metrics' contributions
-- each sum to its score, and its children's gaps to the peer-group mean sum to its own gap
-- (fct_indicator_scores' score − peer_mean). Every scored node with children is covered.
with

contributions as (
    select * from {{ ref('fct_score_contributions') }}
),

node_scores as (
    select * from {{ ref('fct_indicator_scores') }}
),

summed as (
    select
        edition,
        framework_code,
        region_code,
        ancestor_code,
        sum(case when distance = 1 then contribution end) as children_total,
        sum(case when node_kind = 'metric' then contribution end) as metrics_total,
        sum(case when distance = 1 then gap_to_peer_mean end) as children_gap
    from contributions
    group by edition, framework_code, region_code, ancestor_code
),

compared as (
    select
        node_scores.edition,
        node_scores.framework_code,
        node_scores.region_code,
        node_scores.node_code,
        node_scores.score,
        node_scores.score - node_scores.peer_mean as gap,
        summed.children_total,
        summed.metrics_total,
        summed.children_gap
    from node_scores
    left join summed
        on
            node_scores.edition = summed.edition
            and node_scores.framework_code = summed.framework_code
            and node_scores.region_code = summed.region_code
            and node_scores.node_code = summed.ancestor_code
)

select * from compared
where
    children_total is null
    or abs(children_total - score) > {{ var('score_tolerance') }}
    or abs(metrics_total - score) > {{ var('score_tolerance') }}
    or abs(children_gap - gap) > {{ var('score_tolerance') }}
