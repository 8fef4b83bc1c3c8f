with

source as (
    select * from {{ index_source('regions') }}
),

renamed as (
    select
        cast(region_code as string) as region_code,
        cast(region_name as string) as region_name,
        cast(full_name as string) as full_name,
        cast(framework_code as string) as framework_code,
        cast(peer_group_zh as string) as peer_group_zh,
        cast(province as string) as province,
        cast(nullif(trim(prefecture), '') as string) as prefecture,
        cast(nullif(trim(adcode), '') as string) as adcode,
        {{ cast_or_null('adcode_year', 'integer') }} as adcode_year,
        cast(nullif(trim(host_prefecture), '') as string) as host_prefecture,
        cast(nullif(trim(host_district), '') as string) as host_district,
        cast(nullif(trim(host_adcode), '') as string) as host_adcode,
        {{ cast_or_null('is_municipality', 'boolean') }} as is_municipality,
        {{ cast_or_null('is_provincial_capital', 'boolean') }} as is_provincial_capital,
        {{ cast_or_null('is_sub_provincial_city', 'boolean') }} as is_sub_provincial_city,
        {{ cast_or_null('is_county_level_city', 'boolean') }} as is_county_level_city,
        {{ cast_or_null('is_directly_administered', 'boolean') }} as is_directly_administered,
        cast(region_type_zh as string) as region_type_zh,
        cast(nullif(trim(note), '') as string) as note
    from source
)

select * from renamed
