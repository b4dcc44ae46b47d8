"""Bad landed data stops the warehouse with one message naming the file and the fix:
an empty universe, a partition that lost its file, a day missing from a series, and a
Parquet file whose columns drifted (missing or retyped)."""
from __future__ import annotations

import re
import shutil

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from include.landing.store import partition_file, write_atomic
from include.paths import DataPaths
from include.series import Series
from include.warehouse.dbt_runner import run_dbt
from include.warehouse.preflight import WarehouseInputError, check_landed

SERIES = Series(exchange="sim_alpha", symbol="BTC/USDT", timeframe="1h")
DAYS = ["2024-01-01", "2024-01-02", "2024-01-03"]


def candles(day: str) -> pd.DataFrame:
    ts = pd.date_range(day, periods=24, freq="h", tz="UTC").astype("datetime64[ms, UTC]")
    price = 100.0 + pd.Series(range(24), dtype="float64")
    return pd.DataFrame({"timestamp": ts, "open": price, "high": price + 1, "low": price - 1, "close": price, "volume": 1.0})


@pytest.fixture
def data_dir(tmp_path):
    for day in DAYS:
        write_atomic(candles(day), partition_file(DataPaths(tmp_path).raw, SERIES, day))
    return tmp_path


def raw_file(data_dir, day):
    return partition_file(DataPaths(data_dir).raw, SERIES, day)


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
    raw_file(data_dir, DAYS[1]).unlink()
    folder = raw_file(data_dir, DAYS[1]).parent
    with pytest.raises(WarehouseInputError, match=re.escape(f"missing partition: {folder} has no candles.parquet")):
        check_landed(data_dir)


def test_a_day_missing_inside_a_series_is_named_unless_quarantined(data_dir):
    shutil.rmtree(raw_file(data_dir, DAYS[1]).parent)
    expected = (
        f"missing partition: {raw_file(data_dir, DAYS[1])} does not exist, and the day is neither quarantined "
        "nor a recorded gap (the series has days 2024-01-01 to 2024-01-03)"
    )
    with pytest.raises(WarehouseInputError, match=re.escape(expected)):
        check_landed(data_dir)
    quarantined = partition_file(DataPaths(data_dir).quarantine, SERIES, DAYS[1]).parent
    quarantined.mkdir(parents=True)
    (quarantined / "run.json").write_text("{}")
    assert check_landed(data_dir).partitions == 2


def test_a_day_inside_a_recorded_gap_is_not_missing(data_dir):
    shutil.rmtree(raw_file(data_dir, DAYS[1]).parent)
    gap = pd.DataFrame({"gap_start": [pd.Timestamp("2024-01-02", tz="UTC")],
                        "gap_end": [pd.Timestamp("2024-01-02 23:00", tz="UTC")], "missing_candles": [24]})
    write_atomic(gap, partition_file(DataPaths(data_dir).gaps, SERIES, DAYS[2]).with_name("gaps.parquet"), schema=None)
    assert check_landed(data_dir).partitions == 2


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
    path = raw_file(data_dir, DAYS[2])
    pq.write_table(pa.Table.from_pandas(drift(candles(DAYS[2])), preserve_index=False), path)
    with pytest.raises(WarehouseInputError, match=re.escape(f"Parquet schema drift in {path}: {message} ")) as failure:
        check_landed(data_dir)
    assert "timestamp timestamp[ms, tz=UTC], open double" in str(failure.value)
