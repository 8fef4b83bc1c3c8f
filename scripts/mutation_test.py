"""Mutation testing of the SQL: does the test suite notice a wrong method?

Each mutation below changes one thing in the models or macros — the kind of slip a
reviewer could miss: a direction ignored, a clamp dropped, sibling weights normalised
wrongly, one winsorisation point too many, geometric computed as arithmetic, a tie broken
by row order. For each, a copy of the repository gets the change and runs the tests that
guard the method (``SUITE``: the shipped build with every data and unit test, the pandas
oracle on the shipped and on generated indices, COINr's ASEM results, the hand-computed
tiny index). A mutant is *killed* when that run fails. The script prints each mutant's
fate and the mutation score, and exits 1 below ``--min-score``.

    .venv/bin/python scripts/mutation_test.py [--only NAME ...] [--min-score 0.95]

``make test-mutation`` runs it (CI too). Each mutation must match its file exactly once
(or as many times as it says), so a mutation that no longer applies fails loudly instead
of counting as killed.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from _repo import PROJECT_PARTS, REPO_ROOT

# what a mutant must get past: the method's guards (pytest node ids, relative to the repo)
SUITE = [
    "tests/python/test_build.py",
    "tests/python/test_differential.py",
    "tests/python/test_asem_conformance.py",
    "tests/python/test_bad_input.py::test_methods_end_to_end",
]
# the parts of the repository a copy needs to run SUITE
COPIED = sorted({*PROJECT_PARTS, "pyproject.toml", "scripts", "tests", "sources"})


@dataclass(frozen=True)
class Mutation:
    name: str
    path: str
    old: str
    new: str
    count: int = 1  # how many times `old` occurs (all are replaced)


MUTATIONS = [
    Mutation(
        "goalpost_direction_ignored",
        "macros/scoring/normalise.sql",
        "~ ' then 100.0 * ((' ~ upper_bound ~ ') - (' ~ x ~ ')) / "
        "((' ~ upper_bound ~ ') - (' ~ lower_bound ~ '))'",
        "~ ' then 100.0 * ((' ~ x ~ ') - (' ~ lower_bound ~ ')) / "
        "((' ~ upper_bound ~ ') - (' ~ lower_bound ~ '))'",
    ),
    Mutation(
        "clamp_dropped",
        "macros/scoring/normalise.sql",
        "least(cast({{ high }} as double), greatest(cast({{ low }} as double), {{ expression }}))",
        "{{ expression }}",
    ),
    Mutation(
        "minmax_direction_ignored",
        "macros/scoring/normalise.sql",
        "~ ' = -1 then ' ~ down_minmax ~ ' else ' ~ up_minmax ~ ' end'",
        "~ ' = -1 then ' ~ up_minmax ~ ' else ' ~ up_minmax ~ ' end'",
    ),
    Mutation(
        "sibling_weights_off",
        "models/intermediate/int_indicators_weighted.sql",
        "else nodes.local_weight / sibling_totals.sibling_weight",
        "else nodes.local_weight / (sibling_totals.sibling_weight + 1)",
    ),
    Mutation(
        "geometric_as_arithmetic",
        "macros/scoring/normalise.sql",
        "exp({{ stable_sum(partials ~ '.sum_weighted_log', order_by) }}",
        "({{ stable_sum(partials ~ '.sum_weighted', order_by) }}",
    ),
    Mutation(
        "harmonic_inverted",
        "macros/scoring/normalise.sql",
        "{{ stable_sum(partials ~ '.sum_weight', order_by) }}\n"
        "                / {{ stable_sum(partials ~ '.sum_weighted_inverse', order_by) }}",
        "{{ stable_sum(partials ~ '.sum_weighted_inverse', order_by) }}\n"
        "                / {{ stable_sum(partials ~ '.sum_weight', order_by) }}",
    ),
    Mutation(
        "winsorisation_two_points_a_step",
        "macros/scoring/treatment.sql",
        "lower_rank + case when winsorise_now and skew < 0 then 1 else 0 end as lower_rank",
        "lower_rank + case when winsorise_now and skew < 0 then 2 else 0 end as lower_rank",
    ),
    Mutation(
        "winsorisation_one_step_more",
        "macros/scoring/treatment.sql",
        "and n_winsorised < max_points as winsorise_now",
        "and n_winsorised <= max_points as winsorise_now",
    ),
    Mutation(
        "winsorisation_counts_steps",
        "macros/scoring/treatment.sql",
        "when winsorise_now and skew >= 0 then upper_n",
        "when winsorise_now and skew >= 0 then 1",
    ),
    Mutation(
        "log_fallback_offset",
        "models/intermediate/int_metric_values_scored.sql",
        "+ 0.01 * (decisions.original_max - decisions.original_min)",
        "+ 0.02 * (decisions.original_max - decisions.original_min)",
    ),
    Mutation(
        "denominator_multiplies",
        "models/intermediate/int_metric_values_imputed.sql",
        "else metric_values.value / cast(denominator_attribute.value as double)",
        "else metric_values.value * cast(denominator_attribute.value as double)",
    ),
    Mutation(
        "group_mean_is_max",
        "models/intermediate/int_metric_values_imputed.sql",
        "avg(denominated_value) as group_mean",
        "max(denominated_value) as group_mean",
    ),
    Mutation(
        "mean_imputed_by_group",
        "models/intermediate/int_metric_values_imputed.sql",
        "when metrics.imputation in ('group_mean', 'group_median')",
        "when metrics.imputation is not null",
    ),
    Mutation(
        "missing_value_scored",
        "models/intermediate/int_metric_values_scored.sql",
        "case when is_ranked and transformed_value is not null then",
        "case when is_ranked then",
    ),
    Mutation(
        "zero_points_never_log",
        "macros/scoring/treatment.sql",
        "        fails as log_transformed,",
        "        fails and max_points > 0 as log_transformed,",
    ),
    Mutation(
        "availability_threshold_inclusive",
        "models/intermediate/int_region_availability.sql",
        "< coalesce(indicators.min_availability, 0) as below_threshold",
        "<= coalesce(indicators.min_availability, 0) as below_threshold",
    ),
    Mutation(
        "log_change_split_unscaled",
        "models/marts/fct_score_change_contributions.sql",
        "when node_score = previous_node_score then node_score\n",
        "when true then node_score\n",
    ),
    Mutation(
        "harmonic_contribution_sign_flipped",
        "models/marts/fct_score_change_contributions.sql",
        "then -node_score * previous_node_score",
        "then node_score * previous_node_score",
    ),
    Mutation(
        "rank_change_reversed",
        "models/marts/fct_score_changes.sql",
        "paired.previous_rank - paired.rank as rank_change,",
        "paired.rank - paired.previous_rank as rank_change,",
    ),
    Mutation(
        "ties_broken_by_row_order",
        "models/marts/fct_rankings.sql",
        "cast(rank() over (",
        "cast(row_number() over (",
        count=2,
    ),
]


def copy_repository(dest: Path) -> Path:
    for part in COPIED:
        src = REPO_ROOT / part
        if src.is_dir():
            shutil.copytree(
                src, dest / part, ignore=shutil.ignore_patterns("__pycache__"), dirs_exist_ok=True
            )
        elif src.exists():
            (dest / part).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(src, dest / part)
    return dest


def apply(root: Path, mutation: Mutation) -> None:
    path = root / mutation.path
    text = path.read_text(encoding="utf-8")
    found = text.count(mutation.old)
    if found != mutation.count:
        raise SystemExit(
            f"mutation {mutation.name}: {mutation.path} holds its text {found} times, "
            f"not {mutation.count} — update the mutation to the code"
        )
    path.write_text(text.replace(mutation.old, mutation.new), encoding="utf-8")


def run_suite(root: Path, log: Path) -> bool:
    """True when the suite passes on the copy at `root` (the mutant survives)."""
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    command = [
        sys.executable,
        "-m",
        "pytest",
        "-x",
        "-q",
        "-n",
        "2",
        "--dist",
        "loadscope",
        "-p",
        "no:cacheprovider",
        "--rootdir",
        str(root),
        "-c",
        str(root / "pyproject.toml"),
        *SUITE,
    ]
    with log.open("w") as out:
        done = subprocess.run(command, cwd=root, env=env, stdout=out, stderr=subprocess.STDOUT)
    return done.returncode == 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--only", nargs="*", help="run only these mutations")
    parser.add_argument("--min-score", type=float, default=0.95)
    parser.add_argument("--keep", action="store_true", help="keep the copies and logs")
    args = parser.parse_args(argv)
    chosen = [m for m in MUTATIONS if not args.only or m.name in args.only]
    work = Path(tempfile.mkdtemp(prefix="digindex-mutants-"))
    survivors: list[str] = []
    try:
        # the unmutated copy first: a suite failing without any mutation would kill them all
        print(f"==> the suite on the unmutated code ({', '.join(SUITE)})", flush=True)
        t0 = time.perf_counter()
        if not run_suite(copy_repository(work / "original"), work / "original.log"):
            print((work / "original.log").read_text(encoding="utf-8")[-3000:])
            raise SystemExit("the suite fails without any mutation: fix that first")
        print(f"    passes ({time.perf_counter() - t0:.0f} s)", flush=True)
        shutil.rmtree(work / "original")
        for mutation in chosen:
            root = copy_repository(work / mutation.name)
            apply(root, mutation)
            t0 = time.perf_counter()
            survived = run_suite(root, work / f"{mutation.name}.log")
            fate = "SURVIVED" if survived else "killed"
            print(f"    {mutation.name:<36} {fate:<8} ({time.perf_counter() - t0:.0f} s)")
            if survived:
                survivors.append(mutation.name)
            shutil.rmtree(root)
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    killed = len(chosen) - len(survivors)
    score = killed / len(chosen) if chosen else 1.0
    print(f"mutation score: {killed}/{len(chosen)} killed ({100 * score:.0f} %)")
    if survivors:
        print("survived: " + ", ".join(survivors))
    return 0 if score >= args.min_score else 1


if __name__ == "__main__":
    sys.exit(main())
