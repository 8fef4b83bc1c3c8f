{#
    Each edition's metric catalog once per scoring variant: the nominal catalog (variant
    'nominal', what the index declares for the edition), the latest edition's catalog for
    an edition computed again under it (variant 'backcast', series backcast of
    int_metrics_weighted), and — when an uncertainty analysis is staged — each combination
    of normalisation, treatment and imputation its scenarios take, with those methods
    replacing the declared ones for the metrics the choices name (stg_uncertainty__variants).
    Steps 2–5 run once per edition and variant.
#}

with

metrics as (
    select * from {{ ref('int_metrics_weighted') }}
),

scenarios as (
    select * from {{ ref('stg_uncertainty__scenarios') }}
),

overrides as (
    select * from {{ ref('stg_uncertainty__variants') }}
),

variants as (
    select distinct
        variant_code,
        series
    from {{ ref('int_edition_methods') }}
    union distinct
    select
        variant_code,
        'published' as series
    from scenarios
),

final as (
    select
        metrics.edition,
        metrics.framework_code,
        variants.variant_code,
        metrics.metric_code,
        metrics.node_code,
        metrics.weight,
        metrics.direction,
        metrics.transform,
        coalesce(overrides.normalization, metrics.normalization) as normalization,
        metrics.lower_bound,
        metrics.upper_bound,
        metrics.denominator,
        coalesce(overrides.imputation, metrics.imputation) as imputation,
        metrics.impute_group,
        coalesce(overrides.treatment, metrics.treatment) as treatment,
        coalesce(overrides.winsor_max_points, metrics.winsor_max_points) as winsor_max_points,
        metrics.skew_threshold,
        metrics.kurtosis_threshold
    from metrics
    inner join variants on metrics.series = variants.series
    left join overrides
        on
            variants.variant_code = overrides.variant_code
            and metrics.framework_code = overrides.framework_code
            and metrics.metric_code = overrides.metric_code
)

select * from final
