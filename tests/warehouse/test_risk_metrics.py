"""Risk metrics: the marts equal empyrical and include/metrics/risk.py, on the real candles.

Tolerance: 1e-9 relative. Quantities that are exactly 0 by definition (alpha of
the BTC series against itself) may come out as 1e-17 from a library that computes
them another way, so an absolute 1e-12 is also allowed.
"""
from __future__ import annotations

import math
import re
from datetime import date
from pathlib import Path
from statistics import NormalDist

import empyrical as ep
import numpy as np
import pandas as pd
import pytest
from scipy import integrate, stats

from include.landing.store import gaps_file, write_atomic
from include.metrics import risk
from include.paths import DataPaths
from include.series import Series
from include.timeframes import timeframe_ms
from include.warehouse.dbt_runner import DBT_PROJECT, run_dbt
from tests.warehouse.conftest import query, write_raw

P = 365
REL, ABS = 1e-9, 1e-12
REAL_SERIES = [("bus_usdt", "BTC/USD"), ("bus_usdc", "BTC/USD"), ("bus_usd", "BTC/USD"), ("kraken", "BTC/USDC")]
DEFINITIONS = DBT_PROJECT.parent / "docs" / "definitions.md"
DOCS_BLOCK = DBT_PROJECT / "models" / "marts" / "_definitions.md"
CONSTANTS_MACRO = DBT_PROJECT / "macros" / "risk_constants.sql"


def same(got, want) -> bool:
    """Equal to 1e-9 relative (1e-12 absolute); NULL/NaN equals NaN; dates and ints exactly."""
    missing = lambda v: v is None or v is pd.NaT or (isinstance(v, float) and math.isnan(v))  # noqa: E731
    if missing(got) or missing(want):
        return missing(got) and missing(want)
    if isinstance(want, date) or isinstance(got, (date, pd.Timestamp)):
        return pd.Timestamp(got).date() == pd.Timestamp(want).date()
    return math.isclose(float(got), float(want), rel_tol=REL, abs_tol=ABS)


def assert_rows_equal(got: dict, want: dict, columns, where: str) -> None:
    wrong = {c: (got[c], want[c]) for c in columns if not same(got[c], want[c])}
    assert not wrong, f"{where}: (warehouse, expected) differ: {wrong}"


def returns_of(daily: pd.DataFrame, exchange: str, symbol: str) -> pd.DataFrame:
    rows = daily[(daily.exchange == exchange) & (daily.symbol == symbol) & daily.daily_return.notna()]
    rows = rows.assign(trade_date=pd.to_datetime(rows.trade_date).dt.date,
                       prev_trade_date=pd.to_datetime(rows.prev_trade_date).dt.date)
    return rows.set_index("trade_date").sort_index()


def python_metrics(rows: pd.DataFrame) -> dict:
    return risk.risk_metrics(rows.daily_return, P, benchmark=rows.benchmark_return.astype(float),
                             start=rows.prev_trade_date.iloc[0])


def empyrical_expectations(r: pd.Series, b: pd.Series | None) -> dict:
    """The mart's columns as empyrical (and scipy) compute them, converted to our conventions."""
    want = {
        "total_return": ep.cum_returns_final(r),
        "annual_return": ep.annual_return(r, annualization=P),
        "annual_volatility": ep.annual_volatility(r, annualization=P),
        "sharpe_ratio": ep.sharpe_ratio(r, risk_free=0, annualization=P),
        "downside_deviation": ep.downside_risk(r, required_return=0, annualization=P),
        "sortino_ratio": ep.sortino_ratio(r, required_return=0, annualization=P),
        "calmar_ratio": ep.calmar_ratio(r, annualization=P),
        "omega_ratio": ep.omega_ratio(r, risk_free=0.0, required_return=0.0, annualization=P),
        "max_drawdown": ep.max_drawdown(r),
        # empyrical's VaR/CVaR are the (negative) tail returns; ours are positive losses
        "var_hist_95": -ep.value_at_risk(r, cutoff=0.05),
        "var_hist_99": -ep.value_at_risk(r, cutoff=0.01),
        "cvar_hist_95": -ep.conditional_value_at_risk(r, cutoff=0.05),
        "cvar_hist_99": -ep.conditional_value_at_risk(r, cutoff=0.01),
        "skewness": stats.skew(r.to_numpy()),
        "excess_kurtosis": stats.kurtosis(r.to_numpy()),
    }
    if b is not None:
        paired = pd.concat([r.rename("r"), b.rename("b")], axis=1).dropna()
        a, beta = ep.alpha_beta(paired.r, paired.b, risk_free=0.0, annualization=P)
        want |= {
            "alpha": a,
            "beta": beta,
            "correlation": np.corrcoef(paired.r, paired.b)[0, 1],
            # empyrical's excess_sharpe is the information ratio before annualisation
            "information_ratio": ep.excess_sharpe(paired.r, paired.b) * math.sqrt(P),
            "n_benchmark_returns": len(paired),
        }
    return want


# ---------------------------------------------------------------------------
# The definitions, written once
# ---------------------------------------------------------------------------

def test_definitions_doc_and_dbt_docs_block_are_one_text():
    block = DOCS_BLOCK.read_text()
    match = re.fullmatch(r"\{% docs risk_definitions %\}\n(.*)\{% enddocs %\}\n", block, re.S)
    assert match, f"{DOCS_BLOCK} is not one docs block named risk_definitions"
    assert match.group(1) == DEFINITIONS.read_text(), f"{DOCS_BLOCK} and {DEFINITIONS} differ: copy the doc over"


def test_periods_per_year_follow_the_365_day_calendar():
    documented = dict(re.findall(r"^\| (\d+[mhd]) \| (\d+) \|$", DEFINITIONS.read_text(), re.M))
    macro = dict(re.findall(r'"(\d+[mhd])": (\d+)', CONSTANTS_MACRO.read_text()))
    assert {tf: int(n) for tf, n in documented.items()} == risk.PERIODS_PER_YEAR
    assert {tf: int(n) for tf, n in macro.items()} == risk.PERIODS_PER_YEAR
    for timeframe, periods in risk.PERIODS_PER_YEAR.items():
        assert risk.periods_per_year(timeframe) == periods == 365 * 24 * 3600 * 1000 / timeframe_ms(timeframe)


def test_normal_quantile_constants_are_the_inverse_normal_cdf():
    constants = dict(re.findall(r'"(0\.\d+)": "(-[\d.]+)"', CONSTANTS_MACRO.read_text()))
    assert set(constants) == {"0.05", "0.01"}
    for tail, z in constants.items():
        assert float(z) == NormalDist().inv_cdf(float(tail)) == risk.normal_quantile(float(tail))
        assert math.isclose(float(z), stats.norm.ppf(float(tail)), rel_tol=1e-15)
        assert z in DEFINITIONS.read_text()


# ---------------------------------------------------------------------------
# The Python module on its own (against scipy, numerical integration, a hand-made path)
# ---------------------------------------------------------------------------

def test_parametric_var_and_cvar_are_the_normal_tail():
    r = np.random.default_rng(7).normal(0.001, 0.03, 400)
    mu, sd = r.mean(), r.std(ddof=1)
    for confidence, a in ((0.95, 0.05), (0.99, 0.01)):
        q = stats.norm.ppf(a, mu, sd)
        tail_mean = stats.norm.expect(lambda x: x, loc=mu, scale=sd, ub=q, conditional=True)
        assert math.isclose(risk.gaussian_var(r, confidence), -q, rel_tol=1e-12)
        assert math.isclose(risk.gaussian_cvar(r, confidence), -tail_mean, rel_tol=1e-7)
        assert risk.gaussian_cvar(r, confidence) > risk.gaussian_var(r, confidence) > 0


def test_cornish_fisher_cvar_is_the_tail_mean_of_the_expansion():
    for skew, kurt in ((0.0, 0.0), (0.8, 1.3), (-0.6, 3.0)):
        for a in (0.05, 0.01):
            z = risk.normal_quantile(a)
            numeric, _ = integrate.quad(lambda u: risk.cornish_fisher_z(stats.norm.ppf(u), skew, kurt), 0, a,
                                        epsabs=1e-13, epsrel=1e-12, limit=200)
            assert math.isclose(risk.cornish_fisher_tail_mean(z, a, skew, kurt), numeric / a, rel_tol=1e-8)
    r = np.random.default_rng(3).normal(0.0, 0.02, 300)
    r = r - r.mean() + 0.001  # still skewed a little: check the no-skew limit on the formula itself
    s, k = risk.skewness(r), risk.excess_kurtosis(r)
    assert math.isclose(risk.cornish_fisher_z(-1.6, 0.0, 0.0), -1.6)
    assert math.isclose(risk.cornish_fisher_var(r, 0.95),
                        -(r.mean() + risk.cornish_fisher_z(risk.normal_quantile(0.05), s, k) * r.std(ddof=1)))


def test_drawdown_counts_the_starting_wealth_and_measures_the_episode():
    days = pd.to_datetime(["2023-01-02", "2023-01-03", "2023-01-04", "2023-01-06", "2023-01-07"]).date
    falls_first = pd.Series([-0.10, 0.05, 0.02, 0.10, -0.05], index=days)  # wealth .9 .945 .9639 1.06029 ..
    dd = risk.drawdown_details(falls_first, start=date(2023, 1, 1))
    assert dd.max_drawdown == pytest.approx(-0.10, rel=1e-12) == ep.max_drawdown(falls_first)
    assert (dd.peak_bar, dd.trough_bar, dd.recovery_bar, dd.duration_bars) == (0, 1, 4, 4)
    assert (dd.peak_date, dd.trough_date, dd.recovery_date) == (date(2023, 1, 1), days[0], days[3])
    assert dd.duration_days == 5  # bars != days: 2023-01-05 is absent

    never_back = pd.Series([0.05, -0.02, -0.04, 0.01, 0.0], index=days)
    dd = risk.drawdown_details(never_back, start=date(2023, 1, 1))
    assert dd.max_drawdown == pytest.approx(1.05 * 0.98 * 0.96 / 1.05 - 1, rel=1e-12)
    assert (dd.peak_bar, dd.trough_bar, dd.recovery_bar, dd.duration_bars, dd.duration_days) == (1, 3, None, 4, 5)

    only_up = pd.Series([0.01, 0.02, 0.0], index=days[:3])
    dd = risk.drawdown_details(only_up)
    assert (dd.max_drawdown, dd.duration_bars, dd.peak_date) == (0.0, 0, None)
    assert math.isnan(risk.calmar_ratio(only_up, P)) and math.isnan(risk.sortino_ratio(only_up, P))


# ---------------------------------------------------------------------------
# The marts on the real candles (the shared real_warehouse)
# ---------------------------------------------------------------------------

@pytest.fixture(scope="module")
def daily(real_warehouse) -> pd.DataFrame:
    return query(real_warehouse, "select * from int_daily_returns order by exchange, symbol, trade_date")


@pytest.fixture(scope="module")
def full(real_warehouse) -> pd.DataFrame:
    return query(real_warehouse, "select * from fct_risk_metrics").set_index(["exchange", "symbol"])


def test_daily_closes_are_the_last_candle_of_each_utc_day(daily, real_frames):
    for series, frame in real_frames.items():
        want = frame.groupby(frame.timestamp.dt.date)["close"].last()
        got = daily[(daily.exchange == series.exchange) & (daily.symbol == series.symbol)]
        assert list(pd.to_datetime(got.trade_date).dt.date) == list(want.index), series.label
        assert np.array_equal(got.close.to_numpy(), want.to_numpy()), series.label
        assert np.allclose(got.daily_return.iloc[1:], want.pct_change().iloc[1:], rtol=1e-12, atol=0)
        assert got.daily_return.iloc[0] != got.daily_return.iloc[0]  # the first day has no return
    n_days = daily.groupby(["exchange", "symbol"]).size().to_dict()
    assert n_days == {("bus_usd", "BTC/USD"): 21, ("bus_usdc", "BTC/USD"): 21, ("bus_usdt", "BTC/USD"): 21,
                      ("kraken", "BTC/USDC"): 90}


@pytest.mark.parametrize("exchange,symbol", REAL_SERIES)
def test_full_period_metrics_equal_empyrical(full, daily, exchange, symbol):
    rows = returns_of(daily, exchange, symbol)
    r = rows.daily_return
    want = empyrical_expectations(r, rows.benchmark_return.astype(float))
    got = full.loc[(exchange, symbol)].to_dict()
    assert got["n_returns"] == len(r) == (20 if exchange.startswith("bus") else 89)
    assert got["benchmark_symbol"] == symbol  # each real venue lists one BTC symbol: its own benchmark
    assert_rows_equal(got, want, want.keys(), f"{exchange} {symbol}")


@pytest.mark.parametrize("exchange,symbol", REAL_SERIES)
def test_full_period_metrics_equal_the_python_module(full, daily, exchange, symbol):
    rows = returns_of(daily, exchange, symbol)
    want = python_metrics(rows)
    got = full.loc[(exchange, symbol)].to_dict()
    assert_rows_equal(got, want, risk.METRIC_COLUMNS, f"{exchange} {symbol}")
    assert same(got["start_date"], rows.prev_trade_date.iloc[0]) and same(got["end_date"], rows.index[-1])


def test_rolling_metrics_equal_the_python_module_on_sampled_days(real_warehouse, daily):
    rolling = query(real_warehouse, "select * from fct_risk_metrics_rolling")
    rolling["as_of_date"] = pd.to_datetime(rolling.as_of_date).dt.date
    assert set(rolling.window_days) == {30, 90}
    checked, planned = 0, 0
    for exchange, symbol in (("kraken", "BTC/USDC"), ("bus_usdc", "BTC/USD")):
        rows = returns_of(daily, exchange, symbol)
        days = list(rows.index)
        sample = sorted({days[0], days[1], days[len(days) // 2], days[-1], *days[29:32], *days[::11]})
        want = risk.rolling_risk_metrics(rows.daily_return, P, prev_dates=rows.prev_trade_date,
                                         benchmark=rows.benchmark_return.astype(float), as_of=sample)
        planned += 2 * len(sample)  # both windows on every sampled day
        got = rolling[(rolling.exchange == exchange) & (rolling.symbol == symbol)]
        assert len(got) == 2 * len(days)  # one row per window per day with a return
        got = got.set_index(["window_days", "as_of_date"])
        for expected in want.to_dict("records"):
            row = got.loc[(expected["window_days"], expected["as_of_date"])].to_dict()
            assert_rows_equal(row, expected, ("start_date", "is_full_window", *risk.METRIC_COLUMNS),
                              f"{exchange} {symbol} {expected['window_days']}d to {expected['as_of_date']}")
            checked += 1
    # the kraken 90-day window on its last day holds all 89 returns: it is the full period
    last = rolling[(rolling.exchange == "kraken") & (rolling.window_days == 90)].sort_values("as_of_date").iloc[-1]
    assert last.n_returns == 89 and not last.is_full_window
    rows = returns_of(daily, "kraken", "BTC/USDC")
    window30 = rows.daily_return.iloc[-30:]
    last30 = rolling[(rolling.exchange == "kraken") & (rolling.window_days == 30)].sort_values("as_of_date").iloc[-1]
    assert last30.is_full_window and last30.n_returns == 30
    assert_rows_equal(last30.to_dict(), empyrical_expectations(window30, None),
                      empyrical_expectations(window30, None).keys(), "kraken 30d to 2023-03-31")
    assert checked == planned


# ---------------------------------------------------------------------------
# Benchmarks, finest timeframe and absent days: a warehouse of real candles arranged for them
# ---------------------------------------------------------------------------

GAP_DAY = date(2023, 3, 15)


@pytest.fixture(scope="module")
def arranged(tmp_path_factory, real_frames) -> Path:
    """Real candles re-labelled so that benchmarks differ from the series, a day is absent,
    a series has a coarser timeframe too, and one exchange lists no BTC symbol."""
    by_venue = {s.exchange: f for s, f in real_frames.items()}
    kraken = by_venue["kraken"]
    hourly = (kraken.set_index("timestamp").resample("1h")
              .agg({"open": "first", "high": "max", "low": "min", "volume": "sum"}).dropna().reset_index())
    hourly["close"] = hourly["open"]  # a coarser series whose daily closes differ from the 1m ones
    hourly["timestamp"] = hourly["timestamp"].astype("datetime64[ms, UTC]")
    usdt = by_venue["bus_usdt"]
    frames = {
        Series(exchange="kraken", symbol="BTC/USDC", timeframe="1m"): kraken,
        Series(exchange="kraken", symbol="BTC/USDC", timeframe="1h"): hourly[kraken.columns],
        Series(exchange="kraken", symbol="ETH/USD", timeframe="1m"): usdt[usdt.timestamp.dt.date != GAP_DAY],
        Series(exchange="bus_usd", symbol="BTC/USD", timeframe="1m"): by_venue["bus_usd"],
        Series(exchange="bus_usd", symbol="BTC/USDT", timeframe="1m"): usdt,
        Series(exchange="nobtc", symbol="ETH/USD", timeframe="1m"): by_venue["bus_usdc"],
    }
    data_dir = tmp_path_factory.mktemp("risk_arranged")
    write_raw(data_dir, frames)
    record_gap_day(data_dir, Series(exchange="kraken", symbol="ETH/USD", timeframe="1m"), GAP_DAY)
    run_dbt(["build", "--select", "+fct_risk_metrics", "+fct_risk_metrics_rolling"], data_dir)
    return data_dir


def record_gap_day(data_dir, series: Series, day) -> None:
    """The gap the gate would record for a day without a single candle (in the next day's partition)."""
    gap = pd.DataFrame({"gap_start": [pd.Timestamp(day, tz="UTC")],
                        "gap_end": [pd.Timestamp(day, tz="UTC") + pd.Timedelta(hours=23, minutes=59)],
                        "missing_candles": [1440]})
    next_day = (pd.Timestamp(day) + pd.Timedelta(days=1)).date().isoformat()
    write_atomic(gap, gaps_file(DataPaths(data_dir).gaps, series, next_day), schema=None)


def test_daily_returns_use_the_finest_of_equally_long_timeframes_and_leave_absent_days_absent(arranged, real_frames):
    daily = query(arranged, "select * from int_daily_returns")
    daily["trade_date"] = pd.to_datetime(daily.trade_date).dt.date
    kraken = daily[(daily.exchange == "kraken") & (daily.symbol == "BTC/USDC")].set_index("trade_date").sort_index()
    frame = next(f for s, f in real_frames.items() if s.exchange == "kraken")
    assert set(kraken.timeframe) == {"1m"}
    assert np.array_equal(kraken.close.to_numpy(), frame.groupby(frame.timestamp.dt.date)["close"].last().to_numpy())

    eth = daily[(daily.exchange == "kraken") & (daily.symbol == "ETH/USD")].set_index("trade_date").sort_index()
    after = GAP_DAY + pd.Timedelta(days=1)
    before = GAP_DAY - pd.Timedelta(days=1)
    assert GAP_DAY not in eth.index and len(eth) == 20
    assert eth.loc[after, "days_spanned"] == 2 and eth.loc[after, "prev_trade_date"] == pd.Timestamp(before)
    assert eth.loc[after, "daily_return"] == pytest.approx(eth.loc[after, "close"] / eth.loc[before, "close"] - 1, rel=1e-15)
    assert math.isnan(eth.loc[after, "benchmark_return"])  # kraken BTC/USDC's return spans one day only
    assert eth.benchmark_return.notna().sum() == 18


def test_daily_returns_prefer_the_longest_history_over_a_short_finer_one(tmp_path):
    """A year of 1h beside 3 days of 1m (the embedded default's history) gives daily returns for the year."""
    hourly_days, minute_days = 12, 2
    ts = pd.date_range("2024-01-01", periods=24 * hourly_days, freq="h", tz="UTC").astype("datetime64[ms, UTC]")
    close = 100 + np.arange(len(ts), dtype=float)
    hourly = pd.DataFrame({"timestamp": ts, "open": close, "high": close + 1, "low": close - 1, "close": close,
                           "volume": 1.0})
    minute_ts = pd.date_range(ts[-1] - pd.Timedelta(days=minute_days) + pd.Timedelta(hours=1),
                              periods=1440 * minute_days, freq="min").astype("datetime64[ms, UTC]")
    minute = hourly.iloc[:0].reindex(range(len(minute_ts))).assign(timestamp=minute_ts, open=1.0, high=1.0,
                                                                   low=1.0, close=1.0, volume=1.0)
    write_raw(tmp_path, {Series(exchange="sim_alpha", symbol="BTC/USDT", timeframe="1h"): hourly,
                         Series(exchange="sim_alpha", symbol="BTC/USDT", timeframe="1m"): minute})
    run_dbt(["build", "--select", "+int_daily_returns"], tmp_path)
    daily = query(tmp_path, "select timeframe, close from int_daily_returns order by trade_date")
    assert set(daily.timeframe) == {"1h"} and len(daily) == hourly_days
    assert daily.close.tolist() == [100 + 24 * d + 23.0 for d in range(hourly_days)]


def test_benchmark_is_the_btc_series_of_the_same_exchange(arranged):
    full = query(arranged, "select * from fct_risk_metrics").set_index(["exchange", "symbol"])
    assert full.benchmark_symbol.fillna("none").to_dict() == {
        ("kraken", "BTC/USDC"): "BTC/USDC", ("kraken", "ETH/USD"): "BTC/USDC",
        ("bus_usd", "BTC/USD"): "BTC/USD", ("bus_usd", "BTC/USDT"): "BTC/USD",  # USD before USDT
        ("nobtc", "ETH/USD"): "none",
    }
    nobtc = full.loc[("nobtc", "ETH/USD")]
    assert nobtc.n_benchmark_returns == 0
    assert all(pd.isna(nobtc[c]) for c in ("beta", "alpha", "correlation", "information_ratio"))
    assert pd.notna(nobtc.sharpe_ratio)


@pytest.mark.parametrize("exchange,symbol", [("kraken", "ETH/USD"), ("bus_usd", "BTC/USDT"), ("nobtc", "ETH/USD")])
def test_metrics_against_a_different_benchmark_equal_empyrical_and_the_python_module(arranged, exchange, symbol):
    daily = query(arranged, "select * from int_daily_returns")
    full = query(arranged, "select * from fct_risk_metrics").set_index(["exchange", "symbol"])
    rows = returns_of(daily, exchange, symbol)
    got = full.loc[(exchange, symbol)].to_dict()
    has_benchmark = rows.benchmark_symbol.notna().all()
    want = empyrical_expectations(rows.daily_return, rows.benchmark_return.astype(float) if has_benchmark else None)
    if has_benchmark:
        assert 0.5 < want["beta"] < 1.5 and want["beta"] != 1.0 and 0.9 < want["correlation"] < 1.0
    assert_rows_equal(got, want, want.keys(), f"{exchange} {symbol} vs empyrical")
    assert_rows_equal(got, python_metrics(rows), risk.METRIC_COLUMNS, f"{exchange} {symbol} vs risk.py")

    rolling = query(arranged, f"select * from fct_risk_metrics_rolling where exchange = '{exchange}' and symbol = '{symbol}'")
    rolling["as_of_date"] = pd.to_datetime(rolling.as_of_date).dt.date
    sample = [rows.index[5], rows.index[-4], rows.index[-1]]
    want_rolling = risk.rolling_risk_metrics(rows.daily_return, P, prev_dates=rows.prev_trade_date,
                                             benchmark=rows.benchmark_return.astype(float), as_of=sample)
    rolling = rolling.set_index(["window_days", "as_of_date"])
    for expected in want_rolling.to_dict("records"):
        row = rolling.loc[(expected["window_days"], expected["as_of_date"])].to_dict()
        assert_rows_equal(row, expected, ("start_date", "is_full_window", *risk.METRIC_COLUMNS),
                          f"{exchange} {symbol} rolling {expected['window_days']}d")
