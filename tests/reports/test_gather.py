"""A report's figures are the warehouse's: gathered from the exports of a warehouse built on the
real candles (kraken BTC/USDC January to March 2023, three Binance.US BTC books 1 to 21 March)."""
from __future__ import annotations

from datetime import date, datetime, timezone

import numpy as np
import pandas as pd
import pytest

from include.reports.formatting import pct
from include.reports.gather import gather
from include.reports.model import ReportPeriod
from include.warehouse.exports import EXPORTED_MARTS, export_marts
from tests.warehouse.conftest import query

NOW = datetime(2023, 4, 3, 6, 30, tzinfo=timezone.utc)


@pytest.fixture(scope="module")
def exported(real_warehouse):
    export_marts(real_warehouse, EXPORTED_MARTS)
    return real_warehouse


def warehouse_row(data_dir, table: str, where: str) -> dict:
    return query(data_dir, f"select * from {table} where {where}").iloc[0].to_dict()


def test_daily_headline_is_the_warehouse_row_of_the_day(exported):
    data = gather(exported, ReportPeriod.covering("daily", date(2023, 3, 13)), NOW)
    day = warehouse_row(exported, "fct_portfolio_daily", "trade_date = '2023-03-13'")
    before = warehouse_row(exported, "fct_portfolio_daily", "trade_date = '2023-03-12'")
    risk = warehouse_row(exported, "fct_portfolio_risk_rolling", "as_of_date = '2023-03-13' and window_days = 90")
    head = data.headline
    assert head.as_of == date(2023, 3, 13)
    assert (head.equity, head.pnl, head.drawdown, head.breaker_level) == (
        day["equity"], day["pnl"], day["drawdown"], day["breaker_level"])
    assert head.period_return == pytest.approx(day["equity"] / before["equity"] - 1, rel=1e-12)
    assert (head.sharpe_ratio, head.sortino_ratio, head.calmar_ratio, head.max_drawdown) == (
        risk["sharpe_ratio"], risk["sortino_ratio"], risk["calmar_ratio"], risk["max_drawdown"])
    assert (head.var_95, head.cvar_95, head.var_99, head.cvar_99) == (
        risk["var_hist_95"], risk["cvar_hist_95"], risk["var_hist_99"], risk["cvar_hist_99"])
    assert set(data.performers.series) == {"kraken BTC/USDC", "bus_usd BTC/USD", "bus_usdc BTC/USD", "bus_usdt BTC/USD"}
    assert data.performers.period_return.is_monotonic_decreasing


def test_weekly_pnl_sums_the_days_and_the_return_compounds_them(exported):
    data = gather(exported, ReportPeriod.covering("weekly", date(2023, 3, 8)), NOW)  # Monday 6 to Sunday 12 March
    week = query(exported, "select * from fct_portfolio_daily where trade_date between '2023-03-06' and '2023-03-12'")
    before = warehouse_row(exported, "fct_portfolio_daily", "trade_date = '2023-03-05'")
    assert data.headline.as_of == date(2023, 3, 12)
    assert data.headline.pnl == pytest.approx(week.pnl.sum(), abs=1e-6)
    assert data.headline.period_return == pytest.approx(week.equity.iloc[-1] / before["equity"] - 1, rel=1e-12)
    assert data.headline.period_return == pytest.approx((1 + week.daily_return).prod() - 1, rel=1e-9)
    assert data.equity.trade_date.max() == date(2023, 3, 12)  # nothing after the period leaks in


def test_the_depeg_days_trip_the_breaker_and_need_attention(exported):
    # BTC fell about 18 % from its February peak into 10 March: the portfolio's breaker reached halt
    day = gather(exported, ReportPeriod.covering("daily", date(2023, 3, 10)), NOW)
    row = warehouse_row(exported, "fct_portfolio_daily", "trade_date = '2023-03-10'")
    assert (day.headline.breaker_level, day.headline.breaker_state, day.headline.drawdown) == (3, "halt", row["drawdown"])
    peak = query(exported, "select max(trade_date) as d from fct_portfolio_daily "
                           "where drawdown >= 0 and trade_date <= '2023-03-10'").d.iloc[0]
    assert day.headline.peak_date == pd.Timestamp(peak).date() < date(2023, 3, 10)
    assert day.attention[0] == (f"circuit breaker at level 3 (halt) on 2023-03-10: drawdown {pct(row['drawdown'])} "
                                f"from the peak of {pd.Timestamp(peak).date()}")  # the date reads as the peak's
    week = gather(exported, ReportPeriod.covering("weekly", date(2023, 3, 10)), NOW)  # ends Sunday 12 March
    assert week.headline.breaker_state == "halve"
    after = gather(exported, ReportPeriod.covering("weekly", date(2023, 3, 15)), NOW)  # the de-peg window ended
    declared = after.stress[after.stress.scenario == "usdc_depeg_2023"]
    assert len(declared) == 1 and declared.portfolio_return.notna().all()


def test_a_period_before_any_data_says_so(exported):
    data = gather(exported, ReportPeriod.covering("daily", date(2022, 12, 1)), NOW)
    assert data.headline.equity is None and data.equity.empty and data.performers.empty
    assert "after this period" in data.missing["headline"] and "no series has a close" in data.missing["performers"]
    assert "no paper trades yet" in data.missing["trades"]


def test_a_day_some_series_lack_is_named(exported):
    data = gather(exported, ReportPeriod.covering("daily", date(2023, 2, 10)), NOW)  # only kraken trades in February
    assert list(data.performers.series) == ["kraken BTC/USDC"]
    assert "no data between 2023-02-10 and 2023-02-10 for bus_usd BTC/USD, bus_usdc BTC/USD, bus_usdt BTC/USD" \
        in data.attention


def test_correlation_is_the_latest_rolling_window_ending_in_the_period(exported):
    data = gather(exported, ReportPeriod.covering("daily", date(2023, 3, 21)), NOW)
    matrix = data.correlation
    assert list(matrix.index) == list(matrix.columns) and len(matrix) == 4
    assert (matrix.values.diagonal() == 1.0).all()
    pair = warehouse_row(exported, "fct_correlation", "window_type = 'rolling' and exchange_a = 'bus_usd' and "
                         "exchange_b = 'bus_usdc' and window_end <= '2023-03-21' order by window_end desc limit 1")
    assert matrix.loc["bus_usd BTC/USD", "bus_usdc BTC/USD"] == pair["correlation"]


def test_no_export_at_all_is_an_empty_report_with_reasons(tmp_path):
    data = gather(tmp_path, ReportPeriod.covering("daily", date(2024, 1, 1)), NOW)
    assert "run market_data_ingest and warehouse_build" in data.missing["headline"]
    assert data.quality.empty and "was validated" in data.missing["quality"]
    assert isinstance(data.sweeps_best, pd.DataFrame) and data.sweeps_best.empty


def test_volatility_regimes_are_causal_percentiles_of_the_rolling_volatility(exported):
    early = gather(exported, ReportPeriod.covering("daily", date(2023, 2, 15)), NOW)
    late = gather(exported, ReportPeriod.covering("daily", date(2023, 3, 31)), NOW)
    shared = late.regimes[late.regimes.trade_date <= date(2023, 2, 15)].reset_index(drop=True)
    pd.testing.assert_frame_equal(shared, early.regimes)  # later days never relabel earlier ones
    assert set(late.regimes.volatility_regime) <= {"low", "normal", "high"}  # rising vol in Q1 2023: no "low" day
    first = late.rolling.as_of_date.iloc[9]
    assert late.regimes.trade_date.iloc[0] == first  # ten days of volatility before the first label
    vol = late.rolling.set_index("as_of_date").annual_volatility
    top = vol.loc[:date(2023, 3, 31)].idxmax()
    assert late.regimes.set_index("trade_date").volatility_regime[top] == "high"


def test_a_past_report_lists_no_stress_window_that_ended_after_it(exported):
    early = gather(exported, ReportPeriod.covering("daily", date(2023, 3, 5)), NOW)
    late = gather(exported, ReportPeriod.covering("daily", date(2023, 3, 31)), NOW)
    historical = early.stress[early.stress.scenario_type.str.startswith("historical")]
    assert all(end <= date(2023, 3, 5) for end in historical.window_end)
    assert "usdc_depeg_2023" not in set(early.stress.scenario) and "usdc_depeg_2023" in set(late.stress.scenario)
    assert set(early.stress.scenario_type) >= {"hypothetical_shock"}


def test_three_venues_of_one_coin_read_as_one_asset_with_venue_detail(exported):
    data = gather(exported, ReportPeriod.covering("daily", date(2023, 3, 13)), NOW)  # the USDC de-peg's end
    assert list(data.assets.asset) == ["BTC"] and data.assets.venues.iloc[0] == 4
    assert data.assets.period_return.iloc[0] == pytest.approx(data.performers.period_return.mean())
    assert list(data.allocation.series) == ["BTC (4 venues)"] and data.allocation.weight.sum() == pytest.approx(1)
    venue = data.venues.iloc[0]
    closes = data.performers.set_index("series").close
    assert venue.basis_bps == pytest.approx((closes.max() / closes.min() - 1) * 10_000)
    off_diagonal = data.correlation.where(~pd.DataFrame(np.eye(4, dtype=bool), index=data.correlation.index,
                                                        columns=data.correlation.columns)).stack()
    assert venue.min_correlation == pytest.approx(off_diagonal.min())


def test_stress_amounts_are_in_the_report_currency_and_every_n_a_has_a_reason(exported):
    data = gather(exported, ReportPeriod.covering("daily", date(2023, 3, 21)), NOW, currency="USDT")
    stress = data.stress
    has_return = stress.portfolio_return.notna()
    assert (stress.amount[has_return] == stress.portfolio_return[has_return] * data.headline.equity).all()
    assert stress.amount[~has_return].isna().all() and (stress.note[~has_return] != "").all()
    assert (stress.note[has_return] == "").all()
