"""dim_symbols, dim_exchanges, fct_correlation and fct_stress on the real candles, against pandas."""
from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest

from tests.warehouse.conftest import query

WINDOW_DAYS, MIN_OBS = 30, 10  # fct_correlation's defaults (vars correlation_window_days / _min_obs)
SHOCKS = (10, 20, 40)  # dbt_project.yml var stress_shocks


def daily_closes(frames) -> dict[tuple[str, str], pd.Series]:
    """Close of the last candle of each UTC day that has candles, per (exchange, symbol)."""
    out = {}
    for series, frame in frames.items():
        day = frame["timestamp"].dt.tz_convert("UTC").dt.tz_localize(None).dt.floor("D")
        out[(series.exchange, series.symbol)] = frame.sort_values("timestamp").groupby(day)["close"].last()
    return out


def daily_log_returns(frames) -> dict[tuple[str, str], pd.Series]:
    """ln(close / previous day's close), only where the previous calendar day has a close."""
    out = {}
    for key, close in daily_closes(frames).items():
        consecutive = close.index.to_series().diff() == pd.Timedelta("1D")
        out[key] = np.log(close / close.shift(1))[consecutive]
    return out


@pytest.fixture(scope="module")
def log_returns(real_frames):
    return daily_log_returns(real_frames)


def test_dim_exchanges_count_every_landed_candle(real_warehouse, real_frames):
    dims = query(real_warehouse, "select * from dim_exchanges").set_index("exchange")
    assert set(dims.index) == {s.exchange for s in real_frames}
    for series, frame in real_frames.items():
        row = dims.loc[series.exchange]
        assert row["candle_count"] == len(frame)
        assert list(row["symbols"]) == [series.symbol] and row["n_symbols"] == 1
        assert list(row["timeframes"]) == ["1m"]
        assert row["first_ts"] == frame["timestamp"].min() and row["last_ts"] == frame["timestamp"].max()


def test_dim_symbols_list_venues_span_and_timeframes(real_warehouse, real_frames):
    dims = query(real_warehouse, "select * from dim_symbols").set_index("symbol")
    assert sorted(dims.index) == ["BTC/USD", "BTC/USDC"]
    usd = dims.loc["BTC/USD"]
    assert list(usd["exchanges"]) == ["bus_usd", "bus_usdc", "bus_usdt"] and usd["n_exchanges"] == 3
    assert (usd["base"], usd["quote"]) == ("BTC", "USD")
    assert list(dims.loc["BTC/USDC", "exchanges"]) == ["kraken"]
    for symbol, row in dims.iterrows():
        stamps = pd.concat([f["timestamp"] for s, f in real_frames.items() if s.symbol == symbol])
        assert row["first_ts"] == stamps.min() and row["last_ts"] == stamps.max()
        assert list(row["timeframes"]) == ["1m"]
        assert list(row["available_timeframes"]) == ["1m", "5m", "15m", "1h", "4h", "1d"]


def test_correlation_equals_pandas_full_period_and_rolling(real_warehouse, log_returns):
    got = query(real_warehouse, "select * from fct_correlation")
    keys = sorted(log_returns)
    pairs = list(itertools.combinations(keys, 2))
    assert len(pairs) == 6
    assert set(zip(got["exchange_a"], got["symbol_a"], got["exchange_b"], got["symbol_b"])) == {
        (a[0], a[1], b[0], b[1]) for a, b in pairs
    }
    for a, b in pairs:
        joined = pd.concat({"a": log_returns[a], "b": log_returns[b]}, axis=1, join="inner")
        mine = got[(got["exchange_a"] == a[0]) & (got["symbol_a"] == a[1]) & (got["exchange_b"] == b[0]) & (got["symbol_b"] == b[1])]

        full = mine[mine["window_type"] == "full_period"].iloc[0]
        assert full["n_obs"] == len(joined) == 20  # 2023-03-02..21 on all three Binance.US venues and Kraken
        assert full["correlation"] == pytest.approx(joined["a"].corr(joined["b"]), abs=1e-9)
        assert pd.Timestamp(full["window_start"]) == joined.index.min()
        assert pd.Timestamp(full["window_end"]) == joined.index.max()

        window = f"{WINDOW_DAYS}D"
        want = pd.DataFrame({
            "n_obs": joined["a"].rolling(window).count(),
            "correlation": joined["a"].rolling(window).corr(joined["b"]),
        })
        want = want[want["n_obs"] >= MIN_OBS]
        rolling = mine[mine["window_type"] == "rolling"].assign(window_end=lambda d: pd.to_datetime(d["window_end"]))
        rolling = rolling.set_index("window_end").sort_index()
        assert list(rolling.index) == list(want.index) and len(want) == 11
        assert (rolling["n_obs"].to_numpy() == want["n_obs"].to_numpy()).all()
        np.testing.assert_allclose(rolling["correlation"].to_numpy(), want["correlation"].to_numpy(), atol=1e-9)
    # Same-venue quotes of one asset move together; the USDC venue less so than USD vs USDT.
    full = got[got["window_type"] == "full_period"].set_index(["exchange_a", "exchange_b"])["correlation"]
    assert full[("bus_usd", "bus_usdt")] > full[("bus_usd", "bus_usdc")] > 0.9


@pytest.fixture(scope="module")
def stress(real_warehouse):
    return query(real_warehouse, "select * from fct_stress")


@pytest.fixture(scope="module")
def simple_returns(real_frames):
    """close / previous day's close - 1, only where the previous calendar day has a close."""
    out = {}
    for key, close in daily_closes(real_frames).items():
        consecutive = close.index.to_series().diff() == pd.Timedelta("1D")
        out[key] = (close / close.shift(1) - 1)[consecutive]
    return pd.DataFrame(out)


def compounded(returns: pd.Series) -> float:
    return float(np.prod(1 + returns.to_numpy()) - 1)


def test_stress_declared_depeg_window_replays_the_usdc_venue_move(stress, simple_returns):
    rows = stress[stress["scenario"] == "usdc_depeg_2023"]
    assert set(rows["scenario_type"]) == {"historical_declared"}
    portfolio = rows[rows["level"] == "portfolio"].iloc[0]
    assert (str(portfolio["window_start"])[:10], str(portfolio["window_end"])[:10]) == ("2023-03-10", "2023-03-13")
    assert portfolio["days_observed"] == 4
    window = simple_returns.loc["2023-03-10":"2023-03-13"]
    assert portfolio["scenario_return"] == pytest.approx(compounded(window.mean(axis=1)), abs=1e-12)

    series = rows[rows["level"] == "series"].set_index("exchange")
    assert len(series) == 4 and (series["days_observed"] == 4).all()
    usdc = series.loc["bus_usdc", "scenario_return"]
    assert usdc == pytest.approx(compounded(window[("bus_usdc", "BTC/USD")]), abs=1e-12)
    assert usdc < 0 or abs(usdc) > 0.05  # the window's move on the USDC venue is a large one
    # Inside the window the USDC venue's day closes parted from the USD venue's during the de-peg.
    day_gap = (simple_returns.loc["2023-03-11", ("bus_usdc", "BTC/USD")] - simple_returns.loc["2023-03-11", ("bus_usd", "BTC/USD")])
    assert abs(day_gap) > 0.01


def test_stress_worst_windows_equal_pandas(stress, simple_returns):
    portfolio = simple_returns.mean(axis=1)  # equal weight over the series with a return that day
    days = portfolio.index
    for n in (1, 3, 7):
        candidates = {}
        for end in days:
            span = pd.date_range(end - pd.Timedelta(days=n - 1), end, freq="D")
            if span.isin(days).all():
                candidates[end] = compounded(portfolio.loc[span])
        worst_end = min(candidates, key=lambda d: (candidates[d], d))
        row = stress[(stress["scenario"] == f"worst_{n}d") & (stress["level"] == "portfolio")].iloc[0]
        assert row["scenario_type"] == "historical_worst" and row["days_observed"] == n
        assert pd.Timestamp(row["window_end"]) == worst_end
        assert row["scenario_return"] == pytest.approx(candidates[worst_end], abs=1e-12)
        assert row["scenario_return"] < 0
        series = stress[(stress["scenario"] == f"worst_{n}d") & (stress["level"] == "series")]
        assert len(series) == simple_returns.shape[1]


def test_stress_hypothetical_shocks_and_correlations_to_one(stress, simple_returns):
    n_series = simple_returns.shape[1]
    for shock in SHOCKS:
        rows = stress[stress["scenario"] == f"down_{shock}pct"]
        assert set(rows["scenario_type"]) == {"hypothetical_shock"}
        assert len(rows) == n_series + 1
        assert np.allclose(rows["scenario_return"], -shock / 100, atol=1e-15)
        assert rows.loc[rows["level"] == "series", "weight"].sum() == pytest.approx(1.0)

    common = simple_returns.dropna()
    rows = stress[stress["scenario"] == "correlations_to_one"]
    portfolio = rows[rows["level"] == "portfolio"].iloc[0]
    actual = common.mean(axis=1).std(ddof=1)
    all_ones = (common.std(ddof=1) / n_series).sum()
    assert portfolio["days_observed"] == len(common) == 20
    assert portfolio["daily_volatility"] == pytest.approx(actual, rel=1e-9)
    assert portfolio["daily_volatility_stressed"] == pytest.approx(all_ones, rel=1e-9)
    assert portfolio["daily_volatility_stressed"] > portfolio["daily_volatility"]  # real correlations are below 1
