-- depends_on: {{ ref('pub_regions') }}
-- depends_on: {{ ref('pub_indicators') }}

with

scores as (
    select * from {{ ref('fct_indicator_scores') }}
),

regions as (
    select * from {{ ref('dim_regions') }}
),

indicators as (
    select * from {{ ref('dim_indicators') }}
),

final as (
    select
        scores.edition,
        scores.framework_code,
        scores.region_code,
        regions.region_name,
        scores.node_code,
        scores.level,
        indicators.name_zh,
        indicators.name_en,
        indicators.parent_code,
        indicators.sort_order,
        scores.score,
        cast(round(scores.score, 1) as decimal(5, 1)) as score_1dp,
        scores.peer_rank,
        scores.peer_count,
        scores.percentile,
        scores.peer_mean
    from scores
    inner join regions on scores.region_code = regions.region_code
    inner join indicators
        on
            scores.framework_code = indicators.framework_code
            and scores.node_code = indicators.node_code
)

select * from final
