"""The equal-weight universe portfolio (fct_portfolio_daily, fct_portfolio_risk_rolling) on the real
candles, against pandas and include/metrics/risk.py (itself held to empyrical)."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from include.metrics import risk
from tests.warehouse.conftest import query
from tests.warehouse.test_risk_metrics import P, assert_rows_equal

CAPITAL = 100_000.0  # dbt var portfolio_capital


@pytest.fixture(scope="module")
def portfolio(real_warehouse) -> pd.DataFrame:
    frame = query(real_warehouse, "select * from fct_portfolio_daily order by trade_date")
    return frame.assign(trade_date=pd.to_datetime(frame.trade_date).dt.date)


@pytest.fixture(scope="module")
def expected(real_warehouse) -> pd.DataFrame:
    """The portfolio by hand: mean one-day return of the series with one that day, compounded."""
    daily = query(real_warehouse, "select * from int_daily_returns where days_spanned = 1")
    days = daily.groupby(pd.to_datetime(daily.trade_date).dt.date).agg(
        n_series=("daily_return", "size"), daily_return=("daily_return", "mean"),
        benchmark_return=("benchmark_return", "mean")).sort_index()
    equity = CAPITAL * np.cumprod(1 + days.daily_return.to_numpy())
    peak = np.maximum.accumulate(np.maximum(equity, CAPITAL))
    drawdown = equity / peak - 1
    level = np.select([drawdown <= -0.15, drawdown <= -0.10, drawdown <= -0.05], [3, 2, 1], 0)
    return days.assign(equity=equity, pnl=np.diff(np.concatenate([[CAPITAL], equity])), drawdown=drawdown,
                       breaker_level=level).reset_index(names="trade_date")


def test_daily_rows_are_the_mean_return_compounded_from_the_capital(portfolio, expected):
    assert list(portfolio.trade_date) == list(expected.trade_date)
    assert portfolio.n_series.tolist() == expected.n_series.tolist()
    for column in ("daily_return", "benchmark_return", "equity", "pnl", "drawdown"):
        np.testing.assert_allclose(portfolio[column], expected[column], rtol=1e-12, atol=1e-9, err_msg=column)
    assert portfolio.breaker_level.tolist() == expected.breaker_level.tolist()
    assert portfolio.pnl.sum() == pytest.approx(portfolio.equity.iloc[-1] - CAPITAL, rel=1e-12)


def test_the_usdc_depeg_shows_in_the_portfolio_drawdown(portfolio):
    # March 2023: BTC fell into 10 March and rallied after the de-peg weekend
    march = portfolio[[d.month == 3 for d in portfolio.trade_date]]
    assert march.drawdown.min() < -0.05 and (march.breaker_level >= 1).any()


def test_rolling_metrics_equal_the_python_module(real_warehouse, portfolio):
    rolling = query(real_warehouse, "select * from fct_portfolio_risk_rolling")
    rolling["as_of_date"] = pd.to_datetime(rolling.as_of_date).dt.date
    assert len(rolling) == 2 * len(portfolio) and set(rolling.portfolio) == {"equal_weight"}
    rows = portfolio.set_index("trade_date")
    days = list(rows.index)
    sample = sorted({days[0], days[1], days[29], days[30], days[len(days) // 2], days[-1], *days[::13]})
    prev = pd.Series([d - pd.Timedelta(days=1) for d in days], index=rows.index)
    want = risk.rolling_risk_metrics(rows.daily_return, P, prev_dates=prev,
                                     benchmark=rows.benchmark_return.astype(float), as_of=sample)
    got = rolling.set_index(["window_days", "as_of_date"])
    for expected in want.to_dict("records"):
        row = got.loc[(expected["window_days"], expected["as_of_date"])].to_dict()
        assert_rows_equal(row, expected, ("start_date", *risk.METRIC_COLUMNS),
                          f"portfolio {expected['window_days']}d to {expected['as_of_date']}")
