{#
    Computed results against the published table, one row per region: printed rank and
    score, computed composite (unrounded and 1 dp) and rank, the differences, a status
    (`match`, `score_mismatch`, `rank_mismatch`, or `not_in_reference` / `not_computed`)
    and a reason where one can be given.
#}

with

published as (
    select * from {{ ref('int_published_rankings_joined') }}
),

rankings as (
    select * from {{ ref('fct_rankings') }}
),

inversions as (
    select
        this.edition,
        this.region_code,
        {{ string_agg_ordered(
            "other.region_name || ' (printed ' || cast(other.printed_rank as string) || ', '"
            ~ " || cast(other.printed_score as string) || ')'",
            'other.printed_rank', "', '"
        ) }} as out_of_order_with
    from published as this
    inner join published as other
        on
            this.edition = other.edition
            and this.framework_code = other.framework_code
            and (
                (this.printed_rank < other.printed_rank and this.printed_score < other.printed_score)
                or (this.printed_rank > other.printed_rank and this.printed_score > other.printed_score)
            )
    group by this.edition, this.region_code
),

joined as (
    select
        coalesce(published.edition, rankings.edition) as edition,
        coalesce(published.framework_code, rankings.framework_code) as framework_code,
        coalesce(published.region_code, rankings.region_code) as region_code,
        coalesce(published.region_name, rankings.region_name) as region_name,
        published.printed_rank,
        published.printed_score,
        rankings.composite_score,
        rankings.composite_score_1dp,
        rankings.rank as computed_rank,
        cast(rankings.composite_score_1dp - published.printed_score as decimal(5, 1))
            as score_difference,
        rankings.composite_score - cast(published.printed_score as double)
            as score_difference_unrounded,
        rankings.rank - published.printed_rank as rank_difference,
        inversions.out_of_order_with
    from published
    full outer join rankings
        on
            published.edition = rankings.edition
            and published.region_code = rankings.region_code
    left join inversions
        on
            published.edition = inversions.edition
            and published.region_code = inversions.region_code
),

final as (
    select
        edition,
        framework_code,
        region_code,
        region_name,
        printed_rank,
        printed_score,
        composite_score,
        composite_score_1dp,
        computed_rank,
        score_difference,
        score_difference_unrounded,
        rank_difference,
        case
            when printed_rank is null then 'not_in_reference'
            when computed_rank is null then 'not_computed'
            when composite_score_1dp != printed_score then 'score_mismatch'
            when computed_rank != printed_rank then 'rank_mismatch'
            else 'match'
        end as status,
        case
            when printed_rank is null then 'computed, but the printed table has no such region'
            when computed_rank is null then 'printed, but no composite was computed for it'
            when composite_score_1dp != printed_score
                then 'computed ' || cast(composite_score_1dp as string) || ', printed '
                || cast(printed_score as string)
            when computed_rank != printed_rank and out_of_order_with is not null
                then 'the printed table is out of score order: its rank disagrees with its '
                || 'score against ' || out_of_order_with
            when computed_rank != printed_rank
                then 'ranks shifted by out-of-order rows elsewhere in the printed table'
        end as reason
    from joined
)

select * from final
