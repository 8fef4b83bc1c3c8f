-- Continuity of the regions between editions: a region assessed in an edition (it has
-- value rows there) and gone from the next edition of its framework without a succession
-- record naming it as predecessor (fct_region_links' `unrecorded`), and a region of
-- regions.csv assessed in no edition at all. Regions are linked through the succession
-- table, never dropped silently or matched by name.
with

links as (
    select * from {{ ref('fct_region_links') }}
),

regions as (
    select * from {{ ref('stg_index__regions') }}
),

assessed as (
    select distinct region_code from {{ ref('int_region_availability') }}
),

left_unrecorded as (
    select
        edition,
        framework_code,
        previous_region_code as region_code,
        'assessed in ' || cast(previous_edition as string) || ', not in '
        || cast(edition as string) || ', and no succession record names it' as finding
    from links
    where link_kind = 'unrecorded'
),

never_assessed as (
    select
        cast(null as integer) as edition,
        regions.framework_code,
        regions.region_code,
        'has no value rows in any edition' as finding
    from regions
    left join assessed on regions.region_code = assessed.region_code
    where assessed.region_code is null
)

select * from left_unrecorded
union all
select * from never_assessed
