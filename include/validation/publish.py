"""After the gate: publish passing days, quarantine failing ones, keep the results.

Publishing merges a series' passing candidate days into their period files in raw
(a day for minute series, a month for hourly and coarser) under the series lock,
each period file replaced atomically, so a concurrent run (an hourly ingest during
a backfill) never loses rows and a re-landed day replaces its stored candles. A
failing day is never merged: it goes to quarantine/.../date=<day>/ with its
candles next to a JSON file naming the failed expectations and sample rows, while
the month's other days, and the day's previously validated candles, stay published.
A re-landing never replaces validated candles silently: a failing one is quarantined
with a note that raw keeps the validated day, and a flagged one that changes stored
candles is logged and counted in the results (revised_candles) and the summary.
"""
from __future__ import annotations

import json
import logging
import os
import shutil
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import pandas as pd

from include.atomic import remove_temporaries, write_text_atomic
from include.landing.store import (
    candidate_file,
    day_dir,
    file_lock,
    gaps_file,
    read_candle_files,
    series_lock,
    store_candles,
    write_atomic,
)
from include.paths import DataPaths
from include.series import Series
from include.validation.gate import Verdict
from include.validation.gx_context import gx_context
from include.validation.suite import SUITE_NAME

log = logging.getLogger(__name__)


@dataclass
class PublishSummary:
    series: int = 0
    partitions: int = 0
    passed: int = 0
    flagged: int = 0
    quarantined: list[str] = field(default_factory=list)
    results_file: str = ""
    data_docs: str = ""
    report: str = ""  # the offline HTML report (include/validation/html_report.py), when written
    validated_series: list[str] = field(default_factory=list)
    kept_validated: list[str] = field(default_factory=list)  # quarantined re-landings: raw keeps the validated day
    revised_flagged: list[str] = field(default_factory=list)  # flagged re-landings that changed validated candles
    quarantine_dir: str = ""

    def line(self) -> str:
        failed = _listed(self.quarantined)
        revised = f"; flagged re-landings replaced validated candles of {_listed(self.revised_flagged)}" if self.revised_flagged else ""
        return (
            f"validated {self.partitions} partitions of {self.series} series: {self.passed} passed "
            f"({self.flagged} with flags), {len(self.quarantined)} quarantined{': ' + failed if failed else ''}{revised}; "
            f"report: {self.report or self.data_docs}; results: {self.results_file}"
        )

    def nothing_passed(self) -> str | None:
        """The one message for a run that validated partitions and published none of them, else None."""
        if not self.partitions or self.passed:
            return None
        return (f"all {self.partitions} partitions quarantined: {_listed(self.quarantined)}; nothing was published. "
                f"Each reason is in {self.quarantine_dir}/.../date=<day>/<run>.json; report: {self.report or self.data_docs}")


def _listed(items: list[str], shown: int = 5) -> str:
    return ", ".join(items[:shown]) + (f" and {len(items) - shown} more" if len(items) > shown else "")


def publish(paths: DataPaths, run_key: str, verdicts: list[Verdict], keep_days: int = 14) -> PublishSummary:
    labels = sorted({v.series.label for v in verdicts})
    summary = PublishSummary(series=len(labels), partitions=len(verdicts), validated_series=labels)
    # a candidate already gone was moved by an earlier attempt of this publish: a retry picks up where it stopped
    pending = [v for v in verdicts if candidate_file(paths.landing(run_key), v.series, v.day).is_file()]
    for verdict in pending:
        if not verdict.passed:
            _quarantine(paths, run_key, verdict)
    passing: dict[Series, list[Verdict]] = {}
    for verdict in pending:
        if verdict.passed:
            passing.setdefault(verdict.series, []).append(verdict)
    for series, passed in passing.items():
        _promote(paths, run_key, series, passed)
    summary.quarantined = [f"{v.series.label} {v.day}" for v in verdicts if not v.passed]
    summary.kept_validated = [f"{v.series.label} {v.day}" for v in verdicts if not v.passed and v.stored_candles]
    summary.revised_flagged = [f"{v.series.label} {v.day}" for v in verdicts if v.passed and v.flagged and v.revised_candles]
    summary.quarantine_dir = str(paths.quarantine)
    for verdict in verdicts:
        if verdict.passed and verdict.flagged and verdict.revised_candles:
            log.warning("%s %s: a flagged re-landing replaced %d of %d validated candles (%s); see the results file",
                        verdict.series.label, verdict.day, verdict.revised_candles, verdict.stored_candles,
                        ", ".join(_names(verdict.flagged)))
    summary.passed = sum(v.passed for v in verdicts)
    summary.flagged = sum(v.passed and bool(v.flagged) for v in verdicts)
    summary.results_file = str(_write_results(paths, run_key, verdicts))
    summary.data_docs = str(build_data_docs(paths, keep_days))
    shutil.rmtree(paths.landing(run_key), ignore_errors=True)
    return summary


def _promote(paths: DataPaths, run_key: str, series: Series, verdicts: list[Verdict]) -> None:
    """Merge the passing days into their period files in one write per period, then move their gap records.

    A candidate is removed only after its rows are in raw: a crash in between leaves it
    for the retry, which merges the same rows again (idempotent).
    """
    area = paths.landing(run_key)
    days = [verdict.day for verdict in verdicts]
    candidates = [candidate_file(area, series, day) for day in days]
    frame = read_candle_files(candidates)
    with series_lock(paths.root, series):  # keep rows another run published since this one landed
        store_candles(paths.raw, series, frame)
    for verdict, candidate in zip(verdicts, candidates):
        gaps, destination = gaps_file(area, series, verdict.day), gaps_file(paths.gaps, series, verdict.day)
        if gaps.is_file():
            destination.parent.mkdir(parents=True, exist_ok=True)
            os.replace(gaps, destination)
        elif not verdict.missing_candles:  # the day was re-landed without gaps: drop the stale record
            destination.unlink(missing_ok=True)
        # else an attempt of this publish killed before the candidate's removal moved the record already
        candidate.unlink()


def _quarantine(paths: DataPaths, run_key: str, verdict: Verdict) -> Path:
    series, day = verdict.series, verdict.day
    folder = day_dir(paths.quarantine, series, day)
    folder.mkdir(parents=True, exist_ok=True)
    reason = {
        "series": {"exchange": series.exchange, "symbol": series.symbol, "timeframe": series.timeframe},
        "date": day,
        "run": run_key,
        "quarantined_at": datetime.now(timezone.utc).isoformat(),
        "rows": verdict.rows,
        "gap_ratio": verdict.gap_ratio,
        "failed_expectations": verdict.failed,
        "flagged_expectations": verdict.flagged,
    }
    if verdict.stored_candles:
        reason["validated_data"] = (
            f"kept: raw still holds the {verdict.stored_candles} validated candles of {day}; this landing would have "
            f"changed {verdict.revised_candles} of them and is quarantined instead"
        )
        log.warning("%s %s: re-landing failed the gate (%s) and is quarantined in %s; the %d validated candles stay "
                    "published", series.label, day, ", ".join(_names(verdict.failed)), folder, verdict.stored_candles)
    # Reason first, then the candles: a partition in quarantine always has its explanation.
    remove_temporaries(folder / f"{run_key}.json")  # this run's own file: left by a killed attempt
    write_text_atomic(json.dumps(reason, indent=2, default=str), folder / f"{run_key}.json")
    os.replace(candidate_file(paths.landing(run_key), series, day), folder / f"{run_key}.parquet")
    return folder


def _write_results(paths: DataPaths, run_key: str, verdicts: list[Verdict]) -> Path:
    checked_at = pd.Timestamp.now(tz="UTC")
    table = pd.DataFrame(
        [
            {
                "run": run_key,
                "validated_at": checked_at,
                "exchange": v.exchange,
                "symbol": v.symbol,
                "timeframe": v.timeframe,
                "date": v.day,
                "rows": v.rows,
                "passed": v.passed,
                "gap_ratio": v.gap_ratio,
                "missing_candles": v.missing_candles,
                "failed": ",".join(_names(v.failed)),
                "flagged": ",".join(_names(v.flagged)),
                "flagged_rows": sum(f["unexpected_count"] for f in v.flagged),
                "revised_candles": v.revised_candles,
            }
            for v in verdicts
        ]
    )
    target = paths.validation_results / f"run={run_key}.parquet"
    remove_temporaries(target)  # this run's own file: left by a killed attempt
    write_atomic(table, target, schema=None)
    return target


def _names(entries: list[dict]) -> list[str]:
    return [f"{e['expectation']}({e['kwargs'].get('column') or e['kwargs'].get('column_A') or ''})" for e in entries]


def build_data_docs(paths: DataPaths, keep_days: int) -> Path:
    """Rebuild the Data Docs site from the stored results of the last `keep_days` days."""
    store = paths.gx_results / SUITE_NAME
    cutoff = time.time() - keep_days * 86_400
    for run_folder in store.glob("*") if store.is_dir() else []:
        if run_folder.stat().st_mtime < cutoff:
            shutil.rmtree(run_folder, ignore_errors=True)
    with file_lock(paths.locks / "data_docs.lock"):
        shutil.rmtree(paths.data_docs, ignore_errors=True)
        gx_context(paths).build_data_docs()
    return paths.data_docs / "index.html"
