{#
    Each region's nearest peers (对标): the var('peers_k') regions most like it on its
    standardised profile (int_region_peers_found: the nodes of var('peer_profile_level'),
    distance 1 = one standard deviation apart on every node), per scope — the peer group,
    the regions ranked above it (`better`: those to learn from), the same province — with
    their rank and composite, and the profile nodes where the peer is ahead, largest gap in
    composite points first (fct_score_contributions).
#}

with

peers as (
    select * from {{ ref('int_region_peers_found') }}
),

rankings as (
    select * from {{ ref('fct_rankings') }}
),

contributions as (
    select * from {{ ref('fct_score_contributions') }}
    where ancestor_level = 0 and node_kind = 'indicator'
),

{#- the profile's nodes: those at the profile level, and the leaves of the branches that end
    above it (digindex.benchmarking.profile_scores) -#}
indicators as (
    select * from {{ ref('int_indicators_weighted') }}
    where series = 'published'
),

gaps as (
    select
        peers.edition,
        peers.framework_code,
        peers.scope,
        peers.region_code,
        peers.peer_order,
        mine.node_code,
        theirs.contribution - mine.contribution as gap_points
    from peers
    inner join contributions as mine
        on
            peers.edition = mine.edition
            and peers.framework_code = mine.framework_code
            and peers.region_code = mine.region_code
    inner join indicators
        on
            mine.edition = indicators.edition
            and mine.framework_code = indicators.framework_code
            and mine.node_code = indicators.node_code
            and (
                indicators.level = peers.profile_level
                or (indicators.level < peers.profile_level and indicators.is_leaf)
            )
    inner join contributions as theirs
        on
            peers.edition = theirs.edition
            and peers.framework_code = theirs.framework_code
            and peers.peer_region_code = theirs.region_code
            and mine.node_code = theirs.node_code
    where theirs.node_score > mine.node_score
),

ahead as (
    select
        edition,
        framework_code,
        scope,
        region_code,
        peer_order,
        count(*) as n_nodes_ahead,
        {{ string_agg_ordered('node_code', 'gap_points desc, node_code', "', '") }}
            as nodes_ahead,
        max(gap_points) as top_gap_points
    from gaps
    group by edition, framework_code, scope, region_code, peer_order
),

top_gap as (
    select
        gaps.edition,
        gaps.framework_code,
        gaps.scope,
        gaps.region_code,
        gaps.peer_order,
        min(gaps.node_code) as top_gap_node_code
    from gaps
    inner join ahead
        on
            gaps.edition = ahead.edition
            and gaps.framework_code = ahead.framework_code
            and gaps.scope = ahead.scope
            and gaps.region_code = ahead.region_code
            and gaps.peer_order = ahead.peer_order
            and gaps.gap_points = ahead.top_gap_points
    group by gaps.edition, gaps.framework_code, gaps.scope, gaps.region_code, gaps.peer_order
),

final as (
    select
        peers.edition,
        peers.framework_code,
        peers.scope,
        peers.region_code,
        mine.rank,
        mine.composite_score,
        peers.peer_order,
        peers.peer_region_code,
        theirs.region_name as peer_region_name,
        theirs.rank as peer_rank,
        theirs.composite_score as peer_composite_score,
        theirs.composite_score - mine.composite_score as composite_gap,
        peers.distance,
        peers.profile_level,
        peers.n_profile_nodes,
        cast(coalesce(ahead.n_nodes_ahead, 0) as integer) as n_nodes_ahead,
        ahead.nodes_ahead,
        top_gap.top_gap_node_code,
        ahead.top_gap_points
    from peers
    inner join rankings as mine
        on
            peers.edition = mine.edition
            and peers.framework_code = mine.framework_code
            and peers.region_code = mine.region_code
    inner join rankings as theirs
        on
            peers.edition = theirs.edition
            and peers.framework_code = theirs.framework_code
            and peers.peer_region_code = theirs.region_code
    left join ahead
        on
            peers.edition = ahead.edition
            and peers.framework_code = ahead.framework_code
            and peers.scope = ahead.scope
            and peers.region_code = ahead.region_code
            and peers.peer_order = ahead.peer_order
    left join top_gap
        on
            peers.edition = top_gap.edition
            and peers.framework_code = top_gap.framework_code
            and peers.scope = top_gap.scope
            and peers.region_code = top_gap.region_code
            and peers.peer_order = top_gap.peer_order
)

select * from final
