"""What an optimisation returns: target weights, or the current ones and the reason why."""
from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd


@dataclass(frozen=True)
class OptimisationResult:
    """Target weights by symbol (fractions of capital; the rest is cash), never NaN.

    ok: the method's own weights met every constraint.
    fallback_used: the weights are the current ones (the failure policy "keep current
    weights"; all cash when there were none) and `reason` says why.
    turnover_blend: the share of the move toward the method's weights that was given up
    to respect max_turnover (0 when no blending was needed; docs/portfolio.md).
    """

    weights: pd.Series
    method: str
    ok: bool
    reason: str | None = None
    fallback_used: bool = False
    turnover: float = 0.0
    turnover_blend: float = 0.0
    diagnostics: dict = field(default_factory=dict)

    @property
    def cash(self) -> float:
        return float(1.0 - self.weights.sum())
