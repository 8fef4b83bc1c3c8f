{# Scores of the level-6 nodes: the weighted mean of their children (see macros/scoring). #}

with

metric_scores as (
    select * from {{ ref('int_metric_values_normalised') }}
),

indicators as (
    select * from {{ ref('int_indicators_weighted') }}
),

children as (
    {{ node_score_children('metric_scores', none, 'indicators') }}
),

final as (
    {{ aggregate_node_scores('children', 'indicators', 6) }}
)

select * from final
