{#
    Per metric configuration: the scoring variant and the draw of the metrics' weights
    (none: as declared).
#}
{%- set columns = {
    'metric_config_id': 'integer',
    'metric_config_code': 'string',
    'variant_code': 'string',
    'weight_draw_id': 'integer'
} %}

with

source as (
    select * from {{ uncertainty_source('metric_configs', columns) }} as staged
),

final as (
    select
        cast(metric_config_id as integer) as metric_config_id,
        cast(metric_config_code as string) as metric_config_code,
        cast(variant_code as string) as variant_code,
        cast(weight_draw_id as integer) as weight_draw_id
    from source
)

select * from final
