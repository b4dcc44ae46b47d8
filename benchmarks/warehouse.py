"""Benchmark: `dbt build` of the warehouse against the same feature set in pandas.

Two datasets from the offline simulator, each landed as validated raw partitions:
  * hourly: 30 series x one year of 1h candles (262,800 rows);
  * minute: 5 series x one year of 1m candles (2,628,000 rows).

For each, in fresh processes and a fresh data directory:
  * the feature lineage, `dbt build --select +fct_features` (stg_candles, int_indicators,
    fct_features and their tests) from empty: the warehouse's side of the like-for-like comparison,
    since the peer computes fct_features' columns only;
  * `dbt build` (every model and test: also the resampled candles, consolidated prices, daily
    returns, risk, correlation, portfolio and ledger marts, 400-odd nodes) from empty: wall time,
    rows/s, each model's own time from run_results.json, and the dbt process' peak RSS;
  * an incremental `dbt build` after one more day is landed;
  * the peer: fct_features' feature set in pandas (read the raw Parquet, compute,
    write Parquet), the idiomatic vectorised way (rolling, ewm), timed end to end
    and for the computation alone.
The ratio is pandas time / warehouse time: above 1 means the warehouse is faster. The peer is timed
inside its process after its imports; a dbt figure is the whole `dbt` process (start, parse, every
node). Each dbt figure says whether the Numba cache of include/features/ was warm (the kernels'
machine code on disk from an earlier run) or cold (a fresh clone's first build compiles them), and
whether Python could write bytecode (PYTHONDONTWRITEBYTECODE unset): without it every process
compiles dbt's and pandas' source again.
Then `warehouse_build` through Airflow on the default universe, full and hourly-incremental, against
the other ways to run the project from Airflow (benchmarks/warehouse_dag.py; key "airflow").

Worker: `python -m benchmarks.warehouse --mode {dbt,dbt-features,pandas} --data-dir D --out F`.
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

from benchmarks import warehouse_dag
from benchmarks.common import base_env, run_worker
from include.paths import DataPaths

START = datetime(2023, 1, 1, tzinfo=timezone.utc)
END = datetime(2024, 1, 1, tzinfo=timezone.utc)
SEED = 7
DATASETS = {
    "hourly": {
        "timeframe": "1h",
        "series": [(venue, f"{base}/USDT") for venue in ("sim_alpha", "sim_beta", "sim_gamma")
                   for base in ("BTC", "ETH", "SOL", "BNB", "XRP")]
        + [(venue, f"{base}/USDC") for venue in ("sim_alpha", "sim_beta", "sim_gamma")
           for base in ("BTC", "ETH", "SOL", "DOGE", "ADA")],
    },
    "minute": {
        "timeframe": "1m",
        "series": [("sim_alpha", f"{base}/USDT") for base in ("BTC", "ETH", "SOL", "XRP", "DOGE")],
    },
}
FEATURE_MODELS = ("model.peak_trade.int_indicators", "model.peak_trade.fct_features")


def _ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


# --------------------------------------------------------------------------- data


def land_dataset(data_dir: Path, dataset: str, start: datetime, end: datetime) -> int:
    """Simulated candles written straight to raw/ as validated period partitions; returns the row count."""
    from include.landing.store import store_candles
    from include.series import Series
    from include.sources.paging import fetch_candles
    from include.sources.sim.exchange import SimExchange

    spec, rows = DATASETS[dataset], 0
    now = _ms(end) + 3_600_000
    for venue, symbol in spec["series"]:
        client = SimExchange(venue, SEED, clock=lambda: now)
        frame = fetch_candles(client, symbol, spec["timeframe"], _ms(start), _ms(end), now, limit=5000)
        series = Series(exchange=venue, symbol=symbol, timeframe=spec["timeframe"])
        store_candles(DataPaths(data_dir).raw, series, frame)
        rows += len(frame)
    return rows


# --------------------------------------------------------------------------- the pandas peer


def pandas_features(candles):
    """fct_features' columns for one series in pandas: rolling windows, ewm with TA-Lib's alphas."""
    import numpy as np
    import pandas as pd

    from include.metrics.risk import periods_per_year

    c, h, lo, v = candles["close"], candles["high"], candles["low"], candles["volume"]
    out = pd.DataFrame({"ts": candles["timestamp"]})
    prev = c.shift()
    out["ret_simple"] = c / prev - 1
    out["ret_log"] = np.log(c / prev)
    for n in (10, 20, 50):
        out[f"sma_{n}"] = c.rolling(n).mean()
        out[f"ema_{n}"] = c.ewm(span=n, adjust=False).mean()
    delta = c.diff()
    gain = delta.clip(lower=0).ewm(alpha=1 / 14, adjust=False).mean()
    loss = (-delta).clip(lower=0).ewm(alpha=1 / 14, adjust=False).mean()
    out["rsi_14"] = 100 * gain / (gain + loss)
    macd = c.ewm(span=12, adjust=False).mean() - c.ewm(span=26, adjust=False).mean()
    out["macd"], out["macd_signal"] = macd, macd.ewm(span=9, adjust=False).mean()
    out["macd_hist"] = out["macd"] - out["macd_signal"]
    std = c.rolling(20).std(ddof=0)
    out["bb_upper"], out["bb_middle"], out["bb_lower"] = out["sma_20"] + 2 * std, out["sma_20"], out["sma_20"] - 2 * std
    out["bb_pct_b"] = (c - out["bb_lower"]) / (out["bb_upper"] - out["bb_lower"])
    true_range = pd.concat([h - lo, (prev - h).abs(), (prev - lo).abs()], axis=1).max(axis=1)
    out["atr_14"] = true_range.ewm(alpha=1 / 14, adjust=False).mean()
    highest, lowest = h.rolling(14).max(), lo.rolling(14).min()
    out["stoch_k"] = (100 * (c - lowest) / (highest - lowest)).rolling(3).mean()
    out["stoch_d"] = out["stoch_k"].rolling(3).mean()
    annualise = np.sqrt(periods_per_year(candles["timeframe"].iloc[0]))
    out["rv_20"] = out["ret_log"].rolling(20).std() * annualise
    out["rv_60"] = out["ret_log"].rolling(60).std() * annualise
    out["volume_z_20"] = (v - v.rolling(20).mean()) / v.rolling(20).std()
    out["body"] = (c - candles["open"]).abs()
    out["upper_wick"] = h - np.maximum(candles["open"], c)
    out["lower_wick"] = np.minimum(candles["open"], c) - lo
    out["rv_20_pctile_500"] = (out["rv_20"].rolling(500).rank(method="min") - 1) / 499
    out["vol_regime"] = pd.cut(out["rv_20_pctile_500"], [-0.1, 0.33, 0.67, 1.1], labels=["low", "normal", "high"])
    out["sma_50_slope"] = out["sma_50"].diff()
    up, down = (c > out["sma_50"]) & (out["sma_50_slope"] > 0), (c < out["sma_50"]) & (out["sma_50_slope"] < 0)
    out["trend_regime"] = np.where(up, "up", np.where(down, "down", "flat"))
    return out


def run_pandas(data_dir: Path) -> dict:
    import pandas as pd

    began = time.perf_counter()
    raw = pd.read_parquet(DataPaths(data_dir).raw)  # one pyarrow dataset read; hive partitions: exchange, symbol, timeframe, period
    read_s = time.perf_counter() - began
    keys = ["exchange", "symbol", "timeframe"]
    t0 = time.perf_counter()
    parts = []
    for key, candles in raw.sort_values([*keys, "timestamp"]).groupby(keys, observed=True, sort=False):
        features = pandas_features(candles.reset_index(drop=True).assign(timeframe=str(key[2])))
        parts.append(features.assign(**dict(zip(keys, map(str, key)))))
    result = pd.concat(parts, ignore_index=True)
    compute_s = time.perf_counter() - t0
    t1 = time.perf_counter()
    result.to_parquet(data_dir / "pandas_features.parquet")
    write_s = time.perf_counter() - t1
    return {"rows": len(result), "read_s": read_s, "compute_s": compute_s, "write_s": write_s,
            "total_s": time.perf_counter() - began, "peak_rss_mb": _peak_rss_mb(resource.RUSAGE_SELF)}


# --------------------------------------------------------------------------- the warehouse


def numba_cache_warm() -> bool:
    """Whether every feature kernel module has machine code cached on disk (Numba's index files)."""
    from include.config.loader import PROJECT_ROOT

    cache = Path(os.environ["NUMBA_CACHE_DIR"]) if os.environ.get("NUMBA_CACHE_DIR") else None
    for module in ("ta_kernels", "window_kernels"):
        where = cache.rglob(f"{module}.*.nbi") if cache else (PROJECT_ROOT / "include" / "features" / "__pycache__").glob(
            f"{module}.*.nbi")
        if not any(where):
            return False
    return True


def run_dbt_build(data_dir: Path, select: list[str] | None = None) -> dict:
    from include.warehouse.dbt_runner import run_dbt

    warm = numba_cache_warm()
    began = time.perf_counter()
    results = run_dbt(["build", *(["--select", *select] if select else [])], data_dir)
    wall = time.perf_counter() - began
    timing = {r["unique_id"]: r["execution_time"] for r in results}
    return {
        "wall_s": wall,
        "select": " ".join(select) if select else "(everything)",
        "numba_cache": "warm" if warm else "cold",
        "bytecode_written": not os.environ.get("PYTHONDONTWRITEBYTECODE"),
        "nodes": len(results),
        "features_models_s": sum(timing.get(m, 0.0) for m in FEATURE_MODELS),
        "models_s": sum(t for node, t in timing.items() if node.startswith("model.")),
        "tests_s": sum(t for node, t in timing.items() if node.startswith(("test.", "unit_test."))),
        "slowest": sorted(((t, node) for node, t in timing.items()), reverse=True)[:6],
        "peak_rss_mb": _peak_rss_mb(resource.RUSAGE_CHILDREN),
    }


def _peak_rss_mb(who) -> float:
    return round(resource.getrusage(who).ru_maxrss / 1024, 1)


# --------------------------------------------------------------------------- orchestration (parent)


def run(tmp: Path, progress=print, airflow_variants: tuple[str, ...] | None = None) -> dict:
    results = {}
    for dataset, spec in DATASETS.items():
        data = tmp / "warehouse" / dataset
        began = time.perf_counter()
        rows = land_dataset(data, dataset, START, END)
        progress(f"  {dataset}: landed {rows:,} rows ({len(spec['series'])} series x {spec['timeframe']}) "
                 f"in {time.perf_counter() - began:.0f} s")
        env = base_env(data, tmp / "unused-config.yaml")
        logs = tmp / "warehouse" / f"{dataset}-logs"
        logs.mkdir(parents=True, exist_ok=True)

        def worker(mode):
            return run_worker("benchmarks.warehouse", ["--mode", mode, "--data-dir", str(data)], env,
                              logs / f"{mode}.json", logs / f"{mode}.log", timeout=3600)

        lineage = worker("dbt-features")
        shutil.rmtree(DataPaths(data).warehouse)  # the full build starts from empty too
        build = worker("dbt")
        peer = worker("pandas")
        day_rows = land_dataset(data, dataset, END, END + timedelta(days=1))
        incremental = worker("dbt")
        entry = {
            "rows": rows,
            "series": len(spec["series"]),
            "timeframe": spec["timeframe"],
            "dbt_build_feature_lineage": {**lineage, "rows_per_s": rows / lineage["wall_s"]},
            "dbt_build": {**build, "rows_per_s": rows / build["wall_s"]},
            "dbt_build_incremental_one_day": {**incremental, "new_rows": day_rows},
            "pandas": {**peer, "rows_per_s": rows / peer["total_s"]},
            "ratio_pandas_total_over_dbt_feature_lineage_wall": peer["total_s"] / lineage["wall_s"],
            "ratio_pandas_total_over_dbt_build_wall": peer["total_s"] / build["wall_s"],
            "ratio_pandas_compute_over_feature_models": peer["compute_s"] / build["features_models_s"],
        }
        progress(f"  {dataset}: feature lineage {lineage['wall_s']:.1f} s (Numba cache {lineage['numba_cache']}); "
                 f"dbt build {build['wall_s']:.1f} s ({rows / build['wall_s']:,.0f} rows/s; feature models "
                 f"{build['features_models_s']:.1f} s), incremental +1 day {incremental['wall_s']:.1f} s; "
                 f"pandas {peer['total_s']:.1f} s (compute {peer['compute_s']:.1f} s)")
        results[dataset] = entry
    progress("  warehouse_build through Airflow on the default universe (benchmarks/warehouse_dag.py):")
    airflow = warehouse_dag.run(tmp, progress, tuple(airflow_variants or warehouse_dag.VARIANTS))
    return {"parameters": {"seed": SEED, "start": START.isoformat(), "end": END.isoformat(),
                           "datasets": {k: {"timeframe": v["timeframe"], "series": len(v["series"])}
                                        for k, v in DATASETS.items()}},
            "results": results, "airflow": airflow}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--mode", choices=("dbt", "dbt-features", "pandas"), required=True)
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    if args.mode == "pandas":
        result = run_pandas(args.data_dir)
    else:
        result = run_dbt_build(args.data_dir, ["+fct_features"] if args.mode == "dbt-features" else None)
    args.out.write_text(json.dumps(result, indent=2, default=str))


if __name__ == "__main__":
    main()
