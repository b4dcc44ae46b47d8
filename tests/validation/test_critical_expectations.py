"""Every critical expectation, each against one deliberately broken partition.

Ten days of simulated 1h candles are landed; ONE day's candidate Parquet in the
landing area is rewritten with a defect. The gate must fail exactly that day,
naming the expectation and column, pass the other nine, and publish must put
the bad day in quarantine (candles + JSON reason with sample rows) and never in
raw.
"""
from __future__ import annotations

import pandas as pd
import pyarrow as pa
import pytest

from include.landing.store import period_file, read_candles, stored_days, stored_periods
from include.paths import DataPaths
from include.timeframes import DAY_MS
from include.validation.gate import validate_series
from include.validation.publish import publish

from .support import (
    BETWEEN,
    EXIST,
    IN_SET,
    NOT_NULL,
    OF_TYPE,
    PAIR,
    RULES,
    T0,
    UNIQUE,
    VENUES,
    by_day,
    day_names,
    entry_for,
    keys,
    land_sim,
    quarantine_folder,
    quarantine_reason,
    rewrite_candidate,
    rows_change,
    sample_times,
    sim_series,
)

RUN = "run1"
SERIES = sim_series("sim_alpha", "1h")
DAYS = day_names(T0, 10)
MIDDLE, FIRST = "2024-03-05", "2024-03-01"


# --------------------------------------------------------------------------- defects


def _first(frame: pd.DataFrame, mask: pd.Series) -> int:
    assert mask.any(), "the simulated day has no candle to corrupt this way"
    return int(mask.idxmax())


def _set(frame, i, column, value):
    frame.loc[i, column] = value
    return frame, [frame.loc[i, "timestamp"]]


def drop_volume_column(table: pa.Table):
    return table.drop_columns(["volume"]), []


def close_as_string(table: pa.Table):
    i = table.schema.get_field_index("close")
    return table.set_column(i, "close", pa.array([repr(x) for x in table["close"].to_pylist()], pa.string())), []


def null_close(table: pa.Table):
    closes = table["close"].to_pylist()
    closes[7] = None
    i = table.schema.get_field_index("close")
    broken = table.set_column(i, "close", pa.array(closes, pa.float64()))
    return broken, [pd.Timestamp(table["timestamp"][7].as_py())]


def high_below_open(df):  # a falling candle whose high sits between close and open
    i = _first(df, (df.open > df.close) & (df.index > 2))
    return _set(df, i, "high", (df.open[i] + df.close[i]) / 2)


def high_below_close(df):  # a rising candle whose high sits between open and close
    i = _first(df, (df.close > df.open) & (df.index > 2))
    return _set(df, i, "high", (df.open[i] + df.close[i]) / 2)


def low_above_open(df):  # a rising candle whose low sits between open and close
    i = _first(df, (df.close > df.open) & (df.index > 2))
    return _set(df, i, "low", (df.open[i] + df.close[i]) / 2)


def low_above_close(df):  # a falling candle whose low sits between close and open
    i = _first(df, (df.open > df.close) & (df.index > 2))
    return _set(df, i, "low", (df.open[i] + df.close[i]) / 2)


def negative_volume(df):
    return _set(df, 9, "volume", -0.5)


def zero_price(df):  # low = 0 keeps every candle relation valid, only the price check can catch it
    return _set(df, 9, "low", 0.0)


def duplicated_timestamp(df):
    dup = df.iloc[[11]].copy()
    dup["close"] = dup["close"] * 1.0001  # a second, slightly different version of the same candle
    dup["high"] = dup[["high", "close"]].max(axis=1)
    return pd.concat([df, dup]).sort_values("timestamp", kind="stable"), [df.loc[11, "timestamp"]]


def off_grid(df):  # open time 30 s after the hour
    df.loc[4, "timestamp"] = df.loc[4, "timestamp"] + pd.Timedelta(seconds=30)
    return df, [df.loc[4, "timestamp"]]


def many_missing(df):  # 6 of 24 hours gone in mid-day: gap ratio 0.25 > 0.05
    return df.drop(index=range(8, 14)), []


CASES = [
    # day to break, how, the (expectation, column) that must fail it, whether it must be the only failure,
    # and how many rows it must count as unexpected (0: a table-level check; 2 for the duplicate: both
    # versions of the candle; 18 for the gaps: every row left in the day carries the day's ratio)
    pytest.param(MIDDLE, drop_volume_column, (EXIST, "volume"), False, 0, id="missing_column"),
    pytest.param(FIRST, drop_volume_column, (EXIST, "volume"), False, 0, id="missing_column_first_day"),
    pytest.param(MIDDLE, close_as_string, (OF_TYPE, "close"), False, 0, id="close_retyped_to_string"),
    pytest.param(FIRST, close_as_string, (OF_TYPE, "close"), False, 0, id="close_retyped_to_string_first_day"),
    pytest.param(MIDDLE, null_close, (NOT_NULL, "close"), False, 1, id="null_close"),
    pytest.param(MIDDLE, rows_change(high_below_open), (PAIR, ("high", "open")), True, 1, id="high_below_open"),
    pytest.param(MIDDLE, rows_change(high_below_close), (PAIR, ("high", "close")), True, 1, id="high_below_close"),
    pytest.param(MIDDLE, rows_change(low_above_open), (PAIR, ("open", "low")), True, 1, id="low_above_open"),
    pytest.param(MIDDLE, rows_change(low_above_close), (PAIR, ("close", "low")), True, 1, id="low_above_close"),
    pytest.param(MIDDLE, rows_change(negative_volume), (BETWEEN, "volume"), True, 1, id="negative_volume"),
    pytest.param(MIDDLE, rows_change(zero_price), (BETWEEN, "low"), True, 1, id="non_positive_price"),
    pytest.param(
        MIDDLE, rows_change(duplicated_timestamp), (UNIQUE, ("exchange", "symbol", "timeframe", "timestamp")), True, 2,
        id="duplicated_timestamp",
    ),
    pytest.param(MIDDLE, rows_change(off_grid), (IN_SET, "offset_ms"), True, 1, id="timestamp_off_grid"),
    pytest.param(MIDDLE, rows_change(many_missing), (BETWEEN, "gap_ratio"), True, 18, id="gap_ratio_above_tolerance"),
]


@pytest.mark.parametrize("bad_day, change, expected, only, count", CASES)
def test_broken_partition_is_quarantined_alone(tmp_path, bad_day, change, expected, only, count):
    paths = DataPaths(tmp_path / "data")
    land_sim(paths, RUN, SERIES.exchange, "1h", days=10)
    broken_rows = rewrite_candidate(paths, RUN, SERIES, bad_day, change)

    verdicts = by_day(validate_series(paths, RUN, SERIES, [], RULES, RULES.max_gap_ratio))

    # exactly the broken day fails, for the right reason
    assert sorted(verdicts) == DAYS
    assert [d for d, v in verdicts.items() if not v.passed] == [bad_day]
    bad = verdicts[bad_day]
    assert expected in keys(bad.failed)
    if only:
        assert keys(bad.failed) == {expected}
    entry = entry_for(bad.failed, expected)
    # a row-level defect: the failing rows are counted and sampled (up to the sample size)
    assert entry["unexpected_count"] == count
    assert len(entry["sample_rows"]) == min(count, RULES.sample_rows)
    assert all(row["date"] == bad_day for row in entry["sample_rows"])
    if broken_rows:
        assert sample_times(entry) == set(broken_rows)
    for day, verdict in verdicts.items():
        if day != bad_day:
            assert verdict.failed == [] and verdict.rows == 24, (day, verdict.failed)

    publish(paths, RUN, list(verdicts.values()))

    # quarantine holds the candles and the reason; raw never sees the day
    folder = quarantine_folder(paths, SERIES, bad_day)
    assert sorted(p.name for p in folder.iterdir()) == [f"{RUN}.json", f"{RUN}.parquet"]
    reason = quarantine_reason(paths, SERIES, bad_day, RUN)
    assert reason["date"] == bad_day and reason["run"] == RUN
    assert reason["series"] == {"exchange": "sim_alpha", "symbol": "BTC/USDT", "timeframe": "1h"}
    named = entry_for(reason["failed_expectations"], expected)
    assert named["expectation"] == expected[0]
    assert named["sample_rows"] == entry["sample_rows"]
    if broken_rows:
        assert set(broken_rows) <= sample_times(named)
    assert stored_days(paths.raw, SERIES) == [d for d in DAYS if d != bad_day]
    assert sorted(p.name for p in paths.quarantine.rglob("*.json")) == [f"{RUN}.json"]  # nothing else quarantined
    assert not paths.landing(RUN).exists()


def test_gap_ratio_failure_reports_missing_candles(tmp_path):
    """The gap case in numbers: 6 of 24 slots missing -> ratio 0.25, 6 missing candles, flagged rows all of the day."""
    paths = DataPaths(tmp_path / "data")
    land_sim(paths, RUN, SERIES.exchange, "1h", days=10)
    rewrite_candidate(paths, RUN, SERIES, MIDDLE, rows_change(many_missing))

    verdict = by_day(validate_series(paths, RUN, SERIES, [], RULES, RULES.max_gap_ratio))[MIDDLE]

    assert verdict.rows == 18
    assert verdict.gap_ratio == pytest.approx(0.25)
    assert verdict.missing_candles == 6
    assert entry_for(verdict.failed, (BETWEEN, "gap_ratio"))["unexpected_count"] == 18
    # the same day passes with a tolerance above its ratio
    relaxed = by_day(validate_series(paths, RUN, SERIES, [], RULES, 0.3))[MIDDLE]
    assert relaxed.passed and relaxed.missing_candles == 6


def test_schema_drift_in_a_peer_fails_only_the_peer(tmp_path):
    """A venue's drifted partition is that venue's problem: the venues it is compared with still validate."""
    paths = DataPaths(tmp_path / "data")
    for venue in VENUES:
        land_sim(paths, RUN, venue, "1h", days=10)
    drifted = sim_series("sim_beta", "1h")
    rewrite_candidate(paths, RUN, drifted, FIRST, close_as_string)

    verdicts = {
        venue: by_day(
            validate_series(paths, RUN, sim_series(venue, "1h"), [p for p in VENUES if p != venue], RULES, RULES.max_gap_ratio)
        )
        for venue in VENUES
    }

    for venue in ("sim_alpha", "sim_gamma"):
        assert all(v.passed and v.failed == [] and v.flagged == [] for v in verdicts[venue].values()), venue
    assert [d for d, v in verdicts["sim_beta"].items() if not v.passed] == [FIRST]
    assert (OF_TYPE, "close") in keys(verdicts["sim_beta"][FIRST].failed)


def test_a_bad_hour_withholds_its_day_and_the_rest_of_the_month_is_published(tmp_path):
    """Hourly candles live in one file per month, but the verdict is per day: re-landing three days
    of a stored month with one bad hour publishes the two good days into the month file, keeps the
    bad day's previously validated candles, and quarantines only the bad day's candidate."""
    paths = DataPaths(tmp_path / "data")
    land_sim(paths, "first", SERIES.exchange, "1h", days=10)
    publish(paths, "first", validate_series(paths, "first", SERIES, [], RULES, RULES.max_gap_ratio))
    month = period_file(paths.raw, SERIES, "2024-03")
    before = read_candles(month)
    assert stored_periods(paths.raw, SERIES) == ["2024-03"] and len(before) == 240

    relanded = DAYS[4:7]
    land_sim(paths, "second", SERIES.exchange, "1h", days=3, start_ms=T0 + 4 * DAY_MS)
    for day in relanded:  # a corrected volume on every re-landed candle: visible once published
        rewrite_candidate(paths, "second", SERIES, day, rows_change(lambda df: (df.assign(volume=df["volume"] + 1.0), [])))
    rewrite_candidate(paths, "second", SERIES, relanded[1], rows_change(lambda df: _set(df, 5, "volume", -1.0)))
    verdicts = by_day(validate_series(paths, "second", SERIES, [], RULES, RULES.max_gap_ratio))
    assert {day: v.passed for day, v in verdicts.items()} == {relanded[0]: True, relanded[1]: False, relanded[2]: True}

    publish(paths, "second", list(verdicts.values()))

    after = read_candles(month)
    assert stored_periods(paths.raw, SERIES) == ["2024-03"]
    pd.testing.assert_series_equal(after["timestamp"], before["timestamp"])  # nothing lost, nothing added
    day = after["timestamp"].dt.strftime("%Y-%m-%d")
    changed = after["volume"] != before["volume"]
    assert sorted(set(day[changed])) == [relanded[0], relanded[2]]  # the good days' corrections are published
    assert (after["volume"][changed] == before["volume"][changed] + 1.0).all()
    assert (after["volume"] >= 0).all()  # the bad hour is not
    assert sorted(p.name for p in quarantine_folder(paths, SERIES, relanded[1]).iterdir()) == ["second.json", "second.parquet"]
    assert not paths.landing("second").exists()
