"""Benchmark 1: landing throughput of one year of 1-minute candles for one symbol.

Two sources, each run `runs` times (median reported), every run in a fresh
Python process and a fresh data directory so it is a full landing:

* sim: `SimExchange("sim_alpha")` through `land_series(page_limit=5000)`;
* file: a generated Binance public-data kline CSV (headerless, 12 columns, ms
  open times) through `FileExchange`; its time includes parsing the CSV.

Each run also validates (`validate_series`) and publishes (`publish`) what it
landed, so one run gives land-only and end-to-end (land + validate + publish)
throughput. Modules are imported before the clock starts; caches built while
landing (the simulator's per-day cache, the parsed file) start empty per run.

Run as a worker: `python -m benchmarks.landing --source sim --data-dir D --out F`
(PEAKTRADE_CONFIG must point at the benchmark config).
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import time
from datetime import datetime, timezone
from pathlib import Path

from benchmarks.common import base_env, median, run_worker, write_yaml

SYMBOL = "BTC/USDT"
TIMEFRAME = "1m"
START = datetime(2023, 1, 1, tzinfo=timezone.utc)  # 2023 has 365 days: 525,600 minutes
END = datetime(2024, 1, 1, tzinfo=timezone.utc)
EXPECTED_ROWS = 525_600
PAGE_LIMIT = 5_000
SIM_EXCHANGE = "sim_alpha"
FILE_EXCHANGE = "binance_file"
SEED = 7
RUN_KEY = "bench"


def _ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


# --------------------------------------------------------------------------- the CSV


def write_binance_klines(path: Path, start_ms: int, rows: int, seed: int = 42) -> dict:
    """A plausible Binance spot kline CSV: headerless, 12 columns, ms open times, one row per minute."""
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(seed)
    sigma = 0.03 / np.sqrt(1440)  # ~3% daily volatility
    log_returns = rng.standard_t(4, rows) / np.sqrt(2.0) * sigma  # fat tails, unit-variance t(4)
    close = np.round(16_500.0 * np.exp(np.cumsum(log_returns)), 2)
    open_ = np.concatenate(([16_500.0], close[:-1]))
    high = np.maximum(open_, close) * np.exp(np.abs(rng.normal(0.0, 0.6 * sigma, rows)))
    low = np.minimum(open_, close) * np.exp(-np.abs(rng.normal(0.0, 0.6 * sigma, rows)))
    # Round, then restore the OHLC invariants rounding may have touched.
    high = np.maximum(np.round(high, 2), np.maximum(open_, close))
    low = np.minimum(np.round(low, 2), np.minimum(open_, close))
    volume = np.round(rng.lognormal(np.log(5.0), 1.0, rows), 5)
    taker_share = rng.uniform(0.3, 0.7, rows)
    open_time = start_ms + np.arange(rows, dtype=np.int64) * 60_000
    assert (high >= np.maximum(open_, close)).all() and (low <= np.minimum(open_, close)).all() and (low > 0).all()
    frame = pd.DataFrame(
        {
            "open_time": open_time,
            "open": open_,
            "high": high,
            "low": low,
            "close": close,
            "volume": volume,
            "close_time": open_time + 59_999,
            "quote_volume": np.round(volume * (open_ + close) / 2, 8),
            "count": rng.poisson(volume * 40).astype(np.int64) + 1,
            "taker_buy_base": np.round(volume * taker_share, 5),
            "taker_buy_quote": np.round(volume * taker_share * close, 8),
            "ignore": np.zeros(rows, dtype=np.int64),
        }
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    frame.to_csv(path, header=False, index=False, float_format="%.8f")
    with open(path, "rb") as fh:
        lines = sum(chunk.count(b"\n") for chunk in iter(lambda: fh.read(1 << 20), b""))
    if lines != rows:
        raise RuntimeError(f"{path}: wrote {lines} lines, expected {rows}")
    return {"rows": lines, "bytes": path.stat().st_size, "columns": 12}


def write_config(path: Path, csv: Path) -> Path:
    return write_yaml(
        path,
        {
            "data_dir": "data",  # overridden by PEAKTRADE_DATA_DIR in every run
            "universe": {
                "symbols": [SYMBOL],
                "timeframes": [TIMEFRAME],
                "exchanges": [
                    {"id": SIM_EXCHANGE, "source": "sim"},
                    {
                        "id": FILE_EXCHANGE,
                        "source": "file",
                        "symbols": [SYMBOL],
                        "timeframes": [TIMEFRAME],
                        "files": {SYMBOL: {"path": str(csv), "format": "binance_klines"}},
                    },
                ],
            },
            "history": {"start": {TIMEFRAME: START.date()}},  # a date, not a string: YAML keeps it a date
            "simulator": {"seed": SEED},
            "ingest": {"page_limit": PAGE_LIMIT},
        },
    )


# --------------------------------------------------------------------------- orchestration (parent)


def run(tmp: Path, runs: int, progress=print) -> dict:
    """Generate the CSV, then `runs` fresh-process runs per source; the payload for landing.json."""
    base = tmp / "landing"
    csv = base / "input" / "BTCUSDT-1m-2023.csv"
    began = time.perf_counter()
    csv_info = write_binance_klines(csv, _ms(START), EXPECTED_ROWS)
    csv_info["generate_s"] = round(time.perf_counter() - began, 3)
    csv_info["path"] = csv.name
    progress(f"  generated {csv.name}: {csv_info['rows']:,} rows, {csv_info['bytes'] / 2**20:.1f} MiB in {csv_info['generate_s']:.1f} s")
    config = write_config(base / "peak_trade.yaml", csv)

    results = {}
    for source in ("sim", "file"):
        per_run = []
        for i in range(1, runs + 1):
            data = base / f"data-{source}-{i}"
            env = base_env(data, config)
            out = run_worker(
                "benchmarks.landing", ["--source", source, "--data-dir", str(data)], env,
                base / f"{source}-{i}.json", base / f"{source}-{i}.log",
            )
            per_run.append(out)
            progress(
                f"  {source} run {i}/{runs}: {out['candles']:,} candles, land {out['land_s']:.2f} s, "
                f"end to end {out['end_to_end_s']:.2f} s"
            )
            shutil.rmtree(data, ignore_errors=True)
        results[source] = _summarise(source, per_run)
    results["file"]["csv"] = csv_info
    return {
        "parameters": {
            "symbol": SYMBOL,
            "timeframe": TIMEFRAME,
            "window_start": START.isoformat(),
            "window_end": END.isoformat(),
            "expected_rows": EXPECTED_ROWS,
            "page_limit": PAGE_LIMIT,
            "runs": runs,
            "statistic": "median over runs; each run a fresh process and a fresh data dir",
            "end_to_end": "land_series + validate_series (no peers) + publish (incl. Data Docs), timed as one span",
        },
        "results": results,
    }


def _summarise(source: str, runs: list[dict]) -> dict:
    candles = [r["candles"] for r in runs]
    land = [r["land_s"] for r in runs]
    e2e = [r["end_to_end_s"] for r in runs]
    summary = {
        "exchange": runs[0]["exchange"],
        "candles": candles[0] if len(set(candles)) == 1 else candles,
        "missing_vs_full_year": EXPECTED_ROWS - candles[0],
        "land": {
            "seconds_median": round(median(land), 3),
            "candles_per_s_median": round(median([c / s for c, s in zip(candles, land)])),
            "cpu_s_median": round(median([r["land_cpu_s"] for r in runs]), 3),
        },
        "end_to_end": {
            "seconds_median": round(median(e2e), 3),
            "candles_per_s_median": round(median([c / s for c, s in zip(candles, e2e)])),
            "validate_s_median": round(median([r["validate_s"] for r in runs]), 3),
            "cpu_s_median": round(median([r["end_to_end_cpu_s"] for r in runs]), 3),
            "publish_s_median": round(median([r["publish_s"] for r in runs]), 3),
        },
        "partitions": runs[0]["partitions"],
        "passed": runs[0]["passed"],
        "flagged": runs[0]["flagged"],
        "quarantined": runs[0]["quarantined"],
        "runs": runs,
    }
    if source == "file":
        summary["parse_s_median"] = round(median([r["parse_s"] for r in runs]), 3)
    return summary


# --------------------------------------------------------------------------- one run (worker)


def _worker(source: str, data_dir: Path) -> dict:
    import gc

    from include.config.loader import load_config
    from include.landing.land import land_series
    from include.paths import DataPaths
    from include.series import Series
    from include.sources.file_source import FileExchange, parse_file
    from include.sources.sim.exchange import SimExchange
    from include.validation.gate import validate_series
    from include.validation.publish import publish

    config = load_config()
    paths = DataPaths(data_dir)
    if data_dir.is_dir() and any(data_dir.iterdir()):
        raise RuntimeError(f"{data_dir} is not empty; every run needs a fresh data dir")
    start_ms, end_ms = _ms(START), _ms(END)
    now_ms = end_ms
    exchange = SIM_EXCHANGE if source == "sim" else FILE_EXCHANGE
    series = Series(exchange=exchange, symbol=SYMBOL, timeframe=TIMEFRAME)
    if source == "sim":
        client = SimExchange(SIM_EXCHANGE, config.simulator.seed, clock=lambda: now_ms)
    else:
        spec = config.exchange(FILE_EXCHANGE)
        client = FileExchange(FILE_EXCHANGE, {SYMBOL: spec.files[SYMBOL]}, timeframes=[TIMEFRAME])
    retry = {"retries": config.ingest.retries, "base_delay": config.ingest.retry_base_delay_s}
    rules = config.validation
    gc.collect()
    load = os.getloadavg()[0]

    c0, t0 = time.process_time(), time.perf_counter()
    landing = land_series(client, series, paths, RUN_KEY, start_ms, end_ms, now_ms, page_limit=PAGE_LIMIT, retry=retry)
    c1, t1 = time.process_time(), time.perf_counter()
    verdicts = validate_series(paths, RUN_KEY, series, [], rules, rules.gap_tolerance(exchange, SYMBOL))
    t2 = time.perf_counter()
    summary = publish(paths, RUN_KEY, verdicts, keep_days=rules.keep_results_days)
    c3, t3 = time.process_time(), time.perf_counter()

    out = {
        "exchange": exchange,
        "candles": landing.rows,
        "days": len(landing.days),
        "first": landing.first,
        "last": landing.last,
        "land_s": round(t1 - t0, 4),
        "validate_s": round(t2 - t1, 4),
        "publish_s": round(t3 - t2, 4),
        "end_to_end_s": round(t3 - t0, 4),
        "land_cpu_s": round(c1 - c0, 4),  # CPU time of this process: less sensitive to other load
        "end_to_end_cpu_s": round(c3 - c0, 4),
        "partitions": summary.partitions,
        "passed": summary.passed,
        "flagged": summary.flagged,
        "quarantined": len(summary.quarantined),
        "max_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "load_average_1m_before": round(load, 2),
    }
    if source == "file":  # the parse alone, for reference (file already in the page cache)
        t4 = time.perf_counter()
        parse_file(spec.files[SYMBOL])
        out["parse_s"] = round(time.perf_counter() - t4, 4)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", choices=("sim", "file"), required=True)
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    args.out.write_text(json.dumps(_worker(args.source, args.data_dir)))


if __name__ == "__main__":
    main()
