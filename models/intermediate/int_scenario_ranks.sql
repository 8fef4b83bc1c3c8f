{#
    Every scenario's composite and rank, per region: scenario 0 is the nominal index (the
    published ranking's scores), the others the staged scenarios of an uncertainty analysis,
    each reading the composite of its level-0 configuration. Ranks as fct_rankings ranks:
    competition ranks within edition × framework (peer group), the highest score first.
#}

with

composite as (
    select * from {{ ref('int_node_scores_aggregated') }}
    where level = 0
),

scenarios as (
    select
        0 as scenario_id,
        'nominal' as design,
        0 as config_id
    union all
    select
        scenario_id,
        design,
        config_id
    from {{ ref('stg_uncertainty__scenarios') }}
),

final as (
    select
        scenarios.scenario_id,
        scenarios.design,
        composite.edition,
        composite.framework_code,
        composite.region_code,
        composite.score,
        cast(rank() over (
            partition by scenarios.scenario_id, composite.edition, composite.framework_code
            order by composite.score desc
        ) as integer) as rank
    from scenarios
    inner join composite
        on scenarios.config_id = composite.config_id
)

select * from final
