{#
    The specification's settings as sampled: seed, samples, design, N, resamples, top n, and
    the specification's SHA-256.
#}
{%- set columns = {
    'seed': 'bigint',
    'samples': 'integer',
    'design': 'string',
    'sensitivity_samples': 'integer',
    'bootstrap_resamples': 'integer',
    'top_n': 'integer',
    'n_choices': 'integer',
    'spec_sha256': 'string'
} %}

with

source as (
    select * from {{ uncertainty_source('settings', columns) }} as staged
),

final as (
    select
        cast(seed as bigint) as seed,
        cast(samples as integer) as samples,
        cast(design as string) as design,
        cast(sensitivity_samples as integer) as sensitivity_samples,
        cast(bootstrap_resamples as integer) as bootstrap_resamples,
        cast(top_n as integer) as top_n,
        cast(n_choices as integer) as n_choices,
        cast(spec_sha256 as string) as spec_sha256
    from source
)

select * from final
