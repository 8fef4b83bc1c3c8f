{#
    A sum of doubles that does not depend on the order the engine meets the rows in:
    DuckDB's parallel aggregation adds a group's rows in an order that varies from run to
    run, and a plain sum's last bits with it — enough to break a tie between two regions
    differently on identical inputs (measured: 803 of 14,670 node scores and 60 of 250
    ranking rows differed between two identical builds).

    On DuckDB the terms are added exactly, as integers (integer addition does not care about
    order): each term x is split into its integer part, trunc(x), and its fraction scaled by
    2^100 — both integers a HUGEINT holds exactly (for |x| ≥ 2^-48 the scaling loses no bit;
    below, less than 2^-101) — and the two integer sums are turned back into one double: the
    exact sum rounded, more accurate than a plain sum and the same on every run. A group
    with a term outside [1e-12, 1e30) in magnitude (zeros aside: a weight divided by a score
    of 1e-300, a weight of 1e-300) is summed plainly. Elsewhere a plain sum. (`order_by`
    names the group's unique key: an ordered aggregate, `sum(x order by key)`, is
    deterministic too, but DuckDB holds every group's rows in memory to sort them — out of
    memory at 100k regions.)
#}
{% macro stable_sum(expression, order_by) -%}
    {{ return(adapter.dispatch('stable_sum', 'digindex')(expression, order_by)) }}
{%- endmacro %}

{% macro default__stable_sum(expression, order_by) -%}
    sum({{ expression }})
{%- endmacro %}

{% macro duckdb__stable_sum(expression, order_by) -%}
    {%- set x = '(' ~ expression ~ ')' -%}
    {%- set fits = '(' ~ x ~ ' = 0 or abs(' ~ x ~ ') between 1e-12 and 1e30)' -%}
    {%- set scale = '1267650600228229401496703205376.0' -%}
    case
        when count(case when {{ fits }} then 1 end) = count({{ x }}) then
            cast(sum(case when {{ fits }} then cast(trunc({{ x }}) as hugeint) end) as double)
            + cast(sum(case when {{ fits }} then
                cast(({{ x }} - trunc({{ x }})) * {{ scale }} as hugeint) end) as double)
            / {{ scale }}
        else sum({{ x }})
    end
{%- endmacro %}
