{#
    Every region's tier (梯队) under every scheme, per edition: the tier whose score range
    (fct_tier_bounds: lower_bound ≤ composite < upper_bound) holds its composite score, the
    tier's names and size, and the points the region lacks to the tier above.

    Where the index has an uncertainty analysis, p_same_tier is the share of its replications
    (int_scenario_ranks, design 'uncertainty') in which the region stays in the same tier of
    the default scheme, refitted on each replication's scores (int_tier_bounds_replicated:
    fixed thresholds stay, data-driven ones move with the scores); null otherwise and for the
    other schemes.
#}

with

tiers as (
    select * from {{ ref('fct_tier_bounds') }}
),

composite as (
    select * from {{ ref('fct_rankings') }}
),

scenarios as (
    select * from {{ ref('int_scenario_ranks') }}
    where design = 'uncertainty'
),

replicated as (
    select * from {{ ref('int_tier_bounds_replicated') }}
),

replicated_ranges as (
    select
        replicated.scenario_id,
        replicated.edition,
        replicated.framework_code,
        replicated.scheme_code,
        replicated.tier,
        replicated.lower_bound,
        above.lower_bound as upper_bound
    from replicated
    left join replicated as above
        on
            replicated.scenario_id = above.scenario_id
            and replicated.edition = above.edition
            and replicated.framework_code = above.framework_code
            and replicated.scheme_code = above.scheme_code
            and replicated.tier = above.tier + 1
),

placed as (
    select
        composite.edition,
        composite.framework_code,
        composite.region_code,
        composite.composite_score,
        tiers.*
    from composite
    inner join tiers
        on
            composite.edition = tiers.edition
            and composite.framework_code = tiers.framework_code
            and (tiers.lower_bound is null or composite.composite_score >= tiers.lower_bound)
            and (tiers.upper_bound is null or composite.composite_score < tiers.upper_bound)
),

stability as (
    select
        scenarios.edition,
        scenarios.framework_code,
        scenarios.region_code,
        count(*) as n_replications,
        avg(case when ranges.tier = placed.tier then 1.0 else 0.0 end) as p_same_tier
    from scenarios
    inner join replicated_ranges as ranges
        on
            scenarios.scenario_id = ranges.scenario_id
            and scenarios.edition = ranges.edition
            and scenarios.framework_code = ranges.framework_code
            and (ranges.lower_bound is null or scenarios.score >= ranges.lower_bound)
            and (ranges.upper_bound is null or scenarios.score < ranges.upper_bound)
    inner join placed
        on
            scenarios.edition = placed.edition
            and scenarios.framework_code = placed.framework_code
            and scenarios.region_code = placed.region_code
            and ranges.scheme_code = placed.scheme_code
            and placed.is_default
    group by scenarios.edition, scenarios.framework_code, scenarios.region_code
),

final as (
    select
        placed.edition,
        placed.framework_code,
        placed.region_code,
        placed.scheme_code,
        placed.method,
        placed.is_default,
        placed.composite_score,
        placed.tier,
        placed.tier_name_zh,
        placed.tier_name_en,
        placed.tier_type_zh,
        placed.tier_type_en,
        cast(count(*) over (
            partition by placed.edition, placed.framework_code, placed.scheme_code, placed.tier
        ) as integer) as tier_size,
        placed.upper_bound - placed.composite_score as points_to_next_tier,
        case when placed.is_default then stability.p_same_tier end as p_same_tier,
        cast(case when placed.is_default then stability.n_replications end as integer)
            as n_replications
    from placed
    left join stability
        on
            placed.edition = stability.edition
            and placed.framework_code = stability.framework_code
            and placed.region_code = stability.region_code
)

select * from final
