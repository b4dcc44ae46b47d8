"""Run the Peak Trade benchmarks; write benchmarks/results/*.json and print a summary table.

    source .airflow.env && .venv/bin/python -m benchmarks.run            # what `make bench` runs
    .venv/bin/python -m benchmarks.run --only landing --runs 5

Results (stable names, a rerun overwrites them):
  benchmarks/results/landing.json             1 year of 1m candles, sim and Binance CSV sources
  benchmarks/results/market_data_ingest.json  `airflow dags test market_data_ingest`, incremental and cold
  benchmarks/results/warehouse.json           `dbt build` on 262,800 1h and 2,628,000 1m rows vs pandas
  benchmarks/results/backtest.json            SMA-crossover grid (10,011 and 100,296 pairs x 100,000 bars) vs vectorbt;
                                              one backtest over 1,000,000 bars
  benchmarks/results/sweep_batch.json         the same grids through the batch evaluator vs the per-trial path,
                                              vectorbt[rust] and a Numba prange reference kernel
  benchmarks/results/reports.json             daily and weekly report (PDF + Excel), 30 series x a year of 1h
  benchmarks/results/portfolio.json           optimiser time per method, 10 / 50 / 200 simulated assets x 730 days
  benchmarks/results/rebalance.json           `airflow dags test rebalance` (paper) over 20 symbols, time per task
  benchmarks/results/venue.json               submit -> fill -> ledger on the Binance emulator (median, p99 of 1,000
                                              orders); a 20-symbol rebalance there, no faults and 10% faulted
  benchmarks/results/portfolio_backtest.json  shared-cash backtest of 30 assets x a year of 1h vs 30 sleeves
  benchmarks/results/store_layout.json        the default universe's raw store as day files vs period files
  benchmarks/results/demo.json                `make demo` in a fresh clone, install included, by phase
  benchmarks/results/overfitting.json         DSR and PBO (S=16) of a 10,000-trial x 365-day sweep vs its time per trial
  benchmarks/results/celery_vs_local.json     a 20,000-trial nightly_sweep on the LocalExecutor vs two Celery workers
                                              (scripts/scaleout.py), the ratio and the per-chunk scheduling overhead

All work happens in a temporary directory (default under benchmarks/tmp/,
git-ignored) that is removed afterwards unless --keep-tmp or a failure.
"""
from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

from benchmarks import (backtest, celery_vs_local, demo, ingest_dag, landing, overfitting, portfolio, portfolio_backtest,
                        rebalance_dag, reports, store_layout, sweep_batch, venue, warehouse, warehouse_dag)
from benchmarks.common import DEFAULT_TMP_PARENT, command_info, machine_info, utc_now, write_result

# name -> how to run it (the work dir and the parsed arguments in, the JSON payload out), in run order.
RUNNERS = {
    "landing": lambda tmp, args: landing.run(tmp, args.runs),
    "store_layout": lambda tmp, args: store_layout.run(tmp),
    "market_data_ingest": lambda tmp, args: ingest_dag.run(tmp, cold=not args.no_cold),
    "warehouse": lambda tmp, args: warehouse.run(tmp, airflow_variants=args.airflow_variant),
    "backtest": lambda tmp, args: backtest.run(tmp),
    "sweep_batch": lambda tmp, args: sweep_batch.run(tmp),
    "reports": lambda tmp, args: reports.run(tmp),
    "portfolio": lambda tmp, args: portfolio.run(tmp),
    "rebalance": lambda tmp, args: rebalance_dag.run(tmp),
    "portfolio_backtest": lambda tmp, args: portfolio_backtest.run(tmp),
    "venue": lambda tmp, args: venue.run(tmp),
    "overfitting": lambda tmp, args: overfitting.run(tmp),
    "demo": lambda tmp, args: demo.run(tmp),
    "celery_vs_local": lambda tmp, args: celery_vs_local.run(tmp),
}
BENCHMARKS = tuple(RUNNERS)
# The benchmarks whose module formats its own summary rows.
TABLE_ROWS = {"store_layout": store_layout.table_rows, "backtest": backtest.table_rows,
              "sweep_batch": sweep_batch.table_rows, "reports": reports.table_rows, "portfolio": portfolio.table_rows,
              "portfolio_backtest": portfolio_backtest.table_rows, "overfitting": overfitting.table_rows,
              "rebalance": rebalance_dag.table_rows, "venue": venue.table_rows, "demo": demo.table_rows,
              "celery_vs_local": celery_vs_local.table_rows}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.run", description=__doc__.splitlines()[0])
    parser.add_argument("--only", action="append", choices=BENCHMARKS, help="run only this benchmark (repeatable)")
    parser.add_argument("--runs", type=int, default=3, help="landing runs per source; the median is reported (default 3)")
    parser.add_argument("--airflow-variant", action="append", choices=tuple(warehouse_dag.VARIANTS),
                        help="warehouse: run only this way of running dbt from Airflow (repeatable; default all)")
    parser.add_argument("--no-cold", action="store_true", help="skip the cold (empty data dir) DAG run")
    parser.add_argument("--tmp-dir", type=Path, default=DEFAULT_TMP_PARENT, help="parent of the temporary work dir")
    parser.add_argument("--keep-tmp", action="store_true", help="keep the temporary work dir (data, logs, Airflow home)")
    args = parser.parse_args(argv)
    selected = args.only or list(BENCHMARKS)

    args.tmp_dir.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix="run-", dir=args.tmp_dir)).resolve()
    # Anything this process imports from `include` must never see the user's data or config.
    os.environ["PEAKTRADE_DATA_DIR"] = str(tmp / "unused-data")
    os.environ["PEAKTRADE_CONFIG"] = str(tmp / "unused-config.yaml")
    machine, command = machine_info(), command_info()
    print(f"Peak Trade benchmarks: {', '.join(selected)}; work dir {tmp}")
    print(f"  {machine['cpu_count']} CPUs ({machine['cpu_model']}), Python {machine['python_version']}, "
          f"load average {machine['load_average_1m_at_start']}")

    rows, written, began = [], [], time.perf_counter()
    try:
        for name in selected:
            print(f"[{name}]")
            started = utc_now()
            t0 = time.perf_counter()
            payload = RUNNERS[name](tmp, args)
            header = {
                "benchmark": name,
                "timestamp": started,
                "finished": utc_now(),
                "duration_s": round(time.perf_counter() - t0, 1),
                "command": command,
                "machine": machine,
            }
            written.append(write_result(name, {**header, **payload}))
            rows += _table_rows(name, payload)
    except BaseException:
        print(f"benchmark failed; work dir kept for inspection: {tmp}", file=sys.stderr)
        raise
    if args.keep_tmp:
        print(f"work dir kept: {tmp}")
    else:
        shutil.rmtree(tmp, ignore_errors=True)

    print()
    print(_table(rows))
    print()
    for path in written:
        print(f"wrote {path.relative_to(Path.cwd()) if path.is_relative_to(Path.cwd()) else path}")
    print(f"total {time.perf_counter() - began:.0f} s")
    return 0


def _table_rows(name: str, payload: dict) -> list[tuple[str, str, str]]:
    out = []
    if name == "landing":
        runs = payload["parameters"]["runs"]
        for source, label in (("sim", "sim_alpha"), ("file", "Binance CSV")):
            r = payload["results"][source]
            candles = r["candles"] if isinstance(r["candles"], int) else max(r["candles"])
            extra = f", parse {r['parse_s_median']:.2f} s" if source == "file" else ""
            out.append((
                f"landing {label}: land", f"{r['land']['candles_per_s_median']:,.0f} candles/s",
                f"{candles:,} candles in {r['land']['seconds_median']:.2f} s (median of {runs}){extra}",
            ))
            e = r["end_to_end"]
            out.append((
                f"landing {label}: land+validate+publish", f"{e['candles_per_s_median']:,.0f} candles/s",
                f"{e['seconds_median']:.2f} s (validate {e['validate_s_median']:.2f}, publish {e['publish_s_median']:.2f}); "
                f"{r['passed']}/{r['partitions']} days passed",
            ))
    elif name == "warehouse":
        for dataset, r in payload["results"].items():
            build, peer = r["dbt_build"], r["pandas"]
            out.append((
                f"warehouse {dataset}: dbt build", f"{build['rows_per_s']:,.0f} rows/s",
                f"{r['rows']:,} rows ({r['series']} x {r['timeframe']}) in {build['wall_s']:.1f} s; "
                f"feature models {build['features_models_s']:.1f} s; +1 day incremental "
                f"{r['dbt_build_incremental_one_day']['wall_s']:.1f} s",
            ))
            out.append((
                f"warehouse {dataset}: pandas peer", f"{peer['rows_per_s']:,.0f} rows/s",
                f"{peer['total_s']:.1f} s (compute {peer['compute_s']:.1f} s); pandas/dbt wall "
                f"{r['ratio_pandas_total_over_dbt_build_wall']:.2f}x, pandas compute/feature models "
                f"{r['ratio_pandas_compute_over_feature_models']:.2f}x",
            ))
        out += warehouse_dag.table_rows(payload["airflow"])
    elif name in TABLE_ROWS:
        out += TABLE_ROWS[name](payload)
    else:
        for kind in ("incremental", "cold"):
            r = payload.get(kind)
            if not r:
                continue
            what = "last hour" if kind == "incremental" else f"{payload['parameters']['history_cold']} of history"
            out.append((
                f"{ingest_dag.DAG_ID} {kind}", f"{r['wall_s']:.1f} s wall",
                f"DAG run {r['dag_run_s']:.1f} s; {r['mapped_tasks_total']} mapped tasks "
                f"({', '.join(f'{k} {v}' for k, v in sorted(r['mapped_tasks'].items()))}); "
                f"{r['candles_landed']:,} candles landed ({what}, {payload['parameters']['series']} series)",
            ))
    return out


def _table(rows: list[tuple[str, str, str]]) -> str:
    header = ("benchmark", "result", "detail")
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(2)]
    lines = [f"{a:<{widths[0]}}  {b:>{widths[1]}}  {c}" for a, b, c in [header, *rows]]
    lines.insert(1, "-" * max(len(line) for line in lines))
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
