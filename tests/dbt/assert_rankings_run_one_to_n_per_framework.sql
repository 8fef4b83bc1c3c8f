-- Ranks are competition ranks (1 + the number of strictly higher composites in the same
-- framework and edition), and every framework ranks exactly its ranked regions (those
-- meeting the availability thresholds) and, where a published table exists, as many as it
-- prints for that edition (120 / 100 / 30 for 2022).
with

rankings as (
    select * from {{ ref('fct_rankings') }}
),

published as (
    select * from {{ ref('stg_reference__published_rankings') }}
),

{# not rank(): 1 + how many regions of the framework and edition score strictly higher,
    counted from the distinct composites (one running sum; a self-join would be quadratic) #}
score_counts as (
    select
        edition,
        framework_code,
        composite_score,
        count(*) as n_with_score
    from rankings
    group by edition, framework_code, composite_score
),

n_higher as (
    select
        edition,
        framework_code,
        composite_score,
        coalesce(sum(n_with_score) over (
            partition by edition, framework_code
            order by composite_score desc
            rows between unbounded preceding and 1 preceding
        ), 0) as n_strictly_higher
    from score_counts
),

expected_rank as (
    select
        rankings.edition,
        rankings.framework_code,
        rankings.region_code,
        rankings.rank,
        1 + n_higher.n_strictly_higher as competition_rank
    from rankings
    left join n_higher
        on
            rankings.edition = n_higher.edition
            and rankings.framework_code = n_higher.framework_code
            and rankings.composite_score = n_higher.composite_score
),

bad_ranks as (
    select
        edition,
        framework_code,
        region_code,
        'rank ' || cast(rank as string) || ' should be ' || cast(competition_rank as string)
            as problem
    from expected_rank
    where competition_rank is null or rank != competition_rank
),

counts as (
    select
        rankings.edition,
        rankings.framework_code,
        count(*) as n_ranked,
        min(rankings.rank) as min_rank,
        max(rankings.rank) as max_rank
    from rankings
    group by rankings.edition, rankings.framework_code
),

region_counts as (
    select
        status.edition,
        status.framework_code,
        count(*) as n_regions
    from {{ ref('fct_region_status') }} as status
    where status.is_ranked
    group by status.edition, status.framework_code
),

published_counts as (
    select
        edition,
        framework_code,
        count(*) as n_published
    from published
    group by edition, framework_code
),

bad_counts as (
    select
        counts.edition,
        counts.framework_code,
        cast(null as string) as region_code,
        'ranked ' || cast(counts.n_ranked as string)
        || ', regions ' || cast(coalesce(region_counts.n_regions, 0) as string)
        || ', published ' || cast(coalesce(published_counts.n_published, 0) as string)
        || ', ranks ' || cast(counts.min_rank as string) || '..' || cast(counts.max_rank as string)
            as problem
    from counts
    left join region_counts
        on
            counts.edition = region_counts.edition
            and counts.framework_code = region_counts.framework_code
    left join published_counts
        on
            counts.edition = published_counts.edition
            and counts.framework_code = published_counts.framework_code
    where
        counts.n_ranked != coalesce(region_counts.n_regions, 0)
        or (published_counts.n_published is not null and counts.n_ranked != published_counts.n_published)
        or counts.min_rank != 1
        or counts.max_rank > counts.n_ranked
),

final as (
    select * from bad_ranks
    union all
    select * from bad_counts
)

select * from final
