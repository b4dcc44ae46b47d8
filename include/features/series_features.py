"""The numeric features of every bar, computed by Numba kernels for dbt's `int_indicators`.

The dbt Python model hands this module a DuckDB connection and two relation
names: `stg_candles` and, on an incremental run, the model's own table. The plan
says, per series, where to start: from bar 0 (a new series, a full refresh, or a
series whose history changed under it, e.g. a backfill), or after its last stored
bar, with LOOKBACK earlier bars for the windows and the recursions' stored state.
Only series with new bars are read.
"""
from __future__ import annotations

import math

import numpy as np
import pyarrow as pa

from include.features.ta_kernels import MIN_LOOKBACK, OUTPUT_FIELDS as TA_FIELDS, ta_features
from include.features.window_kernels import rolling_mean, rolling_percent_rank, rolling_std
from include.timeframes import periods_per_year

# Bars before the first new one that a continuation reads: the percentile rank of
# rv_20 over 500 bars needs 519 bars of history, the recursions MIN_LOOKBACK.
LOOKBACK = max(520, MIN_LOOKBACK)
WINDOW_FIELDS = ("ret_simple", "ret_log", "close_std_20", "rv_20", "rv_60", "volume_z_20", "rv_20_pctile_500")
FIELDS = WINDOW_FIELDS + TA_FIELDS
CANDLE = ("open", "high", "low", "close", "volume")


def _plan_sql(candles: str, stored: str | None) -> str:
    """One row per series to (re)compute: series_id, names, first_bar, read_from, last_ts, last_bar, state."""
    if stored is None:
        return f"""
            select row_number() over (order by exchange, symbol, timeframe) as series_id,
                   exchange, symbol, timeframe, 0::bigint as first_bar, null::timestamptz as read_from,
                   null::timestamptz as last_ts, -1::bigint as last_bar, null::double[] as state
            from (select distinct exchange, symbol, timeframe from {candles})"""
    return f"""
        with stored as (
            select exchange, symbol, timeframe, ts as last_ts, bar_index as last_bar, state
            from {stored}
            qualify row_number() over (partition by exchange, symbol, timeframe order by ts desc) = 1
        ),
        landed as (
            select c.exchange, c.symbol, c.timeframe, max(c.ts) as max_ts,
                   count(*) filter (where c.ts <= s.last_ts) as bars_to_last
            from {candles} as c
            left join stored as s using (exchange, symbol, timeframe)
            group by all
        ),
        resume as (
            select t.exchange, t.symbol, t.timeframe, min(t.ts) as read_from, min(t.bar_index) as first_bar
            from {stored} as t
            join stored as s using (exchange, symbol, timeframe)
            where t.bar_index > s.last_bar - {LOOKBACK}
            group by all
        ),
        checked as (
            -- A series continues only if the landed history up to its last stored bar
            -- is the one it was computed from (same bar count) and its state was kept.
            select l.*, s.last_ts, s.last_bar, s.state, r.read_from, r.first_bar,
                   coalesce(l.bars_to_last = s.last_bar + 1 and s.state is not null, false) as continues
            from landed as l
            left join stored as s using (exchange, symbol, timeframe)
            left join resume as r using (exchange, symbol, timeframe)
        )
        select row_number() over (order by exchange, symbol, timeframe) as series_id,
               exchange, symbol, timeframe,
               case when continues then first_bar else 0 end as first_bar,
               case when continues then read_from end as read_from,
               case when continues then last_ts end as last_ts,
               case when continues then last_bar else -1 end as last_bar,
               case when continues then state end as state
        from checked
        where not continues or max_ts > last_ts"""


def series_features(close, high, low, volume, timeframe, first_bar=0, start=0, state=None):
    """Every field for positions start.. of one series (arrays include the look-back); and the final state."""
    ta, final_state = ta_features(close, high, low, first_bar, start, state)
    # Warm-ups count absolute bars; position i is bar first_bar + i.
    at = lambda bar: bar - first_bar  # noqa: E731
    prev_close = np.concatenate(([np.nan], close[:-1]))
    ret_log = np.log(close / prev_close)
    volume_std = rolling_std(volume, 20, 1, at(19))
    volume_mean = rolling_mean(volume, 20, at(19))
    with np.errstate(divide="ignore", invalid="ignore"):
        volume_z = np.where(volume_std > 0, (volume - volume_mean) / volume_std, np.nan)
    annualise = math.sqrt(periods_per_year(timeframe))
    rv_20 = rolling_std(ret_log, 20, 1, at(20)) * annualise
    columns = {
        "ret_simple": close / prev_close - 1,
        "ret_log": ret_log,
        "close_std_20": rolling_std(close, 20, 0, at(19)),
        "rv_20": rv_20,
        "rv_60": rolling_std(ret_log, 60, 1, at(60)) * annualise,
        "volume_z_20": volume_z,
        "rv_20_pctile_500": rolling_percent_rank(rv_20, 500, at(519)),
    }
    columns.update({name: ta[:, k] for k, name in enumerate(TA_FIELDS)})
    return {name: values[start:] for name, values in columns.items()}, final_state


def _fetch(con, candles: str):
    """The bars of every planned series from its read_from on, ordered by series then time."""
    return con.sql(f"""
        select p.series_id, epoch_us(c.ts) as ts_us, c.open, c.close, c.high, c.low, c.volume
        from {candles} as c
        join peak_indicator_plan as p using (exchange, symbol, timeframe)
        where p.read_from is null or c.ts >= p.read_from
        order by p.series_id, c.ts""").fetchnumpy()


def build_indicators(con, candles: str, stored: str | None):
    """The rows int_indicators adds this run, as a DuckDB relation on `con`."""
    con.sql(f"create or replace temp table peak_indicator_plan as {_plan_sql(candles, stored)}")
    plan = con.sql("select series_id, timeframe, first_bar, last_bar, state from peak_indicator_plan").fetchall()
    bars = _fetch(con, candles)
    series_ids = np.asarray(bars["series_id"])
    bounds = np.searchsorted(series_ids, [row[0] for row in plan] + [np.inf])
    parts = {name: [] for name in ("series_id", "ts", "bar_index", *CANDLE, *FIELDS, "state")}
    for k, (series_id, timeframe, first_bar, last_bar, state) in enumerate(plan):
        rows = slice(bounds[k], bounds[k + 1])
        start = last_bar + 1 - first_bar
        values, final_state = series_features(
            *(np.asarray(bars[c][rows], dtype=np.float64) for c in ("close", "high", "low", "volume")),
            timeframe, first_bar, start, state,
        )
        count = len(values["ret_log"])
        parts["series_id"].append(np.full(count, series_id))
        parts["ts"].append(np.asarray(bars["ts_us"][rows], dtype=np.int64)[start:])
        parts["bar_index"].append(np.arange(last_bar + 1, last_bar + 1 + count))
        for name in CANDLE:
            parts[name].append(np.asarray(bars[name][rows], dtype=np.float64)[start:])
        for name in FIELDS:
            parts[name].append(values[name])
        parts["state"].append((count, final_state))
    con.register("peak_indicator_rows", _arrow_rows(parts))
    # NaN (an undefined value: before a warm-up, a zero range) becomes NULL, never a number; here
    # rather than as Arrow masks in Python, where it cost a pass and a copy per column.
    return con.sql(f"""
        select p.exchange, p.symbol, p.timeframe, r.ts, (r.ts at time zone 'UTC')::date as trade_date, r.bar_index,
               {', '.join(f'r.{name}' for name in CANDLE)},
               {', '.join(f"nullif(r.{name}, 'NaN'::double) as {name}" for name in FIELDS)},
               r.state, get_current_timestamp() as computed_at
        from peak_indicator_rows as r
        join peak_indicator_plan as p using (series_id)""")


def _states(chunks: list[tuple[int, np.ndarray]]) -> pa.ListArray:
    """The state list on each series' last row, NULL on every other row."""
    lengths, values = [], []
    for count, state in chunks:
        lengths += [0] * (count - 1) + [len(state)] if count else []
        values.append(state if count else state[:0])
    offsets = np.concatenate(([0], np.cumsum(lengths, dtype=np.int32))).astype(np.int32)
    valid = np.asarray(lengths, dtype=np.int64) > 0
    flat = pa.array(np.concatenate(values) if values else np.empty(0))
    return pa.ListArray.from_arrays(pa.array(offsets), flat, mask=pa.array(~valid))


def _arrow_rows(parts: dict[str, list]) -> pa.Table:
    """The rows as Arrow columns without a copy (NaN stays NaN), timestamps UTC."""
    def column(name):
        chunks = parts[name]
        if name == "state":
            return _states(chunks)
        joined = np.concatenate(chunks) if chunks else np.empty(0)
        if name == "ts":  # epoch microseconds: no datetime objects on the way
            return pa.array(joined.astype(np.int64), type=pa.int64()).cast(pa.timestamp("us", tz="UTC"))
        return pa.array(joined)
    return pa.table({name: column(name) for name in parts})
