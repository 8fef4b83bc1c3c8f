with

indicators as (
    select * from {{ ref('int_indicators_weighted') }}
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
        sort_order
    from indicators
)

select * from final
