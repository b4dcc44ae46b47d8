"""Money and risk metrics, defined once (docs/definitions.md) for the warehouse, backtester and reports."""
from include.metrics.risk import (
    CONFIDENCE_LEVELS,
    PERIODS_PER_YEAR,
    periods_per_year,
    risk_metrics,
    rolling_risk_metrics,
)

__all__ = ["CONFIDENCE_LEVELS", "PERIODS_PER_YEAR", "periods_per_year", "risk_metrics", "rolling_risk_metrics"]
