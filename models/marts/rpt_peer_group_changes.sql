{#
    Per edition, peer group and node: how the peer-group average moved since the previous
    edition, two ways — as published (this edition's mean over its ranked regions minus the
    previous edition's over its own, whatever regions each ranked) and like-for-like (both
    means over the regions ranked in both through a like-for-like link, both editions under
    the latest edition's method: the comparable scores) — beside the change the report's
    text states, and whether the two editions ranked the same regions.
#}

with

scores as (
    select * from {{ ref('fct_indicator_scores') }}
),

changes as (
    select * from {{ ref('fct_score_changes') }}
),

links as (
    select * from {{ ref('fct_region_links') }}
),

stated as (
    select * from {{ ref('int_published_averages_joined') }}
),

edition_pairs as (
    select distinct
        edition,
        previous_edition,
        framework_code
    from links
),

means as (
    select
        edition,
        framework_code,
        node_code,
        level,
        cast(count(*) as integer) as region_count,
        {{ stable_sum('score', 'region_code') }} / count(score) as mean_score
    from scores
    group by edition, framework_code, node_code, level
),

like_for_like as (
    select
        edition,
        framework_code,
        node_code,
        cast(count(*) as integer) as like_for_like_count,
        {{ stable_sum('comparable_score', 'region_code') }} / count(comparable_score)
            as like_for_like_mean,
        {{ stable_sum('comparable_previous_score', 'region_code') }}
        / count(comparable_previous_score) as like_for_like_previous_mean
    from changes
    where comparable_score is not null and comparable_previous_score is not null
    group by edition, framework_code, node_code
),

{# the previous edition's regions continued by no region of this edition #}
left_regions as (
    select
        edition,
        framework_code,
        previous_region_code
    from links
    where previous_region_code is not null
    group by edition, framework_code, previous_region_code
    having not bool_or(region_in_edition)
),

link_counts as (
    select
        links.edition,
        links.framework_code,
        cast(sum(case when links.link_kind = 'new' then 1 else 0 end) as integer)
            as entered_count,
        cast(sum(case when links.is_like_for_like then 0 else 1 end) as integer)
            as not_like_for_like_count
    from links
    group by links.edition, links.framework_code
),

left_counts as (
    select
        edition,
        framework_code,
        cast(count(*) as integer) as left_count
    from left_regions
    group by edition, framework_code
),

final as (
    select
        edition_pairs.edition,
        edition_pairs.previous_edition,
        edition_pairs.framework_code,
        current_means.node_code,
        current_means.level,
        current_means.region_count,
        previous_means.region_count as previous_region_count,
        coalesce(like_for_like.like_for_like_count, 0) as like_for_like_count,
        link_counts.entered_count,
        coalesce(left_counts.left_count, 0) as left_count,
        link_counts.not_like_for_like_count = 0 as is_like_for_like,
        current_means.mean_score,
        previous_means.mean_score as previous_mean_score,
        current_means.mean_score - previous_means.mean_score as mean_change,
        like_for_like.like_for_like_mean,
        like_for_like.like_for_like_previous_mean,
        like_for_like.like_for_like_mean - like_for_like.like_for_like_previous_mean
            as like_for_like_change,
        cast(stated.stated_average as double) as stated_average,
        cast(stated.stated_yoy_change as double) as stated_change,
        cast(stated.stated_average - stated.stated_yoy_change as double) as stated_previous_average
    from edition_pairs
    inner join means as current_means
        on
            edition_pairs.edition = current_means.edition
            and edition_pairs.framework_code = current_means.framework_code
    inner join means as previous_means
        on
            edition_pairs.previous_edition = previous_means.edition
            and edition_pairs.framework_code = previous_means.framework_code
            and current_means.node_code = previous_means.node_code
    inner join link_counts
        on
            edition_pairs.edition = link_counts.edition
            and edition_pairs.framework_code = link_counts.framework_code
    left join left_counts
        on
            edition_pairs.edition = left_counts.edition
            and edition_pairs.framework_code = left_counts.framework_code
    left join like_for_like
        on
            edition_pairs.edition = like_for_like.edition
            and edition_pairs.framework_code = like_for_like.framework_code
            and current_means.node_code = like_for_like.node_code
    left join stated
        on
            edition_pairs.edition = stated.edition
            and edition_pairs.framework_code = stated.framework_code
            and current_means.node_code = stated.node_code
)

select * from final
