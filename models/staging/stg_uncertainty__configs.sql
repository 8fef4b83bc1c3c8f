{#
    What each level of the tree is computed under, per configuration: its children's
    configuration, the metric configuration, the aggregation replacing the declared one at
    this level, and the weight draw of its children.
#}
{%- set columns = {
    'level': 'integer',
    'config_id': 'integer',
    'config_code': 'string',
    'child_config_id': 'integer',
    'metric_config_id': 'integer',
    'aggregation': 'string',
    'child_weight_draw_id': 'integer'
} %}

with

source as (
    select * from {{ uncertainty_source('configs', columns) }} as staged
),

final as (
    select
        cast(level as integer) as level,
        cast(config_id as integer) as config_id,
        cast(config_code as string) as config_code,
        cast(child_config_id as integer) as child_config_id,
        cast(metric_config_id as integer) as metric_config_id,
        cast(aggregation as string) as aggregation,
        cast(child_weight_draw_id as integer) as child_weight_draw_id
    from source
)

select * from final
