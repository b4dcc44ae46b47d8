"""The cost of the overfitting odds on a 10,000-trial sweep, against the sweep's own time per trial.

Synthetic daily returns, 10,000 trials x 365 days (float32, as the sweeps keep them): the trials'
Sharpe ratios, the deflated Sharpe ratio of the best, and the PBO by CSCV with S = 16 (12,870
combinations). Plus the capture cost inside the sweep: compounding one trial's year of 1h bar
returns (8,760) to daily returns (include/sweeps/evaluate.daily_returns), per trial.

The sweep's time per trial comes from benchmarks/results/backtest.json (the Peak Trade engine's
grid: seconds / pairs over 100,000 bars, and its bar steps per second scaled to a year of 1h bars);
the result states whether the statistics dominate the sweep.
"""
from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np
import pandas as pd

TRIALS, DAYS, BLOCKS, SEED = 10_000, 365, 16, 5
HOURLY_BARS = 8_760
BACKTEST_RESULT = Path(__file__).parent / "results" / "backtest.json"


def _timed(function, *args, repeat: int = 1):
    best, value = float("inf"), None
    for _ in range(repeat):
        t0 = time.perf_counter()
        value = function(*args)
        best = min(best, time.perf_counter() - t0)
    return best, value


def sweep_time_per_trial() -> dict:
    """The engine's seconds per trial from the stored backtest benchmark (absent: None)."""
    if not BACKTEST_RESULT.is_file():
        return {"source": None}
    engine = json.loads(BACKTEST_RESULT.read_text())["results"]["peaktrade"]
    per_trial = engine["seconds"] / engine["pairs"]
    return {"source": str(BACKTEST_RESULT.name), "bars": engine["bars"], "pairs": engine["pairs"],
            "seconds_per_trial_100k_bars": per_trial,
            "seconds_per_trial_1h_year": HOURLY_BARS / engine["bar_steps_per_s"]}


def run(tmp: Path | None = None) -> dict:
    from include.metrics.overfitting import deflate, per_period_sharpes, probability_of_backtest_overfitting
    from include.sweeps.evaluate import day_starts, daily_returns

    rng = np.random.default_rng(SEED)
    returns = rng.normal(0.0, 0.02, size=(DAYS, TRIALS)).astype(np.float32)
    returns[:, 123] += 0.002  # one planted edge, so the best is a real one
    matrix = returns.astype(np.float64)

    sharpes_s, sharpes = _timed(per_period_sharpes, matrix, repeat=3)
    best = int(np.nanargmax(sharpes))
    dsr_s, deflation = _timed(deflate, matrix[:, best], sharpes, repeat=3)
    pbo_s, overfitting = _timed(probability_of_backtest_overfitting, matrix, BLOCKS)

    ts = pd.date_range("2025-01-01", periods=HOURLY_BARS, freq="1h", tz="UTC")
    bars = rng.normal(0.0, 0.004, HOURLY_BARS)
    starts = day_starts(ts)
    resample_s, _ = _timed(lambda: [daily_returns(bars, starts) for _ in range(200)], repeat=3)
    capture_per_trial = resample_s / 200

    statistics_s = sharpes_s + dsr_s + pbo_s
    sweep = sweep_time_per_trial()
    out = {
        "parameters": {"trials": TRIALS, "days": DAYS, "pbo_blocks": BLOCKS, "seed": SEED, "dtype": "float32",
                       "capture": f"{HOURLY_BARS} 1h bars compounded to {DAYS} daily returns per trial"},
        "results": {
            "trial_sharpes_s": sharpes_s, "dsr_s": dsr_s, "pbo_s": pbo_s,
            "pbo_combinations": overfitting.n_combinations, "pbo": overfitting.pbo, "dsr": deflation.dsr,
            "statistics_total_s": statistics_s, "statistics_per_trial_s": statistics_s / TRIALS,
            "capture_per_trial_s": capture_per_trial, "returns_matrix_mb": returns.nbytes / 2**20,
            "sweep": sweep,
        },
    }
    if sweep["source"]:
        for key in ("seconds_per_trial_100k_bars", "seconds_per_trial_1h_year"):
            sweep_s = sweep[key] * TRIALS
            extra = statistics_s + capture_per_trial * TRIALS
            out["results"][f"share_of_sweep_{key.removeprefix('seconds_per_trial_')}"] = extra / (sweep_s + extra)
        out["results"]["dominates"] = out["results"]["share_of_sweep_1h_year"] > 0.5
    return out


def table_rows(payload: dict) -> list[tuple[str, str, str]]:
    r = payload["results"]
    rows = [("overfitting: 10,000 trials x 365 days", f"{r['statistics_total_s']:.2f} s",
             f"Sharpe ratios {r['trial_sharpes_s']:.3f} s, DSR {r['dsr_s'] * 1000:.2f} ms, PBO (S=16, "
             f"{r['pbo_combinations']:,} combinations) {r['pbo_s']:.2f} s; capture "
             f"{r['capture_per_trial_s'] * 1e6:.0f} us/trial")]
    if "dominates" in r:
        rows.append(("overfitting: share of the sweep", f"{r['share_of_sweep_1h_year'] * 100:.1f} %",
                     f"vs {r['sweep']['seconds_per_trial_1h_year'] * 1000:.2f} ms/trial (a year of 1h bars; "
                     f"{r['share_of_sweep_100k_bars'] * 100:.1f} % at 100k bars); dominates: {r['dominates']}"))
    return rows


if __name__ == "__main__":
    result = run()
    print(json.dumps(result, indent=1))
