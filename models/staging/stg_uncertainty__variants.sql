{#
    Per scoring variant, the methods replacing the declared ones for the metrics its choices
    name (null: as declared).
#}
{%- set columns = {
    'variant_code': 'string',
    'framework_code': 'string',
    'metric_code': 'string',
    'normalization': 'string',
    'treatment': 'string',
    'winsor_max_points': 'integer',
    'imputation': 'string'
} %}

with

source as (
    select * from {{ uncertainty_source('variants', columns) }} as staged
),

final as (
    select
        cast(variant_code as string) as variant_code,
        cast(framework_code as string) as framework_code,
        cast(metric_code as string) as metric_code,
        cast(normalization as string) as normalization,
        cast(treatment as string) as treatment,
        cast(winsor_max_points as integer) as winsor_max_points,
        cast(imputation as string) as imputation
    from source
)

select * from final
