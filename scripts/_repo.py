"""Paths of the repository checkout, for the generators and tools in ``scripts/``.

These scripts are part of the checkout (they regenerate its seeds and fixtures), so they
locate it from their own file; the runtime package ``digindex`` never does (see
``digindex.paths``). The test oracle lives in ``tests/oracle.py``; ``tests/`` is put on
the import path so the seed generator can use it.
"""

from __future__ import annotations

import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
SEEDS = REPO_ROOT / "seeds"
REPORT_TEXT = REPO_ROOT / "sources" / "h3c_city_digital_index_district_county_2022.txt"
ASEM_REFERENCE = REPO_ROOT / "tests" / "data" / "coinr_asem"
# what `digindex run` needs of a project: a copy of these is a working project (the tests
# and the benchmarks run on such copies, never on the checkout itself)
PROJECT_PARTS = [
    "dbt_project.yml",
    "profiles.yml",
    "models",
    "macros",
    "seeds",
    "tests/dbt",
    "expectations",
    "uncertainty.yml",
]


def copy_project(dest: Path) -> Path:
    """The project's parts (PROJECT_PARTS) copied to `dest`: a working project."""
    import shutil

    for part in PROJECT_PARTS:
        src = REPO_ROOT / part
        if src.is_dir():
            shutil.copytree(src, dest / part)
        else:
            (dest / part).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest / part)
    return dest


if str(REPO_ROOT / "tests") not in sys.path:
    sys.path.append(str(REPO_ROOT / "tests"))
