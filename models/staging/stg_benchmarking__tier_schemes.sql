{#
    The tier (梯队) schemes of the tier_schemes seed, one row per framework each applies to
    (the one it names, or every framework): its method, number of tiers, parameters
    (';'-separated, highest threshold first) and whether it is the framework's default.
    int_tier_bounds_fitted fits them.
#}

with

declared as (
    select
        *,
        row_number() over (order by scheme_code) as scheme_order
    from {{ ref('tier_schemes') }}
),

frameworks as (
    select distinct framework_code
    from {{ ref('stg_index__framework_nodes') }}
),

applied as (
    select
        frameworks.framework_code,
        declared.scheme_code,
        declared.scheme_order,
        declared.method,
        declared.n_tiers,
        declared.parameters,
        declared.is_default,
        declared.name_en
    from declared
    cross join frameworks
    where declared.framework_code is null
    union all
    select
        frameworks.framework_code,
        declared.scheme_code,
        declared.scheme_order,
        declared.method,
        declared.n_tiers,
        declared.parameters,
        declared.is_default,
        declared.name_en
    from declared
    inner join frameworks on declared.framework_code = frameworks.framework_code
),

final as (
    select * from applied
)

select * from final
