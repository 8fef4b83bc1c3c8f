"""Uncertainty and sensitivity analysis: an index's uncertain choices, sampled as rows.

An index declares its uncertain choices in ``uncertainty.yml`` (the shipped H3C index: the
project's own ``uncertainty.yml``; an index folder: its ``uncertainty.yml``) — COINr's knobs:
weight noise per level, the aggregation per level, the normalisation, the outlier treatment
and the imputation of (some) metrics, each with its alternatives — and how many samples to
draw under which seed. ``load_spec`` validates it (a refusal names file, line and key);
``stage`` samples it with SALib and writes the sample as Parquet tables for the dbt models
(``var('scenario_dir')``):

- ``scenarios``: one row per scenario — 1..M the uncertainty analysis's Monte Carlo (or
  Sobol-sequence) replications, then the N·(d+2) rows of the Saltelli design of the
  sensitivity analysis (matrices A, AB_i, B per base row, in SALib's order);
- ``scenario_choices``: the alternative (or weight draw) each scenario takes for each choice;
- ``configs`` / ``metric_configs``: what each level of the tree is computed under. A
  scenario's scores at level L depend only on the choices that act at L or below it, so
  scenarios that agree there share one computation (the Saltelli matrices share most of
  theirs, a choice acting only near the top shares the whole tree below it);
- ``variants``: the per-metric methods of each scoring variant (normalisation, treatment,
  imputation): the metric scores are computed once per variant;
- ``weight_draws``: each weight draw's multiplier per node (or metric);
- ``bootstrap``: the resamples of the sensitivity indices' bootstrap (SALib's, same seed);
- ``choices`` and ``settings``: the specification itself.

Scenario 0, the nominal index, is not staged: the models always compute it.
"""

from __future__ import annotations

import csv
import hashlib
import math
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

SPEC_FILE = "uncertainty.yml"
KINDS = ("weight_noise", "aggregation", "normalisation", "treatment", "imputation")
# the scoring choices: the metric catalog column each one overrides
SCORING = {"normalisation": "normalization", "treatment": "treatment", "imputation": "imputation"}
DESIGNS = ("random", "sobol")
METRICS_LEVEL = "metrics"  # weight noise on the metrics' weights within their leaf
DEFAULTS = {
    "samples": 1000,
    "design": "sobol",
    "sensitivity_samples": 0,
    "bootstrap_resamples": 100,
    "top_n": 10,
}
LIMITS = {"samples": 100_000, "sensitivity_samples": 100_000, "bootstrap_resamples": 10_000}
NOMINAL = "nominal"
TOP_KEYS = {"seed", "choices", *DEFAULTS}
CHOICE_KEYS = {
    "code",
    "kind",
    "name_en",
    "name_zh",
    "levels",
    "noise",
    "alternatives",
    "metrics",
}


class SpecError(ValueError):
    """The uncertainty specification is malformed: each problem names file, line and key."""

    def __init__(self, path: Path, problems: list[str]) -> None:
        self.problems = problems
        super().__init__(
            f"{path} is not a valid uncertainty specification:\n  " + "\n  ".join(problems)
        )


@dataclass(frozen=True)
class Choice:
    code: str
    kind: str
    name_en: str
    name_zh: str
    levels: tuple[int | str, ...] = ()
    noise: float | None = None
    alternatives: tuple[str, ...] = ()
    metrics: tuple[str, ...] = ()  # empty: every metric

    @property
    def is_weights(self) -> bool:
        return self.kind == "weight_noise"


@dataclass(frozen=True)
class Spec:
    path: Path
    seed: int
    samples: int
    design: str
    sensitivity_samples: int
    bootstrap_resamples: int
    top_n: int
    choices: tuple[Choice, ...]
    digest: str = ""


@dataclass
class Framework:
    """What sampling needs of the index: its nodes' levels and its metrics' methods."""

    nodes: list[dict[str, str]]  # framework_code, node_code, level
    metrics: list[dict[str, str]]  # framework_code, metric_code, lower, upper, treatment, …
    max_level: int = field(init=False)

    def __post_init__(self) -> None:
        self.max_level = max(int(n["level"]) for n in self.nodes)

    @classmethod
    def from_csv(cls, nodes: Path, metrics: Path) -> Framework:
        def read(path: Path, code: str) -> list[dict[str, str]]:
            """The rows, one per code: a node or metric declared for several edition ranges
            (first_edition … last_edition) is drawn once — its weight multiplier and
            methods apply to every edition — from its last row."""
            with path.open(encoding="utf-8") as fh:
                rows = {(r["framework_code"], r[code]): r for r in csv.DictReader(fh)}
            return list(rows.values())

        return cls(read(nodes, "node_code"), read(metrics, "metric_code"))

    @classmethod
    def of_seeds(cls, project: Path) -> Framework:
        return cls.from_csv(
            project / "seeds" / "framework" / "framework_nodes.csv",
            project / "seeds" / "metrics" / "metric_catalog.csv",
        )

    @classmethod
    def of_staged(cls, index_dir: Path) -> Framework:
        return cls.from_csv(index_dir / "framework_nodes.csv", index_dir / "metric_catalog.csv")


# ---------------------------------------------------------------------------------------------
# the specification


def _load_yaml(path: Path) -> Any:
    """The YAML document with each mapping's line numbers kept under '__line__' and each
    key's under '__lines__'."""
    import yaml

    class Loader(yaml.SafeLoader):
        pass

    def mapping(loader: Loader, node: yaml.MappingNode) -> dict[str, Any]:
        result: dict[str, Any] = {}
        lines: dict[str, int] = {}
        for key_node, value_node in node.value:
            key = loader.construct_object(key_node, deep=True)
            result[key] = loader.construct_object(value_node, deep=True)
            lines[str(key)] = key_node.start_mark.line + 1
        result["__line__"] = node.start_mark.line + 1
        result["__lines__"] = lines
        return result

    Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, mapping)
    try:
        return yaml.load(path.read_text(encoding="utf-8"), Loader=Loader)
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark else "the file"
        raise SpecError(
            path, [f"{path.name}, {where}: not YAML ({getattr(err, 'problem', err)})"]
        ) from None
    except UnicodeDecodeError as err:
        raise SpecError(
            path, [f"{path.name}: not UTF-8 ({err.reason} at byte {err.start})"]
        ) from None


def _int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return None


def load_spec(path: Path, methods: dict[str, list[str]], max_winsorisation_points: int) -> Spec:
    """Read and validate an uncertainty specification; SpecError lists every problem.

    methods: the project's method names by kind (dbt var `methods`)."""
    path = Path(path)
    doc = _load_yaml(path)
    problems: list[str] = []
    name = path.name
    if not isinstance(doc, dict):
        raise SpecError(path, [f"{name}: expected a mapping (seed, samples, choices, …)"])
    lines = doc.get("__lines__", {})

    def at(key: str) -> str:
        return f"{name}, line {lines.get(key, doc.get('__line__', 1))}, key {key}"

    for key in doc:
        if key not in TOP_KEYS and not key.startswith("__"):
            problems.append(f"{at(key)}: unknown key (expected one of {sorted(TOP_KEYS)})")
    seed = _int(doc.get("seed"))
    if seed is None or seed < 0:
        problems.append(f"{at('seed')}: a whole number ≥ 0 is required, got {doc.get('seed')!r}")
    settings: dict[str, Any] = {}
    for key, default in DEFAULTS.items():
        value = doc.get(key, default)
        if key == "design":
            if value not in DESIGNS:
                problems.append(f"{at(key)}: one of {list(DESIGNS)}, got {value!r}")
        else:
            number = _int(value)
            low = 1 if key in ("top_n", "bootstrap_resamples") else 0
            high = LIMITS.get(key, 1_000_000)
            if number is None or not low <= number <= high:
                problems.append(f"{at(key)}: a whole number from {low} to {high}, got {value!r}")
                value = default
            else:
                value = number
        settings[key] = value
    choices: list[Choice] = []
    raw = doc.get("choices")
    if not isinstance(raw, list) or not raw:
        problems.append(f"{at('choices')}: a list of at least one choice is required")
        raw = []
    seen: set[str] = set()
    for item in raw:
        choice = _choice(item, name, methods, max_winsorisation_points, problems)
        if choice is None:
            continue
        if choice.code in seen:
            problems.append(
                f"{name}, line {item['__line__']}, key code: {choice.code!r} is declared twice"
            )
        seen.add(choice.code)
        choices.append(choice)
    _check_overlaps(choices, raw, name, problems)
    if problems:
        raise SpecError(path, problems)
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    return Spec(path, int(seed or 0), choices=tuple(choices), digest=digest, **settings)


def _choice(
    item: Any,
    name: str,
    methods: dict[str, list[str]],
    max_points: int,
    problems: list[str],
) -> Choice | None:
    if not isinstance(item, dict):
        problems.append(f"{name}: every choice is a mapping (code, kind, …), got {item!r}")
        return None
    lines = item["__lines__"]

    def at(key: str) -> str:
        return f"{name}, line {lines.get(key, item['__line__'])}, key {key}"

    before = len(problems)
    for key in item:
        if key not in CHOICE_KEYS and not key.startswith("__"):
            problems.append(f"{at(key)}: unknown key (expected one of {sorted(CHOICE_KEYS)})")
    code = item.get("code")
    if not isinstance(code, str) or not code.replace("_", "").isalnum() or not code.isascii():
        problems.append(
            f"{at('code')}: an ASCII code (letters, digits, _) is required, got {code!r}"
        )
    kind = item.get("kind")
    if kind not in KINDS:
        problems.append(f"{at('kind')}: one of {list(KINDS)}, got {kind!r}")
        return None
    levels: tuple[int | str, ...] = ()
    noise = None
    alternatives: tuple[str, ...] = ()
    if kind in ("weight_noise", "aggregation"):
        raw_levels = item.get("levels")
        if not isinstance(raw_levels, list) or not raw_levels:
            problems.append(
                f"{at('levels')}: a list of tree levels is required (0 = the composite)"
            )
            raw_levels = []
        for level in raw_levels:
            if kind == "weight_noise" and level == METRICS_LEVEL:
                continue
            if _int(level) is None or int(level) < 0:
                allowed = " or 'metrics'" if kind == "weight_noise" else ""
                problems.append(
                    f"{at('levels')}: {level!r} is not a tree level (a whole number ≥ 0{allowed})"
                )
        levels = tuple(
            level if level == METRICS_LEVEL else int(level)
            for level in raw_levels
            if level == METRICS_LEVEL or _int(level) is not None
        )
        if kind == "weight_noise" and 0 in levels:
            problems.append(f"{at('levels')}: the composite (level 0) has no weight")
    if kind == "weight_noise":
        noise = item.get("noise")
        if isinstance(noise, bool) or not isinstance(noise, (int, float)) or not 0 < noise < 1:
            problems.append(
                f"{at('noise')}: a fraction in (0, 1) is required (0.25: ± 25 %), got {noise!r}"
            )
            noise = None
        else:
            noise = float(noise)
    else:
        raw_alts = item.get("alternatives")
        if not isinstance(raw_alts, list) or len(raw_alts) < 2:
            problems.append(
                f"{at('alternatives')}: a list of at least two alternatives is required"
            )
            raw_alts = []
        allowed = {
            "aggregation": methods["aggregation"],
            "normalisation": methods["normalization"],
            "imputation": methods["imputation"],
            "treatment": methods["treatment"],
        }[kind]
        for alt in raw_alts:
            if kind == "treatment" and _int(alt) is not None:
                if not 0 <= int(alt) <= max_points:
                    problems.append(
                        f"{at('alternatives')}: winsorisation points {alt!r} outside 0–{max_points}"
                    )
                continue
            if alt not in allowed:
                extra = " or a number of winsorisation points" if kind == "treatment" else ""
                problems.append(f"{at('alternatives')}: {alt!r} is not one of {allowed}{extra}")
        alternatives = tuple(str(a) for a in raw_alts)
        if len(set(alternatives)) != len(alternatives):
            problems.append(f"{at('alternatives')}: an alternative is listed twice")
    metrics = item.get("metrics") or []
    if kind in SCORING:
        if not isinstance(metrics, list) or not all(isinstance(m, str) for m in metrics):
            problems.append(f"{at('metrics')}: a list of metric codes (empty: every metric)")
            metrics = []
    elif metrics:
        problems.append(
            f"{at('metrics')}: only normalisation, treatment and imputation choices name metrics"
        )
    if len(problems) > before:
        return None
    return Choice(
        code=str(code),
        kind=str(kind),
        name_en=str(item.get("name_en") or code),
        name_zh=str(item.get("name_zh") or item.get("name_en") or code),
        levels=levels,
        noise=noise,
        alternatives=alternatives,
        metrics=tuple(metrics),
    )


def _check_overlaps(choices: list[Choice], raw: list[Any], name: str, problems: list[str]) -> None:
    """One choice per level and kind (two weight noises on one level would compound)."""
    owner: dict[tuple[str, Any], str] = {}
    for choice in choices:
        targets: tuple[Any, ...] = (
            choice.levels
            if choice.kind in ("weight_noise", "aggregation")
            else (choice.metrics or ("*",))
        )
        for target in targets:
            key = (choice.kind, target)
            overlapping = [
                k
                for k in owner
                if k[0] == choice.kind and (k[1] == target or "*" in (k[1], target))
            ]
            for k in overlapping:
                problems.append(
                    f"{name}: choices {owner[k]!r} and {choice.code!r} both set the "
                    f"{choice.kind} of {target!r}"
                )
            owner[key] = choice.code


def check_against(spec: Spec, framework: Framework) -> None:
    """The specification's levels and metrics exist in the index, and every alternative can
    score the metrics it applies to (goalpost and target need bounds)."""
    problems: list[str] = []
    name = spec.path.name
    metric_codes = {m["metric_code"] for m in framework.metrics}
    for choice in spec.choices:
        for level in choice.levels:
            if level != METRICS_LEVEL and not int(level) <= framework.max_level:
                problems.append(
                    f"{name}, choice {choice.code}: level {level} is deeper than the index's "
                    f"deepest ({framework.max_level})"
                )
        unknown = sorted(set(choice.metrics) - metric_codes)
        if unknown:
            problems.append(f"{name}, choice {choice.code}: no such metrics: {', '.join(unknown)}")
        if choice.kind == "normalisation":
            for metric in _targets(choice, framework):
                for alt in choice.alternatives:
                    need = {"goalpost": ("lower", "upper"), "target": ("upper",)}.get(alt, ())
                    missing = [b for b in need if not (metric.get(b) or "").strip()]
                    if missing:
                        problems.append(
                            f"{name}, choice {choice.code}: {alt} needs {' and '.join(missing)}, "
                            f"which metric {metric['framework_code']}.{metric['metric_code']} lacks"
                        )
    if problems:
        raise SpecError(spec.path, problems)


def _targets(choice: Choice, framework: Framework) -> list[dict[str, str]]:
    return [
        m for m in framework.metrics if not choice.metrics or m["metric_code"] in choice.metrics
    ]


# ---------------------------------------------------------------------------------------------
# sampling


@dataclass
class Sample:
    """The sampled scenarios as tables (lists of row dicts), ready to stage."""

    tables: dict[str, list[dict[str, Any]]]
    problem: dict[str, Any]  # SALib's problem (variables, bounds, groups): what analyze needs


def _variables(
    spec: Spec, framework: Framework
) -> tuple[list[str], list[list[float]], list[str], list[tuple[Choice, Any]]]:
    """SALib's problem: one variable per weighted node (or metric) of each weight-noise
    choice (its multiplier, uniform in 1 ± noise) and one per discrete choice (uniform in
    [0, 1), its alternative the ⌊x·k⌋-th); each choice a group."""
    names, bounds, groups, owners = [], [], [], []
    for choice in spec.choices:
        if choice.is_weights:
            assert choice.noise is not None
            targets: list[tuple[str, str, str]] = []
            for level in choice.levels:
                if level == METRICS_LEVEL:
                    targets += [
                        (m["framework_code"], "", m["metric_code"]) for m in framework.metrics
                    ]
                else:
                    targets += [
                        (n["framework_code"], n["node_code"], "")
                        for n in framework.nodes
                        if int(n["level"]) == int(level)
                    ]
            for fw, node, metric in targets:
                names.append(f"{choice.code}:{fw}:{node or metric}")
                bounds.append([1 - choice.noise, 1 + choice.noise])
                groups.append(choice.code)
                owners.append((choice, (fw, node, metric)))
        else:
            names.append(choice.code)
            bounds.append([0.0, 1.0])
            groups.append(choice.code)
            owners.append((choice, None))
    return names, bounds, groups, owners


def _alternative(choice: Choice, x: float) -> str:
    k = len(choice.alternatives)
    return choice.alternatives[min(math.floor(x * k), k - 1)]


def sample(
    spec: Spec,
    framework: Framework,
    samples: int | None = None,
    sensitivity_samples: int | None = None,
) -> Sample:
    """The scenarios of `spec` as rows: uncertainty replications, then the Saltelli design."""
    import numpy as np
    from SALib.sample import sobol as saltelli
    from SALib.util import scale_samples
    from scipy.stats import qmc

    check_against(spec, framework)
    m = spec.samples if samples is None else samples
    n_base = spec.sensitivity_samples if sensitivity_samples is None else sensitivity_samples
    names, bounds, groups, owners = _variables(spec, framework)
    problem = {"num_vars": len(names), "names": names, "bounds": bounds, "groups": groups}
    k = len(names)
    if spec.design == "sobol":
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # balance needs a power of two: fine for an analysis
            unit = qmc.Sobol(d=k, scramble=True, seed=spec.seed).random(m)
    else:
        unit = np.random.default_rng(spec.seed).random((m, k))
    uncertainty = scale_samples(unit, {"num_vars": k, "bounds": bounds}) if m else np.zeros((0, k))
    d = len(spec.choices)
    if n_base:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # SALib: N not a power of two
            design = saltelli.sample(
                problem, n_base, calc_second_order=False, scramble=True, seed=spec.seed
            )
    else:
        design = np.zeros((0, k))

    rows: list[tuple[int, str, str, int, str | None, Any]] = []
    for i, x in enumerate(uncertainty):
        rows.append((i + 1, "uncertainty", "U", i, None, x))
    step = d + 2
    for r, x in enumerate(design):
        base, pos = divmod(r, step)
        matrix = "A" if pos == 0 else "B" if pos == step - 1 else "AB"
        switched = spec.choices[pos - 1].code if matrix == "AB" else None
        rows.append((m + r + 1, "sensitivity", matrix, base, switched, x))

    tables: dict[str, list[dict[str, Any]]] = {
        "scenarios": [],
        "scenario_choices": [],
        "configs": [],
        "metric_configs": [],
        "variants": [],
        "weight_draws": [],
    }
    draws: dict[tuple[str, tuple[float, ...]], int] = {}
    seen_configs: set[tuple[int, str]] = set()
    config_ids: dict[tuple[int, str], int] = {}  # (level, code) → id; 0: nominal
    metric_ids: dict[str, int] = {}
    seen_variants: set[str] = set()
    column = {name: j for j, name in enumerate(names)}
    for scenario_id, design_name, matrix, base, switched, x in rows:
        picked: dict[str, str] = {}  # choice → alternative, or "draw <id>"
        draw_of: dict[str, int] = {}  # weight choice → its draw id
        for choice in spec.choices:
            if choice.is_weights:
                cols = [j for j, (c, _) in enumerate(owners) if c is choice]
                values = tuple(float(x[j]) for j in cols)
                key = (choice.code, values)
                if key not in draws:
                    draws[key] = len(draws) + 1
                    for j in cols:
                        fw, node, metric = owners[j][1]
                        tables["weight_draws"].append(
                            {
                                "draw_id": draws[key],
                                "framework_code": fw,
                                "node_code": node or None,
                                "metric_code": metric or None,
                                "multiplier": float(x[j]),
                            }
                        )
                picked[choice.code] = f"draw {draws[key]}"
                draw_of[choice.code] = draws[key]
                tables["scenario_choices"].append(
                    {
                        "scenario_id": scenario_id,
                        "choice_code": choice.code,
                        "x": None,
                        "alternative": None,
                        "draw_id": draws[key],
                    }
                )
            else:
                xj = float(x[column[choice.code]])
                picked[choice.code] = _alternative(choice, xj)
                tables["scenario_choices"].append(
                    {
                        "scenario_id": scenario_id,
                        "choice_code": choice.code,
                        "x": xj,
                        "alternative": picked[choice.code],
                        "draw_id": None,
                    }
                )
        variant = (
            "|".join(f"{c.code}={picked[c.code]}" for c in spec.choices if c.kind in SCORING)
            or NOMINAL
        )
        if variant not in seen_variants:
            seen_variants.add(variant)
            if variant != NOMINAL:
                tables["variants"] += _variant_rows(variant, spec, framework, picked)
        metric_weights = next(
            (c for c in spec.choices if c.is_weights and METRICS_LEVEL in c.levels), None
        )
        metric_parts = [variant] if variant != NOMINAL else []
        if metric_weights is not None:
            metric_parts.append(f"{metric_weights.code}={picked[metric_weights.code]}")
        metric_config = "|".join(metric_parts) or NOMINAL
        if metric_config not in metric_ids:
            metric_ids[metric_config] = 0 if metric_config == NOMINAL else len(metric_ids) + 1
            if metric_config != NOMINAL:
                tables["metric_configs"].append(
                    {
                        "metric_config_id": metric_ids[metric_config],
                        "metric_config_code": metric_config,
                        "variant_code": variant,
                        "weight_draw_id": draw_of[metric_weights.code] if metric_weights else None,
                    }
                )
        config_of = {}
        for level in range(framework.max_level, -1, -1):
            parts = [metric_config] if metric_config != NOMINAL else []
            for c in spec.choices:
                if c.kind == "aggregation" and any(int(lv) >= level for lv in c.levels):
                    parts.append(f"{c.code}={picked[c.code]}")
                if (
                    c.is_weights
                    and any(lv == METRICS_LEVEL or int(lv) > level for lv in c.levels)
                    and c is not metric_weights
                ):
                    parts.append(f"{c.code}={picked[c.code]}")
            config_of[level] = "|".join(parts) or NOMINAL
            if (level, config_of[level]) not in config_ids:
                config_ids[(level, config_of[level])] = (
                    0 if config_of[level] == NOMINAL else len(config_ids) + 1
                )
            if config_of[level] != NOMINAL and (level, config_of[level]) not in seen_configs:
                seen_configs.add((level, config_of[level]))
                aggregation = next(
                    (
                        picked[c.code]
                        for c in spec.choices
                        if c.kind == "aggregation" and level in c.levels
                    ),
                    None,
                )
                child_weights = next(
                    (
                        draw_of[c.code]
                        for c in spec.choices
                        if c.is_weights and level + 1 in c.levels
                    ),
                    None,
                )
                tables["configs"].append(
                    {
                        "level": level,
                        "config_id": config_ids[(level, config_of[level])],
                        "config_code": config_of[level],
                        "child_config_id": config_ids.get(
                            (level + 1, config_of.get(level + 1, NOMINAL)), 0
                        ),
                        "metric_config_id": metric_ids[metric_config],
                        "aggregation": aggregation,
                        "child_weight_draw_id": child_weights,
                    }
                )
        tables["scenarios"].append(
            {
                "scenario_id": scenario_id,
                "design": design_name,
                "matrix": matrix,
                "base_row": base,
                "switched_choice": switched,
                "config_id": config_ids[(0, config_of[0])],
                "variant_code": variant,
            }
        )

    resamples = spec.bootstrap_resamples
    tables["bootstrap"] = []
    if n_base:
        # SALib's resamples (sobol.analyze with seed=spec.seed): position i of resample k
        # is base row r[i, k]; kept as counts per (resample, base row)
        r = np.random.default_rng(spec.seed).integers(n_base, size=(n_base, resamples))
        for k in range(resamples):
            counts = np.bincount(r[:, k], minlength=n_base)
            tables["bootstrap"] += [
                {"resample_id": k + 1, "base_row": int(j), "n_times": int(c)}
                for j, c in enumerate(counts)
                if c
            ]
    tables["choices"] = [
        {
            "choice_code": c.code,
            "position": i + 1,
            "kind": c.kind,
            "name_en": c.name_en,
            "name_zh": c.name_zh,
            "levels": ",".join(str(lv) for lv in c.levels) or None,
            "noise": c.noise,
            "alternatives": "|".join(c.alternatives) or None,
            "metrics": ",".join(c.metrics) or None,
        }
        for i, c in enumerate(spec.choices)
    ]
    tables["settings"] = [
        {
            "seed": spec.seed,
            "samples": m,
            "design": spec.design,
            "sensitivity_samples": n_base,
            "bootstrap_resamples": resamples,
            "top_n": spec.top_n,
            "n_choices": d,
            "spec_sha256": spec.digest,
        }
    ]
    return Sample(tables, problem)


def _variant_rows(
    variant: str, spec: Spec, framework: Framework, picked: dict[str, str]
) -> list[dict[str, Any]]:
    """The metric methods of a scoring variant: one row per metric a choice acts on."""
    rows: dict[tuple[str, str], dict[str, Any]] = {}
    for choice in spec.choices:
        if choice.kind not in SCORING:
            continue
        alt = picked[choice.code]
        for metric in _targets(choice, framework):
            key = (metric["framework_code"], metric["metric_code"])
            row = rows.setdefault(
                key,
                {
                    "variant_code": variant,
                    "framework_code": key[0],
                    "metric_code": key[1],
                    "normalization": None,
                    "treatment": None,
                    "winsor_max_points": None,
                    "imputation": None,
                },
            )
            if choice.kind == "treatment" and _int_text(alt) is not None:
                row["treatment"], row["winsor_max_points"] = "winsorise", int(alt)
            else:
                row[SCORING[choice.kind]] = alt
    return list(rows.values())


def _int_text(text: str) -> int | None:
    try:
        return int(text)
    except ValueError:
        return None


# ---------------------------------------------------------------------------------------------
# staging

TYPES = {
    "scenarios": {
        "scenario_id": "INTEGER",
        "design": "VARCHAR",
        "matrix": "VARCHAR",
        "base_row": "INTEGER",
        "switched_choice": "VARCHAR",
        "config_id": "INTEGER",
        "variant_code": "VARCHAR",
    },
    "scenario_choices": {
        "scenario_id": "INTEGER",
        "choice_code": "VARCHAR",
        "x": "DOUBLE",
        "alternative": "VARCHAR",
        "draw_id": "INTEGER",
    },
    "configs": {
        "level": "INTEGER",
        "config_id": "INTEGER",
        "config_code": "VARCHAR",
        "child_config_id": "INTEGER",
        "metric_config_id": "INTEGER",
        "aggregation": "VARCHAR",
        "child_weight_draw_id": "INTEGER",
    },
    "metric_configs": {
        "metric_config_id": "INTEGER",
        "metric_config_code": "VARCHAR",
        "variant_code": "VARCHAR",
        "weight_draw_id": "INTEGER",
    },
    "variants": {
        "variant_code": "VARCHAR",
        "framework_code": "VARCHAR",
        "metric_code": "VARCHAR",
        "normalization": "VARCHAR",
        "treatment": "VARCHAR",
        "winsor_max_points": "INTEGER",
        "imputation": "VARCHAR",
    },
    "weight_draws": {
        "draw_id": "INTEGER",
        "framework_code": "VARCHAR",
        "node_code": "VARCHAR",
        "metric_code": "VARCHAR",
        "multiplier": "DOUBLE",
    },
    "bootstrap": {"resample_id": "INTEGER", "base_row": "INTEGER", "n_times": "INTEGER"},
    "choices": {
        "choice_code": "VARCHAR",
        "position": "INTEGER",
        "kind": "VARCHAR",
        "name_en": "VARCHAR",
        "name_zh": "VARCHAR",
        "levels": "VARCHAR",
        "noise": "DOUBLE",
        "alternatives": "VARCHAR",
        "metrics": "VARCHAR",
    },
    "settings": {
        "seed": "BIGINT",
        "samples": "INTEGER",
        "design": "VARCHAR",
        "sensitivity_samples": "INTEGER",
        "bootstrap_resamples": "INTEGER",
        "top_n": "INTEGER",
        "n_choices": "INTEGER",
        "spec_sha256": "VARCHAR",
    },
}


def write_tables(tables: dict[str, list[dict[str, Any]]], out_dir: Path) -> Path:
    """Each table as `<name>.parquet` in `out_dir` (typed, also when empty)."""
    import duckdb
    import pyarrow as pa

    out_dir.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect()
    try:
        for name, types in TYPES.items():
            rows = tables.get(name, [])
            arrow = pa.table({c: [r.get(c) for r in rows] for c in types})  # noqa: F841
            select = ", ".join(f'cast("{c}" as {t}) as "{c}"' for c, t in types.items())
            target = str(out_dir / f"{name}.parquet").replace("'", "''")
            con.execute(f"copy (select {select} from arrow) to '{target}' (format parquet)")
    finally:
        con.close()
    return out_dir


def stage(
    spec: Spec,
    framework: Framework,
    out_dir: Path,
    samples: int | None = None,
    sensitivity_samples: int | None = None,
) -> Sample:
    """Sample `spec` and write the scenario tables into `out_dir` (the models' scenario_dir)."""
    drawn = sample(spec, framework, samples, sensitivity_samples)
    write_tables(drawn.tables, out_dir)
    return drawn


def spec_for(project: Path, index_dir: Path | None, spec_file: Path | None = None) -> Path | None:
    """The specification a build uses: --spec FILE, else the index folder's uncertainty.yml,
    else (the shipped index) the project's; None when there is none."""
    if spec_file is not None:
        return spec_file
    candidate = (index_dir if index_dir is not None else project) / SPEC_FILE
    return candidate if candidate.is_file() else None
