"""Bring your own index: the folder format, its error messages and the shipped H3C index
round-tripped through the format. (The tiny index's methods end to end, worked out by hand:
test_bad_input.py, on the tiny publication every bad case runs against.)"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import duckdb
import pytest

from _project import INDEX_DB
from _repo import REPO_ROOT
from digindex import cli, index_folder
from digindex.index_folder import IndexFolderError, load_index, write_canonical

TINY = {
    "framework.csv": """\
framework_code,node_code,parent_code,name,weight,aggregation,min_availability
t,root,,Tiny index,,arithmetic,0.5
t,a,root,A,2,geometric,
t,b,root,B,1,arithmetic,0.9
t,a1,a,A1,1,arithmetic,
t,a2,a,A2,1,harmonic,
t,a2x,a2,A2x,1,,
""",
    "metrics.csv": """\
framework_code,metric_code,node_code,name,unit,weight,direction,transform,normalization,\
lower,upper,imputation,impute_group
t,m1,b,M1,u,1,1,none,minmax,,,none,
t,m2,b,M2,u,1,-1,none,rank,,,none,
t,m3,a1,M3,u,1,1,none,goalpost,0,10,group_median,grp
t,m4,a2x,M4,u,1,1,log,goalpost,1,100,none,
""",
    "regions.csv": """region_code,region_name,framework_code,grp
r1,Region 1,t,x
r2,Region 2,t,x
r3,Region 3,t,y
r4,Region 4,t,y
""",
    "values.csv": """edition,region_code,metric_code,value
2024,r1,m1,10
2024,r2,m1,20
2024,r3,m1,30
2024,r4,m1,
2024,r1,m2,5
2024,r2,m2,3
2024,r3,m2,1
2024,r4,m2,2
2024,r1,m3,4
2024,r2,m3,
2024,r3,m3,8
2024,r4,m3,6
2024,r1,m4,10
2024,r2,m4,100
2024,r3,m4,1
2024,r4,m4,5
""",
}


def write_folder(folder: Path, files: dict[str, str]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


def _replace(name: str, old: str, new: str) -> Callable[[dict[str, str]], None]:
    def change(files: dict[str, str]) -> None:
        assert old in files[name], old
        files[name] = files[name].replace(old, new, 1)

    return change


def _append(name: str, text: str) -> Callable[[dict[str, str]], None]:
    def change(files: dict[str, str]) -> None:
        files[name] += text

    return change


def _drop(name: str) -> Callable[[dict[str, str]], None]:
    def change(files: dict[str, str]) -> None:
        del files[name]

    return change


CHAIN = "".join(f"t,c{i},{'c' + str(i - 1) if i else 'a2x'},C{i},1,,\n" for i in range(5))

MALFORMED = [
    ("missing_file", _drop("values.csv"), "values.csv: missing"),
    (
        "missing_column",
        _replace("framework.csv", ",weight,", ",wt,"),
        "framework.csv, line 1: header lacks required column(s) ['weight']",
    ),
    (
        "field_count",
        _append("values.csv", "2024,r1,m1\n"),
        "values.csv, line 18: has 3 fields, the header has 4",
    ),
    (
        "weight_not_a_number",
        _replace("framework.csv", "t,a,root,A,2,", "t,a,root,A,abc,"),
        "framework.csv, line 3, column weight: 'abc' is not a number",
    ),
    (
        "weight_not_positive",
        _replace("framework.csv", "t,b,root,B,1,", "t,b,root,B,-1,"),
        "framework.csv, line 4, column weight: '-1' must be > 0",
    ),
    (
        "unknown_parent",
        _replace("framework.csv", "t,a1,a,", "t,a1,zz,"),
        "framework.csv, line 5, column parent_code: 'zz' is not a node of framework 't'",
    ),
    (
        "two_roots",
        _replace("framework.csv", "t,b,root,B,1,", "t,b,,B,1,"),
        "framework.csv, column parent_code: framework 't' needs exactly one root",
    ),
    (
        "cycle",
        _replace("framework.csv", "t,a,root,A,2,", "t,a,a2x,A,2,"),
        "node 'a' is its own ancestor",
    ),
    ("too_deep", _append("framework.csv", CHAIN), "is deeper than 6 levels"),
    (
        "duplicate_node",
        _append("framework.csv", "t,b,root,B again,1,,\n"),
        "framework.csv, line 8, column node_code: 'b' repeats line 4 in framework 't'",
    ),
    (
        "aggregation",
        _replace("framework.csv", ",geometric,", ",median,"),
        "framework.csv, line 3, column aggregation: 'median' is not one of",
    ),
    (
        "availability_range",
        _replace("framework.csv", ",0.9\n", ",90\n"),
        "framework.csv, line 4, column min_availability: '90' must lie in [0, 1]",
    ),
    (
        "metric_on_inner_node",
        _replace("metrics.csv", "t,m3,a1,", "t,m3,a,"),
        "metrics.csv, line 4, column node_code: 'a' has child nodes; metrics feed leaf nodes only",
    ),
    (
        "leaf_without_metric",
        _replace("metrics.csv", "t,m4,a2x,", "t,m4,a1,"),
        "metrics.csv, column node_code: leaf node 'a2x' of framework 't' has no metric",
    ),
    (
        "unknown_node",
        _replace("metrics.csv", "t,m1,b,", "t,m1,q,"),
        "metrics.csv, line 2, column node_code: 'q' is not a node of framework 't'",
    ),
    (
        "normalization",
        _replace("metrics.csv", ",minmax,", ",magic,"),
        "metrics.csv, line 2, column normalization: 'magic' is not one of",
    ),
    (
        "goalpost_without_lower",
        _replace("metrics.csv", ",goalpost,0,10,", ",goalpost,,10,"),
        "metrics.csv, line 4, column lower: is empty; a number is required",
    ),
    (
        "lower_not_below_upper",
        _replace("metrics.csv", ",goalpost,0,10,", ",goalpost,10,0,"),
        "metrics.csv, line 4, column upper: 0 must be greater than lower (10)",
    ),
    (
        "log_with_zero_goalpost",
        _replace("metrics.csv", ",log,goalpost,1,", ",log,goalpost,0,"),
        "metrics.csv, line 5, column lower: '0' must be > 0",
    ),
    (
        "direction",
        _replace("metrics.csv", "t,m1,b,M1,u,1,1,", "t,m1,b,M1,u,1,2,"),
        "metrics.csv, line 2, column direction: '2' must be 1 or -1",
    ),
    (
        "unknown_group_column",
        _replace("metrics.csv", ",group_median,grp", ",group_median,region"),
        "metrics.csv, line 4, column impute_group: 'region' is not a column of regions.csv",
    ),
    (
        "group_imputation_without_group",
        _replace("metrics.csv", ",group_median,grp", ",group_median,"),
        "metrics.csv, line 4, column impute_group: imputation 'group_median' needs a group column",
    ),
    (
        "duplicate_region",
        _append("regions.csv", "r1,Again,t,x\n"),
        "regions.csv, line 6, column region_code: 'r1' repeats line 2",
    ),
    (
        "unknown_framework",
        _replace("regions.csv", "r4,Region 4,t,", "r4,Region 4,q,"),
        "regions.csv, line 5, column framework_code: 'q' is not a framework of framework.csv",
    ),
    (
        "value_not_a_number",
        _replace("values.csv", "2024,r3,m1,30", "2024,r3,m1,thirty"),
        "values.csv, line 4, column value: 'thirty' is not a number",
    ),
    (
        "unknown_region",
        _replace("values.csv", "2024,r3,m1,30", "2024,r9,m1,30"),
        "values.csv, line 4, column region_code: 'r9' is not a region of regions.csv",
    ),
    (
        "unknown_metric",
        _replace("values.csv", "2024,r3,m1,30", "2024,r3,m9,30"),
        "values.csv, line 4, column metric_code: 'm9' is not a metric of framework 't'",
    ),
    (
        "duplicate_value",
        _append("values.csv", "2024,r1,m1,11\n"),
        "values.csv, line 18, column region_code: r1 × m1 (edition 2024) repeats line 2",
    ),
    (
        # the same edition written differently is the same value twice (both are staged as 2024)
        "duplicate_value_other_spelling",
        _append("values.csv", "2024.0,r1,m1,11\n"),
        "values.csv, line 18, column region_code: r1 × m1 (edition 2024.0) repeats line 2",
    ),
]


@pytest.mark.parametrize(
    ("change", "message"), [(c, m) for _, c, m in MALFORMED], ids=[n for n, _, _ in MALFORMED]
)
def test_malformed_folder_is_named(
    tmp_path: Path, change: Callable[[dict[str, str]], None], message: str
) -> None:
    files = dict(TINY)
    change(files)
    with pytest.raises(IndexFolderError) as err:
        load_index(write_folder(tmp_path / "index", files))
    assert message in str(err.value), str(err.value)


def test_the_tiny_folder_is_valid(tmp_path: Path) -> None:
    data = load_index(write_folder(tmp_path / "index", TINY))
    assert data.depth[("t", "a2x")] == 3 and data.depth[("t", "b")] == 1


def test_values_are_read_by_duckdb_and_staged_as_row_by_row(tmp_path: Path) -> None:
    """values.csv is checked and staged by DuckDB where it lies (any size); its canonical file
    equals the one the row-by-row reader (kept for files DuckDB cannot read) writes."""
    files = dict(TINY)
    # an absent row (r4 × m2) becomes a missing value; a minus sign and spaces are normalised
    _replace("values.csv", "2024,r4,m2,2\n", "")(files)
    _replace("values.csv", "2024,r1,m2,5", "2024, r1 ,m2, −5 ")(files)
    folder = write_folder(tmp_path / "index", files)
    data = load_index(folder)
    assert data.values_file == folder / "values.csv" and data.tables["values.csv"] == []
    assert data.counts()["values.csv"] == 15
    by_duckdb = write_canonical(data, tmp_path / "duckdb") / "metric_values.parquet"
    data.values_file = None
    data.tables["values.csv"] = index_folder._read(folder, "values.csv", index_folder._Problems())[
        1
    ]
    by_rows = write_canonical(data, tmp_path / "rows") / "metric_values.parquet"
    assert not (tmp_path / "rows" / "metric_values.csv").exists()

    def rows_of(path: Path) -> list[tuple[str, ...]]:
        con = duckdb.connect()
        try:
            return con.execute("select * from read_parquet(?)", [str(path)]).fetchall()
        finally:
            con.close()

    rows = rows_of(by_rows)
    assert rows_of(by_duckdb) == rows
    assert ("2024", "r4", "m2", None) in rows and ("2024", "r1", "m2", "-5") in rows
    assert len(rows) == 16


def test_valid_methods_and_depth_are_the_projects_vars(tmp_path: Path) -> None:
    """The folder is checked against the project's dbt vars (one home for the method names
    and limits): a project that drops `harmonic` and allows only 2 levels refuses TINY."""
    project = tmp_path / "project"
    project.mkdir()
    text = (REPO_ROOT / "dbt_project.yml").read_text(encoding="utf-8")
    assert "aggregation: [arithmetic, geometric, harmonic]" in text
    assert "max_tree_depth: 6" in text
    (project / "dbt_project.yml").write_text(
        text.replace(
            "aggregation: [arithmetic, geometric, harmonic]", "aggregation: [arithmetic, geometric]"
        ).replace("max_tree_depth: 6", "max_tree_depth: 2"),
        encoding="utf-8",
    )
    folder = write_folder(tmp_path / "index", TINY)
    load_index(folder, REPO_ROOT)  # valid for the shipped project
    with pytest.raises(IndexFolderError) as err:
        load_index(folder, project)
    assert "framework.csv, line 6, column aggregation: 'harmonic' is not one of" in str(err.value)
    assert "is deeper than 2 levels" in str(err.value)


def test_cli_refuses_a_malformed_folder(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    files = dict(TINY)
    _replace("values.csv", "2024,r3,m1,30", "2024,r3,m1,thirty")(files)
    folder = write_folder(tmp_path / "bad", files)
    code = cli.main(["run", "--index", str(folder), "--db", str(tmp_path / "bad.duckdb")])
    assert code == cli.EXIT_USAGE
    assert "values.csv, line 4, column value: 'thirty' is not a number" in capsys.readouterr().err
    assert not (tmp_path / "bad.duckdb").exists()


@pytest.mark.slow  # make test-slow (CI runs it): keeps make test within 3 minutes
def test_the_shipped_index_round_trips_through_the_folder_format(
    tmp_path: Path, warehouse: Path, index_project: Path
) -> None:
    folder = tmp_path / "h3c"
    assert cli.main(["export-index", str(folder)]) == 0
    project = index_project
    db = tmp_path / INDEX_DB
    assert (
        cli.main(
            [
                "run",
                "--index",
                str(folder),
                "--project-dir",
                str(project),
                "--db",
                str(db),
                "--publish-dir",
                str(tmp_path / "publish"),
            ]
        )
        == 0
    )
    con = duckdb.connect(str(db), read_only=True)
    try:
        con.execute(f"attach '{warehouse}' as seeds_build (read_only)")
        scores = con.execute(
            """select count(*), max(abs(a.score - b.score)),
                      count(*) filter (where a.score is null or b.score is null)
               from marts.fct_indicator_scores a
               join seeds_build.marts.fct_indicator_scores b
                 using (edition, region_code, node_code)"""
        ).fetchone()
        ranks = con.execute(
            """select count(*) filter (where a.rank = b.rank), count(*)
               from marts.fct_rankings a join seeds_build.marts.fct_rankings b
                 using (edition, region_code)"""
        ).fetchone()
        regions = con.execute(
            """select count(*) from (select * from marts.dim_regions
                                     except select * from seeds_build.marts.dim_regions)"""
        )
        n_region_diffs = regions.fetchone()[0]
    finally:
        con.close()
    # 28,160 scores on both sides (14,670 in 2022, 13,490 in 2021), none null (SQL's max
    # skips nulls), all within 1e-9
    assert scores[0] == 14670 + 13490 and scores[2] == 0 and scores[1] <= 1e-9
    assert ranks == (250 + 230, 250 + 230)
    assert n_region_diffs == 0


def test_staged_values_are_bounded_and_removed_with_the_data(tmp_path: Path) -> None:
    """values.csv is staged in a private DuckDB file whose connections take the project's
    memory limit (so a big file spills instead of growing), and which is removed once the
    validated data is no longer referenced (a failed validation leaves nothing either)."""
    import gc

    from digindex.paths import duckdb_memory_limit

    data = load_index(write_folder(tmp_path / "index", TINY))
    assert data.staged is not None
    folder = data.staged.folder
    con = data.staged.connect()
    try:
        limit = con.execute("select current_setting('memory_limit')").fetchone()[0]
        rows = con.execute("select count(*) from located").fetchone()[0]
    finally:
        con.close()
    expected = duckdb.connect(config={"memory_limit": duckdb_memory_limit()})
    try:
        assert limit == expected.execute("select current_setting('memory_limit')").fetchone()[0]
    finally:
        expected.close()
    assert rows == data.n_values == 16
    del data, con
    gc.collect()
    assert not folder.exists()
