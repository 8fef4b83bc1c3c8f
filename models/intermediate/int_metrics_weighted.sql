{#
    The metric catalog per edition and series (as int_indicators_weighted: the edition's own
    catalog, or the latest edition's for its backcast) with each metric's weight normalised
    within its indicator and its effective weight in the composite (indicator effective
    weight × metric weight).
#}

with

declared as (
    select * from {{ ref('stg_index__metrics') }}
),

indicators as (
    select * from {{ ref('int_indicators_weighted') }}
),

methods as (
    select * from {{ ref('int_edition_methods') }}
),

metrics as (
    select
        methods.edition,
        methods.series,
        declared.*
    from methods
    inner join declared
        on
            methods.framework_code = declared.framework_code
            and {{ edition_in_range('methods.method_edition', 'declared') }}
),

node_totals as (
    select
        edition,
        series,
        framework_code,
        node_code,
        sum(weight) as node_weight,
        count(*) as n_metrics
    from metrics
    group by edition, series, framework_code, node_code
),

final as (
    select
        metrics.edition,
        metrics.series,
        metrics.framework_code,
        metrics.metric_code,
        metrics.node_code,
        metrics.name_zh,
        metrics.name_en,
        metrics.unit,
        metrics.value_type,
        metrics.decimals,
        metrics.weight as weight_as_given,
        metrics.weight / node_totals.node_weight as weight,
        indicators.effective_weight * metrics.weight / node_totals.node_weight
            as effective_weight,
        metrics.direction,
        metrics.transform,
        metrics.normalization,
        metrics.lower_bound,
        metrics.upper_bound,
        metrics.plausible_min,
        metrics.plausible_max,
        metrics.source_hint,
        metrics.denominator,
        metrics.imputation,
        metrics.impute_group,
        metrics.treatment,
        metrics.winsor_max_points,
        metrics.skew_threshold,
        metrics.kurtosis_threshold
    from metrics
    inner join node_totals
        on
            metrics.edition = node_totals.edition
            and metrics.series = node_totals.series
            and metrics.framework_code = node_totals.framework_code
            and metrics.node_code = node_totals.node_code
    left join indicators
        on
            metrics.edition = indicators.edition
            and metrics.series = indicators.series
            and metrics.framework_code = indicators.framework_code
            and metrics.node_code = indicators.node_code
)

select * from final
