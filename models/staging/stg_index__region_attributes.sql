{#
    Region attributes in long form (region × attribute → value as text): the columns that
    drive denomination (numeric) and imputation groups. From an index folder they are the
    extra columns of regions.csv; for the shipped seeds, the descriptive columns of regions.
#}

{%- if var('index_dir', none) %}

with

source as (
    select * from {{ index_source('region_attributes') }}
),

renamed as (
    select
        cast(region_code as string) as region_code,
        cast(attribute as string) as attribute,
        cast(nullif(trim(value), '') as string) as value
    from source
)

{%- else %}

{%- set columns = ['province', 'prefecture', 'peer_group_zh', 'region_type_zh',
                   'is_municipality', 'is_provincial_capital', 'is_sub_provincial_city',
                   'is_county_level_city', 'is_directly_administered'] %}

with

source as (
    select * from {{ ref('regions') }}
),

renamed as (
    {%- for column in columns %}
    select
        cast(region_code as string) as region_code,
        '{{ column }}' as attribute,
        cast(nullif(trim(cast({{ column }} as string)), '') as string) as value
    from source
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}
)

{%- endif %}

select * from renamed
