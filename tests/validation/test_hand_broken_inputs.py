"""The gate against inputs broken by hand, as a new user would break them.

Real Binance.US candles (../shared/data/real) are landed as three venues of 'BTC/USD' and
published; then a user edits one venue's CSV (a 50x print, a 3% print) and re-lands a day,
or a candidate Parquet gains a column or an infinite price. Each must be quarantined, the
validated day must stay published, and what happened must be said (the quarantine JSON,
the run summary, the log).
"""
from __future__ import annotations

import gzip
import logging
import re

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from include.config.schema import FileSpec, Validation
from include.landing.land import land_series
from include.landing.store import period_file, read_stored, write_atomic
from include.paths import DataPaths
from include.series import Series
from include.sources.file_source import FileExchange
from include.validation.gate import validate_series
from include.validation.publish import publish
from include.warehouse.preflight import WarehouseInputError, check_landed

from .support import (
    BETWEEN,
    REAL,
    RULES,
    T0,
    by_day,
    day_names,
    entry_for,
    keys,
    land_sim,
    ms,
    quarantine_reason,
    results_table,
    rewrite_candidate,
    rows_change,
    sample_times,
    sim_series,
)

pytestmark = pytest.mark.skipif(not REAL.is_dir(), reason=f"real-data fixtures not found at {REAL}")

VENUES = {"bus_usdt": "BTCUSDT", "bus_usdc": "BTCUSDC", "bus_usd": "BTCUSD"}
DAYS = ["2023-03-02", "2023-03-03"]  # before the USDC de-peg: the three quotes agree within 35 bps
NOW = ms(2023, 4, 1)
ISO_COLUMNS = {"timestamp": "open_time", "open": "open", "high": "high", "low": "low", "close": "close", "volume": "volume"}
RETURN_Z, UNCONFIRMED = (BETWEEN, "return_z"), (BETWEEN, "unconfirmed_move_bps")
EDITED_AT = "2023-03-03 12:00:00+00:00"


def series(venue: str) -> Series:
    return Series(exchange=venue, symbol="BTC/USD", timeframe="1m")


def exchange(venue: str, path) -> FileExchange:
    spec = FileSpec(path=str(path), format="csv", columns=ISO_COLUMNS, timestamp_unit="iso")
    return FileExchange(venue, {"BTC/USD": spec}, ["1m"])


def land(paths: DataPaths, run: str, venue: str, path, first_day: int, last_day: int) -> None:
    landing = land_series(exchange(venue, path), series(venue), paths, run, ms(2023, 3, first_day), ms(2023, 3, last_day + 1), NOW)
    assert landing.days == [f"2023-03-{d:02d}" for d in range(first_day, last_day + 1)]


def edited_csv(tmp_path, venue: str, factor: float):
    """The venue's file for 1-3 March with one candle's prices multiplied, the way a user would edit it."""
    with gzip.open(REAL / f"binanceus_{VENUES[venue]}_1m_2023-03-01_2023-03-21.csv.gz", "rt") as fh:
        frame = pd.read_csv(fh, dtype={"open_time": str})
    frame = frame[frame["open_time"] < "2023-03-04"].copy()
    row = frame.index[frame["open_time"] == EDITED_AT][0]
    frame.loc[row, ["open", "high", "low", "close"]] *= factor
    path = tmp_path / f"{venue}_edited_{factor:g}.csv"
    frame.to_csv(path, index=False)
    return path


@pytest.fixture(scope="module")
def published(tmp_path_factory):
    """Two real days of three venues, validated against each other and published: the good state."""
    paths = DataPaths(tmp_path_factory.mktemp("hand-broken") / "data")
    for venue, pair in VENUES.items():
        land(paths, "good", venue, REAL / f"binanceus_{pair}_1m_2023-03-01_2023-03-21.csv.gz", 2, 3)
    verdicts = [
        v for venue in VENUES
        for v in validate_series(paths, "good", series(venue), [p for p in VENUES if p != venue], RULES, RULES.max_gap_ratio)
    ]
    summary = publish(paths, "good", verdicts)
    assert summary.passed == summary.partitions == 6 and summary.nothing_passed() is None
    return paths


def test_a_50x_print_relanded_over_a_validated_day_is_quarantined_and_the_day_kept(published, tmp_path, caplog):
    paths, venue = published, "bus_usdt"
    before = read_stored(paths.raw, series(venue), ["2023-03-03"])
    land(paths, "spike", venue, edited_csv(tmp_path, venue, 50.0), 3, 3)

    verdict = by_day(validate_series(paths, "spike", series(venue), ["bus_usdc", "bus_usd"], RULES, RULES.max_gap_ratio))["2023-03-03"]

    # beyond the quarantine z-score, and a move the other venues did not make: both critical
    assert not verdict.passed
    assert {RETURN_Z, UNCONFIRMED} <= keys(verdict.failed)
    spike = pd.Timestamp(EDITED_AT)
    assert spike in sample_times(entry_for(verdict.failed, UNCONFIRMED))
    assert entry_for(verdict.failed, RETURN_Z)["kwargs"]["max_value"] == RULES.max_abs_return_z_quarantine
    assert (verdict.stored_candles, verdict.revised_candles) == (1440, 1)

    with caplog.at_level(logging.WARNING, logger="include.validation.publish"):
        summary = publish(paths, "spike", [verdict])

    pd.testing.assert_frame_equal(read_stored(paths.raw, series(venue), ["2023-03-03"]), before)  # the good day stays
    reason = quarantine_reason(paths, series(venue), "2023-03-03", "spike")
    assert reason["validated_data"].startswith("kept: raw still holds the 1440 validated candles of 2023-03-03")
    assert "changed 1 of them" in reason["validated_data"]
    assert summary.kept_validated == ["bus_usdt BTC/USD 1m 2023-03-03"]
    assert "the 1440 validated candles stay published" in caplog.text
    # every partition the run landed was quarantined: one message says so
    assert summary.nothing_passed().startswith("all 1 partitions quarantined: bus_usdt BTC/USD 1m 2023-03-03; nothing was published")


def test_a_move_the_other_venues_do_not_make_is_quarantined_and_alone_only_flagged(published, tmp_path):
    """A 3% print: beyond the flag threshold, well under the quarantine one. With the other venues
    to compare, it is a move they did not make (quarantined); with none, only a flag."""
    paths, venue = published, "bus_usd"
    land(paths, "moved", venue, edited_csv(tmp_path, venue, 1.03), 3, 3)

    compared = by_day(validate_series(paths, "moved", series(venue), ["bus_usdt", "bus_usdc"], RULES, RULES.max_gap_ratio))["2023-03-03"]
    alone = by_day(validate_series(paths, "moved", series(venue), [], RULES, RULES.max_gap_ratio))["2023-03-03"]

    assert not compared.passed and keys(compared.failed) == {UNCONFIRMED}
    entry = entry_for(compared.failed, UNCONFIRMED)
    jumped = pd.Timestamp(EDITED_AT)
    assert sample_times(entry) == {jumped, jumped + pd.Timedelta(minutes=1)}  # the print and the candle back
    assert all(abs(row["unconfirmed_move_bps"]) > 250 for row in entry["sample_rows"])
    assert alone.passed and RETURN_Z in keys(alone.flagged)
    assert RULES.max_abs_return_z < max(abs(r["return_z"]) for r in entry_for(alone.flagged, RETURN_Z)["sample_rows"]) < RULES.max_abs_return_z_quarantine

    # published alone (no venue to compare): flagged data replacing a validated candle is said, not silent
    summary = publish(paths, "moved", [alone])
    assert alone.revised_candles == 1
    assert summary.revised_flagged == ["bus_usd BTC/USD 1m 2023-03-03"]
    assert "flagged re-landings replaced validated candles of bus_usd BTC/USD 1m 2023-03-03" in summary.line()
    assert results_table(paths, "moved")["revised_candles"].tolist() == [1]


# --------------------------------------------------------------------------- drifted candidates (simulated 1h days)

SIM = sim_series("sim_alpha", "1h")
SIM_DAYS = day_names(T0, 3)


def added_column(table: pa.Table):
    return table.append_column("note", pa.array(["checked"] * table.num_rows)), []


def infinite_close(df):
    df.loc[7, ["close", "high"]] = np.inf
    return df, [df.loc[7, "timestamp"]]


@pytest.mark.parametrize("change, expected", [
    pytest.param(added_column, ("expect_table_columns_to_match_set", None), id="added_column"),
    pytest.param(rows_change(infinite_close), (BETWEEN, "close"), id="infinite_close"),
])
def test_drifted_candidate_is_quarantined_alone(tmp_path, change, expected):
    paths = DataPaths(tmp_path / "data")
    land_sim(paths, "run", SIM.exchange, "1h", days=3)
    broken = rewrite_candidate(paths, "run", SIM, SIM_DAYS[1], change)

    verdicts = by_day(validate_series(paths, "run", SIM, [], RULES, RULES.max_gap_ratio))

    assert [d for d, v in verdicts.items() if not v.passed] == [SIM_DAYS[1]]
    entry = entry_for(verdicts[SIM_DAYS[1]].failed, expected)
    if broken:
        assert sample_times(entry) == set(broken)
    else:  # the table-level check says which column is too many
        assert "note" in str(entry.get("observed_value"))
    publish(paths, "run", list(verdicts.values()))
    assert quarantine_reason(paths, SIM, SIM_DAYS[1], "run")["failed_expectations"]


def test_warehouse_preflight_refuses_an_infinite_price(tmp_path):
    paths = DataPaths(tmp_path)
    stamps = pd.date_range("2024-03-01", periods=24, freq="h", tz="UTC").astype("datetime64[ms, UTC]")
    frame = pd.DataFrame({"timestamp": stamps, "open": 100.0, "high": 101.0, "low": 99.0, "close": 100.0, "volume": 1.0})
    frame.loc[5, ["high", "close"]] = np.inf
    target = period_file(paths.raw, SIM, "2024-03")
    write_atomic(frame, target)

    with pytest.raises(WarehouseInputError, match=re.escape(f"non-finite value in {target}: high is inf at 2024-03-01 05:00 UTC")):
        check_landed(tmp_path)


# --------------------------------------------------------------------------- gaps: which setting tolerates them


def test_quarantined_gaps_name_the_setting_and_value_that_would_pass(tmp_path):
    paths = DataPaths(tmp_path / "data")
    kraken = Series(exchange="kraken_files", symbol="BTC/USDC", timeframe="1m")
    spec = FileSpec(path=str(REAL / "kraken_XBTUSDC_1m_ohlcvt.csv.gz"), format="kraken_ohlcvt")
    land_series(FileExchange(kraken.exchange, {kraken.symbol: spec}, ["1m"]), kraken, paths, "thin",
                ms(2023, 3, 8), ms(2023, 3, 9), NOW)

    verdict = validate_series(paths, "thin", kraken, [], RULES, RULES.max_gap_ratio)[0]
    publish(paths, "thin", [verdict])

    failed = entry_for(quarantine_reason(paths, kraken, "2023-03-08", "thin")["failed_expectations"], (BETWEEN, "gap_ratio"))
    hint = failed["tolerate_with"]
    assert hint["setting"] == "validation.gap_ratio_overrides.kraken_files:BTC/USDC"
    assert verdict.gap_ratio <= hint["value"] < verdict.gap_ratio + 0.01
    assert hint["yaml"] == f'validation: {{gap_ratio_overrides: {{"kraken_files:BTC/USDC": {hint["value"]:g}}}}}'
    # the setting it names, at the value it names, lets the day pass
    rules = Validation(gap_ratio_overrides={"kraken_files:BTC/USDC": hint["value"]})
    land_series(FileExchange(kraken.exchange, {kraken.symbol: spec}, ["1m"]), kraken, paths, "again",
                ms(2023, 3, 8), ms(2023, 3, 9), NOW)
    assert validate_series(paths, "again", kraken, [], rules, rules.gap_tolerance(kraken.exchange, kraken.symbol))[0].passed
