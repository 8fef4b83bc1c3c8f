with

source as (
    select * from {{ index_source('metric_values') }}
),

renamed as (
    select
        {{ cast_or_null('edition', 'integer') }} as edition,
        cast(region_code as string) as region_code,
        cast(metric_code as string) as metric_code,
        cast(nullif(trim(cast(value as string)), '') as string) as value_text,
        try_cast(nullif(trim(cast(value as string)), '') as double) as value
    from source
)

select * from renamed
