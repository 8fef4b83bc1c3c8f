{#
    The methods each framework's editions (those its regions have values in) are computed
    under, one row per edition × series: `published`, the edition's own method — the
    framework and catalog rows whose edition range (first_edition … last_edition, open
    where empty) contains it; and, for an edition whose rows are not the latest edition's,
    `backcast`: the latest edition's method, so that its scores compare with the latest's.
    method_edition is the edition whose rows apply. The one home of how a series is
    computed: its scoring variant (int_metric_variants) and its configuration
    (int_node_scores_aggregated), and of which series is comparable across editions — the
    latest edition's method: the backcast where there is one (is_comparable).
#}

with

metric_values as (
    select * from {{ ref('stg_index__metric_values') }}
),

regions as (
    select * from {{ ref('stg_index__regions') }}
),

nodes as (
    select * from {{ ref('stg_index__framework_nodes') }}
),

metrics as (
    select * from {{ ref('stg_index__metrics') }}
),

editions as (
    select distinct
        regions.framework_code,
        metric_values.edition
    from metric_values
    inner join regions on metric_values.region_code = regions.region_code
),

latest as (
    select
        framework_code,
        max(edition) as latest_edition
    from editions
    group by framework_code
),

{# the framework's rows (nodes and metrics) with their edition ranges #}
declared as (
    select
        framework_code,
        first_edition,
        last_edition
    from nodes
    union all
    select
        framework_code,
        first_edition,
        last_edition
    from metrics
),

{# per edition, the rows that apply to it or to the latest edition, but not to both #}
differences as (
    select
        editions.framework_code,
        editions.edition,
        count(*) as n_rows_differing
    from editions
    inner join latest on editions.framework_code = latest.framework_code
    inner join declared on editions.framework_code = declared.framework_code
    where
        {{ edition_in_range('editions.edition', 'declared') }}
        != {{ edition_in_range('latest.latest_edition', 'declared') }}
    group by editions.framework_code, editions.edition
),

editions_methods as (
    select
        editions.framework_code,
        editions.edition,
        latest.latest_edition,
        coalesce(differences.n_rows_differing, 0) > 0 as needs_backcast
    from editions
    inner join latest on editions.framework_code = latest.framework_code
    left join differences
        on
            editions.framework_code = differences.framework_code
            and editions.edition = differences.edition
),

final as (
    select
        framework_code,
        edition,
        'published' as series,
        edition as method_edition,
        latest_edition,
        0 as config_id,
        'nominal' as variant_code,
        not needs_backcast as is_comparable
    from editions_methods
    union all
    select
        framework_code,
        edition,
        'backcast' as series,
        latest_edition as method_edition,
        latest_edition,
        -1 as config_id,
        'backcast' as variant_code,
        true as is_comparable
    from editions_methods
    where needs_backcast
)

select * from final
