with

availability as (
    select * from {{ ref('int_region_availability') }}
),

regions as (
    select * from {{ ref('int_regions_joined') }}
),

final as (
    select
        availability.edition,
        availability.framework_code,
        availability.region_code,
        regions.region_name,
        availability.n_metrics,
        availability.n_available,
        availability.availability,
        availability.is_ranked,
        availability.reason
    from availability
    inner join regions on availability.region_code = regions.region_code
)

select * from final
