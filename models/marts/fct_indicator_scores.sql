{#
    Every node score of every region, with its presentation numbers computed once: rank
    among the peer group on that node, percentile and the peer-group mean.
#}

with

composite as (
    select * from {{ ref('int_composite_scores_aggregated') }}
),

level1 as (
    select * from {{ ref('int_level1_scores_aggregated') }}
),

level2 as (
    select * from {{ ref('int_level2_scores_aggregated') }}
),

level3 as (
    select * from {{ ref('int_level3_scores_aggregated') }}
),

level4 as (
    select * from {{ ref('int_level4_scores_aggregated') }}
),

level5 as (
    select * from {{ ref('int_level5_scores_aggregated') }}
),

level6 as (
    select * from {{ ref('int_level6_scores_aggregated') }}
),

unioned as (
    select * from composite
    union all
    select * from level1
    union all
    select * from level2
    union all
    select * from level3
    union all
    select * from level4
    union all
    select * from level5
    union all
    select * from level6
),

final as (
    select
        edition,
        framework_code,
        region_code,
        node_code,
        level,
        score,
        cast(rank() over (
            partition by edition, framework_code, node_code order by score desc
        ) as integer) as peer_rank,
        cast(count(*) over (partition by edition, framework_code, node_code) as integer)
            as peer_count,
        100 * percent_rank() over (
            partition by edition, framework_code, node_code order by score
        ) as percentile,
        avg(score) over (partition by edition, framework_code, node_code) as peer_mean
    from unioned
)

select * from final
