"""Target weights from daily returns: one entry point, `optimise`, for every method.

The optimisers are skfolio's (MeanRisk, RiskBudgeting, HierarchicalRiskParity, the
BlackLitterman prior) on a Ledoit-Wolf covariance; Kelly, the turnover blend for
methods without a turnover constraint and the polishing of the solvers' answers are
ours (include.portfolio.kelly, .constraints, .polish).

The cash buffer: each skfolio method solves for the invested part v (sum(v) = 1, bounds,
turnover and return target divided by 1 - cash_buffer) and the weights are
w = (1 - cash_buffer) * v. With cash earning the risk-free rate this is the same
problem as optimising w directly (variance scales by (1 - b)^2, the Sharpe ratio not at
all), and it lets risk parity and HRP, whose budget skfolio fixes at 1, honour it too.

Failure policy: an infeasible set of constraints, a solver failure or an answer that
breaks a constraint returns the CURRENT weights (all cash when there are none) with
ok=False, fallback_used=True and one reason, logged as a warning. Never NaN weights.
Bad input (non-finite returns, a held symbol without returns) raises PortfolioInputError.
"""
from __future__ import annotations

import logging
from collections.abc import Mapping

import cvxpy as cp
import numpy as np
import pandas as pd
from skfolio.exceptions import SkfolioError
from skfolio.measures import RiskMeasure
from skfolio.moments import EquilibriumMu, LedoitWolf, ShrunkCovariance
from skfolio.optimization import HierarchicalRiskParity, MeanRisk, ObjectiveFunction, RiskBudgeting
from skfolio.prior import BlackLitterman, EmpiricalPrior

from include.portfolio.constraints import (
    Limits,
    PortfolioInputError,
    blend_to_turnover,
    current_vector,
    infeasibility,
    turnover,
    violation,
)
from include.portfolio.kelly import kelly_weights
from include.portfolio.polish import polish_max_sharpe, polish_min_variance, polish_risk_parity
from include.portfolio.result import OptimisationResult
from include.portfolio.settings import Method, PortfolioSettings
from include.timeframes import YEAR_DAYS

log = logging.getLogger(__name__)

# Tighter than Clarabel's defaults (1e-8): daily variances are ~1e-3, so the default gaps leave
# weights ~1e-5 off; below 1e-10 Clarabel stalls ("almost solved"). include.portfolio.polish
# takes the mean-variance answers the rest of the way.
SOLVER_PARAMS = {"tol_gap_abs": 1e-10, "tol_gap_rel": 1e-10, "tol_feas": 1e-10, "max_iter": 500}
_SOLVER_FAILURES = (SkfolioError, cp.SolverError, ValueError, ArithmeticError, np.linalg.LinAlgError)
_LONG_ONLY = (Method.RISK_PARITY, Method.HRP)
_SOLVER_TURNOVER = (Method.MIN_VARIANCE, Method.TARGET_RETURN, Method.MAX_SHARPE, Method.BLACK_LITTERMAN)


def optimise(
    returns: pd.DataFrame,
    settings: PortfolioSettings,
    current_weights: Mapping[str, float] | pd.Series | None = None,
) -> OptimisationResult:
    """Target weights for the symbols in `returns` (daily simple returns, dates x symbols)."""
    returns = _checked(returns)
    symbols = list(returns.columns)
    method = settings.method
    limits = _limits(settings, symbols, current_vector(symbols, current_weights))
    reason = infeasibility(limits)
    if reason is None and method in _LONG_ONLY and (limits.lower < 0).any():
        reason = f"infeasible: method {method.value!r} is long-only; min_weight and bounds must be >= 0"
    if reason is not None:
        return _keep_current(limits, method, reason)

    try:
        target = _solve(method, returns, settings, limits)
    except _SOLVER_FAILURES as exc:
        log.debug("portfolio %s: solver failure", method.value, exc_info=True)
        return _keep_current(limits, method, _failure_reason(method, settings, exc))

    blend = 0.0
    if method not in _SOLVER_TURNOVER:
        target, blend = blend_to_turnover(target, limits)
        if blend:
            log.info("portfolio %s: kept %.1f%% of the move to respect max_turnover %.4g",
                     method.value, 100 * (1 - blend), limits.max_turnover)
    reason = violation(target, limits)
    if reason is not None:
        return _keep_current(limits, method, f"{method.value}: {reason}")

    target = np.clip(target, limits.lower, limits.upper)  # solver noise (< TOLERANCE) off the bounds
    weights = pd.Series(target, index=symbols, name="weight")
    result = OptimisationResult(
        weights=weights, method=method.value, ok=True, turnover=turnover(target, limits.current),
        turnover_blend=blend, diagnostics=_diagnostics(returns, settings, target),
    )
    log.info("portfolio %s: %d assets, invested %.4f, turnover %.4f", method.value, len(symbols),
             weights.sum(), result.turnover)
    return result


def _failure_reason(method: Method, settings: PortfolioSettings, exc: Exception) -> str:
    """One sentence: what was asked, under which constraints, and the library's own words."""
    asked = {
        Method.TARGET_RETURN: f"no portfolio reaches target_return {settings.target_return:g}" if settings.target_return is not None else "",
        Method.BLACK_LITTERMAN: "the Black-Litterman views or the maximum Sharpe problem could not be solved",
        Method.MAX_SHARPE: "the maximum Sharpe problem could not be solved",
    }.get(method, f"{method.value} could not be solved")
    limits = [f"min_weight {settings.min_weight:g}", f"max_weight {settings.max_weight:g}",
              f"cash_buffer {settings.cash_buffer:g}"]
    if settings.bounds:
        limits.append(f"bounds for {len(settings.bounds)} symbol(s)")
    if settings.max_turnover is not None:
        limits.append(f"max_turnover {settings.max_turnover:g}")
    return f"infeasible or failed: {asked} within {', '.join(limits)} ({type(exc).__name__}: {exc})"


def _checked(returns: pd.DataFrame) -> pd.DataFrame:
    if not isinstance(returns, pd.DataFrame):
        raise PortfolioInputError(f"returns must be a DataFrame of daily returns (dates x symbols), got {type(returns).__name__}")
    if returns.shape[1] == 0:
        raise PortfolioInputError("returns have no symbols (columns); give at least one")
    if returns.shape[0] < 2:
        raise PortfolioInputError(f"returns have {returns.shape[0]} day(s); at least 2 are needed")
    if returns.columns.duplicated().any():
        raise PortfolioInputError(f"symbol {returns.columns[returns.columns.duplicated()][0]!r} appears twice in returns")
    values = returns.to_numpy(dtype="float64")
    if not np.isfinite(values).all():
        row, col = np.argwhere(~np.isfinite(values))[0]
        raise PortfolioInputError(
            f"return of {returns.columns[col]!r} on {returns.index[row]} is {values[row, col]}; "
            "returns must be finite (drop days with a missing return, never fill them)"
        )
    return returns.astype("float64").rename(columns=str)


def _limits(settings: PortfolioSettings, symbols: list[str], current: np.ndarray) -> Limits:
    unused = sorted(set(settings.bounds) - set(symbols))
    if unused:
        log.info("portfolio: bounds for %s ignored: not among the optimised symbols", unused)
    bounds = np.array([settings.asset_bounds(s) for s in symbols], dtype="float64").reshape(len(symbols), 2)
    invested = 1.0 - settings.cash_buffer
    kelly = settings.method is Method.KELLY
    return Limits(
        symbols=tuple(symbols), lower=bounds[:, 0], upper=bounds[:, 1], invested=invested,
        max_turnover=settings.max_turnover, current=current,
        gross_cap=min(settings.kelly_cap, invested) if kelly else None,
    )


def _keep_current(limits: Limits, method: Method, reason: str) -> OptimisationResult:
    log.warning("portfolio %s: keeping the current weights: %s", method.value, reason)
    weights = pd.Series(limits.current.copy(), index=list(limits.symbols), name="weight")
    return OptimisationResult(weights=weights, method=method.value, ok=False, reason=reason, fallback_used=True)


def covariance_estimator(settings: PortfolioSettings):
    """Ledoit-Wolf (estimated intensity), or a fixed shrinkage toward the scaled identity."""
    if settings.shrinkage is None:
        return LedoitWolf()
    return ShrunkCovariance(shrinkage=settings.shrinkage)


def _prior(settings: PortfolioSettings):
    covariance = covariance_estimator(settings)
    if settings.method is not Method.BLACK_LITTERMAN:
        return EmpiricalPrior(covariance_estimator=covariance)
    # No market capitalisations in the warehouse: the equilibrium prior is the equal-weight one.
    return BlackLitterman(
        views=settings.daily_views(YEAR_DAYS),
        prior_estimator=EmpiricalPrior(mu_estimator=EquilibriumMu(), covariance_estimator=covariance_estimator(settings)),
        tau=settings.bl_tau,
        risk_free_rate=settings.risk_free_rate / YEAR_DAYS,
    )


def _solve(method: Method, returns: pd.DataFrame, settings: PortfolioSettings, limits: Limits) -> np.ndarray:
    """The method's weights w (fractions of capital), before the turnover blend and checks."""
    rf = settings.risk_free_rate / YEAR_DAYS
    if method is Method.KELLY:
        moments = EmpiricalPrior(covariance_estimator=covariance_estimator(settings)).fit(returns).return_distribution_
        return kelly_weights(moments.mu, moments.covariance, rf, settings.kelly_fraction,
                             limits.lower, limits.upper, limits.gross_cap)

    inv = limits.invested
    common = dict(prior_estimator=_prior(settings), min_weights=limits.lower / inv, max_weights=limits.upper / inv)
    if method is Method.RISK_PARITY:
        model = RiskBudgeting(risk_measure=RiskMeasure.VARIANCE, solver_params=SOLVER_PARAMS, **common)
    elif method is Method.HRP:
        model = HierarchicalRiskParity(risk_measure=RiskMeasure.VARIANCE, **common)
    else:
        extra = {}
        if limits.max_turnover is not None:
            extra["add_constraints"] = _turnover_constraint(limits.current / inv, limits.max_turnover / inv)
        if method is Method.MAX_SHARPE and (limits.lower >= 0).all() and (returns.mean() <= rf).all():
            raise ValueError(f"every asset's mean daily return is at or below the risk-free rate {rf:.3g} per day, "
                             "so no long-only portfolio has a positive Sharpe ratio (use min_variance or risk_parity)")
        if method in (Method.MAX_SHARPE, Method.BLACK_LITTERMAN):
            # Standard deviation, not variance: the ratio needs a 1-homogeneous risk.
            extra.update(objective_function=ObjectiveFunction.MAXIMIZE_RATIO,
                         risk_measure=RiskMeasure.STANDARD_DEVIATION, risk_free_rate=rf)
        else:
            extra.update(objective_function=ObjectiveFunction.MINIMIZE_RISK, risk_measure=RiskMeasure.VARIANCE)
        if method is Method.TARGET_RETURN:
            # w's expected return (1 - b) mu.v + b rf must reach the target.
            extra["min_return"] = (settings.target_return / YEAR_DAYS - settings.cash_buffer * rf) / inv
        model = MeanRisk(budget=1.0, solver_params=SOLVER_PARAMS, **common, **extra)
    model.fit(returns)
    v = np.asarray(model.weights_, dtype="float64")
    if method is Method.RISK_PARITY:
        moments = model.prior_estimator_.return_distribution_
        v = polish_risk_parity(v, moments.covariance, common["min_weights"], common["max_weights"])
    if method in _SOLVER_TURNOVER and limits.max_turnover is None:
        v = _polished(method, v, model, common, extra.get("min_return"), rf)
    return inv * v


def _polished(method: Method, v: np.ndarray, model, bounds: dict, min_return: float | None, rf: float) -> np.ndarray:
    moments = model.prior_estimator_.return_distribution_
    lower, upper = bounds["min_weights"], bounds["max_weights"]
    if method in (Method.MAX_SHARPE, Method.BLACK_LITTERMAN):
        return polish_max_sharpe(v, moments.covariance, moments.mu - rf, lower, upper)
    return polish_min_variance(v, moments.covariance, lower, upper, moments.mu, min_return)


def _turnover_constraint(previous: np.ndarray, cap: float):
    """sum|v - previous| <= cap, for skfolio's add_constraints.

    skfolio's own max_turnover bounds each asset's change, not the sum. Under the
    maximum-ratio objective skfolio optimises the scaled weights v * k with sum = k
    (budget 1), so the constraint is written homogeneously in sum(w) = k: it is the
    plain constraint when k = 1 (every other objective).
    """
    def constraint(w):
        scale = cp.sum(w)
        return cp.sum(cp.abs(w - previous * scale)) <= cap * scale
    return constraint


def _diagnostics(returns: pd.DataFrame, settings: PortfolioSettings, weights: np.ndarray) -> dict:
    """Annualised expected return and volatility of the weights on the estimated moments (cash earns rf)."""
    moments = EmpiricalPrior(covariance_estimator=covariance_estimator(settings)).fit(returns).return_distribution_
    rf = settings.risk_free_rate / YEAR_DAYS
    daily_mean = float(moments.mu @ weights + (1.0 - weights.sum()) * rf)
    daily_var = float(weights @ moments.covariance @ weights)
    return {
        "n_assets": returns.shape[1],
        "n_days": returns.shape[0],
        "expected_return_annual": daily_mean * YEAR_DAYS,
        "volatility_annual": float(np.sqrt(max(daily_var, 0.0) * YEAR_DAYS)),
    }
