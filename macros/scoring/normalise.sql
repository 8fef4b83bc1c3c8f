{#
    Scoring maths shared by the intermediate models. Each macro returns a SQL expression;
    the arguments are SQL expressions (usually column names). Documented in
    _scoring__macros.yml; covered by the unit tests of int_metric_values_normalised and
    the int_*_scores_aggregated models.
#}

{% macro transform_value(value, transform) -%}
    case
        when {{ transform }} = 'log' then ln({{ value }})
        when {{ transform }} = 'none' then {{ value }}
    end
{%- endmacro %}


{% macro normalise_score(method, direction, x, lower_bound, upper_bound, t_min, t_max, t_mean, t_sd, pct_rank) -%}
    {#-
        A 0–100 score (z-scores: unbounded) of the transformed value `x` by `method`.
        `lower_bound`/`upper_bound` are the metric's parameters, already transformed;
        t_min, t_max, t_mean, t_sd are the transformed values' statistics over the regions
        scored together (edition × framework × metric); pct_rank is the position of
        direction·x among them, 0 (worst) to 1 (best), ties averaged.
    -#}
    {%- set up_minmax = '100.0 * ((' ~ x ~ ') - (' ~ t_min ~ ')) / ((' ~ t_max ~ ') - (' ~ t_min ~ '))' -%}
    {%- set down_minmax = '100.0 * ((' ~ t_max ~ ') - (' ~ x ~ ')) / ((' ~ t_max ~ ') - (' ~ t_min ~ '))' -%}
    {%- set minmax = 'case when (' ~ t_max ~ ') = (' ~ t_min ~ ') then 50.0 when ' ~ direction
        ~ ' = -1 then ' ~ down_minmax ~ ' else ' ~ up_minmax ~ ' end' -%}
    case
        when {{ method }} = 'goalpost' then
            {{ clamp(
                'case when ' ~ direction ~ ' = -1'
                ~ ' then 100.0 * ((' ~ upper_bound ~ ') - (' ~ x ~ ')) / ((' ~ upper_bound ~ ') - (' ~ lower_bound ~ '))'
                ~ ' else 100.0 * ((' ~ x ~ ') - (' ~ lower_bound ~ ')) / ((' ~ upper_bound ~ ') - (' ~ lower_bound ~ '))'
                ~ ' end',
                0, 100) }}
        when {{ method }} = 'minmax' then {{ minmax }}
        when {{ method }} = 'efficacy' then 60.0 + 0.4 * ({{ minmax }})
        when {{ method }} = 'zscore' then
            case
                when coalesce({{ t_sd }}, 0) = 0 then 0.0
                else {{ direction }} * (({{ x }}) - ({{ t_mean }})) / ({{ t_sd }})
            end
        when {{ method }} = 'rank' then 100.0 * {{ pct_rank }}
        when {{ method }} = 'target' then
            {{ clamp(
                'case when ' ~ direction ~ ' = -1'
                ~ ' then 100.0 * ((' ~ t_max ~ ') - (' ~ x ~ ')) / ((' ~ t_max ~ ') - (' ~ upper_bound ~ '))'
                ~ ' else 100.0 * ((' ~ x ~ ') - (' ~ t_min ~ ')) / ((' ~ upper_bound ~ ') - (' ~ t_min ~ '))'
                ~ ' end',
                0, 100) }}
    end
{%- endmacro %}


{% macro clamp(expression, low, high) -%}
    least(cast({{ high }} as double), greatest(cast({{ low }} as double), {{ expression }}))
{%- endmacro %}


{% macro weighted_mean(value, weight, method) -%}
    {#- An aggregate expression: use it with GROUP BY, `method` constant in each group. -#}
    case
        when {{ method }} = 'arithmetic' then
            sum({{ weight }} * {{ value }}) / sum({{ weight }})
        when min({{ value }}) <= 0 then 0.0
        when {{ method }} = 'geometric' then
            exp(
                sum(case when {{ value }} > 0 then {{ weight }} * ln({{ value }}) end)
                / sum({{ weight }})
            )
        when {{ method }} = 'harmonic' then
            sum({{ weight }})
            / sum(case when {{ value }} > 0 then {{ weight }} / {{ value }} end)
    end
{%- endmacro %}


{% macro aggregate_node_scores(children, nodes, level) -%}
    {#-
        Scores of the nodes at `level`, each the weighted mean of its children by the node's
        aggregation method. `children` has edition, framework_code, region_code, parent_code,
        child_weight, child_score; `nodes` has framework_code, node_code, level, aggregation.
    -#}
    select
        children.edition,
        children.framework_code,
        children.region_code,
        nodes.node_code,
        nodes.level,
        {{ weighted_mean('children.child_score', 'children.child_weight', 'nodes.aggregation') }}
            as score,
        count(*) as n_children
    from {{ children }} as children
    inner join {{ nodes }} as nodes
        on
            children.framework_code = nodes.framework_code
            and children.parent_code = nodes.node_code
    where nodes.level = {{ level }}
    group by
        children.edition,
        children.framework_code,
        children.region_code,
        nodes.node_code,
        nodes.level,
        nodes.aggregation
{%- endmacro %}


{% macro node_score_children(metric_scores, child_node_scores, indicators) -%}
    {#-
        The children of every node, in the shape aggregate_node_scores reads: the metrics
        that feed a node directly (leaf indicators) and the scores of its child nodes
        (`child_node_scores` is none for the deepest level).
    -#}
    select
        edition,
        framework_code,
        region_code,
        node_code as parent_code,
        metric_weight as child_weight,
        score as child_score
    from {{ metric_scores }}
    where score is not null
    {%- if child_node_scores is not none %}
    union all
    select
        scores.edition,
        scores.framework_code,
        scores.region_code,
        indicators.parent_code,
        indicators.local_weight as child_weight,
        scores.score as child_score
    from {{ child_node_scores }} as scores
    inner join {{ indicators }} as indicators
        on
            scores.framework_code = indicators.framework_code
            and scores.node_code = indicators.node_code
    {%- endif %}
{%- endmacro %}
