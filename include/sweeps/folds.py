"""Walk-forward folds: rolling in-sample windows, each followed by its out-of-sample window.

Fold k: in-sample [start + k * step, + in_sample), out-of-sample from the in-sample
end for out_of_sample; folds are kept while the out-of-sample window ends by `end`.
All windows are half-open [from, to), so a bar belongs to one side of a fold only.
With step = out_of_sample (the default) the out-of-sample windows are back to back.
"""
from __future__ import annotations

from dataclasses import dataclass

import pandas as pd


@dataclass(frozen=True)
class Fold:
    index: int
    in_sample_start: pd.Timestamp
    in_sample_end: pd.Timestamp
    out_of_sample_start: pd.Timestamp
    out_of_sample_end: pd.Timestamp


def walk_forward_folds(start, end, in_sample: pd.Timedelta, out_of_sample: pd.Timedelta,
                       step: pd.Timedelta) -> list[Fold]:
    start, end = pd.Timestamp(start), pd.Timestamp(end)
    folds = []
    while True:
        is_start = start + len(folds) * step
        is_end = is_start + in_sample
        oos_end = is_end + out_of_sample
        if oos_end > end:
            return folds
        folds.append(Fold(len(folds), is_start, is_end, is_end, oos_end))
