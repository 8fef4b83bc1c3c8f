"""Where things live. One place, so no module guesses a path of its own."""

from __future__ import annotations

import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("DIGINDEX_SHARED", REPO_ROOT.parent / "shared"))
REPORT_TEXT = SHARED / "seeds-source" / "h3c_city_digital_index_district_county_2022.txt"
SEEDS = REPO_ROOT / "seeds"
DEFAULT_DB = Path(os.environ.get("DIGINDEX_DB", REPO_ROOT / "build" / "warehouse.duckdb"))
DEFAULT_PUBLISH_DIR = Path(os.environ.get("DIGINDEX_PUBLISH_DIR", REPO_ROOT / "publish"))
