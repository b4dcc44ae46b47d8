"""The warehouse's multi-column data tests (dbt/macros): each is one dbt node checking many columns
of a model in one scan, so each must still fail the build and say which column or expression broke.

On a copy of the real candles' warehouse, one value per check is broken by hand; `dbt test` on the
models must fail naming the tests, and each test's own query (its compiled SQL) must return exactly
the broken column or expression and how many rows break it.
"""
from __future__ import annotations

import shutil

import duckdb
import pytest

from include.warehouse.dbt_runner import WarehouseError, run_dbt, warehouse_file

BREAKS = (
    # (SQL that breaks one row, the test that must catch it, the row its query must return)
    ("update fct_features set sma_20 = 1.0 where rowid = (select min(rowid) from fct_features where bar_index = 3)",
     "features_warmup_fct_features", ("sma_20", 1)),
    ("update fct_features set volume_z_20 = null where bar_index = 30",  # nullable after its warm-up: passes
     None, None),
    ("update fct_features set rsi_14 = 100.5 "
     "where rowid = (select min(rowid) from fct_features where bar_index = 40)",
     "accepted_ranges_fct_features", ("rsi_14", 1)),
    ("update fct_features set close = null where bar_index = 50",
     "not_null_columns_fct_features", ("close", None)),
    ("update fct_risk_metrics set annual_volatility = -0.1",
     "risk_holds_fct_risk_metrics", ("annual_volatility >= 0", None)),
)


def compiled(data_dir, test_prefix):
    """The test's compiled query (not a same-prefixed test of another model: ..._fct_risk_metrics_rolling)."""
    model = test_prefix.split("_fct_")[1]
    sqls = [f.read_text() for f in (data_dir / "warehouse" / "dbt_target" / "compiled").rglob(f"{test_prefix}*.sql")]
    (sql,) = [s for s in sqls if f'"fct_{model}"' in s]
    return sql


def test_each_multi_column_test_fails_the_build_and_names_the_column(real_warehouse, tmp_path):
    data = tmp_path / "data"
    shutil.copytree(real_warehouse, data)
    with duckdb.connect(str(warehouse_file(data))) as con:
        bar_50 = con.execute("select count(*) from fct_features where bar_index = 50").fetchone()[0]
        risk_rows = con.execute("select count(*) from fct_risk_metrics").fetchone()[0]
        for sql, _, _ in BREAKS:
            con.execute(sql)
    with pytest.raises(WarehouseError) as failed:
        run_dbt(["test", "--select", "fct_features", "fct_risk_metrics"], data)
    message = str(failed.value)
    for _, test, _ in BREAKS:
        if test:
            assert test in message
    with duckdb.connect(str(warehouse_file(data)), read_only=True) as con:
        for _, test, (name, rows) in ((s, t, r) for s, t, r in BREAKS if t):
            expected = {"close": bar_50, "annual_volatility >= 0": risk_rows}.get(name, rows)
            assert con.execute(compiled(data, test)).fetchall() == [(name, expected)], test
