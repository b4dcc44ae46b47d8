"""One walk-forward fold: optimise in sample, then test the chosen params out of sample.

In sample: the inner method (grid, random seeded by seed + fold, or TPE in memory
seeded likewise) scores each parameter set; the best trial by `objective` (NaN last,
first trial on a tie) is chosen.
- rolling: a trial runs on the fold's training bars alone (the in-sample window less the
  purge). Out of sample the chosen params run from the in-sample start to the out-of-sample
  end, one continuous backtest so indicators and positions are warm when the window opens,
  and the metrics are those of the out-of-sample bars' returns only (n_trades: trades opened
  in the window and closed by its end).
- cpcv: training bars lie on both sides of the test groups, so every run is one continuous
  backtest over the fold's whole span and a metric is that of the chosen bars' returns
  (train bars in sample, test bars out of sample; purged and embargoed bars count on neither
  side; n_trades: trades opened on those bars and closed by the run's end).
Degradation = out-of-sample minus in-sample per metric; the ratio
out-of-sample / in-sample is given only where the in-sample value has the metric's
usual sign (> 0, or < 0 for max_drawdown), NaN otherwise.
"""
from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd

from include.backtest.portfolio import run_shared_cash
from include.backtest.result import BacktestResult, performance
from include.sweeps import plan
from include.sweeps.evaluate import Evaluator, mean_metrics, series_bars, window_metrics
from include.sweeps.folds import Fold, Window, in_windows
from include.sweeps.progress import Progress
from include.sweeps.spec import METRICS, Objective, SweepSpec
from include.sweeps.study import open_study, run_trials
from include.timeframes import periods_per_year

METRIC_COLUMNS = (*METRICS, "n_trades")


def inner_trials(spec: SweepSpec, fold: Fold, evaluate: Evaluator | SpanEvaluator,
                 progress: Progress) -> list[tuple[int, dict, dict]]:
    wf = spec.walk_forward
    if wf.method == "tpe":
        study = open_study(spec, f"{spec.name}-fold-{fold.index}", None, spec.seed + fold.index)
        # one study for the fold's whole budget: asked chunk_size at a time, so TPE learns between batches
        return run_trials(study, spec, evaluate.many, wf.budget, f"fold {fold.index}", progress.step,
                          batch=spec.chunk_size)
    if wf.method == "grid":
        points = plan.grid(spec, wf.budget, "walk_forward.budget")
    else:
        points = plan.samples(spec, wf.budget, spec.seed + fold.index)
    done = [(number, params, metrics) for number, (params, metrics) in enumerate(zip(points, evaluate.many(points)))]
    progress.step(len(done))
    return done


def best_trial(trials: list[tuple[int, dict, dict]], objective: Objective) -> tuple[int, dict, dict]:
    sign = 1.0 if objective.direction == "maximize" else -1.0
    score = lambda t: -math.inf if math.isnan(t[2][objective.metric]) else sign * t[2][objective.metric]  # noqa: E731
    return max(trials, key=score)  # max keeps the first of equal scores


def degradation(is_value: float, oos_value: float, metric: str) -> tuple[float, float]:
    usual_sign = is_value < 0 if metric == "max_drawdown" else is_value > 0
    ratio = oos_value / is_value if math.isfinite(is_value) and usual_sign else math.nan
    return oos_value - is_value, ratio


def masked_metrics(result: BacktestResult, mask: np.ndarray) -> dict[str, float]:
    """The metrics of the masked bars' returns, in time order; n_trades = trades opened on them and closed."""
    metrics = performance(result.returns.to_numpy()[mask], periods_per_year(result.timeframe))
    trades = result.trades
    opened = mask[trades["entry_bar"].to_numpy(dtype=int)] if len(trades) else np.zeros(0, dtype=bool)
    metrics["n_trades"] = int((opened & (trades["exit_reason"] != "open").to_numpy()).sum())
    return metrics


def account_metrics(full: Evaluator, params: dict, keep) -> dict[str, float]:
    """`score: portfolio`: the shared-cash account over full's bars, scored on the bars keep(timestamps)
    selects; n_trades = its fills on them (as evaluate.portfolio_metrics counts them)."""
    result = run_shared_cash(dict(zip(full.labels, full.bars, strict=True)), full.strategy, params, full.costs,
                             rebalance=full.rebalance, breaker=full.breaker, check_lookahead=False)
    metrics = performance(result.returns.to_numpy()[keep(result.equity.index)], periods_per_year(result.timeframe))
    fills = pd.DatetimeIndex(result.fills["ts"])
    metrics["n_trades"] = int(np.asarray(keep(fills)).sum()) if len(fills) else 0
    return metrics


class SpanEvaluator:
    """cpcv's trial: params run once over the fold's span per series, scored on the bars in `windows`."""

    def __init__(self, full: Evaluator, windows: tuple[Window, ...]):
        self.full = full
        self.windows = windows
        self.masks = [in_windows(b.ts, windows) for b in full.bars]

    def __call__(self, params: dict) -> dict:
        if self.full.score == "portfolio":
            return account_metrics(self.full, params, lambda ts: in_windows(ts, self.windows))
        return mean_metrics([masked_metrics(r, m) for r, m in zip(self.full.results(params), self.masks)])

    def many(self, params_list: list[dict]) -> list[dict]:
        """Per trial, explicitly: scoring only the bars in the windows needs each run's per-bar returns
        (masked_metrics), which the batch kernel summarises away."""
        return [self(params) for params in params_list]


def run_fold(spec: SweepSpec, fold: Fold, frames, progress: Progress) -> dict:
    """The fold's row: windows, chosen params, in-sample and out-of-sample metrics, degradation."""
    if spec.walk_forward.scheme == "cpcv":
        full = Evaluator.for_spec(spec, series_bars(spec, frames, fold.span_start, fold.span_end))
        trials = inner_trials(spec, fold, SpanEvaluator(full, fold.train), progress)
        number, params, in_sample = best_trial(trials, spec.objective)
        out_of_sample = SpanEvaluator(full, fold.test)(params)
    else:
        evaluate = Evaluator.for_spec(spec, series_bars(spec, frames, fold.in_sample_start, fold.in_sample_end))
        trials = inner_trials(spec, fold, evaluate, progress)
        number, params, in_sample = best_trial(trials, spec.objective)
        full = Evaluator.for_spec(spec, series_bars(spec, frames, fold.in_sample_start, fold.out_of_sample_end))
        if spec.score == "portfolio":  # the out-of-sample figures of what was chosen: the account
            out_of_sample = account_metrics(full, params, lambda ts: np.asarray(ts >= fold.out_of_sample_start))
        else:
            out_of_sample = mean_metrics([window_metrics(r, r.equity.index.searchsorted(fold.out_of_sample_start))
                                          for r in full.results(params)])
    return fold_row(spec, fold, number, len(trials), params, in_sample, out_of_sample)


def fold_row(spec: SweepSpec, fold: Fold, number: int, n_inner: int, params: dict, in_sample: dict,
             out_of_sample: dict) -> dict:
    purge, embargo = spec.walk_forward.gap_bars(spec.timeframe)
    row = {"fold": fold.index, "in_sample_start": fold.in_sample_start, "in_sample_end": fold.in_sample_end,
           "out_of_sample_start": fold.out_of_sample_start, "out_of_sample_end": fold.out_of_sample_end,
           "scheme": spec.walk_forward.scheme, "purge_bars": purge, "embargo_bars": embargo,
           "train_windows": _windows_json(fold.train), "test_windows": _windows_json(fold.test),
           "test_groups": json.dumps(list(fold.test_groups)),
           "trial": number, "inner_trials": n_inner, "params": params}
    row |= {f"oos_{m}": out_of_sample[m] for m in METRIC_COLUMNS}
    row |= {f"is_{m}": in_sample[m] for m in METRIC_COLUMNS}
    for m in METRICS:
        row[f"degradation_{m}"], row[f"degradation_ratio_{m}"] = degradation(in_sample[m], out_of_sample[m], m)
    return row


def _windows_json(windows: tuple[Window, ...]) -> str:
    """[[from, to], ...] as ISO 8601 UTC strings: the fold's exact bars for the warehouse."""
    return json.dumps([[lo.isoformat(), hi.isoformat()] for lo, hi in windows])
