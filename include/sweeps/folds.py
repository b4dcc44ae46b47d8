"""Walk-forward folds: where each fold trains (in sample) and where it is tested (out of sample).

Every window is half-open [from, to), so a bar belongs to one side of a fold at most.

- rolling: fold k trains on [start + k * step, + in_sample - purge) and is tested on the
  out_of_sample that follows the full in-sample window; folds are kept while the test window
  ends by `end`. The purge (the strategy's longest lookback or holding horizon) is cut from the
  end of the training window so no training label reaches into the test window. With
  step = out_of_sample (the default) the test windows are back to back.
- cpcv: combinatorial purged cross-validation (Lopez de Prado; skfolio's CombinatorialPurgedCV is
  the reference its tests compare with) on the regular bar grid of [start, end): n bars cut into
  n_folds groups of n // n_folds bars (the last takes the remainder); each of the
  C(n_folds, n_test_folds) splits tests on n_test_folds groups and trains on the rest, minus
  `purged_size` bars before each test block and `purged_size + embargo_size` bars after it
  (the embargo: bars right after a test block still carry its information through the
  strategy's state, so they do not train).
"""
from __future__ import annotations

from dataclasses import dataclass
from itertools import combinations

import numpy as np
import pandas as pd

from include.sweeps.errors import SweepError

Window = tuple[pd.Timestamp, pd.Timestamp]


@dataclass(frozen=True)
class Fold:
    """One split: training windows and test windows (cpcv: one test window per test group, in order)."""

    index: int
    train: tuple[Window, ...]
    test: tuple[Window, ...]
    test_groups: tuple[int, ...] = ()  # cpcv only

    @property
    def in_sample_start(self) -> pd.Timestamp:
        return self.train[0][0]

    @property
    def in_sample_end(self) -> pd.Timestamp:
        return self.train[-1][1]

    @property
    def out_of_sample_start(self) -> pd.Timestamp:
        return self.test[0][0]

    @property
    def out_of_sample_end(self) -> pd.Timestamp:
        return self.test[-1][1]

    @property
    def span_start(self) -> pd.Timestamp:
        return min(self.in_sample_start, self.out_of_sample_start)

    @property
    def span_end(self) -> pd.Timestamp:
        return max(self.in_sample_end, self.out_of_sample_end)


def walk_forward_folds(start, end, in_sample: pd.Timedelta, out_of_sample: pd.Timedelta,
                       step: pd.Timedelta, purge: pd.Timedelta = pd.Timedelta(0)) -> list[Fold]:
    """Rolling folds over [start, end)."""
    start, end = pd.Timestamp(start), pd.Timestamp(end)
    folds = []
    while True:
        is_start = start + len(folds) * step
        is_end = is_start + in_sample
        oos_end = is_end + out_of_sample
        if oos_end > end:
            return folds
        folds.append(Fold(len(folds), ((is_start, is_end - purge),), ((is_end, oos_end),)))


def bar_grid(start, end, bar: pd.Timedelta) -> pd.DatetimeIndex:
    """The regular bars of [start, end): the index cpcv splits (data gaps do not move the groups)."""
    start, end = pd.Timestamp(start), pd.Timestamp(end)
    return pd.date_range(start, periods=int((end - start) // bar), freq=bar)


def cpcv_size_problem(n_bars: int, n_folds: int, purged_size: int, embargo_size: int) -> str | None:
    """Purge and embargo must leave training bars in every group (skfolio's own limit)."""
    size = n_bars // n_folds
    if purged_size + embargo_size >= size - 1:
        return (f"walk_forward: purged_size + embargo_size = {purged_size + embargo_size} bars must be below "
                f"{size - 1} (a group's {size} bars less one: {n_bars} bars in {n_folds} groups)")
    return None


def cpcv_masks(n_bars: int, n_folds: int, n_test_folds: int, purged_size: int,
               embargo_size: int) -> list[tuple[np.ndarray, list[np.ndarray], tuple[int, ...]]]:
    """Per split: the training bar positions, the test positions of each test group, the test groups."""
    if problem := cpcv_size_problem(n_bars, n_folds, purged_size, embargo_size):
        raise SweepError(problem)
    size = n_bars // n_folds
    group = np.minimum(np.arange(n_bars) // size, n_folds - 1)
    splits = []
    for groups in combinations(range(n_folds), n_test_folds):
        test = np.isin(group, groups)
        train = ~test
        edges = np.flatnonzero(np.diff(np.r_[False, test, False].astype(np.int8)))
        for first, stop in zip(edges[::2], edges[1::2]):  # each maximal test block [first, stop)
            train[max(0, first - purged_size):first] = False
            train[stop:stop + purged_size + embargo_size] = False
        splits.append((np.flatnonzero(train), [np.flatnonzero(group == g) for g in groups], groups))
    return splits


def cpcv_folds(start, end, bar: pd.Timedelta, n_folds: int, n_test_folds: int, purged_size: int,
               embargo_size: int) -> list[Fold]:
    """The cpcv splits of [start, end) as time windows, in skfolio's order (test groups lexicographic)."""
    grid = bar_grid(start, end, bar)
    folds = []
    for index, (train, tests, groups) in enumerate(
            cpcv_masks(len(grid), n_folds, n_test_folds, purged_size, embargo_size)):
        folds.append(Fold(index, _runs(grid, train, bar), tuple(_runs(grid, t, bar)[0] for t in tests), groups))
    return folds


def _runs(grid: pd.DatetimeIndex, positions: np.ndarray, bar: pd.Timedelta) -> tuple[Window, ...]:
    """Consecutive positions as half-open time windows."""
    breaks = np.flatnonzero(np.diff(positions) != 1) + 1
    return tuple((grid[run[0]], grid[run[-1]] + bar) for run in np.split(positions, breaks) if len(run))


def in_windows(ts: pd.DatetimeIndex, windows: tuple[Window, ...]) -> np.ndarray:
    """Boolean mask of the timestamps inside any of the windows."""
    inside = np.zeros(len(ts), dtype=bool)
    for lo, hi in windows:
        inside |= (ts >= lo) & (ts < hi)
    return inside
