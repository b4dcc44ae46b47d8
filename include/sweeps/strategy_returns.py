"""A sweep run's best run as daily returns, for the per-strategy rows of the risk marts.

The warehouse keeps a sweep's metrics, not its returns; fct_strategy_risk_metrics needs the
daily returns of the run it measures, so the publish step writes them beside the chunk files:
data/sweeps/<sweep>/<run>/strategy_returns/daily.parquet (a subfolder: the chunk globs
sweeps/*/*/*.parquet never read it).

Which run: for walk_forward, the OUT-OF-SAMPLE run: each fold's chosen params on its
out-of-sample window (warmed up on its in-sample bars, as walk_forward.run_fold measures
it), the windows chained in time (a bar inside two windows counts once, from the earlier
fold). For grid / random / tpe / nsga2 (no out-of-sample data), the best trial by the
ranking objective on the whole window, flagged is_out_of_sample = false.
The account is the one the sweep scores: score sleeves = equal-capital sleeves summed
(include.backtest.run_portfolio), score portfolio = the shared-cash account.
Daily return: the product of a UTC day's per-bar returns, minus 1 (the first bar's return is
measured from the initial capital).
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from include.atomic import write_parquet_atomic
from include.backtest import run_portfolio
from include.backtest.portfolio import run_shared_cash
from include.backtest.result import bar_returns
from include.sweeps.errors import SweepError
from include.sweeps.evaluate import Evaluator, series_bars
from include.sweeps.results import best
from include.sweeps.spec import SweepSpec

RETURNS_DIR = "strategy_returns"
RETURNS_FILE = "daily.parquet"


def strategy_returns_path(out_dir: str | Path) -> Path:
    return Path(out_dir) / RETURNS_DIR / RETURNS_FILE


def account_returns(spec: SweepSpec, frames, params: dict, start=None, end=None) -> pd.Series:
    """Per-bar returns of the account the sweep scores, params on the bars in [start, end)."""
    evaluate = Evaluator.for_spec(spec, series_bars(spec, frames, start, end))
    by_label = dict(zip(evaluate.labels, evaluate.bars, strict=True))
    if spec.score == "portfolio":
        result = run_shared_cash(by_label, evaluate.strategy, params, evaluate.costs, rebalance=evaluate.rebalance,
                                 breaker=evaluate.breaker, check_lookahead=False)
        return result.returns
    result = run_portfolio(by_label, evaluate.strategy, params, evaluate.costs, sizing=evaluate.sizing,
                           exits=evaluate.exits, breaker=evaluate.breaker, check_lookahead=False)
    return pd.Series(bar_returns(result.equity.to_numpy(), result.initial_capital), index=result.equity.index)


def best_run_returns(spec: SweepSpec, frames, results: pd.DataFrame) -> tuple[pd.Series, bool, list[dict]]:
    """(per-bar returns, is_out_of_sample, the params used) of the run described in the module doc."""
    if results.empty:
        raise SweepError(f"sweep {spec.name!r}: no results to take the best run from; did its chunks run?")
    if spec.method != "walk_forward":
        params = json.loads(best(results, spec, n=1)["params"].iloc[0])
        return account_returns(spec, frames, params), False, [params]
    parts, used = [], []
    for fold in results.sort_values("fold").itertuples():
        params = json.loads(fold.params) if isinstance(fold.params, str) else dict(fold.params)
        returns = account_returns(spec, frames, params, fold.in_sample_start, fold.out_of_sample_end)
        parts.append(returns[returns.index >= pd.Timestamp(fold.out_of_sample_start)])
        used.append(params)
    chained = pd.concat(parts)
    return chained[~chained.index.duplicated(keep="first")].sort_index(), True, used


def daily_returns(returns: pd.Series) -> pd.DataFrame:
    """trade_date (UTC day) and daily_return = prod(1 + r) - 1 over the day's bars."""
    growth = (1.0 + returns).groupby(returns.index.tz_convert("UTC").normalize()).prod()
    return pd.DataFrame({"trade_date": growth.index.date, "daily_return": growth.to_numpy() - 1.0})


def export_strategy_returns(spec: SweepSpec, frames, results: pd.DataFrame, out_dir: str | Path,
                            run_id: str) -> Path:
    """Write the run's daily returns (module doc) to strategy_returns_path(out_dir), atomically."""
    returns, out_of_sample, params = best_run_returns(spec, frames, results)
    frame = daily_returns(returns)
    frame.insert(0, "strategy", spec.strategy)
    frame.insert(0, "run_id", run_id)
    frame.insert(0, "sweep", spec.name)
    frame["is_out_of_sample"] = out_of_sample
    frame["score"] = spec.score
    frame["params"] = json.dumps(params, sort_keys=True)
    frame["daily_return"] = frame["daily_return"].astype(np.float64)
    path = strategy_returns_path(out_dir)
    path.parent.mkdir(parents=True, exist_ok=True)
    write_parquet_atomic(frame, path)
    return path
