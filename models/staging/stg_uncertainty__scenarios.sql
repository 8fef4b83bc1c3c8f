{#
    One row per sampled scenario: its design (uncertainty: the Monte Carlo replications;
    sensitivity: the Saltelli design's matrices A, AB_i, B per base row), the choice an AB
    row switches, and the configuration its composite is computed under.
#}
{%- set columns = {
    'scenario_id': 'integer',
    'design': 'string',
    'matrix': 'string',
    'base_row': 'integer',
    'switched_choice': 'string',
    'config_id': 'integer',
    'variant_code': 'string'
} %}

with

source as (
    select * from {{ uncertainty_source('scenarios', columns) }} as staged
),

final as (
    select
        cast(scenario_id as integer) as scenario_id,
        cast(design as string) as design,
        cast(matrix as string) as matrix,
        cast(base_row as integer) as base_row,
        cast(switched_choice as string) as switched_choice,
        cast(config_id as integer) as config_id,
        cast(variant_code as string) as variant_code
    from source
)

select * from final
