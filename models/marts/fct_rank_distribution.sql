{#
    Each region's rank distribution over the uncertainty analysis's replications: one row
    per region and rank it takes in at least one replication, with how often (the profile's
    histogram; fct_rank_uncertainty summarises the same ranks). No rows when the index
    declares no analysis.
#}

with

ranks as (
    select * from {{ ref('int_scenario_ranks') }}
    where design = 'uncertainty'
),

counted as (
    select
        edition,
        framework_code,
        region_code,
        rank,
        count(*) as n_replications
    from ranks
    group by edition, framework_code, region_code, rank
),

final as (
    select
        edition,
        framework_code,
        region_code,
        rank,
        cast(n_replications as integer) as n_replications,
        cast(
            n_replications * 1.0
            / sum(n_replications) over (partition by edition, region_code) as double
        ) as share
    from counted
)

select * from final
