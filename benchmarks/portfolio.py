"""Benchmark: optimiser wall time per method for 10, 50 and 200 assets on two years of daily returns.

Returns are synthetic and correlated (one market factor plus noise, crypto-like
volatilities), generated in process; no data dir is needed. Each (method, size) is
timed REPEATS times after one untimed warm-up run and the median is reported, with
whether the answer met every constraint. Every method runs with a cash buffer, a
maximum weight and, in a second pass, a turnover cap against equal current weights.

Hook into benchmarks.run as: payload = portfolio.run(tmp); rows = portfolio.table_rows(payload).
Standalone: `.venv/bin/python -m benchmarks.portfolio` writes benchmarks/results/portfolio.json.
"""
from __future__ import annotations

import logging
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

from benchmarks.common import command_info, machine_info, median, utc_now, write_result

SIZES = (10, 50, 200)
DAYS = 730
REPEATS = 3
SEED = 17
CASH_BUFFER = 0.05
MAX_TURNOVER = 0.2


def correlated_returns(n_assets: int, n_days: int, seed: int) -> pd.DataFrame:
    """Daily simple returns: beta * market + own noise + a small drift per asset."""
    rng = np.random.default_rng(seed)
    beta = rng.uniform(0.6, 1.4, n_assets)
    own_vol = rng.uniform(0.01, 0.04, n_assets)
    market = rng.normal(0.0005, 0.03, n_days)
    values = market[:, None] * beta + rng.normal(0.0, 1.0, (n_days, n_assets)) * own_vol + rng.normal(0.0, 0.0005, n_assets)
    return pd.DataFrame(values, index=pd.date_range("2022-01-01", periods=n_days, freq="D"),
                        columns=[f"S{i:03d}/USDT" for i in range(n_assets)])


def _settings(method, n_assets: int, turnover_cap: bool):
    from include.portfolio import Method, PortfolioSettings

    extra = {}
    if method is Method.TARGET_RETURN:
        extra["target_return"] = 0.10
    if method is Method.BLACK_LITTERMAN:
        extra["views"] = ["S000/USDT - S001/USDT == 0.05", "S002/USDT == 0.20"]
    return PortfolioSettings(method=method, cash_buffer=CASH_BUFFER, max_weight=max(0.1, 3.0 / n_assets),
                             max_turnover=MAX_TURNOVER if turnover_cap else None, **extra)


def time_method(returns: pd.DataFrame, settings, current: pd.Series) -> dict:
    from include.portfolio import optimise

    result = optimise(returns, settings, current)  # warm-up: imports, cvxpy compilation caches
    seconds = []
    for _ in range(REPEATS):
        t0 = time.perf_counter()
        result = optimise(returns, settings, current)
        seconds.append(time.perf_counter() - t0)
    return {"seconds_median": round(median(seconds), 4), "seconds": [round(s, 4) for s in seconds],
            "ok": result.ok, "reason": result.reason, "turnover": round(result.turnover, 6),
            "invested": round(float(result.weights.sum()), 6)}


def run(tmp: Path | None = None, progress=print) -> dict:
    from include.portfolio import Method

    logging.getLogger("include.portfolio").setLevel(logging.ERROR)  # fallbacks are reported in the result
    results = {}
    for n in SIZES:
        returns = correlated_returns(n, DAYS, SEED + n)
        current = pd.Series((1 - CASH_BUFFER) / n, index=returns.columns)
        for capped in (False, True):
            key = f"{n}_assets" + ("_turnover_cap" if capped else "")
            results[key] = {}
            for method in Method:
                r = time_method(returns, _settings(method, n, capped), current)
                results[key][method.value] = r
                progress(f"  {key} {method.value}: {r['seconds_median'] * 1000:,.1f} ms (ok={r['ok']})")
    return {
        "parameters": {"sizes": list(SIZES), "days": DAYS, "repeats": REPEATS, "seed": SEED,
                       "cash_buffer": CASH_BUFFER, "max_weight": "max(0.1, 3 / n_assets)",
                       "max_turnover": MAX_TURNOVER, "current_weights": "equal, sum 1 - cash_buffer",
                       "covariance": "Ledoit-Wolf", "solver": "CLARABEL via skfolio/cvxpy"},
        "results": results,
    }


def table_rows(payload: dict) -> list[tuple[str, str, str]]:
    """Rows for benchmarks.run's summary table: one per size and method."""
    rows = []
    for key, methods in payload["results"].items():
        for method, r in methods.items():
            rows.append((f"portfolio {key.replace('_', ' ')}: {method}", f"{r['seconds_median'] * 1000:,.1f} ms",
                         f"median of {payload['parameters']['repeats']}; {payload['parameters']['days']} days; "
                         + ("ok" if r["ok"] else f"fallback: {r['reason']}")))
    return rows


def main() -> int:
    started, t0 = utc_now(), time.perf_counter()
    payload = run()
    header = {"benchmark": "portfolio", "timestamp": started, "finished": utc_now(),
              "duration_s": round(time.perf_counter() - t0, 1), "command": command_info(), "machine": machine_info()}
    path = write_result("portfolio", {**header, **payload})
    for row in table_rows(payload):
        print("  ".join(row))
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
