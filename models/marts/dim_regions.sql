with

regions as (
    select * from {{ ref('int_regions_joined') }}
),

final as (
    select
        region_code,
        region_name,
        full_name,
        framework_code,
        peer_group_zh,
        province,
        prefecture,
        adcode,
        adcode_year,
        host_prefecture,
        host_district,
        host_adcode,
        is_municipality,
        is_provincial_capital,
        is_sub_provincial_city,
        is_county_level_city,
        is_directly_administered,
        region_type_zh
    from regions
)

select * from final
