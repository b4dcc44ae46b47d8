"""A small simulated data directory for the desk: validated candles in raw/ and the daily-returns export.

The simulator's candles are written straight into raw/ as validated partitions (the
gate has its own tests): 1d candles for the optimiser's returns and 1h candles of the
last days, the smallest timeframe, which price the paper venue. The daily-returns
export (the warehouse's fct_daily_returns) is computed from the 1d closes with its
columns: exchange, symbol, trade_date, daily_return, days_spanned.
"""
from __future__ import annotations

import shutil
from datetime import datetime, timezone
from pathlib import Path

import pandas as pd

from include.landing.store import store_candles
from include.series import Series
from include.sources.sim.exchange import SimExchange
from include.timeframes import DAY_MS, to_ms

VENUE = "sim_alpha"
SYMBOLS = ["BTC/USDT", "ETH/USDT", "SOL/USDT"]
NOW = datetime(2024, 6, 1, 0, 30, tzinfo=timezone.utc)

CONFIG = """
universe:
  symbols: {symbols}
  timeframes: [1h, 1d]
  exchanges: [{{id: sim_alpha, source: sim}}]
history: {{start: {{1h: 3d, 1d: 120d}}}}
portfolio: {{method: min_variance, lookback_days: 120, max_weight: 0.45, cash_buffer: 0.02}}
execution:
  venue: sim_alpha
  fill_timeout_s: 0
  risk: {{max_order_notional: 60000, max_position_weight: 0.5, max_daily_turnover: 10, min_notional: 10}}
{extra}
"""


def config_text(symbols=SYMBOLS, extra: str = "") -> str:
    return CONFIG.format(symbols="[" + ", ".join(symbols) + "]", extra=extra)


def land_sim(data: Path, symbols=SYMBOLS, days: int = 120, hours_days: int = 2) -> None:
    client = SimExchange(VENUE, 7, clock=lambda: to_ms(NOW))
    end = to_ms(NOW) - to_ms(NOW) % DAY_MS
    for symbol in symbols:
        for timeframe, back in (("1d", days), ("1h", hours_days)):
            rows = client.fetch_ohlcv(symbol, timeframe, since=end - back * DAY_MS, limit=5000)
            frame = pd.DataFrame(rows, columns=["timestamp", "open", "high", "low", "close", "volume"])
            frame["timestamp"] = pd.to_datetime(frame["timestamp"].astype("int64"), unit="ms", utc=True) \
                .astype("datetime64[ms, UTC]")
            frame = frame[frame["timestamp"] < pd.Timestamp(end, unit="ms", tz="UTC")]
            series = Series(exchange=VENUE, symbol=symbol, timeframe=timeframe)
            store_candles(data / "raw", series, frame)
    write_daily_returns(data, symbols, client, end, days)


def write_daily_returns(data: Path, symbols, client: SimExchange, end: int, days: int) -> Path:
    frames = []
    for symbol in symbols:
        rows = client.fetch_ohlcv(symbol, "1d", since=end - days * DAY_MS, limit=5000)
        closes = pd.Series(rows[:, 4], index=pd.to_datetime(rows[:, 0].astype("int64"), unit="ms").date)
        frames.append(pd.DataFrame({"exchange": VENUE, "symbol": symbol, "trade_date": closes.index[1:],
                                    "daily_return": (closes / closes.shift(1) - 1).to_numpy()[1:],
                                    "days_spanned": 1}))
    path = data / "warehouse" / "exports" / "fct_daily_returns.parquet"
    path.parent.mkdir(parents=True, exist_ok=True)
    pd.concat(frames, ignore_index=True).to_parquet(path)
    return path


def build_warehouse(data: Path) -> None:
    """The real path for Airflow runs: dbt builds fct_daily_returns (and what it needs) from raw/, then
    exports it, replacing the hand-computed file, so publish_ledger finds the daily closes it marks with."""
    from include.warehouse.dbt_runner import run_dbt
    from include.warehouse.exports import export_marts

    run_dbt(["build", "--select", "+fct_daily_returns"], data)
    export_marts(data, ("fct_daily_returns",))


def desk_data(data: Path) -> None:
    """land_sim then build_warehouse into `data`, both done once per session (tests/session_cache.py) and
    copied: the DAG-run tests of the desk start from the same simulated data directory."""
    from tests.session_cache import built_once

    def build(folder: Path) -> None:
        land_sim(folder)
        build_warehouse(folder)

    shutil.copytree(built_once("desk-data", build), data, dirs_exist_ok=True)


def paper_rebalance(config, run_id: str, target_weights: dict) -> dict:
    """A paper rebalance to `target_weights` through the desk's library steps (no Airflow, kill switch
    released): how a DAG-run test seeds holdings without paying for another `airflow dags test`."""
    from include.execution import desk

    released = lambda: False  # noqa: E731
    form = desk.validate_form(config, {"dry_run": False, "target_weights": target_weights})
    desk.reconcile_desk(config, "start")
    positions = desk.load_positions(config, form, run_id)
    plan = desk.build_orders(config, run_id, positions, desk.compute_targets(config, form, positions))
    submitted = desk.execute_orders(config, desk.check_risk(config, positions, plan, released), released,
                                    dry_run=False)
    desk.track_fills(config, submitted)
    desk.reconcile_desk(config, "end")
    return submitted
