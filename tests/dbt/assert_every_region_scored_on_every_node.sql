-- fct_indicator_scores holds a score for every node of a region's framework, root included,
-- in every edition that has rankings.
with

regions as (
    select * from {{ ref('dim_regions') }}
),

indicators as (
    select * from {{ ref('dim_indicators') }}
),

scores as (
    select * from {{ ref('fct_indicator_scores') }}
),

editions as (
    select distinct edition from scores
),

expected as (
    select
        editions.edition,
        regions.region_code,
        indicators.node_code
    from editions
    cross join regions
    inner join indicators on regions.framework_code = indicators.framework_code
),

final as (
    select expected.*
    from expected
    left join scores
        on
            expected.edition = scores.edition
            and expected.region_code = scores.region_code
            and expected.node_code = scores.node_code
    where scores.score is null
)

select * from final
