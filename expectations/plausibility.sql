-- Frame for the `plausibility` suite: one row per metric (edition × framework) whose scores
-- are the same for every region scored on it — a method that degenerated (every value beyond
-- a goalpost or at a target, a constant metric) and carries no information into the index.
-- The metric's `constant_scores` (metrics.csv; `warn` by default) decides whether that is a
-- warning in the gate report or an error that stops the publication.
with

scores as (
    select
        edition,
        framework_code,
        metric_code,
        count(score) as n_scored,
        min(score) as score_min,
        max(score) as score_max,
        count(distinct raw_value) as n_raw_values
    from marts.fct_metric_values
    group by edition, framework_code, metric_code
),

constant as (
    select scores.*, metrics.constant_scores
    from scores
    inner join staging.stg_index__metrics as metrics
        on scores.framework_code = metrics.framework_code
        and scores.metric_code = metrics.metric_code
        -- the metric's row for the edition (first_edition … last_edition, open when empty)
        and coalesce(metrics.first_edition <= scores.edition, true)
        and coalesce(scores.edition <= metrics.last_edition, true)
    -- one region, or none, cannot tell; scores are 0–100, so 1e-9 is far below any real
    -- difference and above the rounding of sums
    where scores.n_scored >= 2 and scores.score_max - scores.score_min <= 1e-9
)

-- Only the constant metrics reach Great Expectations (a plausible build gives an empty frame)
select
    edition,
    framework_code,
    metric_code,
    n_scored,
    score_min as score,
    n_raw_values,
    constant_scores = 'warn' as constant_where_warned,
    constant_scores = 'error' as constant_where_refused
from constant
order by edition, framework_code, metric_code
