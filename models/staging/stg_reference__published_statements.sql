with

source as (
    select * from {{ ref('published_statements') }}
),

renamed as (
    select
        cast(edition as integer) as edition,
        cast(framework_code as string) as framework_code,
        cast(statement_kind as string) as statement_kind,
        cast(subject_as_stated as string) as subject_as_stated,
        cast(stated_value as decimal(4, 1)) as stated_value,
        cast(quote as string) as quote
    from source
)

select * from renamed
