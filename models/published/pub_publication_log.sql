{#
    One row per publication, appended (incremental): who published what. `digindex run`
    and `digindex publish` pass the run id, the edition, the commit, the inputs' sha256 and
    the gate's results as vars; a plain `dbt build` records its invocation id. The row
    counts are counted here, from the published tables themselves.
#}

{%- set counted = ['rankings', 'indicator_scores', 'regions', 'indicators', 'metrics',
                   'reconciliation', 'reconciliation_summary', 'peer_group_summary',
                   'published_table_audit'] %}

with

rankings as (
    select * from {{ ref('pub_rankings') }}
),

counts as (
    select
        {%- for name in counted %}
            (select count(*) from {{ ref('pub_' ~ name) }}) as n_{{ name }},
        {%- endfor %}
        (select max(edition) from rankings) as latest_edition
),

final as (
    select
        cast('{{ var("run_id", invocation_id) }}' as string) as run_id,
        cast(
            {{ var('publish_edition', none) if var('publish_edition', none) is not none
               else 'latest_edition' }}
            as integer
        ) as edition,
        cast({{ dbt.current_timestamp() }} as timestamp) as published_at,
        cast({{ "'" ~ var('git_commit') ~ "'" if var('git_commit', none) else 'null' }} as string)
            as git_commit,
        cast({{ "'" ~ var('inputs_sha256') ~ "'" if var('inputs_sha256', none) else 'null' }} as string)
            as inputs_sha256,
        cast('{{ var('gate_summary', '{"gate": "dbt tests only"}') | replace("'", "''") }}' as string)
            as suite_results,
        '{'
        {%- for name in counted %}
            || '"{{ name }}": ' || cast(n_{{ name }} as string){{ " || ', '" if not loop.last }}
        {%- endfor %}
        || '}' as row_counts
    from counts
)

select * from final
