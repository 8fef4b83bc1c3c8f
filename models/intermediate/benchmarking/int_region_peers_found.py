"""Each region's nearest peers (对标), per edition and framework, on its profile.

The method: digindex.benchmarking (its docstring), which this model calls.
"""

from digindex.benchmarking import find_peers, profile_scores


def model(dbt, session):
    dbt.config(materialized="table")
    level = int(dbt.config.get("profile_level"))
    k = int(dbt.config.get("peers_k"))
    nodes = (
        dbt.ref("int_node_scores_aggregated")
        .filter("config_id = 0 and score is not null")
        .project("edition, framework_code, region_code, node_code, level, score")
        .df()
    )
    leaves = (
        dbt.ref("int_indicators_weighted")
        .filter("series = 'published' and is_leaf")
        .project("edition, framework_code, node_code")
        .df()
    )
    composite = nodes[nodes["level"] == 0]
    provinces = dbt.ref("int_regions_joined").project("region_code, province").df()
    profiles = profile_scores(nodes[nodes["level"] > 0], level, leaves)
    return find_peers(profiles, composite, provinces, k)
