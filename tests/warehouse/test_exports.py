"""Mart exports: DuckDB COPY to a temporary name in the exports folder, then one rename."""
from __future__ import annotations

import duckdb
import pandas as pd

from include.paths import DataPaths
from include.warehouse.exports import export_marts


def test_export_replaces_the_previous_file_skips_missing_marts_and_leaves_no_temporary(tmp_path):
    paths = DataPaths(tmp_path)
    paths.warehouse.mkdir(parents=True)
    with duckdb.connect(str(paths.duckdb)) as con:
        con.execute("create table fct_demo as select range as n from range(5)")
    paths.exports.mkdir(parents=True)
    paths.export("fct_demo").write_bytes(b"an older export")

    written = export_marts(tmp_path, ("fct_demo", "fct_not_built"))

    assert written == {"fct_demo": (paths.export("fct_demo"), 5)}
    assert pd.read_parquet(paths.export("fct_demo"))["n"].tolist() == [0, 1, 2, 3, 4]
    assert sorted(p.name for p in paths.exports.iterdir()) == ["fct_demo.parquet"]
