{#
    How robust each region's rank is: its rank in every replication of the uncertainty
    analysis (int_scenario_ranks, design 'uncertainty': the index recomputed under the
    sampled alternatives of the choices uncertainty.yml declares), summarised per region —
    the nominal (published) rank beside the median, mean, 5th and 95th percentile ranks
    (linear interpolation, as numpy's percentile), the 90 % interval's width, the best and
    worst rank seen, and the probability of a place among the peer group's top n
    (settings.top_n). No rows when the index declares no analysis.
#}

with

ranks as (
    select * from {{ ref('int_scenario_ranks') }}
),

settings as (
    select * from {{ ref('stg_uncertainty__settings') }}
),

regions as (
    select * from {{ ref('int_regions_joined') }}
),

nominal as (
    select * from ranks
    where scenario_id = 0
),

replicated as (
    select
        ranks.edition,
        ranks.framework_code,
        ranks.region_code,
        count(*) as n_replications,
        {{ quantile_cont('ranks.rank', 0.5) }} as rank_median,
        avg(cast(ranks.rank as double)) as rank_mean,
        {{ quantile_cont('ranks.rank', 0.05) }} as rank_p05,
        {{ quantile_cont('ranks.rank', 0.95) }} as rank_p95,
        min(ranks.rank) as rank_best,
        max(ranks.rank) as rank_worst,
        avg(case when ranks.rank <= settings.top_n then 1.0 else 0.0 end) as p_top_n,
        min(settings.top_n) as top_n
    from ranks
    cross join settings
    where ranks.design = 'uncertainty'
    group by ranks.edition, ranks.framework_code, ranks.region_code
),

final as (
    select
        replicated.edition,
        replicated.framework_code,
        replicated.region_code,
        regions.region_name,
        nominal.rank as nominal_rank,
        nominal.score as nominal_score,
        cast(replicated.n_replications as integer) as n_replications,
        cast(replicated.rank_median as double) as rank_median,
        cast(replicated.rank_mean as double) as rank_mean,
        cast(replicated.rank_p05 as double) as rank_p05,
        cast(replicated.rank_p95 as double) as rank_p95,
        cast(replicated.rank_p95 - replicated.rank_p05 as double) as interval_width,
        replicated.rank_best,
        replicated.rank_worst,
        cast(replicated.top_n as integer) as top_n,
        cast(replicated.p_top_n as double) as p_top_n
    from replicated
    inner join nominal
        on
            replicated.edition = nominal.edition
            and replicated.region_code = nominal.region_code
    inner join regions on replicated.region_code = regions.region_code
)

select * from final
