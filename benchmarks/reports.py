"""Benchmark: wall time of the daily and the weekly report (PDF + Excel) on a year of hourly data.

The warehouse benchmark's hourly dataset (30 simulated series x one year of 1h
candles, 262,800 rows) is landed, built with `dbt build` and its marts exported;
then, in a fresh worker process per report kind, the report of the year's last day
(daily) and last ISO week (weekly) is gathered and rendered `REPEATS` times.
Reported per kind: the median of gather, PDF and Excel times and their total, the
first (cold: imports, fonts, matplotlib caches) run apart, and the files' sizes.

Worker: `python -m benchmarks.reports --kind {daily,weekly} --data-dir D --out F`.
"""
from __future__ import annotations

import argparse
import json
import resource
import time
from datetime import date, datetime, timezone
from pathlib import Path

from benchmarks.common import base_env, median, run_worker
from benchmarks.warehouse import DATASETS, END, START, land_dataset

REPEATS = 3
REPORT_DAY = date(2023, 12, 31)  # the last day of the dataset (a Sunday: the weekly report ends on it too)


def prepare(data_dir: Path, progress=print) -> int:
    from include.warehouse.dbt_runner import run_dbt
    from include.warehouse.exports import EXPORTED_MARTS, export_marts

    rows = land_dataset(data_dir, "hourly", START, END)
    began = time.perf_counter()
    run_dbt(["build"], data_dir)
    export_marts(data_dir, EXPORTED_MARTS)
    progress(f"  reports: landed {rows:,} rows and built the warehouse in {time.perf_counter() - began:.0f} s")
    return rows


def time_report(kind: str, data_dir: Path) -> dict:
    from include.reports.excel import render_workbook
    from include.reports.gather import gather
    from include.reports.model import ReportPeriod
    from include.reports.pdf import render_pdf

    period = ReportPeriod.covering(kind, REPORT_DAY)
    out = data_dir / "reports"
    out.mkdir(parents=True, exist_ok=True)
    runs = []
    for _ in range(REPEATS + 1):
        t0 = time.perf_counter()
        data = gather(data_dir, period, datetime.now(timezone.utc))
        t1 = time.perf_counter()
        pdf = render_pdf(data, out / f"{period.stem}.pdf")
        t2 = time.perf_counter()
        xlsx = render_workbook(data, out / f"{period.stem}.xlsx")
        t3 = time.perf_counter()
        runs.append({"gather_s": t1 - t0, "pdf_s": t2 - t1, "excel_s": t3 - t2, "total_s": t3 - t0})
    warm = runs[1:]
    return {
        "period": period.label, "cold": runs[0],
        **{f"{key}_median": median([r[key] for r in warm]) for key in ("gather_s", "pdf_s", "excel_s", "total_s")},
        "pdf_bytes": pdf.stat().st_size, "xlsx_bytes": xlsx.stat().st_size,
        "series": len(data.performers), "equity_days": len(data.equity),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }


def run(tmp: Path, progress=print) -> dict:
    data = tmp / "reports" / "data"
    rows = prepare(data, progress)
    env = base_env(data, tmp / "unused-config.yaml")
    logs = tmp / "reports" / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    results = {}
    for kind in ("daily", "weekly"):
        results[kind] = run_worker("benchmarks.reports", ["--kind", kind, "--data-dir", str(data)], env,
                                   logs / f"{kind}.json", logs / f"{kind}.log", timeout=1800)
        r = results[kind]
        progress(f"  reports {kind} {r['period']}: {r['total_s_median']:.2f} s (gather {r['gather_s_median']:.2f}, "
                 f"PDF {r['pdf_s_median']:.2f}, Excel {r['excel_s_median']:.2f}); cold {r['cold']['total_s']:.2f} s")
    return {"parameters": {"rows": rows, "series": len(DATASETS["hourly"]["series"]), "timeframe": "1h",
                           "start": START.isoformat(), "end": END.isoformat(), "report_day": REPORT_DAY.isoformat(),
                           "repeats": REPEATS},
            "results": results}


def table_rows(payload: dict) -> list[tuple[str, str, str]]:
    out = []
    for kind, r in payload["results"].items():
        out.append((f"reports {kind}", f"{r['total_s_median']:.2f} s",
                    f"{r['period']}, {r['series']} series: gather {r['gather_s_median']:.2f} s, PDF "
                    f"{r['pdf_s_median']:.2f} s, Excel {r['excel_s_median']:.2f} s (cold {r['cold']['total_s']:.2f} s)"))
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--kind", choices=("daily", "weekly"), required=True)
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    args.out.write_text(json.dumps(time_report(args.kind, args.data_dir), indent=2, default=str))


if __name__ == "__main__":
    main()
