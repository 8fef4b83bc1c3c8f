{# Scores of the level-3 nodes: the weighted mean of their children (see macros/scoring). #}

with

metric_scores as (
    select * from {{ ref('int_metric_values_normalised') }}
),

child_node_scores as (
    select * from {{ ref('int_level4_scores_aggregated') }}
),

indicators as (
    select * from {{ ref('int_indicators_weighted') }}
),

children as (
    {{ node_score_children('metric_scores', 'child_node_scores', 'indicators') }}
),

final as (
    {{ aggregate_node_scores('children', 'indicators', 3) }}
)

select * from final
