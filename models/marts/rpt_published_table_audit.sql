{# The audit of the published reference: one row per internal inconsistency. #}

with

findings as (
    select * from {{ ref('int_published_table_findings') }}
),

final as (
    select
        kind || ':' || framework_code || ':' || cast(edition as string) || ':'
        || cast(finding_number as string) as finding_id,
        edition,
        framework_code,
        kind,
        regions,
        evidence
    from findings
)

select * from final
