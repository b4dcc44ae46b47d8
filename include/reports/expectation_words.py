"""Validation checks in a trader's words: "a return more than 12 standard deviations" rather than
`expect_column_values_to_be_between(return_z)`.

The validation results store each failed or flagged check as `expectation(column)`, comma-separated
(include/validation/publish.py). `plain_words` turns one such list into a sentence. It is a small,
self-contained function so a shared mapping (include/validation) can replace it in one place.
"""
from __future__ import annotations

import re

CHECK = re.compile(r"(?P<name>expect_[a-z_]+)\((?P<column>[^)]*)\)")
DEFAULT_LIMITS = {"max_abs_return_z": 12, "max_cross_exchange_deviation_bps": 100, "max_gap_ratio": 0.05}


def plain_words(checks: str, limits: dict | None = None) -> str:
    """'expect_column_values_to_be_between(return_z),...' -> 'a candle's return more than 12 standard
    deviations; ...'. Text that names no check is returned as it is; an unknown check keeps its name."""
    text = "" if checks is None else str(checks)
    found = CHECK.findall(text)
    if not found:
        return text
    limit = DEFAULT_LIMITS | (limits or {})
    return "; ".join(dict.fromkeys(_one(name, column, limit) for name, column in found))


def _one(name: str, column: str, limit: dict) -> str:
    between = name == "expect_column_values_to_be_between"
    if between and column == "return_z":
        return f"a candle's return more than {limit['max_abs_return_z']:g} standard deviations from normal"
    if between and column == "deviation_bps":
        return (f"close more than {limit['max_cross_exchange_deviation_bps']:g} bps (basis points) away from "
                "the other venues' median")
    if between and column == "gap_ratio":
        return f"more than {limit['max_gap_ratio']:.0%} of the day's candles missing"
    if between and column == "volume":
        return "negative volume"
    if between:
        return f"{column} zero or negative"
    if name == "expect_column_pair_values_a_to_be_greater_than_b":
        return "high below open or close" if column == "high" else "low above open or close"
    if name == "expect_column_values_to_not_be_null":
        return f"empty {column} values"
    if name == "expect_column_to_exist":
        return f"the {column} column is missing"
    if name == "expect_column_values_to_be_of_type":
        return f"{column} of the wrong type"
    if name == "expect_compound_columns_to_be_unique":
        return "duplicate candles"
    if name == "expect_column_values_to_be_in_set" and column == "offset_ms":
        return "candles not on the timeframe's grid"
    return f"{name}({column})"
