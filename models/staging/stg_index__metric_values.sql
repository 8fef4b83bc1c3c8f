with

source as (
    select * from {{ ref('metric_values') }}
),

renamed as (
    select
        cast(edition as integer) as edition,
        cast(region_code as string) as region_code,
        cast(metric_code as string) as metric_code,
        cast(value as string) as value_text,
        try_cast(value as double) as value
    from source
)

select * from renamed
