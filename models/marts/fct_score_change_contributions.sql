{#
    Why a score changed: each like-for-like comparable change of a node's score
    (fct_score_changes.comparable_score_change: both editions under the latest edition's
    method, so that one method explains both sides) split into its children's contributions
    — its child nodes', or a leaf's metrics' — that add up to the change exactly
    (tests/dbt/assert_change_contributions_add_up.sql). A node's score is a weighted mean of
    its children present (weights renormalised among them), so with W the sum of the
    present children's weights on each side:

    - arithmetic: S = Σ w·s / W, and child c contributes w·s_t/W_t − w·s_{t−1}/W_{t−1};
    - geometric: ln S = Σ w·ln s / W, and c contributes L·(w·ln s_t/W_t − w·ln s_{t−1}/W_{t−1}),
      where L = (S_t − S_{t−1}) / (ln S_t − ln S_{t−1}) is the logarithmic mean of the two
      scores (L = S when they are equal): the log-change split, scaled to points;
    - harmonic: 1/S = Σ (w/s) / W, and c contributes −S_t·S_{t−1}·(w/(s_t·W_t) − w/(s_{t−1}·W_{t−1})).

    A geometric or harmonic mean is 0 when a child scores 0 or less; a change to or from
    such a score is attributed to the children at 0 or below, in equal parts. A child
    present on one side only contributes its one term. contribution_to_composite scales a
    contribution by its node's effective weight: the composite points it is worth in an
    arithmetic tree (an approximation otherwise, used to name a change's drivers).
#}

with

links as (
    select * from {{ ref('fct_region_links') }}
    where is_like_for_like
),

{# each edition's comparable series: its backcast where it has one, else as published #}
methods as (
    select * from {{ ref('int_edition_methods') }}
    where is_comparable
),

node_scores as (
    select scores.*
    from {{ ref('int_node_scores_aggregated') }} as scores
    inner join methods
        on
            scores.edition = methods.edition
            and scores.framework_code = methods.framework_code
            and scores.config_id = methods.config_id
),

metric_scores as (
    select scores.*
    from {{ ref('int_metric_values_scored') }} as scores
    inner join methods
        on
            scores.edition = methods.edition
            and scores.framework_code = methods.framework_code
            and scores.variant_code = methods.variant_code
    where scores.is_ranked and scores.score is not null
),

indicators as (
    select indicators.*
    from {{ ref('int_indicators_weighted') }} as indicators
    inner join methods
        on
            indicators.edition = methods.edition
            and indicators.framework_code = methods.framework_code
            and indicators.series = methods.series
),

children as (
    select
        node_scores.edition,
        node_scores.framework_code,
        node_scores.region_code,
        indicators.parent_code as node_code,
        node_scores.node_code as child_code,
        'node' as child_kind,
        indicators.local_weight as weight,
        node_scores.score
    from node_scores
    inner join indicators
        on
            node_scores.edition = indicators.edition
            and node_scores.framework_code = indicators.framework_code
            and node_scores.node_code = indicators.node_code
    where indicators.parent_code is not null
    union all
    select
        edition,
        framework_code,
        region_code,
        node_code,
        metric_code as child_code,
        'metric' as child_kind,
        metric_weight as weight,
        score
    from metric_scores
),

{# per node, its children's weights summed (in the order of their codes: the same on every
    run) and their smallest score #}
siblings as (
    select
        edition,
        framework_code,
        region_code,
        node_code,
        {{ stable_sum('weight', 'child_code') }} as sum_weight,
        min(score) as min_child_score
    from children
    group by edition, framework_code, region_code, node_code
),

{# each child's term of its node's mean, by the node's method, on each edition's side #}
terms as (
    select
        children.*,
        indicators.level,
        indicators.aggregation,
        indicators.effective_weight as node_effective_weight,
        node_scores.score as node_score,
        siblings.min_child_score,
        children.weight / siblings.sum_weight as share
    from children
    inner join siblings
        on
            children.edition = siblings.edition
            and children.framework_code = siblings.framework_code
            and children.region_code = siblings.region_code
            and children.node_code = siblings.node_code
    inner join node_scores
        on
            children.edition = node_scores.edition
            and children.framework_code = node_scores.framework_code
            and children.region_code = node_scores.region_code
            and children.node_code = node_scores.node_code
    inner join indicators
        on
            children.edition = indicators.edition
            and children.framework_code = indicators.framework_code
            and children.node_code = indicators.node_code
),

current_terms as (
    select
        links.edition as link_edition,
        links.previous_edition as link_previous_edition,
        links.region_code as link_region_code,
        links.previous_region_code as link_previous_region_code,
        terms.*
    from links
    inner join terms
        on
            links.edition = terms.edition
            and links.framework_code = terms.framework_code
            and links.region_code = terms.region_code
),

previous_terms as (
    select
        links.edition as link_edition,
        links.previous_edition as link_previous_edition,
        links.region_code as link_region_code,
        links.previous_region_code as link_previous_region_code,
        terms.*
    from links
    inner join terms
        on
            links.previous_edition = terms.edition
            and links.framework_code = terms.framework_code
            and links.previous_region_code = terms.region_code
),

paired as (
    select
        coalesce(cur.link_edition, prev.link_edition) as edition,
        coalesce(cur.link_previous_edition, prev.link_previous_edition) as previous_edition,
        coalesce(cur.framework_code, prev.framework_code) as framework_code,
        coalesce(cur.link_region_code, prev.link_region_code) as region_code,
        coalesce(cur.link_previous_region_code, prev.link_previous_region_code)
            as previous_region_code,
        coalesce(cur.node_code, prev.node_code) as node_code,
        coalesce(cur.level, prev.level) as level,
        coalesce(cur.child_code, prev.child_code) as child_code,
        coalesce(cur.child_kind, prev.child_kind) as child_kind,
        coalesce(cur.aggregation, prev.aggregation) as aggregation,
        coalesce(cur.node_effective_weight, prev.node_effective_weight) as node_effective_weight,
        cur.weight,
        cur.score,
        prev.score as previous_score,
        cur.share,
        prev.share as previous_share,
        cur.min_child_score,
        prev.min_child_score as previous_min_child_score
    from current_terms as cur
    full outer join previous_terms as prev
        on
            cur.link_edition = prev.link_edition
            and cur.link_region_code = prev.link_region_code
            and cur.link_previous_region_code = prev.link_previous_region_code
            and cur.node_code = prev.node_code
            and cur.child_code = prev.child_code
),

{# both sides' node scores beside every child (a node scored on one side only — all its
    children missing on the other — has no change to decompose) #}
with_nodes as (
    select
        paired.*,
        cur_node.score as node_score,
        prev_node.score as previous_node_score,
        min(paired.min_child_score) over (node_window) as node_min_child_score,
        min(paired.previous_min_child_score) over (node_window) as previous_node_min_child_score,
        sum(
            case
                when paired.score <= 0 or paired.previous_score <= 0 then 1 else 0
            end
        ) over (node_window) as n_at_zero
    from paired
    inner join node_scores as cur_node
        on
            paired.edition = cur_node.edition
            and paired.framework_code = cur_node.framework_code
            and paired.region_code = cur_node.region_code
            and paired.node_code = cur_node.node_code
    inner join node_scores as prev_node
        on
            paired.previous_edition = prev_node.edition
            and paired.framework_code = prev_node.framework_code
            and paired.previous_region_code = prev_node.region_code
            and paired.node_code = prev_node.node_code
    window node_window as (
        partition by paired.edition, paired.region_code, paired.previous_region_code, paired.node_code
    )
),

contributions as (
    select
        *,
        case
            when aggregation = 'arithmetic'
                then coalesce(share * score, 0) - coalesce(previous_share * previous_score, 0)
            when coalesce(node_min_child_score, 1) <= 0 or coalesce(previous_node_min_child_score, 1) <= 0
                then case
                        when score <= 0 or previous_score <= 0
                            then (node_score - previous_node_score) / n_at_zero
                        else 0.0
                    end
            when aggregation = 'geometric'
                then case
                        when node_score = previous_node_score then node_score
                        else (node_score - previous_node_score)
                            / (
                                ln({{ positive_or_null('node_score') }})
                                - ln({{ positive_or_null('previous_node_score') }})
                            )
                    end * (
                        coalesce(share * ln({{ positive_or_null('score') }}), 0)
                        - coalesce(previous_share * ln({{ positive_or_null('previous_score') }}), 0)
                    )
            when aggregation = 'harmonic'
                then -node_score * previous_node_score
                    * (
                        coalesce(share / {{ positive_or_null('score') }}, 0)
                        - coalesce(previous_share / {{ positive_or_null('previous_score') }}, 0)
                    )
        end as contribution
    from with_nodes
),

final as (
    select
        edition,
        previous_edition,
        framework_code,
        region_code,
        previous_region_code,
        node_code,
        level,
        aggregation,
        child_code,
        child_kind,
        weight,
        score,
        previous_score,
        node_score,
        previous_node_score,
        node_score - previous_node_score as node_score_change,
        contribution,
        contribution * node_effective_weight as contribution_to_composite
    from contributions
)

select * from final
