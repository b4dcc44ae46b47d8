"""Warning expectations flag a partition but never quarantine it.

A single-candle jump is flagged by the return z-score; one venue trading 3%
away from the others for a day is flagged by the cross-exchange deviation. Both
days still pass, land in raw, and the flags are in the results table.
"""
from __future__ import annotations

import math
import statistics

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pytest

from include.landing.store import read_candles, read_stored, stored_days
from include.paths import DataPaths
from include.validation.gate import validate_series
from include.validation.publish import publish

from .support import (
    BETWEEN,
    RULES,
    T0,
    VENUES,
    by_day,
    candidate,
    day_names,
    entry_for,
    keys,
    land_sim,
    results_table,
    rewrite_candidate,
    rows_change,
    sample_times,
    sim_series,
)

RUN = "run1"
DAYS = day_names(T0, 10)
BAD = "2024-03-05"
RETURN_Z = (BETWEEN, "return_z")
DEVIATION = (BETWEEN, "deviation_bps")


def jump(df):
    """One mid-day candle closes 50% higher (its high too, so the candle stays well-formed)."""
    df.loc[12, "close"] *= 1.5
    df.loc[12, "high"] *= 1.5
    return df, [df.loc[12, "timestamp"]]


def expected_return_z(closes: list[float], stamps: list[pd.Timestamp]) -> dict[pd.Timestamp, float]:
    """Return z-score per candle by a plain loop: log return over the sample std of the returns before it."""
    returns = [None] + [math.log(b / a) for a, b in zip(closes, closes[1:])]
    z = {}
    for i in range(1, len(closes)):
        window = [r for r in returns[max(0, i - RULES.return_z_window):i] if r is not None]
        if len(window) >= min(RULES.return_z_window, 30):
            z[stamps[i]] = returns[i] / statistics.stdev(window)
    return z


def test_single_candle_jump_is_flagged_by_return_z_and_still_published(tmp_path):
    paths = DataPaths(tmp_path / "data")
    series = sim_series("sim_alpha", "1h")
    land_sim(paths, RUN, series.exchange, "1h", days=10)
    jumped = rewrite_candidate(paths, RUN, series, BAD, rows_change(jump))
    published_close = read_candles(candidate(paths, RUN, series, BAD))["close"].tolist()
    landed = [read_candles(candidate(paths, RUN, series, day)) for day in DAYS]
    z = expected_return_z(
        [c for frame in landed for c in frame["close"]], [t for frame in landed for t in frame["timestamp"]]
    )
    beyond = {t: v for t, v in z.items() if t.strftime("%Y-%m-%d") == BAD and abs(v) > RULES.max_abs_return_z}

    verdicts = by_day(validate_series(paths, RUN, series, [], RULES, RULES.max_gap_ratio))

    assert all(v.passed and v.failed == [] for v in verdicts.values())
    assert [d for d, v in verdicts.items() if v.flagged] == [BAD]
    assert keys(verdicts[BAD].flagged) == {RETURN_Z}
    flag = entry_for(verdicts[BAD].flagged, RETURN_Z)
    # the jump itself only; the move back is measured against a volatility the jump has already inflated
    assert set(beyond) == set(jumped)
    assert flag["unexpected_count"] == 1
    assert sample_times(flag) == set(jumped)
    for row in flag["sample_rows"]:
        assert row["return_z"] == pytest.approx(beyond[pd.Timestamp(row["timestamp"])], rel=1e-9)

    publish(paths, RUN, list(verdicts.values()))

    assert stored_days(paths.raw, series) == DAYS
    assert read_stored(paths.raw, series, [BAD]).drop(columns="date")["close"].tolist() == published_close
    assert not paths.quarantine.exists() or not any(paths.quarantine.rglob("*.parquet"))
    results = results_table(paths, RUN).set_index("date")
    assert results["passed"].all()
    assert results.loc[BAD, "flagged"] == "expect_column_values_to_be_between(return_z)"
    assert results.loc[BAD, "flagged_rows"] == flag["unexpected_count"]
    assert (results.drop(index=BAD)["flagged"] == "").all()
    assert (results["failed"] == "").all()


def test_cross_exchange_deviation_is_flagged_and_still_published(tmp_path):
    paths = DataPaths(tmp_path / "data")
    for venue in VENUES:
        land_sim(paths, RUN, venue, "1h", days=10)
    off = sim_series("sim_beta", "1h")

    def scale_prices(table: pa.Table):  # the whole day 3% rich against the other venues
        for column in ("open", "high", "low", "close"):
            i = table.schema.get_field_index(column)
            table = table.set_column(i, column, pc.multiply(table[column], 1.03))
        return table, []

    rewrite_candidate(paths, RUN, off, BAD, scale_prices)

    verdicts = {}
    for venue in VENUES:
        peers = [p for p in VENUES if p != venue]
        verdicts[venue] = by_day(validate_series(paths, RUN, sim_series(venue, "1h"), peers, RULES, RULES.max_gap_ratio))

    beta = verdicts["sim_beta"]
    assert all(v.passed for vs in verdicts.values() for v in vs.values())
    assert [d for d, v in beta.items() if DEVIATION in keys(v.flagged)] == [BAD]
    assert keys(beta[BAD].flagged) == {DEVIATION}
    flag = entry_for(beta[BAD].flagged, DEVIATION)
    assert flag["unexpected_count"] == 24  # every hour of the day
    # close over the median close of the three venues (the venue's own included), by a plain loop
    closes = {v: read_candles(candidate(paths, RUN, sim_series(v, "1h"), BAD)).set_index("timestamp")["close"] for v in VENUES}
    for row in flag["sample_rows"]:
        t = pd.Timestamp(row["timestamp"])
        median = sorted(closes[v][t] for v in VENUES)[1]
        assert row["deviation_bps"] == pytest.approx((closes["sim_beta"][t] / median - 1.0) * 1e4, rel=1e-9)
    assert len(flag["sample_rows"]) == RULES.sample_rows
    for venue, days in verdicts.items():  # away from the bad day, the venues agree: nothing is flagged
        for day, verdict in days.items():
            if (venue, day) != ("sim_beta", BAD):
                assert verdict.flagged == [], (venue, day)

    publish(paths, RUN, [v for vs in verdicts.values() for v in vs.values()])

    for venue in VENUES:
        assert stored_days(paths.raw, sim_series(venue, "1h")) == DAYS
    assert not paths.quarantine.exists() or not any(paths.quarantine.rglob("*.parquet"))
    results = results_table(paths, RUN)
    row = results[(results["exchange"] == "sim_beta") & (results["date"] == BAD)].iloc[0]
    assert bool(row["passed"])
    assert row["flagged"] == "expect_column_values_to_be_between(deviation_bps)"
    assert row["flagged_rows"] == 24
