"""Benchmark: a shared-cash backtest of 30 assets over a year of hourly bars against 30 sleeves.

The simulator's synthetic assets (SYN01..SYN30 /USDT on sim_alpha, simulator.synthetic_assets)
give 30 x 8,760 1h bars. Both runs backtest the SMA crossover (fast 24, slow 96) with the
default costs and breaker:
- shared cash: include.backtest.portfolio.run_shared_cash, equal weight over the assets whose
  signal is long, rebalanced daily and on 5 % drift, each asset's lot step and minimum cost
  from the simulator's markets;
- sleeves: include.backtest.run_portfolio, 30 independent single-asset backtests summed;
- single backtests: the 30 run_backtest calls alone (what the sleeves cost before summing them).
Reported per run: the first call (Numba compile or cache load) apart, the median of REPEATS
warm calls, and the peak memory Python allocated during one warm call (tracemalloc, NumPy included).
"""
from __future__ import annotations

import gc
import time
import tracemalloc
from pathlib import Path

import numpy as np
import pandas as pd

from benchmarks.common import median

ASSETS = 30
DAYS = 365
START = pd.Timestamp("2023-01-01", tz="UTC")
PARAMS = {"fast": 24, "slow": 96, "mode": "long_only"}
REPEATS = 5


def synthetic_frames(progress=print) -> tuple[dict[str, pd.DataFrame], dict]:
    from include.sources.sim.exchange import SimExchange

    end = START + pd.Timedelta(days=DAYS)
    venue = SimExchange("sim_alpha", seed=7, clock=lambda: int(end.value // 1_000_000) - 1, synthetic_assets=ASSETS)
    symbols = [s for s in venue.symbols if s.startswith("SYN")][:ASSETS]
    frames, began = {}, time.perf_counter()
    for symbol in symbols:
        rows, since = [], int(START.value // 1_000_000)
        while True:
            chunk = venue.fetch_ohlcv(symbol, "1h", since=since, limit=1000)
            if len(chunk) == 0:
                break
            rows.append(chunk)
            since = int(chunk[-1, 0]) + 3_600_000
        data = np.concatenate(rows)
        frames[symbol] = pd.DataFrame({"ts": pd.to_datetime(data[:, 0].astype(np.int64), unit="ms", utc=True),
                                       "open": data[:, 1], "high": data[:, 2], "low": data[:, 3],
                                       "close": data[:, 4], "volume": data[:, 5]})
    progress(f"  portfolio_backtest: {len(frames)} assets x {len(next(iter(frames.values())))} 1h bars "
             f"simulated in {time.perf_counter() - began:.0f} s")
    return frames, venue.load_markets()


def measure(call) -> dict:
    t0 = time.perf_counter()
    call()
    first = time.perf_counter() - t0
    times = []
    for _ in range(REPEATS):
        t0 = time.perf_counter()
        call()
        times.append(time.perf_counter() - t0)
    gc.collect()
    tracemalloc.start()
    result = call()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return {"first_call_s": round(first, 3), "warm_s_median": round(median(times), 4),
            "warm_s": [round(t, 4) for t in times], "peak_alloc_mb": round(peak / 2**20, 1),
            "final_equity": round(float(sum(r.equity.iloc[-1] for r in result) if isinstance(result, list)
                                        else result.equity.iloc[-1]), 2)}


def run(tmp: Path | None = None, progress=print) -> dict:
    from include.backtest import Bars, Costs, run_backtest, run_portfolio
    from include.backtest.portfolio import Lot, Rebalance, run_shared_cash

    frames, markets = synthetic_frames(progress)
    bars = {s: Bars(f, "1h") for s, f in frames.items()}
    lots = {s: Lot(step=float(markets[s]["precision"]["amount"]), min_amount=float(markets[s]["limits"]["amount"]["min"] or 0),
                   min_cost=float(markets[s]["limits"]["cost"]["min"] or 0)) for s in frames}
    capital = 1_000_000.0
    shared = measure(lambda: run_shared_cash(bars, "sma_crossover", PARAMS, Costs(),
                                             rebalance=Rebalance(every="1d", drift=0.05), lots=lots,
                                             initial_capital=capital, check_lookahead=False))
    sleeves = measure(lambda: run_portfolio(bars, "sma_crossover", PARAMS, Costs(), initial_capital=capital,
                                            check_lookahead=False))
    singles = measure(lambda: [run_backtest(b, "sma_crossover", PARAMS, Costs(), initial_capital=capital / ASSETS,
                                            check_lookahead=False) for b in bars.values()])
    fills = len(run_shared_cash(bars, "sma_crossover", PARAMS, Costs(), rebalance=Rebalance(every="1d", drift=0.05),
                                lots=lots, initial_capital=capital, check_lookahead=False).fills)
    shared["fills"] = fills
    progress(f"  shared cash {shared['warm_s_median']:.3f} s, sleeves {sleeves['warm_s_median']:.3f} s")
    return {
        "parameters": {"assets": ASSETS, "days": DAYS, "timeframe": "1h", "bars_per_asset": len(bars[next(iter(bars))]),
                       "strategy": "sma_crossover", "params": PARAMS, "rebalance": "every 1d or 5 % drift",
                       "repeats": REPEATS},
        "results": {"shared_cash": shared, "sleeves": sleeves, "single_backtests": singles,
                    "ratio_shared_over_sleeves": round(shared["warm_s_median"] / sleeves["warm_s_median"], 2)},
    }


def table_rows(payload: dict) -> list[tuple[str, str, str]]:
    p, r = payload["parameters"], payload["results"]
    out = []
    for name, label in (("shared_cash", "shared cash"), ("sleeves", f"{p['assets']} sleeves"),
                        ("single_backtests", f"{p['assets']} run_backtest only")):
        x = r[name]
        out.append((f"portfolio backtest: {label}", f"{x['warm_s_median'] * 1000:,.0f} ms",
                    f"{p['assets']} x {p['bars_per_asset']:,} 1h bars; first call {x['first_call_s']:.1f} s; "
                    f"peak alloc {x['peak_alloc_mb']:.0f} MB"))
    out.append(("portfolio backtest: shared / sleeves", f"{r['ratio_shared_over_sleeves']:.2f}x", ""))
    return out


if __name__ == "__main__":
    import json

    print(json.dumps(run(), indent=1))
