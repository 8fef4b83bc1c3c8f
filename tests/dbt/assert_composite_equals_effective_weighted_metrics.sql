-- For frameworks aggregated arithmetically throughout, the composite computed directly as
-- Σ effective_weight × metric score must equal the layered result of the level models
-- (for regions with a score on every metric; missing ones re-weight the layered means).
with

metric_scores as (
    select * from {{ ref('fct_metric_values') }}
),

metrics as (
    select * from {{ ref('int_metrics_weighted') }}
    where series = 'published'
),

indicators as (
    select * from {{ ref('int_indicators_weighted') }}
    where series = 'published'
),

rankings as (
    select * from {{ ref('fct_rankings') }}
),

arithmetic_frameworks as (
    select
        edition,
        framework_code
    from indicators
    group by edition, framework_code
    having sum(case when aggregation != 'arithmetic' then 1 else 0 end) = 0
),

direct as (
    select
        metric_scores.edition,
        metric_scores.framework_code,
        metric_scores.region_code,
        sum(metrics.effective_weight * metric_scores.score) as composite_direct,
        count(*) - count(metric_scores.score) as n_missing
    from metric_scores
    inner join metrics
        on
            metric_scores.edition = metrics.edition
            and metric_scores.framework_code = metrics.framework_code
            and metric_scores.metric_code = metrics.metric_code
    inner join arithmetic_frameworks
        on
            metric_scores.edition = arithmetic_frameworks.edition
            and metric_scores.framework_code = arithmetic_frameworks.framework_code
    group by metric_scores.edition, metric_scores.framework_code, metric_scores.region_code
),

final as (
    select
        direct.edition,
        direct.framework_code,
        direct.region_code,
        direct.composite_direct,
        rankings.composite_score
    from direct
    left join rankings
        on
            direct.edition = rankings.edition
            and direct.region_code = rankings.region_code
    where
        direct.n_missing = 0
        and (
            rankings.composite_score is null
            or abs(direct.composite_direct - rankings.composite_score) > {{ var('score_tolerance') }}
        )
)

select * from final
