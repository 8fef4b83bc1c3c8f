"""Development types (差异化路线): clusters of the regions' first-level profiles, per edition
and framework (the index as published).

The method: digindex.benchmarking (its docstring), which this model calls.
"""

from digindex.benchmarking import fit_typology


def model(dbt, session):
    dbt.config(materialized="table")
    nodes = (
        dbt.ref("int_node_scores_aggregated")
        .filter("config_id = 0 and score is not null and level <= 1")
        .project("edition, framework_code, region_code, node_code, level, score")
        .df()
    )
    return fit_typology(
        nodes[nodes["level"] == 1],
        nodes[nodes["level"] == 0],
        int(dbt.config.get("max_clusters")),
        int(dbt.config.get("sample_max")),
        int(dbt.config.get("seed")),
    )
