{#
    One row per publication of an edition, appended (incremental): who published what.
    `digindex run` and `digindex publish` pass the run id, the editions, the commit, the inputs' sha256 and
    the gate's results as DIGINDEX_PUBLICATION_* environment variables (not vars: a change
    of vars makes dbt re-parse the whole project, a changed env var only this model); a
    plain `dbt build` records its invocation id (and the latest edition). The row counts
    are counted here, from the published tables themselves: the edition's rows.
#}

{%- set run_id = env_var('DIGINDEX_PUBLICATION_RUN_ID', '') or invocation_id %}
{%- set editions = env_var('DIGINDEX_PUBLICATION_EDITION', '') %}
{%- set git_commit = env_var('DIGINDEX_PUBLICATION_GIT_COMMIT', '') %}
{%- set inputs_sha256 = env_var('DIGINDEX_PUBLICATION_INPUTS_SHA256', '') %}
{%- set suite_results = env_var('DIGINDEX_PUBLICATION_SUITE_RESULTS', '')
    or '{"gate": "dbt tests only"}' %}
{%- set counted = ['rankings', 'indicator_scores', 'regions', 'indicators', 'metrics',
                   'reconciliation', 'reconciliation_summary', 'peer_group_summary',
                   'published_table_audit', 'score_changes', 'movers'] %}

with

rankings as (
    select * from {{ ref('pub_rankings') }}
),

published_editions as (
    {%- if editions %}
    {%- for edition in editions.split(',') %}
    select cast({{ edition | int }} as integer) as edition
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}
    {%- else %}
    select max(edition) as edition from rankings
    {%- endif %}
),

{#- each table's rows of the edition (all its rows when it has no edition column) -#}
counts as (
    select
        {%- for name in counted %}
        {%- set relation = ref('pub_' ~ name) %}
        {%- set columns = adapter.get_columns_in_relation(relation) | map(attribute='name')
            | map('lower') | list if execute else [] %}
        (
            select count(*) from {{ relation }} as counted
            {%- if 'edition' in columns %}
            where counted.edition = published_editions.edition
            {%- endif %}
        ) as n_{{ name }},
        {%- endfor %}
        published_editions.edition
    from published_editions
),

final as (
    select
        cast('{{ run_id }}' as string) as run_id,
        cast(edition as integer) as edition,
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
