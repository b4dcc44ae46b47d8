"""Benchmark: the landed store's layout, one file per day against one file per period.

The default universe (config/peak_trade.yaml: 5 symbols x 3 simulated venues, 1h from
365 days back and 1m from 3 days back, 196,090 candles) is written as validated
candles in the earlier layout (one file per series and UTC day), then moved by the
one-time migration (include/landing/migrate.py) to period files (a UTC month per
hourly series, a UTC day per minute series). For each layout, the median of RUNS:
  * files under raw/;
  * the dbt source's read: DuckDB over the glob of dbt/models/staging/_sources.yml,
    listing the files as stg_candles does (read_blob: name and mtime) and reading
    every row with hive partitioning (a fresh connection each time);
  * the footer (schema) read of every file: what a cold preflight does per file.
For the period layout also the preflight itself (check_landed: listing, missing
periods, schemas) cold (no marker) and warm, and the migration's own time.

    .venv/bin/python -m benchmarks.store_layout    # writes benchmarks/results/store_layout.json
"""
from __future__ import annotations

import argparse
import shutil
import statistics
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

from benchmarks.common import DEFAULT_TMP_PARENT, ROOT, command_info, machine_info, utc_now, write_result

NOW = datetime(2024, 6, 1, tzinfo=timezone.utc)  # fixed, so every run lands the same candles
RUNS = 5
GLOB = "raw/*/*/*/*/candles.parquet"  # dbt/macros/staging.sql landed_candles_glob()


def land_day_layout(data: Path) -> int:
    """The default universe from the simulator, written the way raw was before period files."""
    from include.config.loader import load_config
    from include.landing.store import CANDLE_FILE, series_dir, split_by_day, write_atomic
    from include.paths import DataPaths
    from include.sources.paging import fetch_candles
    from include.sources.sim.exchange import SimExchange
    from include.timeframes import ceil_ms, to_ms

    config = load_config(ROOT / "config" / "peak_trade.yaml")
    now, rows = to_ms(NOW), 0
    for series in config.series():
        client = SimExchange(series.exchange, config.simulator.seed, clock=lambda: now)
        start = ceil_ms(to_ms(config.history.start_for(series.timeframe, NOW)), series.timeframe)
        frame = fetch_candles(client, series.symbol, series.timeframe, start, now, now, limit=5000)
        for day, part in split_by_day(frame).items():
            write_atomic(part, series_dir(DataPaths(data).raw, series) / f"date={day}" / CANDLE_FILE)
        rows += len(frame)
    return rows


def _median_s(work, runs: int = RUNS) -> float:
    times = []
    for _ in range(runs):
        began = time.perf_counter()
        work()
        times.append(time.perf_counter() - began)
    return round(statistics.median(times), 4)


def read_figures(data: Path, rows: int) -> dict:
    import duckdb
    import pyarrow.parquet as pq

    files = sorted((data / "raw").glob(GLOB.removeprefix("raw/")))
    pattern = str(data / GLOB)

    def listing():
        with duckdb.connect() as con:
            assert len(con.execute(f"select filename, last_modified from read_blob('{pattern}')").fetchall()) == len(files)

    def read_all():
        with duckdb.connect() as con:
            n, _ = con.execute(f"select count(*), sum(close) from read_parquet('{pattern}', hive_partitioning = true, "
                               "filename = true)").fetchone()
            assert n == rows, (n, rows)

    def footers():
        for path in files:
            pq.read_schema(path)

    return {
        "files": len(files),
        "source_listing_s": _median_s(listing),
        "source_read_all_rows_s": _median_s(read_all),
        "footer_read_every_file_s": _median_s(footers),
    }


def run(tmp: Path) -> dict:
    from include.landing.migrate import migrate_store
    from include.paths import DataPaths
    from include.warehouse.preflight import check_landed

    data = tmp / "data"
    rows = land_day_layout(data)
    days = read_figures(data, rows)
    began = time.perf_counter()
    summary = migrate_store(data)
    migration_s = round(time.perf_counter() - began, 3)
    periods = read_figures(data, rows)
    marker = DataPaths(data).preflight_marker

    def cold():
        marker.unlink(missing_ok=True)
        check_landed(data)

    periods["preflight_cold_s"] = _median_s(cold)
    periods["preflight_warm_s"] = _median_s(lambda: check_landed(data))
    return {
        "parameters": {
            "universe": "config/peak_trade.yaml (5 symbols x 3 sim venues; 1h from 365 days, 1m from 3 days)",
            "now": NOW.isoformat(),
            "candles": rows,
            "runs": RUNS,
            "statistic": "median over runs, in one process, page cache warm",
        },
        "results": {
            "day_files": days,
            "period_files": periods,
            "migration": {"seconds": migration_s, "day_files": summary.day_files, "period_files": summary.period_files},
            "ratios_day_over_period": {
                key: round(days[key] / periods[key], 2) for key in days if periods[key]
            },
        },
    }


def table_rows(payload: dict) -> list[tuple[str, str, str]]:
    r = payload["results"]
    days, periods = r["day_files"], r["period_files"]
    return [(
        "store layout: period files", f"{periods['files']:,} files",
        f"day files {days['files']:,}; dbt source read {days['source_read_all_rows_s']:.2f} s -> "
        f"{periods['source_read_all_rows_s']:.2f} s; preflight {periods['preflight_cold_s']:.2f} s cold; "
        f"one-time migration {r['migration']['seconds']:.0f} s",
    )]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.store_layout", description=__doc__.splitlines()[0])
    parser.add_argument("--tmp-dir", type=Path, default=DEFAULT_TMP_PARENT, help="parent of the temporary work dir")
    args = parser.parse_args(argv)
    args.tmp_dir.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix="store-layout-", dir=args.tmp_dir)).resolve()
    command = {**command_info("benchmarks.store_layout"),
               "reproduce": f"cd {ROOT} && .venv/bin/python -m benchmarks.store_layout"}  # not part of make bench
    header = {"benchmark": "store_layout", "timestamp": utc_now(), "command": command, "machine": machine_info()}
    began = time.perf_counter()
    try:
        payload = run(tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    result = {**header, "finished": utc_now(), "duration_s": round(time.perf_counter() - began, 1), **payload}
    path = write_result("store_layout", result)
    for layout in ("day_files", "period_files"):
        print(layout, payload["results"][layout])
    print("migration", payload["results"]["migration"])
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
