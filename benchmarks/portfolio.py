"""Benchmark: optimiser wall time per method for 10, 50 and 200 assets on two years of daily returns.

The returns are the simulator's (include.sources.sim): its 8 assets in USDT, then its
synthetic assets SYN01..SYNnn (`simulator.synthetic_assets`) up to the size, over the
DAYS days to END. They come from the simulator's daily layer (market_model.daily_path:
daily log returns from a common fat-tailed market factor plus each asset's own part,
scaled by the market regime), which a venue's 1d candles hit exactly up to its basis
wobble (1.5 bps on sim_alpha); generating the 1d candles themselves would build every
minute of 200 x 730 asset-days (about 1.5 ms each, some 4 minutes) for the same numbers.
They are written as the warehouse's fct_daily_returns export and read back with
include.portfolio.load_daily_returns, the optimiser's own input path (its time is
reported, apart from the optimiser's).

Each (method, size) is timed REPEATS times after one untimed warm-up run, in rounds over
every case, and the median (and min) is reported, with whether the answer met every
constraint. Each case runs twice per round: with the BLAS library's default threads (what
a task gets) and limited to one thread, since on a small shared machine multithreaded BLAS
can cost more than it gives. Every method runs with a cash buffer, a maximum weight and,
in a second pass, a turnover cap against equal current weights.

Standalone: `.venv/bin/python -m benchmarks.portfolio` writes benchmarks/results/portfolio.json.
"""
from __future__ import annotations

import logging
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from benchmarks.common import DEFAULT_TMP_PARENT, command_info, machine_info, median, utc_now, write_result

SIZES = (10, 50, 200)
DAYS = 730
REPEATS = 5
BLAS_THREADS = (None, 1)  # the BLAS library's default (what the DAG's tasks get), then one thread
SEED = 7  # the simulator's default seed
VENUE = "sim_alpha"
END = "2024-06-01"  # the last trade_date
CASH_BUFFER = 0.05
MAX_TURNOVER = 0.2


def sim_symbols_for(n_assets: int) -> list[str]:
    """The simulator's real assets in USDT, then SYN01.. up to n_assets symbols."""
    from include.sources.sim.catalogue import ASSETS, SYNTHETIC_QUOTE, synthetic_name

    real = [f"{base}/{SYNTHETIC_QUOTE}" for base in ASSETS][:n_assets]
    return real + [f"{synthetic_name(n)}/{SYNTHETIC_QUOTE}" for n in range(1, n_assets - len(real) + 1)]


def write_sim_returns(exports: Path, symbols: list[str], days: int, seed: int) -> Path:
    """The simulator's daily simple returns of `symbols` over the `days` days to END, as fct_daily_returns."""
    from include.portfolio.returns import daily_returns_file
    from include.sources.sim.market_model import ANCHOR_DAY, daily_path

    last = (pd.Timestamp(END) - pd.Timestamp("1970-01-01")).days  # day index of END
    index = np.arange(last - days + 1, last + 1) - ANCHOR_DAY
    trade_dates = pd.to_datetime(index + ANCHOR_DAY, unit="D").date
    frames = []
    for symbol in symbols:
        log_returns, _opens = daily_path(seed, symbol.split("/")[0])
        frames.append(pd.DataFrame({"exchange": VENUE, "symbol": symbol, "trade_date": trade_dates,
                                    "daily_return": np.expm1(log_returns[index]), "days_spanned": 1}))
    path = daily_returns_file(exports)
    path.parent.mkdir(parents=True, exist_ok=True)
    pd.concat(frames, ignore_index=True).to_parquet(path)
    return path


def _settings(method, n_assets: int, turnover_cap: bool):
    from include.portfolio import Method, PortfolioSettings

    extra = {}
    if method is Method.TARGET_RETURN:
        extra["target_return"] = 0.10
    if method is Method.BLACK_LITTERMAN:
        extra["views"] = ["BTC/USDT - ETH/USDT == 0.05", "SOL/USDT == 0.20"]
    return PortfolioSettings(method=method, cash_buffer=CASH_BUFFER, max_weight=max(0.1, 3.0 / n_assets),
                             max_turnover=MAX_TURNOVER if turnover_cap else None, **extra)


def time_methods(returns: pd.DataFrame, current: pd.Series, n_assets: int) -> dict:
    """Every (turnover cap, method) case under each BLAS setting, timed in interleaved rounds."""
    from include.portfolio import Method, optimise

    cases = [(capped, method) for capped in (False, True) for method in Method]
    settings = {case: _settings(case[1], n_assets, case[0]) for case in cases}
    seconds: dict = {(blas, case): [] for blas in BLAS_THREADS for case in cases}
    last = {}
    for blas in BLAS_THREADS:  # warm-up: imports, cvxpy compilation caches
        with _blas_limit(blas):
            for case in cases:
                optimise(returns, settings[case], current)
    # Rounds over every case, not repeats of one: a burst of load on a shared machine then
    # spreads over the cases instead of landing on one.
    for _ in range(REPEATS):
        for blas in BLAS_THREADS:
            with _blas_limit(blas):
                for case in cases:
                    t0 = time.perf_counter()
                    last[case] = optimise(returns, settings[case], current)
                    seconds[blas, case].append(time.perf_counter() - t0)

    def timing(values: list[float]) -> dict:
        return {"seconds_median": round(median(values), 4), "seconds_min": round(min(values), 4),
                "seconds": [round(v, 4) for v in values]}

    out: dict = {}
    for capped, method in cases:
        result = last[capped, method]
        key = f"{n_assets}_assets" + ("_turnover_cap" if capped else "")
        out.setdefault(key, {})[method.value] = {
            **timing(seconds[None, (capped, method)]),
            "one_blas_thread": timing(seconds[1, (capped, method)]),
            "ok": result.ok, "reason": result.reason, "turnover": round(result.turnover, 6),
            "invested": round(float(result.weights.sum()), 6)}
    return out


def _blas_limit(threads: int | None):
    from contextlib import nullcontext

    from threadpoolctl import threadpool_limits

    return nullcontext() if threads is None else threadpool_limits(limits=threads, user_api="blas")


def _blas_threads() -> list[dict]:
    from threadpoolctl import threadpool_info

    return [{"library": i["internal_api"], "threads": i["num_threads"]} for i in threadpool_info()
            if i["user_api"] == "blas"]


def run(tmp: Path, progress=print) -> dict:
    from include.portfolio.returns import load_daily_returns

    logging.getLogger("include.portfolio").setLevel(logging.ERROR)  # fallbacks are reported in the result
    results, inputs = {}, {}
    for n in SIZES:
        symbols = sim_symbols_for(n)
        exports = tmp / "portfolio" / f"{n}_assets"
        t0 = time.perf_counter()
        write_sim_returns(exports, symbols, DAYS, SEED)
        generated = time.perf_counter() - t0
        t0 = time.perf_counter()
        returns = load_daily_returns(exports, symbols, DAYS, exchange=VENUE)
        loaded = time.perf_counter() - t0
        inputs[f"{n}_assets"] = {"symbols": len(symbols), "days": len(returns), "first": str(returns.index[0].date()),
                                 "last": str(returns.index[-1].date()), "simulate_and_write_s": round(generated, 3),
                                 "load_daily_returns_s": round(loaded, 3),
                                 "annual_vol_median": round(float(returns.std().median() * np.sqrt(365)), 3),
                                 "correlation_median": round(float(np.median(
                                     returns.corr().to_numpy()[np.triu_indices(n, 1)])), 3)}
        progress(f"  {n} assets: {len(returns)} days of simulated returns, load_daily_returns {loaded * 1000:,.0f} ms")
        current = pd.Series((1 - CASH_BUFFER) / n, index=returns.columns)
        for key, methods in time_methods(returns, current, n).items():
            results[key] = methods
            for method, r in methods.items():
                progress(f"  {key} {method}: {r['seconds_median'] * 1000:,.1f} ms, one BLAS thread "
                         f"{r['one_blas_thread']['seconds_median'] * 1000:,.1f} ms (ok={r['ok']})")
    return {
        "parameters": {"sizes": list(SIZES), "days": DAYS, "end": END, "repeats": REPEATS,
                       "timing": "median (and min) of the repeats, in interleaved rounds over every case after one "
                                 "untimed warm-up each; seconds_* with the BLAS library's default threads, "
                                 "one_blas_thread.* limited to one (threadpoolctl)",
                       "blas_default_threads": _blas_threads(),
                       "returns": f"simulator (seed {SEED}) daily returns: its 8 assets in USDT then SYN01..SYNnn, "
                                  f"written as fct_daily_returns and read with load_daily_returns",
                       "cash_buffer": CASH_BUFFER, "max_weight": "max(0.1, 3 / n_assets)",
                       "max_turnover": MAX_TURNOVER, "current_weights": "equal, sum 1 - cash_buffer",
                       "covariance": "Ledoit-Wolf", "solver": "CLARABEL via skfolio/cvxpy"},
        "inputs": inputs,
        "results": results,
    }


def table_rows(payload: dict) -> list[tuple[str, str, str]]:
    """Rows for benchmarks.run's summary table: one per size and method."""
    rows = []
    for key, methods in payload["results"].items():
        for method, r in methods.items():
            rows.append((f"portfolio {key.replace('_', ' ')}: {method}", f"{r['seconds_median'] * 1000:,.1f} ms",
                         f"one BLAS thread {r['one_blas_thread']['seconds_median'] * 1000:,.1f} ms; median of "
                         f"{payload['parameters']['repeats']}; {payload['parameters']['days']} days; "
                         + ("ok" if r["ok"] else f"fallback: {r['reason']}")))
    return rows


def main() -> int:
    started, t0 = utc_now(), time.perf_counter()
    DEFAULT_TMP_PARENT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="portfolio-", dir=DEFAULT_TMP_PARENT) as tmp:
        payload = run(Path(tmp))
    header = {"benchmark": "portfolio", "timestamp": started, "finished": utc_now(),
              "duration_s": round(time.perf_counter() - t0, 1), "command": command_info(), "machine": machine_info()}
    path = write_result("portfolio", {**header, **payload})
    for row in table_rows(payload):
        print("  ".join(row))
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
