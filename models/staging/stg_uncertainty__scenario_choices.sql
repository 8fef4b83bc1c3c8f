{#
    The alternative (or weight draw) each scenario takes for each choice, with the sampled x
    in [0, 1) of a discrete choice.
#}
{%- set columns = {
    'scenario_id': 'integer',
    'choice_code': 'string',
    'x': 'double',
    'alternative': 'string',
    'draw_id': 'integer'
} %}

with

source as (
    select * from {{ uncertainty_source('scenario_choices', columns) }} as staged
),

final as (
    select
        cast(scenario_id as integer) as scenario_id,
        cast(choice_code as string) as choice_code,
        cast(x as double) as x,
        cast(alternative as string) as alternative,
        cast(draw_id as integer) as draw_id
    from source
)

select * from final
