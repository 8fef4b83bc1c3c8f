{#
    The tiers (梯队) of every scheme, per edition and framework, as published with the
    edition: each tier's score range (lower_bound ≤ composite < upper_bound; tier 1 the
    highest, no upper bound; the last tier no lower bound) and its names. The thresholds are fitted by int_tier_bounds_fitted (methods there); names:
    第N梯队 / Tier N, and the tier's type — 领先型 (leading) for the first, 追赶型 (catching
    up) for the last, 发展型 (developing) between.
#}

with

bounds as (
    select * from {{ ref('int_tier_bounds_fitted') }}
),

schemes as (
    select * from {{ ref('stg_benchmarking__tier_schemes') }}
),

final as (
    select
        bounds.edition,
        bounds.framework_code,
        bounds.scheme_code,
        bounds.method,
        schemes.parameters,
        bounds.n_tiers,
        bounds.n_tiers_fitted,
        bounds.is_default,
        bounds.tier,
        concat(
            '第',
            case bounds.tier
                when 1 then '一' when 2 then '二' when 3 then '三' when 4 then '四'
                when 5 then '五' when 6 then '六' when 7 then '七' when 8 then '八'
                when 9 then '九' when 10 then '十'
                else cast(bounds.tier as string)
            end,
            '梯队'
        ) as tier_name_zh,
        concat('Tier ', cast(bounds.tier as string)) as tier_name_en,
        case
            when bounds.tier = 1 then '领先型'
            when bounds.tier = bounds.n_tiers_fitted then '追赶型'
            else '发展型'
        end as tier_type_zh,
        case
            when bounds.tier = 1 then 'leading'
            when bounds.tier = bounds.n_tiers_fitted then 'catching up'
            else 'developing'
        end as tier_type_en,
        bounds.lower_bound,
        above.lower_bound as upper_bound
    from bounds
    inner join schemes
        on
            bounds.framework_code = schemes.framework_code
            and bounds.scheme_code = schemes.scheme_code
    left join bounds as above
        on
            bounds.edition = above.edition
            and bounds.framework_code = above.framework_code
            and bounds.scheme_code = above.scheme_code
            and bounds.tier = above.tier + 1
)

select * from final
