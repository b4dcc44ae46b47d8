"""The text formats of the report's figures: one function per kind of number.

Every figure printed in the PDF goes through one of these, so a test can read the
text back and compare it with `money(x)`, `pct(x)` ... of the warehouse's value.

Rounding is Python's own `format` of the float with a fixed number of decimals:
the decimal nearest to the stored binary value, nothing else (no Decimal, no
half-up step), so `money(2.675)` is "2.67 USDT" because the float 2.675 is
slightly below 2.675, exactly as `f"{2.675:.2f}"`. Thousands are separated by
"," and negatives carry an ASCII minus sign "-" (a value that rounds to zero
from below keeps it: "-0.00"). A missing value - None, NaN, pandas NA or NaT,
or an infinity - prints as "n/a". Times print in UTC to the minute.
"""
from __future__ import annotations

import math
from datetime import datetime, timezone

import pandas as pd

NA = "n/a"


def _finite(x: object) -> float | None:
    """x as a float, or None when it is missing (None, NaN, NA, NaT) or infinite."""
    if x is None or pd.isna(x):
        return None
    value = float(x)
    return value if math.isfinite(value) else None


def money(x: float | None, currency: str) -> str:
    """131667.26843 -> "131,667.27 USDT": 2 decimals (to the cent), thousands separators."""
    value = _finite(x)
    return NA if value is None else f"{value:,.2f} {currency}"


def pct(x: float | None) -> str:
    """A fraction as a percentage: 0.016108 -> "1.61 %", 2 decimals (to the basis point)."""
    value = _finite(x)
    return NA if value is None else f"{value * 100:,.2f} %"


def ratio(x: float | None) -> str:
    """A ratio such as Sharpe, Sortino or Calmar: 3.0982 -> "3.10", 2 decimals."""
    value = _finite(x)
    return NA if value is None else f"{value:,.2f}"


def price(x: float | None) -> str:
    """A close price without currency: 2 decimals from 1 up (67,123.45), 4 below (0.5123)."""
    value = _finite(x)
    if value is None:
        return NA
    return f"{value:,.2f}" if abs(value) >= 1 else f"{value:,.4f}"


def timestamp(at: datetime) -> str:
    """A moment in UTC to the minute: "2024-06-03 06:30 UTC" (a naive datetime is taken as UTC)."""
    utc = at.astimezone(timezone.utc) if at.tzinfo is not None else at
    return f"{utc:%Y-%m-%d %H:%M} UTC"
