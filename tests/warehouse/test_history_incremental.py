"""The history models run incrementally (int_consolidated_price, fct_risk_metrics_rolling,
fct_portfolio_risk_rolling): a run after new candles recomputes only what they change, and the
result equals a --full-refresh of the same raw data; after a backfill of older days too.

Both tests end with the same raw candles (03-01 to 03-12 13:37), so one full refresh of them serves both."""
from __future__ import annotations

import pandas as pd
import pytest

from include.warehouse.dbt_runner import run_dbt
from tests.warehouse.conftest import assert_same_raw, land, land_history_then_a_partial_day, query

MODELS = "+int_consolidated_price +fct_risk_metrics_rolling +fct_portfolio_risk_rolling"
TABLES = {
    "int_consolidated_price": ["symbol", "timeframe", "ts"],
    "fct_risk_metrics_rolling": ["exchange", "symbol", "window_days", "as_of_date"],
    "fct_portfolio_risk_rolling": ["portfolio", "window_days", "as_of_date"],
}
# A stored value the incremental run must leave alone (it recomputes later rows only).
MARK = -999.0
THROUGH = "2023-03-12 13:37"  # where both tests' raw candles end
MARKED = {
    "int_consolidated_price": ("consolidated_close", "ts < '2023-03-08'"),
    "fct_risk_metrics_rolling": ("sharpe_ratio", "as_of_date < '2023-03-08'"),
    "fct_portfolio_risk_rolling": ("sharpe_ratio", "as_of_date < '2023-03-08'"),
}


def build(data_dir, *extra):
    run_dbt(["run", "--select", *MODELS.split(), *extra], data_dir)


def table(data_dir, name: str) -> pd.DataFrame:
    keys = ", ".join(TABLES[name])
    return query(data_dir, f"select * exclude (landed_through) replace (venues::varchar as venues) from {name} order by {keys}"
                 if name == "int_consolidated_price" else f"select * from {name} order by {keys}")


@pytest.fixture(scope="module")
def full_refresh(tmp_path_factory, real_frames) -> tuple:
    """03-01 to THROUGH built from scratch in a warehouse of its own: the raw data both tests end with."""
    fresh = tmp_path_factory.mktemp("fresh")
    land(fresh, real_frames, "2023-03-01", THROUGH)
    build(fresh, "--full-refresh")
    return fresh, {name: table(fresh, name) for name in TABLES}


def mark_old_rows(data_dir) -> dict[str, int]:
    import duckdb

    from include.warehouse.dbt_runner import warehouse_file

    marked = {}
    with duckdb.connect(str(warehouse_file(data_dir))) as con:
        for name, (column, where) in MARKED.items():
            marked[name] = con.execute(f"update {name} set {column} = {MARK} where {where}").fetchone()[0]
    return marked


def assert_equal_to_full_refresh(data_dir, full_refresh, leave_marked: bool):
    fresh, tables = full_refresh
    assert_same_raw(data_dir, fresh)
    for name in TABLES:
        mine, want = table(data_dir, name), tables[name].copy()
        column, _ = MARKED[name]
        marked = mine[column] == MARK
        if leave_marked:  # the old rows were not recomputed: compare the rest
            assert marked.any(), name
            mine.loc[marked, column] = want.loc[marked, column]
        else:
            assert not marked.any(), name
        pd.testing.assert_frame_equal(mine, want, check_exact=False, rtol=1e-12, obj=name)


def test_an_append_recomputes_only_the_new_days_and_equals_a_full_refresh(tmp_path, real_frames, full_refresh):
    data_dir = tmp_path / "data"
    land_history_then_a_partial_day(data_dir, real_frames, "2023-03-01", "2023-03-10", "2023-03-10 13:37")
    build(data_dir)
    marked = mark_old_rows(data_dir)
    assert all(marked.values()), marked

    # an ingest rewrites the day it appends to (all of 03-10) and adds 03-11 and 03-12 until 13:37
    land(data_dir, real_frames, "2023-03-10", THROUGH)
    build(data_dir)
    assert_equal_to_full_refresh(data_dir, full_refresh, leave_marked=True)
    through = query(data_dir, "select ts >= '2023-03-10' as new, count(distinct landed_through) as n "
                              "from int_consolidated_price group by all order by new")
    assert through["n"].tolist() == [1, 1]  # the old buckets kept the first run's watermark


def test_a_backfill_of_older_days_recomputes_from_them(tmp_path, real_frames, full_refresh):
    data_dir = tmp_path / "data"
    land_history_then_a_partial_day(data_dir, real_frames, "2023-03-09", "2023-03-12", THROUGH)
    build(data_dir)
    land(data_dir, real_frames, "2023-03-01", "2023-03-09")  # history lands before it
    build(data_dir)
    assert_equal_to_full_refresh(data_dir, full_refresh, leave_marked=False)
