{#
    Every region's raw metric values beside the value that was normalised (after
    denomination, imputation and treatment) and its 0–100 score, with the rank among the
    peer group on the metric: what a region profile shows under its indicators.
#}

with

denominated as (
    select * from {{ ref('int_metric_values_denominated') }}
),

normalised as (
    select * from {{ ref('int_metric_values_normalised') }}
),

final as (
    select
        normalised.edition,
        normalised.framework_code,
        normalised.region_code,
        normalised.node_code,
        normalised.metric_code,
        denominated.raw_value,
        normalised.value as scored_value,
        normalised.score,
        cast(rank() over (
            partition by normalised.edition, normalised.framework_code, normalised.metric_code
            order by normalised.score desc
        ) as integer) as peer_rank
    from normalised
    inner join denominated
        on
            normalised.edition = denominated.edition
            and normalised.region_code = denominated.region_code
            and normalised.metric_code = denominated.metric_code
)

select * from final
