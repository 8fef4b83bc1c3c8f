{#
    Step 6: every node's score, walking the tree bottom-up in one model (level
    var('max_tree_depth') up to the composite, level 0). The metric scores are read once:
    each node's metric children are summed into partial sums (weight, weight × score,
    weight × ln score, weight ÷ score, smallest score, count), and a node's children —
    its metrics' partials and its child nodes' scores — combine by adding partial sums, so
    each level works on a table of nodes × regions, never on the values again. The
    aggregation methods are those of weighted_mean (macros/scoring). Sums add a group's
    rows in the order of their codes (stable_sum), so identical inputs give identical
    scores, and ties between regions stay ties, whatever order the engine meets them in.
#}

{%- set max_depth = var('max_tree_depth') | int %}

with

metric_scores as (
    select * from {{ ref('int_metric_values_scored') }}
    where is_ranked
),

indicators as (
    select * from {{ ref('int_indicators_weighted') }}
),

metric_partials as {{ materialized_cte() }} (
    select
        metric_scores.edition,
        metric_scores.framework_code,
        metric_scores.region_code,
        metric_scores.node_code,
        indicators.level,
        {{ weighted_partials(
            'metric_scores.score', 'metric_scores.metric_weight',
            order_by='metric_scores.metric_code'
        ) }}
    from metric_scores
    inner join indicators
        on
            metric_scores.framework_code = indicators.framework_code
            and metric_scores.node_code = indicators.node_code
    where metric_scores.score is not null
    group by
        metric_scores.edition,
        metric_scores.framework_code,
        metric_scores.region_code,
        metric_scores.node_code,
        indicators.level
),

{%- for level in range(max_depth, -1, -1) %}

level{{ level }}_children as (
    select
        edition,
        framework_code,
        region_code,
        node_code,
        node_code as child_code,  -- the node's own metrics, summed: one row per node
        sum_weight,
        sum_weighted,
        sum_weighted_log,
        sum_weighted_inverse,
        min_score,
        n_children
    from metric_partials
    where level = {{ level }}
    {%- if level < max_depth %}
    union all
    select
        scores.edition,
        scores.framework_code,
        scores.region_code,
        indicators.parent_code as node_code,
        scores.node_code as child_code,
        {{ weighted_partials('scores.score', 'indicators.local_weight', single=true) }}
    from level{{ level + 1 }}_scores as scores
    inner join indicators
        on
            scores.framework_code = indicators.framework_code
            and scores.node_code = indicators.node_code
    {%- endif %}
),

level{{ level }}_scores as {{ materialized_cte() }} (
    select
        children.edition,
        children.framework_code,
        children.region_code,
        children.node_code,
        indicators.level,
        {{ weighted_mean_of_partials(
            'children', 'indicators.aggregation', order_by='children.child_code'
        ) }} as score,
        cast(sum(children.n_children) as integer) as n_children
    from level{{ level }}_children as children
    inner join indicators
        on
            children.framework_code = indicators.framework_code
            and children.node_code = indicators.node_code
    where indicators.level = {{ level }}
    group by
        children.edition,
        children.framework_code,
        children.region_code,
        children.node_code,
        indicators.level,
        indicators.aggregation
),
{%- endfor %}

final as (
    {%- for level in range(0, max_depth + 1) %}
    select * from level{{ level }}_scores
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}
)

select * from final
