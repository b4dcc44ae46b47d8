"""Each method against an independent solution, on the real candles and on the simulator."""
from __future__ import annotations

import numpy as np
import pytest
from skfolio.moments import LedoitWolf as SkfolioLedoitWolf

from include.portfolio import PortfolioSettings, optimise
from tests.portfolio.independent import (
    YEAR,
    kelly_formula,
    max_sharpe_slsqp,
    min_variance_closed_form,
    min_variance_slsqp,
    moments,
)

WEIGHT_TOL = 1e-6


def test_the_reference_covariance_is_skfolios_ledoit_wolf(dataset):
    """The independent references below solve on the covariance the optimiser uses (LedoitWolf)."""
    _, cov = moments(dataset)
    np.testing.assert_allclose(SkfolioLedoitWolf().fit(dataset).covariance_, cov, rtol=0, atol=1e-14)


def test_min_variance_unconstrained_equals_closed_form(dataset):
    expected = min_variance_closed_form(moments(dataset)[1])
    assert np.abs(expected).max() < 1.0, "the closed form must not touch the [-1, 1] bounds for this test"
    result = optimise(dataset, PortfolioSettings(method="min_variance", min_weight=-1.0, max_weight=1.0))
    assert result.ok and not result.fallback_used
    np.testing.assert_allclose(result.weights.to_numpy(), expected, rtol=0, atol=WEIGHT_TOL)


def test_min_variance_long_only_bounded_equals_slsqp(dataset):
    upper = 0.3 if dataset.shape[1] == 4 else 0.2
    expected = min_variance_slsqp(moments(dataset)[1], upper)
    assert expected.max() > upper - 1e-6, "the bound must bind, or this repeats the unconstrained test"
    result = optimise(dataset, PortfolioSettings(method="min_variance", max_weight=upper))
    assert result.ok
    np.testing.assert_allclose(result.weights.to_numpy(), expected, rtol=0, atol=WEIGHT_TOL)


@pytest.mark.parametrize("risk_free_annual", [0.0, 0.05])
def test_max_sharpe_equals_slsqp(dataset, risk_free_annual):
    upper = 0.6
    mu, cov = moments(dataset)
    expected = max_sharpe_slsqp(mu, cov, risk_free_annual / YEAR, upper)
    result = optimise(dataset, PortfolioSettings(method="max_sharpe", max_weight=upper, risk_free_rate=risk_free_annual))
    assert result.ok
    np.testing.assert_allclose(result.weights.to_numpy(), expected, rtol=0, atol=WEIGHT_TOL)


def test_target_return_is_the_least_variance_reaching_the_target(sim_returns):
    mu, cov = moments(sim_returns)
    target = float(np.quantile(mu, 0.75)) * YEAR  # above the minimum-variance portfolio's return
    result = optimise(sim_returns, PortfolioSettings(method="target_return", target_return=target))
    assert result.ok
    w = result.weights.to_numpy()
    assert w @ mu * YEAR == pytest.approx(target, abs=1e-6)  # the floor binds
    minvar = optimise(sim_returns, PortfolioSettings(method="min_variance")).weights.to_numpy()
    assert minvar @ mu * YEAR < target
    assert w @ cov @ w > minvar @ cov @ minvar


def test_risk_parity_contributions_are_equal(dataset):
    _, cov = moments(dataset)
    result = optimise(dataset, PortfolioSettings(method="risk_parity"))
    assert result.ok
    w = result.weights.to_numpy()
    contributions = w * (cov @ w) / (w @ cov @ w)
    np.testing.assert_allclose(contributions, np.full(len(w), 1 / len(w)), rtol=0, atol=1e-6)


def test_hrp_is_long_only_fully_invested_and_differs_from_equal_weight(dataset):
    result = optimise(dataset, PortfolioSettings(method="hrp"))
    w = result.weights.to_numpy()
    assert result.ok and (w >= 0).all() and w.sum() == pytest.approx(1.0, abs=1e-12)
    assert np.abs(w - 1 / len(w)).max() > 1e-3


@pytest.mark.parametrize("fraction, cap, lower, upper", [(0.5, 1.0, 0.0, 1.0), (1.0, 0.8, -0.3, 0.35), (0.1, 1.0, -1.0, 1.0)])
def test_kelly_equals_its_formula(dataset, fraction, cap, lower, upper):
    mu, cov = moments(dataset)
    settings = PortfolioSettings(method="kelly", kelly_fraction=fraction, kelly_cap=cap, min_weight=lower,
                                 max_weight=upper, risk_free_rate=0.04)
    expected = kelly_formula(mu, cov, 0.04 / YEAR, fraction, lower, upper, cap)
    result = optimise(dataset, settings)
    assert result.ok
    np.testing.assert_allclose(result.weights.to_numpy(), expected, rtol=0, atol=1e-10)
    assert np.abs(result.weights).sum() <= cap + 1e-12


def test_black_litterman_views_tilt_the_weights(sim_returns):
    view = "BTC/USDT - ETH/USDT == {}"
    up = optimise(sim_returns, PortfolioSettings(method="black_litterman", views=[view.format(0.5)]))
    down = optimise(sim_returns, PortfolioSettings(method="black_litterman", views=[view.format(-0.5)]))
    assert up.ok and down.ok
    assert up.weights["BTC/USDT"] > down.weights["BTC/USDT"]
    assert up.weights["ETH/USDT"] < down.weights["ETH/USDT"]
    absolute = optimise(sim_returns, PortfolioSettings(method="black_litterman", views=["SOL/USDT == 2.0"]))
    assert absolute.ok and absolute.weights.idxmax() == "SOL/USDT"


def test_diagnostics_are_annualised_on_365_days(sim_returns):
    mu, cov = moments(sim_returns)
    result = optimise(sim_returns, PortfolioSettings(method="min_variance", cash_buffer=0.1, risk_free_rate=0.02))
    w = result.weights.to_numpy()
    assert result.diagnostics["expected_return_annual"] == pytest.approx((w @ mu + 0.1 * 0.02 / 365) * 365, rel=1e-9)
    assert result.diagnostics["volatility_annual"] == pytest.approx(np.sqrt(w @ cov @ w * 365), rel=1e-9)
