-- depends_on: {{ ref('pub_indicators') }}

with

metrics as (
    select * from {{ ref('dim_metrics') }}
),

final as (
    select * from metrics
)

select * from final
