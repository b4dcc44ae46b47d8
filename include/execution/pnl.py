"""Positions and PnL from fills, by average cost (docs/definitions.md, "Positions and PnL").

Exact Decimal arithmetic. Per symbol, fills in time order:
- a fill on the side of the position (or from flat) adds at its price to the average cost;
- a fill against the position realises (price - average cost) x closed quantity (x -1 for a
  short); a fill larger than the position flips it: the rest opens a new position at the
  fill price;
- every fee, converted to quote at the fill price when charged in the base currency,
  reduces realised PnL when paid; a base-currency fee also reduces the quantity held.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal

from include.execution.errors import LedgerError

ZERO = Decimal(0)


def base_quote(symbol: str) -> tuple[str, str]:
    """('BTC', 'USDT') of 'BTC/USDT' or 'BTC/USDT:USDT'."""
    if "/" not in symbol:
        raise LedgerError(f"symbol {symbol!r} is not BASE/QUOTE (ccxt's unified form, e.g. BTC/USDT)")
    base, rest = symbol.split("/", 1)
    return base, rest.split(":", 1)[0]


@dataclass
class Position:
    symbol: str
    quantity: Decimal = ZERO        # signed, base units
    average_cost: Decimal = ZERO    # quote per unit of the open quantity (0 when flat)
    realised_gross: Decimal = ZERO  # before fees
    fees: Decimal = ZERO            # quote

    @property
    def realised_pnl(self) -> Decimal:
        return self.realised_gross - self.fees

    def unrealised_pnl(self, mark) -> Decimal:
        return self.quantity * (Decimal(str(mark)) - self.average_cost) if self.quantity else ZERO

    def apply(self, side: str, amount: Decimal, price: Decimal, fee_cost: Decimal = ZERO,
              fee_currency: str | None = None, fill: str = "fill") -> None:
        signed = amount if side == "buy" else -amount
        q, cost = self.quantity, self.average_cost
        if q == 0 or (q > 0) == (signed > 0):
            self.average_cost = (abs(q) * cost + amount * price) / (abs(q) + amount)
            self.quantity = q + signed
        else:
            closed = min(amount, abs(q))
            self.realised_gross += closed * (price - cost) * (1 if q > 0 else -1)
            self.quantity = q + signed
            if self.quantity == 0:
                self.average_cost = ZERO
            elif (self.quantity > 0) != (q > 0):  # flipped through zero: the rest opens at the fill price
                self.average_cost = price
        self._fee(fee_cost, fee_currency, price, fill)

    def _fee(self, cost: Decimal, currency: str | None, price: Decimal, fill: str) -> None:
        if not cost:
            return
        base, quote = base_quote(self.symbol)
        if currency in (None, quote):
            self.fees += cost
        elif currency == base:
            self.fees += cost * price
            self.quantity -= cost
            if self.quantity == 0:
                self.average_cost = ZERO
        else:
            raise LedgerError(f"{fill}: fee in {currency} on {self.symbol}; fees are supported in {quote} or {base}")


def replay(fills: Iterable) -> dict[str, Position]:
    """Positions from fills (objects with symbol, side, amount, price, fee_cost, fee_currency, trade_id) in order."""
    out: dict[str, Position] = {}
    for f in fills:
        pos = out.setdefault(f.symbol, Position(f.symbol))
        pos.apply(f.side, f.amount, f.price, f.fee_cost, f.fee_currency, f"fill {f.trade_id}")
    return out


def pnl_table(positions: Mapping[str, Position], marks: Mapping[str, float] | None = None) -> list[dict]:
    """One row per symbol: quantity, average cost, realised (gross, fees, net), unrealised at the mark, total."""
    rows = []
    for symbol in sorted(positions):
        p = positions[symbol]
        mark = None if not marks or symbol not in marks else Decimal(str(marks[symbol]))
        unrealised = p.unrealised_pnl(mark) if mark is not None else (ZERO if p.quantity == 0 else None)
        rows.append({"symbol": symbol, "quantity": p.quantity, "average_cost": p.average_cost,
                     "realised_gross": p.realised_gross, "fees": p.fees, "realised_pnl": p.realised_pnl,
                     "mark": mark, "unrealised_pnl": unrealised,
                     "total_pnl": None if unrealised is None else p.realised_pnl + unrealised})
    return rows
