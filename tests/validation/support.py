"""Helpers shared by the validation-gate tests: land candles, corrupt candidates, read verdicts."""
from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from include.config.schema import Validation
from include.landing.land import land_series
from include.landing.store import CANDLE_SCHEMA, candidate_file, day_dir
from include.paths import DataPaths
from include.series import Series
from include.sources.sim.exchange import SimExchange
from include.timeframes import DAY_MS, to_ms
from include.validation.gate import Verdict

SEED = 7
SYMBOL = "BTC/USDT"
VENUES = ("sim_alpha", "sim_beta", "sim_gamma")
T0 = to_ms(datetime(2024, 3, 1, tzinfo=timezone.utc))
RULES = Validation()  # the shipped defaults: 5% gaps, |z| <= 12, 100 bps
REAL = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "real"

# Expectation types, as GX names them in results.
EXIST = "expect_column_to_exist"
OF_TYPE = "expect_column_values_to_be_of_type"
NOT_NULL = "expect_column_values_to_not_be_null"
BETWEEN = "expect_column_values_to_be_between"
PAIR = "expect_column_pair_values_a_to_be_greater_than_b"
UNIQUE = "expect_compound_columns_to_be_unique"
IN_SET = "expect_column_values_to_be_in_set"


def ms(*args) -> int:
    return to_ms(datetime(*args, tzinfo=timezone.utc))


def day_names(start_ms: int, days: int) -> list[str]:
    return [pd.Timestamp(start_ms + i * DAY_MS, unit="ms", tz="UTC").strftime("%Y-%m-%d") for i in range(days)]


def sim_series(exchange: str, timeframe: str = "1h", symbol: str = SYMBOL) -> Series:
    return Series(exchange=exchange, symbol=symbol, timeframe=timeframe)


def land_sim(paths: DataPaths, run: str, exchange: str, timeframe: str = "1h", days: int = 10, start_ms: int = T0):
    end = start_ms + days * DAY_MS
    now = end + DAY_MS
    client = SimExchange(exchange, SEED, clock=lambda: now)
    landing = land_series(client, sim_series(exchange, timeframe), paths, run, start_ms, end, now)
    assert landing.days == day_names(start_ms, days)
    return landing


def candidate(paths: DataPaths, run: str, series: Series, day: str) -> Path:
    return candidate_file(paths.landing(run), series, day)


def rewrite_candidate(paths: DataPaths, run: str, series: Series, day: str, change: Callable) -> list[pd.Timestamp]:
    """Rewrite one candidate partition with pyarrow; returns the open times of the rows it broke."""
    path = candidate(paths, run, series, day)
    table, broken = change(pq.read_table(path))
    pq.write_table(table, path)
    return broken


def rows_change(change: Callable[[pd.DataFrame], tuple[pd.DataFrame, list]]) -> Callable:
    """A table change written as a pandas edit; the file keeps the candle schema."""

    def apply(table: pa.Table):
        frame, broken = change(table.to_pandas())
        return pa.Table.from_pandas(frame, schema=CANDLE_SCHEMA, preserve_index=False), broken

    return apply


def expectation_key(entry: dict) -> tuple[str, object]:
    """(expectation type, column) of a Verdict.failed / .flagged entry; pairs and lists as tuples."""
    kwargs = entry["kwargs"]
    if "column_list" in kwargs:
        column = tuple(kwargs["column_list"])
    elif "column_A" in kwargs:
        column = (kwargs["column_A"], kwargs["column_B"])
    else:
        column = kwargs.get("column")
    return entry["expectation"], column


def keys(entries: list[dict]) -> set[tuple[str, object]]:
    return {expectation_key(e) for e in entries}


def entry_for(entries: list[dict], key: tuple[str, object]) -> dict:
    found = [e for e in entries if expectation_key(e) == key]
    assert len(found) == 1, f"{key} not (uniquely) in {sorted(map(str, keys(entries)))}"
    return found[0]


def by_day(verdicts: list[Verdict]) -> dict[str, Verdict]:
    days = [v.day for v in verdicts]
    assert len(days) == len(set(days)), f"more than one verdict per day: {days}"
    return {v.day: v for v in verdicts}


def sample_times(entry: dict) -> set[pd.Timestamp]:
    return {pd.Timestamp(row["timestamp"]) for row in entry["sample_rows"]}


def quarantine_folder(paths: DataPaths, series: Series, day: str) -> Path:
    return day_dir(paths.quarantine, series, day)


def quarantine_reason(paths: DataPaths, series: Series, day: str, run: str) -> dict:
    return json.loads((quarantine_folder(paths, series, day) / f"{run}.json").read_text())


def results_table(paths: DataPaths, run: str) -> pd.DataFrame:
    return pq.read_table(paths.validation_results / f"run={run}.parquet").to_pandas()
