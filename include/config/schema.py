"""The config schema: universe, history, schedules, validation thresholds.

Shape and types only. The checks that need a catalogue (exchange ids, listed
symbols, offered timeframes: `include.sources.kinds`) or the strategies (sweeps:
`include.sweeps.checks`) are composed on top by `include.checked_config`.
"""
from __future__ import annotations

import re
from datetime import date, datetime, timedelta, timezone
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, Field, ValidationInfo, field_validator, model_validator

from include.errors import closest
from include.series import Series
from include.strict import Strict
from include.timeframes import timeframe_ms

_DURATION = re.compile(r"^(\d+)([hdw])$")
_DURATION_UNIT = {"h": timedelta(hours=1), "d": timedelta(days=1), "w": timedelta(weeks=1)}


def _parses_as_timeframe(timeframe: str) -> str:
    timeframe_ms(timeframe)  # its ValueError names the bad string and the valid form
    return timeframe


# A timeframe string checked per item, so an error names its index (universe.timeframes[1]).
Timeframe = Annotated[str, AfterValidator(_parses_as_timeframe)]


class FileSpec(Strict):
    """One bulk file (or folder of files) holding one symbol's candles."""

    path: str
    format: Literal["binance_klines", "kraken_ohlcvt", "csv", "parquet"]
    # For csv/parquet: candle field -> column name in the file.
    columns: dict[Literal["timestamp", "open", "high", "low", "close", "volume"], str] | None = None
    # For csv/parquet: how the timestamp column is written.
    timestamp_unit: Literal["s", "ms", "us", "iso"] = "ms"

    @model_validator(mode="after")
    def _mapping_for_generic(self):
        needed = {"timestamp", "open", "high", "low", "close", "volume"}
        if self.format in ("csv", "parquet") and set(self.columns or {}) != needed:
            missing = sorted(needed - set(self.columns or {}))
            raise ValueError(f"format {self.format!r} needs a 'columns' mapping for all of {sorted(needed)}; missing {missing}")
        return self


class ExchangeSpec(Strict):
    id: str = Field(min_length=1)
    source: Literal["sim", "ccxt", "file"]  # the kinds of include.sources.kinds (tests keep the two equal)
    # Defaults to the universe's symbols / timeframes when omitted.
    symbols: list[str] | None = None
    # validate_default: a 'file' exchange that omits these keys is told so under the key's own path.
    timeframes: list[str] | None = Field(None, validate_default=True)
    # file source only: symbol -> file
    files: dict[str, FileSpec] | None = Field(None, validate_default=True)

    @field_validator("timeframes")
    @classmethod
    def _one_timeframe_per_file_exchange(cls, value: list[str] | None, info: ValidationInfo):
        if info.data.get("source") == "file" and len(value or []) != 1:
            got = "missing" if value is None else f"{value!r} lists {len(value)} timeframes"
            raise ValueError(f"{got}; a 'file' exchange needs exactly one, the timeframe its files hold, e.g. [1h]")
        return value

    @field_validator("files")
    @classmethod
    def _files_only_for_file_source(cls, value: dict | None, info: ValidationInfo):
        source = info.data.get("source")
        if source == "file" and not value:
            raise ValueError(f"{'missing' if value is None else 'empty'}; a 'file' exchange needs "
                             "'files': {SYMBOL: {path, format}}")
        if source not in (None, "file") and value:
            raise ValueError(f"'files' is only for source 'file', not {source!r}")
        return value


class Universe(Strict):
    symbols: list[str] = Field(min_length=1)
    timeframes: list[Timeframe] = Field(min_length=1)
    exchanges: list[ExchangeSpec] = Field(min_length=1)

    @field_validator("exchanges")
    @classmethod
    def _unique_exchange_ids(cls, exchanges: list[ExchangeSpec]) -> list[ExchangeSpec]:
        first: dict[str, int] = {}
        for index, exchange in enumerate(exchanges):
            if exchange.id in first:
                raise ValueError(f"id {exchange.id!r} is used by entries {first[exchange.id]} and {index}; "
                                 "exchange ids must be unique")
            first[exchange.id] = index
        return exchanges


def _parses_as_start(value: str | date) -> str | date:
    resolve_start(value, datetime.now(timezone.utc))  # its ValueError names the bad value and the valid forms
    return value


Start = Annotated[str | date, AfterValidator(_parses_as_start)]


class History(Strict):
    """Where history starts per timeframe: a date (2024-01-01) or a look-back (365d, 12w, 48h)."""

    start: dict[Timeframe, Start]
    default_start: Start = "30d"

    def start_for(self, timeframe: str, now: datetime) -> datetime:
        value = self.start.get(timeframe, self.default_start)
        return resolve_start(value, now)


def resolve_start(value: str | date, now: datetime) -> datetime:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=timezone.utc)
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day, tzinfo=timezone.utc)
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        return resolve_start(date.fromisoformat(value), now)
    match = _DURATION.match(value)
    if not match:
        raise ValueError(f"{value!r} is neither a date (YYYY-MM-DD) nor a look-back like 365d, 12w, 48h")
    back = int(match.group(1)) * _DURATION_UNIT[match.group(2)]
    start = now - back
    return start.replace(minute=0, second=0, microsecond=0)


# Airflow's own presets (airflow.utils.dates.cron_presets, which include/ cannot import) and its two
# special timetables; anything else must be a five-field cron expression croniter accepts, as Airflow's.
CRON_PRESETS = {
    "@hourly": "0 * * * *",
    "@daily": "0 0 * * *",
    "@weekly": "0 0 * * 0",
    "@monthly": "0 0 1 * *",
    "@quarterly": "0 0 1 */3 *",
    "@yearly": "0 0 1 1 *",
}
SPECIAL_SCHEDULES = ("@once", "@continuous")


def _is_schedule(value: str) -> str:
    """A schedule Airflow accepts, checked here so a bad one is a config error with its key path,
    not one DAG's import error in Airflow's words."""
    from croniter import CroniterError, croniter

    if value in SPECIAL_SCHEDULES:
        return value
    expression = CRON_PRESETS.get(value, value)
    valid = ("valid: a five-field cron expression 'minute hour day-of-month month day-of-week' in UTC "
             f"such as '0 2 * * *' or '*/15 * * * *', or one of {', '.join([*CRON_PRESETS, *SPECIAL_SCHEDULES])}")
    fields = expression.split()
    if not expression.startswith("@") and len(fields) != 5:  # croniter's own aliases (@midnight) pass to it
        raise ValueError(f"{value!r} has {len(fields)} fields, not 5; {valid}")
    try:
        croniter(expression)
    except (CroniterError, ValueError) as exc:  # a field out of range (minute 61, month 13) or unparseable
        raise ValueError(f"{value!r} is not a valid cron expression ({exc}); {valid}") from None
    try:  # parses but never fires (30 February): Airflow would load it and never run the DAG
        croniter(expression, datetime(2000, 1, 1)).get_next(datetime)
    except CroniterError:
        raise ValueError(f"{value!r} never fires (no such day); {valid}") from None
    return value


Schedule = Annotated[str, AfterValidator(_is_schedule)]


class Schedules(Strict):
    ingest: Schedule = "@hourly"
    nightly_sweep: Schedule = "0 2 * * *"  # cron, UTC
    daily_report: Schedule = "30 6 * * *"  # reports the UTC day just gone
    weekly_report: Schedule = "0 7 * * 1"  # Monday: reports the ISO week just gone


_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+$")


def _is_email(address: str) -> str:
    if not _EMAIL.match(address):
        raise ValueError(f"{address!r} is not an email address like name@example.com")
    return address


Email = Annotated[str, AfterValidator(_is_email)]


class Reports(Strict):
    """Where reports go and who gets them (the SMTP server is the Airflow connection, never the config)."""

    dir: str = "reports"  # relative to the project root, or absolute
    currency: str = "USDT"
    recipients: list[Email] = []  # none: the files are saved, not emailed
    sender: Email = "peak-trade@localhost"
    smtp_conn_id: str = "smtp_default"
    metrics_window_days: Literal[30, 90] = 90
    histogram_days: int = Field(90, ge=10)


class Research(Strict):
    """When a sweep's best is called luck (docs/definitions.md, "Overfitting odds"): a deflated
    Sharpe ratio below luck_threshold, or a probability of backtest overfitting above pbo_threshold."""

    luck_threshold: float = Field(0.95, gt=0, lt=1)
    pbo_threshold: float = Field(0.5, gt=0, lt=1)
    pbo_blocks: int = Field(16, ge=2, le=24, multiple_of=2)  # S of CSCV: C(S, S/2) combinations


class Notifications(Strict):
    """Who hears of failed tasks and circuit-breaker events. email defaults to reports.recipients;
    slack/discord/telegram are Airflow connection ids, used when set (their provider must be installed)."""

    email: list[Email] | None = None
    slack_conn_id: str | None = None
    discord_conn_id: str | None = None
    telegram_conn_id: str | None = None


def _is_ratio(value: float) -> float:
    if not 0 <= value <= 1:
        raise ValueError(f"{value:g} is not a share of missing candles; valid: a number from 0 to 1 "
                         "(0.8 tolerates a day with 80% of its candles missing)")
    return value


GapRatio = Annotated[float, AfterValidator(_is_ratio)]


class Validation(Strict):
    max_gap_ratio: float = Field(0.05, ge=0, le=1)
    # "<exchange id>" or "<exchange id>:<symbol>" of the universe -> tolerance, for venues that are thin by
    # nature; the keys are checked against the universe by PeakTradeConfig (gap_override_problems).
    gap_ratio_overrides: dict[str, GapRatio] = {}
    # A single-candle move beyond max_abs_return_z is flagged; beyond it AND taking the close more than
    # max_cross_exchange_deviation_bps away from the other venues (a move they do not confirm), or beyond
    # max_abs_return_z_quarantine (confirmed or not), its day is quarantined.
    max_abs_return_z: float = Field(12.0, gt=0)
    max_abs_return_z_quarantine: float = Field(100.0, gt=0)
    return_z_window: int = Field(500, ge=20)
    max_cross_exchange_deviation_bps: float = Field(100.0, gt=0)
    # Failing rows copied into the quarantine reason, per expectation.
    sample_rows: int = Field(5, ge=1, le=100)
    # Days of GX results kept for Data Docs.
    keep_results_days: int = Field(14, ge=1)

    @model_validator(mode="after")
    def _quarantine_above_flag(self):
        if self.max_abs_return_z_quarantine <= self.max_abs_return_z:
            raise ValueError(f"max_abs_return_z_quarantine ({self.max_abs_return_z_quarantine:g}) must be above "
                             f"max_abs_return_z ({self.max_abs_return_z:g}): moves between the two are flagged, "
                             "moves beyond the higher one quarantined")
        return self

    def gap_tolerance(self, exchange: str, symbol: str) -> float:
        return self.gap_ratio_overrides.get(
            f"{exchange}:{symbol}", self.gap_ratio_overrides.get(exchange, self.max_gap_ratio)
        )

    @staticmethod
    def gap_override_key(exchange: str, symbol: str) -> str:
        """The gap_ratio_overrides key for one series (its exchange and symbol; the timeframe is not part of it)."""
        return f"{exchange}:{symbol}"


def gap_override_problems(overrides: dict[str, float], universe: Universe) -> list[str]:
    """Each validation.gap_ratio_overrides key that names no exchange (or exchange:symbol) of the universe."""
    valid = {spec.id: spec.symbols or universe.symbols for spec in universe.exchanges}
    problems = []
    for key in overrides:
        where = f"validation.gap_ratio_overrides.{key}"  # the key path as include.strict spells it
        exchange, _, symbol = key.partition(":")
        if exchange not in valid:
            problems.append(f"{where}: {exchange!r} is not an exchange id of the universe; keys are "
                            f"'<exchange id>' or '<exchange id>:<symbol>', {closest(exchange, valid)}")
        elif symbol and symbol not in valid[exchange]:
            choices = [f"{exchange}:{s}" for s in valid[exchange]]
            problems.append(f"{where}: {symbol!r} is not a symbol of {exchange!r} in the universe; "
                            f"{closest(key, choices)}")
    return problems


class Simulator(Strict):
    seed: int = 7
    # Extra synthetic assets SYN01..SYNnn quoted in USDT (benchmarks with many symbols); the
    # existing assets' candles do not change with it.
    synthetic_assets: int = Field(0, ge=0, le=999)


class Ingest(Strict):
    page_limit: int = Field(1000, ge=1)
    retries: int = Field(5, ge=0)
    retry_base_delay_s: float = Field(1.0, ge=0)
    task_timeout_minutes: int = Field(30, ge=1)
    task_retries: int = Field(2, ge=0)


# FAB's built-in roles: naming one as a trade role would hand every such user the desk (Admin may
# trigger anything anyway), so trade roles are the desk's own.
_BUILT_IN_ROLES = ("Public", "Viewer", "User", "Op", "Admin")
_ROLE_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9 _-]{0,63}$")


def _is_desk_role(name: str) -> str:
    if name in _BUILT_IN_ROLES:
        raise ValueError(f"{name!r} is a built-in Airflow role; name a desk role of your own, e.g. Trader "
                         f"(built-ins: {', '.join(_BUILT_IN_ROLES)})")
    if not _ROLE_NAME.match(name):
        raise ValueError(f"{name!r} is not a role name: a letter, then up to 63 letters, digits, spaces, _ or -")
    return name


class Access(Strict):
    """Who may trade under the FAB auth manager (the scale-out setup; the embedded default has one admin).
    Only these roles may trigger or act on the trade DAGs (rebalance, flatten_all, risk_monitor);
    `python -m operators.desk_roles` creates them and takes the built-in User and Op roles' edit rights
    on those DAGs away."""

    trade_roles: list[Annotated[str, AfterValidator(_is_desk_role)]] = Field(["Trader"], min_length=1)


class PeakTradeConfig(Strict):
    data_dir: str = "data"
    universe: Universe
    history: History
    schedules: Schedules = Schedules()
    validation: Validation = Validation()
    simulator: Simulator = Simulator()
    ingest: Ingest = Ingest()
    owner: str = "peak-trade"
    # Parameter sweeps, each a SweepSpec (include/sweeps/spec.py); checked by include.sweeps.checks.
    sweeps: list[dict[str, Any]] = []
    research: Research = Research()
    reports: Reports = Reports()
    notifications: Notifications = Notifications()
    access: Access = Access()
    # The optimiser's settings, checked by include.portfolio.settings (PortfolioSettings).
    portfolio: dict[str, Any] = {}
    # The desk (venue, symbols, limits, ledger), checked by include.execution.settings (ExecutionSettings).
    execution: dict[str, Any] = {}

    @model_validator(mode="after")
    def _gap_overrides_name_the_universe(self):
        problems = gap_override_problems(self.validation.gap_ratio_overrides, self.universe)
        if problems:
            raise ValueError("; ".join(problems))
        return self

    def series(self) -> list[Series]:
        """Every (exchange, symbol, timeframe) the universe declares."""
        out = []
        for ex in self.universe.exchanges:
            for symbol in ex.symbols or self.universe.symbols:
                for tf in ex.timeframes or self.universe.timeframes:
                    out.append(Series(exchange=ex.id, symbol=symbol, timeframe=tf))
        return out

    def exchange(self, exchange_id: str) -> ExchangeSpec:
        for ex in self.universe.exchanges:
            if ex.id == exchange_id:
                return ex
        raise KeyError(exchange_id)

