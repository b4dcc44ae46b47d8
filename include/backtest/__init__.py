"""Vectorised backtests of one strategy on one series (or many, as sleeves: sleeves.py): fills at
the next open, costs, sizing, exits, a drawdown circuit breaker, and a lookahead guard. See docs/backtest.md."""
from include.backtest.bars import Bars, BarsError
from include.backtest.config import BacktestConfigError, Breaker, Costs, Exits, Sizing
from include.backtest.engine import run_backtest
from include.backtest.lookahead import LookaheadError, assert_no_lookahead
from include.backtest.result import BacktestResult
from include.backtest.sleeves import PortfolioResult, run_portfolio

__all__ = [
    "BacktestConfigError", "BacktestResult", "Bars", "BarsError", "Breaker", "Costs", "Exits",
    "LookaheadError", "PortfolioResult", "Sizing", "assert_no_lookahead", "run_backtest", "run_portfolio",
]
