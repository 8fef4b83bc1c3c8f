-- The tree is well formed in every edition (and backcast): one root per framework at
-- level 0, every other node's parent exists in the same framework, and every level is its
-- parent's level + 1.
with

indicators as (
    select * from {{ ref('int_indicators_weighted') }}
),

roots as (
    -- counted over every framework, so a framework with no root counts 0 (not absent)
    select
        edition,
        series,
        framework_code,
        count(*) filter (where parent_code is null) as n_roots
    from indicators
    group by edition, series, framework_code
),

bad_roots as (
    select
        edition,
        framework_code,
        cast(null as string) as node_code,
        'framework has ' || cast(n_roots as string) || ' roots' as problem
    from roots
    where n_roots != 1
),

bad_levels as (
    select
        child.edition,
        child.framework_code,
        child.node_code,
        case
            when child.parent_code is null and child.level != 0 then 'root not at level 0'
            when child.parent_code is not null and parent.node_code is null then 'unknown parent'
            when child.parent_code is not null and child.level != parent.level + 1
                then 'level is not parent level + 1'
            when child.level != child.depth then 'level differs from depth in the tree'
        end as problem
    from indicators as child
    left join indicators as parent
        on
            child.edition = parent.edition
            and child.series = parent.series
            and child.framework_code = parent.framework_code
            and child.parent_code = parent.node_code
),

final as (
    select * from bad_roots
    union all
    select * from bad_levels
    where problem is not null
)

select * from final
