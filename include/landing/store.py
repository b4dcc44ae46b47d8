"""The candle store: hive-partitioned Parquet under the data directory.

    <data>/raw/exchange=<id>/symbol=<BASE-QUOTE>/timeframe=<tf>/date=<YYYY-MM-DD>/candles.parquet

`raw` holds validated candles only. A run first writes candidate partitions to
`landing/<run>/...`; the validation gate then publishes each one to `raw` or
moves it to `quarantine/`. Every file is written to a temporary name and
renamed, so a crash never leaves half a file where a reader could see it.
"""
from __future__ import annotations

import fcntl
from contextlib import contextmanager
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq

from include.atomic import write_parquet_atomic
from include.paths import DataPaths
from include.series import Series

CANDLE_FILE = "candles.parquet"
_DATE_PARTITION = ds.partitioning(pa.schema([("date", pa.string())]), flavor="hive")
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


def partition_file(area: Path, series: Series, day: str) -> Path:
    return series_dir(area, series) / f"date={day}" / CANDLE_FILE


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


def read_days(area: Path, series: Series, days: list[str]) -> pd.DataFrame:
    """Several partitions of a series in one read, with a `date` column; missing days are skipped."""
    files = [str(partition_file(area, series, day)) for day in days]
    files = [f for f in files if Path(f).is_file()]
    if not files:
        empty = CANDLE_SCHEMA.append(pa.field("date", pa.string())).empty_table()
        return empty.to_pandas()
    dataset = ds.dataset(files, format="parquet", partitioning=_DATE_PARTITION, partition_base_dir=str(series_dir(area, series)))
    return dataset.to_table().to_pandas()


def merge_candles(old: pd.DataFrame | None, new: pd.DataFrame) -> pd.DataFrame:
    """Union by open time; a re-landed candle replaces the stored one."""
    if old is None or old.empty:
        merged = new
    else:
        merged = pd.concat([old, new], ignore_index=True)
    return merged.drop_duplicates("timestamp", keep="last").sort_values("timestamp", ignore_index=True)


def split_by_day(frame: pd.DataFrame) -> dict[str, pd.DataFrame]:
    days = frame["timestamp"].dt.strftime("%Y-%m-%d")
    return {day: part.reset_index(drop=True) for day, part in frame.groupby(days, sort=True)}


def landed_days(area: Path, series: Series) -> list[str]:
    base = series_dir(area, series)
    if not base.is_dir():
        return []
    return sorted(p.name[5:] for p in base.glob("date=*") if (p / CANDLE_FILE).is_file())


def last_timestamp(area: Path, series: Series) -> pd.Timestamp | None:
    """Open time of the newest candle landed for a series, or None."""
    for day in reversed(landed_days(area, series)):
        frame = read_candles(partition_file(area, series, day))
        if frame is not None and len(frame):
            return frame["timestamp"].max()
    return None


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
