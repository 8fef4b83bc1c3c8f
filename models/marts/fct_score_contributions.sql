{#
    What each part of a region's index contributes to it (对标): every scored node and metric
    with each of its ancestors, the composite among them, per edition and region (the index
    as published, configuration 0).

    A child's contribution to its parent is its weight's share of the parent times its
    score, w / Σ w · s (the weights present, as every weighted mean divides by them), for an
    arithmetic parent — exactly, whatever the scores' signs (z-scores may be negative) — and,
    for geometric and harmonic parents, whose scores are not sums, the documented
    equivalent: the parent's score split in proportion to w · s (w · s · P / Σ w · s; 0
    when Σ w · s is 0, where P is 0 too). Either way a contribution is a factor × the
    child's score; factors multiply along the path, so a node's contribution to any
    ancestor is its score × the product of the factors, in that ancestor's points (the
    composite's points on the rows with ancestor_level 0; for arithmetic paths the factor is
    the effective weight). share is the contribution ÷ the ancestor's score (null where that
    is 0). The contributions of an ancestor's children — or of all its metrics, or of any
    other cut through its subtree — add up to its score.

    marginal_weight is ∂(ancestor score) / ∂(node score) at the published scores: the
    product along the path of each parent's derivative by its child — w / Σ w (arithmetic:
    the effective weight), P · w / (Σ w · s) (geometric), P² · w / (Σ w · s²) (harmonic) —
    what `digindex goal` spends points by.

    Gaps, in the ancestor's points: to the peer-group mean of the contribution (the regions
    scored on the ancestor; a region without the node contributes 0) and to the leader's
    (rank 1 on the composite; the first code among tied leaders). The gaps of an ancestor's
    children add up to the region's gap on the ancestor.
#}
{%- set max_depth = var('max_tree_depth') | int %}

with

node_scores as (
    select
        edition,
        framework_code,
        region_code,
        node_code,
        level,
        score
    from {{ ref('int_node_scores_aggregated') }}
    where config_id = 0 and score is not null
),

metric_scores as (
    select * from {{ ref('int_metric_values_scored') }}
    where variant_code = 'nominal' and is_ranked and score is not null
),

indicators as (
    select * from {{ ref('int_indicators_weighted') }}
    where series = 'published'
),

{#- every scored child of every node: its metrics and its child nodes -#}
children as (
    select
        metric_scores.edition,
        metric_scores.framework_code,
        metric_scores.region_code,
        'metric' as child_kind,
        metric_scores.metric_code as child_code,
        indicators.level + 1 as child_level,
        metric_scores.node_code as parent_code,
        metric_scores.metric_weight as weight,
        metric_scores.score
    from metric_scores
    inner join indicators
        on
            metric_scores.edition = indicators.edition
            and metric_scores.framework_code = indicators.framework_code
            and metric_scores.node_code = indicators.node_code
    union all
    select
        node_scores.edition,
        node_scores.framework_code,
        node_scores.region_code,
        'indicator' as child_kind,
        node_scores.node_code as child_code,
        node_scores.level as child_level,
        indicators.parent_code,
        indicators.local_weight as weight,
        node_scores.score
    from node_scores
    inner join indicators
        on
            node_scores.edition = indicators.edition
            and node_scores.framework_code = indicators.framework_code
            and node_scores.node_code = indicators.node_code
    where indicators.parent_code is not null
),

parent_sums as (
    select
        edition,
        framework_code,
        region_code,
        parent_code,
        {{ stable_sum('weight', "child_kind || ':' || child_code") }} as sum_weight,
        {{ stable_sum('weight * score', "child_kind || ':' || child_code") }} as sum_weighted
    from children
    group by edition, framework_code, region_code, parent_code
),

edges as {{ materialized_cte() }} (
    select
        children.edition,
        children.framework_code,
        children.region_code,
        children.child_kind,
        children.child_code,
        children.child_level,
        children.score as child_score,
        children.parent_code,
        case
            when parents.aggregation = 'arithmetic'
                then children.weight / parent_sums.sum_weight
            when parent_sums.sum_weighted != 0
                then children.weight * parent_scores.score / parent_sums.sum_weighted
            else 0.0
        end as local_factor,
        case
            when parents.aggregation = 'arithmetic'
                then children.weight / parent_sums.sum_weight
            when children.score <= 0 then null
            when parents.aggregation = 'geometric'
                then parent_scores.score * children.weight
                / (parent_sums.sum_weight * children.score)
            when parents.aggregation = 'harmonic'
                then parent_scores.score * parent_scores.score * children.weight
                / (parent_sums.sum_weight * children.score * children.score)
        end as local_derivative
    from children
    inner join parent_sums
        on
            children.edition = parent_sums.edition
            and children.framework_code = parent_sums.framework_code
            and children.region_code = parent_sums.region_code
            and children.parent_code = parent_sums.parent_code
    inner join indicators as parents
        on
            children.edition = parents.edition
            and children.framework_code = parents.framework_code
            and children.parent_code = parents.node_code
    inner join node_scores as parent_scores
        on
            children.edition = parent_scores.edition
            and children.framework_code = parent_scores.framework_code
            and children.region_code = parent_scores.region_code
            and children.parent_code = parent_scores.node_code
),

{#- each node with each of its ancestors, one step further per distance (unrolled: no
    recursive CTEs on Spark); a metric sits one level below its node -#}
paths_0 as (
    select
        edition,
        framework_code,
        region_code,
        'indicator' as node_kind,
        node_code,
        node_code as ancestor_code,
        cast(1.0 as double) as factor,
        cast(1.0 as double) as marginal_weight
    from node_scores
),
{%- for distance in range(1, max_depth + 2) %}

paths_{{ distance }} as {{ materialized_cte() }} (
    select
        edges.edition,
        edges.framework_code,
        edges.region_code,
        edges.child_kind as node_kind,
        edges.child_code as node_code,
        above.ancestor_code,
        edges.child_score as node_score,
        edges.local_factor * above.factor as factor,
        edges.local_derivative * above.marginal_weight as marginal_weight
    from edges
    inner join paths_{{ distance - 1 }} as above
        on
            edges.edition = above.edition
            and edges.framework_code = above.framework_code
            and edges.region_code = above.region_code
            and edges.parent_code = above.node_code
            and above.node_kind = 'indicator'
),
{%- endfor %}

paths as (
    {%- for distance in range(1, max_depth + 2) %}
    select
        *,
        {{ distance }} as distance
    from paths_{{ distance }}
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}
),

contributions as {{ materialized_cte() }} (
    select
        paths.edition,
        paths.framework_code,
        paths.region_code,
        paths.node_kind,
        paths.node_code,
        ancestors.level + paths.distance as node_level,
        paths.ancestor_code,
        ancestors.level as ancestor_level,
        paths.distance,
        ancestors.score as ancestor_score,
        paths.node_score,
        paths.factor * paths.node_score as contribution,
        paths.marginal_weight
    from paths
    inner join node_scores as ancestors
        on
            paths.edition = ancestors.edition
            and paths.framework_code = ancestors.framework_code
            and paths.region_code = ancestors.region_code
            and paths.ancestor_code = ancestors.node_code
),

scored_counts as (
    select
        edition,
        framework_code,
        node_code,
        count(*) as n_scored
    from node_scores
    group by edition, framework_code, node_code
),

peer_means as (
    select
        contributions.edition,
        contributions.framework_code,
        contributions.node_kind,
        contributions.node_code,
        contributions.ancestor_code,
        {{ stable_sum('contributions.contribution', 'contributions.region_code') }}
        / min(scored_counts.n_scored) as peer_mean_contribution
    from contributions
    inner join scored_counts
        on
            contributions.edition = scored_counts.edition
            and contributions.framework_code = scored_counts.framework_code
            and contributions.ancestor_code = scored_counts.node_code
    group by
        contributions.edition,
        contributions.framework_code,
        contributions.node_kind,
        contributions.node_code,
        contributions.ancestor_code
),

leaders as (
    select
        edition,
        framework_code,
        region_code as leader_region_code
    from (
        select
            edition,
            framework_code,
            region_code,
            row_number() over (
                partition by edition, framework_code order by score desc, region_code
            ) as position
        from node_scores
        where level = 0
    ) as ordered
    where position = 1
),

final as (
    select
        contributions.edition,
        contributions.framework_code,
        contributions.region_code,
        contributions.node_kind,
        contributions.node_code,
        contributions.node_level,
        contributions.node_score,
        contributions.ancestor_code,
        contributions.ancestor_level,
        contributions.distance,
        contributions.ancestor_score,
        case
            when contributions.ancestor_score != 0
                then contributions.contribution / contributions.ancestor_score
        end as share,
        contributions.contribution,
        contributions.marginal_weight,
        peer_means.peer_mean_contribution,
        contributions.contribution - peer_means.peer_mean_contribution as gap_to_peer_mean,
        leaders.leader_region_code,
        coalesce(leader.contribution, 0.0) as leader_contribution,
        contributions.contribution - coalesce(leader.contribution, 0.0) as gap_to_leader
    from contributions
    inner join peer_means
        on
            contributions.edition = peer_means.edition
            and contributions.framework_code = peer_means.framework_code
            and contributions.node_kind = peer_means.node_kind
            and contributions.node_code = peer_means.node_code
            and contributions.ancestor_code = peer_means.ancestor_code
    inner join leaders
        on
            contributions.edition = leaders.edition
            and contributions.framework_code = leaders.framework_code
    left join contributions as leader
        on
            contributions.edition = leader.edition
            and contributions.framework_code = leader.framework_code
            and leaders.leader_region_code = leader.region_code
            and contributions.node_kind = leader.node_kind
            and contributions.node_code = leader.node_code
            and contributions.ancestor_code = leader.ancestor_code
)

select * from final
