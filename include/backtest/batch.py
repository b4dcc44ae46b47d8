"""run_batch: one strategy, many parameter sets, one series: one parallel Numba pass per block.

What a loop of run_backtest calls does, without the Python around each run:
- indicators: each distinct input column the chunk's parameter sets read (a strategy's
  `columns`, e.g. sma_30) is computed once (kept across blocks up to COLUMN_BYTES) and added
  to the frame the signals read;
- signals: the strategy's own signal function per parameter set, into a block x bars matrix;
- simulation: kernel.run, the very pass run_backtest uses, over the block's rows in
  parallel (numba prange; each thread owns one set of equity / trade buffers);
- metrics: summary.performance inside the same kernel, so one row per parameter set
  (summary.FIELDS) comes back, equal to run_backtest's metrics (summary.py says how).
Memory: a block holds at most BLOCK_BYTES of signals (and as much again of bar
returns with keep_returns), the kept columns at most COLUMN_BYTES, whatever the number
of parameter sets.
"""
from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import numba
import numpy as np
import pandas as pd
from numba import njit, prange

from include.backtest import breaker as breaker_events
from include.backtest import kernel, summary, trades
from include.backtest.bars import Bars
from include.backtest.config import Breaker, Costs, Exits, Sizing
from include.backtest.engine import DEFAULT_BREAKER, engine_inputs
from include.strategies.base import Strategy, validate_params

BLOCK_BYTES = 64 * 2**20   # signals of one block (and as much again of bar returns with keep_returns)
COLUMN_BYTES = 256 * 2**20  # input columns kept across a chunk's blocks
N_FIELDS = len(summary.FIELDS)


@njit(cache=True, parallel=True)
def simulate_batch(open_, high, low, close, signals, sizes, slip, atr, initial_capital, fee_signal, fee_exit,
                   kelly_cfg, exit_cfg, breaker_cfg, periods, returns_out, threads, parts):
    """One summary row per row of signals; returns_out: (rows, bars) to keep each run's bar returns, or (0, 0).
    threads: numba.get_num_threads() (an argument: a kernel calling it cannot be cached). parts: kernel.parts_of
    the configs (without exposure): this kernel is compiled once per variant (kernel.run_variant)."""
    k, n = signals.shape
    out = np.empty((k, N_FIELDS))
    workers = min(k, threads)
    keep = returns_out.shape[0] == k
    # the trades as a ring, Kelly's window plus the open one: the runs' stats need no trade list, and a short
    # buffer stays in cache (a row per trade over the whole run would stream through memory)
    ring = int(kelly_cfg[kernel.K_WINDOW]) + 2 if kelly_cfg[kernel.K_ON] == 1 else 2
    plan_sizes, plan_merges = summary.pairwise_plan(n)
    for w in prange(workers):
        equity = np.empty(n)
        exposure = np.empty(0)  # the summaries need none: skip its division per bar
        trade_rows = np.empty((ring, trades.TRADE_FIELDS))
        events = np.empty((n + 1, breaker_events.EVENT_FIELDS))
        scratch = np.empty(n)
        leaf = np.empty(summary.PAIRWISE_BLOCK)
        partial = np.empty((64, 3))
        for i in range(w, k, workers):
            acct, _ = kernel.run_variant(open_, high, low, close, signals[i], sizes, slip, atr, initial_capital,
                                         fee_signal, fee_exit, kelly_cfg, exit_cfg, breaker_cfg, equity, exposure,
                                         trade_rows, events, parts)
            row = out[i]
            summary.performance(equity, initial_capital, periods, plan_sizes, plan_merges, leaf, partial, scratch,
                                row)
            row[summary.N_TRADES] = summary.closed_trades(trade_rows, int(acct[trades.N_TRADES]))
            row[summary.FINAL_EQUITY] = equity[n - 1]
            if keep:
                summary.bar_returns(equity, initial_capital, returns_out[i])
    return out


class SharedColumns:
    """The input columns (Strategy.columns) of a chunk's parameter sets, each computed once and kept while
    they fit in COLUMN_BYTES (least recently used dropped first), added to the frame the signals read."""

    def __init__(self, frame: pd.DataFrame, strategy: Strategy):
        self.frame, self.strategy = frame, strategy
        self.kept: OrderedDict[str, np.ndarray] = OrderedDict()

    def frame_for(self, params_list: Sequence[Mapping[str, Any]]) -> pd.DataFrame:
        """The frame plus every column the parameter sets read and the frame lacks (no copy of either)."""
        if self.strategy.columns is None:
            return self.frame
        wanted: dict[str, Any] = {}
        for params in params_list:
            wanted.update((name, compute) for name, compute in self.strategy.columns(params).items()
                          if name not in self.frame.columns)
        for name, compute in wanted.items():
            if name in self.kept:
                self.kept.move_to_end(name)
            else:
                self.kept[name] = compute(self.frame)
        while len(self.kept) > len(wanted) and sum(a.nbytes for a in self.kept.values()) > COLUMN_BYTES:
            self.kept.popitem(last=False)  # the oldest are not this block's: it moved its own to the end
        if not wanted:
            return self.frame
        columns = {c: self.frame[c] for c in self.frame.columns} | {n: self.kept[n] for n in wanted}
        return pd.DataFrame(columns, copy=False)


def block_rows(n_bars: int, keep_returns: bool) -> int:
    """Parameter sets per block: BLOCK_BYTES of signals (and of returns), at least one per thread."""
    per_row = 8 * n_bars * (2 if keep_returns else 1)
    return max(numba.get_num_threads(), BLOCK_BYTES // per_row)


def iter_batch(bars: Bars, strategy: Strategy, params_list: Sequence[Mapping[str, Any]], costs: Costs | None = None,
               *, sizing: Sizing | None = None, exits: Exits | None = None,
               breaker: Breaker | None = DEFAULT_BREAKER, initial_capital: float = 10_000.0,
               keep_returns: bool = False, timings: dict[str, float] | None = None,
               ) -> Iterator[tuple[int, np.ndarray, np.ndarray | None]]:
    """(first index, summary rows, bar returns or None) per block of params_list, in order.

    The same arguments as run_backtest (check_lookahead is the caller's: once per strategy).
    Each params is validated as run_backtest validates it; the first bad one raises StrategyError.
    timings: seconds spent on columns, signals and the kernel are added to it (the benchmark's breakdown).
    """
    clock = Stopwatch(timings)
    validated = [validate_params(strategy, p) for p in params_list]
    inputs = engine_inputs(bars, costs, sizing, exits, breaker, initial_capital)
    rows = max(1, min(block_rows(len(bars), keep_returns), len(validated)))
    parts = kernel.parts_of(inputs[-2], inputs[-1], False)  # (exit_cfg, breaker_cfg; no exposure series)
    columns = SharedColumns(bars.frame, strategy)
    signal_buffer = np.empty((rows, len(bars)))  # reused by every block: fresh pages cost a fault each
    for start in range(0, len(validated), rows):
        block = validated[start:start + rows]
        clock.start()  # not the caller's time between blocks
        frame = columns.frame_for(block)
        clock.lap("columns")
        signals = signal_buffer[:len(block)]
        if strategy.block_signals is not None:
            strategy.block_signals(frame, block, signals)
        else:
            for i, params in enumerate(block):
                signals[i] = strategy.signals(frame, params, validated=True)
        clock.lap("signals")
        returns = np.empty((len(block), len(bars)) if keep_returns else (0, 0))  # handed out: not reused
        out = simulate_batch(bars.open, bars.high, bars.low, bars.close, signals, *inputs, float(bars.periods),
                             returns, numba.get_num_threads(), parts)
        clock.lap("kernel")
        yield start, out, returns if keep_returns else None


def run_batch(bars: Bars, strategy: Strategy, params_list: Sequence[Mapping[str, Any]], costs: Costs | None = None,
              **settings) -> list[dict[str, float]]:
    """summary.FIELDS per parameter set (n_trades an int), as run_backtest's metrics name them."""
    out = []
    for _, rows, _ in iter_batch(bars, strategy, params_list, costs, **settings):
        out += [summary_dict(row) for row in rows]
    return out


class Stopwatch:
    """Adds the seconds since the last lap to timings[name] (nothing when timings is None)."""

    def __init__(self, timings: dict[str, float] | None):
        self.timings, self.last = timings, time.perf_counter()

    def start(self) -> None:
        self.last = time.perf_counter()

    def lap(self, name: str) -> None:
        now = time.perf_counter()
        if self.timings is not None:
            self.timings[name] = self.timings.get(name, 0.0) + now - self.last
        self.last = now


def summary_dict(row: np.ndarray) -> dict[str, float]:
    values = dict(zip(summary.FIELDS, row.tolist(), strict=True))
    values["n_trades"] = int(values["n_trades"])
    return values
