"""The overfitting odds of a sweep run's bests, computed when the run is published.

Per series of the universe, for the trial best on that series alone (the rule of the mart
fct_sweep_best: by the ranking objective on the series' own metrics, NULL never wins, a tie to
the first trial in (chunk_id, trial) order), from every trial's DAILY returns on that series
(run.returns_path files, read by results.daily_returns):

- the deflated Sharpe ratio over all the run's trials (N, the variance of their daily Sharpe
  ratios, the best's daily return moments and its number of days T) and its PSR against zero;
- grid and random runs: the probability of backtest overfitting by CSCV on the days x trials
  matrix (S = research.pbo_blocks; NULL when there are fewer days than blocks);
- the verdict: "likely luck" when the DSR is below research.luck_threshold or the PBO above
  research.pbo_threshold, "survives deflation" otherwise, "undetermined" without a DSR.

Sharpe figures are stored ANNUALISED on the 365-day calendar (x sqrt(365); the variance x 365)
so they read beside the marts' other Sharpe ratios; the DSR and PSR are computed on the per-day
figures (include/metrics/overfitting.py). Definitions: docs/definitions.md, "Overfitting odds".
The rows go to `<run>/overfitting.json`, which fct_sweep_best joins on series and trial.
"""
from __future__ import annotations

import json
import logging
import math
from pathlib import Path

import numpy as np
import pandas as pd

from include.atomic import write_text_atomic
from include.config.schema import Research
from include.metrics.overfitting import deflate, enough_for_pbo, per_period_sharpes, probability_of_backtest_overfitting
from include.sweeps.errors import SweepError
from include.sweeps.evaluate import series_label
from include.sweeps.results import collect, daily_returns
from include.sweeps.spec import SweepSpec

logger = logging.getLogger("include.sweeps")

ODDS_FILE = "overfitting.json"  # dbt/macros/sweeps.sql sweep_odds_glob reads this name
DAYS_PER_YEAR = 365
LUCK, SURVIVES, UNDETERMINED = "likely luck", "survives deflation", "undetermined"
PBO_METHODS = ("grid", "random")  # tpe / nsga2 choose their trials from earlier ones: no CSCV


def verdict(dsr: float, pbo: float | None, research: Research) -> str:
    if not math.isfinite(dsr):
        return UNDETERMINED
    if dsr < research.luck_threshold or (pbo is not None and math.isfinite(pbo) and pbo > research.pbo_threshold):
        return LUCK
    return SURVIVES


def best_trials(results: pd.DataFrame, spec: SweepSpec) -> dict[str, tuple[str, int]]:
    """Per series label, the (chunk_id, trial) best on that series alone (fct_sweep_best's rule)."""
    objective = spec.goals()[0]
    sign = 1.0 if objective.direction == "maximize" else -1.0
    ordered = results.sort_values(["chunk_id", "trial"], kind="stable")
    per_series = [json.loads(text) if isinstance(text, str) else {} for text in ordered["per_series"]]
    out = {}
    for ref in spec.universe:
        label = series_label(*ref.key)
        values = np.array([sign * _number((ps.get(label) or {}).get(objective.metric)) for ps in per_series])
        if len(values) and np.isfinite(values).any():
            at = int(np.nanargmax(np.where(np.isfinite(values), values, np.nan)))  # the first of equal maxima
            out[label] = (ordered["chunk_id"].iloc[at], int(ordered["trial"].iloc[at]))
    return out


def _number(value) -> float:
    return math.nan if value is None else float(value)


def series_odds(returns: np.ndarray, column: int, method: str, research: Research) -> dict:
    """The odds of trial `column` of a days x trials matrix of daily returns."""
    sharpes = per_period_sharpes(returns)
    deflation = deflate(returns[:, column], sharpes)
    pbo = combinations = None
    if method in PBO_METHODS and returns.shape[1] >= 2 and enough_for_pbo(returns.shape[0], research.pbo_blocks):
        overfitting = probability_of_backtest_overfitting(returns, research.pbo_blocks)
        pbo, combinations = overfitting.pbo, overfitting.n_combinations
    root = math.sqrt(DAYS_PER_YEAR)
    return {
        "n_trials": deflation.n_trials, "n_days": deflation.n_obs,
        "sharpe_ratio_daily": deflation.sharpe * root,
        "sharpe_variance": deflation.sharpe_variance * DAYS_PER_YEAR,
        "expected_max_sharpe": deflation.expected_max_sharpe * root,
        "psr": deflation.psr, "dsr": deflation.dsr, "pbo": pbo, "pbo_combinations": combinations,
        "verdict": verdict(deflation.dsr, pbo, research),
    }


def sweep_odds(spec: SweepSpec, out_dir: str | Path, research: Research) -> list[dict]:
    """One row per series with a best trial and kept daily returns: label, exchange, symbol, chunk_id,
    trial and the odds (series_odds); NaN as None."""
    results = collect(out_dir, spec)
    if results.empty or spec.method == "walk_forward":
        return []
    bests, rows = best_trials(results, spec), []
    for ref in spec.universe:
        label = series_label(*ref.key)
        best = bests.get(label)
        keys, returns = daily_returns(out_dir, spec, label)
        if best is None or keys.empty:
            continue
        hit = np.flatnonzero((keys.chunk_id == best[0]).to_numpy() & (keys.trial == best[1]).to_numpy())
        if not len(hit):
            logger.warning("sweep %s: no daily returns for the best trial %s of %s; no odds", spec.name, best, label)
            continue
        odds = series_odds(returns.astype(np.float64), int(hit[0]), spec.method, research)
        rows.append({"label": label, "exchange": ref.exchange, "symbol": ref.symbol, "chunk_id": best[0],
                     "trial": best[1]} | {k: _json_safe(v) for k, v in odds.items()})
    return rows


def _json_safe(value):
    return None if isinstance(value, float) and not math.isfinite(value) else value


def write_odds(spec: SweepSpec, out_dir: str | Path, research: Research) -> Path:
    """The run's odds as `<out_dir>/overfitting.json` (a JSON array; [] when there are none).
    A result file it cannot read leaves the run without odds (a warning naming the problem): the
    odds never stop a publication, and dbt reports a broken chunk file in its own words."""
    import pyarrow as pa

    try:
        rows = sweep_odds(spec, out_dir, research)
    except (OSError, pa.ArrowException, SweepError) as error:
        logger.warning("sweep %s: no overfitting odds for %s: %s", spec.name, out_dir, error)
        rows = []
    if not rows and spec.method != "walk_forward":
        logger.warning("sweep %s: no daily returns in %s/returns; the bests get no overfitting odds",
                       spec.name, out_dir)
    for row in rows:
        logger.info("sweep %s %s: DSR %s, PBO %s -> %s", spec.name, row["label"], row["dsr"], row["pbo"],
                    row["verdict"])
    return write_text_atomic(json.dumps(rows, indent=1), Path(out_dir) / ODDS_FILE)
