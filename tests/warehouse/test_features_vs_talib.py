"""fct_features on the real candles against TA-Lib (the reference) and numpy.

TA-Lib is a test-only dependency. Each indicator is computed by `talib` from the
candles as they were landed (not from the warehouse), and must have its NULLs on
exactly TA-Lib's warm-up bars and equal TA-Lib to a relative 1e-9 after them.
"""
from __future__ import annotations

from pathlib import Path

import duckdb
import jinja2
import numpy as np
import pandas as pd
import pytest
import talib

from include.series import Series
from include.warehouse.dbt_runner import DBT_PROJECT
from tests.warehouse.conftest import query

SERIES = [
    Series(exchange="kraken", symbol="BTC/USDC", timeframe="1m"),  # 56,717 bars with Kraken's gaps
    Series(exchange="bus_usdt", symbol="BTC/USD", timeframe="1m"),
    Series(exchange="bus_usdc", symbol="BTC/USD", timeframe="1m"),  # 12,971 zero-volume, often flat, candles
]
IDS = [f"{s.exchange}_{s.symbol.replace('/', '-')}" for s in SERIES]
RTOL = 1e-9
MINUTES_PER_YEAR = 525_600


def features(data_dir: Path, series: Series) -> pd.DataFrame:
    return query(
        data_dir,
        f"""select * from fct_features
            where exchange = '{series.exchange}' and symbol = '{series.symbol}' and timeframe = '{series.timeframe}'
            order by ts""",
    )


def talib_reference(frame: pd.DataFrame) -> dict[str, np.ndarray]:
    """Every TA-Lib indicator of the mart, from the landed candles."""
    c, h, l = (frame[k].to_numpy(dtype=float) for k in ("close", "high", "low"))
    ref = {}
    for n in (10, 20, 50):
        ref[f"sma_{n}"] = talib.SMA(c, timeperiod=n)
        ref[f"ema_{n}"] = talib.EMA(c, timeperiod=n)
    ref["rsi_14"] = talib.RSI(c, timeperiod=14)
    ref["macd"], ref["macd_signal"], ref["macd_hist"] = talib.MACD(c, fastperiod=12, slowperiod=26, signalperiod=9)
    upper, middle, lower = talib.BBANDS(c, timeperiod=20, nbdevup=2, nbdevdn=2, matype=0)
    ref["bb_upper"], ref["bb_middle"], ref["bb_lower"] = upper, middle, lower
    width = upper - lower
    with np.errstate(invalid="ignore", divide="ignore"):
        ref["bb_pct_b"] = np.where(width > 0, (c - lower) / width, np.nan)
    ref["atr_14"] = talib.ATR(h, l, c, timeperiod=14)
    ref["stoch_k"], ref["stoch_d"] = talib.STOCH(
        h, l, c, fastk_period=14, slowk_period=3, slowk_matype=0, slowd_period=3, slowd_matype=0
    )
    return ref


def labels(column: pd.Series) -> np.ndarray:
    return column.astype(object).where(column.notna(), None).to_numpy()


def assert_like(got: pd.Series, want: np.ndarray, name: str, atol: float = 0.0) -> None:
    got = got.to_numpy(dtype=float)  # NULL -> NaN
    np.testing.assert_array_equal(np.isnan(got), np.isnan(want), err_msg=f"{name}: NULLs are not on the reference's bars")
    defined = ~np.isnan(want)
    assert defined.any(), name
    np.testing.assert_allclose(got[defined], want[defined], rtol=RTOL, atol=atol, err_msg=name)


@pytest.mark.parametrize("series", SERIES, ids=IDS)
def test_indicators_equal_talib(real_warehouse, real_frames, series):
    frame = real_frames[series].sort_values("timestamp").reset_index(drop=True)
    got = features(real_warehouse, series)
    assert len(got) == len(frame)
    assert (got["ts"].dt.tz_convert("UTC").to_numpy() == frame["timestamp"].dt.tz_convert("UTC").to_numpy()).all()
    np.testing.assert_array_equal(got["bar_index"], np.arange(len(frame)))

    for name, want in talib_reference(frame).items():
        # %B is not a TA-Lib output; on the narrowest bands TA-Lib's own deviation is
        # accurate to ~8e-10 relative only (checked against exact rational arithmetic)
        # and %B crosses 0 on the lower band, so it is also allowed 1e-9 absolute
        # (a billionth of a band width).
        assert_like(got[name], want, name, atol=1e-9 if name == "bb_pct_b" else 0.0)


@pytest.mark.parametrize("series", SERIES, ids=IDS)
def test_returns_volatility_volume_and_candle_shape(real_warehouse, real_frames, series):
    frame = real_frames[series].sort_values("timestamp").reset_index(drop=True)
    got = features(real_warehouse, series)
    o, h, l, c, v = (frame[k].to_numpy(dtype=float) for k in ("open", "high", "low", "close", "volume"))
    n = len(c)
    nan1 = np.r_[np.nan]

    assert_like(got["ret_simple"], np.r_[nan1, c[1:] / c[:-1] - 1], "ret_simple")
    log_ret = np.r_[nan1, np.log(c[1:] / c[:-1])]
    assert_like(got["ret_log"], log_ret, "ret_log")

    for window in (20, 60):
        want = np.full(n, np.nan)
        returns = np.lib.stride_tricks.sliding_window_view(log_ret[1:], window)
        want[window:] = returns.std(axis=1, ddof=1) * np.sqrt(MINUTES_PER_YEAR)
        assert_like(got[f"rv_{window}"], want, f"rv_{window}")

    volumes = np.lib.stride_tricks.sliding_window_view(v, 20)
    std = volumes.std(axis=1, ddof=1)
    flat = volumes.max(axis=1) == volumes.min(axis=1)
    want = np.full(n, np.nan)
    with np.errstate(invalid="ignore", divide="ignore"):
        want[19:] = np.where(flat, np.nan, (v[19:] - volumes.mean(axis=1)) / std)
    assert_like(got["volume_z_20"], want, "volume_z_20")

    np.testing.assert_array_equal(got["body"], np.abs(c - o))
    np.testing.assert_array_equal(got["upper_wick"], h - np.maximum(o, c))
    np.testing.assert_array_equal(got["lower_wick"], np.minimum(o, c) - l)


@pytest.mark.parametrize("series", SERIES, ids=IDS)
def test_regime_labels(real_warehouse, series):
    got = features(real_warehouse, series)
    rv, close, sma_50 = (got[k].to_numpy(dtype=float) for k in ("rv_20", "close", "sma_50"))
    n = len(got)

    # Percent rank of rv_20 in its trailing 500 values: (values strictly below) / 499.
    pctile = np.full(n, np.nan)
    windows = np.lib.stride_tricks.sliding_window_view(rv[20:], 500)
    pctile[519:] = (windows < windows[:, -1:]).sum(axis=1) / 499
    assert_like(got["rv_20_pctile_500"], pctile, "rv_20_pctile_500")
    vol = np.where(pctile < 0.33, "low", np.where(pctile > 0.67, "high", "normal")).astype(object)
    vol[:519] = None
    np.testing.assert_array_equal(labels(got["vol_regime"]), vol)
    assert set(got["vol_regime"].dropna()) == {"low", "normal", "high"}

    slope = np.r_[np.full(50, np.nan), sma_50[50:] - sma_50[49:-1]]
    assert_like(got["sma_50_slope"], slope, "sma_50_slope")
    trend = np.where((close > sma_50) & (slope > 0), "up", np.where((close < sma_50) & (slope < 0), "down", "flat"))
    trend = trend.astype(object)
    trend[:50] = None
    np.testing.assert_array_equal(labels(got["trend_regime"]), trend)
    assert set(got["trend_regime"].dropna()) == {"up", "down", "flat"}


def test_periods_per_year_macro():
    """The macro's SQL, rendered from its file by Jinja as dbt does, on a 365-day year."""
    source = (DBT_PROJECT / "macros" / "timeframes.sql").read_text()
    macro = jinja2.Environment().from_string(source).module.periods_per_year
    expression = str(macro("tf"))
    timeframes = {"1s": 31_536_000, "1m": 525_600, "5m": 105_120, "1h": 8_760, "4h": 2_190, "1d": 365, "1w": 365 / 7}
    rows = duckdb.sql(
        f"select tf, {expression} as p from (values {', '.join(f'({tf!r})' for tf in [*timeframes, '1x', 'm', '0m'])}) t(tf)"
    ).fetchall()
    got = dict(rows)
    assert {tf: got[tf] for tf in timeframes} == pytest.approx(timeframes, rel=1e-15)
    assert got["1x"] is None and got["m"] is None and got["0m"] is None
