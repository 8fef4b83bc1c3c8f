with

source as (
    select * from {{ ref('reading_notes') }}
),

renamed as (
    select
        cast(edition as integer) as edition,
        cast(framework_code as string) as framework_code,
        cast(kind as string) as kind,
        cast(regions as string) as regions,
        cast(evidence as string) as evidence,
        cast(source_line as integer) as source_line
    from source
)

select * from renamed
