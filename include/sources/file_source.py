"""Bulk-history candle files presented as an exchange (the `file` source).

Supported layouts (`FileSpec.format`):

- ``binance_klines``: Binance public-data (data.binance.vision) spot klines.
  Headerless CSV (a header row is tolerated) of 12 columns, ``open_time, open,
  high, low, close, volume, close_time, quote_volume, count, taker_buy_base,
  taker_buy_quote, ignore``; a ``.csv`` or a ``.zip`` holding one ``.csv``, or a
  directory of such files (all ``*.csv`` and ``*.zip`` in it, concatenated).
  Open times are milliseconds, except files from 2025 on, which use
  microseconds: detected per file by magnitude (> 1e14 means microseconds).
- ``kraken_ohlcvt``: Kraken's bulk OHLCVT CSV, headerless,
  ``unix_seconds, open, high, low, close, volume, trade_count``; may be gzip.
- ``csv`` / ``parquet``: a header (or schema) with the columns named by
  ``FileSpec.columns``; timestamps per ``FileSpec.timestamp_unit`` (s, ms, us,
  or iso = ISO-8601 strings, treated as UTC). CSV may be gzip.

Every parser returns a float64 array of shape (n, 6), rows
``[timestamp_ms, open, high, low, close, volume]`` sorted by open time. A file
that cannot be read as candles raises one `MalformedDataError` (a missing file:
`SourceError`) whose message names the file, the problem, where it is, and
what would be valid. Candles are never resampled, gap-filled or repaired.
"""
from __future__ import annotations

import gzip
import warnings
import zipfile
import zlib
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Callable, Iterator, Mapping, Sequence

import numpy as np
import pandas as pd

from include.config.schema import FileSpec
from include.errors import (
    ConfigError,
    MalformedDataError,
    SourceError,
    UnknownSymbolError,
    UnsupportedTimeframeError,
    closest,
)
from include.sources.base import OHLCV_COLUMNS
from include.timeframes import from_ms, timeframe_ms

BINANCE_KLINE_COLUMNS = (
    "open_time", "open", "high", "low", "close", "volume", "close_time",
    "quote_volume", "count", "taker_buy_base", "taker_buy_quote", "ignore",
)
KRAKEN_OHLCVT_COLUMNS = ("unix_seconds", "open", "high", "low", "close", "volume", "trade_count")
PRICE_FIELDS = OHLCV_COLUMNS[1:]  # open, high, low, close, volume

# Binance open times above this are microseconds (2025 on), below it milliseconds.
MICROSECOND_THRESHOLD = 1e14
# Open times outside [1990-01-01, 2100-01-01) mean the timestamp unit is wrong.
_PLAUSIBLE_MS = (631_152_000_000, 4_102_444_800_000)
_TS_UNIT_WORDS = {"s": "seconds", "ms": "milliseconds", "us": "microseconds"}

# A row locator: positional row index -> "line 7" / "row 3" / "a.csv line 7".
Locate = Callable[[int], str]


# --------------------------------------------------------------------------- helpers


def _utc(ts_ms: int) -> str:
    try:
        return f"{from_ms(ts_ms):%Y-%m-%d %H:%M:%S} UTC"
    except (OverflowError, OSError, ValueError):
        return "beyond the calendar"


def _fmt_ts(ts_ms: int) -> str:
    return f"{ts_ms} ({_utc(ts_ms)})"


def _plain(value: Any) -> Any:
    """numpy scalars as Python values, so messages show 12.5 rather than np.float64(12.5)."""
    return value.item() if isinstance(value, np.generic) else value


def _is_gzip(path: Path) -> bool:
    with open(path, "rb") as fh:
        return fh.read(2) == b"\x1f\x8b"


def _check_file(path: Path, fmt: str) -> None:
    """The path exists, is a file and is not empty."""
    if not path.exists():
        raise SourceError(f"{fmt} file {path}: file does not exist; check the 'path' of this symbol's file entry")
    if path.is_dir():
        raise SourceError(f"{fmt} file {path}: is a directory; only format binance_klines accepts a directory of files")
    if path.stat().st_size == 0:
        raise MalformedDataError(f"{fmt} file {path}: file is empty (0 bytes); expected {_EXPECTED[fmt]}")


_EXPECTED = {
    "binance_klines": f"headerless CSV rows of 12 fields ({', '.join(BINANCE_KLINE_COLUMNS)})",
    "kraken_ohlcvt": f"headerless CSV rows of 7 fields ({', '.join(KRAKEN_OHLCVT_COLUMNS)})",
    "csv": "a header row naming the mapped columns, then one candle per line",
    "parquet": "a Parquet file with the mapped columns and at least one row",
}


def _read_csv(source: Any, where: str, expected: str, **kwargs) -> pd.DataFrame:
    """pandas.read_csv with every failure turned into one MalformedDataError."""
    try:
        return pd.read_csv(
            source, skip_blank_lines=False, low_memory=False, keep_default_na=False, na_values=[""], **kwargs
        )
    except pd.errors.EmptyDataError as exc:
        raise MalformedDataError(f"{where}: file is empty (no lines); expected {expected}") from exc
    except pd.errors.ParserError as exc:
        raise MalformedDataError(f"{where}: not parsable as CSV ({str(exc).strip()}); expected {expected}") from exc
    except (OSError, EOFError, zlib.error, UnicodeDecodeError) as exc:
        raise MalformedDataError(
            f"{where}: cannot be read ({type(exc).__name__}: {exc}); expected a plain or gzip-compressed CSV: {expected}"
        ) from exc


def _drop_blank_rows(frame: pd.DataFrame, first_line: int) -> tuple[pd.DataFrame, np.ndarray]:
    """Drop all-empty lines; return the frame and each remaining row's 1-based line number."""
    lines = np.arange(first_line, first_line + len(frame), dtype=np.int64)
    if len(frame) and frame.iloc[:, 0].isna().any():
        blank = frame.isna().all(axis=1).to_numpy()
        if blank.any():
            frame, lines = frame.loc[~blank], lines[~blank]
    return frame, lines


def _numbers(col: pd.Series, label: str, where: str, locate: Locate, problem: str, valid: str) -> np.ndarray:
    """Column as float64; the first missing, non-numeric or infinite value is an error."""
    if pd.api.types.is_numeric_dtype(col) and not pd.api.types.is_bool_dtype(col):
        values = col.to_numpy(dtype="float64", na_value=np.nan)
    else:
        values = pd.to_numeric(col, errors="coerce").to_numpy(dtype="float64", na_value=np.nan)
    bad = ~np.isfinite(values)
    if bad.any():
        i = int(np.argmax(bad))
        raw = col.iloc[i]
        if pd.isna(raw) or (isinstance(raw, str) and not raw.strip()):
            what = "missing value"
        elif isinstance(raw, str):
            what = f"{problem} {raw!r}"
        else:
            what = f"non-finite value {_plain(raw)!r}"
        raise MalformedDataError(f"{where}: {locate(i)}: {what} in column {label}; expected {valid}")
    return values


def _prices(frame_cols: Sequence[pd.Series], labels: Sequence[str], where: str, locate: Locate) -> np.ndarray:
    out = np.empty((len(frame_cols[0]), len(PRICE_FIELDS)), dtype=np.float64)
    for j, (col, label) in enumerate(zip(frame_cols, labels)):
        out[:, j] = _numbers(col, label, where, locate, "non-numeric value", "a number such as 16535.97")
    return out


def _epoch_to_ms(col: pd.Series, unit: str, label: str, where: str, locate: Locate) -> np.ndarray:
    """Numeric epoch timestamps (s, ms or us) as int64 milliseconds."""
    word = _TS_UNIT_WORDS[unit]
    valid = f"a number of {word} since 1970-01-01 UTC"
    if pd.api.types.is_integer_dtype(col):
        raw = col.to_numpy(dtype=np.int64)
        return {"s": lambda v: v * 1000, "ms": lambda v: v, "us": lambda v: v // 1000}[unit](raw)
    values = _numbers(col, label, where, locate, "unparsable timestamp", valid)
    if unit == "s":
        return np.rint(values * 1000).astype(np.int64)
    if unit == "ms":
        return np.rint(values).astype(np.int64)
    return np.floor(values / 1000).astype(np.int64)


def _iso_to_ms(col: pd.Series, label: str, where: str, locate: Locate) -> np.ndarray:
    valid = "an ISO-8601 time such as 2023-03-01 00:00:00+00:00 (no zone means UTC)"
    if pd.api.types.is_datetime64_any_dtype(col):
        parsed = col
    elif pd.api.types.is_numeric_dtype(col):
        raise MalformedDataError(
            f"{where}: {locate(0)}: column {label} holds numbers ({_plain(col.iloc[0])!r}) but timestamp_unit is 'iso'; "
            f"set timestamp_unit to s, ms or us, or write {valid}"
        )
    else:
        parsed = pd.to_datetime(col, utc=True, format="ISO8601", errors="coerce")
    bad = parsed.isna().to_numpy()
    if bad.any():
        i = int(np.argmax(bad))
        raw = col.iloc[i]
        what = "missing timestamp" if pd.isna(raw) else f"unparsable timestamp {raw!r}"
        raise MalformedDataError(f"{where}: {locate(i)}: {what} in column {label}; expected {valid}")
    if parsed.dt.tz is None:
        parsed = parsed.dt.tz_localize("UTC")
    return parsed.dt.as_unit("ms").astype("int64").to_numpy(dtype=np.int64)


def _check_plausible(ts_ms: np.ndarray, where: str, locate: Locate, unit_hint: str) -> None:
    lo, hi = _PLAUSIBLE_MS
    bad = (ts_ms < lo) | (ts_ms >= hi)
    if bad.any():
        i = int(np.argmax(bad))
        raise MalformedDataError(
            f"{where}: {locate(i)}: timestamp reads as {int(ts_ms[i])} ms = {_utc(int(ts_ms[i]))}, outside 1990-2100; "
            f"the timestamp unit is probably wrong ({unit_hint})"
        )


def _finalize(ts_ms: np.ndarray, prices: np.ndarray, where: str, locate: Locate) -> np.ndarray:
    """Sort by open time, reject repeated open times, and pack into (n, 6) float64."""
    n = len(ts_ms)
    if n == 0:
        raise MalformedDataError(f"{where}: no candle rows; expected at least one candle")
    if n > 1 and bool((ts_ms[1:] >= ts_ms[:-1]).all()):
        order = None
        ts_sorted = ts_ms
    else:
        order = np.argsort(ts_ms, kind="stable")
        ts_sorted = ts_ms[order]
    same = ts_sorted[1:] == ts_sorted[:-1]
    if same.any():
        j = int(np.argmax(same))
        first, second = (j, j + 1) if order is None else (int(order[j]), int(order[j + 1]))
        raise MalformedDataError(
            f"{where}: duplicate timestamp {_fmt_ts(int(ts_sorted[j]))} at {locate(first)} and {locate(second)}; "
            "each candle open time must appear once"
        )
    rows = np.empty((n, len(OHLCV_COLUMNS)), dtype=np.float64)
    rows[:, 0] = ts_sorted
    rows[:, 1:] = prices if order is None else prices[order]
    return rows


# --------------------------------------------------------------------------- headerless formats


def _headerless(
    source: Any, where: str, fmt: str, names: Sequence[str], compression: str | None, skiprows: int = 0
) -> tuple[pd.DataFrame, np.ndarray]:
    expected = _EXPECTED[fmt]
    frame = _read_csv(source, where, expected, header=None, skiprows=skiprows, compression=compression)
    if frame.shape[1] != len(names):
        raise MalformedDataError(
            f"{where}: line {skiprows + 1} has {frame.shape[1]} fields; {fmt} expects {len(names)}: {', '.join(names)}"
        )
    frame, lines = _drop_blank_rows(frame, skiprows + 1)
    if len(frame) == 0:
        raise MalformedDataError(f"{where}: no candle rows; expected {expected}")
    short = frame.iloc[:, -1].isna().to_numpy()
    if short.any():
        i = int(np.argmax(short))
        raise MalformedDataError(
            f"{where}: line {lines[i]} has fewer than {len(names)} fields (no {names[-1]!r}); {fmt} expects {', '.join(names)}"
        )
    return frame, lines


def _looks_like_header(first_line: bytes) -> bool:
    field = first_line.split(b",", 1)[0].strip().strip(b'"').decode("utf-8", "replace")
    try:
        float(field)
        return False
    except ValueError:
        return bool(field) and (field[0].isalpha() or field[0] == "_")


@contextmanager
def _binance_stream(path: Path) -> Iterator[tuple[Any, str, str | None]]:
    """Open one Binance kline file (.csv or .zip of one .csv): (binary stream or path, where, compression)."""
    where = f"binance_klines file {path}"
    if path.suffix.lower() != ".zip":
        yield path, where, ("gzip" if _is_gzip(path) else None)
        return
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise MalformedDataError(f"{where}: not a readable ZIP archive ({exc}); expected a .zip holding one kline .csv") from exc
    with archive:
        members = [m for m in archive.namelist() if not m.endswith("/")]
        csvs = [m for m in members if m.lower().endswith(".csv")]
        if len(csvs) != 1:
            raise MalformedDataError(
                f"{where}: ZIP holds {len(csvs)} .csv files ({', '.join(members) or 'nothing'}); "
                "expected exactly one kline .csv"
            )
        if archive.getinfo(csvs[0]).file_size == 0:
            raise MalformedDataError(f"{where} (member {csvs[0]}): file is empty (0 bytes); expected {_EXPECTED['binance_klines']}")
        try:
            with archive.open(csvs[0]) as member:
                yield member, f"{where} (member {csvs[0]})", None
        except (zipfile.BadZipFile, zlib.error) as exc:
            raise MalformedDataError(f"{where}: corrupt ZIP member {csvs[0]} ({exc})") from exc


def _binance_one(path: Path) -> tuple[np.ndarray, np.ndarray, np.ndarray, str]:
    """One kline file: (open times ms, prices (n, 5), line numbers, where)."""
    with _binance_stream(path) as (src, where, compression):
        if hasattr(src, "readline"):
            first = src.readline()
            skip = 1 if _looks_like_header(first) else 0
            src.seek(0)
        else:
            opener = gzip.open if compression == "gzip" else open
            try:
                with opener(src, "rb") as fh:
                    first = fh.readline()
            except (OSError, EOFError, zlib.error) as exc:
                raise MalformedDataError(f"{where}: cannot be read ({exc}); expected a plain CSV") from exc
            skip = 1 if _looks_like_header(first) else 0
        frame, lines = _headerless(src, where, "binance_klines", BINANCE_KLINE_COLUMNS, compression, skip)
    locate: Locate = lambda i: f"line {lines[i]}"
    labels = [repr(c) for c in BINANCE_KLINE_COLUMNS]
    raw_ts = _numbers(
        frame.iloc[:, 0], labels[0], where, locate, "unparsable timestamp",
        "an open time in milliseconds (or microseconds, files from 2025 on) since 1970-01-01 UTC",
    )
    micro = raw_ts > MICROSECOND_THRESHOLD
    if micro.any() and not micro.all():
        i_us, i_ms = int(np.argmax(micro)), int(np.argmax(~micro))
        raise MalformedDataError(
            f"{where}: mixes microsecond ({locate(i_us)}: {int(raw_ts[i_us])}) and millisecond "
            f"({locate(i_ms)}: {int(raw_ts[i_ms])}) open times; one file must use one unit"
        )
    ts_ms = (np.floor(raw_ts / 1000) if micro.all() else np.rint(raw_ts)).astype(np.int64)
    _check_plausible(ts_ms, where, locate, "binance_klines open times are milliseconds, or microseconds from 2025 on")
    prices = _prices([frame.iloc[:, k] for k in range(1, 6)], labels[1:6], where, locate)
    return ts_ms, prices, lines, where


def parse_binance_klines(path: str | Path) -> np.ndarray:
    """Binance public-data spot klines: a .csv, a .zip of one .csv, or a directory of them."""
    path = Path(path)
    if path.is_dir():
        files = sorted(p for p in path.iterdir() if p.is_file() and p.suffix.lower() in (".csv", ".zip"))
        if not files:
            raise SourceError(f"binance_klines directory {path}: holds no .csv or .zip files; expected Binance kline files")
        for f in files:
            _check_file(f, "binance_klines")
        parts = [_binance_one(f) for f in files]
        ts = np.concatenate([p[0] for p in parts])
        prices = np.concatenate([p[1] for p in parts])
        lines = np.concatenate([p[2] for p in parts])
        origin = np.concatenate([np.full(len(p[0]), k, dtype=np.int64) for k, p in enumerate(parts)])
        names = [f.name for f in files]
        return _finalize(ts, prices, f"binance_klines directory {path}", lambda i: f"{names[origin[i]]} line {lines[i]}")
    _check_file(path, "binance_klines")
    ts, prices, lines, where = _binance_one(path)
    return _finalize(ts, prices, where, lambda i: f"line {lines[i]}")


def parse_kraken_ohlcvt(path: str | Path) -> np.ndarray:
    """Kraken bulk OHLCVT: headerless unix_seconds,open,high,low,close,volume,trade_count; plain or gzip."""
    path = Path(path)
    _check_file(path, "kraken_ohlcvt")
    where = f"kraken_ohlcvt file {path}"
    compression = "gzip" if _is_gzip(path) else None
    frame, lines = _headerless(path, where, "kraken_ohlcvt", KRAKEN_OHLCVT_COLUMNS, compression)
    locate: Locate = lambda i: f"line {lines[i]}"
    labels = [repr(c) for c in KRAKEN_OHLCVT_COLUMNS]
    ts_ms = _epoch_to_ms(frame.iloc[:, 0], "s", labels[0], where, locate)
    _check_plausible(ts_ms, where, locate, "kraken_ohlcvt timestamps are unix seconds")
    prices = _prices([frame.iloc[:, k] for k in range(1, 6)], labels[1:6], where, locate)
    return _finalize(ts_ms, prices, where, locate)


# --------------------------------------------------------------------------- generic formats


def _check_mapping(columns: Mapping[str, str] | None, present: Sequence[str], where: str) -> list[str]:
    needed = list(OHLCV_COLUMNS)
    if not columns or set(columns) != set(needed):
        raise MalformedDataError(
            f"{where}: needs a 'columns' mapping for all of {needed}; got {sorted(columns or {})}"
        )
    missing = [f"{columns[f]!r} (for {f})" for f in needed if columns[f] not in present]
    if missing:
        raise MalformedDataError(
            f"{where}: mapped column{'s' if len(missing) > 1 else ''} {', '.join(missing)} not in the file; "
            f"columns present: {', '.join(map(repr, present)) or 'none'}"
        )
    return list(dict.fromkeys(columns[f] for f in needed))


def _generic(frame: pd.DataFrame, columns: Mapping[str, str], unit: str, where: str, locate: Locate) -> np.ndarray:
    ts_col = columns["timestamp"]
    label = f"{ts_col!r} (timestamp)"
    if unit == "iso" or pd.api.types.is_datetime64_any_dtype(frame[ts_col]):
        ts_ms = _iso_to_ms(frame[ts_col], label, where, locate)
    else:
        ts_ms = _epoch_to_ms(frame[ts_col], unit, label, where, locate)
    _check_plausible(ts_ms, where, locate, f"timestamp_unit is {unit!r}; valid: s, ms, us, iso")
    prices = _prices(
        [frame[columns[f]] for f in PRICE_FIELDS], [f"{columns[f]!r} ({f})" for f in PRICE_FIELDS], where, locate
    )
    return _finalize(ts_ms, prices, where, locate)


def parse_generic_csv(path: str | Path, columns: Mapping[str, str], timestamp_unit: str = "ms") -> np.ndarray:
    """CSV with a header; `columns` maps each candle field to a header name. Plain or gzip."""
    path = Path(path)
    _check_file(path, "csv")
    where = f"csv file {path}"
    compression = "gzip" if _is_gzip(path) else None
    header = _read_csv(path, where, _EXPECTED["csv"], nrows=0, compression=compression)
    usecols = _check_mapping(columns, [str(c) for c in header.columns], where)
    # Every column is read, so a row with more fields than the header is an error, as it is for the
    # headerless formats: usecols would drop the extra field silently, and pandas takes a first data row
    # one field longer than the header as an index column (index_col=False warns instead: made an error).
    with warnings.catch_warnings():
        warnings.simplefilter("error", pd.errors.ParserWarning)
        try:
            frame = _read_csv(path, where, _EXPECTED["csv"], index_col=False, compression=compression)
        except pd.errors.ParserWarning:
            raise MalformedDataError(
                f"{where}: line 2 has more fields than the header's {header.shape[1]} ({', '.join(map(str, header.columns))}); "
                f"expected {_EXPECTED['csv']}"
            ) from None
    frame, lines = _drop_blank_rows(frame[usecols], 2)
    if len(frame) == 0:
        raise MalformedDataError(f"{where}: header only, no candle rows; expected at least one candle")
    return _generic(frame, columns, timestamp_unit, where, lambda i: f"line {lines[i]}")


def parse_generic_parquet(path: str | Path, columns: Mapping[str, str], timestamp_unit: str = "ms") -> np.ndarray:
    """Parquet file; `columns` maps each candle field to a column name."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    path = Path(path)
    _check_file(path, "parquet")
    where = f"parquet file {path}"
    try:
        schema = pq.read_schema(path)
        usecols = _check_mapping(columns, list(schema.names), where)
        frame = pq.read_table(path, columns=usecols).to_pandas()
    except (pa.ArrowException, OSError) as exc:
        raise MalformedDataError(f"{where}: not a readable Parquet file ({exc}); expected {_EXPECTED['parquet']}") from exc
    if len(frame) == 0:
        raise MalformedDataError(f"{where}: no candle rows; expected at least one candle")
    return _generic(frame, columns, timestamp_unit, where, lambda i: f"row {i + 1}")


def resolve_path(spec: FileSpec, base_dir: str | Path | None = None) -> Path:
    """The spec's path; a relative one resolves against base_dir (default: the working directory)."""
    path = Path(spec.path).expanduser()
    if not path.is_absolute() and base_dir is not None:
        path = Path(base_dir) / path
    return path


def parse_file(spec: FileSpec, base_dir: str | Path | None = None) -> np.ndarray:
    """Parse one FileSpec into a float64 (n, 6) array of candles sorted by open time."""
    path = resolve_path(spec, base_dir)
    if spec.format == "binance_klines":
        return parse_binance_klines(path)
    if spec.format == "kraken_ohlcvt":
        return parse_kraken_ohlcvt(path)
    if spec.format == "csv":
        return parse_generic_csv(path, spec.columns or {}, spec.timestamp_unit)
    if spec.format == "parquet":
        return parse_generic_parquet(path, spec.columns or {}, spec.timestamp_unit)
    raise ConfigError(f"unknown file format {spec.format!r}; valid: binance_klines, kraken_ohlcvt, csv, parquet")


# --------------------------------------------------------------------------- the exchange


def _split_symbol(symbol: str) -> tuple[str, str]:
    base, _, quote = symbol.partition("/")
    return base, quote.partition(":")[0]


class FileExchange:
    """ExchangeClient over bulk files: one file (or folder) of native-timeframe candles per symbol.

    Each file is parsed on first use and cached on the instance. Candles are
    served as they are in the file: never resampled, gap-filled or repaired.
    """

    def __init__(
        self,
        exchange_id: str,
        files: Mapping[str, FileSpec | Mapping[str, Any]],
        timeframes: Sequence[str],
        base_dir: str | Path | None = None,
    ) -> None:
        if not files:
            raise ConfigError(f"file exchange {exchange_id!r} needs 'files': {{SYMBOL: {{path, format}}}}")
        if not timeframes:
            raise ConfigError(f"file exchange {exchange_id!r} needs at least one timeframe")
        for tf in timeframes:
            try:
                timeframe_ms(tf)
            except ValueError as exc:
                raise ConfigError(f"file exchange {exchange_id!r}: {exc}") from exc
        self.id = exchange_id
        self.files: dict[str, FileSpec] = {
            symbol: spec if isinstance(spec, FileSpec) else FileSpec.model_validate(spec)
            for symbol, spec in files.items()
        }
        self.timeframes: dict[str, str] = {tf: tf for tf in timeframes}
        self.base_dir = Path(base_dir) if base_dir is not None else None
        self.symbols = list(self.files)
        self.markets: dict[str, dict[str, str]] | None = None
        self._cache: dict[str, tuple[np.ndarray, np.ndarray]] = {}

    def load_markets(self, reload: bool = False) -> dict[str, dict[str, str]]:
        if self.markets is None or reload:
            self.markets = {}
            for symbol in self.files:
                base, quote = _split_symbol(symbol)
                self.markets[symbol] = {"id": symbol, "symbol": symbol, "base": base, "quote": quote}
        return self.markets

    def _spec(self, symbol: str) -> FileSpec:
        if symbol not in self.files:
            raise UnknownSymbolError(
                f"symbol {symbol!r} is not listed on file exchange {self.id!r}; "
                f"valid symbols: {', '.join(self.files)}; {closest(symbol, self.files)}"
            )
        return self.files[symbol]

    def candles(self, symbol: str) -> np.ndarray:
        """All of a symbol's candles (read-only (n, 6) array), parsing the file on first use."""
        return self._load(symbol)[0]

    def _load(self, symbol: str) -> tuple[np.ndarray, np.ndarray]:
        cached = self._cache.get(symbol)
        if cached is None:
            spec = self._spec(symbol)
            rows = parse_file(spec, self.base_dir)
            if len(self.timeframes) == 1:
                self._check_alignment(rows, spec, next(iter(self.timeframes)))
            rows.setflags(write=False)
            ts = np.ascontiguousarray(rows[:, 0])
            cached = self._cache[symbol] = (rows, ts)
        return cached

    def _check_alignment(self, rows: np.ndarray, spec: FileSpec, timeframe: str) -> None:
        step = timeframe_ms(timeframe)
        off = rows[:, 0].astype(np.int64) % step != 0
        if off.any():
            i = int(np.argmax(off))
            raise MalformedDataError(
                f"{spec.format} file {resolve_path(spec, self.base_dir)}: timestamp {_fmt_ts(int(rows[i, 0]))} "
                f"(row {i + 1} in time order) is not aligned to exchange {self.id!r}'s timeframe {timeframe}; "
                f"open times must be multiples of {step} ms (is the file at another timeframe?)"
            )

    def fetch_ohlcv(
        self, symbol: str, timeframe: str = "1m", since: int | None = None, limit: int | None = None
    ) -> np.ndarray:
        """Candles with open time >= since, oldest first, at most `limit` rows (a read-only view)."""
        self._spec(symbol)
        if timeframe not in self.timeframes:
            raise UnsupportedTimeframeError(
                f"timeframe {timeframe!r} is not offered by file exchange {self.id!r}; valid: {', '.join(self.timeframes)}"
            )
        rows, ts = self._load(symbol)
        start = 0 if since is None else int(np.searchsorted(ts, since, side="left"))
        stop = len(rows) if limit is None else min(len(rows), start + max(int(limit), 0))
        return rows[start:stop]
