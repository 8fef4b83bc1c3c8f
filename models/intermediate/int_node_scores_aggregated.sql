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

    Scenarios are rows: each level is computed once per configuration (config_id) — 0, the
    index as declared; −1, an edition's backcast (the latest edition's framework and
    catalog, series `backcast` of int_edition_methods; only for the editions whose own
    method differs); and, when an uncertainty analysis is staged, each
    distinct combination of the choices acting at that level or below it
    (stg_uncertainty__configs): its children's configuration, the metric scores' variant
    and metric weights (metric_configs), the aggregation replacing the declared one, and
    the multipliers of its children's weights (weight_draws; renormalised among siblings,
    as every weighted mean divides by the weights present). Scenarios that agree below a
    level share its computation.
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

weight_draws as (
    select * from {{ ref('stg_uncertainty__weight_draws') }}
),

{# the series of int_edition_methods: 0 published, -1 backcast #}
edition_series as (
    select distinct
        config_id,
        variant_code,
        series
    from {{ ref('int_edition_methods') }}
),

configs as (
    {%- for level in range(0, max_depth + 1) %}
    select
        {{ level }} as level,
        config_id,
        config_id as child_config_id,
        config_id as metric_config_id,
        cast(null as string) as aggregation,
        cast(null as integer) as child_weight_draw_id,
        series
    from edition_series
    union all
    {%- endfor %}
    select
        level,
        config_id,
        child_config_id,
        metric_config_id,
        aggregation,
        child_weight_draw_id,
        'published' as series
    from {{ ref('stg_uncertainty__configs') }}
),

metric_configs as (
    select
        config_id as metric_config_id,
        variant_code,
        cast(null as integer) as weight_draw_id,
        series
    from edition_series
    union all
    select
        metric_config_id,
        variant_code,
        weight_draw_id,
        'published' as series
    from {{ ref('stg_uncertainty__metric_configs') }}
),

metric_partials as {{ materialized_cte() }} (
    select
        metric_scores.edition,
        metric_configs.metric_config_id,
        metric_scores.framework_code,
        metric_scores.region_code,
        metric_scores.node_code,
        indicators.level,
        indicators.aggregation,
        {{ weighted_partials(
            'metric_scores.score',
            'metric_scores.metric_weight * coalesce(draws.multiplier, 1)',
            order_by='metric_scores.metric_code'
        ) }}
    from metric_scores
    inner join metric_configs
        on metric_scores.variant_code = metric_configs.variant_code
    inner join indicators
        on
            metric_scores.edition = indicators.edition
            and metric_configs.series = indicators.series
            and metric_scores.framework_code = indicators.framework_code
            and metric_scores.node_code = indicators.node_code
    left join weight_draws as draws
        on
            metric_configs.weight_draw_id = draws.draw_id
            and metric_scores.framework_code = draws.framework_code
            and metric_scores.metric_code = draws.metric_code
    where metric_scores.score is not null
    group by
        metric_scores.edition,
        metric_configs.metric_config_id,
        metric_scores.framework_code,
        metric_scores.region_code,
        metric_scores.node_code,
        indicators.level,
        indicators.aggregation
),

{%- for level in range(max_depth, -1, -1) %}
{%- if level < max_depth %}

{#- per configuration of this level, each child node's weight (declared × its draw's
    multiplier) and its parent's method: small (configurations × nodes), so that the
    scores below join it once -#}
level{{ level }}_child_weights as (
    select
        configs.config_id,
        configs.child_config_id,
        children.edition,
        children.framework_code,
        children.node_code,
        children.parent_code,
        children.local_weight * coalesce(draws.multiplier, 1) as weight,
        coalesce(configs.aggregation, parents.aggregation) as aggregation
    from configs
    inner join indicators as children
        on children.level = {{ level + 1 }} and configs.series = children.series
    inner join indicators as parents
        on
            children.edition = parents.edition
            and children.series = parents.series
            and children.framework_code = parents.framework_code
            and children.parent_code = parents.node_code
    left join weight_draws as draws
        on
            configs.child_weight_draw_id = draws.draw_id
            and children.framework_code = draws.framework_code
            and children.node_code = draws.node_code
    where configs.level = {{ level }}
),
{%- endif %}

level{{ level }}_children as (
    select
        partials.edition,
        configs.config_id,
        coalesce(configs.aggregation, partials.aggregation) as aggregation,
        partials.framework_code,
        partials.region_code,
        partials.node_code,
        partials.node_code as child_code,  -- the node's own metrics, summed: one row per node
        partials.sum_weight,
        partials.sum_weighted,
        partials.sum_weighted_log,
        partials.sum_weighted_inverse,
        partials.min_score,
        partials.n_children
    from configs
    inner join metric_partials as partials
        on configs.metric_config_id = partials.metric_config_id
    where configs.level = {{ level }} and partials.level = {{ level }}
    {%- if level < max_depth %}
    union all
    select
        scores.edition,
        weights.config_id,
        weights.aggregation,
        scores.framework_code,
        scores.region_code,
        weights.parent_code as node_code,
        scores.node_code as child_code,
        {{ weighted_partials('scores.score', 'weights.weight', single=true) }}
    from level{{ level + 1 }}_scores as scores
    inner join level{{ level }}_child_weights as weights
        on
            scores.config_id = weights.child_config_id
            and scores.edition = weights.edition
            and scores.framework_code = weights.framework_code
            and scores.node_code = weights.node_code
    {%- endif %}
),

level{{ level }}_scores as {{ materialized_cte() }} (
    select
        edition,
        config_id,
        framework_code,
        region_code,
        node_code,
        {{ level }} as level,
        {#- one method per node and configuration (aggregated, not grouped by: cheaper) -#}
        {{ weighted_mean_of_partials(
            'children', 'min(children.aggregation)', order_by='children.child_code'
        ) }} as score,
        cast(sum(n_children) as integer) as n_children
    from level{{ level }}_children as children
    group by
        edition,
        config_id,
        framework_code,
        region_code,
        node_code
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
