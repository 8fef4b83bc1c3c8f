{#
    Every presentation number of a region's composite is computed here, once: the rank in
    the peer group, the percentile, the peer-group mean and the rank within the province.
    The CLI, the report and the dashboard only display them.
#}

with

composite as (
    select * from {{ ref('int_node_scores_aggregated') }}
    where level = 0 and config_id = 0
),

regions as (
    select * from {{ ref('int_regions_joined') }}
),

ranked as (
    select
        composite.edition,
        composite.framework_code,
        composite.region_code,
        regions.region_name,
        regions.province,
        composite.score as composite_score,
        cast(round(composite.score, 1) as decimal(4, 1)) as composite_score_1dp,
        cast(rank() over (
            partition by composite.edition, composite.framework_code
            order by composite.score desc
        ) as integer) as rank,
        cast(count(*) over (
            partition by composite.edition, composite.framework_code
        ) as integer) as peer_count,
        100 * percent_rank() over (
            partition by composite.edition, composite.framework_code
            order by composite.score
        ) as percentile,
        avg(composite.score) over (
            partition by composite.edition, composite.framework_code
        ) as peer_mean,
        case
            when regions.province is not null
                then cast(rank() over (
                        partition by composite.edition, composite.framework_code, regions.province
                        order by composite.score desc
                    ) as integer)
        end as province_rank,
        case
            when regions.province is not null
                then cast(count(*) over (
                        partition by composite.edition, composite.framework_code, regions.province
                    ) as integer)
        end as province_count
    from composite
    inner join regions on composite.region_code = regions.region_code
),

final as (
    select
        edition,
        framework_code,
        region_code,
        region_name,
        composite_score,
        composite_score_1dp,
        rank,
        peer_count,
        percentile,
        peer_mean,
        composite_score - peer_mean as vs_peer_mean,
        province_rank,
        province_count
    from ranked
)

select * from final
