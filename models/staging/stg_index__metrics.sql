with

source as (
    select * from {{ index_source('metric_catalog') }}
),

renamed as (
    select
        cast(framework_code as string) as framework_code,
        cast(metric_code as string) as metric_code,
        cast(node_code as string) as node_code,
        cast(name_zh as string) as name_zh,
        cast(name_en as string) as name_en,
        cast(unit as string) as unit,
        cast(value_type as string) as value_type,
        {{ cast_or_null('decimals', 'integer') }} as decimals,
        {{ cast_or_null('weight', 'double') }} as weight,
        {{ cast_or_null('direction', 'integer') }} as direction,
        cast(lower(trim(transform)) as string) as transform,
        cast(lower(trim(normalization)) as string) as normalization,
        {{ cast_or_null('lower', 'double') }} as lower_bound,
        {{ cast_or_null('upper', 'double') }} as upper_bound,
        {{ cast_or_null('plausible_min', 'double') }} as plausible_min,
        {{ cast_or_null('plausible_max', 'double') }} as plausible_max,
        cast(source_hint as string) as source_hint,
        cast(nullif(trim(denominator), '') as string) as denominator,
        cast(coalesce(nullif(lower(trim(imputation)), ''), 'none') as string) as imputation,
        cast(nullif(trim(impute_group), '') as string) as impute_group,
        cast(coalesce(nullif(lower(trim(treatment)), ''), 'none') as string) as treatment,
        {{ cast_or_null('winsor_max_points', 'integer') }} as winsor_max_points,
        {{ cast_or_null('skew_threshold', 'double') }} as skew_threshold,
        {{ cast_or_null('kurtosis_threshold', 'double') }} as kurtosis_threshold,
        cast(
            coalesce(nullif(lower(trim(constant_scores)), ''), '{{ var("constant_scores")[0] }}') as string
        ) as constant_scores,
        {{ cast_or_null('first_edition', 'integer') }} as first_edition,
        {{ cast_or_null('last_edition', 'integer') }} as last_edition
    from source
)

select * from renamed
