"""The constraints every method must meet, their feasibility, and the turnover post-step.

Weights are fractions of capital: lower <= w <= upper per asset, and the invested
fraction sum(w) = 1 - cash_buffer (Kelly: sum(|w|) <= min(kelly_cap, 1 - cash_buffer),
the rest stays in cash). Turnover is sum(|w - current|): buys plus sells as a fraction
of capital.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from include.errors import PeakTradeError, closest

TOLERANCE = 1e-6  # how far a solver's answer may sit outside a constraint before it counts as broken
_BISECTIONS = 60  # halvings of the turnover blend share: 2**-60 is below float precision


class PortfolioInputError(PeakTradeError):
    """Returns or current weights the optimiser cannot use (names the item and what is valid)."""


@dataclass(frozen=True)
class Limits:
    """The resolved constraints of one optimisation, as arrays aligned with `symbols`."""

    symbols: tuple[str, ...]
    lower: np.ndarray
    upper: np.ndarray
    invested: float  # 1 - cash_buffer
    max_turnover: float | None
    current: np.ndarray  # zeros (all cash) when there were no current weights
    gross_cap: float | None = None  # Kelly: sum(|w|) <= gross_cap instead of sum(w) == invested

    @property
    def fixed_budget(self) -> bool:
        return self.gross_cap is None


def current_vector(symbols: list[str], current: Mapping[str, float] | pd.Series | None) -> np.ndarray:
    """Current weights aligned with symbols (absent: 0); a held symbol outside the universe is an error."""
    if current is None:
        return np.zeros(len(symbols))
    held = pd.Series(current, dtype="float64")
    unknown = [s for s in held.index if s not in symbols and held[s] != 0]
    if unknown:
        raise PortfolioInputError(
            f"current weight for {unknown[0]!r}, which has no returns to optimise over; "
            f"{closest(str(unknown[0]), symbols)} (load its returns, or sell it first)"
        )
    if not np.isfinite(held.to_numpy()).all():
        bad = held[~np.isfinite(held.to_numpy())].index[0]
        raise PortfolioInputError(f"current weight for {bad!r} is {held[bad]}; weights must be finite numbers")
    return held.reindex(symbols).fillna(0.0).to_numpy()


def turnover(weights: np.ndarray, current: np.ndarray) -> float:
    return float(np.abs(np.asarray(weights) - current).sum())


def nearest_feasible(limits: Limits) -> np.ndarray:
    """The portfolio within bounds and budget that is the fewest trades away from the current one.

    Clip the current weights into their bounds, then move the sum to the budget using each
    asset's room in proportion: every step moves toward the constraint set, so its
    turnover is the least possible, sum|clip - current| + |invested - sum(clip)|.
    """
    clipped = np.clip(limits.current, limits.lower, limits.upper)
    if not limits.fixed_budget:
        gross = np.abs(clipped).sum()
        return clipped * (limits.gross_cap / gross) if gross > limits.gross_cap else clipped
    gap = limits.invested - clipped.sum()
    room = (limits.upper - clipped) if gap > 0 else (clipped - limits.lower)
    if abs(gap) <= 0 or room.sum() <= 0:
        return clipped
    return clipped + np.sign(gap) * room * (abs(gap) / room.sum())


def infeasibility(limits: Limits) -> str | None:
    """Why no portfolio can meet the constraints, or None when one can."""
    n = len(limits.symbols)
    low, high = float(limits.lower.sum()), float(limits.upper.sum())
    if limits.fixed_budget:
        if low > limits.invested + TOLERANCE:
            return (f"infeasible: the minimum weights of the {n} assets sum to {low:.6g}, more than the "
                    f"invested fraction 1 - cash_buffer = {limits.invested:.6g}; lower min_weight/bounds")
        if high < limits.invested - TOLERANCE:
            return (f"infeasible: the maximum weights of the {n} assets sum to {high:.6g} (e.g. max_weight x "
                    f"{n} assets), less than the invested fraction 1 - cash_buffer = {limits.invested:.6g}; "
                    "raise max_weight or cash_buffer, or add assets")
    elif ((limits.lower > 0) | (limits.upper < 0)).any():
        bad = limits.symbols[int(np.argmax((limits.lower > 0) | (limits.upper < 0)))]
        return f"infeasible: Kelly weights scale with the edge and need 0 within every asset's bounds; {bad!r} has not"
    if limits.max_turnover is not None:
        least = turnover(nearest_feasible(limits), limits.current)
        if least > limits.max_turnover + TOLERANCE:
            return (f"infeasible: max_turnover {limits.max_turnover:.6g} is below the least turnover {least:.6g} "
                    "that any portfolio within the bounds and the cash buffer needs from the current weights")
    return None


def violation(weights: np.ndarray, limits: Limits) -> str | None:
    """The first constraint the weights break (beyond TOLERANCE), or None."""
    if not np.isfinite(weights).all():
        return "the optimiser returned non-finite weights"
    for i, symbol in enumerate(limits.symbols):
        if not limits.lower[i] - TOLERANCE <= weights[i] <= limits.upper[i] + TOLERANCE:
            return (f"weight {weights[i]:.6g} of {symbol!r} is outside its bounds "
                    f"[{limits.lower[i]:.6g}, {limits.upper[i]:.6g}]")
    if limits.fixed_budget and abs(weights.sum() - limits.invested) > TOLERANCE:
        return f"weights sum to {weights.sum():.6g}, not 1 - cash_buffer = {limits.invested:.6g}"
    if not limits.fixed_budget and np.abs(weights).sum() > limits.gross_cap + TOLERANCE:
        return f"gross exposure {np.abs(weights).sum():.6g} exceeds its cap {limits.gross_cap:.6g}"
    if limits.max_turnover is not None and turnover(weights, limits.current) > limits.max_turnover + TOLERANCE:
        return f"turnover {turnover(weights, limits.current):.6g} exceeds max_turnover {limits.max_turnover:.6g}"
    return None


def blend_to_turnover(target: np.ndarray, limits: Limits) -> tuple[np.ndarray, float]:
    """Move only part of the way to `target` so that turnover <= max_turnover.

    For methods whose solver has no turnover constraint (HRP, ERC, Kelly): the weights
    (1 - a) * target + a * anchor, with anchor the nearest feasible portfolio to the
    current one and the least share a found by bisection (turnover is convex in a).
    Both ends meet the bounds and budget, so every blend does. Returns (weights, a).
    """
    cap = limits.max_turnover
    if cap is None or turnover(target, limits.current) <= cap:
        return target, 0.0
    anchor = nearest_feasible(limits)
    low, high = 0.0, 1.0
    for _ in range(_BISECTIONS):
        mid = (low + high) / 2
        if turnover((1 - mid) * target + mid * anchor, limits.current) <= cap:
            high = mid
        else:
            low = mid
    return (1 - high) * target + high * anchor, high
