-- score_to_transformed inverts normalise_score: for every scored value of a metric
-- int_metric_score_inverses calls invertible, strictly inside (0, 100) (where no clamp
-- acts), the transformed value the inverse gives for its score is the value that was scored
-- (within var('score_tolerance'), relative to the value's size).
with

scored as (
    select * from {{ ref('int_metric_values_scored') }}
    where variant_code = 'nominal' and is_ranked and score > 0 and score < 100
),

inverses as (
    select * from {{ ref('int_metric_score_inverses') }}
    where is_invertible
),

compared as (
    select
        scored.edition,
        scored.framework_code,
        scored.region_code,
        scored.metric_code,
        scored.score,
        scored.transformed_value,
        inverses.transformed_at_0
        + (inverses.transformed_at_100 - inverses.transformed_at_0) * scored.score / 100.0
            as inverted_value
    from scored
    inner join inverses
        on
            scored.edition = inverses.edition
            and scored.framework_code = inverses.framework_code
            and scored.metric_code = inverses.metric_code
)

select * from compared
where
    abs(inverted_value - transformed_value)
    > {{ var('score_tolerance') }} * (1 + abs(transformed_value))
