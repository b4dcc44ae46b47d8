"""What a failed expectation means, in words a trader reads: the one mapping.

The gate records Great Expectations' names (`expect_column_values_to_be_between`
with kwargs, or the results table's compact `expect_column_values_to_be_between(return_z)`);
the data-quality HTML report and the PDF reports say what was wrong with the
candles instead ("a return of more than 12 standard deviations"). Imports nothing
heavy: no Great Expectations, so a report can use it cheaply.
"""
from __future__ import annotations

import re

from include.config.schema import Validation

_COMPACT = re.compile(r"^(?P<type>[a-z_]+)\((?P<column>[^()]*)\)$")
_NAMES = {"open": "open", "high": "high", "low": "low", "close": "close", "volume": "volume",
          "timestamp": "open time", "exchange": "venue", "symbol": "symbol", "timeframe": "timeframe"}


def describe(expectation: str, kwargs: dict | None = None, rules: Validation | None = None) -> str:
    """What a failure of `expectation` (its kwargs as the gate records them) says about the candles.

    Without kwargs (the compact form) the thresholds come from `rules` (the shipped defaults when None).
    """
    kwargs = kwargs or {}
    rules = rules or Validation()
    column = kwargs.get("column") or kwargs.get("column_A") or ""
    name = _NAMES.get(column, column)
    if expectation == "expect_table_columns_to_match_set":
        return "columns other than the candle columns (an added or missing column)"
    if expectation == "expect_column_to_exist":
        return f"the {name} column is missing"
    if expectation == "expect_column_values_to_be_of_type":
        wanted = kwargs.get("type_") or ("Timestamp" if column == "timestamp" else "float64")
        kind = "a UTC timestamp" if wanted == "Timestamp" else "a decimal number" if wanted == "float64" else wanted
        return f"the {name} column is not {kind}"
    if expectation == "expect_column_values_to_not_be_null":
        return f"candles without a {name}"
    if expectation == "expect_column_pair_values_a_to_be_greater_than_b":
        other = kwargs.get("column_B", "")
        if not other:  # the compact form drops column_B: the suite pairs high with open/close, open/close with low
            other = "open or close" if column == "high" else "low"
        return f"candles whose {name} is below the {_NAMES.get(other, other)}"
    if expectation == "expect_compound_columns_to_be_unique":
        return "the same candle (venue, symbol, timeframe, open time) more than once"
    if expectation == "expect_column_values_to_be_in_set" and column == "offset_ms":
        return "candles whose open time is off the timeframe's grid"
    if expectation == "expect_column_values_to_be_between":
        return _between(column, name, kwargs, rules)
    return _fallback(expectation, column)


def _between(column: str, name: str, kwargs: dict, rules: Validation) -> str:
    if column == "return_z":
        z = kwargs.get("max_value", rules.max_abs_return_z)
        return f"a return of more than {_number(z)} standard deviations"
    if column == "deviation_bps":
        bps = kwargs.get("max_value", rules.max_cross_exchange_deviation_bps)
        return f"a close more than {_number(bps)} bp ({_number(bps / 100)}%) away from the other venues' median"
    if column == "unconfirmed_move_bps":
        bps = kwargs.get("max_value", rules.max_cross_exchange_deviation_bps)
        return f"a big move the other venues did not confirm (more than {_number(bps)} bp apart)"
    if column == "gap_ratio":
        share = kwargs.get("max_value", rules.max_gap_ratio)
        return f"more than {_number(share * 100)}% of the day's candles missing"
    if column == "volume":
        return "a negative volume"
    if column in ("open", "high", "low", "close"):
        return f"a {name} price of zero or below"
    low, high = kwargs.get("min_value"), kwargs.get("max_value")
    return f"{name} outside {_number(low) if low is not None else '-inf'} .. {_number(high) if high is not None else 'inf'}"


def _fallback(expectation: str, column: str) -> str:
    words = expectation.removeprefix("expect_").replace("_", " ")
    return f"{column}: not {words}" if column else f"not {words}"


def _number(value) -> str:
    value = float(value)
    return f"{value:.0f}" if value == int(value) else f"{value:g}"


def describe_compact(name: str, rules: Validation | None = None, failed: bool = False) -> str:
    """`expect_column_values_to_be_between(return_z)` (the results table's form) in plain words.

    `failed`: the name comes from the `failed` cell, where a return check is the quarantine one
    (max_abs_return_z_quarantine), not the flag one."""
    found = _COMPACT.match(name.strip())
    if not found:  # a table-level check has no column
        return describe(name.strip(), {}, rules)
    kwargs = {"column": found["column"]} if found["column"] else {}
    if failed and found["column"] == "return_z":
        kwargs["max_value"] = (rules or Validation()).max_abs_return_z_quarantine
    return describe(found["type"], kwargs, rules)


def describe_list(joined: str, rules: Validation | None = None, failed: bool = False) -> list[str]:
    """The results table's comma-joined `failed` / `flagged` cell, each name in plain words (no repeats).
    Text that names no check ("8 candles missing") is kept as it is."""
    names = re.findall(r"[a-z_]+\([^()]*\)|expect_[a-z_]+", joined or "")
    if not names:
        return [joined] if joined else []
    seen: dict[str, None] = {}
    for part in names:
        seen.setdefault(describe_compact(part, rules, failed), None)
    return list(seen)
