"""Daily returns for the optimiser tests: the real candles, the simulator, and N synthetic assets."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

SIM_SEED = 7
SIM_DAYS = 730  # two years of the simulator's daily returns


def daily_closes(candles: pd.DataFrame) -> pd.Series:
    """The close of each UTC day's last candle (docs/definitions.md), indexed by day."""
    days = candles["timestamp"].dt.tz_convert("UTC").dt.floor("D").dt.tz_localize(None)
    return candles.assign(day=days).sort_values("timestamp").groupby("day")["close"].last()


def one_day_returns(closes: pd.Series) -> pd.Series:
    """close / previous close - 1, only where the previous close is from the day before."""
    returns = closes / closes.shift(1) - 1
    consecutive = closes.index.to_series().diff() == pd.Timedelta(days=1)
    return returns[consecutive]


@pytest.fixture(scope="session")
def real_returns(real_frames) -> pd.DataFrame:
    """One-day returns of the four real BTC series (three Binance.US quotes, Kraken), common days only."""
    columns = {series.exchange: one_day_returns(daily_closes(frame)) for series, frame in real_frames.items()}
    return pd.DataFrame(columns).dropna(how="any")


@pytest.fixture(scope="session")
def sim_returns() -> pd.DataFrame:
    """Two years of the simulator's daily simple returns for its eight assets (include/sources/sim)."""
    from include.sources.sim.catalogue import ASSETS
    from include.sources.sim.market_model import daily_path

    log_returns = {f"{asset}/USDT": daily_path(SIM_SEED, asset)[0][:SIM_DAYS] for asset in ASSETS}
    index = pd.date_range("2020-01-01", periods=SIM_DAYS, freq="D")
    return np.expm1(pd.DataFrame(log_returns, index=index))


def correlated_returns(n_assets: int, n_days: int, seed: int) -> pd.DataFrame:
    """Daily returns from one market factor plus noise: crypto-like vols (2-6 %) and correlations."""
    rng = np.random.default_rng(seed)
    beta = rng.uniform(0.6, 1.4, n_assets)
    own_vol = rng.uniform(0.01, 0.04, n_assets)
    market = rng.normal(0.0005, 0.03, n_days)
    returns = market[:, None] * beta + rng.normal(0.0, 1.0, (n_days, n_assets)) * own_vol + rng.normal(0.0, 0.0005, n_assets)
    return pd.DataFrame(returns, index=pd.date_range("2022-01-01", periods=n_days, freq="D"),
                        columns=[f"S{i:03d}/USDT" for i in range(n_assets)])


@pytest.fixture(scope="session")
def synthetic_returns() -> pd.DataFrame:
    return correlated_returns(30, 730, seed=3)


@pytest.fixture(params=["real", "sim"])
def dataset(request) -> pd.DataFrame:
    """Each correctness test runs on the real candles and on the simulator."""
    return request.getfixturevalue(f"{request.param}_returns")
