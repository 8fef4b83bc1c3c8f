{#
    Every ranked region's raw metric values beside the value that was normalised (after
    denomination, imputation and treatment) and its 0–100 score, with the rank among the
    peer group on the metric: what a region profile shows under its indicators.
#}

with

scored as (
    select * from {{ ref('int_metric_values_scored') }}
    where variant_code = 'nominal'
),

final as (
    select
        edition,
        framework_code,
        region_code,
        node_code,
        metric_code,
        raw_value,
        treated_value as scored_value,
        score,
        cast(rank() over (
            partition by edition, framework_code, metric_code
            order by score desc
        ) as integer) as peer_rank
    from scored
    where is_ranked
)

select * from final
