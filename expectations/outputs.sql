-- Frame for the `outputs` suite: one row per ranked region (and edition) with what the
-- marts hold for it (regions below an availability threshold are reported in
-- marts.fct_region_status instead). Aggregated in SQL so GX never reads the whole fact table.
with

regions as (
    select region_code, framework_code from marts.dim_regions
),

indicators as (
    select framework_code, count(*) as n_nodes from marts.dim_indicators group by framework_code
),

editions as (
    select distinct edition from marts.fct_rankings
),

scores as (
    select
        edition, region_code,
        count(*) as n_nodes_scored,
        count(score) as n_scores_not_null,
        min(score) as min_score,
        max(score) as max_score
    from marts.fct_indicator_scores
    group by edition, region_code
),

rankings as (
    select
        edition, framework_code, region_code, composite_score, rank,
        count(*) over (partition by edition, framework_code) as n_ranked_in_framework,
        rank() over (partition by edition, framework_code order by composite_score desc)
            as competition_rank
    from marts.fct_rankings
),

status as (
    select edition, region_code, is_ranked from marts.fct_region_status
),

region_counts as (
    select status.edition, regions.framework_code, count(*) as n_regions_in_framework
    from status
    inner join regions on status.region_code = regions.region_code
    where status.is_ranked
    group by status.edition, regions.framework_code
),

unbounded as (
    select distinct framework_code from marts.dim_metrics where normalization = 'zscore'
),

checked as (
    select
        editions.edition,
        regions.framework_code,
        regions.region_code,
        indicators.n_nodes as n_nodes_expected,
        coalesce(scores.n_scores_not_null, 0) as n_nodes_scored,
        indicators.n_nodes - coalesce(scores.n_scores_not_null, 0) as n_nodes_missing,
        case when unbounded.framework_code is null then scores.min_score end as min_score,
        case when unbounded.framework_code is null then scores.max_score end as max_score,
        rankings.composite_score,
        rankings.rank,
        region_counts.n_regions_in_framework,
        rankings.n_ranked_in_framework,
        rankings.rank between 1 and region_counts.n_regions_in_framework as rank_within_1_to_n,
        rankings.rank = rankings.competition_rank as rank_is_competition_rank,
        rankings.n_ranked_in_framework = region_counts.n_regions_in_framework
            as framework_fully_ranked
    from editions
    cross join regions
    inner join status
        on editions.edition = status.edition
        and regions.region_code = status.region_code
        and status.is_ranked
    left join indicators on regions.framework_code = indicators.framework_code
    left join unbounded on regions.framework_code = unbounded.framework_code
    left join region_counts
        on editions.edition = region_counts.edition
        and regions.framework_code = region_counts.framework_code
    left join scores
        on editions.edition = scores.edition and regions.region_code = scores.region_code
    left join rankings
        on editions.edition = rankings.edition and regions.region_code = rankings.region_code
)

-- Every check is computed for every ranked region above; only regions failing at least one
-- reach Great Expectations (a clean build gives an empty frame).
select *
from checked
where not (
    n_nodes_missing = 0
    and coalesce(min_score >= -1e-9, true)
    and coalesce(max_score <= 100.000000001, true)
    and composite_score is not null
    and coalesce(rank_within_1_to_n, false)
    and coalesce(rank_is_competition_rank, false)
    and coalesce(framework_fully_ranked, false)
)
order by edition, framework_code, rank
