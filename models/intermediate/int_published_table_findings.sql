{#
    Every internal inconsistency of the published reference, one row each: the printed
    tables checked against themselves and against the text's statements. Describes only;
    the reference stays as printed. Rounding slack: printed scores and stated averages carry
    one decimal, so each may be off by up to 0.05.
#}

with

published as (
    select * from {{ ref('int_published_rankings_joined') }}
),

stated as (
    select * from {{ ref('int_published_averages_joined') }}
),

frameworks as (
    select distinct framework_code from published
),

statements as (
    select statements.*
    from {{ ref('stg_reference__published_statements') }} as statements
    inner join frameworks on statements.framework_code = frameworks.framework_code
),

notes as (
    select notes.*
    from {{ ref('stg_reference__reading_notes') }} as notes
    inner join frameworks on notes.framework_code = frameworks.framework_code
),

inverted_pairs as (
    select
        above.edition,
        above.framework_code,
        'inverted_pair' as kind,
        above.region_name || ' / ' || below.region_name as regions,
        'printed rank ' || cast(above.printed_rank as string) || ' (' || above.region_name || ', '
        || cast(above.printed_score as string) || ') above rank '
        || cast(below.printed_rank as string) || ' (' || below.region_name || ', '
        || cast(below.printed_score as string) || ') despite a lower score' as evidence,
        above.printed_rank as sort_key
    from published as above
    inner join published as below
        on
            above.edition = below.edition
            and above.framework_code = below.framework_code
            and above.printed_rank < below.printed_rank
            and above.printed_score < below.printed_score
),

rank_counts as (
    select
        edition,
        framework_code,
        printed_rank,
        count(*) as n_rows,
        {{ string_agg_ordered('region_name', 'source_line', "' / '") }} as regions
    from published
    group by edition, framework_code, printed_rank
),

duplicate_ranks as (
    select
        edition,
        framework_code,
        'duplicate_rank' as kind,
        regions,
        'rank ' || cast(printed_rank as string) || ' is printed '
        || cast(n_rows as string) || ' times' as evidence,
        printed_rank as sort_key
    from rank_counts
    where n_rows > 1
),

table_sizes as (
    select
        edition,
        framework_code,
        count(*) as n_rows,
        max(printed_rank) as max_rank
    from published
    group by edition, framework_code
),

rank_gaps as (
    {#- a rank r + 1 that is missing although some rank above r exists, or a missing rank 1 #}
    select
        ranks.edition,
        ranks.framework_code,
        'rank_gap' as kind,
        cast(null as string) as regions,
        'no row is printed with rank ' || cast(ranks.printed_rank + 1 as string)
        || ' (ranks run to ' || cast(table_sizes.max_rank as string) || ')' as evidence,
        ranks.printed_rank + 1 as sort_key
    from rank_counts as ranks
    inner join table_sizes
        on
            ranks.edition = table_sizes.edition
            and ranks.framework_code = table_sizes.framework_code
    left join rank_counts as next_rank
        on
            ranks.edition = next_rank.edition
            and ranks.framework_code = next_rank.framework_code
            and ranks.printed_rank + 1 = next_rank.printed_rank
    where next_rank.printed_rank is null and ranks.printed_rank < table_sizes.max_rank
    union all
    select
        edition,
        framework_code,
        'rank_gap' as kind,
        cast(null as string) as regions,
        'no row is printed with rank 1' as evidence,
        1 as sort_key
    from table_sizes
    where not exists (
        select 1 from published
        where
            published.edition = table_sizes.edition
            and published.framework_code = table_sizes.framework_code
            and published.printed_rank = 1
    )
),

tied_scores as (
    select
        edition,
        framework_code,
        'tied_scores' as kind,
        {{ string_agg_ordered('region_name', 'printed_rank', "' / '") }} as regions,
        cast(count(*) as string) || ' regions printed with '
        || cast(printed_score as string) || '; the report orders them '
        || {{ string_agg_ordered(
            "cast(printed_rank as string) || ' ' || region_name", 'printed_rank', "', '"
        ) }}
        || ' without stating a tie-break' as evidence,
        min(printed_rank) as sort_key
    from published
    group by edition, framework_code, printed_score
    having count(*) > 1
),

table_means as (
    select
        edition,
        framework_code,
        avg(cast(printed_score as double)) as printed_mean,
        count(*) as n_rows
    from published
    group by edition, framework_code
),

average_vs_table as (
    select
        stated.edition,
        stated.framework_code,
        'stated_average_vs_table' as kind,
        cast(null as string) as regions,
        'the text states an average composite of ' || cast(stated.stated_average as string)
        || ', the ' || cast(table_means.n_rows as string) || ' printed scores average '
        || cast(round(table_means.printed_mean, 3) as string) || ' (difference '
        || cast(round(table_means.printed_mean - stated.stated_average, 3) as string)
        || '; rounding explains at most 0.1)' as evidence,
        0 as sort_key
    from stated
    inner join table_means
        on
            stated.edition = table_means.edition
            and stated.framework_code = table_means.framework_code
    where
        stated.level = 0
        and abs(table_means.printed_mean - cast(stated.stated_average as double)) > 0.1
),

weighted_first_level as (
    select
        edition,
        framework_code,
        sum(local_weight * cast(stated_average as double)) as weighted_average
    from stated
    where level = 1
    group by edition, framework_code
),

first_level_vs_composite as (
    select
        stated.edition,
        stated.framework_code,
        'first_level_averages_vs_composite' as kind,
        cast(null as string) as regions,
        'the stated first-level averages weigh to '
        || cast(round(weighted.weighted_average, 3) as string)
        || ', the stated composite average is ' || cast(stated.stated_average as string)
        || ' (rounding explains at most 0.1)' as evidence,
        0 as sort_key
    from stated
    inner join weighted_first_level as weighted
        on
            stated.edition = weighted.edition
            and stated.framework_code = weighted.framework_code
    where
        stated.level = 0
        and abs(weighted.weighted_average - cast(stated.stated_average as double)) > 0.1
),

name_mismatches as (
    select
        edition,
        framework_code,
        'indicator_name_mismatch' as kind,
        name_as_stated || ' / ' || name_zh as regions,
        'the text reports the average of "' || name_as_stated || '" where the appendix names '
        || 'this first-level indicator "' || name_zh || '"' as evidence,
        0 as sort_key
    from stated
    where not name_matches_appendix
),

top_statements as (
    select
        statements.edition,
        statements.framework_code,
        'statement_mismatch' as kind,
        statements.subject_as_stated || ' / ' || published.region_name as regions,
        'the text says "' || statements.quote || '"; the table prints rank 1 as '
        || published.region_name || ' with ' || cast(published.printed_score as string)
            as evidence,
        0 as sort_key
    from statements
    inner join published
        on
            statements.edition = published.edition
            and statements.framework_code = published.framework_code
            and published.printed_rank = 1
    where
        statements.statement_kind = 'top_region'
        and (
            statements.subject_as_stated != published.region_name
            or statements.stated_value != published.printed_score
        )
),

reading_notes as (
    select
        edition,
        framework_code,
        kind,
        regions,
        evidence || ' (report line ' || cast(source_line as string) || ')' as evidence,
        source_line as sort_key
    from notes
),

unioned as (
    select * from inverted_pairs
    union all
    select * from duplicate_ranks
    union all
    select * from rank_gaps
    union all
    select * from tied_scores
    union all
    select * from average_vs_table
    union all
    select * from first_level_vs_composite
    union all
    select * from name_mismatches
    union all
    select * from top_statements
    union all
    select * from reading_notes
),

final as (
    select
        edition,
        framework_code,
        kind,
        cast(row_number() over (
            partition by edition, framework_code, kind order by sort_key, regions
        ) as integer) as finding_number,
        regions,
        evidence
    from unioned
)

select * from final
