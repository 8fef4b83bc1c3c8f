with

composite as (
    select * from {{ ref('int_composite_scores_aggregated') }}
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
        composite.score as composite_score,
        cast(round(composite.score, 1) as decimal(4, 1)) as composite_score_1dp,
        cast(rank() over (
            partition by composite.edition, composite.framework_code
            order by composite.score desc
        ) as integer) as rank
    from composite
    inner join regions on composite.region_code = regions.region_code
),

final as (
    select * from ranked
)

select * from final
