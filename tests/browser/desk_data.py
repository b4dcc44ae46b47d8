"""A data directory that looks like a finished demo, built the cheapest real way (no Airflow run):

- the real candles' warehouse (the session's `real_warehouse`, dbt built once) with its marts exported:
  the equal-weight universe is the benchmark;
- the hand-computed paper ledger of tests/reports/ledger_support.py (orders, partial fills, a cancel,
  slippage both ways) plus a rebalance summary and two breaker marks, published by publish_ledger;
- one grid sweep on synthetic zigzags published into the sweep marts and exported;
- one validation run of two simulated days through the real gate (one of them with a spike, so it is
  flagged or quarantined);
- the daily report of the ledger's last day (PDF and workbook) and a data-quality report page.
"""
from __future__ import annotations

import shutil
from datetime import date, datetime, timezone
from decimal import Decimal
from pathlib import Path

from include.execution.ledger import DeskRun, Ledger
from include.paths import DataPaths
from tests.reports import ledger_support as hand

REPORT_DAY = date(2023, 3, 14)
NOW = datetime(2023, 3, 14, 18, 0, tzinfo=timezone.utc)
KILL_SWITCH = "peak_trade_kill_switch"
TARGETS = {hand.SYMBOL: 0.1}


def build(real_warehouse: Path, root: Path) -> tuple[Path, Path]:
    """root/data and root/reports, filled as described above."""
    from include.execution.publish import publish_ledger
    from include.warehouse.exports import EXPORTED_MARTS, export_marts

    data_dir, reports_dir = root / "data", root / "reports"
    shutil.copytree(real_warehouse, data_dir)
    ledger = Ledger(DataPaths(data_dir).ledger)
    try:
        hand.record(ledger)
        _rebalance_summary(ledger)
        ledger.record_mark(ts_ms=hand.ms(14, 12), equity="104000", peak="112000", drawdown="0.0714", level=1,
                           source="rebalance", run_id="paper-2")
        ledger.record_mark(ts_ms=hand.ms(14, 13), equity="101500", peak="112000", drawdown="0.09375", level=1,
                           source="monitor", run_id="monitor-1")
        publish_ledger(ledger, data_dir)
    finally:
        ledger.close()
    export_marts(data_dir, EXPORTED_MARTS)
    _sweep(data_dir)
    _validation(data_dir)
    _reports(data_dir, reports_dir)
    return data_dir, reports_dir


def _rebalance_summary(ledger: Ledger) -> None:
    """paper-2's summary as desk.summarise writes it: BTC/USD aimed at 10 % of equity (sell 0.7)."""
    ledger.record_desk_run(DeskRun(
        "paper-2", "rebalance", hand.ms(14, 12), False, 1, 1, 0, 1, Decimal("16786"), Decimal("16.786"),
        Decimal("14"), Decimal("8.33"), Decimal("108000"), Decimal("107900"),
        {hand.SYMBOL: 0.22}, {hand.SYMBOL: 0.1}, [],
        [{"symbol": hand.SYMBOL, "side": "sell", "amount": "0.7", "leg": "c", "notional": 16800.0,
          "weight_before": 0.22, "weight_after": TARGETS[hand.SYMBOL]}]))


def _sweep(data_dir: Path) -> None:
    from include.sweeps import plan_chunks, run_chunk
    from include.sweeps.inputs import sweep_dir
    from include.sweeps.publish import load_into_warehouse
    from include.warehouse.exports import EXPORTED_SWEEP_TABLES, export_marts
    from tests.sweeps.support import spec, zigzag

    frames = {("synth", "ZIG/USD"): zigzag()}
    sweep = spec(universe=[{"exchange": "synth", "symbol": "ZIG/USD"}], objective="total_return")
    out = sweep_dir(data_dir, sweep, "nightly-1")
    for chunk in plan_chunks(sweep, 1):
        run_chunk(sweep, chunk, frames, out)
    load_into_warehouse(sweep, out, data_dir, "nightly-1")
    export_marts(data_dir, EXPORTED_SWEEP_TABLES)


def _validation(data_dir: Path) -> None:
    """Three days of one simulated hourly series through the gate: the first passes, the second has a
    negative volume (quarantined), the third a candle 50 % up (flagged by the return z-score, published)."""
    from include.validation.gate import validate_series
    from include.validation.publish import publish
    from tests.validation.support import RULES, T0, day_names, land_sim, rewrite_candidate, rows_change, sim_series

    def negative_volume(df):
        df.loc[9, "volume"] = -0.5
        return df, [df.loc[9, "timestamp"]]

    def jump(df):
        df.loc[12, ["close", "high"]] = df.loc[12, ["close", "high"]] * 1.5
        return df, [df.loc[12, "timestamp"]]

    paths, series = DataPaths(data_dir), sim_series("sim_alpha")
    _, second, third = day_names(T0, 3)
    land_sim(paths, "desk-check", series.exchange, days=3)
    rewrite_candidate(paths, "desk-check", series, second, rows_change(negative_volume))
    rewrite_candidate(paths, "desk-check", series, third, rows_change(jump))
    publish(paths, "desk-check", validate_series(paths, "desk-check", series, [], RULES, RULES.max_gap_ratio))


def _reports(data_dir: Path, reports_dir: Path) -> None:
    from include.reports.delivery import report_paths
    from include.reports.excel import render_workbook
    from include.reports.gather import gather
    from include.reports.model import ReportPeriod
    from include.reports.pdf import render_pdf

    data = gather(data_dir, ReportPeriod.covering("daily", REPORT_DAY), NOW, currency="USD")
    paths = report_paths(data.period, reports_dir)
    paths["pdf"].parent.mkdir(parents=True, exist_ok=True)
    render_pdf(data, paths["pdf"])
    render_workbook(data, paths["xlsx"])
    quality = reports_dir / "data_quality" / "index.html"
    quality.parent.mkdir(parents=True, exist_ok=True)
    quality.write_text("<!doctype html><title>Data quality</title><h1>Data quality report</h1>")
