with

source as (
    select * from {{ ref('published_rankings') }}
),

renamed as (
    select
        cast(edition as integer) as edition,
        cast(framework_code as string) as framework_code,
        cast(printed_rank as integer) as printed_rank,
        cast(region_name as string) as region_name,
        cast(printed_score as decimal(4, 1)) as printed_score,
        cast(source_line as integer) as source_line
    from source
)

select * from renamed
