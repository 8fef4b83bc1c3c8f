with

source as (
    select * from {{ ref('published_averages') }}
),

renamed as (
    select
        cast(edition as integer) as edition,
        cast(framework_code as string) as framework_code,
        cast(node_code as string) as node_code,
        cast(name_as_stated as string) as name_as_stated,
        cast(stated_average as decimal(4, 1)) as stated_average,
        cast(stated_yoy_change as decimal(4, 1)) as stated_yoy_change,
        cast(name_matches_appendix as boolean) as name_matches_appendix
    from source
)

select * from renamed
