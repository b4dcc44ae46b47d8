"""Risk and performance metrics: every definition in docs/definitions.md, once, in numpy/pandas.

The warehouse computes the same numbers in SQL (dbt/macros/risk_metrics.sql); the
tests hold the two equal to 1e-9 and hold both to empyrical where it has the metric.
The backtester and the reports call these functions on their own return series.

Conventions (see docs/definitions.md for the reasoning):
- returns are simple returns of close, one per bar; missing observations are
  dropped, never treated as zero;
- P = periods per year on a 365-day calendar (`periods_per_year`);
- standard deviations are sample (ddof=1); skewness and excess kurtosis are the
  biased moment estimators (scipy.stats.skew / kurtosis defaults);
- VaR and CVaR are POSITIVE numbers for losses; max drawdown is a NEGATIVE fraction;
- every metric is NaN with fewer than MIN_OBSERVATIONS returns, and a ratio whose
  denominator is zero (a constant series, no losses, no drawdown) is NaN, not inf.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, datetime
from statistics import NormalDist
from typing import Any

import numpy as np
import pandas as pd

from include.timeframes import periods_per_year  # noqa: F401 (defined with the calendar; re-exported here)

PERIODS_PER_YEAR = {"1m": 525_600, "5m": 105_120, "15m": 35_040, "1h": 8_760, "4h": 2_190, "1d": 365}
CONFIDENCE_LEVELS = (0.95, 0.99)
MIN_OBSERVATIONS = 2
ROLLING_WINDOWS_DAYS = (30, 90)
NAN = float("nan")


# ---------------------------------------------------------------------------
# Calendar and normal-distribution constants
# ---------------------------------------------------------------------------

def tail_probability(confidence: float) -> float:
    """The loss-tail probability for a confidence level: 0.95 -> 0.05 (rounded so it equals the literal)."""
    if not 0.5 < confidence < 1.0:
        raise ValueError(f"confidence {confidence!r} must be between 0.5 and 1, e.g. 0.95 or 0.99")
    return round(1.0 - confidence, 12)


def normal_quantile(p: float) -> float:
    """Inverse standard normal CDF (the z the SQL macro risk_normal_quantile holds as a constant)."""
    return NormalDist().inv_cdf(p)


def normal_pdf(z: float) -> float:
    return math.exp(-z * z / 2.0) / math.sqrt(2.0 * math.pi)


def _label(confidence: float) -> str:
    return f"{round(confidence * 100):d}"


# ---------------------------------------------------------------------------
# Single-series metrics
# ---------------------------------------------------------------------------

def _values(returns: Any) -> np.ndarray:
    values = np.asarray(returns, dtype="float64").ravel()
    return values[~np.isnan(values)]


def _enough(values: np.ndarray) -> bool:
    return len(values) >= MIN_OBSERVATIONS


def _constant(values: np.ndarray) -> bool:
    return bool(values.max() == values.min())


def simple_returns(close: pd.Series) -> pd.Series:
    """close_t / close_{t-1} - 1 over the observations present (the first is dropped)."""
    return (close / close.shift(1) - 1.0).iloc[1:]


def total_return(returns) -> float:
    r = _values(returns)
    return float(np.prod(1.0 + r) - 1.0) if _enough(r) else NAN


def annual_return(returns, periods: float) -> float:
    """Geometric: prod(1 + r) ** (P / n) - 1."""
    r = _values(returns)
    if not _enough(r):
        return NAN
    return float(np.prod(1.0 + r) ** (periods / len(r)) - 1.0)


def volatility(returns) -> float:
    """Sample standard deviation (ddof=1) per period."""
    r = _values(returns)
    return float(np.std(r, ddof=1)) if _enough(r) else NAN


def annual_volatility(returns, periods: float) -> float:
    return volatility(returns) * math.sqrt(periods)


def sharpe_ratio(returns, periods: float, risk_free: float = 0.0) -> float:
    """mean(r - rf) / std(r - rf) * sqrt(P); rf is per period."""
    x = _values(returns) - risk_free
    if not _enough(x) or _constant(x):
        return NAN
    return float(np.mean(x) / np.std(x, ddof=1) * math.sqrt(periods))


def downside_deviation(returns, periods: float, mar: float = 0.0) -> float:
    """sqrt(mean(min(r - MAR, 0) ** 2)) * sqrt(P), the mean taken over ALL observations."""
    r = _values(returns)
    if not _enough(r):
        return NAN
    shortfall = np.minimum(r - mar, 0.0)
    return float(math.sqrt(np.mean(shortfall * shortfall)) * math.sqrt(periods))


def sortino_ratio(returns, periods: float, mar: float = 0.0) -> float:
    """mean(r - MAR) * P / downside_deviation (empyrical's arithmetic annualisation)."""
    r = _values(returns)
    downside = downside_deviation(r, periods, mar)
    if not _enough(r) or not downside > 0:
        return NAN
    return float(np.mean(r - mar) * periods / downside)


def omega_ratio(returns, threshold: float = 0.0) -> float:
    """sum(max(r - L, 0)) / sum(max(L - r, 0)) at a per-period threshold L."""
    r = _values(returns)
    if not _enough(r):
        return NAN
    gains = float(np.sum(np.maximum(r - threshold, 0.0)))
    losses = float(np.sum(np.maximum(threshold - r, 0.0)))
    return gains / losses if losses > 0 else NAN


def wealth_path(returns) -> np.ndarray:
    """Wealth after each bar, starting from 1 before the first return."""
    return np.cumprod(1.0 + _values(returns))


def drawdown_series(returns) -> np.ndarray:
    """wealth / running peak - 1 after each bar; the peak includes the starting wealth of 1."""
    wealth = wealth_path(returns)
    peak = np.maximum(np.maximum.accumulate(wealth), 1.0)
    return wealth / peak - 1.0


def max_drawdown(returns) -> float:
    """The deepest drawdown as a NEGATIVE fraction (-0.25 = 25 % below the peak)."""
    r = _values(returns)
    return float(np.min(drawdown_series(r))) if _enough(r) else NAN


@dataclass(frozen=True)
class Drawdown:
    """The maximum drawdown episode. Bar 0 is the starting wealth, bar i the wealth after return i."""

    max_drawdown: float
    peak_bar: int | None
    trough_bar: int | None
    recovery_bar: int | None
    duration_bars: int | None
    peak_date: Any = None
    trough_date: Any = None
    recovery_date: Any = None
    duration_days: float | None = None


def _days_between(start, end) -> float | None:
    if start is None or end is None:
        return None
    delta = pd.Timestamp(end) - pd.Timestamp(start)
    days = delta / pd.Timedelta(days=1)
    return int(days) if float(days).is_integer() else days


def drawdown_details(returns, dates=None, start=None) -> Drawdown:
    """Depth, dates and duration of the maximum drawdown.

    The peak is the last bar at the running peak before the trough (bar 0, the
    starting wealth, counts); the trough is the first bar at the maximum depth;
    recovery is the first bar after the trough back at or above the peak. The
    duration runs from the peak to the recovery, or to the last bar when the
    series has not recovered. With no drawdown (max_drawdown == 0) the bars and
    dates are None and the durations 0.

    dates: the date of each return (defaults to the returns' index when it holds
    dates); start: the date of bar 0, i.e. of the close the first return is
    measured from (defaults to one step before the first date).
    """
    r = _values(returns)
    if not _enough(r):
        return Drawdown(NAN, None, None, None, None)
    wealth = np.concatenate([[1.0], np.cumprod(1.0 + r)])
    peak = np.maximum.accumulate(wealth)
    depth = wealth / peak - 1.0
    mdd = float(depth.min())
    if mdd >= 0.0:
        return Drawdown(mdd, None, None, None, 0, duration_days=0)
    trough = int(np.argmax(depth == mdd))
    peak_value = peak[trough]
    peak_bar = int(np.flatnonzero(wealth[: trough + 1] == peak_value)[-1])
    after = np.flatnonzero(wealth[trough + 1:] >= peak_value)
    recovery = trough + 1 + int(after[0]) if len(after) else None
    end_bar = recovery if recovery is not None else len(r)

    if dates is None and isinstance(returns, pd.Series):
        index = returns.dropna().index
        if isinstance(index, pd.DatetimeIndex) or (len(index) and isinstance(index[0], date)):
            dates = index  # a positional index gives bars only, no dates
    bar_dates = None
    if dates is not None and len(dates) == len(r):
        dates = list(dates)
        if start is None and len(dates) >= 2:
            start = pd.Timestamp(dates[0]) - (pd.Timestamp(dates[1]) - pd.Timestamp(dates[0]))
            if isinstance(dates[0], date) and not isinstance(dates[0], datetime):
                start = start.date()
        bar_dates = [start, *dates]
    at = (lambda bar: bar_dates[bar] if bar_dates is not None and bar is not None else None)
    return Drawdown(
        max_drawdown=mdd,
        peak_bar=peak_bar,
        trough_bar=trough,
        recovery_bar=recovery,
        duration_bars=end_bar - peak_bar,
        peak_date=at(peak_bar),
        trough_date=at(trough),
        recovery_date=at(recovery),
        duration_days=_days_between(at(peak_bar), at(end_bar)),
    )


def calmar_ratio(returns, periods: float) -> float:
    """annual_return / |max_drawdown|; NaN without a drawdown."""
    mdd = max_drawdown(returns)
    if not mdd < 0:
        return NAN
    return annual_return(returns, periods) / abs(mdd)


def historical_var(returns, confidence: float = 0.95) -> float:
    """-quantile(r, 1 - c), linear interpolation (numpy's default, DuckDB's quantile_cont); a positive loss."""
    r = _values(returns)
    return float(-np.quantile(r, tail_probability(confidence))) if _enough(r) else NAN


def historical_cvar(returns, confidence: float = 0.95) -> float:
    """-mean of the k worst returns, k = floor((n - 1) * (1 - c)) + 1 (empyrical's tail); a positive loss."""
    r = _values(returns)
    if not _enough(r):
        return NAN
    k = int((len(r) - 1) * tail_probability(confidence)) + 1
    return float(-np.mean(np.sort(r)[:k]))


def _central_moments(r: np.ndarray) -> tuple[float, float, float]:
    centred = r - np.mean(r)
    return float(np.mean(centred**2)), float(np.mean(centred**3)), float(np.mean(centred**4))


def skewness(returns) -> float:
    """Biased (population) moment skewness m3 / m2^1.5: scipy.stats.skew(bias=True)."""
    r = _values(returns)
    if not _enough(r) or _constant(r):
        return NAN
    m2, m3, _ = _central_moments(r)
    return m3 / m2**1.5


def excess_kurtosis(returns) -> float:
    """Biased excess kurtosis m4 / m2^2 - 3: scipy.stats.kurtosis(fisher=True, bias=True)."""
    r = _values(returns)
    if not _enough(r) or _constant(r):
        return NAN
    m2, _, m4 = _central_moments(r)
    return m4 / m2**2 - 3.0


def gaussian_var(returns, confidence: float = 0.95) -> float:
    """-(mean + z_a * std), z_a = inverse normal CDF at a = 1 - c; a positive loss."""
    r = _values(returns)
    if not _enough(r):
        return NAN
    z = normal_quantile(tail_probability(confidence))
    return float(-(np.mean(r) + z * np.std(r, ddof=1)))


def gaussian_cvar(returns, confidence: float = 0.95) -> float:
    """-(mean - std * phi(z_a) / a): the normal expected shortfall; a positive loss."""
    r = _values(returns)
    if not _enough(r):
        return NAN
    a = tail_probability(confidence)
    z = normal_quantile(a)
    return float(-(np.mean(r) - np.std(r, ddof=1) * normal_pdf(z) / a))


def cornish_fisher_z(z: float, skew: float, kurt: float) -> float:
    """The Cornish-Fisher adjusted quantile for skewness S and EXCESS kurtosis K."""
    return (
        z
        + (z * z - 1.0) * skew / 6.0
        + (z**3 - 3.0 * z) * kurt / 24.0
        - (2.0 * z**3 - 5.0 * z) * skew * skew / 36.0
    )


def cornish_fisher_var(returns, confidence: float = 0.95) -> float:
    """-(mean + z_cf * std) with z_cf = cornish_fisher_z(z_a, skew, excess kurtosis); a positive loss."""
    r = _values(returns)
    if not _enough(r) or _constant(r):
        return NAN
    z_cf = cornish_fisher_z(normal_quantile(tail_probability(confidence)), skewness(r), excess_kurtosis(r))
    return float(-(np.mean(r) + z_cf * np.std(r, ddof=1)))


def cornish_fisher_tail_mean(z: float, a: float, skew: float, kurt: float) -> float:
    """(1/a) * integral over u in (0, a) of cornish_fisher_z(Phi^-1(u)), in closed form.

    With x = Phi^-1(u) the integrand is a polynomial in x, and the partial moments
    I_q = int_{-inf}^{z} x^q phi(x) dx are I_0 = a, I_1 = -phi(z),
    I_q = -z^(q-1) phi(z) + (q - 1) I_(q-2), which gives
    -(phi(z)/a) * [1 + z S/6 + (z^2 - 1) K/24 + (1 - 2 z^2) S^2/36].
    """
    return -(normal_pdf(z) / a) * (
        1.0 + z * skew / 6.0 + (z * z - 1.0) * kurt / 24.0 + (1.0 - 2.0 * z * z) * skew * skew / 36.0
    )


def cornish_fisher_cvar(returns, confidence: float = 0.95) -> float:
    """-(mean + std * tail mean of the Cornish-Fisher quantile over the worst a); a positive loss."""
    r = _values(returns)
    if not _enough(r) or _constant(r):
        return NAN
    a = tail_probability(confidence)
    tail = cornish_fisher_tail_mean(normal_quantile(a), a, skewness(r), excess_kurtosis(r))
    return float(-(np.mean(r) + tail * np.std(r, ddof=1)))


# ---------------------------------------------------------------------------
# Against a benchmark (pairs of returns over the same interval)
# ---------------------------------------------------------------------------

def _pairs(returns, benchmark) -> tuple[np.ndarray, np.ndarray]:
    if isinstance(returns, pd.Series) and isinstance(benchmark, pd.Series):
        joined = pd.concat([returns.rename("r"), benchmark.rename("b")], axis=1, join="inner").dropna()
        return joined["r"].to_numpy(float), joined["b"].to_numpy(float)
    r = np.asarray(returns, dtype="float64")
    b = np.asarray(benchmark, dtype="float64")
    keep = ~(np.isnan(r) | np.isnan(b))
    return r[keep], b[keep]


def beta(returns, benchmark) -> float:
    """cov(r, b) / var(b) over the paired observations."""
    r, b = _pairs(returns, benchmark)
    if not _enough(r) or _constant(b):
        return NAN
    bx = b - np.mean(b)
    return float(np.sum(bx * (r - np.mean(r))) / np.sum(bx * bx))


def alpha(returns, benchmark, periods: float, risk_free: float = 0.0) -> float:
    """(1 + mean((r - rf) - beta * (b - rf))) ** P - 1 (empyrical's annualised alpha)."""
    r, b = _pairs(returns, benchmark)
    slope = beta(r, b)
    if math.isnan(slope):
        return NAN
    return float((1.0 + np.mean((r - risk_free) - slope * (b - risk_free))) ** periods - 1.0)


def correlation(returns, benchmark) -> float:
    """Pearson correlation over the paired observations."""
    r, b = _pairs(returns, benchmark)
    if not _enough(r) or _constant(r) or _constant(b):
        return NAN
    bx, rx = b - np.mean(b), r - np.mean(r)
    return float(np.sum(bx * rx) / math.sqrt(np.sum(bx * bx) * np.sum(rx * rx)))


def information_ratio(returns, benchmark, periods: float) -> float:
    """mean(r - b) / std(r - b) * sqrt(P): annualised active return over tracking error."""
    r, b = _pairs(returns, benchmark)
    active = r - b
    if not _enough(active) or _constant(active):
        return NAN
    return float(np.mean(active) / np.std(active, ddof=1) * math.sqrt(periods))


# ---------------------------------------------------------------------------
# Everything at once: the columns of fct_risk_metrics / fct_risk_metrics_rolling
# ---------------------------------------------------------------------------

METRIC_COLUMNS = (
    "n_returns", "total_return", "annual_return", "annual_volatility", "sharpe_ratio",
    "downside_deviation", "sortino_ratio", "calmar_ratio", "omega_ratio",
    "max_drawdown", "max_drawdown_peak_date", "max_drawdown_trough_date", "max_drawdown_recovery_date",
    "max_drawdown_duration_bars", "max_drawdown_duration_days",
    "skewness", "excess_kurtosis",
    "var_hist_95", "var_hist_99", "cvar_hist_95", "cvar_hist_99",
    "var_gaussian_95", "var_gaussian_99", "cvar_gaussian_95", "cvar_gaussian_99",
    "var_cornish_fisher_95", "var_cornish_fisher_99", "cvar_cornish_fisher_95", "cvar_cornish_fisher_99",
    "n_benchmark_returns", "beta", "alpha", "correlation", "information_ratio",
)


def risk_metrics(
    returns: pd.Series,
    periods: float,
    benchmark: pd.Series | None = None,
    start=None,
    risk_free: float = 0.0,
    mar: float = 0.0,
) -> dict[str, Any]:
    """Every metric for one return series (index = the date each return ends on).

    benchmark: returns of the benchmark on the same index labels (NaN or absent
    where it has none); start: the date of the close the first return starts from.
    """
    returns = returns.dropna()
    r = returns.to_numpy(float)
    out: dict[str, Any] = {"n_returns": len(r)}
    dd = drawdown_details(returns, start=start)
    out |= {
        "total_return": total_return(r),
        "annual_return": annual_return(r, periods),
        "annual_volatility": annual_volatility(r, periods),
        "sharpe_ratio": sharpe_ratio(r, periods, risk_free),
        "downside_deviation": downside_deviation(r, periods, mar),
        "sortino_ratio": sortino_ratio(r, periods, mar),
        "calmar_ratio": calmar_ratio(r, periods),
        "omega_ratio": omega_ratio(r, 0.0),
        "max_drawdown": dd.max_drawdown,
        "max_drawdown_peak_date": dd.peak_date,
        "max_drawdown_trough_date": dd.trough_date,
        "max_drawdown_recovery_date": dd.recovery_date,
        "max_drawdown_duration_bars": dd.duration_bars,
        "max_drawdown_duration_days": dd.duration_days,
        "skewness": skewness(r),
        "excess_kurtosis": excess_kurtosis(r),
    }
    for c in CONFIDENCE_LEVELS:
        label = _label(c)
        out[f"var_hist_{label}"] = historical_var(r, c)
        out[f"cvar_hist_{label}"] = historical_cvar(r, c)
        out[f"var_gaussian_{label}"] = gaussian_var(r, c)
        out[f"cvar_gaussian_{label}"] = gaussian_cvar(r, c)
        out[f"var_cornish_fisher_{label}"] = cornish_fisher_var(r, c)
        out[f"cvar_cornish_fisher_{label}"] = cornish_fisher_cvar(r, c)
    if benchmark is None or benchmark.dropna().empty:
        out |= {"n_benchmark_returns": 0, "beta": NAN, "alpha": NAN, "correlation": NAN, "information_ratio": NAN}
    else:
        paired_r, paired_b = _pairs(returns, benchmark)
        out |= {
            "n_benchmark_returns": len(paired_r),
            "beta": beta(paired_r, paired_b),
            "alpha": alpha(paired_r, paired_b, periods, risk_free),
            "correlation": correlation(paired_r, paired_b),
            "information_ratio": information_ratio(paired_r, paired_b, periods),
        }
    return {name: out[name] for name in METRIC_COLUMNS}


def rolling_risk_metrics(
    returns: pd.Series,
    periods: float,
    prev_dates: pd.Series | None = None,
    benchmark: pd.Series | None = None,
    windows_days: tuple[int, ...] = ROLLING_WINDOWS_DAYS,
    as_of: list | None = None,
    risk_free: float = 0.0,
    mar: float = 0.0,
) -> pd.DataFrame:
    """Every metric over the returns dated in (d - w days, d], for each window w and day d.

    returns is indexed by date (the day each return ends on); prev_dates (same
    index) holds the date each return starts from (default: the previous day).
    as_of limits the days computed (default: every day with a return).
    is_full_window: the series' first close is at or before d - w days.
    """
    returns = returns.dropna().sort_index()
    index = pd.to_datetime(pd.Index(returns.index))
    if prev_dates is None:
        starts = index - pd.Timedelta(days=1)
    else:
        starts = pd.to_datetime(pd.Index(prev_dates.reindex(returns.index)))
    first_close = starts.min()
    rows = []
    days = pd.to_datetime(pd.Index(as_of)) if as_of is not None else index
    for w in windows_days:
        for day in days:
            inside = (index > day - pd.Timedelta(days=w)) & (index <= day)
            window = pd.Series(returns.to_numpy()[inside], index=index[inside].date)
            bench = None
            if benchmark is not None:
                b = benchmark.reindex(returns.index).to_numpy(float)[inside]
                bench = pd.Series(b, index=window.index)
            start = starts[inside].min().date() if inside.any() else None
            row = {"window_days": w, "as_of_date": day.date(), "start_date": start,
                   "is_full_window": bool(first_close <= day - pd.Timedelta(days=w))}
            row |= risk_metrics(window, periods, benchmark=bench, start=start, risk_free=risk_free, mar=mar)
            rows.append(row)
    return pd.DataFrame(rows)
