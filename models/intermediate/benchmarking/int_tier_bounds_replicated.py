"""The default tier scheme refitted in every replication of the uncertainty analysis
(int_scenario_ranks, design 'uncertainty'), per edition and framework: what the probability
that a region stays in its tier compares with (fct_region_tiers). No rows without an
analysis. Fixed thresholds are the same in every replication; the data-driven methods move
with the scores.

The method: digindex.benchmarking (its docstring), which this model calls.
"""

from digindex.benchmarking import fit_tiers


def model(dbt, session):
    dbt.config(materialized="table")
    methods = str(dbt.config.get("tier_methods")).split(",")
    seed = int(dbt.config.get("seed"))
    scores = (
        dbt.ref("int_scenario_ranks")
        .filter("design = 'uncertainty' and score is not null")
        .project("scenario_id, edition, framework_code, region_code, score")
        .df()
    )
    schemes = dbt.ref("stg_benchmarking__tier_schemes").df()
    return fit_tiers(scores, schemes, methods, seed, replicated=True)
