"""Benchmark: SMA-crossover sweeps through the batch evaluator, against the per-trial path, vectorbt and a reference.

Data and grids: benchmarks/backtest.py's (a seeded synthetic 1m path of 100,000 bars; the
10,011-pair SMA grid and the 100,296-pair SMA + EMA grid). Setup: sma_crossover long-only,
10 bp taker fees on every fill, no slippage, fixed sizing (all equity), no exits, no
breaker, 10,000 initial capital; a signal at bar t's close fills at t+1's open.

Engines, each in a fresh process (ru_maxrss = that engine's peak RSS):
  * batch: include/backtest/batch.iter_batch, the sweep's batch evaluator, over the grid in
    chunks of CHUNK parameter sets (one chunk = one call, as Evaluator.many gets a sweep chunk);
    keeps every metric (summary.FIELDS) per pair; reports where its time goes (columns,
    signals in Python, the Numba kernel).
  * per_trial: today's path before the batch evaluator, run_backtest per pair on a prebuilt Bars
    (what Evaluator.__call__ does per trial and series), timed on an evenly strided SUBSET of the
    grid and extrapolated to the grid (rates are per backtest, so the extrapolation is linear).
  * vectorbt: vectorbt 1.2 Portfolio.from_signals with fees=0.001, engine forced to 'rust'
    (settings['engine'] = 'rust' raises if the Rust engine cannot serve a call, so the reported
    engine is the one used), chunks of VBT_CHUNK pairs, on a strided SUBSET, extrapolated.
    vectorbt buys with cash net of fees (units = cash / (price * (1 + fee))); Peak Trade buys
    equity / price and pays the fee from cash, so final equities differ by design (reported).
  * reference: a plain Numba prange kernel (benchmarks/sweep_reference.py, ~30 lines): the same
    fills and fees as the engine, running sums for Sharpe and max drawdown, over precomputed
    averages: the practical limit of this machine for this work.
The large grid runs batch and reference on a strided sample (LARGE_STRIDE) to keep `make bench`
near 10 minutes; --full runs it whole. JIT warm-up is timed separately and excluded.

Standalone: `python -m benchmarks.sweep_batch [--quick] [--full] [--out F]`.
"""
from __future__ import annotations

import argparse
import json
import math
import os
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.backtest import (FULL as BACKTEST_FULL, QUICK as BACKTEST_QUICK, INITIAL_CAPITAL, Progress, _naive_utc,
                                 _peak_rss_mb, _vbt_chunk, checksum, grid_pairs, make_frame)
from benchmarks.common import ROOT, base_env, run_worker

FEE = 0.001  # 10 bp
FULL = {"bars": BACKTEST_FULL["bars"], "grid": BACKTEST_FULL["grid"], "grid_large": BACKTEST_FULL["grid_large"],
        "chunk": 2_000, "vbt_chunk": 100, "per_trial_stride": 40, "vbt_stride": 40, "large_stride": 4}
QUICK = {"bars": BACKTEST_QUICK["bars"], "grid": BACKTEST_QUICK["grid"], "grid_large": BACKTEST_QUICK["grid_large"],
         "chunk": 50, "vbt_chunk": 25, "per_trial_stride": 5, "vbt_stride": 5, "large_stride": 2}
SUMMARY = ("final_equity", "n_trades", "sharpe_ratio", "max_drawdown")


def _pairs(cfg: dict, grid: str, stride: int) -> list[tuple[str, int, int]]:
    return grid_pairs(cfg[grid])[::stride]


def _settings():
    from include.backtest import Costs, Sizing

    costs = Costs(taker_bps=FEE * 1e4, maker_bps=FEE * 1e4, slippage_bps=0.0, slippage_vol_k=0.0)
    return costs, {"sizing": Sizing(), "exits": None, "breaker": None, "initial_capital": INITIAL_CAPITAL}


def _params(pairs):
    return [{"fast": f, "slow": s, "kind": kind, "mode": "long_only"} for kind, f, s in pairs]


def batch_worker(cfg: dict, grid: str, stride: int, out_rows: Path) -> dict:
    import numpy as np

    from include.backtest import Bars
    from include.backtest.batch import iter_batch
    from include.backtest.summary import FIELDS
    from include.strategies.registry import get_strategy

    strategy, (costs, settings) = get_strategy("sma_crossover"), _settings()
    pairs, frame = _pairs(cfg, grid, stride), make_frame(cfg["bars"])
    t0 = time.perf_counter()
    warm = Bars(frame.iloc[:2_000].reset_index(drop=True), "1m")
    for _ in iter_batch(warm, strategy, _params(pairs[:4]), costs, **settings):
        pass
    warmup_s = time.perf_counter() - t0
    bars, timings = Bars(frame, "1m"), {}
    keep = [FIELDS.index(name) for name in SUMMARY]
    progress = Progress(f"batch {grid}", len(pairs))
    began = time.perf_counter()
    with open(out_rows, "wb") as fh:
        for start in range(0, len(pairs), cfg["chunk"]):
            chunk = _params(pairs[start:start + cfg["chunk"]])
            for _, rows, _ in iter_batch(bars, strategy, chunk, costs, timings=timings, **settings):
                np.ascontiguousarray(rows[:, keep]).tofile(fh)
            progress.update(start + len(chunk))
    return {"engine": "batch", "grid": grid, "pairs": len(pairs), "stride": stride, "bars": len(frame),
            "checksum": checksum(frame), "seconds": time.perf_counter() - began, "jit_warmup_s": warmup_s,
            "chunk": cfg["chunk"], "time_split_s": timings, "peak_rss_mb": _peak_rss_mb()}


def per_trial_worker(cfg: dict, grid: str, stride: int, out_rows: Path) -> dict:
    import numpy as np

    from include.backtest import Bars, run_backtest
    from include.strategies.registry import get_strategy

    strategy, (costs, settings) = get_strategy("sma_crossover"), _settings()
    pairs, frame = _pairs(cfg, grid, stride), make_frame(cfg["bars"])
    t0 = time.perf_counter()
    run_backtest(frame.iloc[:2_000], strategy, _params(pairs[:1])[0], costs, check_lookahead=False, **settings)
    warmup_s = time.perf_counter() - t0
    bars, out = Bars(frame, "1m"), np.empty((len(pairs), len(SUMMARY)))
    progress = Progress(f"per-trial {grid}", len(pairs))
    began = time.perf_counter()
    for i, params in enumerate(_params(pairs)):
        metrics = run_backtest(bars, strategy, params, costs, check_lookahead=False, **settings).metrics
        out[i] = [metrics[name] for name in SUMMARY]
        progress.update(i + 1)
    seconds = time.perf_counter() - began
    out.tofile(out_rows)
    return {"engine": "per_trial", "grid": grid, "pairs": len(pairs), "stride": stride, "bars": len(frame),
            "checksum": checksum(frame), "seconds": seconds, "jit_warmup_s": warmup_s, "peak_rss_mb": _peak_rss_mb()}


def vectorbt_worker(cfg: dict, grid: str, stride: int, out_rows: Path) -> dict:
    import numpy as np
    import pandas as pd
    import vectorbt as vbt
    from vectorbt._engine import is_rust_available

    vbt.settings["engine"] = "rust"  # raise rather than fall back to Numba silently
    pairs, frame = _pairs(cfg, grid, stride), make_frame(cfg["bars"])
    index = _naive_utc(frame["ts"])
    close, open_ = (pd.Series(frame[c].to_numpy(), index=index) for c in ("close", "open"))
    t0 = time.perf_counter()
    _vbt_chunk(vbt, close.iloc[:2_000], open_.iloc[:2_000], index[:2_000], pairs[:3], fees=FEE)
    warmup_s = time.perf_counter() - t0
    progress = Progress(f"vectorbt {grid}", len(pairs))
    began, rows = time.perf_counter(), []
    for start in range(0, len(pairs), cfg["vbt_chunk"]):
        rows.append(_vbt_chunk(vbt, close, open_, index, pairs[start:start + cfg["vbt_chunk"]], fees=FEE))
        progress.update(start + cfg["vbt_chunk"])
    seconds = time.perf_counter() - began
    np.concatenate(rows).tofile(out_rows)
    return {"engine": "vectorbt", "engine_used": vbt.settings["engine"], "rust_available": bool(is_rust_available()),
            "vectorbt_version": vbt.__version__, "grid": grid, "pairs": len(pairs), "stride": stride,
            "bars": len(frame), "checksum": checksum(frame), "seconds": seconds, "jit_warmup_s": warmup_s,
            "chunk": cfg["vbt_chunk"], "peak_rss_mb": _peak_rss_mb()}


def reference_worker(cfg: dict, grid: str, stride: int, out_rows: Path) -> dict:
    import numpy as np

    from include.features import indicators

    pairs, frame = _pairs(cfg, grid, stride), make_frame(cfg["bars"])
    open_, close = frame["open"].to_numpy(), frame["close"].to_numpy()
    from benchmarks.sweep_reference import reference_grid

    t0 = time.perf_counter()
    columns = sorted({(kind, w) for kind, f, s in pairs for w in (f, s)})
    row = {c: i for i, c in enumerate(columns)}
    averages = np.empty((len(columns), len(frame)))
    for (kind, w), i in row.items():
        averages[i] = (indicators.sma if kind == "sma" else indicators.ema)(close, w)
    averages_s = time.perf_counter() - t0
    fast = np.array([row[(k, f)] for k, f, _ in pairs])
    slow = np.array([row[(k, s)] for k, _, s in pairs])
    t0 = time.perf_counter()
    warm = np.ascontiguousarray(averages[:, :2_000])  # the same array layout as the timed call: no recompiling
    reference_grid(open_[:2_000], close[:2_000], warm, fast[:2], slow[:2], FEE, INITIAL_CAPITAL, 525_600.0)
    warmup_s = time.perf_counter() - t0
    began = time.perf_counter()
    out = reference_grid(open_, close, averages, fast, slow, FEE, INITIAL_CAPITAL, 525_600.0)
    seconds = time.perf_counter() - began
    out.tofile(out_rows)
    return {"engine": "reference", "grid": grid, "pairs": len(pairs), "stride": stride, "bars": len(frame),
            "checksum": checksum(frame), "seconds": seconds, "averages_s": averages_s, "jit_warmup_s": warmup_s,
            "peak_rss_mb": _peak_rss_mb()}


WORKERS = {"batch": batch_worker, "per_trial": per_trial_worker, "vectorbt": vectorbt_worker,
           "reference": reference_worker}


def _rates(r: dict, grid_pairs_total: int) -> dict:
    """Rates from what was run, and the time the whole grid takes at that rate (extrapolated when sampled)."""
    per_s = r["pairs"] / r["seconds"]
    return {**r, "backtests_per_s": per_s, "bar_steps_per_s": per_s * r["bars"],
            "grid_pairs": grid_pairs_total, "grid_seconds": grid_pairs_total / per_s,
            "extrapolated": r["pairs"] != grid_pairs_total}


def _agreement(a, b, tolerance: float | None) -> dict:
    """Final equity (relative) and trade counts of the pairs two engines both ran (tolerance None: reported only)."""
    import numpy as np

    rel = np.abs(a[:, 0] - b[:, 0]) / np.abs(b[:, 0])
    passed = None if tolerance is None else bool(rel.max() <= tolerance)
    return {"pairs": len(a), "max_rel_diff_final_equity": float(rel.max()),
            "median_rel_diff_final_equity": float(np.median(rel)), "tolerance": tolerance,
            "passed": passed, "pairs_with_other_trade_count": int((a[:, 1] != b[:, 1]).sum())}


def run(tmp: Path, progress=print, quick: bool = False, full: bool = False) -> dict:
    import numpy as np

    cfg = QUICK if quick else FULL
    work = tmp / "sweep_batch"
    work.mkdir(parents=True, exist_ok=True)
    env = base_env(tmp / "unused-data", tmp / "unused-config.yaml")

    def worker(engine: str, grid: str, stride: int) -> tuple[dict, np.ndarray]:
        name = f"{engine}-{grid}"
        args = ["--worker", engine, "--grid", grid, "--stride", str(stride), "--rows", str(work / f"{name}.f64")]
        t0 = time.perf_counter()
        result = run_worker("benchmarks.sweep_batch", args + (["--quick"] if quick else []), env,
                            work / f"{name}.json", work / f"{name}.log", timeout=3600)
        result = _rates(result, len(grid_pairs(cfg[grid])))
        progress(f"  {name}: {result['pairs']:,} pairs in {time.perf_counter() - t0:.0f} s wall, "
                 f"{result['bar_steps_per_s'] / 1e6:,.1f} M bar-steps/s, peak RSS {result['peak_rss_mb']:,.0f} MB")
        rows = np.fromfile(work / f"{name}.f64").reshape(-1, 2 if engine == "vectorbt" else len(SUMMARY))
        return result, rows

    small, large = {}, {}
    rows = {}
    for engine, stride in (("batch", 1), ("reference", 1), ("per_trial", cfg["per_trial_stride"]),
                           ("vectorbt", cfg["vbt_stride"])):
        small[engine], rows[engine] = worker(engine, "grid", stride)
    large_stride = 1 if full else cfg["large_stride"]
    for engine in ("batch", "reference"):
        large[engine], _ = worker(engine, "grid_large", large_stride)
    sums = {r["checksum"] for r in (*small.values(), *large.values())}
    if len(sums) != 1:
        raise RuntimeError(f"workers saw different bars: checksums {sums}")

    per_stride, vbt_stride = cfg["per_trial_stride"], cfg["vbt_stride"]
    agreement = {
        "batch_vs_per_trial_strided": _agreement(rows["batch"][::per_stride], rows["per_trial"], 1e-12),
        "reference_vs_batch": _agreement(rows["reference"], rows["batch"], 1e-9),
        "vectorbt_vs_batch_strided": _agreement(rows["vectorbt"], rows["batch"][::vbt_stride], None),
    }
    batch, ref, vbt_ = small["batch"], small["reference"], small["vectorbt"]
    ratios = {
        "batch_over_per_trial": batch["bar_steps_per_s"] / small["per_trial"]["bar_steps_per_s"],
        "batch_over_vectorbt_rust": batch["bar_steps_per_s"] / vbt_["bar_steps_per_s"],
        "reference_over_batch": ref["bar_steps_per_s"] / batch["bar_steps_per_s"],
        "reference_over_vectorbt_rust": ref["bar_steps_per_s"] / vbt_["bar_steps_per_s"],
        "large_reference_over_batch": large["reference"]["bar_steps_per_s"] / large["batch"]["bar_steps_per_s"],
        "large_over_small_batch_peak_rss": large["batch"]["peak_rss_mb"] / batch["peak_rss_mb"],
    }
    return {
        "parameters": {
            "quick": quick, "full_large_grid": full, "bars": cfg["bars"], "timeframe": "1m",
            "grid": {**cfg["grid"], "pairs": len(grid_pairs(cfg["grid"]))},
            "grid_large": {**cfg["grid_large"], "pairs": len(grid_pairs(cfg["grid_large"])), "stride": large_stride},
            "chunk": cfg["chunk"], "per_trial_stride": per_stride, "vectorbt_stride": vbt_stride,
            "settings": "sma_crossover long_only; 10 bp taker fee per fill, no slippage; Sizing(fixed 1.0); no exits; "
                        "breaker off; 10,000 initial capital; fill at the next open",
            "threads": os.cpu_count(),
        },
        "results": {"grid": small, "grid_large": large, "agreement": agreement, "ratios": ratios},
    }


def table_rows(payload: dict) -> list[tuple[str, str, str]]:
    """Rows for benchmarks.run's summary table."""
    r = payload["results"]
    g, big, ratio = r["grid"], r["grid_large"], r["ratios"]
    out = []
    for label, results in (("10k grid", g), ("100k grid", big)):
        for engine, x in results.items():
            how = f"{x['pairs']:,} of {x['grid_pairs']:,} pairs, grid ~{x['grid_seconds']:,.0f} s" if x["extrapolated"] \
                else f"{x['pairs']:,} pairs in {x['seconds']:,.0f} s"
            extra = f"; engine {x['engine_used']}" if engine == "vectorbt" else ""
            out.append((f"sweep {label}: {engine}", f"{x['bar_steps_per_s'] / 1e6:,.1f} M bar-steps/s",
                        f"{x['backtests_per_s']:,.1f} backtests/s; {how}; peak RSS {x['peak_rss_mb']:,.0f} MB{extra}"))
    out.append(("sweep ratios", f"batch {ratio['batch_over_vectorbt_rust']:,.0f}x vectorbt[rust]",
                f"{ratio['batch_over_per_trial']:,.1f}x per-trial; reference {ratio['reference_over_batch']:.1f}x batch "
                f"(large grid {ratio['large_reference_over_batch']:.1f}x); batch == per-trial: "
                f"{r['agreement']['batch_vs_per_trial_strided']['passed']}"))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.sweep_batch", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes (a smoke test)")
    parser.add_argument("--full", action="store_true", help="the large grid whole, not a strided sample")
    parser.add_argument("--worker", choices=tuple(WORKERS))
    parser.add_argument("--grid", choices=("grid", "grid_large"), default="grid")
    parser.add_argument("--stride", type=int, default=1)
    parser.add_argument("--rows", type=Path, help="worker: per-pair rows (float64)")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    cfg = QUICK if args.quick else FULL
    if args.worker:
        result = WORKERS[args.worker](cfg, args.grid, args.stride, args.rows)
        args.out.write_text(json.dumps(result, indent=2, default=str))
        return
    os.environ.setdefault("PEAKTRADE_ROOT", str(ROOT))
    (ROOT / "benchmarks" / "tmp").mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="sweep-batch-", dir=ROOT / "benchmarks" / "tmp") as tmp:
        payload = run(Path(tmp), quick=args.quick, full=args.full)
    text = json.dumps(payload, indent=2, default=str)
    if args.out:
        args.out.write_text(text)
    for row in table_rows(payload):
        print("  ".join(row))
    sys.stdout.flush()


if __name__ == "__main__":
    main()
