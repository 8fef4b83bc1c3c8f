-- Every region has exactly one value row for every metric of its framework, in every
-- edition it is assessed in — the editions it has value rows in (the value may be empty:
-- missing data is then imputed or screened). Lists each absent (n_values 0) and repeated
-- (2+) edition × region × metric. (A region assessed in no edition, or leaving the index
-- without a succession record, is assert_regions_continue_between_editions'.)
-- The one home of the values' completeness and of their key's uniqueness; rows of unknown
-- regions or of metrics not in the region's framework are the gate's (expectations/).
--
-- One pass over the values, in memory that grows with the regions, not with the values:
-- per edition × region, the rows of its framework's metrics are counted and the metrics'
-- bits (each metric's place in its framework, in chunks of 62 bits) OR-ed together: n rows
-- with all n bits set is each metric exactly once (pigeonhole). Only the editions × regions
-- that fail are expanded to name their absent and repeated metrics.
with

regions as (
    select * from {{ ref('stg_index__regions') }}
),

{# each edition's metrics (its framework's catalog) #}
metrics as (
    select
        edition,
        framework_code,
        metric_code,
        row_number() over (
            partition by edition, framework_code order by metric_code
        ) - 1 as metric_place
    from {{ ref('int_metrics_weighted') }}
    where series = 'published'
),

metric_values as (
    select * from {{ ref('stg_index__metric_values') }}
),

metric_bits as (
    select
        edition,
        framework_code,
        metric_code,
        cast(floor(metric_place / 62) as integer) as chunk,
        cast(power(2, metric_place % 62) as bigint) as bit
    from metrics
),

placed as (
    select
        metric_values.edition,
        metric_values.region_code,
        metric_values.metric_code,
        metric_bits.chunk,
        metric_bits.bit
    from metric_values
    inner join regions
        on metric_values.region_code = regions.region_code
    inner join metric_bits
        on
            metric_values.edition = metric_bits.edition
            and regions.framework_code = metric_bits.framework_code
            and metric_values.metric_code = metric_bits.metric_code
),

seen as (
    select
        edition,
        region_code,
        chunk,
        count(*) as n_rows,
        bit_or(bit) as bits
    from placed
    group by edition, region_code, chunk
),

chunks as (
    select
        edition,
        framework_code,
        chunk,
        count(*) as n_rows,
        bit_or(bit) as bits
    from metric_bits
    group by edition, framework_code, chunk
),

assessed as (
    select distinct
        seen.edition,
        regions.region_code,
        regions.framework_code
    from seen
    inner join regions on seen.region_code = regions.region_code
),

failing_regions as (
    select distinct
        assessed.edition,
        assessed.region_code,
        assessed.framework_code
    from assessed
    inner join chunks
        on
            assessed.edition = chunks.edition
            and assessed.framework_code = chunks.framework_code
    left join seen
        on
            assessed.edition = seen.edition
            and assessed.region_code = seen.region_code
            and chunks.chunk = seen.chunk
    where
        seen.n_rows is null
        or seen.n_rows != chunks.n_rows
        or seen.bits != chunks.bits
),

failing_values as (
    select metric_values.*
    from metric_values
    inner join failing_regions
        on
            metric_values.edition = failing_regions.edition
            and metric_values.region_code = failing_regions.region_code
),

absent_or_repeated as (
    select
        failing_regions.edition,
        failing_regions.region_code,
        metric_bits.metric_code,
        count(failing_values.metric_code) as n_values
    from failing_regions
    inner join metric_bits
        on
            failing_regions.edition = metric_bits.edition
            and failing_regions.framework_code = metric_bits.framework_code
    left join failing_values
        on
            failing_regions.edition = failing_values.edition
            and failing_regions.region_code = failing_values.region_code
            and metric_bits.metric_code = failing_values.metric_code
    group by failing_regions.edition, failing_regions.region_code, metric_bits.metric_code
    having count(failing_values.metric_code) != 1
),

final as (
    select * from absent_or_repeated
)

select * from final
