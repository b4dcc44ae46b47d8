"""Benchmark: an SMA-crossover parameter grid through the backtester, against vectorbt.

Data: a deterministic synthetic 1m price path (seeded geometric random walk with
t(4) fat tails, prices on a 0.01 tick, small gaps between a close and the next
open so "fills at the next open" matters): 100,000 bars for the grid, 1,000,000
for one long backtest. Every worker regenerates it from the seed and reports a
checksum; the parent checks that all saw the same bars.

Setup both engines simulate identically: sma_crossover long-only (long while the
fast SMA is above the slow one by more than the strategy's TIE band, flat while
below it, a tie keeps the state), signal at bar t's close, fill at bar t+1's open,
all equity in (fixed fraction 1.0), no costs, no exits, no circuit breaker,
10,000 initial capital.

Workers, each in a fresh process (so ru_maxrss is the engine's own peak RSS):
  * peaktrade grid: Bars built once, the lookahead guard once (default params),
    then run_backtest(bars, ..., check_lookahead=False) per pair, the way a sweep
    calls it; pairs are streamed in chunks and only a per-pair summary (final
    equity, closed trades, Sharpe, max drawdown) is kept, appended to a file.
    Run on the 10,011-pair grid and on a 100,296-pair grid (SMA and EMA pairs:
    the strategy's fast <= 200 and slow <= 500 bounds leave fewer than 100,000
    SMA-only pairs) to show peak RSS does not grow with the grid.
  * vectorbt grid: the same 10,011 pairs in chunks of CHUNK pairs: vbt.MA.run on
    the chunk's distinct windows, entries/exits = fast above/below slow (same
    band), shifted one bar, Portfolio.from_signals(price=open, fees=0); keeps
    final value and closed-trade count per pair; gc.collect() after each chunk
    (a Portfolio's arrays sit in reference cycles and would pile up). It holds a
    chunk's whole bars x pairs matrices in memory (~2-3 GB at 250 pairs x 100,000
    bars). Its index is tz-naive UTC: with a tz-aware one vectorbt converts the
    index to an object array on every wrap (1.5 s per result at 1,000,000 bars).
  * long: one backtest over 1,000,000 bars per engine.
JIT warm-up (a run on a short slice) is timed separately and excluded.
The equality check compares final equity of every pair (and lists a sample).

Standalone: `python -m benchmarks.backtest --quick` (small sizes, prints the payload,
writes nothing under benchmarks/results). Worker:
`python -m benchmarks.backtest --worker {peaktrade,vectorbt} --task {grid,long} ... --out F`.
"""
from __future__ import annotations

import argparse
import gc
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.common import ROOT, base_env, tail

SEED = 11
START = "2023-01-01"
INITIAL_CAPITAL = 10_000.0
TIE = 1e-10  # include/strategies/sma_crossover.py's TIE: a relative band where the state holds
SUMMARY_FIELDS = ("final_equity", "n_trades", "sharpe_ratio", "max_drawdown")
LONG_PARAMS = {"fast": 20, "slow": 100}

FULL = {
    "bars": 100_000,
    "bars_long": 1_000_000,
    "grid": {"fast": (2, 142), "slow_max": 143, "kinds": ("sma",)},         # 10,011 pairs
    "grid_large": {"fast": (2, 200), "slow_max": 353, "kinds": ("sma", "ema")},  # 100,296 pairs
    "chunk": 250,
    "sample": 25,
}
QUICK = {
    "bars": 5_000,
    "bars_long": 50_000,
    "grid": {"fast": (2, 15), "slow_max": 16, "kinds": ("sma",)},           # 105 pairs
    "grid_large": {"fast": (2, 40), "slow_max": 41, "kinds": ("sma",)},     # 780 pairs
    "chunk": 25,
    "sample": 20,
}


# --------------------------------------------------------------------------- data and grid


def make_frame(n_bars: int, seed: int = SEED):
    """A 1m OHLC path: GBM-like with unit-variance t(4) log returns (~3 % daily vol), 0.01 tick."""
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(seed)
    sigma = 0.03 / np.sqrt(1440)
    close = np.round(16_500.0 * np.exp(np.cumsum(rng.standard_t(4, n_bars) / np.sqrt(2.0) * sigma)), 2)
    previous = np.concatenate(([16_500.0], close[:-1]))
    open_ = np.round(previous * np.exp(rng.normal(0.0, 0.1 * sigma, n_bars)), 2)  # small gaps
    high = np.round(np.maximum(open_, close) * np.exp(np.abs(rng.normal(0.0, 0.6 * sigma, n_bars))), 2)
    low = np.round(np.minimum(open_, close) * np.exp(-np.abs(rng.normal(0.0, 0.6 * sigma, n_bars))), 2)
    high, low = np.maximum(high, np.maximum(open_, close)), np.minimum(low, np.minimum(open_, close))
    ts = pd.date_range(START, periods=n_bars, freq="1min", tz="UTC")
    return pd.DataFrame({"ts": ts, "open": open_, "high": high, "low": low, "close": close})


def checksum(frame) -> float:
    return round(float(frame["close"].sum() + frame["open"].sum()), 2)


def grid_pairs(spec: dict) -> list[tuple[str, int, int]]:
    """(kind, fast, slow) for fast in spec['fast'] (inclusive), slow in fast+1..slow_max, per kind."""
    lo, hi = spec["fast"]
    return [(kind, fast, slow) for kind in spec["kinds"] for fast in range(lo, hi + 1)
            for slow in range(fast + 1, spec["slow_max"] + 1)]


def _chunks(items: list, size: int):
    for i in range(0, len(items), size):
        yield i, items[i:i + size]


def _rss_mb() -> float:
    import psutil

    return round(psutil.Process().memory_info().rss / 2**20, 1)


def _peak_rss_mb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


class Progress:
    """Progress lines (pairs done, rate, ETA) every `every` seconds and at the end."""

    def __init__(self, label: str, total: int, every: float = 15.0):
        self.label, self.total, self.every = label, total, every
        self.began = self.last = time.perf_counter()

    def update(self, done: int) -> None:
        now = time.perf_counter()
        if now - self.last < self.every and done < self.total:
            return
        self.last = now
        elapsed = now - self.began
        rate = done / elapsed if elapsed > 0 else float("nan")
        eta = (self.total - done) / rate if rate > 0 else float("nan")
        print(f"progress: {self.label}: {done:,}/{self.total:,} pairs, {rate:,.1f} backtests/s, "
              f"elapsed {elapsed:.0f} s, ETA {eta:.0f} s", flush=True)


# --------------------------------------------------------------------------- Peak Trade worker


def _pt_settings():
    from include.backtest import Costs, Sizing

    return {"sizing": Sizing(method="fixed", fraction=1.0), "exits": None, "breaker": None,
            "initial_capital": INITIAL_CAPITAL}, Costs.zero()


def peaktrade_grid(cfg: dict, grid: str, summary: Path) -> dict:
    import numpy as np

    from include.backtest import Bars, assert_no_lookahead, run_backtest
    from include.strategies.registry import get_strategy

    strategy = get_strategy("sma_crossover")
    settings, costs = _pt_settings()
    pairs = grid_pairs(cfg[grid])
    frame = make_frame(cfg["bars"])

    t0 = time.perf_counter()  # JIT warm-up (or Numba cache load) on a short slice, both kinds
    warm = Bars(frame.iloc[:2_000].reset_index(drop=True), "1m")
    for kind in {k for k, _, _ in pairs}:
        run_backtest(warm, strategy, {"fast": 5, "slow": 20, "kind": kind}, costs, check_lookahead=False, **settings)
    warmup_s = time.perf_counter() - t0

    t0 = time.perf_counter()
    bars = Bars(frame, "1m")
    bars_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    assert_no_lookahead(strategy, frame)
    lookahead_s = time.perf_counter() - t0
    rss_before = _rss_mb()

    progress = Progress(f"peaktrade {grid}", len(pairs))
    began = time.perf_counter()
    with open(summary, "wb") as fh:
        for start, chunk in _chunks(pairs, cfg["chunk"]):
            out = np.empty((len(chunk), len(SUMMARY_FIELDS)))
            for i, (kind, fast, slow) in enumerate(chunk):
                m = run_backtest(bars, strategy, {"fast": fast, "slow": slow, "kind": kind}, costs,
                                 check_lookahead=False, **settings).metrics
                out[i] = (m["final_equity"], m["n_trades"], m["sharpe_ratio"], m["max_drawdown"])
            out.tofile(fh)
            gc.collect()  # as the vectorbt loop does (needless here; negligible)
            progress.update(start + len(chunk))
    seconds = time.perf_counter() - began
    return {
        "engine": "peaktrade", "grid": grid, "pairs": len(pairs), "bars": len(frame), "checksum": checksum(frame),
        "seconds": seconds, "jit_warmup_s": warmup_s, "bars_build_s": bars_s, "lookahead_check_s": lookahead_s,
        "rss_before_loop_mb": rss_before, "rss_end_mb": _rss_mb(), "peak_rss_mb": _peak_rss_mb(),
    }


def peaktrade_long(cfg: dict, repeats: int = 3) -> dict:
    import numpy as np

    from include.backtest import Bars, Costs, kernel, run_backtest
    from include.backtest.engine import _breaker_config, _exit_config, _kelly_config
    from include.strategies.registry import get_strategy

    strategy = get_strategy("sma_crossover")
    settings, costs = _pt_settings()
    frame = make_frame(cfg["bars_long"])
    t0 = time.perf_counter()
    run_backtest(frame.iloc[:2_000], strategy, LONG_PARAMS, costs, check_lookahead=False, **settings)
    run_backtest(frame.iloc[:2_000], strategy, LONG_PARAMS)  # defaults: costs, breaker, lookahead guard
    warmup_s = time.perf_counter() - t0

    from_frame, with_bars, build = [], [], []
    for _ in range(repeats):
        t0 = time.perf_counter()
        result = run_backtest(frame, strategy, LONG_PARAMS, costs, timeframe="1m", check_lookahead=False, **settings)
        from_frame.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        bars = Bars(frame, "1m")  # a fresh Bars each time: no cached signal
        build.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        run_backtest(bars, strategy, LONG_PARAMS, costs, check_lookahead=False, **settings)
        with_bars.append(time.perf_counter() - t0)
    # The Numba pass alone on the arrays the last run cached on `bars`.
    signal = bars.signal(strategy, {**strategy.defaults(), **LONG_PARAMS})
    sizes, nan = np.ones(len(bars)), bars.close * np.nan
    kernel_s = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        kernel.simulate(bars.open, bars.high, bars.low, bars.close, signal, sizes, np.zeros(len(bars)), nan,
                        INITIAL_CAPITAL, 0.0, 0.0, _kelly_config(settings["sizing"]), _exit_config(_no_exits()),
                        _breaker_config(None, "1m"))
        kernel_s.append(time.perf_counter() - t0)
    t0 = time.perf_counter()
    run_backtest(frame, strategy, LONG_PARAMS, Costs(), timeframe="1m")  # project defaults + lookahead guard
    defaults_s = time.perf_counter() - t0
    return {
        "engine": "peaktrade", "bars": len(frame), "checksum": checksum(frame), "params": LONG_PARAMS,
        "jit_warmup_s": warmup_s, "repeats": repeats,
        "from_frame_s": from_frame, "bars_build_s": build, "with_bars_s": with_bars, "kernel_only_s": kernel_s,
        "defaults_with_costs_breaker_lookahead_s": defaults_s,
        "final_equity": float(result.metrics["final_equity"]), "n_trades": int(result.metrics["n_trades"]),
        "peak_rss_mb": _peak_rss_mb(),
    }


def _no_exits():
    from include.backtest import Exits

    return Exits()


# --------------------------------------------------------------------------- vectorbt worker


def _vbt_chunk(vbt, close, open_, index, chunk, with_metrics: bool = False, fees: float = 0.0):
    """Final value and closed-trade count per (sma, fast, slow) pair of the chunk (and Sharpe/max DD if asked)."""
    import numpy as np
    import pandas as pd

    fast = np.array([f for _, f, _ in chunk])
    slow = np.array([s for _, _, s in chunk])
    windows = np.unique(np.concatenate([fast, slow]))
    ma = vbt.MA.run(close, window=windows.tolist()).ma.to_numpy()
    column = {w: i for i, w in enumerate(windows.tolist())}
    f_ma, s_ma = ma[:, [column[w] for w in fast]], ma[:, [column[w] for w in slow]]
    del ma
    band = np.abs(s_ma)
    band *= TIE
    entries, exits = np.zeros(f_ma.shape, dtype=bool), np.zeros(f_ma.shape, dtype=bool)
    # Decided at t's close (fast above / below slow by more than the band), filled at t+1's open.
    # NaN in the warm-up compares False: no signal.
    with np.errstate(invalid="ignore"):
        np.greater(f_ma[:-1], np.add(s_ma, band)[:-1], out=entries[1:])
        np.less(f_ma[:-1], np.subtract(s_ma, band, out=band)[:-1], out=exits[1:])
    del f_ma, s_ma, band
    columns = pd.MultiIndex.from_arrays([fast, slow], names=["fast", "slow"])
    pf = vbt.Portfolio.from_signals(
        close, pd.DataFrame(entries, index=index, columns=columns), pd.DataFrame(exits, index=index, columns=columns),
        price=open_, init_cash=INITIAL_CAPITAL, fees=fees, slippage=0.0, direction="longonly", freq="1min",
    )
    out = np.column_stack([pf.final_value().to_numpy(), pf.trades.closed.count().to_numpy()])
    if with_metrics:
        out = np.column_stack([out, pf.sharpe_ratio().to_numpy(), pf.max_drawdown().to_numpy()])
    return out


def _naive_utc(ts):
    """UTC bar times without the tz: vectorbt's array wrapper turns a tz-aware index into an object array of
    Timestamps on every wrap (1.5 s per result at 1,000,000 bars), which would be measured against it."""
    import pandas as pd

    return pd.DatetimeIndex(ts).tz_convert("UTC").tz_localize(None)


def vectorbt_grid(cfg: dict, grid: str, summary: Path) -> dict:
    import numpy as np
    import pandas as pd
    import vectorbt as vbt

    pairs = grid_pairs(cfg[grid])
    if {k for k, _, _ in pairs} != {"sma"}:
        raise SystemExit("the vectorbt worker runs SMA grids only")
    frame = make_frame(cfg["bars"])
    index = _naive_utc(frame["ts"])
    close, open_ = pd.Series(frame["close"].to_numpy(), index=index), pd.Series(frame["open"].to_numpy(), index=index)

    t0 = time.perf_counter()
    _vbt_chunk(vbt, close.iloc[:2_000], open_.iloc[:2_000], index[:2_000], pairs[:3], with_metrics=True)
    warmup_s = time.perf_counter() - t0
    rss_before = _rss_mb()

    progress = Progress(f"vectorbt {grid}", len(pairs))
    began = time.perf_counter()
    with open(summary, "wb") as fh:
        for start, chunk in _chunks(pairs, cfg["chunk"]):
            _vbt_chunk(vbt, close, open_, index, chunk).tofile(fh)
            gc.collect()  # a Portfolio's arrays sit in reference cycles: without this RSS climbs to ~8 GB
            progress.update(start + len(chunk))
    seconds = time.perf_counter() - began
    peak_loop = _peak_rss_mb()
    # What Sharpe and max drawdown (which every Peak Trade run computes) add, on one chunk.
    chunk = pairs[:cfg["chunk"]]
    t0 = time.perf_counter()
    _vbt_chunk(vbt, close, open_, index, chunk)
    plain = time.perf_counter() - t0
    t0 = time.perf_counter()
    _vbt_chunk(vbt, close, open_, index, chunk, with_metrics=True)
    metrics_extra = time.perf_counter() - t0 - plain
    return {
        "engine": "vectorbt", "vectorbt_version": vbt.__version__, "vectorbt_rust": _vbt_rust(),
        "grid": grid, "pairs": len(pairs), "bars": len(frame), "checksum": checksum(frame), "chunk": cfg["chunk"],
        "seconds": seconds, "jit_warmup_s": warmup_s, "rss_before_loop_mb": rss_before, "rss_end_mb": _rss_mb(),
        "peak_rss_mb": peak_loop, "peak_rss_incl_metrics_chunk_mb": _peak_rss_mb(),
        "sharpe_max_drawdown_extra_s_per_chunk": metrics_extra,
        "sharpe_max_drawdown_extra_s_grid_estimate": metrics_extra * len(pairs) / len(chunk),
    }


def vectorbt_long(cfg: dict, repeats: int = 3) -> dict:
    import pandas as pd
    import vectorbt as vbt

    frame = make_frame(cfg["bars_long"])
    index = _naive_utc(frame["ts"])
    close, open_ = pd.Series(frame["close"].to_numpy(), index=index), pd.Series(frame["open"].to_numpy(), index=index)
    pair = [("sma", LONG_PARAMS["fast"], LONG_PARAMS["slow"])]
    t0 = time.perf_counter()
    _vbt_chunk(vbt, close.iloc[:2_000], open_.iloc[:2_000], index[:2_000], pair)
    warmup_s = time.perf_counter() - t0
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        out = _vbt_chunk(vbt, close, open_, index, pair)
        times.append(time.perf_counter() - t0)
    return {"engine": "vectorbt", "bars": len(frame), "checksum": checksum(frame), "params": LONG_PARAMS,
            "jit_warmup_s": warmup_s, "repeats": repeats, "seconds": times,
            "final_equity": float(out[0, 0]), "n_trades": int(out[0, 1]), "peak_rss_mb": _peak_rss_mb()}


def _vbt_rust() -> bool | None:
    try:
        from vectorbt._engine import is_rust_available

        return bool(is_rust_available())
    except ImportError:
        return None


# --------------------------------------------------------------------------- orchestration (parent)


def _run_streaming(args: list[str], env: dict, out: Path, log: Path, progress, timeout: float) -> dict:
    """Like common.run_worker, but forwards the worker's progress lines while it runs."""
    cmd = [sys.executable, "-m", "benchmarks.backtest", *args, "--out", str(out)]
    began = time.monotonic()
    with open(log, "w") as fh:
        proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        try:
            for line in proc.stdout:
                fh.write(line)
                fh.flush()
                if line.startswith("progress: "):
                    progress("    " + line[len("progress: "):].rstrip())
                if time.monotonic() - began > timeout:
                    proc.kill()
                    raise RuntimeError(f"{' '.join(cmd)} timed out after {timeout:.0f} s")
            proc.wait()
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed (exit {proc.returncode}); last lines of {log}:\n{tail(log)}")
    return json.loads(out.read_text())


def _read_summary(path: Path, fields: int):
    import numpy as np

    return np.fromfile(path, dtype=np.float64).reshape(-1, fields)


def _rates(r: dict) -> dict:
    return {**r, "backtests_per_s": r["pairs"] / r["seconds"], "bar_steps_per_s": r["pairs"] * r["bars"] / r["seconds"]}


def _median(values: list[float]) -> float:
    import statistics

    return float(statistics.median(values))


def equality(pt, vb, pairs, sample_size: int) -> dict:
    """Final equity of every pair (relative difference) and closed-trade counts, plus a listed sample."""
    import numpy as np

    pt_eq, vb_eq = pt[:, 0], vb[:, 0]
    rel = np.abs(pt_eq - vb_eq) / np.abs(vb_eq)
    trades_differ = int(np.count_nonzero(pt[:, 1] != vb[:, 1]))
    sample = np.unique(np.linspace(0, len(pairs) - 1, sample_size).round().astype(int))
    listed = [{"fast": pairs[i][1], "slow": pairs[i][2], "peaktrade": float(pt_eq[i]), "vectorbt": float(vb_eq[i]),
               "rel_diff": float(rel[i]), "n_trades_peaktrade": int(pt[i, 1]), "n_trades_vectorbt": int(vb[i, 1])}
              for i in sample]
    worst = int(np.argmax(rel))
    return {
        "tolerance_rel": 1e-6,
        "sample_pairs": len(sample),
        "sample_max_rel_diff": float(rel[sample].max()),
        "sample_passed": bool(rel[sample].max() <= 1e-6),
        "all_pairs": len(pairs),
        "all_max_rel_diff": float(rel.max()),
        "all_pairs_over_tolerance": int(np.count_nonzero(rel > 1e-6)),
        "all_passed": bool(rel.max() <= 1e-6),
        "worst_pair": {"fast": pairs[worst][1], "slow": pairs[worst][2], "peaktrade": float(pt_eq[worst]),
                       "vectorbt": float(vb_eq[worst])},
        "pairs_with_different_closed_trade_count": trades_differ,
        "sample": listed,
    }


def run(tmp: Path, progress=print, quick: bool = False) -> dict:
    cfg = QUICK if quick else FULL
    work = tmp / "backtest"
    work.mkdir(parents=True, exist_ok=True)
    env = base_env(tmp / "unused-data", tmp / "unused-config.yaml")
    pairs, large = grid_pairs(cfg["grid"]), grid_pairs(cfg["grid_large"])
    quick_args = ["--quick"] if quick else []

    def worker(engine: str, task: str, grid: str | None = None, timeout: float = 4 * 3600) -> dict:
        name = f"{engine}-{task}" + (f"-{grid}" if grid else "")
        args = ["--worker", engine, "--task", task, *quick_args]
        if grid:
            args += ["--grid", grid, "--summary", str(work / f"{name}.f64")]
        t0 = time.perf_counter()
        result = _run_streaming(args, env, work / f"{name}.json", work / f"{name}.log", progress, timeout)
        progress(f"  {name}: done in {time.perf_counter() - t0:.0f} s wall (peak RSS {result['peak_rss_mb']:,.0f} MB)")
        return result

    progress(f"  grid: {len(pairs):,} SMA pairs x {cfg['bars']:,} bars; large grid {len(large):,} pairs (Peak Trade); "
             f"chunks of {cfg['chunk']} pairs")
    pt = _rates(worker("peaktrade", "grid", "grid"))
    progress(f"  Peak Trade: {pt['backtests_per_s']:,.1f} backtests/s, {pt['bar_steps_per_s']:,.0f} bar-steps/s")
    vb = _rates(worker("vectorbt", "grid", "grid"))
    progress(f"  vectorbt:   {vb['backtests_per_s']:,.1f} backtests/s, {vb['bar_steps_per_s']:,.0f} bar-steps/s")
    check = equality(_read_summary(work / "peaktrade-grid-grid.f64", len(SUMMARY_FIELDS)),
                     _read_summary(work / "vectorbt-grid-grid.f64", 2), pairs, cfg["sample"])
    progress(f"  equality: max relative final-equity difference {check['all_max_rel_diff']:.2e} over all "
             f"{check['all_pairs']:,} pairs ({check['all_pairs_over_tolerance']} over 1e-6), sample of "
             f"{check['sample_pairs']} {check['sample_max_rel_diff']:.2e}")
    pt_large = _rates(worker("peaktrade", "grid", "grid_large"))
    pt_long = worker("peaktrade", "long")
    vb_long = worker("vectorbt", "long")
    sums = {pt["checksum"], vb["checksum"], pt_large["checksum"]}
    if len(sums) != 1 or pt_long["checksum"] != vb_long["checksum"]:
        raise RuntimeError(f"workers saw different bars: checksums {sums}, "
                           f"{pt_long['checksum']}, {vb_long['checksum']}")

    pt_long_s, vb_long_s = _median(pt_long["from_frame_s"]), _median(vb_long["seconds"])
    return {
        "parameters": {
            "quick": quick, "seed": SEED, "bars": cfg["bars"], "bars_long": cfg["bars_long"], "timeframe": "1m",
            "grid": {**cfg["grid"], "pairs": len(pairs)}, "grid_large": {**cfg["grid_large"], "pairs": len(large)},
            "chunk_pairs": cfg["chunk"], "strategy": "sma_crossover long_only (TIE band 1e-10)",
            "settings": "Costs.zero(), Sizing(fixed, 1.0), no exits, breaker=None, initial capital 10,000; "
                        "signal at t's close fills at t+1's open in both engines",
            "long_params": LONG_PARAMS,
        },
        "results": {
            "peaktrade": pt,
            "vectorbt": vb,
            "ratio_peaktrade_over_vectorbt_backtests_per_s": pt["backtests_per_s"] / vb["backtests_per_s"],
            "equality": check,
            "memory_scaling_peaktrade": {
                "pairs": [pt["pairs"], pt_large["pairs"]],
                "peak_rss_mb": [pt["peak_rss_mb"], pt_large["peak_rss_mb"]],
                "rss_before_loop_mb": [pt["rss_before_loop_mb"], pt_large["rss_before_loop_mb"]],
                "ratio_peak_rss_large_over_small": pt_large["peak_rss_mb"] / pt["peak_rss_mb"],
            },
            "peaktrade_large": pt_large,
            "long": {
                "peaktrade": {**pt_long, "seconds_median": pt_long_s,
                              "with_bars_s_median": _median(pt_long["with_bars_s"]),
                              "kernel_only_s_median": _median(pt_long["kernel_only_s"]),
                              "bar_steps_per_s": pt_long["bars"] / pt_long_s},
                "vectorbt": {**vb_long, "seconds_median": vb_long_s, "bar_steps_per_s": vb_long["bars"] / vb_long_s},
                "same_final_equity_rel_diff": abs(pt_long["final_equity"] - vb_long["final_equity"])
                / abs(vb_long["final_equity"]),
                "ratio_vectorbt_over_peaktrade_seconds": vb_long_s / pt_long_s,
            },
        },
    }


def table_rows(payload: dict) -> list[tuple[str, str, str]]:
    """Rows for benchmarks.run's summary table."""
    r, p = payload["results"], payload["parameters"]
    pt, vb, eq, mem, long = r["peaktrade"], r["vectorbt"], r["equality"], r["memory_scaling_peaktrade"], r["long"]
    grid = f"{pt['pairs']:,} SMA pairs x {pt['bars']:,} bars"
    return [
        ("backtest grid: Peak Trade", f"{pt['backtests_per_s']:,.1f} backtests/s",
         f"{grid} in {pt['seconds']:.0f} s; {pt['bar_steps_per_s'] / 1e6:,.1f} M bar-steps/s; peak RSS "
         f"{pt['peak_rss_mb']:,.0f} MB; JIT warm-up {pt['jit_warmup_s']:.1f} s, lookahead guard once "
         f"{pt['lookahead_check_s']:.2f} s (excluded)"),
        ("backtest grid: vectorbt", f"{vb['backtests_per_s']:,.1f} backtests/s",
         f"same grid in chunks of {vb['chunk']} pairs in {vb['seconds']:.0f} s; {vb['bar_steps_per_s'] / 1e6:,.1f} M "
         f"bar-steps/s; peak RSS {vb['peak_rss_mb']:,.0f} MB; JIT warm-up {vb['jit_warmup_s']:.1f} s (excluded); "
         f"keeps final value + trade count only (Sharpe + max drawdown, which every Peak Trade run computes, "
         f"would add ~{vb['sharpe_max_drawdown_extra_s_grid_estimate']:.0f} s); "
         f"Peak Trade/vectorbt {r['ratio_peaktrade_over_vectorbt_backtests_per_s']:.2f}x"),
        ("backtest grid: equal final equity", "passed" if eq["all_passed"] else "FAILED",
         f"max rel diff {eq['all_max_rel_diff']:.1e} over all {eq['all_pairs']:,} pairs "
         f"({eq['sample_max_rel_diff']:.1e} on a sample of {eq['sample_pairs']}); tolerance 1e-6; "
         f"{eq['pairs_with_different_closed_trade_count']} pairs with a different trade count"),
        ("backtest memory: Peak Trade", f"{mem['peak_rss_mb'][1]:,.0f} MB peak",
         f"{mem['pairs'][1]:,} pairs ({'+'.join(p['grid_large']['kinds']).upper()}, "
         f"{r['peaktrade_large']['seconds']:.0f} s, "
         f"{r['peaktrade_large']['backtests_per_s']:,.1f} backtests/s) vs {mem['peak_rss_mb'][0]:,.0f} MB at "
         f"{mem['pairs'][0]:,} pairs: x{mem['ratio_peak_rss_large_over_small']:.2f}"),
        (f"backtest {p['bars_long']:,} bars: Peak Trade", f"{long['peaktrade']['seconds_median']:.2f} s",
         f"one backtest from a DataFrame (median of {long['peaktrade']['repeats']}); with a prebuilt Bars "
         f"{long['peaktrade']['with_bars_s_median']:.2f} s, Numba pass "
         f"{long['peaktrade']['kernel_only_s_median']:.3f} s; "
         f"defaults + costs + breaker + lookahead guard "
         f"{long['peaktrade']['defaults_with_costs_breaker_lookahead_s']:.2f} s; vectorbt "
         f"{long['vectorbt']['seconds_median']:.2f} s (same final equity: rel diff "
         f"{long['same_final_equity_rel_diff']:.1e}); peak RSS {long['peaktrade']['peak_rss_mb']:,.0f} MB"),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.backtest", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes (a smoke test)")
    parser.add_argument("--worker", choices=("peaktrade", "vectorbt"))
    parser.add_argument("--task", choices=("grid", "long"), default="grid")
    parser.add_argument("--grid", choices=("grid", "grid_large"), default="grid")
    parser.add_argument("--summary", type=Path, help="worker: per-pair summary file (float64 rows)")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    cfg = QUICK if args.quick else FULL
    if args.worker:
        if args.worker == "peaktrade":
            result = peaktrade_grid(cfg, args.grid, args.summary) if args.task == "grid" else peaktrade_long(cfg)
        else:
            result = vectorbt_grid(cfg, args.grid, args.summary) if args.task == "grid" else vectorbt_long(cfg)
        args.out.write_text(json.dumps(result, indent=2, default=str))
        return
    os.environ.setdefault("PEAKTRADE_ROOT", str(ROOT))
    with tempfile.TemporaryDirectory(prefix="backtest-", dir=ROOT / "benchmarks" / "tmp") as tmp:
        payload = run(Path(tmp), quick=args.quick)
    text = json.dumps(payload, indent=2, default=str)
    if args.out:
        args.out.write_text(text)
    for row in table_rows(payload):
        print("  ".join(row))


if __name__ == "__main__":
    main()
