{#
    The sensitivity indices' bootstrap resamples: how many times each base row is drawn in
    each resample (SALib's resamples, same seed).
#}
{%- set columns = {
    'resample_id': 'integer',
    'base_row': 'integer',
    'n_times': 'integer'
} %}

with

source as (
    select * from {{ uncertainty_source('bootstrap', columns) }} as staged
),

final as (
    select
        cast(resample_id as integer) as resample_id,
        cast(base_row as integer) as base_row,
        cast(n_times as integer) as n_times
    from source
)

select * from final
