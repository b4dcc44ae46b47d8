"""Independent solutions the optimiser is held to: closed forms, scikit-learn and SciPy, not skfolio."""
from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.optimize import minimize
from sklearn.covariance import LedoitWolf

YEAR = 365


def moments(returns: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Sample mean and scikit-learn's Ledoit-Wolf covariance of daily returns."""
    values = returns.to_numpy()
    return values.mean(axis=0), LedoitWolf().fit(values).covariance_


def min_variance_closed_form(cov: np.ndarray) -> np.ndarray:
    """w = inv(S) 1 / (1' inv(S) 1): the minimum-variance weights with shorting and no bounds."""
    x = np.linalg.inv(cov) @ np.ones(len(cov))
    return x / x.sum()


def _slsqp(objective, gradient, x0, bounds, constraints) -> np.ndarray:
    result = minimize(objective, x0, jac=gradient, method="SLSQP", bounds=bounds, constraints=constraints,
                      options={"ftol": 1e-16, "maxiter": 2000})
    assert result.success, result.message
    return result.x


def min_variance_slsqp(cov: np.ndarray, upper: float) -> np.ndarray:
    """min w'Sw with sum(w) = 1 and 0 <= w <= upper, by SciPy's SLSQP (objective scaled to order 1)."""
    n, scale = len(cov), 1.0 / np.trace(cov) * len(cov)
    return _slsqp(
        lambda w: scale * w @ cov @ w, lambda w: 2 * scale * cov @ w, np.full(n, 1 / n), [(0.0, upper)] * n,
        [{"type": "eq", "fun": lambda w: w.sum() - 1, "jac": lambda w: np.ones(n)}],
    )


def max_sharpe_slsqp(mu: np.ndarray, cov: np.ndarray, rf: float, upper: float) -> np.ndarray:
    """The tangency portfolio with 0 <= w <= upper, sum(w) = 1, by SLSQP on the Charnes-Cooper form:
    min y'Sy with e'y = 1, 0 <= y <= upper * sum(y), e the excess returns; then w = y / sum(y).
    e and S are scaled to order 1 first (w does not change)."""
    n = len(cov)
    excess = (mu - rf) / np.abs(mu - rf).max()
    cov = cov / np.trace(cov) * n
    y0 = np.full(n, 1.0 / max(excess.sum(), 1e-3))
    y = _slsqp(
        lambda y: y @ cov @ y, lambda y: 2 * cov @ y, y0, [(0.0, None)] * n,
        [{"type": "eq", "fun": lambda y: excess @ y - 1, "jac": lambda y: excess},
         {"type": "ineq", "fun": lambda y: upper * y.sum() - y, "jac": lambda y: upper * np.ones((n, n)) - np.eye(n)}],
    )
    return y / y.sum()


def kelly_formula(mu: np.ndarray, cov: np.ndarray, rf: float, c: float, lower: float, upper: float, cap: float) -> np.ndarray:
    """c * inv(S) (mu - rf), each weight clipped into [lower, upper], gross exposure scaled down to cap."""
    w = c * np.linalg.inv(cov) @ (mu - rf)
    w = np.minimum(np.maximum(w, lower), upper)
    gross = np.abs(w).sum()
    return w * cap / gross if gross > cap else w
