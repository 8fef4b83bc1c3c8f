-- fct_indicator_scores holds a score for every node of a ranked region's framework, root
-- included, in every edition (the edition's framework).
with

regions as (
    select * from {{ ref('dim_regions') }}
),

status as (
    select * from {{ ref('fct_region_status') }}
),

indicators as (
    select * from {{ ref('int_indicators_weighted') }}
    where series = 'published'
),

scores as (
    select * from {{ ref('fct_indicator_scores') }}
),

expected as (
    select
        status.edition,
        regions.region_code,
        indicators.node_code
    from status
    inner join regions on status.region_code = regions.region_code
    inner join indicators
        on
            status.edition = indicators.edition
            and regions.framework_code = indicators.framework_code
    where status.is_ranked
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
