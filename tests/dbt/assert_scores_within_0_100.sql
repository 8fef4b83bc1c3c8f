-- Every metric score and every node score lies in [0, 100] (1e-9 slack), in frameworks
-- whose metrics all use a bounded normalisation (z-scores are unbounded by design).
with

metrics as (
    select * from {{ ref('dim_metrics') }}
),

metric_scores as (
    select * from {{ ref('fct_metric_values') }}
),

node_scores as (
    select * from {{ ref('fct_indicator_scores') }}
),

unbounded_frameworks as (
    select distinct framework_code from metrics
    where normalization = 'zscore'
),

scores as (
    select
        edition,
        framework_code,
        region_code,
        metric_code as code,
        score
    from metric_scores
    union all
    select
        edition,
        framework_code,
        region_code,
        node_code as code,
        score
    from node_scores
),

final as (
    select scores.*
    from scores
    left join unbounded_frameworks on scores.framework_code = unbounded_frameworks.framework_code
    where
        unbounded_frameworks.framework_code is null
        and (
            scores.score < -{{ var('score_tolerance') }}
            or scores.score > 100 + {{ var('score_tolerance') }}
        )
)

select * from final
