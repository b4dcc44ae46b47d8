"""Which sweep runs a report shows: each sweep's latest run loaded before the report was generated and
no later than the end of the period after the report's (gather.sweep_cutoff). Two sweeps that ran the
day a report was made, after noon, are found (both reports once said "no sweep results" then)."""
from __future__ import annotations

from datetime import date, datetime, timezone

import pandas as pd

from include.paths import DataPaths
from include.reports.gather import gather
from include.reports.model import ReportPeriod


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=timezone.utc)


def write_best(data_dir, runs: list[tuple[str, str]]) -> None:
    """fct_sweep_best rows, one per (sweep, loaded_at) run, as the export holds them."""
    rows = [{"sweep": sweep, "run_id": f"{sweep}-{loaded}", "strategy": "sma_crossover", "timeframe": "1h",
             "exchange": "sim_alpha", "symbol": "BTC/USDT", "objective": "sharpe_ratio", "sharpe_ratio": 1.0 + i,
             "total_return": 0.1, "max_drawdown": -0.05, "params": '{"fast": 5}', "dsr": 0.9, "pbo": 0.1,
             "verdict": "survives deflation", "loaded_at": pd.Timestamp(loaded, tz="UTC")}
            for i, (sweep, loaded) in enumerate(runs)]
    path = DataPaths(data_dir).export("fct_sweep_best")
    path.parent.mkdir(parents=True, exist_ok=True)
    pd.DataFrame(rows).to_parquet(path)


def shown(data_dir, kind: str, day: date, now: str) -> dict[str, str]:
    data = gather(data_dir, ReportPeriod.covering(kind, day), at(now))
    return {row.sweep: f"{row.loaded_at:%Y-%m-%d %H:%M}" for row in data.sweeps_best.itertuples()}


def test_sweeps_that_ran_the_day_of_the_report_after_noon_are_shown(tmp_path):
    write_best(tmp_path, [("a", "2026-11-30 13:10"), ("b", "2026-11-30 13:40"), ("a", "2026-11-29 02:00")])
    assert shown(tmp_path, "daily", date(2026, 11, 29), "2026-11-30 14:00") == {
        "a": "2026-11-30 13:10", "b": "2026-11-30 13:40"}
    # the weekly report of the week that ended the day before (Monday 23 to Sunday 29 November)
    assert shown(tmp_path, "weekly", date(2026, 11, 25), "2026-11-30 14:00") == {
        "a": "2026-11-30 13:10", "b": "2026-11-30 13:40"}


def test_a_run_loaded_after_the_report_was_generated_is_not_shown(tmp_path):
    write_best(tmp_path, [("a", "2026-11-30 02:00"), ("a", "2026-11-30 16:00")])
    assert shown(tmp_path, "daily", date(2026, 11, 29), "2026-11-30 14:00") == {"a": "2026-11-30 02:00"}


def test_a_late_weekly_report_still_finds_the_sweeps_of_its_following_week(tmp_path):
    write_best(tmp_path, [("a", "2026-12-02 02:00")])  # Wednesday after the week 23 to 29 November
    assert shown(tmp_path, "weekly", date(2026, 11, 25), "2026-12-03 07:00") == {"a": "2026-12-02 02:00"}


def test_a_backfill_shows_what_was_known_then_and_states_the_rule(tmp_path):
    write_best(tmp_path, [("a", "2026-11-01 02:00"), ("a", "2026-11-05 02:00"), ("b", "2026-11-04 02:00")])
    data = gather(tmp_path, ReportPeriod.covering("daily", date(2026, 10, 31)), at("2026-11-20 07:00"))
    assert {r.sweep: f"{r.loaded_at:%m-%d}" for r in data.sweeps_best.itertuples()} == {"a": "11-01"}
    assert "loaded by 2026-11-02 00:00 UTC" in data.sweep_rule
    assert "before this report was generated" in data.sweep_rule
    none = gather(tmp_path, ReportPeriod.covering("daily", date(2026, 10, 20)), at("2026-11-20 07:00"))
    assert none.missing["sweeps"] == "no sweep run was loaded by 2026-10-22 00:00 UTC"
