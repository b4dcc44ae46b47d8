"""fct_features and int_indicators run incrementally: only new bars are computed, and the
result equals a --full-refresh bit for bit, including after a backfill of older days.

Both tests end with the same raw candles (03-01 to 03-05), so one full refresh of them serves both."""
from __future__ import annotations

import pandas as pd
import pytest

from include.warehouse.dbt_runner import run_dbt
from tests.warehouse.conftest import assert_same_raw, query, write_raw
from tests.warehouse.test_intermediate import BUS_USD, KRAKEN

MODELS = ["stg_candles", "int_indicators", "fct_features"]
FEATURES = "select * exclude (computed_at) from fct_features order by exchange, symbol, timeframe, ts"


def window(frames, start, until):
    picked = {s: f for s, f in frames.items() if s in (KRAKEN, BUS_USD)}
    return {
        s: f[(f["timestamp"] >= pd.Timestamp(start, tz="UTC")) & (f["timestamp"] < pd.Timestamp(until, tz="UTC"))]
        .reset_index(drop=True)
        for s, f in picked.items()
    }


def build(data_dir, *extra):
    run_dbt(["run", "--select", *MODELS, *extra], data_dir)


@pytest.fixture(scope="module")
def full_refresh(tmp_path_factory, real_frames):
    """03-01 to 03-05 built from scratch in a warehouse of its own: the raw data both tests end with."""
    fresh = tmp_path_factory.mktemp("fresh")
    write_raw(fresh, window(real_frames, "2023-03-01", "2023-03-05"))
    build(fresh, "--full-refresh")
    return fresh


def assert_equal_to_full_refresh(data_dir, fresh):
    assert_same_raw(data_dir, fresh)
    pd.testing.assert_frame_equal(query(data_dir, FEATURES), query(fresh, FEATURES), check_exact=True)


def test_daily_runs_compute_only_new_bars_and_equal_a_full_refresh(tmp_path, real_frames, full_refresh):
    data_dir = tmp_path / "data"
    write_raw(data_dir, window(real_frames, "2023-03-01", "2023-03-03 13:37"))
    build(data_dir)
    first_run = query(data_dir, "select exchange, ts, computed_at from fct_features")

    write_raw(data_dir, window(real_frames, "2023-03-01", "2023-03-05"))  # the rest of 03-03 and 03-04
    build(data_dir)
    second_run = query(data_dir, "select exchange, ts, computed_at from fct_features")
    kept = second_run.merge(first_run, on=["exchange", "ts"], suffixes=("", "_first"))
    assert len(kept) == len(first_run)
    assert (kept["computed_at"] == kept["computed_at_first"]).all()  # old bars were not recomputed
    new_bars = sum(len(f) for f in window(real_frames, "2023-03-03 13:37", "2023-03-05").values())
    assert (second_run["ts"] >= pd.Timestamp("2023-03-03 13:37", tz="UTC")).sum() == len(second_run) - len(first_run) == new_bars

    assert_equal_to_full_refresh(data_dir, full_refresh)


def test_a_backfill_of_older_days_recomputes_the_series_from_its_first_bar(tmp_path, real_frames, full_refresh):
    data_dir = tmp_path / "data"
    write_raw(data_dir, window(real_frames, "2023-03-03", "2023-03-05"))
    build(data_dir)
    write_raw(data_dir, window(real_frames, "2023-03-01", "2023-03-03"))  # history lands before it
    build(data_dir)
    incremental = query(data_dir, FEATURES)
    assert incremental.groupby("exchange")["bar_index"].min().eq(0).all()
    assert incremental["ts"].min() == pd.Timestamp("2023-03-01", tz="UTC")
    assert_equal_to_full_refresh(data_dir, full_refresh)
