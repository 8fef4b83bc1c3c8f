{#
    The specification's uncertain choices, in order: kind, names, levels, noise,
    alternatives, metrics.
#}
{%- set columns = {
    'choice_code': 'string',
    'position': 'integer',
    'kind': 'string',
    'name_en': 'string',
    'name_zh': 'string',
    'levels': 'string',
    'noise': 'double',
    'alternatives': 'string',
    'metrics': 'string'
} %}

with

source as (
    select * from {{ uncertainty_source('choices', columns) }} as staged
),

final as (
    select
        cast(choice_code as string) as choice_code,
        cast(position as integer) as position,
        cast(kind as string) as kind,
        cast(name_en as string) as name_en,
        cast(name_zh as string) as name_zh,
        cast(levels as string) as levels,
        cast(noise as double) as noise,
        cast(alternatives as string) as alternatives,
        cast(metrics as string) as metrics
    from source
)

select * from final
