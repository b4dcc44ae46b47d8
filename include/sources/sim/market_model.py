"""A deterministic synthetic crypto market, generated one UTC day at a time.

Every number is a pure function of (seed, venue, symbol, minute), so any range
can be generated in any order and always gives the same candles: that is what
makes incremental landing, backfills and tests reproducible offline.

Layers, each drawn from its own seeded stream:
1. a market regime per day (calm, bull trend, bear trend, crash), a Markov chain;
2. daily log returns per asset from a common fat-tailed market factor plus an
   idiosyncratic part (assets are correlated), scaled by the regime;
3. 1-minute paths per asset bridged to hit each day's return exactly, with an
   intraday volatility profile (busiest around 15:00 UTC);
4. per venue: a small mean-reverting basis against the consolidated price,
   volume that follows the intraday profile and the size of the move,
   occasional zero-volume minutes and occasional missing minutes.
"""
from __future__ import annotations

import zlib
from functools import lru_cache

import numpy as np
from scipy.signal import lfilter

from include.sources.sim.catalogue import VENUES, asset as asset_spec
from include.timeframes import DAY_MS

ANCHOR_DAY = 18_262  # 2020-01-01 in days since the Unix epoch: the simulator's first day
HORIZON_DAYS = 7_306  # through 2039-12-31
MINUTES = 1_440
_T_DOF = 4.0  # Student-t degrees of freedom: fat tails, finite variance
_T_SCALE = np.sqrt(_T_DOF / (_T_DOF - 2.0))  # makes the t draws unit-variance

# Regimes: calm, bull trend, bear trend, crash.
REGIMES = ("calm", "bull", "bear", "crash")
_VOL_MULT = np.array([0.75, 1.0, 1.15, 2.8])
_DRIFT = np.array([0.0, 0.004, -0.003, -0.03])  # daily log drift for beta 1
_TRANSITIONS = np.array(
    [
        [0.955, 0.020, 0.020, 0.005],
        [0.040, 0.950, 0.005, 0.005],
        [0.040, 0.005, 0.945, 0.010],
        [0.250, 0.000, 0.100, 0.650],
    ]
)
_PHI = 0.97  # per-minute persistence of a venue's basis wobble
_AR_B, _AR_A = [1.0], [1.0, -_PHI]  # lfilter's y[n] = x[n] + _PHI * y[n - 1]


def _stream(seed: int, *keys) -> np.random.Generator:
    """An independent random stream for (seed, keys...)."""
    ints = [seed] + [k if isinstance(k, int) else zlib.crc32(str(k).encode()) for k in keys]
    return np.random.default_rng(ints)


def _student_t(rng: np.random.Generator, size) -> np.ndarray:
    return rng.standard_t(_T_DOF, size) / _T_SCALE


@lru_cache(maxsize=8)
def regimes(seed: int) -> np.ndarray:
    """Regime index for every day of the horizon."""
    draws = _stream(seed, "regime").random(HORIZON_DAYS)
    cumulative = np.cumsum(_TRANSITIONS, axis=1)
    states = np.empty(HORIZON_DAYS, dtype=np.int8)
    state = 0
    for day, u in enumerate(draws):
        state = int(np.searchsorted(cumulative[state], u))
        states[day] = min(state, len(REGIMES) - 1)
    return states


def _correlation(asset: str) -> float:
    return float(np.clip(0.75 * asset_spec(asset).beta, 0.5, 0.9))


@lru_cache(maxsize=64)
def daily_path(seed: int, asset: str) -> tuple[np.ndarray, np.ndarray]:
    """(daily log returns, log price at each day's open) over the horizon."""
    spec, rho = asset_spec(asset), _correlation(asset)
    state = regimes(seed)
    market = _student_t(_stream(seed, "market-daily"), HORIZON_DAYS)
    own = _student_t(_stream(seed, "daily", asset), HORIZON_DAYS)
    shock = rho * market + np.sqrt(1 - rho**2) * own
    returns = spec.beta * _DRIFT[state] + _VOL_MULT[state] * spec.daily_vol * shock
    opens = np.log(spec.start_price) + np.concatenate(([0.0], np.cumsum(returns)[:-1]))
    return returns, opens


@lru_cache(maxsize=1)
def intraday_profile() -> np.ndarray:
    """Relative volatility (and volume) per minute of the day, mean square 1."""
    hours = np.arange(MINUTES) / 60.0
    profile = 1.0 + 0.45 * np.cos(2 * np.pi * (hours - 15.0) / 24.0)
    return profile / np.sqrt(np.mean(profile**2))


def _fair_minutes(seed: int, asset: str, day: int) -> tuple[np.ndarray, np.ndarray]:
    """Consolidated log price at each minute boundary (1441 points) and minute vol."""
    spec, rho = asset_spec(asset), _correlation(asset)
    index = day - ANCHOR_DAY
    returns, opens = daily_path(seed, asset)
    mult = _VOL_MULT[regimes(seed)[index]]
    minute_vol = mult * spec.daily_vol / np.sqrt(MINUTES) * intraday_profile()
    market = _student_t(_stream(seed, "market-intraday", day), MINUTES)
    own = _student_t(_stream(seed, "intraday", asset, day), MINUTES)
    steps = minute_vol * (rho * market + np.sqrt(1 - rho**2) * own)
    steps += (returns[index] - steps.sum()) / MINUTES  # bridge: the day ends on its daily return
    path = opens[index] + np.concatenate(([0.0], np.cumsum(steps)))
    return path, minute_vol


@lru_cache(maxsize=1024)
def venue_day(seed: int, venue: str, symbol: str, day: int) -> np.ndarray:
    """One venue's 1-minute candles for one UTC day: rows [ts_ms, o, h, l, c, v]."""
    if not ANCHOR_DAY <= day < ANCHOR_DAY + HORIZON_DAYS:
        return np.empty((0, 6))
    base, quote = symbol.split("/")
    spec, site = asset_spec(base), VENUES[venue]
    path, minute_vol = _fair_minutes(seed, base, day)
    rng = _stream(seed, "venue", venue, symbol, day)

    wobble = np.empty(MINUTES + 1)
    wobble[0] = rng.standard_normal()
    innovations = rng.standard_normal(MINUTES) * np.sqrt(1 - _PHI**2)
    # AR(1) with unit stationary variance, wobble[i + 1] = _PHI * wobble[i] + innovations[i]: the filter does the
    # same two float operations per minute as that Python loop (the same bits), in C
    wobble[1:] = lfilter(_AR_B, _AR_A, innovations, zi=[_PHI * wobble[0]])[0]
    quote_bps = 0.0 if quote == "USDT" else -1.0
    prices = np.exp(path + (site.basis_bps + quote_bps + site.basis_noise_bps * wobble) / 1e4)

    opens, closes = prices[:-1].copy(), prices[1:].copy()  # copies: idle minutes edit closes
    highs = np.maximum(opens, closes) * np.exp(np.abs(rng.standard_normal(MINUTES)) * 0.6 * minute_vol)
    lows = np.minimum(opens, closes) * np.exp(-np.abs(rng.standard_normal(MINUTES)) * 0.6 * minute_vol)
    move = np.abs(np.diff(path)) / minute_vol
    volume = (
        spec.minute_volume * site.volume_share * intraday_profile()
        * rng.lognormal(0.0, 0.6, MINUTES) * (1.0 + 0.8 * move)
    )
    crash = regimes(seed)[day - ANCHOR_DAY] == REGIMES.index("crash")
    idle = rng.random(MINUTES) < site.zero_volume_prob
    highs[idle] = lows[idle] = closes[idle] = opens[idle]
    volume[idle] = 0.0
    present = rng.random(MINUTES) >= site.missing_prob * (3.0 if crash else 1.0)

    stamps = day * DAY_MS + np.arange(MINUTES, dtype=np.int64) * 60_000
    rows = np.column_stack([stamps.astype("float64"), opens, highs, lows, closes, volume])
    return rows[present]


def aggregate(rows: np.ndarray, step_ms: int) -> np.ndarray:
    """Resample sorted 1-minute rows to candles of step_ms (a bucket with no minutes has no candle)."""
    if step_ms == 60_000 or len(rows) == 0:
        return rows
    buckets = (rows[:, 0] // step_ms).astype(np.int64)
    starts = np.flatnonzero(np.r_[True, buckets[1:] != buckets[:-1]])
    ends = np.r_[starts[1:], len(rows)] - 1
    return np.column_stack(
        [
            buckets[starts].astype("float64") * step_ms,
            rows[starts, 1],
            np.maximum.reduceat(rows[:, 2], starts),
            np.minimum.reduceat(rows[:, 3], starts),
            rows[ends, 4],
            np.add.reduceat(rows[:, 5], starts),
        ]
    )
