"""What-if and goal-seeking (对标): a region's scores recomputed from changed raw values
through the same models that computed the publication, and the cheapest path to a target
rank or tier.

**The same models.** After every successful build, ``record_models`` stores in the warehouse
(``audit.scenario_models``) the SQL dbt compiled for the scoring chain — availability,
imputation, treatment and normalisation, aggregation, rankings, node scores, contributions
and the scores' inverses (``CHAIN``) — with the names of the relations it reads. A scenario
(:func:`run_scenario`) opens an in-memory DuckDB, attaches the warehouse **read-only**, stages
the index's values with the changes applied (and no uncertainty scenarios: the index as
declared), and runs that SQL, in order, into the in-memory database: the publication is never
touched, and with no change the scores are the published ones bit for bit (tested).

**Goal-seeking** (:func:`seek_goal`): the composite points a region needs to reach a rank (the
score of the region now at that rank) or a tier (its lower bound as published), and the
cheapest way to get them — the fewest metric-score points, each metric's gain bounded by its
headroom to 100 and weighted by its marginal weight on the composite (fct_score_contributions:
its effective weight on arithmetic paths) — a linear program (scipy's HiGHS). It is exact for
an arithmetic tree whose normalisation does not move (goalposts); otherwise — geometric or
harmonic nodes, min-max bounds that shift, other regions' scores that move — the plan is
applied through :func:`run_scenario`, the remaining gap measured, and the program solved again
at the new point, until the target is reached (solved numerically, and said so). The plan is
expressed in raw units through int_metric_score_inverses where the normalisation is
invertible; metrics it is not invertible for are left out of the plan.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

# the models a scenario recomputes, in dependency order
CHAIN = (
    "int_region_availability",
    "int_metric_values_imputed",
    "int_metric_values_scored",
    "int_metric_score_inverses",
    "int_node_scores_aggregated",
    "fct_rankings",
    "fct_indicator_scores",
    "fct_score_contributions",
)
# what the chain reads that a scenario stages itself: the values (with the changes), the
# scoring variants (the index as declared and its backcast only) and the uncertainty
# analysis's configurations (none)
VALUES = "stg_index__metric_values"
VARIANTS = "int_metric_variants"
EMPTY = (
    "stg_uncertainty__configs",
    "stg_uncertainty__metric_configs",
    "stg_uncertainty__weight_draws",
)
STAGED = (VALUES, VARIANTS, *EMPTY)
TABLE = "audit.scenario_models"
# the margin a goal's target is aimed past (composite points), so that rounding in the last
# bits cannot leave the region a hair short of a tie it was meant to reach
GOAL_MARGIN = 1e-7
# linearise–apply–measure rounds before goal-seeking gives up
GOAL_ROUNDS = 8


class ScenarioError(RuntimeError):
    """A scenario could not be computed (the message says why)."""


def forget_models(db: Path) -> None:
    """Drop the scoring chain's SQL from `db`: its tables no longer come from it (a build
    on another engine loaded into it, or a build that did not run the whole chain)."""
    con = duckdb.connect(str(db))
    try:
        con.execute(f"drop table if exists {TABLE}")
    finally:
        con.close()


def record_models(db: Path, run_results: Path) -> bool:
    """Store the compiled SQL of the scoring chain from a build's run results in `db` (the
    build's warehouse). False, and the SQL of an earlier build dropped, when this build did
    not run all of it."""
    results = json.loads(run_results.read_text(encoding="utf-8"))["results"]
    found = {}
    for r in results:
        name = r["unique_id"].rsplit(".", 1)[-1]
        if r["unique_id"].startswith("model.") and name in (*CHAIN, *STAGED):
            found[name] = (r.get("relation_name"), r.get("compiled_code"))
    needed = (*CHAIN, *STAGED)
    if any(not (found.get(n) or (None, None))[0] for n in needed) or any(
        not found[n][1] for n in CHAIN
    ):
        forget_models(db)
        return False
    rows = [
        (position, name, found[name][0], found[name][1] if name in CHAIN else None)
        for position, name in enumerate(needed)
    ]
    con = duckdb.connect(str(db))
    try:
        con.execute("create schema if not exists audit")
        con.execute(
            f"""create or replace table {TABLE} (
                    position integer, model_name varchar, relation_name varchar,
                    compiled_code varchar)"""
        )
        con.executemany(f"insert into {TABLE} values (?, ?, ?, ?)", rows)
    finally:
        con.close()
    return True


def _parts(relation_name: str) -> list[str]:
    return re.findall(r'"((?:[^"]|"")*)"', relation_name)


@dataclass
class Scenario:
    """A scenario's results (the edition's rows of the recomputed models)."""

    edition: int
    rankings: pd.DataFrame
    node_scores: pd.DataFrame
    metric_scores: pd.DataFrame
    contributions: pd.DataFrame
    inverses: pd.DataFrame
    changes: pd.DataFrame = field(default_factory=pd.DataFrame)


def run_scenario(
    db: Path, edition: int, changes: dict[tuple[str, str], float] | None = None
) -> Scenario:
    """Recompute `edition` of the warehouse `db` with raw values changed —
    {(region_code, metric_code): value} — through the build's own SQL. Never writes to `db`.
    (Several scenarios of one edition: :class:`Engine`, which stages the inputs once.)"""
    with Engine(db, edition) as engine:
        return engine.run(changes)


class Engine:
    """Scenarios of one edition of a warehouse: the warehouse attached read-only and the
    inputs staged once, then each scenario re-stages the values and runs the chain's SQL
    again (about 2 s a scenario on the shipped index, most of it planning the treatment
    step's SQL). A context manager."""

    def __init__(self, db: Path, edition: int) -> None:
        self.db, self.edition = Path(db), int(edition)
        self.con = duckdb.connect()
        try:
            self._prepare()
        except BaseException:
            self.con.close()
            raise

    def __enter__(self) -> Engine:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.con.close()

    def _prepare(self) -> None:
        con, db, edition = self.con, self.db, self.edition
        probe = duckdb.connect(str(db), read_only=True)
        try:
            has = probe.execute(
                "select count(*) from duckdb_tables() where schema_name = 'audit' "
                "and table_name = 'scenario_models'"
            ).fetchone()[0]
            if not has:
                raise ScenarioError(
                    f"{db} holds no scoring SQL for scenarios (audit.scenario_models): "
                    "scenarios run the SQL of the DuckDB build that computed the warehouse — "
                    "build it with `digindex run` (a build loaded from Spark has none)"
                )
            models = probe.execute(
                f"select model_name, relation_name, compiled_code from {TABLE} order by position"
            ).fetchall()
        finally:
            probe.close()
        catalog = _parts(models[0][1])[0]
        alias = catalog.replace('"', '""')
        quoted = str(db).replace("'", "''")
        con.execute(f"attach '{quoted}' as \"{alias}\" (read_only)")
        con.execute("attach ':memory:' as scenario")
        names = {name: relation for name, relation, _ in models}
        local = {}
        for name, relation in names.items():
            _, schema, table = _parts(relation)
            con.execute(f'create schema if not exists scenario."{schema}"')
            local[name] = f'scenario."{schema}"."{table}"'
        self.local = local

        # the edition's values as published, and the changes of the scenario being run
        con.execute(
            f"create table scenario.main.published_values as "
            f"select * from {names[VALUES]} where edition = {edition}"
        )
        con.execute(
            """create table scenario.main.changes (
                   region_code varchar, metric_code varchar, new_value double)"""
        )
        con.execute(f"create table {local[VALUES]} as select * from scenario.main.published_values")
        methods = _sibling(names[VARIANTS], "int_edition_methods")
        con.execute(
            f"""create table {local[VARIANTS]} as select * from {names[VARIANTS]}
                where variant_code in (select variant_code from {methods})"""
        )
        # what a value must be for its metric's transform (ln needs a positive value)
        self.log_metrics = {
            (fw, m)
            for fw, m in con.execute(
                f"""select distinct framework_code, metric_code from {local[VARIANTS]}
                    where edition = {edition} and variant_code = 'nominal'
                      and transform = 'log'"""
            ).fetchall()
        }
        self.framework_of = dict(
            con.execute(
                f"""select distinct v.region_code, r.framework_code
                    from scenario.main.published_values as v
                    join {_sibling(names[VALUES], "stg_index__regions")} as r
                      using (region_code)"""
            ).fetchall()
        )
        for name in EMPTY:
            _, schema, table = _parts(names[name])
            columns = con.execute(
                """select column_name, data_type from duckdb_columns()
                   where database_name = ? and schema_name = ? and table_name = ?
                   order by column_index""",
                [catalog, schema, table],
            ).fetchall()
            ddl = ", ".join(f'"{c}" {t}' for c, t in columns)
            con.execute(f"create table {local[name]} ({ddl})")

        replace = {names[n]: local[n] for n in (*CHAIN, *STAGED)}
        pattern = re.compile("|".join(re.escape(r) for r in sorted(replace, key=len, reverse=True)))
        self.stage_values = f"""insert into {local[VALUES]}
                select v.* replace (cast(coalesce(c.new_value, v.value) as double) as value)
                from scenario.main.published_values as v
                left join scenario.main.changes as c
                  on v.region_code = c.region_code and v.metric_code = c.metric_code"""
        # each step's SQL is planned at each run, on that run's tables: a statement prepared
        # once keeps the plan its tables' statistics allowed then (measured: prepared on the
        # empty tables, fct_score_contributions lost rows at every later run)
        self.steps = [
            (name, pattern.sub(lambda m: replace[m[0]], sql))
            for name, _, sql in models
            if sql is not None
        ]

    def run(self, changes: dict[tuple[str, str], float] | None = None) -> Scenario:
        """The edition recomputed with these raw values changed ({(region, metric): value})."""
        con, local = self.con, self.local
        rows = pd.DataFrame(
            [(r, m, float(v)) for (r, m), v in (changes or {}).items()],
            columns=["region_code", "metric_code", "new_value"],
        ).astype({"new_value": "float64"})
        not_positive = [
            f"{r}/{m} = {v:g}"
            for (r, m), v in (changes or {}).items()
            if (self.framework_of.get(r), m) in self.log_metrics and not float(v) > 0
        ]
        if not_positive:
            raise ScenarioError(
                "a log-transformed metric needs a positive value: " + ", ".join(not_positive)
            )
        con.execute("delete from scenario.main.changes")
        if len(rows):
            con.executemany(
                "insert into scenario.main.changes values (?, ?, ?)",
                list(rows.itertuples(index=False, name=None)),
            )
            missing = con.execute(
                """select c.region_code, c.metric_code from scenario.main.changes as c
                   anti join scenario.main.published_values as v
                     on v.region_code = c.region_code and v.metric_code = c.metric_code"""
            ).fetchall()
            if missing:
                listed = ", ".join(f"{r}/{m}" for r, m in missing)
                raise ScenarioError(f"no value of edition {self.edition} to change for {listed}")
        con.execute(f"delete from {local[VALUES]}")
        con.execute(self.stage_values)
        for name, sql in self.steps:
            con.execute(f"create or replace table {local[name]} as {sql}")

        def read(name: str) -> pd.DataFrame:
            return con.execute(f"select * from {local[name]}").df()

        scored = read("int_metric_values_scored")
        return Scenario(
            edition=self.edition,
            rankings=read("fct_rankings"),
            node_scores=read("fct_indicator_scores"),
            metric_scores=scored[scored["variant_code"] == "nominal"].reset_index(drop=True),
            contributions=read("fct_score_contributions"),
            inverses=read("int_metric_score_inverses"),
            changes=rows,
        )


def current_state(db: Path, edition: int) -> Scenario:
    """The edition as published, read from the warehouse's own tables: what run_scenario
    computes with no change (test_whatif_without_changes_reproduces_the_publication), without
    computing it."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        models = dict(con.execute(f"select model_name, relation_name from {TABLE}").fetchall())

        def read(name: str) -> pd.DataFrame:
            _, schema, table = _parts(models[name])
            return con.execute(
                f'select * from "{schema}"."{table}" where edition = ?', [edition]
            ).df()

        scored = read("int_metric_values_scored")
        return Scenario(
            edition=edition,
            rankings=read("fct_rankings"),
            node_scores=read("fct_indicator_scores"),
            metric_scores=scored[scored["variant_code"] == "nominal"].reset_index(drop=True),
            contributions=read("fct_score_contributions"),
            inverses=read("int_metric_score_inverses"),
        )
    except duckdb.CatalogException as err:
        raise ScenarioError(
            f"{db} holds no scoring SQL for scenarios ({err}): build it with this version "
            "of digindex (`digindex run`) first"
        ) from err
    finally:
        con.close()


def _sibling(relation_name: str, model: str) -> str:
    """The relation of `model` in the same database as `relation_name` (an intermediate
    model beside another)."""
    catalog, schema, _ = _parts(relation_name)
    return f'"{catalog}"."{schema}"."{model}"'


# --- goal-seeking -----------------------------------------------------------------------


@dataclass
class GoalStep:
    metric_code: str
    node_code: str
    score: float
    target_score: float
    marginal_weight: float
    raw_value: float | None
    target_raw_value: float | None


@dataclass
class Goal:
    region_code: str
    framework_code: str
    edition: int
    rank: int
    composite: float
    target: str
    target_score: float
    needed_points: float
    steps: list[GoalStep]
    reached: bool
    achieved_rank: int
    achieved_composite: float
    rounds: int
    exact: bool
    note: str
    left_out: list[str] = field(default_factory=list)


def target_score(
    rankings: pd.DataFrame, region: str, rank: int | None = None, tier_bound: float | None = None
) -> float:
    """The composite `region` needs: the score of the region now at `rank` among the others
    (a tie shares the rank), or the tier's lower bound."""
    if tier_bound is not None:
        return float(tier_bound)
    others = rankings.loc[rankings["region_code"] != region, "composite_score"]
    ordered = np.sort(others.to_numpy(float))[::-1]
    if rank is None or rank < 1:
        raise ScenarioError("a target rank is 1 or more")
    if rank > len(ordered):  # a rank at or below the peer group's last: already there
        own = rankings.loc[rankings["region_code"] == region, "composite_score"]
        return float(own.iloc[0]) if len(own) else float("-inf")
    return float(ordered[rank - 1])


def _plan(scenario: Scenario, region: str, needed: float) -> tuple[pd.DataFrame, list[str], bool]:
    """The linear program at the scenario's point: metric-score gains x ≥ 0, x ≤ headroom,
    Σ marginal_weight · x ≥ needed, minimising Σ x. Returns (gains per metric, metrics left
    out, solved)."""
    from scipy.optimize import linprog

    c = scenario.contributions
    metrics = c[
        (c["region_code"] == region) & (c["node_kind"] == "metric") & (c["ancestor_level"] == 0)
    ][["node_code", "node_score", "marginal_weight"]].rename(columns={"node_code": "metric_code"})
    inv = _inverses(scenario, region)
    invertible = metrics["metric_code"].map(inv["is_invertible"]).fillna(False).astype(bool)
    left_out = sorted(metrics.loc[~invertible, "metric_code"])
    usable = metrics[invertible & metrics["marginal_weight"].notna()].copy()
    usable["headroom"] = (100.0 - usable["node_score"]).clip(lower=0.0)
    usable = usable[(usable["headroom"] > 0) & (usable["marginal_weight"] > 0)]
    usable = usable.sort_values("metric_code").reset_index(drop=True)
    if usable.empty:
        return usable.assign(gain=[]), left_out, False
    result = linprog(
        c=np.ones(len(usable)),
        A_ub=-usable["marginal_weight"].to_numpy(float).reshape(1, -1),
        b_ub=[-needed],
        bounds=list(zip([0.0] * len(usable), usable["headroom"].to_numpy(float), strict=True)),
        method="highs",
    )
    if result.status != 0:
        usable["gain"] = usable["headroom"]  # not enough headroom: everything there is
        return usable, left_out, False
    usable["gain"] = result.x
    return usable[usable["gain"] > 1e-12].reset_index(drop=True), left_out, True


def _inverses(scenario: Scenario, region: str) -> pd.DataFrame:
    """The inverses of the metrics of `region`'s framework, by metric code."""
    rankings = scenario.rankings
    framework = rankings.loc[rankings["region_code"] == region, "framework_code"].iloc[0]
    inverses = scenario.inverses
    return inverses[inverses["framework_code"] == framework].set_index("metric_code")


def _raw_for(scenario: Scenario, region: str, metric: str, score: float) -> float | None:
    """The raw value that scores `score` on `metric` for `region` (the inverse of its
    normalisation, transform and denominator), or None where not invertible."""
    inv = _inverses(scenario, region).loc[metric]
    if not bool(inv["is_invertible"]):
        return None
    t = (
        float(inv["transformed_at_0"])
        + (float(inv["transformed_at_100"]) - float(inv["transformed_at_0"])) * float(score) / 100.0
    )
    value = float(np.exp(t)) if inv["transform"] == "log" else t  # transform_value's inverse
    if isinstance(inv["denominator"], str) and inv["denominator"]:
        row = scenario.metric_scores[
            (scenario.metric_scores["region_code"] == region)
            & (scenario.metric_scores["metric_code"] == metric)
        ]
        value *= float(row["denominator_value"].iloc[0])
    return value


def seek_goal(
    db: Path,
    edition: int,
    region: str,
    rank: int | None = None,
    tier: int | None = None,
    scheme_bounds: pd.DataFrame | None = None,
    engine: Engine | None = None,
) -> Goal:
    """The cheapest path for `region` to `rank` (or to tier `tier`, its lower bound in
    `scheme_bounds`: the published fct_tier_bounds rows of the default scheme), applied
    through `engine` (an Engine of this warehouse and edition; default: a new one)."""
    if engine is not None:
        return _seek(engine, db, edition, region, rank, tier, scheme_bounds)
    with Engine(db, edition) as own:
        return _seek(own, db, edition, region, rank, tier, scheme_bounds)


def _seek(
    engine: Engine,
    db: Path,
    edition: int,
    region: str,
    rank: int | None,
    tier: int | None,
    scheme_bounds: pd.DataFrame | None,
) -> Goal:
    base = current_state(db, edition)
    me = base.rankings[base.rankings["region_code"] == region]
    if me.empty:
        raise ScenarioError(f"region {region!r} is not ranked in edition {edition}")
    framework = str(me["framework_code"].iloc[0])
    peers = base.rankings[base.rankings["framework_code"] == framework]
    bound = None
    if tier is not None:
        rows = scheme_bounds[
            (scheme_bounds["framework_code"] == framework) & (scheme_bounds["tier"] == tier)
        ]
        if rows.empty:
            raise ScenarioError(f"no tier {tier} in the default scheme of {framework!r}")
        bound = rows["lower_bound"].iloc[0]
        bound = None if pd.isna(bound) else float(bound)
        if bound is None:
            bound = float(me["composite_score"].iloc[0])  # the last tier: already there
    wanted = target_score(peers, region, rank, bound) if (rank or bound is not None) else None
    if wanted is None:
        raise ScenarioError("give a target rank or tier")
    label = f"rank {rank}" if rank is not None else f"tier {tier}"
    start = float(me["composite_score"].iloc[0])
    scenario = base
    predicted = None
    values: dict[tuple[str, str], float] = {}
    planned: dict[str, float] = {}
    rounds = 0
    left_out: list[str] = []
    reached = start >= wanted
    while not reached and rounds < GOAL_ROUNDS:
        rounds += 1
        current = scenario.rankings
        mine = current[current["region_code"] == region]
        others = current[current["framework_code"] == framework]
        goal_now = target_score(others, region, rank, bound) if rank is not None else float(bound)
        needed = goal_now - float(mine["composite_score"].iloc[0]) + GOAL_MARGIN
        gains, left_out, solved = _plan(scenario, region, needed)
        if gains.empty:
            break
        if rounds == 1:
            predicted = start + float((gains["marginal_weight"] * gains["gain"]).sum())
        for row in gains.itertuples():
            target = min(100.0, float(row.node_score) + float(row.gain))
            raw = _raw_for(scenario, region, row.metric_code, target)
            if raw is None:
                continue
            values[(region, row.metric_code)] = raw
            planned[row.metric_code] = target
        scenario = engine.run(values)
        after = scenario.rankings
        mine = after[after["region_code"] == region]
        peers_after = after[after["framework_code"] == framework]
        wanted_after = (
            target_score(peers_after, region, rank, bound) if rank is not None else float(bound)
        )
        reached = float(mine["composite_score"].iloc[0]) >= wanted_after
        if not solved:
            break
    mine = scenario.rankings[scenario.rankings["region_code"] == region]
    steps = []
    start_metrics = base.contributions[
        (base.contributions["region_code"] == region)
        & (base.contributions["node_kind"] == "metric")
        & (base.contributions["ancestor_level"] == 0)
    ].set_index("node_code")
    scored = base.metric_scores[base.metric_scores["region_code"] == region].set_index(
        "metric_code"
    )
    for metric, target in sorted(planned.items()):
        steps.append(
            GoalStep(
                metric_code=metric,
                node_code=str(scored.loc[metric, "node_code"]),
                score=float(start_metrics.loc[metric, "node_score"]),
                target_score=target,
                marginal_weight=float(start_metrics.loc[metric, "marginal_weight"]),
                raw_value=_float(scored.loc[metric, "raw_value"]),
                target_raw_value=values[(region, metric)],
            )
        )
    achieved = float(mine["composite_score"].iloc[0])
    # exact: reached in one program whose linear prediction the models confirm
    exact = rounds == 1 and reached and abs(achieved - (predicted or start)) < 1e-9
    note = (
        "exact: one linear program (arithmetic paths, normalisation unmoved)"
        if exact
        else (
            f"solved numerically: {rounds} rounds of a linear program at the current scores, "
            "each applied through the models and measured"
        )
    )
    if not reached:
        note += "; the target was NOT reached (no headroom left on the invertible metrics)"
    return Goal(
        region_code=region,
        framework_code=framework,
        edition=edition,
        rank=int(me["rank"].iloc[0]),
        composite=start,
        target=label,
        target_score=float(wanted),
        needed_points=max(0.0, float(wanted) - start),
        steps=steps,
        reached=bool(reached),
        achieved_rank=int(mine["rank"].iloc[0]),
        achieved_composite=achieved,
        rounds=rounds,
        exact=exact,
        note=note,
        left_out=left_out,
    )


def _float(value: object) -> float | None:
    return None if value is None or pd.isna(value) else float(value)
