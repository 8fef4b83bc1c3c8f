"""The bad-input matrix: hostile and malformed index folders given to `digindex run --index`
on a warehouse that already holds a publication (of the valid tiny index).

Every case is refused with its exit code and a message naming the file, line and column
(or the region and metric), without a Python traceback, and leaves the previous
publication byte-identical: the published tables, the `publish/<edition>` link's target and
every file behind it, and the sealed versions. Almost every case is refused by the folder
validation (digindex.index_folder.load_index) before dbt runs, in well under a second; one
reaches the gate. What looks hostile but is valid (a BOM, CRLF, `2024.0`, names with quotes,
commas, newlines or a formula's first character, a folder path with a quote) is published.
"""

from __future__ import annotations

import csv
import io
import json
import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest
from test_index_folder import MALFORMED, TINY, _append, _drop, _replace

from _project import INDEX_DB, publication_state
from digindex import cli, index_folder
from digindex.index_folder import MAX_CELL_CHARS, load_index, write_canonical

EDITION = 2024  # TINY's
Files = dict[str, "str | bytes | None"]  # None: a folder of that name instead of a file
Change = Callable[[Files], None]


# -- writing folders -------------------------------------------------------------------------


def write_files(folder: Path, files: Files) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, content in files.items():
        if content is None:
            (folder / name).mkdir()
        elif isinstance(content, bytes):
            (folder / name).write_bytes(content)
        else:
            (folder / name).write_text(content, encoding="utf-8", newline="")
    return folder


def _sub(name: str, old: str, new: str) -> Change:
    """_replace on text that may already be bytes-free (every occurrence, at least one)."""

    def change(files: Files) -> None:
        text = files[name]
        assert isinstance(text, str) and old in text, old
        files[name] = text.replace(old, new)

    return change


def _encode(name: str, encoding: str, old: str = "", new: str = "") -> Change:
    def change(files: Files) -> None:
        text = files[name]
        assert isinstance(text, str)
        if old:
            assert old in text, old
            text = text.replace(old, new, 1)
        files[name] = text.encode(encoding)

    return change


def _set(name: str, content: str | bytes | None) -> Change:
    def change(files: Files) -> None:
        files[name] = content

    return change


def _all(*changes: Change) -> Change:
    def change(files: Files) -> None:
        for c in changes:
            c(files)

    return change


def _crlf(files: Files) -> None:
    for name, text in files.items():
        assert isinstance(text, str)
        files[name] = text.replace("\n", "\r\n")


def _bom(files: Files) -> None:
    for name, text in files.items():
        assert isinstance(text, str)
        files[name] = "\ufeff" + text


def _m1_columns(columns: list[str], m1_cells: list[str]) -> Change:
    """metrics.csv with optional `columns` added: m1's cells given, the other metrics' empty."""

    def change(files: Files) -> None:
        text = files["metrics.csv"]
        assert isinstance(text, str)
        lines = text.splitlines()
        lines[0] += "," + ",".join(columns)
        for i in range(1, len(lines)):
            cells = m1_cells if lines[i].startswith("t,m1,") else [""] * len(columns)
            lines[i] += "," + ",".join(cells)
        files["metrics.csv"] = "\n".join(lines) + "\n"

    return change


def _metrics_columns(plausible_m1: str = ",") -> Change:
    """metrics.csv with the optional plausible_min / plausible_max columns (m1's given)."""
    return _m1_columns(["plausible_min", "plausible_max"], plausible_m1.split(","))


LONG = 200_000


# -- the cases -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    name: str
    change: Change
    message: str
    exit_code: int = cli.EXIT_USAGE


OWN = [
    # encodings
    Case(
        "values_in_gbk",
        _encode("values.csv", "gbk", "2024,r3,m1,30", "2024,r3,m1,三十"),
        "values.csv, line 4, column value: not UTF-8 (byte 0xc8",
    ),
    Case(
        "regions_in_latin1",
        _encode("regions.csv", "latin-1", "Region 2", "Zürich"),
        "regions.csv, line 3, column region_name: not UTF-8 (byte 0xfc",
    ),
    Case(
        "framework_in_gbk",
        _encode("framework.csv", "gbk", "t,a,root,A,", "t,a,root,数字,"),
        "framework.csv, line 3, column name: not UTF-8",
    ),
    Case("values_in_utf16", _encode("values.csv", "utf-16"), "values.csv, line 1: not UTF-8"),
    Case(
        "crlf_line_numbers",
        _all(_crlf, _sub("values.csv", "2024,r3,m1,30", "2024,r3,m1,thirty")),
        "values.csv, line 4, column value: 'thirty' is not a number",
    ),
    Case(
        # a BOM, the edition spelled 2022.0 for 2022: still the same value twice
        "bom_duplicate_edition_2022_0",
        _all(
            _sub("values.csv", "2024,", "2022,"),
            _append("values.csv", "2022.0,r1,m1,11\n"),
            _bom,
        ),
        "values.csv, line 18, column region_code: r1 × m1 (edition 2022.0) repeats line 2",
    ),
    # ragged rows, headers, empty and missing files
    Case(
        "values_too_many_fields",
        _append("values.csv", "2024,r1,m1,10,extra\n"),
        "values.csv, line 18: has 5 fields, the header has 4",
    ),
    Case(
        "regions_too_few_fields",
        _replace("regions.csv", "r3,Region 3,t,y", "r3,Region 3,t"),
        "regions.csv, line 4: has 3 fields, the header has 4",
    ),
    Case(
        "metrics_too_many_fields",
        _replace(
            "metrics.csv",
            "t,m2,b,M2,u,1,-1,none,rank,,,none,",
            "t,m2,b,M2,u,1,-1,none,rank,,,none,,",
        ),
        "metrics.csv, line 3: has 14 fields, the header has 13",
    ),
    Case(
        "duplicate_header",
        _replace("regions.csv", "framework_code,grp", "framework_code,region_name"),
        "regions.csv, line 1: header repeats column(s) ['region_name']",
    ),
    Case(
        "empty_header_cell",
        _replace("regions.csv", "framework_code,grp", "framework_code,"),
        "regions.csv, line 1, column 4: the header cell is empty",
    ),
    Case(
        "semicolon_separated",
        lambda files: files.__setitem__("values.csv", str(files["values.csv"]).replace(",", ";")),
        "values.csv, line 1: header lacks required column(s) ['edition', 'region_code', "
        "'metric_code', 'value'] (the file is separated by ';' or tabs",
    ),
    Case(
        "values_header_only",
        _set("values.csv", "edition,region_code,metric_code,value\n"),
        "values.csv, line 2: no value rows: the file has only its header",
    ),
    Case(
        "regions_header_only",
        _set("regions.csv", "region_code,region_name,framework_code,grp\n"),
        "regions.csv, line 2: no rows: the file has only its header",
    ),
    Case("values_empty", _set("values.csv", ""), "values.csv, line 1: empty file (no header row)"),
    Case(
        "framework_empty",
        _set("framework.csv", ""),
        "framework.csv, line 1: empty file (no header row)",
    ),
    Case(
        "values_only_a_bom",
        _set("values.csv", "\ufeff"),
        "values.csv, line 1: empty file (no header row)",
    ),
    Case("framework_missing", _drop("framework.csv"), "framework.csv: missing"),
    Case("values_is_a_folder", _set("values.csv", None), "values.csv: missing"),
    Case(
        "no_files",
        _all(*(_drop(n) for n in index_folder.FILES)),
        "metrics.csv: missing (an index folder needs framework.csv, metrics.csv",
    ),
    Case(
        "unclosed_quote_in_values",
        _replace("values.csv", "2024,r3,m1,30", '2024,r3,m1,"30'),
        "values.csv, line 4, column value: '30\\n2024,r4,m1,",
    ),
    Case(
        "unclosed_quote_in_regions",
        _replace("regions.csv", "r2,Region 2", 'r2,"Region 2'),
        "regions.csv, line 3: has 2 fields, the header has 4",
    ),
    Case(
        "nul_byte_in_a_value",
        _replace("values.csv", "2024,r3,m1,30", "2024,r3,m1,3\x000"),
        "values.csv, line 4, column value: '3\\x000' is not a number",
    ),
    # numbers
    Case(
        "value_1e309",
        _replace("values.csv", "2024,r3,m1,30", "2024,r3,m1,1e309"),
        "values.csv, line 4, column value: '1e309' is not a finite number",
    ),
    Case(
        "value_inf",
        _replace("values.csv", "2024,r3,m1,30", "2024,r3,m1,inf"),
        "values.csv, line 4, column value: 'inf' is not a finite number",
    ),
    Case(
        "value_minus_inf",
        _replace("values.csv", "2024,r3,m1,30", "2024,r3,m1,-inf"),
        "values.csv, line 4, column value: '-inf' is not a finite number",
    ),
    Case(
        "value_nan",
        _replace("values.csv", "2024,r3,m1,30", "2024,r3,m1,nan"),
        "values.csv, line 4, column value: 'nan' is not a finite number",
    ),
    Case(
        "value_with_thousands_separator",
        _replace("values.csv", "2024,r3,m1,30", '2024,r3,m1,"1,000"'),
        "values.csv, line 4, column value: '1,000' is not a number (write it without thousands "
        "separators)",
    ),
    Case(
        # Python's float() and DuckDB read it; the gate's number does not
        "value_with_underscore",
        _replace("values.csv", "2024,r3,m1,30", "2024,r3,m1,1_000"),
        "values.csv, line 4, column value: '1_000' is not a number",
    ),
    Case(
        "value_with_unit",
        _replace("values.csv", "2024,r3,m1,30", "2024,r3,m1,12%"),
        "values.csv, line 4, column value: '12%' is not a number (write the number without its "
        "unit: 12)",
    ),
    Case(
        "value_in_arabic_indic_digits",
        _replace("values.csv", "2024,r3,m1,30", "2024,r3,m1,٣٠"),
        "values.csv, line 4, column value: '٣٠' is not a number",
    ),
    Case(
        "framework_weight_inf",
        _replace("framework.csv", "t,a,root,A,2,", "t,a,root,A,inf,"),
        "framework.csv, line 3, column weight: 'inf' is not a finite number",
    ),
    Case(
        "framework_weight_1e309",
        _replace("framework.csv", "t,a,root,A,2,", "t,a,root,A,1e309,"),
        "framework.csv, line 3, column weight: '1e309' is not a finite number",
    ),
    Case(
        "metric_weight_nan",
        _replace("metrics.csv", "t,m1,b,M1,u,1,", "t,m1,b,M1,u,nan,"),
        "metrics.csv, line 2, column weight: 'nan' is not a finite number",
    ),
    Case(
        "framework_weight_subnormal",
        _replace("framework.csv", "t,b,root,B,1,", "t,b,root,B,1e-320,"),
        "framework.csv, line 4, column weight: '1e-320' is below the smallest normal double",
    ),
    Case(
        "metric_weight_subnormal",
        _replace("metrics.csv", "t,m2,b,M2,u,1,", "t,m2,b,M2,u,1e-320,"),
        "metrics.csv, line 3, column weight: '1e-320' is below the smallest normal double",
    ),
    Case(
        # both weights normal, but b's share of the index (1e-10 / 1e300) is not
        "weight_share_underflows",
        _all(
            _replace("framework.csv", "t,a,root,A,2,", "t,a,root,A,1e300,"),
            _replace("framework.csv", "t,b,root,B,1,", "t,b,root,B,1e-10,"),
        ),
        "framework.csv, line 4, column weight: '1e-10' gives node 'b' a share of the index of",
    ),
    Case(
        "metric_share_underflows",
        _all(
            _replace("metrics.csv", "t,m1,b,M1,u,1,", "t,m1,b,M1,u,1e300,"),
            _replace("metrics.csv", "t,m2,b,M2,u,1,", "t,m2,b,M2,u,1e-20,"),
        ),
        "metrics.csv, line 3, column weight: '1e-20' gives metric 'm2' a share of the index of",
    ),
    Case(
        "weights_sum_overflows",
        _all(
            _replace("framework.csv", "t,a,root,A,2,", "t,a,root,A,1.7e308,"),
            _replace("framework.csv", "t,b,root,B,1,", "t,b,root,B,1.7e308,"),
        ),
        "framework.csv, line 3, column weight: the weights of the children of 'root' add up to "
        "more than 1.8e308",
    ),
    Case(
        "goalpost_lower_minus_inf",
        _replace("metrics.csv", ",goalpost,0,10,", ",goalpost,-inf,10,"),
        "metrics.csv, line 4, column lower: '-inf' is not a finite number",
    ),
    Case(
        "plausible_range_inverted",
        _metrics_columns("100,0"),
        "metrics.csv, line 2, column plausible_max: 0 must not be below plausible_min (100)",
    ),
    Case(
        "min_availability_nan",
        _replace("framework.csv", ",0.9\n", ",nan\n"),
        "framework.csv, line 4, column min_availability: 'nan' is not a finite number",
    ),
    # editions
    Case(
        "edition_negative",
        _replace("values.csv", "2024,r3,m1,30", "-2024,r3,m1,30"),
        "values.csv, line 4, column edition: '-2024' must lie in [1, 9999]",
    ),
    Case(
        "edition_huge",
        _replace("values.csv", "2024,r3,m1,30", "1e20,r3,m1,30"),
        "values.csv, line 4, column edition: '1e20' must lie in [1, 9999]",
    ),
    Case(
        "edition_not_whole",
        _replace("values.csv", "2024,r3,m1,30", "2022.5,r3,m1,30"),
        "values.csv, line 4, column edition: '2022.5' is not a whole number",
    ),
    Case(
        "edition_empty",
        _replace("values.csv", "2024,r3,m1,30", ",r3,m1,30"),
        "values.csv, line 4, column edition: is empty; a number is required",
    ),
    Case(
        "edition_text",
        _replace("values.csv", "2024,r3,m1,30", "FY2024,r3,m1,30"),
        "values.csv, line 4, column edition: 'FY2024' is not a number",
    ),
    # values the scoring cannot take
    Case(
        "log_metric_value_zero",
        _replace("values.csv", "2024,r3,m4,1", "2024,r3,m4,0"),
        "values.csv, line 16, column value: '0' must be > 0: metric 'm4' has transform log",
    ),
    Case(
        "log_metric_value_negative",
        _replace("values.csv", "2024,r1,m4,10", "2024,r1,m4,-10"),
        "values.csv, line 14, column value: '-10' must be > 0: metric 'm4' has transform log",
    ),
    # hostile names and codes
    Case(
        "region_name_200k_characters",
        _replace("regions.csv", "Region 2", "x" * LONG),
        f"regions.csv, line 3, column region_name: is {LONG} characters long; a cell may hold "
        f"at most {MAX_CELL_CHARS}",
    ),
    Case(
        "framework_name_200k_characters_quoted",
        _replace("framework.csv", "t,b,root,B,", 't,b,root,"' + "y," * (LONG // 2) + '",'),
        f"framework.csv, line 4, column name: is {LONG} characters long",
    ),
    Case(
        "values_region_code_200k_characters",
        _replace("values.csv", "2024,r3,m1,30", "2024," + "r" * LONG + ",m1,30"),
        "values.csv, line 4, column region_code: 'rrrr",
    ),
    Case(
        "region_code_with_space",
        _replace("regions.csv", "r4,Region 4", "r 4,Region 4"),
        "regions.csv, line 5, column region_code: 'r 4' is not an ASCII code",
    ),
    Case(
        "region_code_non_ascii",
        _replace("regions.csv", "r4,Region 4", "地区4,Region 4"),
        "regions.csv, line 5, column region_code: '地区4' is not an ASCII code",
    ),
    Case(
        # trimmed: spaces, tabs, CR, LF — not a no-break space, which then is no code
        "region_code_no_break_space",
        _replace("regions.csv", "r4,Region 4", "r4\xa0,Region 4"),
        "regions.csv, line 5, column region_code: 'r4\\xa0' is not an ASCII code",
    ),
    Case(
        "sql_looking_region_code",
        _replace("regions.csv", "r4,Region 4", "x'; drop table y; --,Region 4"),
        'regions.csv, line 5, column region_code: "x\'; drop table y; --" is not an ASCII code',
    ),
    Case(
        "sql_looking_metric_code",
        _replace("metrics.csv", "t,m1,b,", "t,m1'--,b,"),
        'metrics.csv, line 2, column metric_code: "m1\'--" is not an ASCII code',
    ),
    Case(
        "sql_looking_node_code",
        _replace("framework.csv", "t,b,root,B,", "t,b') or 1=1 --,root,B,"),
        'framework.csv, line 4, column node_code: "b\') or 1=1 --" is not an ASCII code',
    ),
    Case(
        "sql_looking_code_in_values",
        _replace("values.csv", "2024,r3,m1,30", "2024,x'; drop table y; --,m1,30"),
        'values.csv, line 4, column region_code: "x\'; drop table y; --" is not a region of '
        "regions.csv",
    ),
]

CASES = [Case(f"malformed_{n}", c, m) for n, c, m in MALFORMED] + OWN


# -- the baseline publication ----------------------------------------------------------------


@dataclass
class Baseline:
    root: Path
    project: Path
    db: Path
    publish_dir: Path
    state: dict[str, str]


def run_index(project: Path, folder: Path, db: Path, publish_dir: Path) -> int:
    return cli.main(
        [
            "run",
            "--index",
            str(folder),
            "--db",
            str(db),
            "--publish-dir",
            str(publish_dir),
            "--project-dir",
            str(project),
        ]
    )


@pytest.fixture(scope="module")
def baseline(tmp_path_factory: pytest.TempPathFactory, index_project: Path) -> Baseline:
    """The tiny index published once (a full run, ~30 s): its methods are checked on it by
    hand (test_methods_end_to_end), and every case runs against it."""
    root = tmp_path_factory.mktemp("bad_input")
    db, publish_dir = root / INDEX_DB, root / "publish"
    folder = write_files(root / "tiny", dict(TINY))
    assert run_index(index_project, folder, db, publish_dir) == cli.EXIT_OK
    return Baseline(
        root, index_project, db, publish_dir, publication_state(db, publish_dir, EDITION)
    )


def test_methods_end_to_end(baseline: Baseline) -> None:
    """The tiny index's scores and ranks, worked out by hand from the methods' definitions."""
    con = duckdb.connect(str(baseline.db), read_only=True)
    try:
        status = {
            r[0]: (r[1], r[2])
            for r in con.execute(
                "select region_code, is_ranked, reason from marts.fct_region_status"
            ).fetchall()
        }
        imputed = con.execute(
            """select imputed_value, is_imputed from intermediate.int_metric_values_scored
               where region_code = 'r2' and metric_code = 'm3'"""
        ).fetchone()
        scores = {
            (r[0], r[1]): r[2]
            for r in con.execute(
                "select region_code, node_code, score from marts.fct_indicator_scores"
            ).fetchall()
        }
        ranks = dict(con.execute("select region_code, rank from marts.fct_rankings").fetchall())
    finally:
        con.close()
    # r4 misses m1: 50% availability under node b, whose threshold is 90%
    assert status["r4"][0] is False and "b 50.0% < 90.0%" in status["r4"][1]
    assert all(status[r][0] for r in ("r1", "r2", "r3"))
    # r2's missing m3 takes the median of its group (x: r1 = 4)
    assert imputed == (4.0, True)
    # by hand: b = mean(min-max of m1, rank of −m2) over r1..r3; a1 = goalpost m3 on 0..10;
    # a2 = harmonic of a2x = log-goalpost of m4 on 1..100; a = geometric(a1, a2);
    # root = (2·a + b)/3
    m1 = {"r1": 0.0, "r2": 50.0, "r3": 100.0}
    m2 = {"r1": 0.0, "r2": 50.0, "r3": 100.0}
    m3 = {"r1": 40.0, "r2": 40.0, "r3": 80.0}
    m4 = {r: 100 * math.log(v) / math.log(100) for r, v in {"r1": 10, "r2": 100, "r3": 1}.items()}
    for r in ("r1", "r2", "r3"):
        b = (m1[r] + m2[r]) / 2
        a = math.sqrt(m3[r] * m4[r]) if m4[r] > 0 else 0.0
        assert scores[(r, "b")] == pytest.approx(b, abs=1e-9)
        assert scores[(r, "a2")] == pytest.approx(m4[r], abs=1e-9)
        assert scores[(r, "a")] == pytest.approx(a, abs=1e-9)
        assert scores[(r, "root")] == pytest.approx((2 * a + b) / 3, abs=1e-9)
    assert ranks == {"r2": 1, "r3": 2, "r1": 3}
    assert ("r4", "root") not in scores


# -- the matrix ------------------------------------------------------------------------------


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_bad_input_is_refused(
    case: Case, baseline: Baseline, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    files: Files = dict(TINY)
    case.change(files)
    folder = write_files(tmp_path / "index", files)
    code = run_index(baseline.project, folder, baseline.db, baseline.publish_dir)
    captured = capsys.readouterr()
    output = captured.out + captured.err
    assert code == case.exit_code, output
    assert case.message in output, output[-3000:]
    assert "Traceback" not in output
    assert len(output) < 20_000, "the messages quote whole cells"
    assert publication_state(baseline.db, baseline.publish_dir, EDITION) == baseline.state


def test_the_matrix_is_large_enough() -> None:
    assert len(CASES) >= 60 and len(OWN) >= 31
    assert len({c.name for c in CASES}) == len(CASES)


def test_what_only_the_gate_knows_is_refused_by_it(
    baseline: Baseline, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """What the folder validation cannot know reaches the gate, which names it and refuses:
    a value outside the range its metric declares plausible (the inputs suite), and a metric
    scoring every region alike where the index says that is an error (the plausibility
    suite, after the build). Nothing is published."""
    files: Files = dict(TINY)
    _metrics_columns("0,25")(files)  # r3's m1 is 30
    _constant_m1("error")(files)
    folder = write_files(tmp_path / "index", files)
    code = run_index(baseline.project, folder, baseline.db, baseline.publish_dir)
    captured = capsys.readouterr()
    output = captured.out + captured.err
    assert code == cli.EXIT_GATE, output
    assert "the gate FAILED" in output
    assert "region_code=r3, metric_code=m1" in output, output[-3000:]
    assert "within_plausible_range" in output
    assert "metric_code=m1, n_scored=3, score=0.0" in output
    assert "constant_where_refused" in output
    assert "Traceback" not in output
    assert publication_state(baseline.db, baseline.publish_dir, EDITION) == baseline.state


# -- what looks hostile but is valid -----------------------------------------------------------

NAMES = {
    "r1": '=HYPERLINK("http://x","click"), then',
    "r2": "+Region 2, with a comma",
    "r3": '-Region "3"\nsecond line',
    "r4": "@Region 4; x'; drop table y; --",
}


def _names(terminator: str = "\n") -> Change:
    """regions.csv with NAMES (and padded codes), rows ending in `terminator`."""

    def change(files: Files) -> None:
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator=terminator)
        writer.writerow(["region_code", "region_name", "framework_code", "grp"])
        for code, grp in (("r1", "x"), ("r2", "x"), ("r3", "y"), ("r4", "y")):
            writer.writerow([f" {code} ", NAMES[code], "t", grp])
        files["regions.csv"] = buf.getvalue()

    return change


VALID = [
    ("bom", _bom),
    ("crlf", _crlf),
    ("bom_and_crlf", _all(_bom, _crlf)),
    ("edition_2024_0", _sub("values.csv", "2024,r1,", "2024.0,r1,")),
    ("codes_padded", _sub("values.csv", ",r2,", ", r2\t,")),
    ("hostile_names", _names()),
    ("blank_lines", _sub("values.csv", "2024,r1,m2,5\n", "2024,r1,m2,5\n\n , , , \n")),
    ("unicode_minus", _replace("values.csv", "2024,r1,m2,5", "2024,r1,m2,−5")),
    ("huge_values", _replace("values.csv", "2024,r3,m1,30", "2024,r3,m1,1.7e308")),
    ("tiny_values", _replace("values.csv", "2024,r1,m1,10", "2024,r1,m1,4.9e-308")),
    (
        "huge_and_small_weights",
        _all(
            _replace("framework.csv", "t,a,root,A,2,", "t,a,root,A,2e150,"),
            _replace("framework.csv", "t,b,root,B,1,", "t,b,root,B,1e150,"),
            _replace("metrics.csv", "t,m1,b,M1,u,1,", "t,m1,b,M1,u,1e-300,"),
            _replace("metrics.csv", "t,m2,b,M2,u,1,", "t,m2,b,M2,u,1e-300,"),
        ),
    ),
    ("plus_sign_and_exponent", _replace("values.csv", "2024,r3,m1,30", "2024,r3,m1,+3.0E1")),
    ("target_above_lowest_value", _replace("metrics.csv", ",minmax,,,", ",target,,25,")),
]


@pytest.mark.parametrize("change", [c for _, c in VALID], ids=[n for n, _ in VALID])
def test_valid_but_unusual_folders_pass_validation(tmp_path: Path, change: Change) -> None:
    """The validation accepts these (and stages them as the clean folder would be)."""
    files: Files = dict(TINY)
    change(files)
    data = load_index(write_files(tmp_path / "index", files))
    out = write_canonical(data, tmp_path / "canonical")
    con = duckdb.connect()
    try:
        rows = con.execute(
            "select * from read_parquet(?) order by all", [str(out / "metric_values.parquet")]
        ).fetchall()
    finally:
        con.close()
    assert len(rows) == 16
    assert {r[0] for r in rows} == {"2024"} and {r[1] for r in rows} == {"r1", "r2", "r3", "r4"}


def test_the_number_is_the_gates(baseline: Baseline) -> None:
    """One definition of a number: the validation's is the gate's regex."""
    suite = json.loads((baseline.project / "expectations" / "inputs.json").read_text("utf-8"))
    regexes = [e["kwargs"]["regex"] for e in suite["expectations"] if "regex" in e["kwargs"]]
    assert regexes == [index_folder.NUMBER]


def test_hostile_but_valid_folder_is_published(
    baseline: Baseline, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A folder whose path holds a quote, with a BOM and CRLF in every file, `2024.0` for
    2024, padded codes, and region names with quotes, commas, a newline, SQL and a formula's
    first character: published, the names intact in the warehouse, and each exported CSV
    cell that a spreadsheet would run as a formula prefixed with a single quote."""
    files: Files = dict(TINY)
    _all(
        _sub("values.csv", "2024,r1,", "2024.0,r1,"),
        _sub("values.csv", ",r2,", ", r2 ,"),
        _crlf,
        _names("\r\n"),  # CRLF between rows, the newline inside r3's name kept
        _bom,
    )(files)
    folder = write_files(tmp_path / "it's an index", files)
    db, publish_dir = tmp_path / INDEX_DB, tmp_path / "publish"
    code = run_index(baseline.project, folder, db, publish_dir)
    captured = capsys.readouterr()
    output = captured.out + captured.err
    assert code == cli.EXIT_OK, output[-5000:]
    assert "Traceback" not in output
    con = duckdb.connect(str(db), read_only=True)
    try:
        names = dict(
            con.execute("select region_code, region_name from published.regions").fetchall()
        )
        ranks = dict(con.execute("select region_code, rank from published.rankings").fetchall())
    finally:
        con.close()
    assert names == NAMES
    assert ranks == {"r2": 1, "r3": 2, "r1": 3}  # the tiny index's (test_index_folder)
    exported = publish_dir / str(EDITION)
    for export in ("regions.csv", "rankings.csv"):
        text = (exported / export).read_text(encoding="utf-8-sig")
        rows = list(csv.DictReader(io.StringIO(text, newline="")))
        cells = {r["region_code"]: r["region_name"] for r in rows}
        expected = {c: "'" + n for c, n in NAMES.items()}
        if export == "rankings.csv":
            expected = {c: n for c, n in expected.items() if c in ranks}
        assert cells == expected, export


# -- plausibility of the output ----------------------------------------------------------------


def _constant_m1(policy: str) -> Change:
    """m1 normalised to a target below every value (10, 20, 30): 100·(x − min)/(target − min)
    is negative, clamped to 0 for every region; metrics.csv's constant_scores column says
    `policy` for m1."""

    return _all(
        _replace("metrics.csv", ",minmax,,,", ",target,,5,"),
        _m1_columns(["constant_scores"], [policy]),
    )


@pytest.mark.slow
def test_a_metric_scoring_every_region_alike_is_a_warning(
    baseline: Baseline, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """By default a degenerate metric (every region at 0) is reported by the gate as a
    warning, in the console, the run's report and the audit, and the index is published."""
    files: Files = dict(TINY)
    _constant_m1("")(files)
    folder = write_files(tmp_path / "index", files)
    db, publish_dir = tmp_path / INDEX_DB, tmp_path / "publish"
    code = run_index(baseline.project, folder, db, publish_dir)
    captured = capsys.readouterr()
    assert code == cli.EXIT_OK, captured.err[-3000:]
    assert "the gate WARNS" in captured.err
    assert "framework_code=t, metric_code=m1, n_scored=3, score=0.0" in captured.err
    assert "the gate FAILED" not in captured.err
    con = duckdb.connect(str(db), read_only=True)
    try:
        run_id, summary = con.execute(
            "select run_id, suite_results from published.publication_log"
        ).fetchone()
        audit = con.execute(
            """select column_name, severity, success, unexpected_count
               from audit.expectation_results where run_id = ? and not success""",
            [run_id],
        ).fetchall()
    finally:
        con.close()
    assert audit == [("constant_where_warned", "warning", False, 1)]
    assert json.loads(summary)["plausibility"] == {
        "success": True,
        "skipped": False,
        "failed": 0,
        "warnings": 1,
        "evaluated": 2,
    }
    report = json.loads((publish_dir / "runs" / f"{run_id}.json").read_text(encoding="utf-8"))
    (warned,) = [e for s in report["suites"] for e in s["expectations"] if not e["success"]]
    assert warned["severity"] == "warning" and warned["column"] == "constant_where_warned"


def test_goal_through_geometric_and_harmonic_nodes_is_solved_numerically(
    baseline: Baseline,
) -> None:
    """The tiny index's last-ranked region to rank 1: its tree has geometric and harmonic
    nodes (a linearisation, not exact) and a log-transformed metric (the inverse through
    exp), a rank-normalised one (not invertible: left out, and said so). The goal is reached,
    said to be solved numerically, and its path applied through a fresh engine ranks the
    region first."""
    from digindex import scenarios

    con = duckdb.connect(str(baseline.db), read_only=True)
    try:
        edition, region = con.execute(
            "select edition, region_code from published.rankings order by rank desc limit 1"
        ).fetchone()
    finally:
        con.close()
    goal = scenarios.seek_goal(baseline.db, edition, region, rank=1)
    assert goal.reached and goal.achieved_rank == 1, goal.note
    assert not goal.exact and "solved numerically" in goal.note
    assert goal.left_out == ["m2"]  # rank normalisation
    with scenarios.Engine(baseline.db, edition) as engine:
        applied = engine.run({(region, s.metric_code): s.target_raw_value for s in goal.steps})
    assert applied.rankings.set_index("region_code").loc[region, "rank"] == 1


def test_peers_compare_every_branch_of_an_unbalanced_tree(baseline: Baseline) -> None:
    """The tiny index's tree is unbalanced: b is a leaf at level 1 beside a's level-2 nodes.
    The level-2 profile the peers are found on holds a1, a2 and b's branch (its leaf), and
    the nodes a peer is ahead on are among them."""
    con = duckdb.connect(str(baseline.db), read_only=True)
    try:
        profile = con.execute(
            "select distinct profile_level, n_profile_nodes from published.region_peers"
        ).fetchall()
        ahead = {
            node
            for (listed,) in con.execute(
                "select nodes_ahead from published.region_peers where nodes_ahead is not null"
            ).fetchall()
            for node in listed.split(", ")
        }
    finally:
        con.close()
    assert profile == [(2, 3)]
    assert ahead and ahead <= {"a1", "a2", "b"}
