"""Validation checks in plain words, gaps summarised per series and day, coins grouped by asset."""
from __future__ import annotations

import pandas as pd
import pytest

from include.config.schema import Validation
from include.reports import assets
from include.reports.export_readers import gap_summary
from include.validation.plain_words import describe_list


def test_expectation_names_become_plain_words_with_the_configured_limits():
    text = "expect_column_values_to_be_between(return_z),expect_column_values_to_be_between(deviation_bps)"
    assert describe_list(text) == ["a return of more than 12 standard deviations",
                                   "a close more than 100 bp (1%) away from the other venues' median"]
    assert describe_list("expect_column_values_to_be_between(return_z)", Validation(max_abs_return_z=8)) == \
        ["a return of more than 8 standard deviations"]
    # In the `failed` cell the return check is the quarantine one, with its own, much higher limit.
    assert describe_list("expect_column_values_to_be_between(return_z)", failed=True) == \
        [f"a return of more than {Validation().max_abs_return_z_quarantine:g} standard deviations"]
    assert describe_list("expect_column_values_to_be_between(gap_ratio)") == ["more than 5% of the day's candles missing"]
    assert describe_list("expect_table_columns_to_match_set") == [
        "columns other than the candle columns (an added or missing column)"]
    assert describe_list("8 candles missing") == ["8 candles missing"] and describe_list(None) == []


def test_a_day_of_gaps_is_one_line_not_one_per_missing_minute():
    start = pd.Timestamp("2024-06-01 03:00", tz="UTC")
    gaps = pd.DataFrame({"gap_start": [start + pd.Timedelta(minutes=10 * i) for i in range(12)],
                         "gap_end": [start + pd.Timedelta(minutes=10 * i + (7 if i == 4 else 0)) for i in range(12)],
                         "missing_candles": [8 if i == 4 else 1 for i in range(12)]})
    assert gap_summary(gaps) == "19 candles missing in 12 gaps, the longest 8 candles from 03:40 to 03:47 UTC"
    assert gap_summary(gaps.head(1)) == "1 candle missing, 03:00 to 03:00 UTC"


@pytest.fixture
def performers():
    rows = [("sim_alpha", "BTC/USDT", 0.03, 100.0), ("sim_beta", "BTC/USDT", 0.05, 101.0),
            ("sim_alpha", "ETH/USDT", -0.02, 10.0)]
    return pd.DataFrame([{"series": f"{e} {s}", "exchange": e, "symbol": s, "period_return": r, "close": c}
                         for e, s, r, c in rows])


def test_a_coin_on_two_venues_is_one_asset_and_a_lone_one_keeps_its_series(performers):
    assert assets.repeats(performers) and not assets.repeats(performers.tail(1))
    grouped = assets.by_asset(performers)
    assert list(grouped.asset) == ["BTC", "sim_alpha ETH/USDT"]
    assert grouped.period_return.tolist() == pytest.approx([0.04, -0.02])
    assert (grouped.lowest.iloc[0], grouped.highest.iloc[0], grouped.venues.iloc[0]) == (0.03, 0.05, 2)
    weights = pd.DataFrame({"series": list(performers.series), "weight": [1 / 3] * 3})
    allocation = assets.allocation(weights, performers)
    assert dict(zip(allocation.series, allocation.weight)) == pytest.approx(
        {"BTC (2 venues)": 2 / 3, "sim_alpha ETH/USDT": 1 / 3})


def test_asset_correlation_is_the_mean_over_venue_pairs_and_venues_show_the_basis(performers):
    labels = list(performers.series)
    matrix = pd.DataFrame([[1.0, 0.9, 0.5], [0.9, 1.0, 0.7], [0.5, 0.7, 1.0]], index=labels, columns=labels)
    grouped = assets.correlation(matrix, performers)
    assert grouped.loc["BTC", "sim_alpha ETH/USDT"] == pytest.approx(0.6) and grouped.loc["BTC", "BTC"] == 1.0
    venue = assets.venues(performers, matrix).iloc[0]
    assert venue.asset == "BTC" and venue.basis_bps == pytest.approx(100.0)
    assert (venue.cheapest, venue.dearest, venue.min_correlation) == ("sim_alpha BTC/USDT", "sim_beta BTC/USDT", 0.9)
