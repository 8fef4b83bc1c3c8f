{# Step 3 applied: the imputed values of the regions that pass every availability threshold. #}

with

imputed as (
    select * from {{ ref('int_metric_values_imputed') }}
),

availability as (
    select * from {{ ref('int_region_availability') }}
),

final as (
    select imputed.*
    from imputed
    inner join availability
        on
            imputed.edition = availability.edition
            and imputed.region_code = availability.region_code
    where availability.is_ranked
)

select * from final
