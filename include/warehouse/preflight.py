"""Checks on the landed candles before dbt reads them, each failure one message naming the file.

dbt's source reads every raw partition with one glob. Given a partition that lost
its file, a file whose columns drifted, or no files at all, DuckDB fails with an
error about a glob or a cast that names neither the series nor what to do; these
checks run first (in `warehouse_build`'s prepare task and in `run_dbt`) and say both.
A data directory still in the old day layout is migrated to period files first
(include/landing/migrate.py): dbt's glob cannot read the two layouts side by side.

Schemas are read from the Parquet footers only, and only of files that are new or
rewritten since the last check that passed (the marker records each file's inode,
size and mtime in nanoseconds; an mtime threshold alone is flaky, since a file and the
marker can share a clock tick), so a daily run reads a handful.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from include.atomic import write_text_atomic
from include.errors import PeakTradeError
from include.landing.migrate import migrate_store
from include.landing.store import CANDLE_FILE, CANDLE_SCHEMA, DAY_KEY, GAPS_FILE, PERIOD_KEY, partition_period
from include.paths import DataPaths

SERIES_GLOB = "exchange=*/symbol=*/timeframe=*"


class WarehouseInputError(PeakTradeError):
    """The landed data cannot be read by the warehouse: the message names the file and the fix."""


@dataclass(frozen=True)
class LandedSummary:
    series: int
    partitions: int
    schemas_read: int


def check_landed(data_dir: Path) -> LandedSummary:
    """Raise WarehouseInputError for an empty universe, a missing partition or a drifted schema."""
    paths = DataPaths(Path(data_dir))
    migrate_store(paths.root)
    series_dirs = sorted(d for d in paths.raw.glob(SERIES_GLOB) if d.is_dir())
    files = sorted(paths.raw.glob(f"{SERIES_GLOB}/{PERIOD_KEY}=*/{CANDLE_FILE}"))
    if not files:
        raise WarehouseInputError(
            f"empty universe: no validated candles under {paths.raw} "
            f"(expected {SERIES_GLOB}/{PERIOD_KEY}=YYYY-MM or YYYY-MM-DD/{CANDLE_FILE}); "
            "run market_data_ingest or market_data_backfill first"
        )
    for series_dir in series_dirs:
        _check_periods(paths, series_dir)
    marker = paths.preflight_marker
    checked = _read_marker(marker)
    current = {str(f.relative_to(paths.raw)): _identity(f) for f in files}
    fresh = [name for name, identity in current.items() if checked.get(name) != identity]
    for name in fresh:
        _check_schema(paths.raw / name)
    _write_marker(marker, current)
    return LandedSummary(series=len(series_dirs), partitions=len(files), schemas_read=len(fresh))


def _identity(path: Path) -> list[int]:
    """What changes whenever a partition is rewritten (landing renames a new file into place)."""
    stat = path.stat()
    return [stat.st_ino, stat.st_size, stat.st_mtime_ns]


def _read_marker(marker: Path) -> dict[str, list[int]]:
    try:
        return json.loads(marker.read_text())
    except (OSError, ValueError):
        return {}  # no marker, or one from an older layout: check every file once


def _write_marker(marker: Path, checked: dict[str, list[int]]) -> None:
    write_text_atomic(json.dumps(checked), marker)


def _check_schema(path: Path) -> None:
    try:
        schema = pq.read_schema(path)
    except (OSError, pa.ArrowInvalid) as exc:
        raise WarehouseInputError(f"unreadable partition {path}: {exc}; re-land its days with market_data_backfill") from exc
    if schema.remove_metadata().equals(CANDLE_SCHEMA):
        _check_finite(path)
        return
    found = {field.name: field.type for field in schema}
    problems = [f"column '{f.name}' is missing" for f in CANDLE_SCHEMA if f.name not in found]
    problems += [
        f"column '{f.name}' is {found[f.name]}, expected {f.type}"
        for f in CANDLE_SCHEMA if f.name in found and found[f.name] != f.type
    ]
    problems += [f"unexpected column '{name}'" for name in found if name not in CANDLE_SCHEMA.names]
    expected = ", ".join(f"{f.name} {f.type}" for f in CANDLE_SCHEMA)
    raise WarehouseInputError(
        f"Parquet schema drift in {path}: {'; '.join(problems) or 'column order differs'} "
        f"(a candle partition holds exactly: {expected}); re-land its days with market_data_backfill"
    )


def _check_finite(path: Path) -> None:
    """No inf or NaN price or volume: DuckDB would carry it into every return and metric downstream."""
    table = pq.read_table(path, columns=CANDLE_SCHEMA.names[1:])
    for name in table.column_names:
        bad = pc.invert(pc.is_finite(table[name]))
        if pc.any(bad).as_py():
            row = pc.index(bad, True).as_py()
            value = table[name][row].as_py()
            stamp = pq.read_table(path, columns=["timestamp"])["timestamp"][row].as_py()
            raise WarehouseInputError(
                f"non-finite value in {path}: {name} is {value} at {stamp:%Y-%m-%d %H:%M} UTC "
                f"({pc.sum(bad).as_py()} such rows); a candle's prices and volume are finite numbers. "
                "move the file out of raw, then re-land its days with market_data_backfill (the gate quarantines such a candle)"
            )


def _check_periods(paths: DataPaths, series_dir: Path) -> None:
    """Every period between a series' first and last partition is landed, or all its days quarantined or a recorded gap.

    Days inside a period file are the gate's business: it records every run of missing
    candles (gaps/) and quarantines every failing day, so only whole files are checked here.
    """
    prefix = f"{PERIOD_KEY}="
    stored = {d.name.removeprefix(prefix): d for d in series_dir.glob(f"{prefix}*") if d.is_dir()}
    for period, folder in sorted(stored.items()):
        if not (folder / CANDLE_FILE).is_file():
            raise WarehouseInputError(
                f"missing partition: {folder} has no {CANDLE_FILE} (a deleted or interrupted write); "
                "re-land its days with market_data_backfill or remove the empty folder"
            )
    if not stored:
        return
    monthly = partition_period(series_dir.name.removeprefix("timeframe=")) == "month"
    periods = sorted(stored)
    first, last = _first_day(periods[0]), _first_day(periods[-1])
    relative = series_dir.relative_to(paths.raw)
    explained = _gap_days(paths.gaps / relative) | {
        d.name.removeprefix(f"{DAY_KEY}=") for d in (paths.quarantine / relative).glob(f"{DAY_KEY}=*")}
    day = first
    while day <= last:
        following = _next_month(day) if monthly else day + timedelta(days=1)
        period = day.isoformat()[:7] if monthly else day.isoformat()
        days = [(day + timedelta(days=i)).isoformat() for i in range((following - day).days)]
        if period not in stored and not all(d in explained for d in days):
            raise WarehouseInputError(
                f"missing partition: {series_dir / f'{prefix}{period}' / CANDLE_FILE} does not exist, and "
                f"{'its days are' if monthly else 'the day is'} neither quarantined nor a recorded gap "
                f"(the series has partitions {periods[0]} to {periods[-1]}); re-land it with market_data_backfill"
            )
        day = following


def _first_day(period: str) -> date:
    return date.fromisoformat(period if len(period) == 10 else f"{period}-01")


def _next_month(day: date) -> date:
    return date(day.year + day.month // 12, day.month % 12 + 1, 1)


def _gap_days(gaps_dir: Path) -> set[str]:
    """UTC days wholly or partly inside a recorded gap of the series."""
    files = [str(p) for p in gaps_dir.glob(f"{DAY_KEY}=*/{GAPS_FILE}")]
    if not files:
        return set()
    table = pa.concat_tables(pq.read_table(f, columns=["gap_start", "gap_end"]) for f in files)
    days: set[str] = set()
    for start, end in zip(table["gap_start"].to_pylist(), table["gap_end"].to_pylist()):
        day = start.date()
        while day <= end.date():
            days.add(day.isoformat())
            day += timedelta(days=1)
    return days

