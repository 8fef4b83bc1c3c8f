"""Bring your own index: read, validate and stage an index folder for the dbt models.

An index folder holds four UTF-8 CSV files (see the README, "Bring your own index"):
``framework.csv``, ``metrics.csv``, ``regions.csv`` and ``values.csv`` (any number of
editions), and may hold ``succession.csv`` (how regions changed between editions). ``load_index``
validates them and raises ``IndexFolderError`` naming every problem's file, line and
column; ``write_canonical`` writes them in the layout of the shipped seeds (weights
normalised among siblings, levels computed, absent value rows added as missing, extra
region columns unpivoted into ``region_attributes.csv``) for the staging models to read
via ``var('index_dir')``. ``export_seeds`` writes the shipped H3C seeds as an index folder.
"""

from __future__ import annotations

import csv
import dataclasses
import functools
import io
import math
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from digindex.paths import PROJECT_FILE, find_project, project_vars

FILES = ("framework.csv", "metrics.csv", "regions.csv", "values.csv")
# files an index folder may hold beside FILES (read when present)
OPTIONAL_FILES = ("succession.csv",)
REQUIRED = {
    "framework.csv": [
        "framework_code",
        "node_code",
        "parent_code",
        "name",
        "weight",
        "aggregation",
    ],
    "metrics.csv": [
        "framework_code",
        "metric_code",
        "node_code",
        "name",
        "unit",
        "weight",
        "direction",
        "transform",
        "normalization",
        "lower",
        "upper",
    ],
    "regions.csv": ["region_code", "region_name", "framework_code"],
    "values.csv": ["edition", "region_code", "metric_code", "value"],
    "succession.csv": ["predecessor_code", "successor_code", "year", "kind"],
}
OPTIONAL = {
    "framework.csv": ["name_en", "min_availability", "first_edition", "last_edition"],
    "metrics.csv": [
        "name_en",
        "denominator",
        "imputation",
        "impute_group",
        "treatment",
        "winsor_max_points",
        "skew_threshold",
        "kurtosis_threshold",
        "plausible_min",
        "plausible_max",
        "constant_scores",
        "first_edition",
        "last_edition",
    ],
    "succession.csv": [
        "predecessor_name",
        "predecessor_adcode",
        "successor_name",
        "successor_adcode",
    ],
}
CODE = re.compile(r"^[A-Za-z0-9_.\-]+$")
# what a number is, in every column of every file: the gate's definition (the `value_text`
# regex of expectations/inputs.json, which test_bad_input checks is this one) — ASCII digits,
# an optional sign, decimal point and exponent; no thousands separators, units, `inf`, `nan`
# or `1_000` (which Python's float() and DuckDB would read)
NUMBER = r"^\s*[-+]?(?:[0-9]+(?:[.][0-9]*)?|[.][0-9]+)(?:[eE][-+]?[0-9]+)?\s*$"
NUMBER_RE = re.compile(NUMBER)
# the characters trimmed from both ends of every cell (codes, numbers, names), once, by the
# Python reader and by DuckDB alike
TRIM = " \t\r\n"
# the longest cell (characters) a file read row by row may hold: names, codes, units. (A
# longer cell is a broken file — an unclosed quote — or hostile; values.csv's cells are
# bounded by their own checks: numbers, known codes.)
MAX_CELL_CHARS = 10_000
# editions are years (or any positive whole number that fits a folder name and a bigint)
EDITIONS = (1, 9999)
# the smallest weight (and effective weight: a node's share of the index) that counts: a
# normal positive double. Below it a weight is subnormal and loses precision, and its share
# of the index can round to 0 — the node would silently count for nothing.
MIN_WEIGHT = sys.float_info.min

# the shipped seeds' layouts (what the staging models read)
SEED_COLUMNS = {
    "framework_nodes": [
        "framework_code",
        "node_code",
        "parent_code",
        "level",
        "name_zh",
        "name_en",
        "local_weight_pct",
        "aggregation",
        "sort_order",
        "min_availability",
        "first_edition",
        "last_edition",
    ],
    "metric_catalog": [
        "framework_code",
        "metric_code",
        "node_code",
        "name_zh",
        "name_en",
        "unit",
        "value_type",
        "decimals",
        "weight",
        "direction",
        "transform",
        "normalization",
        "lower",
        "upper",
        "plausible_min",
        "plausible_max",
        "source_hint",
        "denominator",
        "imputation",
        "impute_group",
        "treatment",
        "winsor_max_points",
        "skew_threshold",
        "kurtosis_threshold",
        "constant_scores",
        "first_edition",
        "last_edition",
    ],
    "regions": [
        "region_code",
        "region_name",
        "full_name",
        "framework_code",
        "peer_group_zh",
        "province",
        "prefecture",
        "adcode",
        "adcode_year",
        "host_prefecture",
        "host_district",
        "host_adcode",
        "is_municipality",
        "is_provincial_capital",
        "is_sub_provincial_city",
        "is_county_level_city",
        "is_directly_administered",
        "region_type_zh",
        "note",
    ],
    "metric_values": ["edition", "region_code", "metric_code", "value"],
    "region_succession": [
        "year",
        "kind",
        "predecessor_code",
        "predecessor_name",
        "predecessor_adcode",
        "successor_code",
        "successor_name",
        "successor_adcode",
    ],
}


class IndexFolderError(ValueError):
    """The index folder is malformed; the message lists file, line and column of each problem."""

    def __init__(self, folder: Path, problems: list[str]) -> None:
        self.problems = problems
        shown = problems[:25]
        more = f"\n  … and {len(problems) - 25} more" if len(problems) > 25 else ""
        super().__init__(f"index folder {folder} is not valid:\n  " + "\n  ".join(shown) + more)


@dataclass
class Row:
    line: int
    cells: dict[str, str]

    def get(self, column: str) -> str:
        return (self.cells.get(column) or "").strip(TRIM)


def _show(text: str, limit: int = 60) -> str:
    """A cell as messages quote it: repr, cut to `limit` characters."""
    if len(text) <= limit:
        return repr(text)
    return f"{text[:limit]!r}… ({len(text)} characters)"


def _utf8_problem(name: str, raw: bytes, err: UnicodeDecodeError, problems: _Problems) -> None:
    """Where a file stops being UTF-8: its line and (when its header is readable) column."""
    start = raw.rfind(b"\n", 0, err.start) + 1
    line = raw.count(b"\n", 0, err.start) + 1
    end = raw.find(b"\n", err.start)
    text = raw[start : end if end >= 0 else len(raw)].decode("utf-8", errors="replace")
    column = None
    if line > 1:
        header = _read_header_bytes(raw)
        cells = next(csv.reader([text]), [])
        for i, cell in enumerate(cells):
            if "\ufffd" in cell:
                column = header[i] if header and i < len(header) else str(i + 1)
                break
    problems.add(
        name,
        Row(line, {}),
        column,
        f"not UTF-8 (byte 0x{raw[err.start]:02x} at character {err.start - start + 1} of the "
        "line; is the file in GBK or Latin-1?): save it as UTF-8",
    )


def _read_header_bytes(raw: bytes) -> list[str] | None:
    first = raw.split(b"\n", 1)[0].decode("utf-8-sig", errors="replace")
    header = next(csv.reader([first]), None)
    return [h.strip(TRIM) for h in header] if header else None


@dataclass
class Limits:
    """What an index may declare, read from the project's dbt vars (never copied here): the
    method names by kind (var ``methods``), the deepest tree (var ``max_tree_depth``), the
    most winsorisation points a metric may ask for (var ``max_winsorisation_points``),
    what a metric scoring every region alike may be (var ``constant_scores``) and how a
    region can change between editions (var ``succession_kinds``)."""

    methods: dict[str, set[str]]
    max_depth: int
    max_winsorisation_points: int
    constant_scores: list[str]
    succession_kinds: set[str]

    @classmethod
    def of_project(cls, project: Path | str | None = None) -> Limits:
        path = find_project(project) / PROJECT_FILE
        stat = path.stat()
        methods, depth, points, constant, kinds = _declared_limits(
            path, stat.st_mtime_ns, stat.st_size
        )
        return cls(
            {kind: set(names) for kind, names in methods}, depth, points, list(constant), set(kinds)
        )


@functools.lru_cache(maxsize=8)
def _declared_limits(
    path: Path, mtime_ns: int, size: int
) -> tuple[tuple[tuple[str, tuple[str, ...]], ...], int, int, tuple[str, ...], tuple[str, ...]]:
    """The vars Limits reads, parsed once per version of the file (YAML takes ~0.2 s)."""
    declared = project_vars(path.parent)
    return (
        tuple((kind, tuple(names)) for kind, names in declared["methods"].items()),
        int(declared["max_tree_depth"]),
        int(declared["max_winsorisation_points"]),
        tuple(declared["constant_scores"]),
        tuple(declared["succession_kinds"]),
    )


@dataclass
class IndexData:
    folder: Path
    tables: dict[str, list[Row]]
    region_extra_columns: list[str]
    limits: Limits
    depth: dict[tuple[str, str], int] = field(default_factory=dict)  # (framework, node) → depth
    # framework.csv line → the depth of that row's node (a node declared for several edition
    # ranges may sit at another depth in each)
    row_depth: dict[int, int] = field(default_factory=dict)
    # values.csv read by DuckDB (never as Python rows): the file, its row count, and the
    # DuckDB file it was staged in (read once; the checks and the canonical file read that)
    values_file: Path | None = None
    n_values: int = 0
    staged: StagedValues | None = None

    def counts(self) -> dict[str, int]:
        """Rows per file (for the CLI's summary)."""
        return {
            name: (self.n_values if name == "values.csv" and self.values_file else len(rows))
            for name, rows in self.tables.items()
        }

    def value_editions(self) -> list[int]:
        """The editions values.csv has rows of (well-formed ones)."""
        if self.staged is not None:
            con = self.staged.connect()
            try:
                rows = con.execute(
                    """select distinct cast(edition_number as bigint) from located
                       where edition_number is not null and isfinite(edition_number)
                         and edition_number = trunc(edition_number)
                         and edition_number between ? and ?""",
                    list(EDITIONS),
                ).fetchall()
            finally:
                con.close()
            return sorted(int(e) for (e,) in rows)
        found = set()
        for row in self.tables.get("values.csv", []):
            text = row.get("edition").replace("−", "-")
            if NUMBER_RE.match(text) and float(text).is_integer():
                found.add(int(float(text)))
        return sorted(e for e in found if EDITIONS[0] <= e <= EDITIONS[1])

    def as_of(self, edition: int | None) -> IndexData:
        """This index with the framework and metrics rows that apply to `edition` (None:
        all of them); depths found on it are this index's."""
        if edition is None:
            return self
        tables = dict(self.tables)
        for f in ("framework.csv", "metrics.csv"):
            tables[f] = [r for r in self.tables[f] if _applies(r, edition)]
        view = dataclasses.replace(self, tables=tables)
        view.depth, view.row_depth = self.depth, self.row_depth
        return view


class _Problems:
    def __init__(self) -> None:
        self.items: list[str] = []

    def add(self, file: str, row: Row | None, column: str | None, message: str) -> None:
        where = file
        if row is not None:
            where += f", line {row.line}"
        if column is not None:
            where += f", column {column}"
        self.items.append(f"{where}: {message}")


def _read(folder: Path, name: str, problems: _Problems) -> tuple[list[str], list[Row]]:
    path = folder / name
    if not path.is_file():
        problems.add(name, None, None, f"missing (an index folder needs {', '.join(FILES)})")
        return [], []
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        _utf8_problem(name, raw, err, problems)
        return [], []
    # the csv module's own cell limit (131,072) raises; every cell is measured below instead
    # (the text is in memory already)
    previous_limit = csv.field_size_limit(max(len(text), MAX_CELL_CHARS) + 1)
    try:
        return _parse(name, text, problems)
    finally:
        csv.field_size_limit(previous_limit)


def _parse(name: str, text: str, problems: _Problems) -> tuple[list[str], list[Row]]:
    known = len(problems.items)
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = [h.strip(TRIM) for h in next(reader)]
    except StopIteration:
        problems.add(name, Row(1, {}), None, "empty file (no header row)")
        return [], []
    except csv.Error as err:
        problems.add(name, Row(1, {}), None, f"not a readable CSV header ({err})")
        return [], []
    _check_header(name, header, problems)
    rows, line = [], reader.line_num + 1  # the line each row starts on
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            break
        except csv.Error as err:
            problems.add(name, Row(line, {}), None, f"not readable as CSV ({err})")
            break
        row, line = Row(line, {}), reader.line_num + 1
        if not any(c.strip(TRIM) for c in cells):
            continue
        if len(cells) != len(header):
            problems.add(name, row, None, f"has {len(cells)} fields, the header has {len(header)}")
            continue
        row.cells = dict(zip(header, cells, strict=True))
        long = [c for c in header if len(row.cells[c]) > MAX_CELL_CHARS]
        for column in long:
            problems.add(
                name,
                row,
                column,
                f"is {len(row.cells[column])} characters long; a cell may hold at most "
                f"{MAX_CELL_CHARS} (an unclosed quote?)",
            )
        if not long:
            rows.append(row)
    if not rows and len(problems.items) == known:
        what = "value rows" if name == "values.csv" else "rows"
        problems.add(name, Row(line, {}), None, f"no {what}: the file has only its header")
    return header, rows


def _check_header(name: str, header: list[str], problems: _Problems) -> None:
    missing = [c for c in REQUIRED[name] if c not in header]
    if missing:
        hint = ""
        if len(header) == 1 and (";" in header[0] or "\t" in header[0]):
            hint = " (the file is separated by ';' or tabs: an index file is comma-separated)"
        problems.add(name, Row(1, {}), None, f"header lacks required column(s) {missing}{hint}")
    for i, h in enumerate(header, start=1):
        if not h:
            problems.add(name, Row(1, {}), str(i), "the header cell is empty (name every column)")
        elif len(h) > MAX_CELL_CHARS:
            problems.add(
                name, Row(1, {}), str(i), f"is {len(h)} characters long; at most {MAX_CELL_CHARS}"
            )
    dupes = sorted({h for h in header if header.count(h) > 1})
    if dupes:
        problems.add(name, Row(1, {}), None, f"header repeats column(s) {dupes}")


def _read_header(path: Path) -> list[str] | None:
    """The header row of a CSV file, or None when it cannot be read as UTF-8 CSV."""
    try:
        with path.open(encoding="utf-8-sig", newline="") as fh:
            header = next(csv.reader(fh), None)
    except (OSError, UnicodeDecodeError):
        return None
    return [h.strip(TRIM) for h in header] if header else None


def _read_csv_sql(path: Path, header: list[str], numbered: bool = False) -> str:
    """DuckDB's reading of an index CSV file: every column as text, in the header's order,
    blank lines dropped; `numbered`: rows numbered in file order (`_ordinal`, from 1), which
    costs a pass in order (only done to name failing rows)."""
    quoted = str(path).replace("'", "''")
    columns = ", ".join(f"'c{i}': 'VARCHAR'" for i in range(len(header)))
    blank = " and ".join(f"coalesce(trim(c{i}, '{TRIM}'), '') = ''" for i in range(len(header)))
    ordinal = "row_number() over () as _ordinal, " if numbered else "0 as _ordinal, "
    return f"""
        select {ordinal}*
        from read_csv('{quoted}', header = true, auto_detect = false, delim = ',',
                      quote = '"', escape = '"', columns = {{{columns}}},
                      parallel = {str(not numbered).lower()})
        where not ({blank})"""


class StagedValues:
    """values.csv as DuckDB read it, in a private DuckDB file (table ``located``, with the
    regions and metrics beside it), removed with this object. Its connections are bounded
    like dbt's (``memory_limit``, spilling beside the file)."""

    def __init__(self) -> None:
        import shutil
        import tempfile
        import weakref

        self.folder = Path(tempfile.mkdtemp(prefix="digindex-values-"))
        self.db = self.folder / "values.duckdb"
        self._cleanup = weakref.finalize(self, shutil.rmtree, self.folder, True)

    def connect(self) -> Any:
        import duckdb

        from digindex.paths import duckdb_config

        con = duckdb.connect(str(self.db), config=duckdb_config(self.folder / "spill"))
        con.execute("set enable_progress_bar = false")
        return con


def _stage_values(
    path: Path, header: list[str], regions: list[Row], metrics: list[Row]
) -> tuple[StagedValues, int] | None:
    """values.csv read whole by DuckDB (one parallel pass) into a StagedValues' table
    `located` (see LOCATED), and its number of data rows; None if DuckDB cannot read every
    row with the header's fields as UTF-8, or the header lacks a column: the file is then
    read row by row in Python, which names the bad rows."""
    import duckdb

    if len(set(header)) != len(header) or not set(REQUIRED["values.csv"]) <= set(header):
        return None
    staged = StagedValues()
    con = staged.connect()
    try:
        _small_tables(con, regions, metrics)
        con.execute(LOCATED.format(read=_read_csv_sql(path, header), **_columns(header)))
        row = con.execute("select count(*) from located").fetchone()
    except duckdb.Error:
        return None
    finally:
        con.close()
    return staged, int(row[0]) if row else 0


def _data_lines(path: Path) -> list[int]:
    """The line every non-blank data row starts on (only needed to name problems)."""
    previous_limit = csv.field_size_limit(sys.maxsize)  # DuckDB read it: any cell size
    try:
        with path.open(encoding="utf-8-sig", newline="") as fh:
            reader = csv.reader(fh)
            next(reader, None)
            lines, start = [], reader.line_num + 1
            for cells in reader:
                if any(c.strip(TRIM) for c in cells):
                    lines.append(start)
                start = reader.line_num + 1
            return lines
    finally:
        csv.field_size_limit(previous_limit)


def _number(
    problems: _Problems,
    file: str,
    row: Row,
    column: str,
    *,
    required: bool,
    positive: bool = False,
    integer: bool = False,
    low: float | None = None,
    high: float | None = None,
    normal: bool = False,
) -> float | None:
    """The number in a cell (None: empty or not a number, named in `problems`). A number is
    what NUMBER says; `normal`: a normal positive double (see MIN_WEIGHT)."""
    text = row.get(column)
    if not text:
        if required:
            problems.add(file, row, column, "is empty; a number is required")
        return None
    shown = _show(text)
    message = _not_a_number(text)
    if message:
        problems.add(file, row, column, f"{shown} {message}")
        return None
    value = float(text.replace("−", "-"))
    if not math.isfinite(value):
        problems.add(file, row, column, f"{shown} is not a finite number (beyond ±1.8e308)")
        return None
    if integer and value != int(value):
        problems.add(file, row, column, f"{shown} is not a whole number")
    elif positive and value <= 0:
        problems.add(file, row, column, f"{shown} must be > 0")
    elif normal and value < MIN_WEIGHT:
        problems.add(
            file,
            row,
            column,
            f"{shown} is below the smallest normal double ({MIN_WEIGHT!r}): too small to count",
        )
    elif (low is not None and value < low) or (high is not None and value > high):
        problems.add(file, row, column, f"{shown} must lie in [{low}, {high}]")
    return value


def _not_a_number(text: str) -> str | None:
    """Why `text` is not a number as NUMBER defines it (None: it is one)."""
    plain = text.replace("−", "-")
    if NUMBER_RE.match(plain):
        return None
    if "\n" in plain:
        return "is not a number (it spans several lines: an unclosed quote?)"
    if plain.strip(TRIM).lstrip("+-").lower() in {"inf", "infinity", "nan"}:
        return "is not a finite number"
    if NUMBER_RE.match(re.sub(r"(?<=[0-9])[,_ '](?=[0-9]{3})", "", plain)):
        return "is not a number (write it without thousands separators)"
    unit = re.match(r"^\s*([-+]?[0-9.]+(?:[eE][-+]?[0-9]+)?)\s*[^0-9\s]+\s*$", plain)
    if unit and NUMBER_RE.match(unit.group(1)):
        return f"is not a number (write the number without its unit: {unit.group(1)})"
    return "is not a number"


def _choice(
    problems: _Problems,
    file: str,
    row: Row,
    column: str,
    allowed: set[str],
    default: str | None = None,
) -> str:
    text = row.get(column).lower()
    if not text and default is not None:
        return default
    if text not in allowed:
        problems.add(file, row, column, f"{row.get(column)!r} is not one of {sorted(allowed)}")
    return text


def _code(problems: _Problems, file: str, row: Row, column: str) -> str:
    text = row.get(column)
    if not text:
        problems.add(file, row, column, "is empty")
    elif not CODE.match(text):
        problems.add(file, row, column, f"{text!r} is not an ASCII code (letters, digits, _ . -)")
    return text


def load_index(folder: Path, project: Path | str | None = None) -> IndexData:
    """Read and validate an index folder; raise IndexFolderError listing every problem.

    project: the dbt project whose vars say which methods and depths are valid (found like
    dbt finds it when not given)."""
    folder = Path(folder)
    limits = Limits.of_project(project)
    problems = _Problems()
    if not folder.is_dir():
        raise IndexFolderError(folder, [f"{folder} is not a folder"])
    headers, tables = {}, {}
    values_file, n_values, values = None, None, None
    for name in FILES:
        if name == "values.csv":
            headers[name] = _read_header(folder / name)
            staged = (
                _stage_values(
                    folder / name, headers[name], tables["regions.csv"], tables["metrics.csv"]
                )
                if headers[name]
                else None
            )
            if staged is not None:
                tables[name], values_file = [], folder / name
                values, n_values = staged
                _check_header(name, headers[name], problems)
                if not n_values:
                    problems.add(
                        name, Row(2, {}), None, "no value rows: the file has only its header"
                    )
                continue
        headers[name], tables[name] = _read(folder, name, problems)
    for name in OPTIONAL_FILES:
        headers[name], tables[name] = (
            _read(folder, name, problems) if (folder / name).is_file() else ([], [])
        )
    if problems.items:
        raise IndexFolderError(folder, problems.items)
    data = IndexData(
        folder,
        tables,
        [c for c in headers["regions.csv"] if c not in REQUIRED["regions.csv"]],
        limits,
        values_file=values_file,
        n_values=n_values or 0,
        staged=values,
    )
    slices = _edition_slices(data, problems)
    for edition in slices:
        _check_framework(data.as_of(edition), problems)
    _check_regions(data, problems)
    for edition in slices:
        _check_metrics(data.as_of(edition), problems)
    _check_values(data, problems)
    _check_succession(data, problems)
    if not problems.items:  # every weight and value is a valid number: what they add up to
        for edition in slices:
            _check_shares(data.as_of(edition), problems)
    problems.items = list(dict.fromkeys(problems.items))  # a problem of rows every slice shares
    if problems.items:
        raise IndexFolderError(folder, problems.items)
    return data


def _check_framework(data: IndexData, problems: _Problems) -> None:
    f = "framework.csv"
    nodes: dict[tuple[str, str], Row] = {}
    for row in data.tables[f]:
        key = (_code(problems, f, row, "framework_code"), _code(problems, f, row, "node_code"))
        if key in nodes:
            problems.add(
                f,
                row,
                "node_code",
                f"{key[1]!r} repeats line {nodes[key].line} in framework {key[0]!r}",
            )
            continue
        nodes[key] = row
        parent = row.get("parent_code")
        _number(problems, f, row, "weight", required=bool(parent), positive=True, normal=True)
        _choice(
            problems,
            f,
            row,
            "aggregation",
            data.limits.methods["aggregation"],
            default="arithmetic",
        )
        _number(problems, f, row, "min_availability", required=False, low=0, high=1)
    roots: dict[str, list[Row]] = {}
    for (fw, _), row in nodes.items():
        parent = row.get("parent_code")
        if not parent:
            roots.setdefault(fw, []).append(row)
        elif (fw, parent) not in nodes:
            problems.add(f, row, "parent_code", f"{parent!r} is not a node of framework {fw!r}")
    for fw in {k[0] for k in nodes}:
        found = roots.get(fw, [])
        if len(found) != 1:
            lines = ", ".join(str(r.line) for r in found) or "none"
            problems.add(
                f,
                None,
                "parent_code",
                f"framework {fw!r} needs exactly one root (empty parent_code); found lines {lines}",
            )
    for (fw, code), row in nodes.items():
        depth, seen, cur = 0, {code}, row.get("parent_code")
        while cur:
            depth += 1
            if cur in seen or depth > data.limits.max_depth or (fw, cur) not in nodes:
                if cur in seen:
                    problems.add(f, row, "parent_code", f"node {code!r} is its own ancestor")
                elif depth > data.limits.max_depth:
                    problems.add(
                        f,
                        row,
                        "parent_code",
                        f"node {code!r} is deeper than {data.limits.max_depth} levels",
                    )
                depth = -1
                break
            seen.add(cur)
            cur = nodes[(fw, cur)].get("parent_code")
        data.depth[(fw, code)] = depth
        data.row_depth[row.line] = depth


def _leaves(data: IndexData) -> set[tuple[str, str]]:
    rows = data.tables["framework.csv"]
    parents = {(r.get("framework_code"), r.get("parent_code")) for r in rows}
    return {(r.get("framework_code"), r.get("node_code")) for r in rows} - parents


def _check_regions(data: IndexData, problems: _Problems) -> None:
    f = "regions.csv"
    frameworks = {r.get("framework_code") for r in data.tables["framework.csv"]}
    seen: dict[str, int] = {}
    for row in data.tables[f]:
        code = _code(problems, f, row, "region_code")
        if code in seen:
            problems.add(f, row, "region_code", f"{code!r} repeats line {seen[code]}")
        seen[code] = row.line
        if not row.get("region_name"):
            problems.add(f, row, "region_name", "is empty")
        if row.get("framework_code") not in frameworks:
            problems.add(
                f,
                row,
                "framework_code",
                f"{row.get('framework_code')!r} is not a framework of framework.csv",
            )


def _edition_range(row: Row) -> tuple[int | None, int | None]:
    """A framework or metrics row's first and last edition (None: open), as validated."""
    ends = []
    for column in ("first_edition", "last_edition"):
        text = row.get(column)
        ends.append(int(float(text)) if text and NUMBER_RE.match(text) else None)
    return ends[0], ends[1]


def _edition_slices(data: IndexData, problems: _Problems) -> list[int | None]:
    """One edition per distinct framework of the editions values.csv has (the framework
    and metrics rows whose first_edition … last_edition contains it; [None] — every row, as
    every edition has them — when no row has a range). Each range is checked here: whole
    numbers of EDITIONS, first ≤ last."""
    ranged = False
    for f in ("framework.csv", "metrics.csv"):
        for row in data.tables[f]:
            first, last = (
                _number(
                    problems,
                    f,
                    row,
                    column,
                    required=False,
                    integer=True,
                    low=EDITIONS[0],
                    high=EDITIONS[1],
                )
                for column in ("first_edition", "last_edition")
            )
            if first is not None and last is not None and first > last:
                problems.add(
                    f, row, "last_edition", f"{last:g} is before first_edition ({first:g})"
                )
            ranged = ranged or first is not None or last is not None
    if not ranged:
        return [None]
    slices: dict[tuple[int, ...], int] = {}
    for edition in data.value_editions():
        applying = tuple(
            r.line
            for f in ("framework.csv", "metrics.csv")
            for r in data.tables[f]
            if _applies(r, edition)
        )
        slices.setdefault(applying, edition)
    return sorted(slices.values())


def _applies(row: Row, edition: int | None) -> bool:
    first, last = _edition_range(row)
    return edition is None or (
        (first is None or first <= edition) and (last is None or edition <= last)
    )


def _check_succession(data: IndexData, problems: _Problems) -> None:
    """succession.csv: each row links a predecessor region code to its successor, with the
    year and kind of the change. Either code may name a unit outside regions.csv (a region
    merged into a district the index does not rank); a record is what keeps a region that
    leaves the index from being a continuity finding (see the README, "Editions")."""
    f = "succession.csv"
    seen: dict[tuple[str, str, str], int] = {}
    for row in data.tables[f]:
        key = (
            _code(problems, f, row, "predecessor_code"),
            _code(problems, f, row, "successor_code"),
            row.get("year"),
        )
        if key in seen:
            problems.add(f, row, None, f"repeats the change on line {seen[key]}")
        seen[key] = row.line
        _number(
            problems, f, row, "year", required=True, integer=True, low=EDITIONS[0], high=EDITIONS[1]
        )
        _choice(problems, f, row, "kind", data.limits.succession_kinds)


def _check_metrics(data: IndexData, problems: _Problems) -> None:
    f = "metrics.csv"
    nodes = {(r.get("framework_code"), r.get("node_code")) for r in data.tables["framework.csv"]}
    leaves = _leaves(data)
    region_columns = set(data.region_extra_columns)
    seen: dict[tuple[str, str], int] = {}
    fed: set[tuple[str, str]] = set()
    for row in data.tables[f]:
        fw = row.get("framework_code")
        key = (fw, _code(problems, f, row, "metric_code"))
        if key in seen:
            problems.add(
                f, row, "metric_code", f"{key[1]!r} repeats line {seen[key]} in framework {fw!r}"
            )
        seen[key] = row.line
        node = (fw, row.get("node_code"))
        if node not in nodes:
            problems.add(
                f,
                row,
                "node_code",
                f"{node[1]!r} is not a node of framework {fw!r} in framework.csv",
            )
        elif node not in leaves:
            problems.add(
                f, row, "node_code", f"{node[1]!r} has child nodes; metrics feed leaf nodes only"
            )
        fed.add(node)
        _number(problems, f, row, "weight", required=True, positive=True, normal=True)
        if row.get("direction").replace("−", "-") not in {"1", "-1", "+1"}:
            problems.add(f, row, "direction", f"{row.get('direction')!r} must be 1 or -1")
        transform = _choice(
            problems, f, row, "transform", data.limits.methods["transform"], default="none"
        )
        method = _choice(problems, f, row, "normalization", data.limits.methods["normalization"])
        needs_lower = method == "goalpost"
        needs_upper = method in {"goalpost", "target"}
        lower = _number(
            problems,
            f,
            row,
            "lower",
            required=needs_lower,
            positive=transform == "log" and needs_lower,
        )
        upper = _number(
            problems,
            f,
            row,
            "upper",
            required=needs_upper,
            positive=transform == "log" and needs_upper,
        )
        if needs_lower and lower is not None and upper is not None and lower >= upper:
            problems.add(f, row, "upper", f"{upper:g} must be greater than lower ({lower:g})")
        for column in ("denominator", "impute_group"):
            name = row.get(column)
            if name and name not in region_columns:
                problems.add(
                    f,
                    row,
                    column,
                    f"{name!r} is not a column of regions.csv "
                    f"(extra columns: {sorted(region_columns) or 'none'})",
                )
        imputation = _choice(
            problems, f, row, "imputation", data.limits.methods["imputation"], default="none"
        )
        if imputation.startswith("group_") and not row.get("impute_group"):
            problems.add(f, row, "impute_group", f"imputation {imputation!r} needs a group column")
        _choice(problems, f, row, "treatment", data.limits.methods["treatment"], default="none")
        _number(
            problems,
            f,
            row,
            "winsor_max_points",
            required=False,
            integer=True,
            low=0,
            high=data.limits.max_winsorisation_points,
        )
        _number(problems, f, row, "skew_threshold", required=False, positive=True)
        _number(problems, f, row, "kurtosis_threshold", required=False)
        low = _number(problems, f, row, "plausible_min", required=False)
        high = _number(problems, f, row, "plausible_max", required=False)
        if low is not None and high is not None and low > high:
            problems.add(
                f, row, "plausible_max", f"{high:g} must not be below plausible_min ({low:g})"
            )
        _choice(
            problems,
            f,
            row,
            "constant_scores",
            set(data.limits.constant_scores),
            default=data.limits.constant_scores[0],
        )
    for column in sorted({r.get("denominator") for r in data.tables[f]} & region_columns):
        for region in data.tables["regions.csv"]:
            _number(problems, "regions.csv", region, column, required=False)
    for fw, node in sorted(leaves - fed):
        problems.add(
            "metrics.csv",
            None,
            "node_code",
            f"leaf node {node!r} of framework {fw!r} has no metric",
        )


def _check_values(data: IndexData, problems: _Problems) -> None:
    f = "values.csv"
    if data.values_file is not None:
        _check_values_in_duckdb(data, problems)
        return
    region_fw = {r.get("region_code"): r.get("framework_code") for r in data.tables["regions.csv"]}
    metrics = {(r.get("framework_code"), r.get("metric_code")) for r in data.tables["metrics.csv"]}
    seen: dict[tuple[str, str, str], int] = {}  # (edition, region, metric) → line
    log = {
        (r.get("framework_code"), r.get("metric_code"))
        for r in data.tables["metrics.csv"]
        if r.get("transform").lower() == "log"
    }
    for row in data.tables[f]:
        edition = _edition(problems, row)
        region, metric = row.get("region_code"), row.get("metric_code")
        if region not in region_fw:
            problems.add(f, row, "region_code", f"{_show(region)} is not a region of regions.csv")
        elif (region_fw[region], metric) not in metrics:
            problems.add(
                f,
                row,
                "metric_code",
                f"{_show(metric)} is not a metric of framework {region_fw[region]!r}",
            )
        value = _number(problems, f, row, "value", required=False)
        if value is not None and value <= 0 and (region_fw.get(region), metric) in log:
            _log_problem(problems, row, metric)
        # the edition as the number it is staged as (2022 and 2022.0 are one edition)
        key = (repr(edition) if edition is not None else row.get("edition"), region, metric)
        if key in seen:
            problems.add(
                f,
                row,
                "region_code",
                f"{region} × {metric} (edition {row.get('edition')}) repeats line {seen[key]}",
            )
        seen[key] = row.line


def _edition(problems: _Problems, row: Row) -> float | None:
    return _number(
        problems,
        "values.csv",
        row,
        "edition",
        required=True,
        integer=True,
        low=EDITIONS[0],
        high=EDITIONS[1],
    )


def _log_problem(problems: _Problems, row: Row, metric: str) -> None:
    problems.add(
        "values.csv",
        row,
        "value",
        f"{_show(row.get('value'))} must be > 0: metric {metric!r} has transform log "
        "(the logarithm of a value ≤ 0 is undefined)",
    )


def _check_shares(data: IndexData, problems: _Problems) -> None:
    """Every node's and metric's effective weight — the product of its shares among its
    siblings, up to the root: what it counts for in the index — must be a normal double
    (MIN_WEIGHT), and sibling weights must add up to a finite number. (Each weight being
    normal is not enough: 1e-200 beside 1e200 is a share of 1e-400, which is 0.)"""
    f = "framework.csv"
    rows = {(r.get("framework_code"), r.get("node_code")): r for r in data.tables[f]}
    total: dict[tuple[str, str], float] = {}
    for (fw, _), r in rows.items():
        if r.get("parent_code"):
            key = (fw, r.get("parent_code"))
            total[key] = total.get(key, 0.0) + float(r.get("weight"))
    effective: dict[tuple[str, str], float] = {}

    def weight_of(key: tuple[str, str]) -> float:
        if key not in effective:
            r = rows[key]
            parent = (key[0], r.get("parent_code"))
            if not r.get("parent_code"):
                effective[key] = 1.0
            elif not math.isfinite(total[parent]):
                effective[key] = math.nan
            else:
                effective[key] = weight_of(parent) * float(r.get("weight")) / total[parent]
        return effective[key]

    for parent, sum_ in total.items():
        if not math.isfinite(sum_):
            first = next(r for k, r in rows.items() if (k[0], r.get("parent_code")) == parent)
            problems.add(
                f,
                first,
                "weight",
                f"the weights of the children of {parent[1]!r} add up to more than 1.8e308",
            )
    for key, r in rows.items():
        share = weight_of(key)
        if math.isfinite(share) and share < MIN_WEIGHT:
            problems.add(
                f,
                r,
                "weight",
                f"{_show(r.get('weight'))} gives node {key[1]!r} a share of the index of "
                f"{share:.3g}, below the smallest normal double ({MIN_WEIGHT!r}): it would "
                "count for nothing",
            )
    m = "metrics.csv"
    metric_total: dict[tuple[str, str], float] = {}
    for r in data.tables[m]:
        key = (r.get("framework_code"), r.get("node_code"))
        metric_total[key] = metric_total.get(key, 0.0) + float(r.get("weight"))
    for r in data.tables[m]:
        key = (r.get("framework_code"), r.get("node_code"))
        if not math.isfinite(metric_total[key]):
            problems.add(
                m,
                r,
                "weight",
                f"the weights of the metrics of node {key[1]!r} add up to more than 1.8e308",
            )
            continue
        share = weight_of(key) * float(r.get("weight")) / metric_total[key]
        if math.isfinite(share) and share < MIN_WEIGHT:
            problems.add(
                m,
                r,
                "weight",
                f"{_show(r.get('weight'))} gives metric {r.get('metric_code')!r} a share of the "
                f"index of {share:.3g}, below the smallest normal double ({MIN_WEIGHT!r}): it "
                "would count for nothing",
            )


def _small_tables(con: Any, regions: list[Row], metrics: list[Row]) -> None:
    """regions.csv and metrics.csv (in file order: region_ord, metric_ord) as DuckDB tables
    beside the values, one row per code (a repeated code is regions.csv's or metrics.csv's
    own problem, named by their checks)."""
    import pandas as pd

    regions_frame = pd.DataFrame(
        {
            "region_ord": range(len(regions)),
            "region_code": [r.get("region_code") for r in regions],
            "framework_code": [r.get("framework_code") for r in regions],
        }
    )
    metrics_frame = pd.DataFrame(
        {
            "metric_ord": range(len(metrics)),
            "framework_code": [r.get("framework_code") for r in metrics],
            "metric_code": [r.get("metric_code") for r in metrics],
            "transform": [r.get("transform").lower() or "none" for r in metrics],
            "first_edition": [_edition_range(r)[0] for r in metrics],
            "last_edition": [_edition_range(r)[1] for r in metrics],
        }
    ).astype({"first_edition": "Int64", "last_edition": "Int64"})
    # as DuckDB tables: joins on a pandas frame scan it through Python, ~2× slower
    con.register("regions_frame", regions_frame)
    con.register("metrics_frame", metrics_frame)
    con.execute("""create table index_regions as
                   select region_code, min(region_ord) as region_ord,
                          any_value(framework_code) as framework_code
                   from regions_frame group by region_code""")
    con.execute("""create table index_metrics as
                   select framework_code, metric_code, min(metric_ord) as metric_ord,
                          arg_min(transform, metric_ord) as transform
                   from metrics_frame group by framework_code, metric_code""")
    con.execute("""create table index_metric_versions as
                   select framework_code, metric_code, first_edition, last_edition
                   from metrics_frame""")
    con.unregister("regions_frame")
    con.unregister("metrics_frame")


# values.csv's rows parsed, once for every query below: each row's edition as a number,
# where its region and metric are in regions.csv / metrics.csv (null: unknown), its value as
# text (normalised) and whether each parses
PARSED_VALUES = """
given as (
    select
        _ordinal,
        trim(c{edition}, ' \t\r\n') as edition,
        trim(c{region}, ' \t\r\n') as region_code,
        trim(c{metric}, ' \t\r\n') as metric_code,
        trim(c{value}, ' \t\r\n') as value_text
    from ({read})
),
normalised as (
    select
        given.*,
        try_cast(replace(edition, '−', '-') as double) as edition_number,
        nullif(replace(value_text, '−', '-'), '') as value
    from given
),
parsed as (
    select
        normalised.*,
        try_cast(normalised.value as double) as value_number,
        regions.framework_code as region_framework,
        regions.region_ord,
        metrics.metric_ord,
        normalised.edition != '' and normalised.edition_number is not null
            and isfinite(normalised.edition_number)
            and normalised.edition_number = trunc(normalised.edition_number)
            and normalised.edition_number between {min_edition} and {max_edition} as edition_ok,
        metrics.transform = 'log' as log_metric,
        normalised.value is null
            or (regexp_full_match(normalised.value, '{number}')
                and coalesce(isfinite(try_cast(normalised.value as double)), false)
                and (metrics.transform is distinct from 'log'
                     or try_cast(normalised.value as double) > 0)) as value_ok
    from normalised
    left join index_regions as regions on normalised.region_code = regions.region_code
    left join index_metrics as metrics
        on regions.framework_code = metrics.framework_code
        and normalised.metric_code = metrics.metric_code
)
"""
# values.csv as the checks and the canonical file need it, from one parallel read
LOCATED = (
    "create table located as with"
    + PARSED_VALUES
    + "select edition_number, region_ord, metric_ord, value, edition_ok, value_ok from parsed"
)
# clean input answers 0 in one pass: rows failing a check, then editions × regions where a
# metric repeats (a bitmap of the metrics seen per edition × region, not a hash of every key)
VALUES_ANY_PROBLEM = """
select (
    select count(*) from located
    where not edition_ok or region_ord is null or metric_ord is null or not value_ok
) + (
    select count(*) from (
        select 1 from located
        where edition_ok and region_ord is not null and metric_ord is not null
        group by edition_number, region_ord
        having bit_count(bitstring_agg(metric_ord, 0, {max_metric_ord})) < count(*)
    )
)
"""
# the rows to name (only run when there are problems: a second, sequential read of the file,
# rows numbered, through the same PARSED_VALUES), with the line they repeat
VALUES_PROBLEMS = (
    "with"
    + PARSED_VALUES
    + """,
keyed as (
    select
        *,
        -- the edition as the number it is staged as (2022 and 2022.0 are one edition)
        coalesce(cast(edition_number as varchar), edition) as edition_key
    from parsed
),
repeated as (
    select
        _ordinal,
        lag(_ordinal) over (
            partition by edition_key, region_code, metric_code order by _ordinal
        ) as repeats
    from keyed
    where (edition_key, region_code, metric_code) in (
        select (edition_key, region_code, metric_code) from keyed
        group by edition_key, region_code, metric_code having count(*) > 1
    )
)
select
    keyed._ordinal, edition, region_code, metric_code, value_text, edition_number,
    value_number, region_framework, metric_ord is not null as metric_known,
    coalesce(log_metric, false), repeated.repeats
from keyed
left join repeated on keyed._ordinal = repeated._ordinal
where not edition_ok or region_ord is null or metric_ord is null or not value_ok
    or repeated.repeats is not null
order by keyed._ordinal
limit 1000
"""
)


def _columns(header: list[str]) -> dict[str, int]:
    """Where values.csv's required columns are in its header (for the queries above)."""
    return {
        "edition": header.index("edition"),
        "region": header.index("region_code"),
        "metric": header.index("metric_code"),
        "value": header.index("value"),
        "number": NUMBER.replace("'", "''"),
        "min_edition": EDITIONS[0],
        "max_edition": EDITIONS[1],
    }


def _check_values_in_duckdb(data: IndexData, problems: _Problems) -> None:
    """values.csv checked by DuckDB: the same checks and messages as the row-by-row ones, at
    any size, in bounded memory (line numbers are looked up only for rows that fail)."""
    f = "values.csv"
    path = data.values_file
    assert path is not None and data.staged is not None
    con = data.staged.connect()
    try:
        max_ord = max(len(data.tables["metrics.csv"]) - 1, 0)
        n_problems = con.execute(VALUES_ANY_PROBLEM.format(max_metric_ord=max_ord)).fetchone()
        failing = []
        if n_problems and n_problems[0]:
            header = _read_header(path) or []
            detailed = VALUES_PROBLEMS.format(
                read=_read_csv_sql(path, header, True), **_columns(header)
            )
            failing = con.execute(detailed).fetchall()
    finally:
        con.close()
    if not failing:
        return
    lines = _data_lines(path)
    for ordinal, edition, region, metric, value, _, _, framework, known, log, repeats in failing:
        row = Row(lines[ordinal - 1], {"edition": edition, "value": value})
        _edition(problems, row)
        if framework is None:
            problems.add(f, row, "region_code", f"{_show(region)} is not a region of regions.csv")
        elif not known:
            problems.add(
                f, row, "metric_code", f"{_show(metric)} is not a metric of framework {framework!r}"
            )
        number = _number(problems, f, row, "value", required=False)
        if number is not None and number <= 0 and log:
            _log_problem(problems, row, metric)
        if repeats is not None:
            problems.add(
                f,
                row,
                "region_code",
                f"{region} × {metric} (edition {edition}) repeats line {lines[repeats - 1]}",
            )


def _fmt(value: float) -> str:
    return repr(float(value))


def _csv(header: list[str], rows: list[dict[str, str]]) -> str:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=header, lineterminator="\n", extrasaction="ignore")
    writer.writeheader()
    writer.writerows(rows)
    return buf.getvalue()


def canonical_tables(data: IndexData) -> dict[str, str]:
    """The index in the seeds' layout: file name → CSV text."""
    fw_rows = data.tables["framework.csv"]
    sibling_total: dict[tuple[str, str], float] = {}
    for r in fw_rows:
        if r.get("parent_code"):
            key = (r.get("framework_code"), r.get("parent_code"))
            sibling_total[key] = sibling_total.get(key, 0.0) + float(r.get("weight"))
    nodes = []
    for order, r in enumerate(fw_rows):
        fw, parent = r.get("framework_code"), r.get("parent_code")
        pct = 100.0 if not parent else 100.0 * float(r.get("weight")) / sibling_total[(fw, parent)]
        nodes.append(
            {
                "framework_code": fw,
                "node_code": r.get("node_code"),
                "parent_code": parent,
                "level": str(data.row_depth[r.line]),
                "name_zh": r.get("name"),
                "name_en": r.get("name_en") or r.get("name"),
                "local_weight_pct": _fmt(pct),
                "aggregation": r.get("aggregation").lower() or "arithmetic",
                "sort_order": str(order),
                "min_availability": r.get("min_availability"),
                "first_edition": r.get("first_edition"),
                "last_edition": r.get("last_edition"),
            }
        )
    m_rows = data.tables["metrics.csv"]
    node_total: dict[tuple[str, str], float] = {}
    for r in m_rows:
        key = (r.get("framework_code"), r.get("node_code"))
        node_total[key] = node_total.get(key, 0.0) + float(r.get("weight"))
    metrics = []
    for r in m_rows:
        key = (r.get("framework_code"), r.get("node_code"))
        metrics.append(
            {
                "framework_code": key[0],
                "metric_code": r.get("metric_code"),
                "node_code": key[1],
                "name_zh": r.get("name"),
                "name_en": r.get("name_en") or r.get("name"),
                "unit": r.get("unit"),
                "value_type": "number",
                "decimals": "",
                "weight": _fmt(float(r.get("weight")) / node_total[key]),
                "direction": "-1" if r.get("direction").replace("−", "-") == "-1" else "1",
                "transform": r.get("transform").lower() or "none",
                "normalization": r.get("normalization").lower(),
                "lower": r.get("lower"),
                "upper": r.get("upper"),
                "plausible_min": r.get("plausible_min"),
                "plausible_max": r.get("plausible_max"),
                "source_hint": "",
                "denominator": r.get("denominator"),
                "imputation": r.get("imputation").lower() or "none",
                "impute_group": r.get("impute_group"),
                "treatment": r.get("treatment").lower() or "none",
                "winsor_max_points": r.get("winsor_max_points"),
                "skew_threshold": r.get("skew_threshold"),
                "kurtosis_threshold": r.get("kurtosis_threshold"),
                "constant_scores": r.get("constant_scores").lower()
                or data.limits.constant_scores[0],
                "first_edition": r.get("first_edition"),
                "last_edition": r.get("last_edition"),
            }
        )
    regions, attributes = [], []
    for r in data.tables["regions.csv"]:
        row = {c: r.get(c) for c in SEED_COLUMNS["regions"] if c in r.cells}
        row.setdefault("full_name", r.get("region_name"))
        regions.append(row)
        for column in data.region_extra_columns:
            attributes.append(
                {"region_code": r.get("region_code"), "attribute": column, "value": r.get(column)}
            )
    tables = {
        "framework_nodes.csv": _csv(SEED_COLUMNS["framework_nodes"], nodes),
        "metric_catalog.csv": _csv(SEED_COLUMNS["metric_catalog"], metrics),
        "regions.csv": _csv(SEED_COLUMNS["regions"], regions),
        "region_attributes.csv": _csv(["region_code", "attribute", "value"], attributes),
        "region_succession.csv": _csv(
            SEED_COLUMNS["region_succession"],
            [
                {c: r.get(c) for c in SEED_COLUMNS["region_succession"]}
                | {"kind": r.get("kind").lower()}
                for r in data.tables["succession.csv"]
            ],
        ),
    }
    if data.values_file is not None:
        return tables  # metric_values.csv: written by DuckDB (write_canonical)
    # complete the edition × region × metric grid: an absent row is a missing value
    given = {
        (int(float(r.get("edition"))), r.get("region_code"), r.get("metric_code")): r.get("value")
        for r in data.tables["values.csv"]
    }
    editions = sorted({e for e, _, _ in given})
    assessed = {(e, r) for e, r, _ in given}  # a region is in the editions it has rows in
    values = []
    for edition in editions:
        metrics_of: dict[str, list[str]] = {}  # the edition's metrics, once each, in file order
        for r in data.tables["metrics.csv"]:
            codes = metrics_of.setdefault(r.get("framework_code"), [])
            if _applies(r, edition) and r.get("metric_code") not in codes:
                codes.append(r.get("metric_code"))
        for region in data.tables["regions.csv"]:
            code = region.get("region_code")
            if (edition, code) not in assessed:
                continue
            for metric in metrics_of.get(region.get("framework_code"), []):
                text = given.get((edition, code, metric), "")
                values.append(
                    {
                        "edition": str(edition),
                        "region_code": code,
                        "metric_code": metric,
                        "value": text.replace("−", "-"),
                    }
                )
    tables["metric_values.csv"] = _csv(SEED_COLUMNS["metric_values"], values)
    return tables


def write_canonical(data: IndexData, out_dir: Path) -> Path:
    out_dir.mkdir(parents=True, exist_ok=True)
    for name, text in canonical_tables(data).items():
        (out_dir / name).write_text(text, encoding="utf-8")
    values = out_dir / "metric_values.parquet"
    if data.values_file is not None:
        _write_values_in_duckdb(data, values)
    else:  # read row by row: its CSV text, as Parquet like the other path's
        _csv_to_parquet(out_dir / "metric_values.csv", values)
    return out_dir


def _csv_to_parquet(source: Path, target: Path) -> None:
    """A canonical CSV (text columns) rewritten as Parquet with the same text columns."""
    import duckdb

    con = duckdb.connect()
    try:
        quoted = {p: str(p).replace("'", "''") for p in (source, target)}
        con.execute(
            f"""copy (select * from read_csv('{quoted[source]}', header = true,
                                             all_varchar = true, quote = '"', escape = '"'))
                to '{quoted[target]}' (format parquet)"""
        )
    finally:
        con.close()
    source.unlink()


# the canonical metric_values: every row given, plus the absent rows of the edition ×
# region × metric grid (each region's framework) as missing, in file order of regions and
# metrics. A region is in the editions it has rows in (the editions it is assessed in);
# only editions × regions with fewer rows than their framework's metrics are expanded, so
# no join holds the whole grid.
CANONICAL_VALUES = """
copy (
    with given as not materialized (
        select
            cast(edition_number as bigint) as edition_no, region_ord, metric_ord, value
        from located
    ),
    counts as (
        select edition_no, region_ord, count(*) as n_given
        from given group by edition_no, region_ord
    ),
    -- each edition's metrics: those whose rows' edition range contains it
    edition_metrics as (
        select distinct editions.edition_no, metrics.framework_code, metrics.metric_ord
        from (select distinct edition_no from counts) as editions
        inner join index_metric_versions as versions
            on coalesce(versions.first_edition <= editions.edition_no, true)
            and coalesce(editions.edition_no <= versions.last_edition, true)
        inner join index_metrics as metrics
            on versions.framework_code = metrics.framework_code
            and versions.metric_code = metrics.metric_code
    ),
    metric_counts as (
        select edition_no, framework_code, count(*) as n_metrics
        from edition_metrics group by edition_no, framework_code
    ),
    incomplete as (
        select counts.edition_no, regions.region_ord, regions.framework_code
        from counts
        inner join index_regions as regions on counts.region_ord = regions.region_ord
        inner join metric_counts
            on regions.framework_code = metric_counts.framework_code
            and counts.edition_no = metric_counts.edition_no
        where counts.n_given < metric_counts.n_metrics
    ),
    absent as (
        select
            incomplete.edition_no, incomplete.region_ord, metrics.metric_ord,
            cast(null as varchar) as value
        from incomplete
        inner join edition_metrics as metrics
            on incomplete.framework_code = metrics.framework_code
            and incomplete.edition_no = metrics.edition_no
        anti join (
            select given.edition_no, given.region_ord, given.metric_ord
            from given semi join incomplete
                on given.edition_no = incomplete.edition_no
                and given.region_ord = incomplete.region_ord
        ) as present
            on incomplete.edition_no = present.edition_no
            and incomplete.region_ord = present.region_ord
            and metrics.metric_ord = present.metric_ord
    ),
    grid as (select * from given union all select * from absent)
    select
        cast(grid.edition_no as varchar) as edition, regions.region_code, metrics.metric_code,
        grid.value
    from grid
    inner join index_regions as regions on grid.region_ord = regions.region_ord
    inner join index_metrics as metrics on grid.metric_ord = metrics.metric_ord
    order by grid.edition_no, grid.region_ord, grid.metric_ord
) to '{out}' (format parquet)
"""


def _write_values_in_duckdb(data: IndexData, target: Path) -> None:
    """metric_values (Parquet, text columns) in the seeds' layout, as canonical_tables writes
    it row by row: the edition × region × metric grid of every region's framework, an absent
    row as missing."""
    assert data.staged is not None
    con = data.staged.connect()
    try:
        con.execute(CANONICAL_VALUES.format(out=str(target).replace("'", "''")))
    finally:
        con.close()


def export_seeds(out_dir: Path, seeds: Path) -> Path:
    """Write the shipped seeds as an index folder (the H3C index in the open format)."""

    def read(rel: str) -> list[dict[str, str]]:
        with (seeds / rel).open(encoding="utf-8") as fh:
            return list(csv.DictReader(fh))

    out_dir.mkdir(parents=True, exist_ok=True)
    nodes = read("framework/framework_nodes.csv")
    (out_dir / "framework.csv").write_text(
        _csv(
            [
                "framework_code",
                "node_code",
                "parent_code",
                "name",
                "weight",
                "aggregation",
                "name_en",
                "min_availability",
                "first_edition",
                "last_edition",
            ],
            [{**n, "name": n["name_zh"], "weight": n["local_weight_pct"]} for n in nodes],
        ),
        encoding="utf-8",
    )
    metrics = read("metrics/metric_catalog.csv")
    (out_dir / "metrics.csv").write_text(
        _csv(
            REQUIRED["metrics.csv"] + OPTIONAL["metrics.csv"],
            [{**m, "name": m["name_zh"]} for m in metrics],
        ),
        encoding="utf-8",
    )
    regions = read("regions/regions.csv")
    extra = [c for c in SEED_COLUMNS["regions"] if c not in REQUIRED["regions.csv"]]
    (out_dir / "regions.csv").write_text(
        _csv(REQUIRED["regions.csv"] + extra, regions), encoding="utf-8"
    )
    values = read("values/metric_values.csv")
    (out_dir / "values.csv").write_text(_csv(REQUIRED["values.csv"], values), encoding="utf-8")
    succession = read("regions/region_succession.csv")
    (out_dir / "succession.csv").write_text(
        _csv(REQUIRED["succession.csv"] + OPTIONAL["succession.csv"], succession),
        encoding="utf-8",
    )
    return out_dir
