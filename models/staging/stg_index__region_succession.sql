with

source as (
    select * from {{ index_source('region_succession') }}
),

renamed as (
    select
        {{ cast_or_null('year', 'integer') }} as year,
        cast(lower(trim(kind)) as string) as kind,
        cast(predecessor_code as string) as predecessor_code,
        cast(nullif(trim(predecessor_name), '') as string) as predecessor_name,
        cast(nullif(trim(predecessor_adcode), '') as string) as predecessor_adcode,
        cast(successor_code as string) as successor_code,
        cast(nullif(trim(successor_name), '') as string) as successor_name,
        cast(nullif(trim(successor_adcode), '') as string) as successor_adcode
    from source
)

select * from renamed
