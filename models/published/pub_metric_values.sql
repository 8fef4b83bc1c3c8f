-- depends_on: {{ ref('pub_regions') }}
-- depends_on: {{ ref('pub_metrics') }}

with

metric_values as (
    select * from {{ ref('fct_metric_values') }}
),

final as (
    select * from metric_values
)

select * from final
