"""Solution polishing for the quadratic mean-variance problems (minimum variance, target return, max Sharpe).

skfolio writes the variance as a squared second-order cone, and an interior-point
solver stops a little inside the feasible set: on nearly collinear assets (one coin
quoted on three venues) the weights can sit ~1e-6 from the optimum while the variance
agrees to 1e-13. Polishing, as OSQP does, takes the solver's active set (the bounds and
the return floor it ends on), solves the equality-constrained problem that remains
exactly from its KKT system, and keeps that answer only if it is feasible and no
worse. Without a turnover cap only: |w - current| terms have no such closed form.
"""
from __future__ import annotations

import numpy as np

ACTIVE = 1e-6  # a weight this close to a bound is taken as on it


def _kkt(cov: np.ndarray, rows: list[np.ndarray], rhs: list[float]) -> np.ndarray | None:
    """argmin x'Sx subject to rows @ x == rhs, or None when the system is singular."""
    n, m = len(cov), len(rows)
    system = np.zeros((n + m, n + m))
    system[:n, :n] = 2 * cov
    system[:n, n:] = np.array(rows).T
    system[n:, :n] = np.array(rows)
    try:
        return np.linalg.solve(system, np.r_[np.zeros(n), rhs])[:n]
    except np.linalg.LinAlgError:
        return None


def polish_min_variance(w: np.ndarray, cov: np.ndarray, lower: np.ndarray, upper: np.ndarray,
                        mu: np.ndarray | None = None, min_return: float | None = None) -> np.ndarray:
    """Polish min w'Sw with sum(w) = 1, lower <= w <= upper (and mu'w >= min_return)."""
    n = len(w)
    rows, rhs = [np.ones(n)], [1.0]
    for i in range(n):
        for bound in (lower[i], upper[i]):
            if abs(w[i] - bound) <= ACTIVE:
                rows.append(np.eye(n)[i])
                rhs.append(bound)
                break
    if min_return is not None and abs(mu @ w - min_return) <= ACTIVE * max(abs(min_return), 1e-3):
        rows.append(mu)
        rhs.append(min_return)
    x = _kkt(cov, rows, rhs)
    feasible = x is not None and (x >= lower - 1e-12).all() and (x <= upper + 1e-12).all() and (
        min_return is None or mu @ x >= min_return - 1e-12)
    if feasible and x @ cov @ x <= w @ cov @ w + 1e-15:
        return np.clip(x, lower, upper)
    return w


def polish_max_sharpe(w: np.ndarray, cov: np.ndarray, excess: np.ndarray, lower: np.ndarray,
                      upper: np.ndarray) -> np.ndarray:
    """Polish max (excess'w) / sqrt(w'Sw) with sum(w) = 1 and bounds, on its Charnes-Cooper form.

    y = w / (excess'w) minimises y'Sy subject to excess'y = 1 and lower*sum(y) <= y <= upper*sum(y).
    """
    n = len(w)
    if excess @ w <= 0:
        return w
    rows, rhs = [excess], [1.0]
    for i in range(n):
        for bound in (lower[i], upper[i]):
            if abs(w[i] - bound) <= ACTIVE:
                rows.append(np.eye(n)[i] - bound * np.ones(n))
                rhs.append(0.0)
                break
    y = _kkt(cov, rows, rhs)
    if y is None or y.sum() <= 0:
        return w
    x = y / y.sum()
    feasible = (x >= lower - 1e-12).all() and (x <= upper + 1e-12).all()

    def sharpe(v):
        return (excess @ v) / np.sqrt(v @ cov @ v)

    if feasible and sharpe(x) >= sharpe(w) - 1e-15:
        return np.clip(x, lower, upper)
    return w


def _contribution_spread(w: np.ndarray, cov: np.ndarray) -> float:
    contributions = w * (cov @ w)
    return float(np.ptp(contributions / contributions.sum()))


def polish_risk_parity(w: np.ndarray, cov: np.ndarray, lower: np.ndarray, upper: np.ndarray) -> np.ndarray:
    """Polish equal risk contributions with Newton's method when no bound is active.

    x with S x = 1 / x (element-wise) has equal contributions x_i (S x)_i = 1; w = x / sum(x).
    Started from the solver's answer, Newton converges in a few steps.
    """
    if (w <= lower + ACTIVE).any() or (w >= upper - ACTIVE).any() or (w <= 0).any():
        return w
    x = w * np.sqrt(len(w) / (w @ cov @ w))
    for _ in range(20):
        residual = cov @ x - 1.0 / x
        if np.abs(residual).max() < 1e-14:
            break
        x = x - np.linalg.solve(cov + np.diag(1.0 / x**2), residual)
        if (x <= 0).any():
            return w
    polished = x / x.sum()
    inside = (polished >= lower).all() and (polished <= upper).all()
    if inside and _contribution_spread(polished, cov) <= _contribution_spread(w, cov):
        return polished
    return w
