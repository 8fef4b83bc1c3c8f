{#
    The largest risers and fallers of each peer group's composite since the previous
    edition (like-for-like links; the comparable change: both editions under the latest
    edition's method), var('movers_top_n') each way, and what moved them:
    the first-level indicator and the metric that contributed most in the direction of the
    move (fct_score_change_contributions; a metric's contribution in composite points).
#}

with

changes as (
    select * from {{ ref('fct_score_changes') }}
    where level = 0 and is_like_for_like
),

contributions as (
    select * from {{ ref('fct_score_change_contributions') }}
),

regions as (
    select * from {{ ref('int_regions_joined') }}
),

ordered as (
    select
        changes.*,
        case when changes.comparable_score_change >= 0 then 'riser' else 'faller' end
            as direction,
        cast(row_number() over (
            partition by
                changes.edition,
                changes.framework_code,
                case when changes.comparable_score_change >= 0 then 'riser' else 'faller' end
            order by abs(changes.comparable_score_change) desc, changes.region_code
        ) as integer) as position
    from changes
    where changes.comparable_score_change != 0
),

movers as (
    select * from ordered
    where position <= {{ var('movers_top_n') }}
),

{# per mover, its drivers in the direction of its move, strongest first #}
drivers as (
    select
        movers.edition,
        movers.framework_code,
        movers.region_code,
        movers.previous_region_code,
        contributions.child_kind,
        contributions.level,
        contributions.child_code,
        contributions.contribution_to_composite,
        row_number() over (
            partition by
                movers.edition,
                movers.framework_code,
                movers.region_code,
                movers.previous_region_code,
                contributions.child_kind,
                contributions.level = 0
            order by
                case when movers.direction = 'riser' then -1 else 1 end
                * contributions.contribution_to_composite,
                contributions.child_code
        ) as strength
    from movers
    inner join contributions
        on
            movers.edition = contributions.edition
            and movers.framework_code = contributions.framework_code
            and movers.region_code = contributions.region_code
            and movers.previous_region_code = contributions.previous_region_code
),

main_indicator as (
    select * from drivers
    where child_kind = 'node' and level = 0 and strength = 1
),

main_metric as (
    select * from drivers
    where child_kind = 'metric' and strength = 1
),

final as (
    select
        movers.edition,
        movers.previous_edition,
        movers.framework_code,
        movers.direction,
        movers.position,
        movers.region_code,
        regions.region_name,
        movers.previous_region_code,
        movers.link_kind,
        movers.score,
        movers.previous_score,
        movers.score_change,
        movers.comparable_score_change,
        movers.rank,
        movers.previous_rank,
        movers.rank_change,
        movers.comparable_rank_change,
        main_indicator.child_code as main_indicator_code,
        main_indicator.contribution_to_composite as main_indicator_contribution,
        main_metric.child_code as main_metric_code,
        main_metric.contribution_to_composite as main_metric_contribution
    from movers
    inner join regions on movers.region_code = regions.region_code
    left join main_indicator
        on
            movers.edition = main_indicator.edition
            and movers.framework_code = main_indicator.framework_code
            and movers.region_code = main_indicator.region_code
            and movers.previous_region_code = main_indicator.previous_region_code
    left join main_metric
        on
            movers.edition = main_metric.edition
            and movers.framework_code = main_metric.framework_code
            and movers.region_code = main_metric.region_code
            and movers.previous_region_code = main_metric.previous_region_code
)

select * from final
