{#
    Every node score of every region, with its presentation numbers computed once: rank
    among the peer group on that node, percentile and the peer-group mean.
#}

with

node_scores as (
    select * from {{ ref('int_node_scores_aggregated') }}
    where config_id = 0
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
    from node_scores
)

select * from final
