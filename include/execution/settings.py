"""The desk's settings as the config declares them (`execution:`): one strict pydantic model.

The config schema holds the section as a raw mapping (include/config/schema.py); this
module owns its checks, composed by include.checked_config, so a bad key fails with one
message naming `execution.<key path>`. Money figures are in the quote currency; weights
and losses are fractions (of equity, of the average cost).
"""
from __future__ import annotations

import os
from typing import Any

from pydantic import Field, ValidationError

from include.errors import ConfigError, closest
from include.strict import Strict, describe_validation_errors

LEDGER_URL_ENV = "PEAKTRADE_LEDGER_URL"


class PaperSettings(Strict):
    initial_cash: float = Field(100_000.0, gt=0)  # deposited in the quote currency on the paper desk's first day


class RiskSettings(Strict):
    """Pre-trade limits (include/execution/risk_rules.py), each checked on every order."""

    max_order_notional: float = Field(50_000.0, gt=0)  # fat finger: no single order above this (quote)
    max_position_weight: float = Field(0.5, gt=0, le=1)  # |position after| / equity, risk-increasing orders
    max_daily_turnover: float = Field(3.0, gt=0)  # notional traded per UTC day / equity
    min_notional: float = Field(10.0, ge=0)  # no order below this (quote)


class HardLimits(Strict):
    """A position beyond either limit is liquidated by the risk monitor through the order path."""

    max_loss: float = Field(0.25, gt=0, lt=1)  # mark below average cost by this fraction (long; above for short)
    max_weight: float = Field(0.6, gt=0, le=1)  # |position| x mark / equity


class ExecutionSettings(Strict):
    """The desk: which venue's validated candles price the paper broker, what it trades, its limits."""

    venue: str | None = None  # an exchange id of the universe; None: the first one
    symbols: list[str] | None = None  # None: the venue's symbols (the universe's)
    quote: str = "USDT"
    paper: PaperSettings = PaperSettings()
    drift_threshold: float = Field(0.05, ge=0, lt=1)
    max_turnover: float | None = Field(None, gt=0, le=4)
    fill_timeout_s: float = Field(30.0, ge=0)
    kill_switch_variable: str = Field("peak_trade_kill_switch", min_length=1)
    risk: RiskSettings = RiskSettings()
    hard_limits: HardLimits = HardLimits()
    ledger_url: str | None = None  # None: SQLite at DataPaths.ledger; env PEAKTRADE_LEDGER_URL overrides
    monitor_schedule: str = "*/15 * * * *"  # cron, UTC: the risk monitor


class _Section(Strict):
    execution: ExecutionSettings = ExecutionSettings()


def parse_execution(raw: dict[str, Any]) -> ExecutionSettings:
    """The section's shape; one ConfigError naming each bad key as `execution.<path>`."""
    try:
        return _Section.model_validate({"execution": raw or {}}).execution
    except ValidationError as exc:
        raise ConfigError(describe_validation_errors(exc, None, _Section)) from None


def execution_problems(config) -> list[str]:
    """Every problem of the config's `execution:` section (shape, venue, symbols, quote), each naming its key."""
    try:
        settings = parse_execution(config.execution)
    except ConfigError as exc:
        return [str(exc)]
    ids = [e.id for e in config.universe.exchanges]
    if settings.venue is not None and settings.venue not in ids:
        return [f"execution.venue: {settings.venue!r} is not an exchange of the universe; {closest(settings.venue, ids)}"]
    spec = config.exchange(settings.venue or ids[0])
    listed = spec.symbols or config.universe.symbols
    problems = []
    for i, symbol in enumerate(settings.symbols or []):
        if symbol not in listed:
            problems.append(f"execution.symbols[{i}]: {symbol!r} is not a symbol of {spec.id!r} in the universe; "
                            f"{closest(symbol, listed)}")
    for i, symbol in enumerate(settings.symbols or listed):
        if symbol.split("/")[-1].split(":")[0] != settings.quote:
            where = f"execution.symbols[{i}]" if settings.symbols else "execution.quote"
            problems.append(f"{where}: {symbol!r} is not quoted in {settings.quote!r} (execution.quote); the desk "
                            "trades one quote currency: list only its symbols in execution.symbols")
            break
    return problems


def execution_settings(config) -> ExecutionSettings:
    """The checked section with its defaults resolved: venue, symbols and ledger_url filled in."""
    problems = execution_problems(config)
    if problems:
        raise ConfigError("; ".join(problems))
    settings = parse_execution(config.execution)
    venue = settings.venue or config.universe.exchanges[0].id
    spec = config.exchange(venue)
    symbols = settings.symbols or list(spec.symbols or config.universe.symbols)
    return settings.model_copy(update={"venue": venue, "symbols": symbols,
                                       "ledger_url": os.environ.get(LEDGER_URL_ENV) or settings.ledger_url})
