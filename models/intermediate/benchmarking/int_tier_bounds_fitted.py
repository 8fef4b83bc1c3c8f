"""The thresholds of every tier (梯队) scheme, fitted per edition and framework on the
composite scores of the index as published (configuration 0).

The method: digindex.benchmarking (its docstring), which this model calls.
"""

from digindex.benchmarking import fit_tiers


def model(dbt, session):
    dbt.config(materialized="table")
    methods = str(dbt.config.get("tier_methods")).split(",")
    seed = int(dbt.config.get("seed"))
    scores = (
        dbt.ref("int_node_scores_aggregated")
        .filter("level = 0 and config_id = 0 and score is not null")
        .project("edition, framework_code, region_code, score")
        .df()
    )
    schemes = dbt.ref("stg_benchmarking__tier_schemes").df()
    return fit_tiers(scores, schemes, list(methods), seed)
