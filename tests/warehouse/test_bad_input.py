"""Bad landed data stops the warehouse with one message naming the file and the fix:
an empty universe, a partition that lost its file, a period (month of an hourly series,
day of a minute series) missing from a series, and a Parquet file whose columns drifted
(missing or retyped). A data dir in the old day layout is migrated first."""
from __future__ import annotations

import re
import shutil

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from include.landing.store import CANDLE_FILE, day_dir, gaps_file, period_file, series_dir, split_by_day, write_atomic
from include.paths import DataPaths
from include.series import Series
from include.warehouse.dbt_runner import run_dbt
from include.warehouse.preflight import WarehouseInputError, check_landed

SERIES = Series(exchange="sim_alpha", symbol="BTC/USDT", timeframe="1h")  # one file per month
MONTHS = ["2024-01", "2024-02", "2024-03"]
MINUTES = Series(exchange="sim_alpha", symbol="BTC/USDT", timeframe="1m")  # one file per day
DAYS = ["2024-01-01", "2024-01-02", "2024-01-03"]


def candles(start: str, periods: int = 24, freq: str = "h") -> pd.DataFrame:
    ts = pd.date_range(start, periods=periods, freq=freq, tz="UTC").astype("datetime64[ms, UTC]")
    price = 100.0 + pd.Series(range(periods), dtype="float64")
    return pd.DataFrame({"timestamp": ts, "open": price, "high": price + 1, "low": price - 1, "close": price, "volume": 1.0})


def month_candles(month: str) -> pd.DataFrame:
    first = pd.Timestamp(f"{month}-01")
    return candles(f"{month}-01", periods=first.days_in_month * 24)


@pytest.fixture
def data_dir(tmp_path):
    for month in MONTHS:
        write_atomic(month_candles(month), period_file(DataPaths(tmp_path).raw, SERIES, month))
    return tmp_path


def raw_file(data_dir, month):
    return period_file(DataPaths(data_dir).raw, SERIES, month)


def test_good_data_passes_and_a_second_check_reads_no_schema_again(data_dir):
    first = check_landed(data_dir)
    assert (first.series, first.partitions, first.schemas_read) == (1, 3, 3)
    assert check_landed(data_dir).schemas_read == 0


def test_empty_universe_names_the_raw_folder_and_what_to_run(tmp_path):
    raw = DataPaths(tmp_path).raw
    with pytest.raises(WarehouseInputError, match=re.escape(f"empty universe: no validated candles under {raw} ") + ".*market_data_ingest"):
        check_landed(tmp_path)


def test_run_dbt_on_an_empty_universe_fails_before_dbt_starts(tmp_path):
    raw = DataPaths(tmp_path.resolve()).raw
    with pytest.raises(WarehouseInputError, match=re.escape(f"empty universe: no validated candles under {raw} ")):
        run_dbt(["build"], tmp_path)
    assert not (tmp_path / "warehouse").exists()  # dbt never ran: not even its folder was made


def test_a_partition_folder_without_its_file_is_named(data_dir):
    raw_file(data_dir, MONTHS[1]).unlink()
    folder = raw_file(data_dir, MONTHS[1]).parent
    with pytest.raises(WarehouseInputError, match=re.escape(f"missing partition: {folder} has no candles.parquet")):
        check_landed(data_dir)


def test_a_month_missing_inside_an_hourly_series_is_named_unless_every_day_is_explained(data_dir):
    shutil.rmtree(raw_file(data_dir, MONTHS[1]).parent)
    expected = (
        f"missing partition: {raw_file(data_dir, MONTHS[1])} does not exist, and its days are neither quarantined "
        "nor a recorded gap (the series has partitions 2024-01 to 2024-03)"
    )
    with pytest.raises(WarehouseInputError, match=re.escape(expected)):
        check_landed(data_dir)
    quarantined = day_dir(DataPaths(data_dir).quarantine, SERIES, "2024-02-01")
    quarantined.mkdir(parents=True)
    (quarantined / "run.json").write_text("{}")
    with pytest.raises(WarehouseInputError, match=re.escape(expected)):  # one day of 29 does not explain the month
        check_landed(data_dir)
    gap = pd.DataFrame({"gap_start": [pd.Timestamp("2024-02-02", tz="UTC")],
                        "gap_end": [pd.Timestamp("2024-02-29 23:00", tz="UTC")], "missing_candles": [28 * 24]})
    write_atomic(gap, gaps_file(DataPaths(data_dir).gaps, SERIES, "2024-03-01"), schema=None)
    assert check_landed(data_dir).partitions == 2


def test_a_day_missing_inside_a_minute_series_is_named_unless_quarantined(tmp_path):
    raw = DataPaths(tmp_path).raw
    for day in DAYS:
        write_atomic(candles(day, 1440, "min"), period_file(raw, MINUTES, day))
    shutil.rmtree(period_file(raw, MINUTES, DAYS[1]).parent)
    expected = (
        f"missing partition: {period_file(raw, MINUTES, DAYS[1])} does not exist, and the day is neither quarantined "
        "nor a recorded gap (the series has partitions 2024-01-01 to 2024-01-03)"
    )
    with pytest.raises(WarehouseInputError, match=re.escape(expected)):
        check_landed(tmp_path)
    quarantined = day_dir(DataPaths(tmp_path).quarantine, MINUTES, DAYS[1])
    quarantined.mkdir(parents=True)
    (quarantined / "run.json").write_text("{}")
    assert check_landed(tmp_path).partitions == 2


def test_a_month_inside_a_recorded_gap_is_not_missing(data_dir):
    shutil.rmtree(raw_file(data_dir, MONTHS[1]).parent)
    gap = pd.DataFrame({"gap_start": [pd.Timestamp("2024-02-01", tz="UTC")],
                        "gap_end": [pd.Timestamp("2024-02-29 23:00", tz="UTC")], "missing_candles": [29 * 24]})
    write_atomic(gap, gaps_file(DataPaths(data_dir).gaps, SERIES, "2024-03-01"), schema=None)
    assert check_landed(data_dir).partitions == 2


def test_a_data_dir_in_the_old_day_layout_is_migrated_before_the_checks(tmp_path):
    raw = DataPaths(tmp_path).raw
    for month in MONTHS:
        for day, rows in split_by_day(month_candles(month)).items():
            write_atomic(rows, series_dir(raw, SERIES) / f"date={day}" / CANDLE_FILE)

    summary = check_landed(tmp_path)

    assert (summary.series, summary.partitions) == (1, 3)
    assert not list(raw.rglob("date=*"))
    pd.testing.assert_frame_equal(pq.read_table(raw_file(tmp_path, MONTHS[1])).to_pandas(), month_candles(MONTHS[1]))


@pytest.mark.parametrize(
    "drift, message",
    [
        (lambda f: f.drop(columns="volume"), "column 'volume' is missing"),
        (lambda f: f.assign(close=f["close"].astype(str)), "column 'close' is large_string, expected double"),
        (lambda f: f.assign(trades=1), "unexpected column 'trades'"),
    ],
    ids=["column_missing", "column_retyped", "column_added"],
)
def test_schema_drift_names_the_file_and_the_column(data_dir, drift, message):
    check_landed(data_dir)  # the marker: only files written after it are read again
    path = raw_file(data_dir, MONTHS[2])
    pq.write_table(pa.Table.from_pandas(drift(month_candles(MONTHS[2])), preserve_index=False), path)
    with pytest.raises(WarehouseInputError, match=re.escape(f"Parquet schema drift in {path}: {message} ")) as failure:
        check_landed(data_dir)
    assert "timestamp timestamp[ms, tz=UTC], open double" in str(failure.value)
