"""Lookahead guard: a strategy's signal at bar t must not change when the bars after t are removed.

For a deterministic sample of cut bars t (CUTS bars spread evenly from the end of
the warm-up, i.e. the first bar with a non-NaN signal, to the last bar, plus the
last bar itself) the signals on frame.iloc[:t+1] must equal the full-data signals
on bars 0..t exactly (NaN equals NaN). Comparing the whole prefix, not only bar t,
also catches a strategy that peeks several bars ahead.

run_backtest runs this check on every call unless told check_lookahead=False. A
sweep should check each strategy once, with its default params, before its loop
(assert_no_lookahead) and then pass check_lookahead=False: peeking is a property of
the code, and the check costs about CUTS extra signal computations.
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from include.errors import PeakTradeError
from include.strategies.base import Strategy, validate_params
from include.timeframes import timestamp_column

CUTS = 20


class LookaheadError(PeakTradeError):
    """A strategy's signal uses bars after the one it is for."""


def sample_cuts(n_bars: int, start: int, count: int = CUTS) -> list[int]:
    """`count` bars spread evenly over [start, n_bars - 1], plus the last bar; sorted, distinct."""
    start = min(max(start, 0), n_bars - 1)
    cuts = np.linspace(start, n_bars - 1, count).round().astype(int)
    return sorted({*cuts.tolist(), n_bars - 1})


def _bar_time(frame: pd.DataFrame, bar: int):
    column = timestamp_column(frame)
    return frame[column].iloc[bar] if column else None


def _first_difference(cut: np.ndarray, full: np.ndarray) -> int | None:
    same = (cut == full) | (np.isnan(cut) & np.isnan(full))
    return None if same.all() else int(np.argmin(same))


def assert_no_lookahead(strategy: Strategy, frame: pd.DataFrame, params: Mapping[str, Any] | None = None,
                        *, count: int = CUTS) -> None:
    """Raise LookaheadError naming the strategy and the first bar (index, ts) whose signal peeks."""
    params = validate_params(strategy, params)
    full = strategy.signals(frame, params, validated=True)
    ready = np.flatnonzero(~np.isnan(full))
    start = int(ready[0]) if ready.size else 0
    for t in sample_cuts(len(frame), start, count):
        cut = strategy.signals(frame.iloc[: t + 1], params, validated=True)
        bar = _first_difference(cut, full[: t + 1])
        if bar is not None:
            raise LookaheadError(
                f"strategy {strategy.name!r} looks ahead: its signal at bar {bar} "
                f"(ts {_bar_time(frame, bar)}) is {full[bar]} on the full data but {cut[bar]} "
                f"on the data cut after bar {t}"
            )
