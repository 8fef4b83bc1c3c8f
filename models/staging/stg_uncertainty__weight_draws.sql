{#
    Each weight draw's multiplier of a node's (or a metric's) declared weight, renormalised
    among siblings by the aggregation.
#}
{%- set columns = {
    'draw_id': 'integer',
    'framework_code': 'string',
    'node_code': 'string',
    'metric_code': 'string',
    'multiplier': 'double'
} %}

with

source as (
    select * from {{ uncertainty_source('weight_draws', columns) }} as staged
),

final as (
    select
        cast(draw_id as integer) as draw_id,
        cast(framework_code as string) as framework_code,
        cast(node_code as string) as node_code,
        cast(metric_code as string) as metric_code,
        cast(multiplier as double) as multiplier
    from source
)

select * from final
