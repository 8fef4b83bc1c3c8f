{#
    One row per publication, appended (incremental): who published what. `digindex run`
    and `digindex publish` pass the run id, the edition, the commit, the inputs' sha256 and
    the gate's results as DIGINDEX_PUBLICATION_* environment variables (not vars: a change
    of vars makes dbt re-parse the whole project, a changed env var only this model); a
    plain `dbt build` records its invocation id. The row counts are counted here, from the
    published tables themselves.
#}

{%- set run_id = env_var('DIGINDEX_PUBLICATION_RUN_ID', '') or invocation_id %}
{%- set edition = env_var('DIGINDEX_PUBLICATION_EDITION', '') %}
{%- set git_commit = env_var('DIGINDEX_PUBLICATION_GIT_COMMIT', '') %}
{%- set inputs_sha256 = env_var('DIGINDEX_PUBLICATION_INPUTS_SHA256', '') %}
{%- set suite_results = env_var('DIGINDEX_PUBLICATION_SUITE_RESULTS', '')
    or '{"gate": "dbt tests only"}' %}
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
        cast('{{ run_id }}' as string) as run_id,
        cast({{ edition if edition else 'latest_edition' }} as integer) as edition,
        cast({{ dbt.current_timestamp() }} as timestamp) as published_at,
        cast({{ "'" ~ git_commit ~ "'" if git_commit else 'null' }} as string) as git_commit,
        cast({{ "'" ~ inputs_sha256 ~ "'" if inputs_sha256 else 'null' }} as string)
            as inputs_sha256,
        cast('{{ suite_results | replace("'", "''") }}' as string) as suite_results,
        '{'
        {%- for name in counted %}
            || '"{{ name }}": ' || cast(n_{{ name }} as string){{ " || ', '" if not loop.last }}
        {%- endfor %}
        || '}' as row_counts
    from counts
)

select * from final
