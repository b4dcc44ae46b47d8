"""Portfolio construction: target weights from the warehouse's daily returns (docs/portfolio.md).

Layer 5 (docs/architecture.md): reads Parquet exports, never the DuckDB file; never
imports Airflow, the backtester, sweeps, execution or reports.

The names below load on first use: the config check (include.checked_config, run when
a DAG file is parsed) needs only the settings, not skfolio and cvxpy behind `optimise`.
"""
from importlib import import_module

_WHERE = {
    "PortfolioInputError": "include.portfolio.constraints",
    "optimise": "include.portfolio.optimise",
    "OptimisationResult": "include.portfolio.result",
    "DAILY_RETURNS_COLUMNS": "include.portfolio.returns",
    "DAILY_RETURNS_EXPORT": "include.portfolio.returns",
    "load_daily_returns": "include.portfolio.returns",
    "Method": "include.portfolio.settings",
    "PortfolioSettings": "include.portfolio.settings",
    "parse_settings": "include.portfolio.settings",
    "portfolio_settings": "include.portfolio.settings",
}

__all__ = sorted(_WHERE)


def __getattr__(name: str):
    if name not in _WHERE:
        raise AttributeError(f"module 'include.portfolio' has no attribute {name!r}")
    value = getattr(import_module(_WHERE[name]), name)
    globals()[name] = value
    return value
