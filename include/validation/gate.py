"""Validate one series' candidate days and decide, per UTC day, pass or fail.

The verdict's unit is the day for every timeframe, although raw stores hourly and
coarser series in month files: one bad hour withholds its day, and the month's
other days are still published (include/validation/publish.py merges only the
passing days into the period file).
"""
from __future__ import annotations

import json
import logging
import math
from dataclasses import asdict, dataclass, field

import great_expectations as gx
import numpy as np
import pandas as pd

from include.config.schema import Validation
from include.landing.store import (
    candidate_days,
    candidate_file,
    gaps_file,
    has_candle_schema,
    read_candidates,
    read_stored,
    read_stored_before,
    symbol_key,
    write_atomic,
)
from include.paths import DataPaths
from include.series import Series
from include.timeframes import DAY_MS, timeframe_ms
from include.validation.candle_context import CANDLE_COLUMNS, partition_gaps, validation_frame
from include.validation.gx_context import gx_context
from include.validation.suite import CRITICAL, build_suite

log = logging.getLogger(__name__)


@dataclass
class Verdict:
    """The gate's decision on one candidate day of a series."""

    exchange: str
    symbol: str
    timeframe: str
    day: str
    rows: int
    passed: bool
    gap_ratio: float | None
    missing_candles: int
    failed: list[dict] = field(default_factory=list)  # critical expectations that failed
    flagged: list[dict] = field(default_factory=list)  # warning expectations that failed
    stored_candles: int = 0  # validated candles of the day already in raw when the gate ran
    revised_candles: int = 0  # of those, how many this candidate changes (a re-landing with other values)

    @property
    def series(self) -> Series:
        return Series(exchange=self.exchange, symbol=self.symbol, timeframe=self.timeframe)

    def to_dict(self) -> dict:
        return asdict(self)


def validate_series(
    paths: DataPaths, run_key: str, series: Series, peers: list[str], rules: Validation, gap_tolerance: float
) -> list[Verdict]:
    """Run the suite over every candidate day of `series` landed in this run.

    Candidates stored with the candle schema are validated as one batch; each
    candidate whose schema drifted (a column missing, retyped, added) is
    validated alone, so it fails by itself and is never cast into shape.
    """
    area = paths.landing(run_key)
    days = candidate_days(area, series)
    if not days:
        return []
    conforming = [day for day in days if has_candle_schema(candidate_file(area, series, day))]
    batches = ([conforming] if conforming else []) + [[day] for day in days if day not in conforming]
    verdicts = [
        verdict
        for batch in batches
        for verdict in _validate_days(paths, run_key, series, batch, peers, rules, gap_tolerance)
    ]
    return sorted(verdicts, key=lambda verdict: verdict.day)


def _validate_days(
    paths: DataPaths, run_key: str, series: Series, days: list[str], peers: list[str], rules: Validation, gap_tolerance: float
) -> list[Verdict]:
    area = paths.landing(run_key)
    partitions = read_candidates(area, series, days)
    step = timeframe_ms(series.timeframe)
    warmup = _warmup(paths, series, days[0], rules.return_z_window * step)
    previous_ms = int(warmup["timestamp"].max().value // 1_000_000) if len(warmup) else None
    reference = peer_reference(paths, run_key, series, [series.exchange, *peers] if peers else [], days)
    frame = validation_frame(series, step, partitions, warmup, previous_ms, reference, rules)
    result = _run_suite(paths, run_key, series, frame, rules, gap_tolerance)
    gaps = partition_gaps(frame, step, previous_ms) if "offset_ms" in frame else {}
    verdicts = _verdicts(series, frame, result, gaps, rules.sample_rows)
    stored, revised = _revisions(read_stored(paths.raw, series, days), partitions)
    for verdict in verdicts:
        verdict.stored_candles, verdict.revised_candles = stored.get(verdict.day, 0), revised.get(verdict.day, 0)
        for entry in verdict.failed:
            if entry["kwargs"].get("column") == "gap_ratio" and verdict.gap_ratio is not None:
                entry["tolerate_with"] = gap_override_hint(series, verdict.gap_ratio)
    for verdict in verdicts:
        if verdict.day in gaps and len(gaps[verdict.day]):
            _save_gaps(paths, run_key, series, verdict.day, gaps[verdict.day])
    return verdicts


def gap_override_hint(series: Series, ratio: float) -> dict:
    """The setting that would let this day's gaps pass: its key path and the value it needs (rounded up)."""
    key = Validation.gap_override_key(series.exchange, series.symbol)
    needed = min(1.0, math.ceil(round(ratio * 100, 6)) / 100)
    return {
        "setting": f"validation.gap_ratio_overrides.{key}",
        "value": needed,
        "yaml": f'validation: {{gap_ratio_overrides: {{"{key}": {needed:g}}}}}',
    }


def _revisions(stored: pd.DataFrame, candidates: pd.DataFrame) -> tuple[dict[str, int], dict[str, int]]:
    """Per day: validated candles in raw, and how many of them the candidate changes or drops."""
    if stored.empty:
        return {}, {}
    counts = stored.groupby("date").size().to_dict()
    columns = [c for c in CANDLE_COLUMNS[1:] if c in candidates]
    if "timestamp" not in candidates or len(columns) < len(CANDLE_COLUMNS) - 1:
        return counts, dict(counts)  # a drifted candidate cannot be compared: it would revise the whole day
    try:
        joined = stored.merge(candidates[["timestamp", *columns]], on="timestamp", how="left", suffixes=("", "_new"))
        old, new = joined[columns].to_numpy(dtype="float64"), joined[[f"{c}_new" for c in columns]].to_numpy(dtype="float64")
    except (ValueError, TypeError):  # a retyped timestamp or price column
        return counts, dict(counts)
    same = (old == new) | (np.isnan(old) & np.isnan(new))
    changed = ~same.all(axis=1)
    return counts, joined.loc[changed, "date"].value_counts().to_dict()


def _warmup(paths: DataPaths, series: Series, first_day: str, span_ms: int) -> pd.DataFrame:
    """Validated candles before the batch: enough for the z-score window, and the last one bounds the first gap."""
    return read_stored_before(paths.raw, series, first_day, span_ms + DAY_MS)


def peer_reference(paths: DataPaths, run_key: str, series: Series, venues: list[str], days: list[str]) -> pd.Series | None:
    """Median close across venues quoting the same symbol, by open time.

    The series' own venue is one of `venues`: with three venues, one that is
    off moves the median little, so the healthy two are not flagged with it.

    Each peer's candidate from this run is used where it exists, its validated
    partition otherwise; every land task has finished before any gate runs.
    """
    closes = []
    for peer in venues:
        other = Series(exchange=peer, symbol=series.symbol, timeframe=series.timeframe)
        # a peer's partition whose schema drifted is left to its own gate run, never cast into a reference
        usable = [day for day in days if has_candle_schema(candidate_file(paths.landing(run_key), other, day))]
        fresh = read_candidates(paths.landing(run_key), other, usable)
        landed = set(fresh["date"])
        rest = [day for day in days if day not in landed]
        frame = pd.concat([fresh, read_stored(paths.raw, other, rest)], ignore_index=True)
        if len(frame):
            closes.append(frame.drop_duplicates("timestamp").set_index("timestamp")["close"].rename(peer))
    if not closes:
        return None
    return pd.concat(closes, axis=1, sort=True).median(axis=1, skipna=True)


def _run_suite(paths: DataPaths, run_key: str, series: Series, frame: pd.DataFrame, rules: Validation, tolerance: float):
    context = gx_context(paths)
    asset_name = f"{series.exchange}.{symbol_key(series.symbol)}.{series.timeframe}"
    batch = context.data_sources.add_pandas("candles").add_dataframe_asset(asset_name).add_batch_definition_whole_dataframe("run")
    suite = context.suites.add(build_suite(rules, tolerance))
    definition = context.validation_definitions.add(gx.ValidationDefinition(name=asset_name, data=batch, suite=suite))
    checkpoint = context.checkpoints.add(
        gx.Checkpoint(
            name=asset_name,
            validation_definitions=[definition],
            result_format={"result_format": "COMPLETE", "unexpected_index_column_names": ["date", "timestamp"]},
        )
    )
    run = checkpoint.run(batch_parameters={"dataframe": frame}, run_id=gx.RunIdentifier(run_name=run_key))
    return next(iter(run.run_results.values()))


def _verdicts(series: Series, frame: pd.DataFrame, result, gaps: dict, samples: int) -> list[Verdict]:
    days = sorted(frame["date"].unique())
    rows = frame.groupby("date").size()
    ratios = frame.groupby("date")["gap_ratio"].first() if "gap_ratio" in frame else {}
    verdicts = {
        day: Verdict(
            series.exchange, series.symbol, series.timeframe, day, int(rows[day]), True,
            float(ratios[day]) if day in ratios else None,
            int(gaps[day]["missing_candles"].sum()) if day in gaps else 0,
        )
        for day in days
    }
    for outcome in result.results:
        if outcome.success:
            continue
        config = outcome.expectation_config
        by_day = _unexpected_by_day(outcome, days)
        for day, sample in by_day.items():
            entry = {
                "expectation": config.type,
                "kwargs": {k: v for k, v in config.kwargs.items() if k != "batch_id"},
                "unexpected_count": len(sample),
                "sample_rows": _jsonable(sample[:samples]),
            }
            if not sample and "observed_value" in (outcome.result or {}):
                entry["observed_value"] = _jsonable([{"v": outcome.result["observed_value"]}])[0]["v"]
            if outcome.exception_info and outcome.exception_info.get("raised_exception"):
                entry["error"] = outcome.exception_info.get("exception_message")
            verdict = verdicts[day]
            if config.severity.value == CRITICAL:
                verdict.passed = False
                verdict.failed.append(entry)
            else:
                verdict.flagged.append(entry)
    return [verdicts[day] for day in days]


def _unexpected_by_day(outcome, days: list[str]) -> dict[str, list[dict]]:
    """Failing rows grouped by partition; a table-level failure fails every partition."""
    listed = (outcome.result or {}).get("unexpected_index_list")
    if not listed:
        return {day: [] for day in days}
    grouped: dict[str, list[dict]] = {}
    for row in listed:
        grouped.setdefault(row["date"], []).append(row)
    return grouped


def _jsonable(rows: list[dict]) -> list[dict]:
    return json.loads(json.dumps(rows, default=lambda o: o.item() if isinstance(o, np.generic) else str(o)))


def _save_gaps(paths: DataPaths, run_key: str, series: Series, day: str, gaps: pd.DataFrame) -> None:
    write_atomic(gaps, gaps_file(paths.landing(run_key), series, day), schema=None)
