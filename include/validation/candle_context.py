"""Columns the expectations check that a plain candle row does not carry.

GX evaluates the rules; this module only prepares per-row facts about each
candle's context: its offset from the timeframe grid, its partition's gap
ratio, the z-score of its move and its deviation from the other venues.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from include.config.schema import Validation
from include.landing.store import CANDLE_SCHEMA
from include.series import Series

PRICE_COLUMNS = ["open", "high", "low", "close"]
CANDLE_COLUMNS = CANDLE_SCHEMA.names
KEY_COLUMNS = ["exchange", "symbol", "timeframe", "timestamp"]
DERIVED_COLUMNS = ["offset_ms", "gap_ratio", "return_z", "deviation_bps", "unconfirmed_move_bps"]
# Every column of a validation frame, exactly: a partition with one more (or one less) fails the gate.
FRAME_COLUMNS = ["exchange", "symbol", "timeframe", "date", *CANDLE_COLUMNS, *DERIVED_COLUMNS]


def _ms(timestamps: pd.Series) -> np.ndarray:
    return timestamps.astype("datetime64[ms, UTC]").astype("int64").to_numpy()


def has_candle_shape(frame: pd.DataFrame) -> bool:
    """True when derived columns can be computed (the schema checks say why not)."""
    return (
        all(c in frame for c in CANDLE_COLUMNS)
        and isinstance(frame["timestamp"].dtype, pd.DatetimeTZDtype)
        and all(pd.api.types.is_float_dtype(frame[c]) for c in CANDLE_COLUMNS[1:])
    )


def find_gaps(timestamps_ms: np.ndarray, step: int, previous_ms: int | None) -> pd.DataFrame:
    """Runs of missing candles between landed ones (never after the newest)."""
    stamps = np.sort(timestamps_ms)
    if previous_ms is not None:
        stamps = np.concatenate(([previous_ms], stamps))
    jumps = np.diff(stamps)
    where = np.flatnonzero(jumps > step)
    return pd.DataFrame(
        {
            "gap_start": pd.to_datetime(stamps[where] + step, unit="ms", utc=True),
            "gap_end": pd.to_datetime(stamps[where + 1] - step, unit="ms", utc=True),
            "missing_candles": (jumps[where] // step - 1).astype("int64"),
        }
    )


def gap_ratio(timestamps_ms: np.ndarray, step: int, day_start_ms: int, has_history: bool) -> float:
    """Missing share of the partition's slots, from midnight (or the series' first candle) to its last candle."""
    if len(timestamps_ms) == 0:
        return 1.0
    low = day_start_ms if has_history else int(timestamps_ms.min())
    expected = (int(timestamps_ms.max()) - low) // step + 1
    return max(0.0, 1.0 - len(np.unique(timestamps_ms)) / expected)


def return_z(closes: pd.Series, window: int) -> pd.Series:
    """Log return of each candle over the std of the `window` returns before it."""
    returns = np.log(closes.where(closes > 0)).diff()
    scale = returns.rolling(window, min_periods=min(window, 30)).std().shift(1)
    return returns / scale


def deviation_bps(frame: pd.DataFrame, reference: pd.Series | None) -> pd.Series:
    """Close versus the other venues' median close at the same time, in basis points."""
    if reference is None or reference.empty:
        return pd.Series(np.nan, index=frame.index)
    ref = frame["timestamp"].map(reference)
    return (frame["close"] / ref - 1.0) * 1e4


def unconfirmed_move_bps(frame: pd.DataFrame, step: int, max_abs_z: float) -> pd.Series:
    """Of a flagged move (|return_z| beyond max_abs_z), the part the other venues did not make, in bps.

    That is the change of the candle's deviation from their median since the candle before: a real
    market move (a crash, the USDC de-peg) shows on every venue, so the deviation barely changes even
    where a venue already trades apart; a bad print (a 50x spike) moves one venue alone. Without the
    candle before (the first of a batch, after a gap) the deviation itself counts. 0 for unflagged
    moves and where no other venue quotes the symbol.
    """
    order = frame.sort_values("timestamp")
    stamps, deviation = _ms(order["timestamp"]), order["deviation_bps"]
    follows = np.concatenate(([False], np.diff(stamps) == step))
    before = deviation.shift(1).where(follows, 0.0).fillna(0.0)
    change = (deviation - before).reindex(frame.index)
    flagged = frame["return_z"].abs() > max_abs_z
    return change.where(flagged & change.notna(), 0.0).astype("float64")


def validation_frame(
    series: Series,
    step: int,
    candles: pd.DataFrame,
    warmup: pd.DataFrame | None,
    previous_ms: int | None,
    reference: pd.Series | None,
    rules: Validation,
) -> pd.DataFrame:
    """All candidate partitions of a series (rows with a `date` column) as one batch, with the derived columns."""
    frame = candles.copy()
    frame.insert(0, "date", frame.pop("date").astype(str))
    frame.insert(0, "timeframe", series.timeframe)
    frame.insert(0, "symbol", series.symbol)
    frame.insert(0, "exchange", series.exchange)
    if not has_candle_shape(frame):
        return frame
    stamps = _ms(frame["timestamp"])
    frame["offset_ms"] = stamps % step
    ratios, seen = {}, previous_ms is not None
    for day, rows in frame.groupby("date", sort=True):
        day_start = int(pd.Timestamp(day, tz="UTC").value // 1_000_000)
        ratios[day] = gap_ratio(_ms(rows["timestamp"]), step, day_start, seen)
        seen = True
    frame["gap_ratio"] = frame["date"].map(ratios)
    context = frame[["timestamp", "close"]]
    if warmup is not None and len(warmup):
        context = pd.concat([warmup[["timestamp", "close"]].tail(rules.return_z_window), context], ignore_index=True)
    context = context.drop_duplicates("timestamp", keep="last").sort_values("timestamp")
    z = return_z(context.set_index("timestamp")["close"], rules.return_z_window)
    frame["return_z"] = frame["timestamp"].map(z).astype("float64")
    frame["deviation_bps"] = deviation_bps(frame, reference).astype("float64")
    frame["unconfirmed_move_bps"] = unconfirmed_move_bps(frame, step, rules.max_abs_return_z)
    return frame


def partition_gaps(frame: pd.DataFrame, step: int, previous_ms: int | None) -> dict[str, pd.DataFrame]:
    """Gap runs per partition, each measured from the candle before it."""
    out, prev = {}, previous_ms
    for day, rows in frame.groupby("date", sort=True):
        stamps = _ms(rows["timestamp"])
        out[day] = find_gaps(stamps, step, prev)
        prev = int(stamps.max()) if len(stamps) else prev
    return out

