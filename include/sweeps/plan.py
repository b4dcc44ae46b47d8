"""plan_chunks: a sweep cut into chunks, each one task's worth of trials, deterministically.

- grid: every point of the cartesian product (minus sets the strategy's rule rejects);
  an error if the product exceeds `budget`;
- random: `budget` distinct valid samples from a generator seeded by `seed`;
  both cut into chunks of `chunk_size` trials, numbered in order;
- tpe / nsga2: ceil(budget / chunk_size) chunks, each running chunk_size Optuna trials
  (the last one the remainder) against one study shared through a journal file, so
  every chunk's sampler learns from all trials told so far;
- walk_forward: one chunk per fold (rolling) or split (cpcv), of a resolved spec (spec.resolve).

Chunk ids are `<name>-<spec digest>-<number>`: stable for an unchanged spec, new when
any setting changes, so results of different specs never mix in one folder. The same
spec always gives the same plan: an Airflow task can re-plan and pick chunk k.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from include.sweeps.space import grid_points, grid_size, random_points
from include.sweeps.errors import SweepError
from include.sweeps.folds import Fold
from include.sweeps.spec import SweepSpec


@dataclass(frozen=True)
class Chunk:
    """One task's trials. grid / random: `trials` = (trial number, params) pairs; tpe / nsga2:
    `n_trials` Optuna trials in study `study`; walk_forward: `fold`, with n_trials inner trials."""

    chunk_id: str
    index: int
    count: int
    label: str
    method: str
    n_trials: int
    backtests: int  # run_backtest calls: trials x series (walk-forward: + one out-of-sample run per series)
    trials: tuple[tuple[int, dict[str, Any]], ...] = ()
    study: str | None = None
    fold: Fold | None = None


def plan_chunks(spec: SweepSpec, n_series: int) -> list[Chunk]:
    """The sweep's chunks in order; n_series = series each trial runs on (len(spec.universe))."""
    if n_series < 1:
        raise SweepError(f"n_series = {n_series}: a sweep needs at least one series")
    if isinstance(spec.start, str) or (spec.method == "walk_forward" and spec.end is None):
        raise SweepError(f"sweep {spec.name!r}: its window is relative to the run (start {spec.start}, "
                         f"end {spec.end or 'the last complete bar'}); plan spec.resolve(reference time)")
    if spec.method in ("grid", "random"):
        return _trial_chunks(spec, n_series, _points(spec))
    if spec.method in ("tpe", "nsga2"):
        return _study_chunks(spec, n_series)
    return _fold_chunks(spec, n_series)


def study_name(spec: SweepSpec) -> str:
    return f"{spec.name}-{spec.digest()}"


def grid(spec: SweepSpec, budget: int, budget_key: str = "budget") -> list[dict]:
    """Every valid grid point; SweepError if the product is over budget or nothing is valid."""
    space = spec.space()
    size = grid_size(space)
    if size > budget:
        raise SweepError(f"sweep {spec.name!r}: the grid has {size:,} points, more than {budget_key} {budget:,}")
    return _nonempty(spec, grid_points(spec.get_strategy(), space))


def samples(spec: SweepSpec, count: int, seed: int) -> list[dict]:
    return _nonempty(spec, random_points(spec.get_strategy(), spec.space(), count, seed))


def _nonempty(spec: SweepSpec, points: list[dict]) -> list[dict]:
    if not points:
        raise SweepError(f"sweep {spec.name!r}: no parameter set in the space passes strategy "
                         f"{spec.strategy!r}'s rule (e.g. fast < slow); widen params")
    return points


def _points(spec: SweepSpec) -> list[dict]:
    return grid(spec, spec.budget) if spec.method == "grid" else samples(spec, spec.budget, spec.seed)


def _chunk(spec: SweepSpec, index: int, count: int, suffix: str = "", **fields) -> Chunk:
    label = f"{spec.strategy} {spec.method}{suffix} {index + 1}/{count}"
    return Chunk(chunk_id=f"{study_name(spec)}-{index + 1:04d}", index=index, count=count, label=label,
                 method=spec.method, **fields)


def _trial_chunks(spec: SweepSpec, n_series: int, points: list[dict]) -> list[Chunk]:
    count = math.ceil(len(points) / spec.chunk_size)
    chunks = []
    for index in range(count):
        first = index * spec.chunk_size
        trials = tuple(enumerate(points[first:first + spec.chunk_size], start=first))
        chunks.append(_chunk(spec, index, count, n_trials=len(trials), backtests=len(trials) * n_series,
                             trials=trials))
    return chunks


def _study_chunks(spec: SweepSpec, n_series: int) -> list[Chunk]:
    count = math.ceil(spec.budget / spec.chunk_size)
    sizes = [min(spec.chunk_size, spec.budget - index * spec.chunk_size) for index in range(count)]
    return [_chunk(spec, index, count, n_trials=size, backtests=size * n_series, study=study_name(spec))
            for index, size in enumerate(sizes)]


def _fold_chunks(spec: SweepSpec, n_series: int) -> list[Chunk]:
    wf = spec.walk_forward
    folds = wf.folds(spec.start, spec.end, spec.timeframe)
    inner = len(grid(spec, wf.budget, "walk_forward.budget")) if wf.method == "grid" else wf.budget
    return [_chunk(spec, fold.index, len(folds), " fold", n_trials=inner,
                   backtests=(inner + 1) * n_series, fold=fold) for fold in folds]
