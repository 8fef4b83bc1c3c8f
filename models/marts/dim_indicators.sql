{#
    One row per node: as its latest edition declares it (weights by edition:
    int_indicators_weighted), with the first and last edition it is part of.
#}

with

versions as (
    select
        *,
        min(edition) over (partition by framework_code, node_code) as first_edition,
        max(edition) over (partition by framework_code, node_code) as last_edition
    from {{ ref('int_indicators_weighted') }}
    where series = 'published'
),

indicators as (
    select * from versions
    where edition = last_edition
),

final as (
    select
        framework_code,
        node_code,
        parent_code,
        level,
        name_zh,
        name_en,
        local_weight,
        effective_weight,
        aggregation,
        is_leaf,
        sort_order,
        first_edition,
        last_edition
    from indicators
)

select * from final
