{#
    Every node score of every region against the previous edition of its framework: one row
    per link of fct_region_links with both regions scored (the region and its predecessor:
    itself, or the unit it was renamed, re-coded, merged or split from) × node. Every change
    is computed here, once:

    - as published: the score change, and the rank change among each edition's own peer
      group (rank_change = previous_rank − rank: positive is a rise), whatever regions each
      edition ranked;
    - comparable (like-for-like links only): both editions' scores under the latest
      edition's method — an edition whose method differs recomputed under it, its
      backcast (int_edition_methods) — and their change (comparable_score_change), and the
      ranks again among the regions ranked in both editions through a like-for-like link
      (comparable_rank, comparable_previous_rank, comparable_rank_change), so that a
      region's move is neither a change of method nor the entry or exit of others.
#}

with

links as (
    select * from {{ ref('fct_region_links') }}
    where region_in_edition and previous_region_code is not null
),

scores as (
    select * from {{ ref('fct_indicator_scores') }}
),

{# every edition's scores under the latest edition's method #}
comparable_scores as (
    select
        scores.edition,
        scores.framework_code,
        scores.region_code,
        scores.node_code,
        scores.score
    from {{ ref('int_node_scores_aggregated') }} as scores
    inner join {{ ref('int_edition_methods') }} as methods
        on
            scores.edition = methods.edition
            and scores.framework_code = methods.framework_code
            and scores.config_id = methods.config_id
    where methods.is_comparable
),

paired as (
    select
        links.edition,
        links.previous_edition,
        links.framework_code,
        links.region_code,
        links.previous_region_code,
        links.link_kind,
        links.is_like_for_like,
        current_scores.node_code,
        current_scores.level,
        current_scores.score,
        previous_scores.score as previous_score,
        current_scores.peer_rank as rank,
        previous_scores.peer_rank as previous_rank,
        current_scores.peer_count,
        previous_scores.peer_count as previous_peer_count,
        case when links.is_like_for_like then current_comparable.score end as comparable_score,
        case when links.is_like_for_like then previous_comparable.score end
            as comparable_previous_score
    from links
    inner join scores as current_scores
        on
            links.edition = current_scores.edition
            and links.framework_code = current_scores.framework_code
            and links.region_code = current_scores.region_code
    inner join scores as previous_scores
        on
            links.previous_edition = previous_scores.edition
            and links.framework_code = previous_scores.framework_code
            and links.previous_region_code = previous_scores.region_code
            and current_scores.node_code = previous_scores.node_code
    left join comparable_scores as current_comparable
        on
            links.edition = current_comparable.edition
            and links.framework_code = current_comparable.framework_code
            and links.region_code = current_comparable.region_code
            and current_scores.node_code = current_comparable.node_code
    left join comparable_scores as previous_comparable
        on
            links.previous_edition = previous_comparable.edition
            and links.framework_code = previous_comparable.framework_code
            and links.previous_region_code = previous_comparable.region_code
            and current_scores.node_code = previous_comparable.node_code
),

comparable as (
    select
        edition,
        framework_code,
        region_code,
        previous_region_code,
        node_code,
        cast(rank() over (
            partition by edition, framework_code, node_code order by comparable_score desc
        ) as integer) as comparable_rank,
        cast(rank() over (
            partition by edition, framework_code, node_code
            order by comparable_previous_score desc
        ) as integer) as comparable_previous_rank,
        cast(count(*) over (partition by edition, framework_code, node_code) as integer)
            as comparable_count
    from paired
    where comparable_score is not null and comparable_previous_score is not null
),

final as (
    select
        paired.edition,
        paired.previous_edition,
        paired.framework_code,
        paired.region_code,
        paired.previous_region_code,
        paired.node_code,
        paired.level,
        paired.link_kind,
        paired.is_like_for_like,
        paired.score,
        paired.previous_score,
        paired.score - paired.previous_score as score_change,
        paired.rank,
        paired.previous_rank,
        paired.previous_rank - paired.rank as rank_change,
        paired.peer_count,
        paired.previous_peer_count,
        paired.comparable_score,
        paired.comparable_previous_score,
        paired.comparable_score - paired.comparable_previous_score as comparable_score_change,
        comparable.comparable_rank,
        comparable.comparable_previous_rank,
        comparable.comparable_previous_rank - comparable.comparable_rank as comparable_rank_change,
        comparable.comparable_count
    from paired
    left join comparable
        on
            paired.edition = comparable.edition
            and paired.framework_code = comparable.framework_code
            and paired.region_code = comparable.region_code
            and paired.previous_region_code = comparable.previous_region_code
            and paired.node_code = comparable.node_code
)

select * from final
