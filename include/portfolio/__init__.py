"""Portfolio construction: target weights from the warehouse's daily returns (docs/portfolio.md).

Layer 5 (docs/architecture.md): reads Parquet exports, never the DuckDB file; never
imports Airflow, the backtester, sweeps, execution or reports.
"""
from include.portfolio.constraints import PortfolioInputError
from include.portfolio.optimise import optimise
from include.portfolio.result import OptimisationResult
from include.portfolio.returns import DAILY_RETURNS_COLUMNS, DAILY_RETURNS_EXPORT, load_daily_returns
from include.portfolio.settings import Method, PortfolioSettings, parse_settings

__all__ = [
    "DAILY_RETURNS_COLUMNS",
    "DAILY_RETURNS_EXPORT",
    "Method",
    "OptimisationResult",
    "PortfolioInputError",
    "PortfolioSettings",
    "load_daily_returns",
    "optimise",
    "parse_settings",
]
