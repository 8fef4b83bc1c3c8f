{#
    The one definition of "reproduced": a region whose computed composite, rounded to one
    decimal, equals the printed score. Per edition and peer group, counted over the rows of
    rpt_reconciliation; the CLI, the report and the dashboard display these counts.
#}

with

reconciliation as (
    select * from {{ ref('rpt_reconciliation') }}
),

final as (
    select
        edition,
        framework_code,
        cast(count(computed_rank) as integer) as computed_regions,
        cast(count(printed_rank) as integer) as reference_regions,
        cast(count(printed_rank) > 0 as boolean) as has_reference,
        cast(count(*) filter (where status in ('match', 'rank_mismatch')) as integer)
            as scores_reproduced,
        cast(count(*) filter (where status = 'score_mismatch') as integer) as score_mismatches,
        cast(count(*) filter (where status = 'rank_mismatch') as integer) as ranks_differ,
        cast(count(*) filter (where status = 'not_in_reference') as integer) as not_in_reference,
        cast(count(*) filter (where status = 'not_computed') as integer) as not_computed
    from reconciliation
    group by edition, framework_code
)

select * from final
