"""One-time move of a data directory's raw candles from day files to period files.

Before the period layout, raw held one file per series and UTC day
(`.../timeframe=<tf>/date=<YYYY-MM-DD>/candles.parquet`). This moves every such
day into its period file (`period=<YYYY-MM-DD>` for sub-hour timeframes,
`period=<YYYY-MM>` for 1h and coarser; include/landing/store.py), merged with
whatever the period file already holds, so candles published by the new code
before the migration ran are kept (they win over a day file's candle at the same open time).

Crash-safe and idempotent: per period, the merged file is written atomically
first, and the day folders are removed only after it is in place. A crash leaves
both layouts with the same candles; a rerun merges them again (same rows, same
result) and removes what is left. Each series is migrated under its series lock,
so a publish never interleaves with it. `market_data_ingest`'s plan and the
warehouse preflight call migrate_store on every run (it only lists folders when
there is nothing left to move); by hand:

    python -m include.landing.migrate <data_dir>
"""
from __future__ import annotations

import argparse
import logging
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

from include.atomic import remove_temporaries
from include.errors import PeakTradeError
from include.landing.store import (
    CANDLE_FILE,
    DAY_KEY,
    has_candle_schema,
    merge_candles,
    period_file,
    period_of,
    read_candle_files,
    read_candles,
    series_lock,
    symbol_from_key,
    write_atomic,
)
from include.paths import DataPaths
from include.series import Series
from include.timeframes import timeframe_ms

log = logging.getLogger(__name__)
LEGACY_GLOB = f"exchange=*/symbol=*/timeframe=*/{DAY_KEY}=*"


class MigrationError(PeakTradeError):
    """A day file of the old layout cannot be moved: the message names it and the fix."""


@dataclass(frozen=True)
class MigrationSummary:
    series: int = 0
    day_files: int = 0
    period_files: int = 0

    def line(self) -> str:
        return (f"moved {self.day_files} day files of {self.series} series into {self.period_files} period files"
                if self.day_files else "raw already uses period files: nothing to move")


def migrate_store(data_dir: str | Path) -> MigrationSummary:
    """Move every day file under <data_dir>/raw into its period file; a no-op once done."""
    raw = DataPaths(Path(data_dir)).raw
    folders = sorted({day.parent for day in raw.glob(LEGACY_GLOB) if day.is_dir()}) if raw.is_dir() else []
    series, days, periods = 0, 0, 0
    for folder in folders:
        moved = _migrate_series(DataPaths(Path(data_dir)), folder)
        if moved:
            series, days, periods = series + 1, days + moved[0], periods + moved[1]
    summary = MigrationSummary(series, days, periods)
    if summary.day_files:
        log.info("raw layout migration: %s", summary.line())
    return summary


def _migrate_series(paths: DataPaths, folder: Path) -> tuple[int, int] | None:
    series = _series_of(paths.raw, folder)
    with series_lock(paths.root, series):
        days = sorted(d for d in folder.glob(f"{DAY_KEY}=*") if d.is_dir())  # listed again under the lock
        if not days:
            return None  # another process finished it while this one waited
        by_period: dict[str, list[Path]] = {}
        for day in days:
            by_period.setdefault(period_of(series.timeframe, day.name.removeprefix(f"{DAY_KEY}=")), []).append(day)
        files = 0
        for period, day_folders in sorted(by_period.items()):
            candles = [d / CANDLE_FILE for d in day_folders if (d / CANDLE_FILE).is_file()]
            for path in candles:
                if not has_candle_schema(path):
                    raise MigrationError(
                        f"cannot migrate {path}: its columns are not the candle schema; re-land the day with "
                        f"market_data_backfill, or delete the file, then run python -m include.landing.migrate "
                        f"{paths.root}")
            if candles:
                days_rows = read_candle_files(candles)
                target = period_file(paths.raw, series, period)
                remove_temporaries(target)  # a killed run of this migration left it; we hold the lock
                stored = read_candles(target)  # rows published since the upgrade are newer: they win
                write_atomic(merge_candles(None, days_rows) if stored is None else merge_candles(days_rows, stored), target)
            for day in day_folders:  # only now that the period file holds their candles
                shutil.rmtree(day)
            files += len(candles)
        return files, len(by_period)


def _series_of(raw: Path, folder: Path) -> Series:
    parts = dict(part.split("=", 1) for part in folder.relative_to(raw).parts)
    try:
        timeframe_ms(parts["timeframe"])
        return Series(exchange=parts["exchange"], symbol=symbol_from_key(parts["symbol"]), timeframe=parts["timeframe"])
    except ValueError as exc:
        raise MigrationError(f"cannot migrate {folder}: {exc}; remove or rename the folder") from exc


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m include.landing.migrate", description=__doc__.splitlines()[0])
    parser.add_argument("data_dir", type=Path, help="the data directory (the one holding raw/)")
    args = parser.parse_args(argv)
    if not args.data_dir.is_dir():
        parser.error(f"data_dir {args.data_dir} is not a directory; give the folder that holds raw/")
    try:
        print(migrate_store(args.data_dir).line())
    except MigrationError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
