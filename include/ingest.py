"""The ingestion pipeline as plain functions: plan, land, validate, publish.

Airflow tasks (operators/ingest_tasks.py) call these one to one; tests and
benchmarks call them directly. Everything passed between steps is a small
JSON-able dict, so it fits in XCom.
"""
from __future__ import annotations

import json
import logging
import shutil
import time
from datetime import date, datetime, timedelta, timezone

from include.config.loader import data_dir, reports_dir
from include.config.schema import PeakTradeConfig
from include.errors import ConfigError, closest
from include.landing.land import incremental_window, land_series
from include.landing.migrate import migrate_store
from include.atomic import remove_temporaries, write_text_atomic
from include.landing.store import symbol_key
from include.paths import DataPaths
from include.series import Series
from include.timeframes import DAY_MS, ceil_ms, from_ms, to_ms

STALE_LANDING_DAYS = 7
log = logging.getLogger(__name__)


def paths_for(config: PeakTradeConfig) -> DataPaths:
    return DataPaths(data_dir(config))


def plan_incremental(config: PeakTradeConfig, now: datetime) -> list[dict]:
    """One job per configured series: from after its last landed candle up to now."""
    paths = paths_for(config)
    _drop_stale_landings(paths)
    migrate_store(paths.root)  # a data dir from before period files: once, before any window is read
    jobs = []
    for series in config.series():
        start, end = incremental_window(paths, series, config, now)
        jobs.append(_job(series, start, end, to_ms(now)))
    return jobs


def plan_backfill(
    config: PeakTradeConfig, exchange: str, symbols: list[str], timeframe: str, start: str | None,
    end: str | None, now: datetime,
) -> list[dict]:
    """Jobs for a manual backfill; every parameter is checked before any work starts."""
    ids = [e.id for e in config.universe.exchanges]
    if exchange not in ids:
        raise ConfigError(f"param exchange: {exchange!r} is not a configured exchange; {closest(exchange, ids)}")
    if not symbols:
        raise ConfigError("param symbols: give at least one symbol, e.g. BTC/USDT")
    first, last = backfill_days(start, end, now.date())
    from include.sources.base import check_listing
    from include.sources.factory import make_client

    client = make_client(config, exchange, clock=lambda: to_ms(now))
    for symbol in symbols:
        check_listing(client, symbol, timeframe)
    migrate_store(paths_for(config).root)  # publish merges into period files: move any day files over first
    begin = to_ms(datetime(first.year, first.month, first.day, tzinfo=timezone.utc))
    stop = to_ms(datetime(last.year, last.month, last.day, tzinfo=timezone.utc)) + DAY_MS  # end day included
    return [
        _job(Series(exchange=exchange, symbol=s, timeframe=timeframe), ceil_ms(begin, timeframe), stop, to_ms(now))
        for s in symbols
    ]


def land(config: PeakTradeConfig, job: dict, run_key: str) -> dict:
    from include.sources.factory import make_client

    series = Series(**job["series"])
    # a cleared run lands again: the verdict of its earlier gate run must not stand in for the new one
    _verdict_file(paths_for(config), run_key, series).unlink(missing_ok=True)
    client = make_client(config, series.exchange, clock=lambda: job["now_ms"])
    retry = {"retries": config.ingest.retries, "base_delay": config.ingest.retry_base_delay_s}
    from include.sources.ccxt_source import page_limit

    landing = land_series(
        client, series, paths_for(config), run_key, job["start_ms"], job["end_ms"], job["now_ms"],
        page_limit=page_limit(series.exchange, config.ingest.page_limit), retry=retry,
    )
    return landing.to_dict()


def validate(config: PeakTradeConfig, landing: dict) -> dict:
    """Run the gate on one series' candidates; verdicts go to a file the publish step reads."""
    from include.validation.gate import validate_series
    from include.validation.html_report import run_page

    series = Series(exchange=landing["exchange"], symbol=landing["symbol"], timeframe=landing["timeframe"])
    paths = paths_for(config)
    peers = [s.exchange for s in config.series() if s.symbol == series.symbol and s.timeframe == series.timeframe]
    peers = [p for p in peers if p != series.exchange]
    verdicts = validate_series(
        paths, landing["run_key"], series, peers, config.validation,
        config.validation.gap_tolerance(series.exchange, series.symbol),
    )
    record = {"series": series.label, "verdicts": [v.to_dict() for v in verdicts]}
    target = _verdict_file(paths, landing["run_key"], series)
    remove_temporaries(target)  # this series' gate task is the file's one writer: leftovers are a killed attempt's
    write_text_atomic(json.dumps(record), target)
    return validation_outcome(series.label, verdicts, run_page(data_quality_dir(config), landing["run_key"]))


def data_quality_dir(config: PeakTradeConfig):
    """Where the offline data-quality report is written: <reports dir>/data_quality/."""
    return reports_dir(config) / "data_quality"


def validation_outcome(label: str, verdicts: list, report) -> dict:
    """What the validate task returns (XCom) and logs first: counts, and what was wrong in plain words."""
    from include.validation.plain_words import describe

    def reasons(entries: list[dict]) -> str:
        return "; ".join(dict.fromkeys(describe(e["expectation"], e.get("kwargs")) for e in entries))

    return {
        "series": label,
        "rows": sum(v.rows for v in verdicts),
        "partitions": len(verdicts),
        "passed": sum(v.passed for v in verdicts),
        "flagged": sum(bool(v.flagged) for v in verdicts),
        "quarantined": sum(not v.passed for v in verdicts),
        "failures": [f"{v.day} ({reasons(v.failed)})" for v in verdicts if not v.passed],
        "flags": [f"{v.day} ({reasons(v.flagged)})" for v in verdicts if v.flagged],
        "report": str(report),
    }


def validation_line(outcome: dict, shown: int = 3) -> str:
    """The validate task's first log line: what landed, what passed, what publish will quarantine, where to read more."""
    def listed(items: list[str]) -> str:
        return ", ".join(items[:shown]) + (f" and {len(items) - shown} more" if len(items) > shown else "")

    line = (f"{outcome['series']}: {outcome['rows']} candles in {outcome['partitions']} partitions: "
            f"{outcome['passed']} passed, {outcome['flagged']} flagged, {outcome['quarantined']} to quarantine")
    if outcome["failures"]:
        line += f"; did not pass: {listed(outcome['failures'])}"
    if outcome["flags"]:
        line += f"; flagged: {listed(outcome['flags'])}"
    return line + f"; report (written by publish): {outcome['report']}"


def publish(config: PeakTradeConfig, run_key: str):
    """Publish every verdict the run's gate tasks wrote; the summary lists the series they covered.

    The verdicts live outside the landing area publishing removes at its end, so a retry of a
    publish killed at any point, even after it finished, reads them all and reports the same run.
    """
    from include.validation.gate import Verdict
    from include.validation.html_report import write_report
    from include.validation.publish import publish as publish_verdicts

    paths = paths_for(config)
    folder = paths.verdicts(run_key)
    records = [json.loads(f.read_text()) for f in sorted(folder.glob("*.json"))] if folder.is_dir() else []
    verdicts = [Verdict(**entry) for record in records for entry in record["verdicts"]]
    summary = publish_verdicts(paths, run_key, verdicts, keep_days=config.validation.keep_results_days)
    summary.validated_series = sorted(record["series"] for record in records)
    summary.report = str(write_report(paths, data_quality_dir(config), run_key, verdicts,
                                      config.validation.keep_results_days, config.validation))
    return summary


def _verdict_file(paths: DataPaths, run_key: str, series: Series):
    return paths.verdicts(run_key) / f"{series.exchange}.{symbol_key(series.symbol)}.{series.timeframe}.json"


def _job(series: Series, start_ms: int, end_ms: int, now_ms: int) -> dict:
    return {
        "series": series.model_dump(),
        "label": series.label,
        "start_ms": start_ms,
        "end_ms": end_ms,
        "now_ms": now_ms,
        "window": f"{from_ms(start_ms):%Y-%m-%d %H:%M} .. {from_ms(min(end_ms, now_ms)):%Y-%m-%d %H:%M}",
    }


BACKFILL_DEFAULT_DAYS = 7  # an empty form's window: the 7 whole days before today


def backfill_days(start: str | None, end: str | None, today: date) -> tuple[date, date]:
    """The backfill's first and last day (both included) from the form, checked alike.

    Empty dates are resolved here, at run time, so the DAG's form (and its version) stays the
    same every day: no start is 7 days before today, no end is yesterday. A day after today is
    rejected for either date (there is nothing to fetch there); today itself is allowed and
    lands up to the last closed candle.
    """
    first = today - timedelta(days=BACKFILL_DEFAULT_DAYS) if start in (None, "") else _param_date("start", start)
    last = today - timedelta(days=1) if end in (None, "") else _param_date("end", end)
    for name, day in (("start", first), ("end", last)):
        if day > today:
            raise ConfigError(f"param {name}: {day} is in the future (today is {today} UTC); give a day up to "
                              f"{today} (today lands up to the last closed candle)")
    if last < first:
        raise ConfigError(f"param end: {last} is before start {first}; end must be on or after start")
    log.info("backfill window: %s to %s, both included%s%s", first, last,
             " (start empty: 7 days before today)" if start in (None, "") else "",
             " (end empty: yesterday)" if end in (None, "") else "")
    if last == today:
        log.info("the window ends today: it lands up to the last candle closed before now")
    return first, last


def _param_date(name: str, value: str) -> date:
    try:
        return date.fromisoformat(str(value)[:10])
    except ValueError:
        raise ConfigError(f"param {name}: {value!r} is not a date; use YYYY-MM-DD") from None


def _drop_stale_landings(paths: DataPaths) -> None:
    """Landing areas of runs that never published (killed, abandoned), and runs' verdicts, are removed after a week."""
    cutoff = time.time() - STALE_LANDING_DAYS * 86_400
    for root in (paths.landing_root, paths.verdicts_root):
        for folder in root.glob("*") if root.is_dir() else []:
            if folder.stat().st_mtime < cutoff:
                shutil.rmtree(folder, ignore_errors=True)

