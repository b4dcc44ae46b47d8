"""The desk's settings as the config declares them (`execution:`): one strict pydantic model.

The config schema holds the section as a raw mapping (include/config/schema.py); this
module owns its checks, composed by include.checked_config, so a bad key fails with one
message naming `execution.<key path>`. Money figures are in the quote currency; weights
and losses are fractions (of equity, of the average cost).
"""
from __future__ import annotations

import functools
import os
import re
from typing import Any
from urllib.parse import urlsplit

from pydantic import Field, ValidationError, field_validator

from include.config.schema import Schedule
from include.errors import ConfigError, closest
from include.strict import Strict, describe_validation_errors

LEDGER_URL_ENV = "PEAKTRADE_LEDGER_URL"
PAPER = "paper"  # the paper desk's broker name: no venue account may take it
_ACCOUNT_NAME = re.compile(r"^[a-z][a-z0-9_]{0,62}$")  # a file name and a PostgreSQL schema name alike


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


class VenueAccount(Strict):
    """A real venue account (`execution.venues.<name>`), traded through the unmodified ccxt client.

    The API key and secret live in the Airflow Connection `connection_id` (login = API key,
    password = secret, extra {"passphrase": ...}), never in the config. Live trading needs
    `live: true` here AND the form's confirmation AND a person's approval.
    """

    exchange: str  # a ccxt exchange id
    connection_id: str = Field(min_length=1)
    sandbox: bool = True  # the venue's testnet (ccxt set_sandbox_mode)
    live: bool = False  # real money: needs sandbox: false and approvers
    require_approval: bool = True  # false only with sandbox: true
    approvers: list[str] = []  # Airflow user names who may approve a live run
    approval_timeout_minutes: float = Field(60, gt=0)
    api_url: str | None = None  # scheme://host[:port] replacing the venue's API host (a proxy, the test emulator)
    timeout_ms: int = Field(10_000, gt=0)
    lost_after_queries: int = Field(5, ge=1)  # queries by client order id before an unanswered order is LOST
    query_interval_s: float = Field(1.0, ge=0)
    max_retries: int = Field(3, ge=0)  # transient read errors (and a 429 on create) retried with backoff
    trades_lookback_hours: float = Field(48, gt=0)  # how far back reconciliation asks for fills

    @field_validator("exchange")
    @classmethod
    def _a_ccxt_exchange(cls, value: str) -> str:
        import ccxt

        if value not in ccxt.exchanges:
            raise ValueError(f"{value!r} is not a ccxt exchange id; {closest(value, ccxt.exchanges)}")
        return value

    @field_validator("api_url")
    @classmethod
    def _scheme_host_port(cls, value: str | None) -> str | None:
        if value is None:
            return value
        valid = "valid: http(s)://host[:port], nothing after it"
        try:
            parts = urlsplit(value)
            parts.port  # noqa: B018 - raises ValueError on a bad port
        except ValueError:
            raise ValueError(f"{value!r} is not a URL; {valid}") from None
        if parts.scheme not in ("http", "https") or not parts.hostname or parts.path not in ("", "/") \
                or parts.query or parts.fragment or parts.username or parts.password:
            raise ValueError(f"{value!r} is invalid; {valid}")
        return value.rstrip("/")


def venue_account_problems(name: str, account: VenueAccount) -> list[str]:
    """What makes the account unusable or unsafe, each naming `execution.venues.<name>.<field>`."""
    where = f"execution.venues.{name}"
    if name == PAPER:
        return [f"{where}: the name {PAPER!r} is reserved for the paper desk; give the account another name"]
    if not _ACCOUNT_NAME.match(name):
        return [f"{where}: the account name {name!r} is invalid; valid: lower-case letters, digits and '_', "
                "starting with a letter, at most 63 characters (it names the ledger file and schema)"]
    problems = []
    if account.live and account.sandbox:
        problems.append(f"{where}.sandbox: a live account trades real money, so sandbox must be false "
                        "(sandbox: true with live: true is contradictory)")
    if not account.require_approval and not account.sandbox:
        problems.append(f"{where}.require_approval: false is refused: live accounts always need a person's "
                        "approval; valid: true, or sandbox: true")
    if account.live and not account.approvers:
        problems.append(f"{where}.approvers: a live account needs at least one approver (an Airflow user name)")
    if account.sandbox and not _has_testnet(account.exchange):
        problems.append(f"{where}.sandbox: ccxt has no sandbox (test) URLs for {account.exchange!r}, so "
                        "set_sandbox_mode would fail; valid: sandbox: false (with live: true and approvers "
                        "for real money), or an exchange with a testnet")
    return problems


@functools.lru_cache(maxsize=None)
def _has_testnet(exchange: str) -> bool:
    """Whether ccxt has test URLs for the exchange: fixed by the installed ccxt, so asked once per process
    (building a ccxt client takes milliseconds, and every desk step checks its settings)."""
    import ccxt

    return bool(getattr(ccxt, exchange)().urls.get("test"))


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
    monitor_schedule: Schedule = "*/15 * * * *"  # cron, UTC: the risk monitor (checked as schedules.* are)
    venues: dict[str, VenueAccount] = {}  # real venue accounts by name (the form's `broker`); "paper" is reserved


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
    problems = [p for name, account in settings.venues.items() for p in venue_account_problems(name, account)]
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
