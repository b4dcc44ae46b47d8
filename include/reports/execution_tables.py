"""The report's execution sections from the ledger marts' exports (fct_pnl, fct_orders, fct_fills): positions at the period's end, the period's trades (fills grouped by order), orders
and fills, and the paper portfolio's equity day by day. Figures are the warehouse's as stored;
only the grouping of fills into trades and the renaming happen here."""
from __future__ import annotations

import pandas as pd

from include.reports.model import ReportPeriod

PAPER_COLUMNS = ["trade_date", "equity", "cash", "pnl", "total_pnl", "realised_pnl", "unrealised_pnl", "fees",
                 "daily_return", "drawdown"]


def _in_period(frame: pd.DataFrame, period: ReportPeriod) -> pd.DataFrame:
    return frame[(frame.trade_date >= period.start) & (frame.trade_date <= period.end)]


def paper(pnl: pd.DataFrame, period: ReportPeriod) -> pd.DataFrame:
    total = pnl[(pnl.level == "total") & (pnl.trade_date <= period.end)]
    return total[PAPER_COLUMNS].sort_values("trade_date").reset_index(drop=True)


def positions(pnl: pd.DataFrame, period: ReportPeriod) -> pd.DataFrame:
    """Every symbol the desk has traded, as of the last ledger day on or before the period's end."""
    known = pnl[pnl.trade_date <= period.end]
    if known.empty:
        return known
    day = known[known.trade_date == known.trade_date.max()]
    equity = day[day.level == "total"].equity
    rows = day[day.level == "symbol"].sort_values(["exchange", "symbol"])
    weight = rows.market_value / equity.iloc[0] if len(equity) and equity.iloc[0] else None
    return pd.DataFrame({
        "exchange": rows.exchange, "symbol": rows.symbol, "quantity": rows.quantity,
        "average_cost": rows.average_cost, "close": rows.close, "value": rows.market_value, "weight": weight,
        "unrealised_pnl": rows.unrealised_pnl, "realised_pnl": rows.realised_pnl, "fees": rows.fees,
        "total_pnl": rows.total_pnl, "as_of_date": rows.trade_date}).reset_index(drop=True)


def orders(frame: pd.DataFrame, period: ReportPeriod) -> pd.DataFrame:
    rows = _in_period(frame, period).sort_values("created_at")
    return pd.DataFrame({
        "ts": rows.created_at, "exchange": rows.exchange, "symbol": rows.symbol, "side": rows.side,
        "type": rows.order_type, "quantity": rows.amount, "limit_price": rows.limit_price,
        "arrival_price": rows.arrival_price, "status": rows.status, "filled": rows.filled_amount,
        "average_price": rows.average_price, "fees": rows.fees, "slippage_bps": rows.slippage_bps,
        "reason": rows.reason, "order_id": rows.client_order_id}).reset_index(drop=True)


def fills(frame: pd.DataFrame, period: ReportPeriod) -> pd.DataFrame:
    rows = _in_period(frame, period).sort_values(["ts", "trade_id"])
    return pd.DataFrame({
        "ts": rows.ts, "exchange": rows.exchange, "symbol": rows.symbol, "side": rows.side,
        "quantity": rows.amount, "price": rows.price, "fees": rows.fee_quote, "arrival_price": rows.arrival_price,
        "slippage_bps": rows.slippage_bps, "slippage": rows.slippage_quote, "order_id": rows.client_order_id,
        "trade_id": rows.trade_id}).reset_index(drop=True)


def trades(period_fills: pd.DataFrame) -> pd.DataFrame:
    """The period's fills grouped by order: quantity, volume-weighted price, fees, slippage against arrival."""
    columns = ["order_id", "ts", "exchange", "symbol", "side", "quantity", "price", "fees", "slippage_bps",
               "slippage", "n_fills"]
    if period_fills.empty:
        return pd.DataFrame(columns=columns)
    frame = period_fills.assign(notional=period_fills.quantity * period_fills.price,
                                order_id=period_fills.order_id.fillna(period_fills.trade_id))
    grouped = frame.groupby("order_id", sort=False).agg(
        ts=("ts", "min"), exchange=("exchange", "first"), symbol=("symbol", "first"), side=("side", "first"),
        quantity=("quantity", "sum"), notional=("notional", "sum"), fees=("fees", "sum"),
        arrival_price=("arrival_price", "first"), slippage=("slippage", lambda s: s.sum(min_count=1)),
        n_fills=("trade_id", "count")).reset_index()
    grouped["price"] = grouped.notional / grouped.quantity
    sign = grouped.side.map({"buy": 1.0, "sell": -1.0})
    grouped["slippage_bps"] = sign * (grouped.price / grouped.arrival_price - 1) * 10_000
    return grouped.sort_values("ts")[columns].reset_index(drop=True)
