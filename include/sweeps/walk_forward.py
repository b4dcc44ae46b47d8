"""One walk-forward fold: optimise in sample, then test the chosen params out of sample.

In sample: the inner method (grid, random seeded by seed + fold, or TPE in memory
seeded likewise) runs on the fold's in-sample bars alone; the best trial by
`objective` (NaN last, first trial on a tie) is chosen. Out of sample: those params
run on the bars from the in-sample start to the out-of-sample end, one continuous
backtest so indicators and positions are warm when the window opens, and the
metrics are those of the out-of-sample bars' returns only (n_trades: trades opened
in the window and closed by its end). Degradation = out-of-sample minus in-sample per metric; the ratio
out-of-sample / in-sample is given only where the in-sample value has the metric's
usual sign (> 0, or < 0 for max_drawdown), NaN otherwise.
"""
from __future__ import annotations

import math

from include.sweeps import plan
from include.sweeps.evaluate import Evaluator, mean_metrics, series_bars, window_metrics
from include.sweeps.folds import Fold
from include.sweeps.progress import Progress
from include.sweeps.spec import METRICS, Objective, SweepSpec
from include.sweeps.study import open_study, run_trials

METRIC_COLUMNS = (*METRICS, "n_trades")


def inner_trials(spec: SweepSpec, fold: Fold, evaluate: Evaluator, progress: Progress) -> list[tuple[int, dict, dict]]:
    wf = spec.walk_forward
    if wf.method == "tpe":
        study = open_study(spec, f"{spec.name}-fold-{fold.index}", None, spec.seed + fold.index)
        return run_trials(study, spec, evaluate, wf.budget, f"fold {fold.index}", progress.step)
    if wf.method == "grid":
        points = plan.grid(spec, wf.budget, "walk_forward.budget")
    else:
        points = plan.samples(spec, wf.budget, spec.seed + fold.index)
    done = []
    for number, params in enumerate(points):
        done.append((number, params, evaluate(params)))
        progress.step()
    return done


def best_trial(trials: list[tuple[int, dict, dict]], objective: Objective) -> tuple[int, dict, dict]:
    sign = 1.0 if objective.direction == "maximize" else -1.0
    score = lambda t: -math.inf if math.isnan(t[2][objective.metric]) else sign * t[2][objective.metric]  # noqa: E731
    return max(trials, key=score)  # max keeps the first of equal scores


def degradation(is_value: float, oos_value: float, metric: str) -> tuple[float, float]:
    usual_sign = is_value < 0 if metric == "max_drawdown" else is_value > 0
    ratio = oos_value / is_value if math.isfinite(is_value) and usual_sign else math.nan
    return oos_value - is_value, ratio


def run_fold(spec: SweepSpec, fold: Fold, frames, progress: Progress) -> dict:
    """The fold's row: windows, chosen params, in-sample and out-of-sample metrics, degradation."""
    evaluate = Evaluator.for_spec(spec, series_bars(spec, frames, fold.in_sample_start, fold.in_sample_end))
    trials = inner_trials(spec, fold, evaluate, progress)
    number, params, in_sample = best_trial(trials, spec.objective)
    full = Evaluator.for_spec(spec, series_bars(spec, frames, fold.in_sample_start, fold.out_of_sample_end))
    results = full.results(params)
    out_of_sample = mean_metrics([window_metrics(r, r.equity.index.searchsorted(fold.out_of_sample_start))
                                  for r in results])
    row = {"fold": fold.index, "in_sample_start": fold.in_sample_start, "in_sample_end": fold.in_sample_end,
           "out_of_sample_start": fold.out_of_sample_start, "out_of_sample_end": fold.out_of_sample_end,
           "trial": number, "inner_trials": len(trials), "params": params}
    row |= {f"is_{m}": in_sample[m] for m in METRIC_COLUMNS}
    row |= {f"oos_{m}": out_of_sample[m] for m in METRIC_COLUMNS}
    for m in METRICS:
        row[f"degradation_{m}"], row[f"degradation_ratio_{m}"] = degradation(in_sample[m], out_of_sample[m], m)
    return row
