"""Walk-forward splits: cpcv equals skfolio's CombinatorialPurgedCV on the same bar index; purge and
embargo leave the gaps they promise; rolling folds purge the end of their training window."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from skfolio.model_selection import CombinatorialPurgedCV

from include.sweeps import SweepError
from include.sweeps.folds import bar_grid, cpcv_folds, cpcv_masks, in_windows, walk_forward_folds

HOUR = pd.Timedelta(hours=1)
START = pd.Timestamp("2024-01-01", tz="UTC")
CASES = [  # n bars, n_folds, n_test_folds, purged_size, embargo_size
    (120, 6, 2, 0, 0), (120, 6, 2, 3, 2), (125, 5, 3, 4, 0), (1000, 8, 3, 10, 7), (97, 4, 2, 0, 5),
]


def skfolio_splits(n, n_folds, n_test_folds, purged, embargo):
    cv = CombinatorialPurgedCV(n_folds=n_folds, n_test_folds=n_test_folds, purged_size=purged, embargo_size=embargo)
    return list(cv.split(np.zeros((n, 1))))


@pytest.mark.parametrize("n, n_folds, n_test_folds, purged, embargo", CASES)
def test_cpcv_index_sets_equal_skfolios(n, n_folds, n_test_folds, purged, embargo):
    ours = cpcv_masks(n, n_folds, n_test_folds, purged, embargo)
    theirs = skfolio_splits(n, n_folds, n_test_folds, purged, embargo)
    assert len(ours) == len(theirs)
    for (train, tests, _), (their_train, their_tests) in zip(ours, theirs):
        np.testing.assert_array_equal(train, their_train)
        assert len(tests) == len(their_tests)
        for test, their_test in zip(tests, their_tests):
            np.testing.assert_array_equal(test, their_test)


@pytest.mark.parametrize("n, n_folds, n_test_folds, purged, embargo", CASES)
def test_cpcv_fold_windows_cover_exactly_skfolios_bars(n, n_folds, n_test_folds, purged, embargo):
    end = START + n * HOUR
    grid = bar_grid(START, end, HOUR)
    folds = cpcv_folds(START, end, HOUR, n_folds, n_test_folds, purged, embargo)
    for fold, (their_train, their_tests) in zip(folds, skfolio_splits(n, n_folds, n_test_folds, purged, embargo),
                                                strict=True):
        np.testing.assert_array_equal(np.flatnonzero(in_windows(grid, fold.train)), their_train)
        assert len(fold.test) == len(their_tests) == len(fold.test_groups)
        for window, their_test in zip(fold.test, their_tests):
            np.testing.assert_array_equal(np.flatnonzero(in_windows(grid, (window,))), their_test)


def test_purge_and_embargo_leave_their_gaps():
    n, n_folds, purged, embargo = 600, 6, 7, 5
    size = n // n_folds
    for train, tests, groups in cpcv_masks(n, n_folds, 2, purged, embargo):
        test = np.concatenate(tests)
        assert not np.intersect1d(train, test).size  # no bar both in train and test
        in_test = np.zeros(n, dtype=bool)
        in_test[test] = True
        starts = [g * size for g in groups if g == 0 or not in_test[g * size - 1]]
        stops = [(g + 1) * size for g in groups if g == n_folds - 1 or not in_test[(g + 1) * size]]
        removed = set()
        for first in starts:
            removed |= set(range(max(0, first - purged), first))  # purged before the test block
        for stop in stops:
            removed |= set(range(stop, min(n, stop + purged + embargo)))  # purged and embargoed after it
        assert removed and not removed & set(train)
        assert removed.isdisjoint(test)
        assert set(train) | set(test) | removed == set(range(n))  # nothing else is left out


def test_an_embargo_only_removes_bars_after_the_test_block():
    (train, tests, groups), = [s for s in cpcv_masks(100, 5, 2, 0, 4) if s[2] == (1, 3)]
    assert groups == (1, 3)
    absent = sorted(set(range(100)) - set(train) - set(np.concatenate(tests)))
    assert absent == [40, 41, 42, 43, 80, 81, 82, 83]  # after groups 1 (20-39) and 3 (60-79), never before


def test_purge_and_embargo_larger_than_a_group_allows_is_named():
    with pytest.raises(SweepError, match=r"purged_size \+ embargo_size = 19 bars must be below 19"):
        cpcv_masks(100, 5, 2, 10, 9)


def test_rolling_folds_purge_the_end_of_training():
    day = pd.Timedelta(days=1)
    folds = walk_forward_folds(START, START + 10 * day, 3 * day, 2 * day, 2 * day, purge=6 * HOUR)
    assert len(folds) == 3
    grid = bar_grid(START, START + 10 * day, HOUR)
    for fold in folds:
        (train_start, train_end), = fold.train
        (test_start, test_end), = fold.test
        assert train_end == test_start - 6 * HOUR and test_end - test_start == 2 * day
        train, test = in_windows(grid, fold.train), in_windows(grid, fold.test)
        assert not (train & test).any()
        gap = grid[~train & ~test & (grid >= train_start) & (grid < test_end)]
        assert list(gap) == list(pd.date_range(train_end, test_start - HOUR, freq="1h"))  # 6 purged bars
