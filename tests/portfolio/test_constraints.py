"""Turnover cap, cash buffer, bounds and the failure policy, for every method."""
from __future__ import annotations

import logging

import numpy as np
import pandas as pd
import pytest

from include.portfolio import Method, PortfolioInputError, PortfolioSettings, optimise
from tests.portfolio.independent import min_variance_slsqp, moments

TOL = 1e-6
METHOD_EXTRAS = {
    Method.TARGET_RETURN: {"target_return": 0.0},
    Method.BLACK_LITTERMAN: {"views": ["BTC/USDT - ETH/USDT == 0.05"]},
}


def settings_for(method: Method, **kw) -> PortfolioSettings:
    return PortfolioSettings(method=method, **METHOD_EXTRAS.get(method, {}), **kw)


def equal_weights(returns: pd.DataFrame, total: float = 1.0) -> pd.Series:
    return pd.Series(total / returns.shape[1], index=returns.columns)


@pytest.mark.parametrize("method", list(Method))
def test_turnover_cap_and_cash_buffer_hold(sim_returns, method):
    current = equal_weights(sim_returns)
    free = optimise(sim_returns, settings_for(method, cash_buffer=0.05, max_weight=0.4), current)
    assert free.ok and free.turnover > 0.1, "the unconstrained move must exceed the cap for this test to bite"
    capped = optimise(sim_returns, settings_for(method, cash_buffer=0.05, max_weight=0.4, max_turnover=0.1), current)
    w = capped.weights
    assert capped.ok and not capped.fallback_used and w.notna().all()
    assert np.abs(w - current).sum() <= 0.1 + TOL
    assert capped.turnover == pytest.approx(np.abs(w - current).sum())
    assert (w <= 0.4 + TOL).all() and (w >= -TOL).all()
    if method is Method.KELLY:
        assert np.abs(w).sum() <= 0.95 + TOL
    else:
        assert w.sum() == pytest.approx(0.95, abs=TOL)
        assert capped.cash == pytest.approx(0.05, abs=TOL)


@pytest.mark.parametrize("method", [Method.RISK_PARITY, Method.HRP])
def test_turnover_blend_is_the_least_share_needed(sim_returns, method):
    current = equal_weights(sim_returns)
    free = optimise(sim_returns, settings_for(method), current)
    capped = optimise(sim_returns, settings_for(method, max_turnover=0.05), current)
    # current weights are feasible, so the blend is linear: turnover = (1 - a) * free turnover
    assert capped.turnover_blend == pytest.approx(1 - 0.05 / free.turnover, abs=1e-9)
    expected = (1 - capped.turnover_blend) * free.weights + capped.turnover_blend * current
    np.testing.assert_allclose(capped.weights, expected, atol=1e-12)


def test_min_variance_with_turnover_cap_beats_the_blend(sim_returns):
    """MeanRisk's turnover constraint is inside the optimisation: no worse than blending."""
    current = equal_weights(sim_returns)
    _, cov = moments(sim_returns)
    free = optimise(sim_returns, settings_for(Method.MIN_VARIANCE), current).weights.to_numpy()
    capped = optimise(sim_returns, settings_for(Method.MIN_VARIANCE, max_turnover=0.1), current).weights.to_numpy()
    share = 0.1 / np.abs(free - current).sum()
    blend = share * free + (1 - share) * current.to_numpy()
    assert capped @ cov @ capped <= blend @ cov @ blend + 1e-12


def test_cash_buffer_scales_min_variance_exactly(real_returns):
    """With cash, minimum variance is the fully invested answer for the invested part (bounds scaled)."""
    _, cov = moments(real_returns)
    result = optimise(real_returns, PortfolioSettings(method="min_variance", cash_buffer=0.2, max_weight=0.24))
    expected = 0.8 * min_variance_slsqp(cov, 0.24 / 0.8)
    assert result.ok and result.weights.sum() == pytest.approx(0.8, abs=1e-12)
    np.testing.assert_allclose(result.weights.to_numpy(), expected, atol=TOL)


def test_per_asset_bounds_hold(sim_returns):
    settings = PortfolioSettings(method="max_sharpe", bounds={"BTC/USDT": {"min": 0.3, "max": 0.35}, "SOL/USDT": {"max": 0.0}})
    w = optimise(sim_returns, settings).weights
    assert 0.3 - TOL <= w["BTC/USDT"] <= 0.35 + TOL
    assert w["SOL/USDT"] == pytest.approx(0.0, abs=TOL)


@pytest.mark.parametrize("method", list(Method))
def test_max_weight_too_small_keeps_current_weights(real_returns, method, caplog):
    current = pd.Series([0.4, 0.3, 0.2, 0.0], index=real_returns.columns)
    settings = settings_for(method, max_weight=0.2, cash_buffer=0.1) if method is not Method.BLACK_LITTERMAN else \
        PortfolioSettings(method=method, max_weight=0.2, cash_buffer=0.1, views=["kraken - bus_usd == 0.1"])
    with caplog.at_level(logging.WARNING, logger="include.portfolio.optimise"):
        result = optimise(real_returns, settings, current)
    if method is Method.KELLY:  # Kelly sums to at most 1 - cash_buffer: 4 x 0.2 is enough
        assert result.ok and not result.fallback_used
        assert (result.weights <= 0.2 + 1e-9).all() and result.weights.sum() <= 0.9 + 1e-9
        return
    assert not result.ok and result.fallback_used
    assert "max_weight" in result.reason and "0.8" in result.reason and "0.9" in result.reason
    pd.testing.assert_series_equal(result.weights, current.rename("weight"))
    assert result.reason in caplog.text


def test_no_current_weights_fall_back_to_cash(real_returns):
    result = optimise(real_returns, PortfolioSettings(method="min_variance", max_weight=0.1))
    assert result.fallback_used and (result.weights == 0).all() and result.cash == 1.0


def test_turnover_too_small_to_reach_the_budget(real_returns):
    result = optimise(real_returns, PortfolioSettings(method="risk_parity", max_turnover=0.5))  # from all cash
    assert result.fallback_used and "max_turnover 0.5" in result.reason and "least turnover 1" in result.reason
    assert (result.weights == 0).all()


def test_long_only_methods_refuse_shorts(sim_returns):
    result = optimise(sim_returns, PortfolioSettings(method="hrp", min_weight=-0.1))
    assert result.fallback_used and "long-only" in result.reason


def test_target_out_of_reach_and_returns_below_risk_free(sim_returns):
    current = equal_weights(sim_returns)
    far = optimise(sim_returns, PortfolioSettings(method="target_return", target_return=50.0), current)
    assert far.fallback_used and "target_return 50" in far.reason
    assert far.weights.notna().all() and far.weights.equals(current.rename("weight"))
    losing = optimise(sim_returns - 0.01, PortfolioSettings(method="max_sharpe"), current)
    assert losing.fallback_used and "risk-free" in losing.reason


def test_black_litterman_unknown_symbol_names_it(sim_returns):
    result = optimise(sim_returns, PortfolioSettings(method="black_litterman", views=["DOGE/USDC == 0.1"]))
    assert result.fallback_used and "DOGE/USDC" in result.reason


def test_bad_input_raises_one_clear_error(sim_returns):
    with pytest.raises(PortfolioInputError, match="'PEPE/USDT'.*no returns"):
        optimise(sim_returns, PortfolioSettings(), {"PEPE/USDT": 0.1})
    holed = sim_returns.copy()
    holed.iloc[3, 2] = np.nan
    with pytest.raises(PortfolioInputError, match="'SOL/USDT'.*never fill"):
        optimise(holed, PortfolioSettings())
