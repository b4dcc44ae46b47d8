"""A row with one field too many is rejected alike by the generic CSV and the Binance klines format.

The generic reader used to read only the mapped columns, so an extra field vanished (and
in the first row pandas silently took the timestamp for an index). Real Binance.US candles,
one row edited the way a hand-merged file goes wrong.
"""
import gzip

import pandas as pd
import pytest

from include.config.schema import FileSpec
from include.errors import MalformedDataError
from include.sources.file_source import parse_file

from .test_file_source import BINANCEUS_USDT, ISO_COLUMNS, REAL

pytestmark = pytest.mark.skipif(not REAL.is_dir(), reason=f"real-data fixtures not found at {REAL}")
ROWS = 5


@pytest.fixture(scope="module")
def real_lines() -> list[str]:
    with gzip.open(BINANCEUS_USDT, "rt") as fh:
        return [next(fh).rstrip("\n") for _ in range(ROWS + 1)]  # the header and five candles


def generic_csv(lines: list[str]) -> str:
    return "\n".join(lines) + "\n"


def binance_klines(lines: list[str]) -> str:
    """The same candles as Binance public-data klines (12 fields, ms open times, no header)."""
    out = []
    for line in lines[1:]:
        stamp, o, h, l, c, v, *extra = line.split(",")
        t = int(pd.Timestamp(stamp).value // 1_000_000)
        out.append(",".join([str(t), o, h, l, c, v, str(t + 59_999), "0", "1", "0", "0", "0", *extra]))
    return "\n".join(out) + "\n"


@pytest.mark.parametrize("row", [0, 2], ids=["first_row", "middle_row"])
@pytest.mark.parametrize("fmt", ["csv", "binance_klines"])
def test_a_row_with_an_extra_field_is_rejected_naming_its_line(tmp_path, real_lines, fmt, row):
    lines = list(real_lines)
    lines[row + 1] += ",0.5"  # one value too many on one candle
    path = tmp_path / "candles.csv"
    path.write_text(generic_csv(lines) if fmt == "csv" else binance_klines(lines))
    line = row + 2 if fmt == "csv" else row + 1  # the generic file has a header line
    spec = FileSpec(path=str(path), format=fmt, columns=ISO_COLUMNS if fmt == "csv" else None, timestamp_unit="iso")

    with pytest.raises(MalformedDataError) as err:
        parse_file(spec)

    message = str(err.value)
    assert message.startswith(f"{fmt} file {path}: ")
    assert f"line {line}" in message, message
    fields, expected = (7, 6) if fmt == "csv" else (13, 12)
    if row == 0:  # the first row sets the field count of a headerless file; a header sets the generic one
        told = "more fields than the header's 6" if fmt == "csv" else f"has {fields} fields; binance_klines expects 12"
    else:
        told = f"Expected {expected} fields in line {line}, saw {fields}"
    assert told in message, message


def test_the_unedited_rows_parse_in_both_formats(tmp_path, real_lines):
    (tmp_path / "g.csv").write_text(generic_csv(real_lines))
    (tmp_path / "b.csv").write_text(binance_klines(real_lines))
    generic = parse_file(FileSpec(path=str(tmp_path / "g.csv"), format="csv", columns=ISO_COLUMNS, timestamp_unit="iso"))
    klines = parse_file(FileSpec(path=str(tmp_path / "b.csv"), format="binance_klines"))
    assert generic.shape == klines.shape == (ROWS, 6)
    assert (generic == klines).all()
