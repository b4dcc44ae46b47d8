"""The candle store: hive-partitioned Parquet under the data directory.

    <data>/raw/exchange=<id>/symbol=<BASE-QUOTE>/timeframe=<tf>/period=<P>/candles.parquet

`raw` holds validated candles only, one file per series and period: the period
suits the timeframe (partition_period): a UTC day for sub-hour timeframes
(`period=2024-06-01`, 1,440 one-minute rows), a UTC month for 1h and coarser
(`period=2024-06`, 720 hourly rows), so an hourly year is 12 files, not 365. One
key name for both spellings keeps dbt's glob `raw/*/*/*/*/candles.parquet` a single
hive layout (DuckDB rejects a glob whose files disagree on partition keys).

The gate's unit stays the UTC day. A run first writes candidate files per day
to `landing/<run>/.../date=<YYYY-MM-DD>/candles.parquet`; the validation gate
decides per day, and publishing merges the passing days into their period file
in `raw` and moves each failing day to `quarantine/.../date=<day>/`; gap records
live in `gaps/.../date=<day>/gaps.parquet`. So one bad hour withholds its day,
never its month. Every file is written to a temporary name and renamed, so a
crash never leaves half a file where a reader could see it. Data directories
written with the earlier day layout of `raw` are moved over once by
include/landing/migrate.py.
"""
from __future__ import annotations

import fcntl
from contextlib import contextmanager
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq

from include.atomic import remove_temporaries, write_parquet_atomic
from include.paths import DataPaths
from include.series import Series
from include.timeframes import timeframe_ms

CANDLE_FILE = "candles.parquet"
GAPS_FILE = "gaps.parquet"
PERIOD_KEY = "period"  # raw: period=YYYY-MM-DD (sub-hour timeframes) or period=YYYY-MM (1h and coarser)
DAY_KEY = "date"  # landing candidates, gaps and quarantine: date=YYYY-MM-DD, the gate's unit
HOUR_MS = 3_600_000
_DATE_PARTITION = ds.partitioning(pa.schema([(DAY_KEY, pa.string())]), flavor="hive")
CANDLE_SCHEMA = pa.schema(
    [
        ("timestamp", pa.timestamp("ms", tz="UTC")),
        ("open", pa.float64()),
        ("high", pa.float64()),
        ("low", pa.float64()),
        ("close", pa.float64()),
        ("volume", pa.float64()),
    ]
)


def symbol_key(symbol: str) -> str:
    """A path-safe partition value for a ccxt symbol; symbol_from_key is its exact inverse.

    '/' becomes '-' and ':' becomes '_' (so 'BTC/USDT' -> 'BTC-USDT', 'BTC/USDT:USDT' ->
    'BTC-USDT_USDT'); letters, digits and '.' stay; every other character, the symbol's own
    '-' and '_' included, becomes '~' and two hex digits per UTF-8 byte ('BTC/USDT:USDT-250328'
    -> 'BTC-USDT_USDT~2d250328'). '~' rather than '%': pyarrow and DuckDB URL-decode hive
    partition values. dbt/models/staging/stg_candles.sql decodes with the same rule.
    """
    if not symbol:
        raise ValueError("symbol is empty; expected a ccxt symbol such as 'BTC/USDT'")
    return "".join(_KEY_OF.get(char) or _escaped(char) for char in symbol)


def symbol_from_key(key: str) -> str:
    """The ccxt symbol a partition value symbol_key(symbol) stands for."""
    out, pending, i = [], bytearray(), 0
    while i < len(key):
        char = key[i]
        if char == "~":
            pair = key[i + 1:i + 3]
            if len(pair) != 2 or not all(c in "0123456789abcdef" for c in pair):
                raise ValueError(f"symbol partition {key!r}: '~' at {i} is not followed by two lowercase hex digits")
            pending.append(int(pair, 16))
            i += 3
            continue
        if pending:
            out.append(_utf8(pending, key))
            pending = bytearray()
        if not (char in _SYMBOL_OF or _is_plain(char)):
            raise ValueError(f"symbol partition {key!r}: {char!r} at {i} is not produced by symbol_key")
        out.append(_SYMBOL_OF.get(char, char))
        i += 1
    if pending:
        out.append(_utf8(pending, key))
    if not out:
        raise ValueError("symbol partition is empty; expected a value such as 'BTC-USDT'")
    symbol = "".join(out)
    if symbol_key(symbol) != key:  # e.g. '~41' for a plain 'A': one symbol, one partition
        raise ValueError(f"symbol partition {key!r} is not symbol_key's spelling of {symbol!r}, {symbol_key(symbol)!r}")
    return symbol


_KEY_OF = {"/": "-", ":": "_"}
_SYMBOL_OF = {key: char for char, key in _KEY_OF.items()}


def _is_plain(char: str) -> bool:
    return char == "." or (char.isascii() and char.isalnum())


def _escaped(char: str) -> str:
    if _is_plain(char):
        return char
    return "".join(f"~{byte:02x}" for byte in char.encode("utf-8", "surrogatepass"))


def _utf8(data: bytearray, key: str) -> str:
    try:
        return data.decode("utf-8", "surrogatepass")
    except UnicodeDecodeError as exc:
        raise ValueError(f"symbol partition {key!r}: the '~' escapes are not UTF-8 ({exc.reason})") from None


def series_dir(area: Path, series: Series) -> Path:
    return area / f"exchange={series.exchange}" / f"symbol={symbol_key(series.symbol)}" / f"timeframe={series.timeframe}"


# --------------------------------------------------------------------------- periods of raw


def partition_period(timeframe: str) -> str:
    """'day' for sub-hour timeframes, 'month' for 1h and coarser: what one file of `raw` holds."""
    return "day" if timeframe_ms(timeframe) < HOUR_MS else "month"


def period_of(timeframe: str, day: str) -> str:
    """The raw partition a UTC day ('YYYY-MM-DD') of a series belongs to: the day itself or 'YYYY-MM'."""
    return day if partition_period(timeframe) == "day" else day[:7]


def period_file(area: Path, series: Series, period: str) -> Path:
    return series_dir(area, series) / f"{PERIOD_KEY}={period}" / CANDLE_FILE


def stored_periods(area: Path, series: Series) -> list[str]:
    """Periods of a series with a candle file, oldest first (day and month spellings sort by time alike)."""
    return _keys_with_candles(series_dir(area, series), PERIOD_KEY)


def _keys_with_candles(base: Path, key: str) -> list[str]:
    """Sorted values of a series folder's `<key>=<value>` subfolders that hold a candle file."""
    if not base.is_dir():
        return []
    prefix = f"{key}="
    return sorted(p.name[len(prefix):] for p in base.glob(f"{prefix}*") if (p / CANDLE_FILE).is_file())


def read_stored(area: Path, series: Series, days: list[str]) -> pd.DataFrame:
    """The stored candles of the given UTC days (read from their periods), with a `date` column."""
    wanted = set(days)
    periods = sorted({period_of(series.timeframe, day) for day in wanted})
    frame = _read_periods(area, series, periods)
    return frame[frame["date"].isin(wanted)].reset_index(drop=True)


def read_stored_before(area: Path, series: Series, day: str, span_ms: int) -> pd.DataFrame:
    """Stored candles before a UTC day: at least the last `span_ms` of them where stored, with a `date` column.

    Periods are read newest first until the rows cover the span, so the newest stored
    candle before the day is always included, however long ago it opened.
    """
    first = period_of(series.timeframe, day)
    cutoff = pd.Timestamp(day, tz="UTC")
    parts, oldest, newest = [], None, None
    for period in reversed([p for p in stored_periods(area, series) if p <= first]):
        rows = _read_periods(area, series, [period])
        rows = rows[rows["timestamp"] < cutoff]
        if len(rows):
            parts.append(rows)
            oldest = rows["timestamp"].min()
            newest = rows["timestamp"].max() if newest is None else newest
            if (newest - oldest).value // 1_000_000 >= span_ms:
                break
    if not parts:
        return _empty_with_date()
    return pd.concat(parts[::-1], ignore_index=True)


def stored_days(area: Path, series: Series) -> list[str]:
    """UTC days with at least one stored candle, oldest first (reads the timestamp column of every period)."""
    periods = stored_periods(area, series)
    if not periods:
        return []
    return sorted(set(_read_periods(area, series, periods)["date"]))


def _read_periods(area: Path, series: Series, periods: list[str]) -> pd.DataFrame:
    files = [period_file(area, series, period) for period in periods]
    files = [f for f in files if f.is_file()]
    if not files:
        return _empty_with_date()
    frame = read_candle_files(files)
    frame["date"] = day_names(frame)
    return frame


def read_candle_files(files: list[Path]) -> pd.DataFrame:
    """Several candle files as one frame, in the order given (one Arrow read, one pandas conversion)."""
    return ds.dataset([str(f) for f in files], format="parquet", schema=CANDLE_SCHEMA).to_table().to_pandas()


def _empty_with_date() -> pd.DataFrame:
    return CANDLE_SCHEMA.append(pa.field("date", pa.string())).empty_table().to_pandas()


def store_candles(area: Path, series: Series, frame: pd.DataFrame) -> list[str]:
    """Merge candles into their period files (stored rows at the same open time are replaced); returns the periods.

    Each period file is rewritten atomically, so a reader sees it before or after,
    never half-way. Callers that may race another writer hold series_lock; as the
    file's one writer, this also removes the temporaries a killed writer left.
    """
    periods = split_by_period(frame, series.timeframe)
    for period, rows in periods.items():
        target = period_file(area, series, period)
        remove_temporaries(target)
        write_atomic(merge_candles(read_candles(target), rows), target)
    return list(periods)


def split_by_period(frame: pd.DataFrame, timeframe: str) -> dict[str, pd.DataFrame]:
    if partition_period(timeframe) == "day":
        return split_by_day(frame)
    months = frame["timestamp"].dt.strftime("%Y-%m")
    return {month: part.reset_index(drop=True) for month, part in frame.groupby(months, sort=True)}


def last_timestamp(area: Path, series: Series) -> pd.Timestamp | None:
    """Open time of the newest candle stored for a series, or None."""
    for period in reversed(stored_periods(area, series)):
        frame = read_candles(period_file(area, series, period))
        if frame is not None and len(frame):
            return frame["timestamp"].max()
    return None


# --------------------------------------------------------------------------- days of a run's landing area


def day_dir(area: Path, series: Series, day: str) -> Path:
    """A UTC day's folder: a candidate in a landing area, a gap record, a quarantined day."""
    return series_dir(area, series) / f"{DAY_KEY}={day}"


def candidate_file(area: Path, series: Series, day: str) -> Path:
    return day_dir(area, series, day) / CANDLE_FILE


def gaps_file(area: Path, series: Series, day: str) -> Path:
    return day_dir(area, series, day) / GAPS_FILE


def candidate_days(area: Path, series: Series) -> list[str]:
    """Days of a series with a candidate file in a run's landing area, oldest first."""
    return _keys_with_candles(series_dir(area, series), DAY_KEY)


def read_candidates(area: Path, series: Series, days: list[str]) -> pd.DataFrame:
    """Several candidate days of a series in one read, with a `date` column; missing days are skipped."""
    files = [str(candidate_file(area, series, day)) for day in days]
    files = [f for f in files if Path(f).is_file()]
    if not files:
        return _empty_with_date()
    dataset = ds.dataset(files, format="parquet", partitioning=_DATE_PARTITION, partition_base_dir=str(series_dir(area, series)))
    return dataset.to_table().to_pandas()


# --------------------------------------------------------------------------- files and frames


def write_atomic(frame: pd.DataFrame, path: Path, schema: pa.Schema | None = CANDLE_SCHEMA) -> None:
    """Write Parquet to a temporary sibling, then rename over `path`."""
    write_parquet_atomic(frame, path, schema=schema)


def read_candles(path: Path) -> pd.DataFrame | None:
    if not path.is_file():
        return None
    return pq.read_table(path, schema=CANDLE_SCHEMA).to_pandas()


def has_candle_schema(path: Path) -> bool:
    """True when a stored partition has exactly the candle columns and types (metadata aside)."""
    return path.is_file() and pq.read_schema(path).equals(CANDLE_SCHEMA)


def merge_candles(old: pd.DataFrame | None, new: pd.DataFrame) -> pd.DataFrame:
    """Union by open time; a re-landed candle replaces the stored one."""
    if old is None or old.empty:
        merged = new
    else:
        merged = pd.concat([old, new], ignore_index=True)
    return merged.drop_duplicates("timestamp", keep="last").sort_values("timestamp", ignore_index=True)


def day_names(frame: pd.DataFrame) -> pd.Series:
    """The UTC day ('YYYY-MM-DD') each candle opens in."""
    return frame["timestamp"].dt.strftime("%Y-%m-%d")


def split_by_day(frame: pd.DataFrame) -> dict[str, pd.DataFrame]:
    return {day: part.reset_index(drop=True) for day, part in frame.groupby(day_names(frame), sort=True)}


def series_lock(root: Path, series: Series):
    """Serialise read-merge-write of one series' raw partitions across processes."""
    return file_lock(DataPaths(root).locks / f"{series.exchange}.{symbol_key(series.symbol)}.{series.timeframe}.lock")


@contextmanager
def file_lock(lock_path: Path):
    """An exclusive advisory lock held for the duration of the block."""
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    with open(lock_path, "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
