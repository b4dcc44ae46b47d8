"""The warehouse's multi-column data tests (dbt/macros/count_failures.sql): each is one dbt node checking
many columns of a model in one scan, so each must still fail the build and say which column or
expression broke.

On a copy of the real candles' warehouse, values are broken by hand, one check at a time; `dbt test` on
the models must fail naming the tests, and each test's own query (its compiled SQL) must return exactly
the broken column or expression with the number of rows the UPDATE changed.
"""
from __future__ import annotations

import shutil

import duckdb
import pytest

from include.warehouse.dbt_runner import WarehouseError, run_dbt, warehouse_file

BREAKS = (
    # (SQL that breaks rows, the test that must catch it, its model, the column or expression it must name)
    ("update fct_features set sma_20 = 1.0 where rowid = (select min(rowid) from fct_features where bar_index = 3)",
     "features_warmup_fct_features", "fct_features", "sma_20"),
    ("update fct_features set rsi_14 = 100.5 where rowid = (select min(rowid) from fct_features where bar_index = 40)",
     "accepted_ranges_fct_features", "fct_features", "rsi_14"),
    ("update fct_features set close = null where bar_index = 50",
     "not_null_columns_fct_features", "fct_features", "close"),
    ("update fct_risk_metrics set annual_volatility = -0.1",
     "risk_holds_fct_risk_metrics", "fct_risk_metrics", "annual_volatility >= 0"),
)
# NULL after its warm-up is allowed for volume_z_20 (a flat window): features_warmup must not name it.
ALLOWED = "update fct_features set volume_z_20 = null where bar_index = 30"


def compiled(data_dir, test, model):
    """The test's compiled query (not that of a same-prefixed test of another model: ..._fct_risk_metrics_rolling)."""
    sqls = [f.read_text() for f in (data_dir / "warehouse" / "dbt_target" / "compiled").rglob(f"{test}*.sql")]
    (sql,) = [s for s in sqls if f'"{model}"' in s]
    return sql


def test_each_multi_column_test_fails_the_build_and_names_the_column(real_warehouse, tmp_path):
    data = tmp_path / "data"
    shutil.copytree(real_warehouse, data)
    with duckdb.connect(str(warehouse_file(data))) as con:
        broken = [con.execute(sql).fetchone()[0] for sql, *_ in BREAKS]
        assert con.execute(ALLOWED).fetchone()[0] > 0
    assert all(broken)
    with pytest.raises(WarehouseError) as failed:
        run_dbt(["test", "--select", "fct_features", "fct_risk_metrics"], data)
    for _, test, _, _ in BREAKS:
        assert test in str(failed.value)
    with duckdb.connect(str(warehouse_file(data)), read_only=True) as con:
        for (_, test, model, name), rows in zip(BREAKS, broken):
            assert con.execute(compiled(data, test, model)).fetchall() == [(name, rows)], test
