"""Daily returns for the optimiser, read from the warehouse's Parquet exports (never the DuckDB file).

The export this reads, `fct_daily_returns.parquet`, holds one row per (exchange, symbol,
trade_date) with the columns of DAILY_RETURNS_COLUMNS: the one-day simple return of the
daily close (docs/definitions.md, dbt model int_daily_returns). A return that spans a
gap (days_spanned > 1) is not a one-day observation and is dropped, as the marts'
consecutive_daily_returns macro does; a day is kept only when every requested symbol
has a return that day, so the covariance is estimated on one common calendar.
"""
from __future__ import annotations

import logging
from datetime import date, timedelta
from pathlib import Path

import pandas as pd

from include.errors import closest
from include.portfolio.constraints import PortfolioInputError

log = logging.getLogger(__name__)

DAILY_RETURNS_EXPORT = "fct_daily_returns"
DAILY_RETURNS_COLUMNS = {
    "exchange": "string",
    "symbol": "string",
    "trade_date": "date (UTC day the return ends on)",
    "daily_return": "double (close / previous close - 1)",
    "days_spanned": "integer (days since the previous close; 1 for a one-day return)",
}
MIN_COMMON_DAYS = 2


def daily_returns_file(exports_dir: Path) -> Path:
    return Path(exports_dir) / f"{DAILY_RETURNS_EXPORT}.parquet"


def load_daily_returns(
    exports_dir: Path,
    symbols: list[str],
    lookback_days: int,
    exchange: str | None = None,
    end: date | None = None,
) -> pd.DataFrame:
    """Daily simple returns, dates x symbols, of the last `lookback_days` calendar days up to `end`.

    `end` defaults to the latest trade_date of the requested symbols. A symbol quoted
    on more than one exchange needs `exchange`. Raises PortfolioInputError naming the
    missing file, column, symbol or the shortfall of common days.
    """
    path = daily_returns_file(exports_dir)
    if not path.is_file():
        raise PortfolioInputError(
            f"no daily-returns export at {path}; the warehouse must export the mart {DAILY_RETURNS_EXPORT!r} "
            f"with columns {', '.join(DAILY_RETURNS_COLUMNS)}"
        )
    if not symbols:
        raise PortfolioInputError("no symbols to load returns for; give at least one symbol")
    if lookback_days < MIN_COMMON_DAYS:
        raise PortfolioInputError(f"lookback_days is {lookback_days}; it must be at least {MIN_COMMON_DAYS}")
    frame = pd.read_parquet(path)
    missing = [c for c in DAILY_RETURNS_COLUMNS if c not in frame.columns]
    if missing:
        raise PortfolioInputError(f"{path} lacks column(s) {missing}; expected {list(DAILY_RETURNS_COLUMNS)}")

    if exchange is not None:
        if exchange not in set(frame["exchange"]):
            raise PortfolioInputError(f"exchange {exchange!r} is not in {path.name}; {closest(exchange, set(frame['exchange']))}")
        frame = frame[frame["exchange"] == exchange]
    venues = frame.groupby("symbol")["exchange"].unique()
    for symbol in symbols:
        if symbol not in venues.index:
            where = f" on {exchange!r}" if exchange else ""
            raise PortfolioInputError(f"symbol {symbol!r} has no daily returns{where} in {path.name}; {closest(symbol, venues.index)}")
        if len(venues[symbol]) > 1:
            raise PortfolioInputError(
                f"symbol {symbol!r} is quoted on {sorted(venues[symbol])}; pass exchange= one of them"
            )

    rows = frame[frame["symbol"].isin(symbols) & (frame["days_spanned"] == 1) & frame["daily_return"].notna()]
    dates = pd.to_datetime(rows["trade_date"])
    last = pd.Timestamp(end) if end is not None else dates.max()
    rows = rows[(dates > last - timedelta(days=lookback_days)) & (dates <= last)]
    wide = rows.assign(trade_date=pd.to_datetime(rows["trade_date"])).pivot(
        index="trade_date", columns="symbol", values="daily_return"
    ).reindex(columns=symbols).sort_index()
    common = wide.dropna(how="any")
    if len(common) < len(wide):
        log.info("daily returns: kept %d of %d days on which every one of %d symbols has a one-day return",
                 len(common), len(wide), len(symbols))
    if len(common) < MIN_COMMON_DAYS:
        short = wide.notna().sum().idxmin() if len(wide.columns) else symbols[0]
        raise PortfolioInputError(
            f"only {len(common)} day(s) in the {lookback_days} days to {last.date()} have a one-day return for every "
            f"symbol (fewest: {short!r} with {int(wide[short].notna().sum()) if short in wide else 0}); "
            f"at least {MIN_COMMON_DAYS} are needed: lengthen lookback_days or drop the symbol"
        )
    common.columns.name = None
    return common.astype("float64")
