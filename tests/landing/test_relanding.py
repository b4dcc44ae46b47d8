"""Landing the same interval twice (land -> validate -> publish, twice) changes nothing in raw."""
from __future__ import annotations

from datetime import datetime, timezone

from include.config.schema import Validation
from include.landing.land import land_series
from include.landing.store import period_file, read_candles, stored_periods
from include.paths import DataPaths
from include.series import Series
from include.sources.sim.exchange import SimExchange
from include.timeframes import DAY_MS, to_ms
from include.validation.gate import validate_series
from include.validation.publish import publish

T0 = to_ms(datetime(2024, 3, 1, tzinfo=timezone.utc))
END = T0 + 2 * DAY_MS
NOW = END + 3_600_000
# sim_gamma drops some minutes (so gap records are exercised too) and has zero-volume minutes
MINUTE = 60_000
SERIES = Series(exchange="sim_gamma", symbol="ETH/USDT", timeframe="1m")


def _cycle(paths: DataPaths, run: str):
    client = SimExchange(SERIES.exchange, 7, clock=lambda: NOW)
    landing = land_series(client, SERIES, paths, run, T0, END, NOW)
    verdicts = validate_series(paths, run, SERIES, [], Validation(), 0.05)
    publish(paths, run, verdicts)
    return landing, verdicts


def _missing_by_day(stamps_ms: list[int]) -> dict[str, int]:
    """Missing minutes between consecutive landed candles, booked to the day of the candle after the gap."""
    missing: dict[str, int] = {}
    for before, after in zip(stamps_ms, stamps_ms[1:]):
        if after - before > MINUTE:
            day = datetime.fromtimestamp(after / 1000, tz=timezone.utc).strftime("%Y-%m-%d")
            missing[day] = missing.get(day, 0) + (after - before) // MINUTE - 1
    return missing


def _files(root):
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_relanding_same_interval_is_idempotent(tmp_path):
    paths = DataPaths(tmp_path / "data")

    landing1, verdicts1 = _cycle(paths, "run1")
    raw1, gaps1 = _files(paths.raw), _files(paths.gaps)
    counts1 = {d: len(read_candles(period_file(paths.raw, SERIES, d))) for d in stored_periods(paths.raw, SERIES)}

    landing2, verdicts2 = _cycle(paths, "run2")

    assert [v.passed for v in verdicts1] == [True, True] and [v.passed for v in verdicts2] == [True, True]
    stamps = sorted(
        int(t) for d in counts1 for t in read_candles(period_file(paths.raw, SERIES, d))["timestamp"].astype("int64")
    )
    missing = _missing_by_day(stamps)
    assert sum(missing.values()) > 0  # the days do have gaps to record
    for verdicts in (verdicts1, verdicts2):
        assert {v.day: v.missing_candles for v in verdicts} == {d: missing.get(d, 0) for d in counts1}
    assert landing1.rows == landing2.rows == sum(counts1.values())
    assert len(raw1) == 2 and len(gaps1) == len(missing)  # one gap record per day with a gap
    assert _files(paths.raw) == raw1  # byte-identical partitions
    assert _files(paths.gaps) == gaps1
    for day, count in counts1.items():
        frame = read_candles(period_file(paths.raw, SERIES, day))
        assert len(frame) == count
        assert frame["timestamp"].is_unique
    assert [v.rows for v in verdicts2] == [v.rows for v in verdicts1]
    assert not paths.landing("run1").exists() and not paths.landing("run2").exists()
