{#
    How each edition's regions continue from the previous edition of their framework (the
    latest earlier edition it has values in): one row per link between a region assessed
    in the previous edition and one assessed in this edition. A region is assessed in the
    editions it has value rows in. `link_kind`:

    - same — the same code in both editions, no change of territory recorded in between;
    - renamed, recoded, merged, split — a succession record (stg_index__region_succession)
      with previous_edition < year <= edition names the two: a predecessor → successor of
      another code, or a code kept through a change (merged: it absorbed a unit or was
      absorbed; split: a unit split off it or it split off one — a change of territory
      outweighs a change of name);
    - new — assessed in this edition, with no predecessor in the previous one;
    - unrecorded — assessed in the previous edition, in neither this one nor any record: a
      continuity finding (tests/dbt/assert_regions_continue_between_editions.sql).

    Scores and ranks compare like-for-like over same links and var('like_for_like_successions')
    (a new name or code, the same territory); never by name.
#}

{%- set like_for_like = ['same'] + var('like_for_like_successions') %}

with

assessed as (
    select
        edition,
        framework_code,
        region_code
    from {{ ref('int_region_availability') }}
),

succession as (
    select * from {{ ref('stg_index__region_succession') }}
),

framework_editions as (
    select distinct
        framework_code,
        edition
    from assessed
),

edition_pairs as (
    select
        later.framework_code,
        later.edition,
        max(earlier.edition) as previous_edition
    from framework_editions as later
    inner join framework_editions as earlier
        on
            later.framework_code = earlier.framework_code
            and later.edition > earlier.edition
    group by later.framework_code, later.edition
),

current_regions as (
    select
        edition_pairs.framework_code,
        edition_pairs.edition,
        edition_pairs.previous_edition,
        assessed.region_code
    from edition_pairs
    inner join assessed
        on
            edition_pairs.framework_code = assessed.framework_code
            and edition_pairs.edition = assessed.edition
),

previous_regions as (
    select
        edition_pairs.framework_code,
        edition_pairs.edition,
        edition_pairs.previous_edition,
        assessed.region_code
    from edition_pairs
    inner join assessed
        on
            edition_pairs.framework_code = assessed.framework_code
            and edition_pairs.previous_edition = assessed.edition
),



{# the records that fall between each framework's pair of editions #}
changes as (
    select
        edition_pairs.framework_code,
        edition_pairs.edition,
        succession.predecessor_code,
        succession.successor_code,
        succession.kind,
        succession.year,
        case succession.kind
            when 'merged' then 1 when 'split' then 2 when 'renamed' then 3 else 4
        end as precedence
    from edition_pairs
    inner join succession
        on
            edition_pairs.previous_edition < succession.year
            and edition_pairs.edition >= succession.year
),



{# per code kept from one edition to the next, the weightiest change it went through #}
kept_changes as (
    select
        framework_code,
        edition,
        region_code,
        min(precedence) as precedence,
        max(year) as year
    from (
        select
            framework_code,
            edition,
            predecessor_code as region_code,
            precedence,
            year
        from changes
        union all
        select
            framework_code,
            edition,
            successor_code as region_code,
            precedence,
            year
        from changes
    ) as touched
    group by framework_code, edition, region_code
),

kept as (
    select
        current_regions.framework_code,
        current_regions.edition,
        current_regions.previous_edition,
        current_regions.region_code as previous_region_code,
        current_regions.region_code,
        case kept_changes.precedence
            when 1 then 'merged' when 2 then 'split' when 3 then 'renamed' when 4 then 'recoded'
            else 'same'
        end as link_kind,
        kept_changes.year as succession_year,
        true as region_in_edition
    from current_regions
    inner join previous_regions
        on
            current_regions.framework_code = previous_regions.framework_code
            and current_regions.edition = previous_regions.edition
            and current_regions.region_code = previous_regions.region_code
    left join kept_changes
        on
            current_regions.framework_code = kept_changes.framework_code
            and current_regions.edition = kept_changes.edition
            and current_regions.region_code = kept_changes.region_code
),

succeeded as (
    select
        previous_regions.framework_code,
        previous_regions.edition,
        previous_regions.previous_edition,
        previous_regions.region_code as previous_region_code,
        changes.successor_code as region_code,
        changes.kind as link_kind,
        changes.year as succession_year,
        current_regions.region_code is not null as region_in_edition
    from previous_regions
    inner join changes
        on
            previous_regions.framework_code = changes.framework_code
            and previous_regions.edition = changes.edition
            and previous_regions.region_code = changes.predecessor_code
    left join current_regions
        on
            previous_regions.framework_code = current_regions.framework_code
            and previous_regions.edition = current_regions.edition
            and changes.successor_code = current_regions.region_code
    where changes.predecessor_code != changes.successor_code
),

linked as (
    select * from kept
    union all
    select * from succeeded
),

entered as (
    select
        current_regions.framework_code,
        current_regions.edition,
        current_regions.previous_edition,
        cast(null as string) as previous_region_code,
        current_regions.region_code,
        'new' as link_kind,
        cast(null as integer) as succession_year,
        true as region_in_edition
    from current_regions
    left join linked
        on
            current_regions.framework_code = linked.framework_code
            and current_regions.edition = linked.edition
            and current_regions.region_code = linked.region_code
    where linked.region_code is null
),

left_unrecorded as (
    select
        previous_regions.framework_code,
        previous_regions.edition,
        previous_regions.previous_edition,
        previous_regions.region_code as previous_region_code,
        cast(null as string) as region_code,
        'unrecorded' as link_kind,
        cast(null as integer) as succession_year,
        false as region_in_edition
    from previous_regions
    left join linked
        on
            previous_regions.framework_code = linked.framework_code
            and previous_regions.edition = linked.edition
            and previous_regions.region_code = linked.previous_region_code
    where linked.previous_region_code is null
),

final as (
    select
        edition,
        previous_edition,
        framework_code,
        previous_region_code,
        region_code,
        link_kind,
        succession_year,
        region_in_edition,
        region_in_edition
        and link_kind in ('{{ like_for_like | join("', '") }}') as is_like_for_like
    from (
        select * from linked
        union all
        select * from entered
        union all
        select * from left_unrecorded
    ) as links
)

select * from final
