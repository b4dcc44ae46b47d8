"""Fractional Kelly weights, written by hand: no library sizes a portfolio this way.

For returns with mean mu and covariance S, the growth-optimal (Kelly) weights of a
portfolio with cash earning rf are w* = inv(S) (mu - rf) (the continuous-time
approximation; the period cancels: daily mu and S give the same w* as annual ones).
Full Kelly is far too aggressive on estimated inputs, so the desk holds a fraction c of
it, clips each weight into its bounds, and scales the whole vector down when its gross
exposure sum(|w|) exceeds the cap. Never scaled up: what is left stays in cash.
"""
from __future__ import annotations

import numpy as np


def kelly_weights(
    mu: np.ndarray,
    covariance: np.ndarray,
    risk_free: float,
    fraction: float,
    lower: np.ndarray,
    upper: np.ndarray,
    gross_cap: float,
) -> np.ndarray:
    """c * inv(S) (mu - rf), clipped into [lower, upper], then scaled so sum(|w|) <= gross_cap.

    mu and risk_free are per period (daily here), covariance per period too. The bounds
    must contain 0 (a scaled-down weight stays within them).
    """
    excess = np.asarray(mu, dtype="float64") - risk_free
    full = np.linalg.solve(np.asarray(covariance, dtype="float64"), excess)  # solve, not inv: better conditioned
    weights = np.clip(fraction * full, lower, upper)
    gross = np.abs(weights).sum()
    if gross > gross_cap:
        weights = weights * (gross_cap / gross)
    return weights
