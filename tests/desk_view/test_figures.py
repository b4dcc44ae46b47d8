"""The Desk page's own rules, on small files (the browser test checks the whole page on a demo-like run):
which targets the positions are compared with, which reports are the latest, what an empty desk says,
and the charts' scale."""
from __future__ import annotations

import json
import os
import re
from datetime import date, datetime, timezone

import pandas as pd

from include.desk_view.charts import Line, line_chart
from include.desk_view.figures import gather, last_targets, latest_reports
from include.desk_view.page import AirflowFacts, render
from include.paths import DataPaths

NOW = datetime(2026, 12, 1, 7, 0, tzinfo=timezone.utc)


def _runs(data_dir, rows):
    path = DataPaths(data_dir).export("fct_desk_runs")
    path.parent.mkdir(parents=True, exist_ok=True)
    pd.DataFrame(rows).to_parquet(path)


def _run(run_id, ts, dry_run, before, preview, kind="rebalance"):
    return {"run_id": run_id, "kind": kind, "dry_run": dry_run, "ts": pd.Timestamp(ts),
            "weights_before": json.dumps(before), "preview": json.dumps(preview)}


def test_targets_are_the_last_real_rebalance_plan(tmp_path):
    _runs(tmp_path, [
        _run("r1", "2026-11-29", False, {"BTC/USDT": 0.5, "ETH/USDT": 0.2},
             [{"symbol": "BTC/USDT", "weight_after": 0.4}]),
        _run("r2", "2026-11-30", False, {"BTC/USDT": 0.41, "ETH/USDT": 0.19},
             [{"symbol": "ETH/USDT", "weight_after": 0.3}]),
        _run("r3", "2026-11-30 12:00", True, {"BTC/USDT": 0.41}, [{"symbol": "BTC/USDT", "weight_after": 0.0}]),
        _run("f1", "2026-11-30 13:00", False, {"BTC/USDT": 0.41}, [{"symbol": "BTC/USDT", "weight_after": 0.0}],
             kind="flatten"),
    ])
    # r2: ETH/USDT traded to its target, BTC/USDT kept within drift at its weight then; dry runs and flattens aim at nothing
    assert last_targets(tmp_path) == ({"BTC/USDT": 0.41, "ETH/USDT": 0.3}, "r2")
    assert last_targets(tmp_path / "nothing") == ({}, None)


def test_the_latest_report_of_each_kind(tmp_path):
    for name, age in (("2026/11/peak_trade_daily_2026-11-29.pdf", 20), ("2026/11/peak_trade_daily_2026-11-30.pdf", 10),
                      ("2026/11/peak_trade_daily_2026-11-30.xlsx", 10), ("2026/11/peak_trade_weekly_2026-W48.pdf", 5)):
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"x")
        stamp = NOW.timestamp() - age
        os.utime(path, (stamp, stamp))
    found = {kind: {ext: p.name for ext, p in files.items()} for kind, files in latest_reports(tmp_path).items()}
    assert found == {"daily": {"pdf": "peak_trade_daily_2026-11-30.pdf", "xlsx": "peak_trade_daily_2026-11-30.xlsx"},
                     "weekly": {"pdf": "peak_trade_weekly_2026-W48.pdf"}}


def test_an_empty_desk_says_what_is_missing_and_creates_no_ledger(tmp_path):
    fig = gather(tmp_path / "data", tmp_path / "reports", NOW)
    html = render(fig, AirflowFacts("peak_trade_kill_switch", None, False))
    assert not DataPaths(tmp_path / "data").ledger.exists()  # the page only reads
    for said in ("no paper trade yet", "no portfolio return yet", "no position yet", "no sweep results yet",
                 "no validation yet", "no report yet", "no DAG known to Airflow yet", "released", "not set"):
        assert said in html, said
    assert "<script" not in html and "http" not in html.replace("http://www.w3.org/2000/svg", "")  # offline


def test_a_drawdown_chart_has_zero_at_its_top_and_labels_are_escaped():
    days = [date(2026, 11, d) for d in (1, 2, 3)]
    svg = line_chart([Line("<paper>", "#000", days, [0.0, -0.1, -0.05], fill=True)], lambda v: f"{v * 100:.1f} %",
                     title="drawdown")
    ticks = [t for t in re.findall(r'class="tick" text-anchor="end">([^<]+)<', svg) if t.endswith('%')]
    assert ticks[-1] == "0.0 %" and float(ticks[0].split()[0]) < -10
    assert "&lt;paper&gt;" in svg and "<paper>" not in svg
    assert "no data yet" in line_chart([Line("paper", "#000", days, [float("nan")] * 3)], str, title="equity")
