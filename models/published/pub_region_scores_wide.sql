{#
    One row per edition and region: the composite with its presentation numbers and one
    column per first-level indicator (named by its code; null where the region's framework
    has no such indicator). The indicator columns follow the framework, so they are read
    from dim_indicators when the model is built; a post-hook comments each with its names.
#}

{{ config(post_hook="{{ comment_first_level_columns(this) }}") }}

{%- set level1 = first_level_indicators() %}

with

rankings as (
    select * from {{ ref('fct_rankings') }}
),

scores as (
    select * from {{ ref('fct_indicator_scores') }}
),

regions as (
    select * from {{ ref('dim_regions') }}
),

first_level as (
    select
        edition,
        region_code
        {%- for node in level1 %},
        max(score) filter (where node_code = '{{ node.code }}') as {{ adapter.quote(node.code) }}
        {%- endfor %}
    from scores
    where level = 1
    group by edition, region_code
),

final as (
    select
        rankings.edition,
        rankings.framework_code,
        regions.peer_group_zh,
        rankings.region_code,
        rankings.region_name,
        regions.province,
        regions.prefecture,
        regions.region_type_zh,
        rankings.composite_score,
        rankings.composite_score_1dp,
        rankings.rank,
        rankings.peer_count,
        rankings.percentile,
        rankings.province_rank
        {%- for node in level1 %},
        first_level.{{ adapter.quote(node.code) }}
        {%- endfor %}
    from rankings
    inner join regions on rankings.region_code = regions.region_code
    left join first_level
        on
            rankings.edition = first_level.edition
            and rankings.region_code = first_level.region_code
)

select * from final
