{#
    Per edition, peer group and node (the composite and each first-level indicator): the
    computed mean, the average the report's text states, the mean of the printed table
    (composite only: the tables print no first-level scores), the differences between each
    pair, and the offsets from the composite that issue #2's calibration matches.
#}

with

scores as (
    select * from {{ ref('fct_indicator_scores') }}
),

indicators as (
    select * from {{ ref('dim_indicators') }}
),

stated as (
    select * from {{ ref('int_published_averages_joined') }}
),

published as (
    select * from {{ ref('int_published_rankings_joined') }}
),

computed as (
    select
        edition,
        framework_code,
        node_code,
        count(*) as region_count,
        avg(score) as computed_mean
    from scores
    where level <= 1
    group by edition, framework_code, node_code
),

printed as (
    select
        edition,
        framework_code,
        count(*) as printed_region_count,
        avg(cast(printed_score as double)) as printed_table_mean
    from published
    group by edition, framework_code
),

composite_means as (
    select
        computed.edition,
        computed.framework_code,
        computed.computed_mean as computed_composite_mean
    from computed
    inner join indicators
        on
            computed.framework_code = indicators.framework_code
            and computed.node_code = indicators.node_code
    where indicators.level = 0
),

stated_composite as (
    select
        edition,
        framework_code,
        cast(stated_average as double) as stated_composite_average
    from stated
    where level = 0
),

joined as (
    select
        computed.edition,
        computed.framework_code,
        computed.node_code,
        indicators.level,
        indicators.name_zh,
        stated.name_as_stated,
        computed.region_count,
        computed.computed_mean,
        cast(stated.stated_average as double) as stated_average,
        cast(stated.stated_yoy_change as double) as stated_yoy_change,
        case when indicators.level = 0 then printed.printed_table_mean end as printed_table_mean,
        computed.computed_mean - composite_means.computed_composite_mean as computed_offset,
        cast(stated.stated_average as double) - stated_composite.stated_composite_average
            as stated_offset
    from computed
    inner join indicators
        on
            computed.framework_code = indicators.framework_code
            and computed.node_code = indicators.node_code
    left join stated
        on
            computed.edition = stated.edition
            and computed.framework_code = stated.framework_code
            and computed.node_code = stated.node_code
    left join printed
        on
            computed.edition = printed.edition
            and computed.framework_code = printed.framework_code
    left join composite_means
        on
            computed.edition = composite_means.edition
            and computed.framework_code = composite_means.framework_code
    left join stated_composite
        on
            computed.edition = stated_composite.edition
            and computed.framework_code = stated_composite.framework_code
),

final as (
    select
        edition,
        framework_code,
        node_code,
        level,
        name_zh,
        name_as_stated,
        region_count,
        computed_mean,
        stated_average,
        stated_yoy_change,
        printed_table_mean,
        computed_mean - stated_average as computed_minus_stated,
        computed_mean - printed_table_mean as computed_minus_printed,
        printed_table_mean - stated_average as printed_minus_stated,
        computed_offset,
        stated_offset,
        computed_offset - stated_offset as offset_difference
    from joined
)

select * from final
