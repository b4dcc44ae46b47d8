"""run_batch: one strategy, many parameter sets, one series: one parallel Numba pass per block.

What a loop of run_backtest calls does, without the Python around each run:
- indicators: each distinct input column the chunk's parameter sets read (a strategy's
  `columns`, e.g. sma_30) is computed once (kept across blocks up to COLUMN_BYTES) and added
  to the frame the signals read;
- signals: the strategy's own signal function per parameter set, into a block x bars matrix,
  or, for a strategy with a kernel_signal (sma_crossover), no matrix: the kernel computes
  each run's signal bar by bar from the block's columns (kernel.signal_at);
- simulation: kernel.run_as, the very pass run_backtest uses, over the block's rows in
  parallel (numba prange; each thread owns one set of equity / trade buffers), compiled
  for the optional parts the configs have (simulate_batch);
- metrics: summary.performance inside the same kernel, so one row per parameter set
  (summary.FIELDS) comes back, equal to run_backtest's metrics (summary.py says how).
Memory: a block holds at most BLOCK_BYTES of signals (and as much again of bar returns with
keep_returns), the kept columns at most COLUMN_BYTES (a block of in-kernel signals reads no
more than that), whatever the number of parameter sets.
"""
from __future__ import annotations

import functools
import time
from collections import OrderedDict
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import numba
import numpy as np
import pandas as pd
from numba import njit, prange, types
from numba.core.errors import TypingError
from numba.extending import overload

from include.backtest import breaker as breaker_events
from include.backtest import kernel, summary, trades
from include.backtest.bars import Bars
from include.backtest.config import Breaker, Costs, Exits, Sizing
from include.backtest.engine import DEFAULT_BREAKER, engine_inputs
from include.features.indicators import as_float
from include.strategies.base import Strategy, validate_params

BLOCK_BYTES = 64 * 2**20   # signals of one block (and as much again of bar returns with keep_returns)
COLUMN_BYTES = 256 * 2**20  # input columns kept across a chunk's blocks
N_FIELDS = len(summary.FIELDS)


def row_signal(source, i):
    """Row i's signal for kernel.run_as: see row_signal_typed."""


@overload(row_signal)
def row_signal_typed(source, i):
    # (signals,): a matrix of signals, row i. (columns, rows, flags): Strategy.kernel_signal's, row i's columns
    # and flag, for kernel.signal_at to compute the signal in the loop.
    if isinstance(source, types.BaseTuple) and len(source) == 1:
        return lambda source, i: source[0][i]
    if isinstance(source, types.BaseTuple) and len(source) == 3:
        return lambda source, i: (source[0][source[1][i, 0]], source[0][source[1][i, 1]], source[2][i])
    raise TypingError(f"source: (signals,) or (columns, rows, flags), not {source}")


@functools.cache
def simulate_batch(parts: int):
    """The batch kernel for one variant (parts = kernel.parts_of of the configs, without exposure), compiled
    (or loaded from Numba's cache) the first time a run needs it: parts is a constant in it, so its loop has
    only the optional parts the runs have, and a process compiles only the variants it runs (each is as long
    to compile as the whole loop)."""

    @njit(cache=True, parallel=True)
    def simulate(open_, high, low, close, source, sizes, slip, atr, initial_capital, fee_signal, fee_exit,
                 kelly_cfg, exit_cfg, breaker_cfg, periods, returns_out, threads):
        """One summary row per row of the source (row_signal); returns_out: (rows, bars) to keep each run's bar
        returns, or (0, 0). threads: numba.get_num_threads() (an argument: a kernel calling it cannot be cached)."""
        k, n = source[-1].shape[0], close.shape[0]
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
                acct, _ = kernel.run_as(open_, high, low, close, row_signal(source, i), sizes, slip, atr,
                                        initial_capital, fee_signal, fee_exit, kelly_cfg, exit_cfg, breaker_cfg,
                                        equity, exposure, trade_rows, events, parts)
                row = out[i]
                summary.performance(equity, initial_capital, periods, plan_sizes, plan_merges, leaf, partial,
                                    scratch, row)
                row[summary.N_TRADES] = summary.closed_trades(trade_rows, int(acct[trades.N_TRADES]))
                row[summary.FINAL_EQUITY] = equity[n - 1]
                if keep:
                    summary.bar_returns(equity, initial_capital, returns_out[i])
        return out

    return simulate


class SharedColumns:
    """The input columns (Strategy.columns) of a chunk's parameter sets, each computed once into a row of one
    store and kept while the store has room (COLUMN_BYTES; the least recently used row is reused first): added
    to the frame the signals read (frame_for), or read by the kernel from the store itself (slots_for)."""

    def __init__(self, frame: pd.DataFrame, strategy: Strategy):
        self.frame, self.strategy = frame, strategy
        self.store = np.empty((0, len(frame)))
        self.capacity = max(1, COLUMN_BYTES // (8 * max(len(frame), 1)))
        self.slots: OrderedDict[str, int] = OrderedDict()  # name -> store row, least recently used first

    def slots_for(self, params_list: Sequence[Mapping[str, Any]]) -> dict[str, int]:
        """name -> store row of every column the parameter sets read, a frame's own column copied in (signal
        functions read it rather than compute it: signals.column_or)."""
        wanted: dict[str, Any] = {}
        for params in params_list:
            wanted.update(self.strategy.columns(params))
        for name in wanted:
            if name in self.slots:
                self.slots.move_to_end(name)
        missing = [(name, compute) for name, compute in wanted.items() if name not in self.slots]
        if missing and self.store.shape[0] < max(self.capacity, len(wanted)):
            # the whole capacity at once (or what a block reading more than fits needs: it still runs): rows not
            # written cost no memory (a page is mapped when first written), and growing by doubling copied the
            # store each time into fresh pages, a fault each (0.4 s of a 3.7 s sweep of the 10k grid)
            grown = np.empty((max(self.capacity, len(wanted)), self.store.shape[1]))
            grown[:len(self.slots)] = self.store[:len(self.slots)]
            self.store = grown
        for name, compute in missing:
            slot = self._free_slot()
            self.store[slot] = as_float(self.frame[name]) if name in self.frame.columns else compute(self.frame)
            self.slots[name] = slot
        return {name: self.slots[name] for name in wanted}

    def _free_slot(self) -> int:
        """A row for a new column: an unused one, or the least recently used one not among the block's."""
        if len(self.slots) < self.store.shape[0]:
            return len(self.slots)
        return self.slots.popitem(last=False)[1]  # the oldest are not this block's: it moved its own to the end

    def frame_for(self, params_list: Sequence[Mapping[str, Any]]) -> pd.DataFrame:
        """The frame plus every column the parameter sets read and the frame lacks (no copy of either)."""
        if self.strategy.columns is None:
            return self.frame
        added = {name: self.store[slot] for name, slot in self.slots_for(params_list).items()
                 if name not in self.frame.columns}
        if not added:
            return self.frame
        return pd.DataFrame({c: self.frame[c] for c in self.frame.columns} | added, copy=False)


def block_rows(n_bars: int, keep_returns: bool) -> int:
    """Parameter sets per block: BLOCK_BYTES of signals (and of returns), at least one per thread."""
    per_row = 8 * n_bars * (2 if keep_returns else 1)
    return max(numba.get_num_threads(), BLOCK_BYTES // per_row)


def blocks(strategy: Strategy, validated: list[dict], n_bars: int, keep_returns: bool) -> Iterator[tuple[int, int]]:
    """(start, stop) of each block of parameter sets. A matrix of signals: block_rows rows. An in-kernel signal
    (Strategy.kernel_signal) needs no matrix, only its columns, read from SharedColumns' store: as many
    parameter sets as read at most the store's COLUMN_BYTES of distinct columns (at least one), and block_rows
    of returns with keep_returns."""
    if strategy.kernel_signal is None or keep_returns:
        rows = max(1, min(block_rows(n_bars, keep_returns), len(validated)))
        yield from ((start, min(start + rows, len(validated))) for start in range(0, len(validated), rows))
        return
    limit = COLUMN_BYTES // (8 * n_bars)
    start = 0
    while start < len(validated):
        names, stop = set(), start
        while stop < len(validated):
            more = names | strategy.columns(validated[stop]).keys()
            if len(more) > limit and stop > start:
                break
            names, stop = more, stop + 1
        yield start, stop
        start = stop


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
    simulate = simulate_batch(int(kernel.parts_of(inputs[-2], inputs[-1], False)))  # (exit_cfg, breaker_cfg)
    columns = SharedColumns(bars.frame, strategy)
    signal_buffer = None  # reused by every block: fresh pages cost a fault each
    for start, stop in blocks(strategy, validated, len(bars), keep_returns):
        block = validated[start:stop]
        clock.start()  # not the caller's time between blocks
        if strategy.kernel_signal is not None:
            slots = columns.slots_for(block)
            clock.lap("columns")
            rows = np.empty((len(block), 2), dtype=np.int64)
            flags = np.empty(len(block), dtype=np.bool_)
            for i, params in enumerate(block):
                (fast, slow), flags[i] = strategy.kernel_signal(params)
                rows[i] = slots[fast], slots[slow]
            source = (columns.store, rows, flags)
        else:
            frame = columns.frame_for(block)
            clock.lap("columns")
            if signal_buffer is None:
                signal_buffer = np.empty((stop - start, len(bars)))
            signals = signal_buffer[:len(block)]
            for i, params in enumerate(block):
                signals[i] = strategy.signals(frame, params, validated=True)
            source = (signals,)
        clock.lap("signals")
        returns = np.empty((len(block), len(bars)) if keep_returns else (0, 0))  # handed out: not reused
        out = simulate(bars.open, bars.high, bars.low, bars.close, source, *inputs, float(bars.periods), returns,
                       numba.get_num_threads())
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
