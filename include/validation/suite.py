"""The candle expectation suite (Great Expectations Core 1.x).

Critical expectations decide: a partition failing any of them is quarantined.
Warning expectations flag (big single-candle moves, cross-venue deviation):
such moves happen in real markets (the March 2023 USDC de-peg), so they are
recorded and reported, not thrown away. Two kinds of move are beyond that and
critical: one past the much higher max_abs_return_z_quarantine (a 50x print),
and a flagged move the other venues do not confirm (it moved the close away
from their median by more than max_cross_exchange_deviation_bps).
"""
from __future__ import annotations

import sys

import great_expectations as gx
import great_expectations.expectations as gxe

from include.config.schema import Validation
from include.validation.candle_context import CANDLE_COLUMNS, FRAME_COLUMNS, KEY_COLUMNS, PRICE_COLUMNS

SUITE_NAME = "candles"
CRITICAL, WARNING = "critical", "warning"
FINITE_MAX = sys.float_info.max  # an upper bound only +inf exceeds: inf is no price or volume


def candle_expectations(rules: Validation, gap_tolerance: float) -> list:
    critical = [gxe.ExpectColumnToExist(column=c) for c in KEY_COLUMNS + CANDLE_COLUMNS[1:]]
    # an added column is drift too: the partition must hold the candle columns and nothing else
    critical.append(gxe.ExpectTableColumnsToMatchSet(column_set=FRAME_COLUMNS, exact_match=True))
    critical.append(gxe.ExpectColumnValuesToBeOfType(column="timestamp", type_="Timestamp"))
    critical += [gxe.ExpectColumnValuesToBeOfType(column=c, type_="float64") for c in CANDLE_COLUMNS[1:]]
    critical += [gxe.ExpectColumnValuesToNotBeNull(column=c) for c in KEY_COLUMNS + CANDLE_COLUMNS[1:]]
    critical += [
        gxe.ExpectColumnValuesToBeBetween(column=c, min_value=0, strict_min=True, max_value=FINITE_MAX)
        for c in PRICE_COLUMNS
    ]
    critical += [
        gxe.ExpectColumnPairValuesAToBeGreaterThanB(column_A="high", column_B=c, or_equal=True) for c in ("open", "close")
    ]
    critical += [
        gxe.ExpectColumnPairValuesAToBeGreaterThanB(column_A=c, column_B="low", or_equal=True) for c in ("open", "close")
    ]
    critical += [
        gxe.ExpectColumnValuesToBeBetween(column="volume", min_value=0, max_value=FINITE_MAX),
        gxe.ExpectCompoundColumnsToBeUnique(column_list=KEY_COLUMNS),
        gxe.ExpectColumnValuesToBeInSet(column="offset_ms", value_set=[0]),
        gxe.ExpectColumnValuesToBeBetween(column="gap_ratio", min_value=0, max_value=gap_tolerance),
    ]
    z, bps, extreme = rules.max_abs_return_z, rules.max_cross_exchange_deviation_bps, rules.max_abs_return_z_quarantine
    critical += [
        gxe.ExpectColumnValuesToBeBetween(column="return_z", min_value=-extreme, max_value=extreme),
        gxe.ExpectColumnValuesToBeBetween(column="unconfirmed_move_bps", min_value=-bps, max_value=bps),
    ]
    for expectation in critical:
        expectation.severity = CRITICAL
    warnings = [
        gxe.ExpectColumnValuesToBeBetween(column="return_z", min_value=-z, max_value=z, severity=WARNING),
        gxe.ExpectColumnValuesToBeBetween(column="deviation_bps", min_value=-bps, max_value=bps, severity=WARNING),
    ]
    return critical + warnings


def build_suite(rules: Validation, gap_tolerance: float) -> gx.ExpectationSuite:
    return gx.ExpectationSuite(name=SUITE_NAME, expectations=candle_expectations(rules, gap_tolerance))
