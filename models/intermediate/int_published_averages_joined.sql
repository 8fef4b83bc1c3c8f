{# The averages the report's text states, with the indicator they belong to. #}

with

stated as (
    select * from {{ ref('stg_reference__published_averages') }}
),

indicators as (
    select * from {{ ref('int_indicators_weighted') }}
    where series = 'published'
),

final as (
    select
        stated.edition,
        stated.framework_code,
        stated.node_code,
        indicators.level,
        indicators.name_zh,
        indicators.local_weight,
        stated.name_as_stated,
        stated.name_matches_appendix,
        stated.stated_average,
        stated.stated_yoy_change
    from stated
    inner join indicators
        on
            stated.edition = indicators.edition
            and stated.framework_code = indicators.framework_code
            and stated.node_code = indicators.node_code
)

select * from final
