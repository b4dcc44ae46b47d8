"""The bulk-history file source: parsers on real venue files, FileExchange, and malformed input."""
from __future__ import annotations

import gzip
import math
import re
import zipfile
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq
import pytest

from include.config.schema import FileSpec
from include.errors import MalformedDataError, SourceError, UnknownSymbolError, UnsupportedTimeframeError
from include.sources.base import check_listing
from include.sources.file_source import (
    FileExchange,
    parse_binance_klines,
    parse_file,
    parse_generic_csv,
    parse_kraken_ohlcvt,
)
from include.sources.paging import fetch_candles

REAL = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "real"
KRAKEN = REAL / "kraken_XBTUSDC_1m_ohlcvt.csv.gz"
BINANCEUS_USDT = REAL / "binanceus_BTCUSDT_1m_2023-03-01_2023-03-21.csv.gz"
ISO_COLUMNS = {"timestamp": "open_time", "open": "open", "high": "high", "low": "low", "close": "close", "volume": "volume"}
MINUTE = 60_000

needs_real = pytest.mark.skipif(not REAL.is_dir(), reason=f"real-data fixtures not found at {REAL}")


def ms(*args) -> int:
    return int(datetime(*args, tzinfo=timezone.utc).timestamp() * 1000)


@pytest.fixture(scope="module")
def kraken_rows() -> np.ndarray:
    if not REAL.is_dir():
        pytest.skip(f"real-data fixtures not found at {REAL}")
    return parse_kraken_ohlcvt(KRAKEN)


@pytest.fixture(scope="module")
def usdt_rows() -> np.ndarray:
    if not REAL.is_dir():
        pytest.skip(f"real-data fixtures not found at {REAL}")
    return parse_generic_csv(BINANCEUS_USDT, ISO_COLUMNS, "iso")


def write_klines(rows: np.ndarray, path: Path, *, micro: bool = False, header: bool = False) -> Path:
    """rows (n, 6) as a Binance public-data kline CSV (12 columns, ms or us open times)."""
    scale = 1000 if micro else 1
    open_time = rows[:, 0].astype(np.int64) * scale
    frame = pd.DataFrame(
        {
            "open_time": open_time,
            "open": rows[:, 1],
            "high": rows[:, 2],
            "low": rows[:, 3],
            "close": rows[:, 4],
            "volume": rows[:, 5],
            "close_time": open_time + MINUTE * scale - 1,
            "quote_volume": rows[:, 5] * rows[:, 4],
            "count": np.arange(len(rows)) % 97,
            "taker_buy_base": rows[:, 5] / 2,
            "taker_buy_quote": rows[:, 5] * rows[:, 4] / 2,
            "ignore": 0,
        }
    )
    frame.to_csv(path, header=header, index=False)
    return path


def zip_of(csv_path: Path, zip_path: Path) -> Path:
    with zipfile.ZipFile(zip_path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.write(csv_path, arcname=csv_path.name)
    return zip_path


# --------------------------------------------------------------------------- real files


@needs_real
def test_kraken_real_file_rows_span_and_first_row(kraken_rows):
    with gzip.open(KRAKEN, "rt") as fh:
        first = [float(v) for v in fh.readline().strip().split(",")]
    assert kraken_rows.dtype == np.float64 and kraken_rows.shape == (56_717, 6)
    assert kraken_rows[0, 0] == ms(2023, 1, 1, 0, 0) == first[0] * 1000
    assert kraken_rows[-1, 0] == ms(2023, 3, 31, 23, 59)
    assert kraken_rows[0].tolist() == [first[0] * 1000, *first[1:6]]
    assert (np.diff(kraken_rows[:, 0]) > 0).all()


@needs_real
def test_kraken_gaps_are_not_filled(kraken_rows):
    steps = np.diff(kraken_rows[:, 0])
    span_minutes = int((kraken_rows[-1, 0] - kraken_rows[0, 0]) // MINUTE) + 1
    assert span_minutes == 129_600
    assert len(kraken_rows) == 56_717
    assert (steps % MINUTE == 0).all()
    # minutes without trades stay missing: counted from the file's raw lines, not the parser
    with gzip.open(KRAKEN, "rt") as fh:
        raw = [int(line.split(",", 1)[0]) * 1000 for line in fh if line.strip()]
    raw_gaps = sum(1 for a, b in zip(raw, raw[1:]) if b - a > MINUTE)
    assert raw_gaps == 26_746
    assert (steps > MINUTE).sum() == raw_gaps
    assert int((steps // MINUTE - 1).sum()) == span_minutes - len(kraken_rows) == 72_883


@needs_real
def test_binanceus_generic_csv_iso_complete_grid_keeps_zero_volume(usdt_rows):
    assert usdt_rows.shape == (30_240, 6)
    assert usdt_rows[0, 0] == ms(2023, 3, 1, 0, 0)
    assert usdt_rows[-1, 0] == ms(2023, 3, 21, 23, 59)
    assert (np.diff(usdt_rows[:, 0]) == MINUTE).all()
    assert (usdt_rows[:, 5] == 0).sum() == 658
    assert usdt_rows[0, 1:].tolist() == [23140.48, 23150.77, 23128.52, 23142.31, 2.131777]


@needs_real
def test_parse_file_dispatches_on_spec_and_base_dir(usdt_rows):
    spec = FileSpec(path=BINANCEUS_USDT.name, format="csv", columns=ISO_COLUMNS, timestamp_unit="iso")
    assert np.array_equal(parse_file(spec, base_dir=REAL), usdt_rows)


# --------------------------------------------------------------------------- Binance public-data klines


@needs_real
def test_binance_klines_csv_zip_and_microseconds_equal_source(usdt_rows, tmp_path):
    plain = write_klines(usdt_rows, tmp_path / "BTCUSDT-1m-2023-03.csv")
    zipped = zip_of(plain, tmp_path / "BTCUSDT-1m-2023-03.zip")
    micro = write_klines(usdt_rows, tmp_path / "BTCUSDT-1m-2025-03.csv", micro=True)
    assert int(open(micro).readline().split(",")[0]) == ms(2023, 3, 1) * 1000  # microseconds
    parsed = [parse_binance_klines(p) for p in (plain, zipped, micro)]
    for rows in parsed:
        assert rows.shape == (30_240, 6)
        assert np.array_equal(rows, usdt_rows)


@needs_real
def test_binance_klines_tolerates_header_and_reads_directory(usdt_rows, tmp_path):
    with_header = write_klines(usdt_rows, tmp_path / "header.csv", header=True)
    assert open(with_header).readline().startswith("open_time,")
    assert np.array_equal(parse_binance_klines(with_header), usdt_rows)
    assert np.array_equal(parse_binance_klines(zip_of(with_header, tmp_path / "header.zip")), usdt_rows)

    folder = tmp_path / "BTCUSDT"
    folder.mkdir()
    half = len(usdt_rows) // 2
    # Second half as an ms .csv, first half as a µs .zip: the folder is read as one series.
    write_klines(usdt_rows[half:], folder / "b.csv")
    first = write_klines(usdt_rows[:half], tmp_path / "a.csv", micro=True)
    zip_of(first, folder / "a.zip")
    (folder / "README.txt").write_text("ignored")
    rows = parse_file(FileSpec(path="BTCUSDT", format="binance_klines"), base_dir=tmp_path)
    assert np.array_equal(rows, usdt_rows)


def test_binance_klines_sorts_unsorted_rows(tmp_path):
    rows = np.array([[ms(2024, 1, 1, 0, m), 1 + m, 2 + m, 0.5, 1.5, m] for m in (2, 0, 1)], dtype=float)
    parsed = parse_binance_klines(write_klines(rows, tmp_path / "k.csv"))
    assert parsed[:, 0].tolist() == [ms(2024, 1, 1, 0, 0), ms(2024, 1, 1, 0, 1), ms(2024, 1, 1, 0, 2)]
    assert parsed[:, 5].tolist() == [0, 1, 2]


# --------------------------------------------------------------------------- generic parquet / csv


@needs_real
def test_generic_parquet_with_mapping_and_seconds(kraken_rows, tmp_path):
    sample = kraken_rows[:5000]
    shuffled = sample[np.random.default_rng(3).permutation(len(sample))]
    table = pa.table(
        {
            "t": (shuffled[:, 0] // 1000).astype(np.int64),
            "o": shuffled[:, 1], "h": shuffled[:, 2], "l": shuffled[:, 3], "c": shuffled[:, 4], "v": shuffled[:, 5],
            "trades": np.ones(len(shuffled), dtype=np.int64),
        }
    )
    path = tmp_path / "candles.parquet"
    pq.write_table(table, path)
    spec = FileSpec(
        path=str(path), format="parquet", timestamp_unit="s",
        columns={"timestamp": "t", "open": "o", "high": "h", "low": "l", "close": "c", "volume": "v"},
    )
    assert np.array_equal(parse_file(spec), sample)


def test_generic_csv_epoch_units_and_blank_lines(tmp_path):
    cols = {"timestamp": "ts", "open": "o", "high": "h", "low": "l", "close": "c", "volume": "v"}
    t0 = ms(2024, 5, 1, 12, 0)
    for unit, scale in (("s", 1 / 1000), ("ms", 1), ("us", 1000)):
        path = tmp_path / f"{unit}.csv.gz"
        text = f"ts,o,h,l,c,v,extra\n{int(t0 * scale)},1,2,0.5,1.5,10,x\n\n{int((t0 + MINUTE) * scale)},2,3,1,2,0,y\n"
        path.write_bytes(gzip.compress(text.encode()))
        rows = parse_generic_csv(path, cols, unit)
        assert rows.tolist() == [[t0, 1, 2, 0.5, 1.5, 10], [t0 + MINUTE, 2, 3, 1, 2, 0]]


# --------------------------------------------------------------------------- FileExchange


@pytest.fixture
def kraken_exchange() -> FileExchange:
    if not REAL.is_dir():
        pytest.skip(f"real-data fixtures not found at {REAL}")
    return FileExchange(
        "kraken_bulk", {"BTC/USDC": FileSpec(path=KRAKEN.name, format="kraken_ohlcvt")}, ["1m"], base_dir=REAL
    )


@needs_real
@pytest.mark.parametrize("limit", [5000, 777])
def test_fetch_candles_over_kraken_file_returns_exact_range(kraken_exchange, kraken_rows, limit):
    start, end = ms(2023, 2, 1), ms(2023, 3, 15, 7, 30)
    expected = kraken_rows[(kraken_rows[:, 0] >= start) & (kraken_rows[:, 0] < end)]
    assert len(expected) > 2 * 5000  # so every limit needs several pages
    calls = []
    fetch = kraken_exchange.fetch_ohlcv
    kraken_exchange.fetch_ohlcv = lambda *a, **kw: calls.append(kw) or fetch(*a, **kw)

    frame = fetch_candles(kraken_exchange, "BTC/USDC", "1m", start, end, ms(2024, 1, 1), limit=limit)

    # pages of `limit` rows each, read in order from `start`; paging stops after the page holding
    # the first candle at or after end - 1m (the next `since` is then >= end)
    before_last_minute = np.count_nonzero((kraken_rows[:, 0] >= start) & (kraken_rows[:, 0] < end - MINUTE))
    assert len(calls) == math.ceil((before_last_minute + 1) / limit)
    assert calls[0] == {"since": start, "limit": limit}
    assert len(frame) == len(expected)
    stamps = frame["timestamp"].astype("int64").to_numpy()
    assert np.array_equal(stamps, expected[:, 0].astype(np.int64))
    assert np.array_equal(frame[["open", "high", "low", "close", "volume"]].to_numpy(), expected[:, 1:])


@needs_real
def test_file_exchange_protocol_slicing_and_cache(kraken_exchange, kraken_rows, monkeypatch):
    import include.sources.file_source as fs

    parses = []
    real_parse = fs.parse_file
    monkeypatch.setattr(fs, "parse_file", lambda *a, **kw: parses.append(a) or real_parse(*a, **kw))

    assert kraken_exchange.id == "kraken_bulk"
    assert kraken_exchange.timeframes == {"1m": "1m"}
    markets = kraken_exchange.load_markets()
    assert list(markets) == ["BTC/USDC"]
    assert markets["BTC/USDC"]["base"] == "BTC" and markets["BTC/USDC"]["quote"] == "USDC"
    check_listing(kraken_exchange, "BTC/USDC", "1m")

    everything = kraken_exchange.fetch_ohlcv("BTC/USDC", "1m")
    assert np.array_equal(everything, kraken_rows)
    since = int(kraken_rows[100, 0]) - 1  # between two candles: starts at the next one
    page = kraken_exchange.fetch_ohlcv("BTC/USDC", "1m", since=since, limit=3)
    assert np.array_equal(page, kraken_rows[100:103])
    assert len(kraken_exchange.fetch_ohlcv("BTC/USDC", "1m", since=ms(2030, 1, 1))) == 0
    assert len(parses) == 1  # parsed once, then served from the instance cache
    with pytest.raises(ValueError, match="read-only"):
        page[0, 1] = 0.0  # the cache cannot be altered through a returned page


def test_file_exchange_unknown_symbol_and_timeframe(tmp_path):
    exchange = FileExchange("bulk", {"BTC/USDT": {"path": "x.csv", "format": "kraken_ohlcvt"}}, ["1m"], base_dir=tmp_path)
    unknown = "symbol 'BTC/USDC' is not listed on file exchange 'bulk'; valid symbols: BTC/USDT; did you mean BTC/USDT?"
    with pytest.raises(UnknownSymbolError, match=f"^{re.escape(unknown)}$"):
        exchange.fetch_ohlcv("BTC/USDC", "1m")
    unsupported = "timeframe '5m' is not offered by file exchange 'bulk'; valid: 1m"
    with pytest.raises(UnsupportedTimeframeError, match=f"^{re.escape(unsupported)}$"):
        exchange.fetch_ohlcv("BTC/USDT", "5m")
    missing = f"kraken_ohlcvt file {tmp_path / 'x.csv'}: file does not exist"
    with pytest.raises(SourceError, match=re.escape(missing)) as err:  # the missing file surfaces on first fetch
        exchange.fetch_ohlcv("BTC/USDT", "1m")
    assert type(err.value) is SourceError  # a config problem, not malformed data


def test_file_exchange_rejects_timestamps_off_its_timeframe(tmp_path):
    path = tmp_path / "hourly.csv"
    t0 = ms(2024, 1, 1) // 1000
    path.write_text(f"{t0},1,1,1,1,1,1\n{t0 + 3600},1,1,1,1,1,1\n{t0 + 5400},1,1,1,1,1,1\n")
    spec = FileSpec(path=str(path), format="kraken_ohlcvt")
    assert len(FileExchange("k", {"BTC/USD": spec}, ["30m"]).fetch_ohlcv("BTC/USD", "30m")) == 3
    with pytest.raises(MalformedDataError, match=re.escape(f"kraken_ohlcvt file {path}: timestamp ")) as err:
        FileExchange("k", {"BTC/USD": spec}, ["1h"]).fetch_ohlcv("BTC/USD", "1h")
    message = str(err.value)
    assert str((t0 + 5400) * 1000) in message
    assert "(row 3 in time order) is not aligned to exchange 'k''s timeframe 1h" in message
    assert "multiples of 3600000 ms" in message


# --------------------------------------------------------------------------- malformed input

GOOD_KRAKEN = "1672531200,1,2,0.5,1.5,3,4\n1672531260,1,2,0.5,1.5,3,4\n1672531320,1,2,0.5,1.5,3,4\n"
KLINE = "{t},1,2,0.5,1.5,3,{c},4.5,7,1,1.5,0\n"
GEN_COLS = {"timestamp": "time", "open": "o", "high": "h", "low": "l", "close": "c", "volume": "v"}


def kline_lines(*stamps: int) -> str:
    return "".join(KLINE.format(t=t, c=t + 59_999) for t in stamps)


T = ms(2024, 1, 1)

# name -> (format, file name, content (str | bytes | None = do not create), columns, unit, error type, expected fragments)
MALFORMED = {
    "missing file": ("kraken_ohlcvt", "nope.csv", None, None, "ms", SourceError, ["does not exist"]),
    "missing binance file": ("binance_klines", "nope.zip", None, None, "ms", SourceError, ["does not exist"]),
    "empty kraken": ("kraken_ohlcvt", "k.csv", "", None, "ms", MalformedDataError, ["empty"]),
    "empty binance": ("binance_klines", "b.csv", "", None, "ms", MalformedDataError, ["empty"]),
    "empty csv": ("csv", "g.csv", "", GEN_COLS, "ms", MalformedDataError, ["empty"]),
    "empty parquet": ("parquet", "g.parquet", "", GEN_COLS, "ms", MalformedDataError, ["empty"]),
    "header only csv": ("csv", "g.csv", "time,o,h,l,c,v\n", GEN_COLS, "ms", MalformedDataError, ["no candle rows"]),
    "kraken 6 columns": (
        "kraken_ohlcvt", "k.csv", "1672531200,1,2,0.5,1.5,3\n", None, "ms", MalformedDataError,
        ["has 6 fields", "expects 7", "trade_count"],
    ),
    "binance 7 columns": (
        "binance_klines", "b.csv", f"{T},1,2,0.5,1.5,3,{T + 59_999}\n", None, "ms", MalformedDataError,
        ["has 7 fields", "expects 12", "taker_buy_quote"],
    ),
    "kraken short row": (
        "kraken_ohlcvt", "k.csv", GOOD_KRAKEN + "1672531380,1,2,0.5\n", None, "ms", MalformedDataError,
        ["line 4", "fewer than 7 fields"],
    ),
    "kraken long row": (
        "kraken_ohlcvt", "k.csv", GOOD_KRAKEN + "1672531380,1,2,0.5,1.5,3,4,9\n", None, "ms", MalformedDataError,
        ["line 4", "7 fields"],
    ),
    "kraken non-numeric close": (
        "kraken_ohlcvt", "k.csv", GOOD_KRAKEN.replace("1672531260,1,2,0.5,1.5", "1672531260,1,2,0.5,abc"), None, "ms",
        MalformedDataError, ["line 2", "'close'", "'abc'", "expected a number"],
    ),
    "binance non-numeric high": (
        "binance_klines", "b.csv", kline_lines(T, T + MINUTE) + f"{T + 2 * MINUTE},1,N/A,0.5,1.5,3,1,4.5,7,1,1.5,0\n",
        None, "ms", MalformedDataError, ["line 3", "'high'", "'N/A'"],
    ),
    "csv non-numeric open": (
        "csv", "g.csv", f"time,o,h,l,c,v\n{T},1,2,0.5,1.5,3\n{T + MINUTE},one,2,0.5,1.5,3\n", GEN_COLS, "ms",
        MalformedDataError, ["line 3", "'o' (open)", "'one'"],
    ),
    "csv missing price": (
        "csv", "g.csv", f"time,o,h,l,c,v\n{T},1,2,0.5,1.5,3\n{T + MINUTE},1,2,,1.5,3\n", GEN_COLS, "ms",
        MalformedDataError, ["line 3", "missing value", "'l' (low)"],
    ),
    "csv mapped column missing": (
        "csv", "g.csv", f"time,open,h,l,c,v\n{T},1,2,0.5,1.5,3\n", GEN_COLS, "ms", MalformedDataError,
        ["'o' (for open)", "not in the file", "columns present: 'time', 'open', 'h'"],
    ),
    "csv bad iso timestamp": (
        "csv", "g.csv", "time,o,h,l,c,v\n2024-01-01T00:00:00Z,1,2,0.5,1.5,3\nyesterday,1,2,0.5,1.5,3\n", GEN_COLS,
        "iso", MalformedDataError, ["line 3", "unparsable timestamp 'yesterday'", "ISO-8601"],
    ),
    "csv iso text declared seconds": (
        "csv", "g.csv", "time,o,h,l,c,v\n2024-01-01T00:00:00Z,1,2,0.5,1.5,3\n", GEN_COLS, "s", MalformedDataError,
        ["line 2", "unparsable timestamp '2024-01-01T00:00:00Z'", "seconds"],
    ),
    "csv seconds declared ms": (
        "csv", "g.csv", f"time,o,h,l,c,v\n{T // 1000},1,2,0.5,1.5,3\n", GEN_COLS, "ms", MalformedDataError,
        ["line 2", "1970", "unit is probably wrong"],
    ),
    "kraken unparsable timestamp": (
        "kraken_ohlcvt", "k.csv", GOOD_KRAKEN + "12:00,1,2,0.5,1.5,3,4\n", None, "ms", MalformedDataError,
        ["line 4", "unparsable timestamp '12:00'", "'unix_seconds'"],
    ),
    "kraken duplicate timestamp": (
        "kraken_ohlcvt", "k.csv", GOOD_KRAKEN + "1672531260,9,9,9,9,9,9\n", None, "ms", MalformedDataError,
        ["duplicate timestamp 1672531260000", "2023-01-01 00:01:00", "line 2 and line 4"],
    ),
    "binance duplicate timestamp": (
        "binance_klines", "b.csv", kline_lines(T + MINUTE, T, T + MINUTE), None, "ms", MalformedDataError,
        [f"duplicate timestamp {T + MINUTE}", "line 1 and line 3"],
    ),
    "binance mixed us and ms": (
        "binance_klines", "b.csv", kline_lines(T * 1000, T + MINUTE), None, "ms", MalformedDataError,
        ["mixes microsecond", "line 1", "line 2"],
    ),
    "binance zip without csv": (
        "binance_klines", "b.zip", b"zip:notes.txt", None, "ms", MalformedDataError, ["holds 0 .csv", "notes.txt"],
    ),
    "binance not a zip": (
        "binance_klines", "b.zip", b"PK-not-really", None, "ms", MalformedDataError, ["not a readable ZIP"],
    ),
    "parquet mapped column missing": (
        "parquet", "g.parquet", b"parquet:time,o,h,l,c,volume", GEN_COLS, "ms", MalformedDataError,
        ["'v' (for volume)", "columns present: 'time', 'o', 'h', 'l', 'c', 'volume'"],
    ),
    "parquet non-numeric price": (
        "parquet", "g.parquet", b"parquet-text-close", GEN_COLS, "ms", MalformedDataError,
        ["row 2", "'c' (close)", "'x'"],
    ),
    "not a parquet file": (
        "parquet", "g.parquet", "time,o,h,l,c,v\n", GEN_COLS, "ms", MalformedDataError, ["not a readable Parquet"],
    ),
    "truncated gzip": (
        "kraken_ohlcvt", "k.csv.gz", gzip.compress(GOOD_KRAKEN.encode() * 50)[:60], None, "ms", MalformedDataError,
        ["cannot be read"],
    ),
}


def _materialize(path: Path, content) -> None:
    if content is None:
        return
    if content == b"zip:notes.txt":
        with zipfile.ZipFile(path, "w") as archive:
            archive.writestr("notes.txt", "no klines here")
    elif content == b"parquet:time,o,h,l,c,volume":
        pq.write_table(pa.table({n: [float(T)] for n in "time,o,h,l,c,volume".split(",")}), path)
    elif content == b"parquet-text-close":
        table = {"time": [T, T + MINUTE], "o": [1.0, 1.0], "h": [2.0, 2.0], "l": [0.5, 0.5], "c": ["1.5", "x"], "v": [3.0, 3.0]}
        pq.write_table(pa.table(table), path)
    elif isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content)


@pytest.mark.parametrize("case", list(MALFORMED))
def test_malformed_input_raises_one_error_naming_file_and_problem(case, tmp_path):
    fmt, name, content, columns, unit, error, fragments = MALFORMED[case]
    path = tmp_path / name
    _materialize(path, content)
    spec = FileSpec(path=name, format=fmt, columns=columns, timestamp_unit=unit)
    with pytest.raises(error, match="^" + re.escape(f"{fmt} file {path}: ")) as err:
        parse_file(spec, base_dir=tmp_path)
    assert type(err.value) is error  # the exact class: a missing file is not malformed data
    message = str(err.value)
    for fragment in fragments:
        assert fragment in message, f"{fragment!r} not in {message!r}"


def test_duplicate_across_files_of_a_binance_directory_names_both_files(tmp_path):
    (tmp_path / "2024-01-01.csv").write_text(kline_lines(T, T + MINUTE))
    (tmp_path / "2024-01-02.csv").write_text(kline_lines(T + MINUTE, T + 2 * MINUTE))
    with pytest.raises(MalformedDataError, match=re.escape(f"duplicate timestamp {T + MINUTE}")) as err:
        parse_binance_klines(tmp_path)
    message = str(err.value)
    assert str(tmp_path) in message
    assert "2024-01-01.csv line 2" in message and "2024-01-02.csv line 1" in message


def test_empty_binance_directory(tmp_path):
    expected = f"binance_klines directory {tmp_path}: holds no .csv or .zip files; expected Binance kline files"
    with pytest.raises(SourceError, match=f"^{re.escape(expected)}$") as err:
        parse_binance_klines(tmp_path)
    assert type(err.value) is SourceError


def test_line_numbers_count_blank_lines(tmp_path):
    path = tmp_path / "k.csv"
    path.write_text("1672531200,1,2,0.5,1.5,3,4\n\n\n1672531260,1,2,0.5,oops,3,4\n")
    with pytest.raises(MalformedDataError, match=re.escape(f"{path}: line 4: non-numeric value 'oops' in column 'close'")):
        parse_kraken_ohlcvt(path)


# --------------------------------------------------------------------------- a year of minute klines


def test_a_year_of_minute_klines_parses_every_row_exactly(tmp_path):
    n = 525_600  # 365 days * 1440 minutes
    open_time = ms(2025, 1, 1) * 1000 + np.arange(n, dtype=np.int64) * MINUTE * 1000  # 2025: microseconds
    close = np.round(90_000 + np.cumsum(np.random.default_rng(5).normal(0, 20, n)), 2)
    table = pa.table(
        {
            "open_time": open_time, "open": close, "high": close + 5, "low": close - 5, "close": close,
            "volume": np.full(n, 1.25), "close_time": open_time + MINUTE * 1000 - 1, "quote_volume": close,
            "count": np.arange(n), "taker_buy_base": np.full(n, 0.5), "taker_buy_quote": close, "ignore": np.zeros(n, np.int64),
        }
    )
    path = tmp_path / "BTCUSDT-1m-2025.csv"
    pa_csv.write_csv(table, path, pa_csv.WriteOptions(include_header=False))

    rows = parse_binance_klines(path)

    assert rows.shape == (n, 6)
    # microsecond open times come back as milliseconds, on an unbroken one-minute grid
    assert open_time[0] == 1_735_689_600_000_000
    assert rows[0, 0] == ms(2025, 1, 1) == 1_735_689_600_000
    assert rows[-1, 0] == ms(2025, 12, 31, 23, 59) == 1_767_225_540_000
    assert rows[260_640, 0] == ms(2025, 7, 1)  # 181 days in
    assert np.array_equal(rows[:, 0], open_time // 1000)
    assert np.all(np.diff(rows[:, 0]) == MINUTE)
    # a few rows exactly, then every column in full
    for i in (0, 1, 260_640, n - 1):
        assert list(rows[i]) == [open_time[i] // 1000, close[i], close[i] + 5, close[i] - 5, close[i], 1.25]
    assert np.array_equal(rows[:, 1], close)
    assert np.array_equal(rows[:, 2], close + 5)
    assert np.array_equal(rows[:, 3], close - 5)
    assert np.array_equal(rows[:, 4], close)
    assert np.all(rows[:, 5] == 1.25)
