{#
    The printed ranking tables with the region code of each printed name — for the
    frameworks of the index being computed (an index folder has no published reference).
#}

with

published as (
    select * from {{ ref('stg_reference__published_rankings') }}
),

regions as (
    select * from {{ ref('stg_index__regions') }}
),

frameworks as (
    select distinct framework_code from {{ ref('stg_index__framework_nodes') }}
),

final as (
    select
        published.edition,
        published.framework_code,
        published.printed_rank,
        published.region_name,
        regions.region_code,
        published.printed_score,
        published.source_line
    from published
    inner join frameworks on published.framework_code = frameworks.framework_code
    left join regions
        on
            published.framework_code = regions.framework_code
            and published.region_name = regions.region_name
)

select * from final
