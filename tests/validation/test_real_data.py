"""The gate on real venue files (../shared/data/real, see its README.md).

Kraken's XBTUSDC 1m file omits minutes without trades: with a tolerance fit for
that thin market its gaps are recorded and published, with the default 5% they
are quarantined for gap ratio. Three Binance.US files quoted as three venues of
one symbol replay the March 2023 USDC de-peg: the deviation expectation flags
it, nothing is quarantined, and zero-volume candles pass.
"""
from __future__ import annotations

import csv
import gzip
from datetime import datetime, timezone

import pandas as pd
import pyarrow.parquet as pq
import pytest

from include.config.schema import FileSpec, Validation
from include.landing.land import land_series
from include.landing.store import gaps_file, read_stored, stored_days
from include.paths import DataPaths
from include.series import Series
from include.sources.file_source import FileExchange
from include.validation.gate import validate_series
from include.validation.publish import publish

from .support import BETWEEN, REAL, by_day, entry_for, keys, ms, quarantine_reason, results_table

pytestmark = pytest.mark.skipif(not REAL.is_dir(), reason=f"real-data fixtures not found at {REAL}")

KRAKEN = Series(exchange="kraken_files", symbol="BTC/USDC", timeframe="1m")
KRAKEN_DAYS = [f"2023-03-{d:02d}" for d in range(8, 16)]
ISO_COLUMNS = {"timestamp": "open_time", "open": "open", "high": "high", "low": "low", "close": "close", "volume": "volume"}
BUS_FILES = {"bus_usdt": "BTCUSDT", "bus_usdc": "BTCUSDC", "bus_usd": "BTCUSD"}
BUS_DAYS = [f"2023-03-{d:02d}" for d in range(9, 15)]
NOW = ms(2023, 4, 1)
GAP_RATIO = (BETWEEN, "gap_ratio")
DEVIATION = (BETWEEN, "deviation_bps")


def kraken_exchange() -> FileExchange:
    spec = FileSpec(path=str(REAL / "kraken_XBTUSDC_1m_ohlcvt.csv.gz"), format="kraken_ohlcvt")
    return FileExchange(KRAKEN.exchange, {KRAKEN.symbol: spec}, ["1m"])


def kraken_day_facts() -> dict[str, dict]:
    """Per landed day, read line by line from the Kraken file: rows, missing minutes, gap runs, gap ratio.

    A gap is booked to the day of the candle after it; the ratio counts the slots from midnight
    (from the first candle on the first day, which has no validated history) to the day's last candle.
    """
    facts: dict[str, dict] = {}
    previous = None
    with gzip.open(REAL / "kraken_XBTUSDC_1m_ohlcvt.csv.gz", "rt") as fh:
        for line in fh:
            t = int(line.split(",", 1)[0]) * 1000 if line.strip() else None
            if t is None or not ms(2023, 3, 8) <= t < ms(2023, 3, 16):
                continue
            day = datetime.fromtimestamp(t / 1000, tz=timezone.utc).strftime("%Y-%m-%d")
            midnight = ms(*map(int, day.split("-")))
            fact = facts.setdefault(day, {"rows": 0, "missing": 0, "runs": 0, "low": t if not facts else midnight})
            fact["rows"] += 1
            fact["last"] = t
            if previous is not None and t - previous > 60_000:
                fact["missing"] += (t - previous) // 60_000 - 1
                fact["runs"] += 1
            previous = t
    for fact in facts.values():
        fact["gap_ratio"] = 1 - fact["rows"] / ((fact["last"] - fact["low"]) // 60_000 + 1)
    return facts


def land_kraken(paths: DataPaths, run: str) -> None:
    landing = land_series(kraken_exchange(), KRAKEN, paths, run, ms(2023, 3, 8), ms(2023, 3, 16), NOW)
    assert landing.days == KRAKEN_DAYS


def test_kraken_gaps_are_recorded_not_failed_with_thin_market_tolerance(tmp_path):
    paths = DataPaths(tmp_path / "data")
    rules = Validation(gap_ratio_overrides={"kraken_files:BTC/USDC": 0.8})
    tolerance = rules.gap_tolerance(KRAKEN.exchange, KRAKEN.symbol)
    assert tolerance == 0.8
    land_kraken(paths, "thin")

    verdicts = by_day(validate_series(paths, "thin", KRAKEN, [], rules, tolerance))

    facts = kraken_day_facts()
    assert sorted(verdicts) == sorted(facts) == KRAKEN_DAYS
    for day, verdict in verdicts.items():
        assert verdict.passed and verdict.failed == [], (day, verdict.failed)
        assert verdict.rows == facts[day]["rows"] < 1440  # minutes without trades are absent, not filled
        assert verdict.missing_candles == facts[day]["missing"] > 0
        assert verdict.gap_ratio == pytest.approx(facts[day]["gap_ratio"], rel=1e-12)
        assert 0 < verdict.gap_ratio <= tolerance

    publish(paths, "thin", list(verdicts.values()))

    assert stored_days(paths.raw, KRAKEN) == KRAKEN_DAYS
    for day, verdict in verdicts.items():
        gaps = pq.read_table(gaps_file(paths.gaps, KRAKEN, day)).to_pandas()
        assert len(gaps) == facts[day]["runs"]
        assert gaps["missing_candles"].sum() == verdict.missing_candles
        assert (gaps["missing_candles"] > 0).all()
        stored = read_stored(paths.raw, KRAKEN, [day]).drop(columns="date")
        assert len(stored) == verdict.rows  # published as landed: no invented candles
        gap_starts = set(gaps["gap_start"])
        assert not gap_starts & set(stored["timestamp"])
    assert not paths.quarantine.exists() or not any(paths.quarantine.rglob("*.parquet"))
    results = results_table(paths, "thin")
    assert results["passed"].all()
    assert dict(zip(results["date"], results["missing_candles"])) == {d: f["missing"] for d, f in facts.items()}
    assert dict(zip(results["date"], results["gap_ratio"])) == pytest.approx({d: f["gap_ratio"] for d, f in facts.items()})


def test_kraken_is_quarantined_for_gap_ratio_with_default_tolerance(tmp_path):
    paths = DataPaths(tmp_path / "data")
    rules = Validation()
    tolerance = rules.gap_tolerance(KRAKEN.exchange, KRAKEN.symbol)
    assert tolerance == 0.05
    land_kraken(paths, "strict")

    verdicts = by_day(validate_series(paths, "strict", KRAKEN, [], rules, tolerance))

    facts = kraken_day_facts()
    assert sorted(verdicts) == KRAKEN_DAYS
    for day, verdict in verdicts.items():
        assert not verdict.passed
        assert keys(verdict.failed) == {GAP_RATIO}, (day, verdict.failed)
        assert verdict.gap_ratio == pytest.approx(facts[day]["gap_ratio"], rel=1e-12)
        assert verdict.gap_ratio > tolerance
        # every row of the day carries the day's ratio, so every row is unexpected
        assert entry_for(verdict.failed, GAP_RATIO)["unexpected_count"] == verdict.rows == facts[day]["rows"]

    publish(paths, "strict", list(verdicts.values()))

    assert stored_days(paths.raw, KRAKEN) == []
    for day in KRAKEN_DAYS:
        reason = quarantine_reason(paths, KRAKEN, day, "strict")
        failed = entry_for(reason["failed_expectations"], GAP_RATIO)
        assert failed["kwargs"]["max_value"] == tolerance
        assert len(failed["sample_rows"]) == rules.sample_rows
        assert all(row["date"] == day for row in failed["sample_rows"])
        assert reason["gap_ratio"] == pytest.approx(verdicts[day].gap_ratio)


@pytest.fixture(scope="module")
def binanceus(tmp_path_factory):
    """The three Binance.US files landed as three venues of 'BTC/USD', validated against each other, published."""
    paths = DataPaths(tmp_path_factory.mktemp("binanceus") / "data")
    exchanges = {}
    for venue, pair in BUS_FILES.items():
        spec = FileSpec(
            path=str(REAL / f"binanceus_{pair}_1m_2023-03-01_2023-03-21.csv.gz"),
            format="csv", columns=ISO_COLUMNS, timestamp_unit="iso",
        )
        exchanges[venue] = FileExchange(venue, {"BTC/USD": spec}, ["1m"])
        series = Series(exchange=venue, symbol="BTC/USD", timeframe="1m")
        landing = land_series(exchanges[venue], series, paths, "bus", ms(2023, 3, 9), ms(2023, 3, 15), NOW)
        assert landing.days == BUS_DAYS
    rules = Validation(max_cross_exchange_deviation_bps=100)
    verdicts = {}
    for venue in BUS_FILES:
        series = Series(exchange=venue, symbol="BTC/USD", timeframe="1m")
        peers = [p for p in BUS_FILES if p != venue]
        verdicts[venue] = by_day(validate_series(paths, "bus", series, peers, rules, rules.max_gap_ratio))
    publish(paths, "bus", [v for days in verdicts.values() for v in days.values()])
    return paths, exchanges, verdicts


def deviating_minutes(limit_bps: float) -> dict[str, dict[str, int]]:
    """Per venue and day, minutes whose close is more than limit_bps from the three venues' median close.

    Read line by line from the three files (the venue's own close is one of the three).
    """
    closes = {}
    for venue, pair in BUS_FILES.items():
        with gzip.open(REAL / f"binanceus_{pair}_1m_2023-03-01_2023-03-21.csv.gz", "rt") as fh:
            closes[venue] = {row["open_time"]: float(row["close"]) for row in csv.DictReader(fh)}
    counts: dict[str, dict[str, int]] = {venue: {} for venue in BUS_FILES}
    for venue in BUS_FILES:
        for stamp, close in closes[venue].items():
            day = stamp[:10]
            if day not in BUS_DAYS:
                continue
            median = sorted(closes[v][stamp] for v in BUS_FILES)[1]
            if abs(close / median - 1.0) * 1e4 > limit_bps:
                counts[venue][day] = counts[venue].get(day, 0) + 1
    return counts


def test_usdc_depeg_is_flagged_by_deviation_not_quarantined(binanceus):
    paths, _, verdicts = binanceus
    usdc = verdicts["bus_usdc"]
    flagged = {day: entry_for(v.flagged, DEVIATION) for day, v in usdc.items() if DEVIATION in keys(v.flagged)}

    # Binance.US BTC/USDC leaves the other quotes by more than 100 bps from 11 March (USDC fell below
    # $0.90) through 13 March, and for one minute on the 14th; on 10 March it stays within 40 bps in
    # this data, on the 9th within 35. BTC/USDT leaves them on the 11th and 12th, BTC/USD never.
    expected = deviating_minutes(100)
    assert expected["bus_usdc"] == {"2023-03-11": 1187, "2023-03-12": 1413, "2023-03-13": 409, "2023-03-14": 1}
    for venue, days in verdicts.items():
        counts = {day: entry_for(v.flagged, DEVIATION)["unexpected_count"] for day, v in days.items() if DEVIATION in keys(v.flagged)}
        assert counts == expected[venue], venue
    assert all(row["deviation_bps"] > 100 for row in flagged["2023-03-11"]["sample_rows"])  # USDC cheap: BTC/USDC rich

    for venue, days in verdicts.items():
        for day, verdict in days.items():
            assert verdict.passed and verdict.failed == [], (venue, day, verdict.failed)
    assert not paths.quarantine.exists() or not any(paths.quarantine.rglob("*.parquet"))
    for venue in BUS_FILES:
        assert stored_days(paths.raw, Series(exchange=venue, symbol="BTC/USD", timeframe="1m")) == BUS_DAYS
    results = results_table(paths, "bus").set_index(["exchange", "date"])
    for day in flagged:
        assert "expect_column_values_to_be_between(deviation_bps)" in results.loc[("bus_usdc", day), "flagged"].split(",")
        assert results.loc[("bus_usdc", day), "flagged_rows"] == sum(f["unexpected_count"] for f in usdc[day].flagged)


def test_zero_volume_candles_pass(binanceus):
    paths, exchanges, verdicts = binanceus
    for venue in ("bus_usdc", "bus_usdt"):
        series = Series(exchange=venue, symbol="BTC/USD", timeframe="1m")
        rows = exchanges[venue].candles("BTC/USD")
        window = rows[(rows[:, 0] >= ms(2023, 3, 9)) & (rows[:, 0] < ms(2023, 3, 15))]
        zero_in_file = int((window[:, 5] == 0).sum())
        assert zero_in_file > 0
        stored = read_stored(paths.raw, series, BUS_DAYS)
        assert len(stored) == len(window) == 6 * 1440
        assert int((stored["volume"] == 0).sum()) == zero_in_file
        assert all(v.passed and v.gap_ratio == 0 and v.missing_candles == 0 for v in verdicts[venue].values())
