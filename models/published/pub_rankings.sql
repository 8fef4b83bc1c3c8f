-- depends_on: {{ ref('pub_regions') }}

with

rankings as (
    select * from {{ ref('fct_rankings') }}
),

regions as (
    select * from {{ ref('dim_regions') }}
),

final as (
    select
        rankings.edition,
        rankings.framework_code,
        regions.peer_group_zh,
        rankings.region_code,
        rankings.region_name,
        regions.province,
        rankings.composite_score,
        rankings.composite_score_1dp,
        rankings.rank,
        rankings.peer_count,
        rankings.percentile,
        rankings.peer_mean,
        rankings.vs_peer_mean,
        rankings.province_rank,
        rankings.province_count
    from rankings
    inner join regions on rankings.region_code = regions.region_code
)

select * from final
