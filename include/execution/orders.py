"""Order intents and their deterministic client order ids.

An intent is what we mean to send, written to the ledger before it is sent. Its
client order id is derived from (run id, symbol, side, leg) only, so a re-run of
the same rebalance produces the same id and the ledger's unique constraint finds
the order instead of sending it again.
"""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from decimal import Decimal

from include.execution.errors import OrderError

SIDES = ("buy", "sell")
ORDER_TYPES = ("market", "limit")
DEFAULT_ID_LENGTH = 32   # Binance allows 36, OKX 32 (letters and digits only); most venues at least 32
MIN_DIGEST_CHARS = 16    # 64 bits of the hash: collisions within one ledger are negligible
_ID_CHARS = re.compile(r"^[A-Za-z0-9]+$")  # OKX's clOrdId: no '-' or '_', so none anywhere


def client_order_id(run_id: str, symbol: str, side: str, leg: str, *, prefix: str = "pt",
                    max_length: int = DEFAULT_ID_LENGTH) -> str:
    """`<prefix><hex sha256 of the four fields>`, cut to max_length: stable across processes and machines.
    Letters and digits only, the strictest venue alphabet (OKX), so one id fits every venue."""
    if side not in SIDES:
        raise OrderError(f"side {side!r} of {symbol} is invalid; valid: {', '.join(SIDES)}")
    if not _ID_CHARS.match(prefix):
        raise OrderError(f"client id prefix {prefix!r} is invalid; valid: letters and digits")
    room = max_length - len(prefix)
    if room < MIN_DIGEST_CHARS:
        raise OrderError(f"client id max_length {max_length} leaves {room} hash characters after prefix "
                         f"{prefix!r}; valid: at least {len(prefix) + MIN_DIGEST_CHARS}")
    key = "\x1f".join((run_id, symbol, side, leg)).encode("utf-8")
    return f"{prefix}{hashlib.sha256(key).hexdigest()[:room]}"


def as_decimal(value, what: str) -> Decimal:
    """A Decimal from a str, int, float (through its shortest repr) or Decimal; names `what` when it is not a number."""
    if isinstance(value, Decimal):
        result = value
    else:
        try:
            result = Decimal(str(value))
        except Exception:  # decimal.InvalidOperation and friends
            raise OrderError(f"{what} = {value!r} is not a number") from None
    if not result.is_finite():
        raise OrderError(f"{what} = {value!r} is not a finite number")
    return result


@dataclass(frozen=True)
class OrderIntent:
    """One order as decided: what, how much, why. amount is in base units, prices in quote."""

    client_order_id: str
    symbol: str
    side: str
    type: str
    amount: Decimal
    limit_price: Decimal | None = None
    arrival_price: Decimal | None = None   # the price when decided: implementation shortfall is measured from it
    reason: str = ""
    leg: str = "main"
    run_id: str = ""
    params: dict = field(default_factory=dict, compare=False)  # venue extras (timeInForce, ...)

    def __post_init__(self):
        name = f"order {self.client_order_id} ({self.symbol})"
        if self.side not in SIDES:
            raise OrderError(f"{name}: side {self.side!r} is invalid; valid: {', '.join(SIDES)}")
        if self.type not in ORDER_TYPES:
            raise OrderError(f"{name}: type {self.type!r} is invalid; valid: {', '.join(ORDER_TYPES)}")
        object.__setattr__(self, "amount", as_decimal(self.amount, f"{name} amount"))
        if self.amount <= 0:
            raise OrderError(f"{name}: amount {self.amount} is invalid; valid: a number > 0")
        for attr in ("limit_price", "arrival_price"):
            value = getattr(self, attr)
            if value is not None:
                value = as_decimal(value, f"{name} {attr}")
                if value <= 0:
                    raise OrderError(f"{name}: {attr} {value} is invalid; valid: a number > 0")
                object.__setattr__(self, attr, value)
        if self.type == "limit" and self.limit_price is None:
            raise OrderError(f"{name}: a limit order needs limit_price")

    @property
    def signed_amount(self) -> Decimal:
        return self.amount if self.side == "buy" else -self.amount

    @property
    def notional(self) -> Decimal | None:
        """amount x (limit price, else arrival price), in quote currency."""
        price = self.limit_price if self.limit_price is not None else self.arrival_price
        return None if price is None else self.amount * price


def make_order(run_id: str, symbol: str, side: str, amount, *, leg: str = "main", type: str = "market",
               limit_price=None, arrival_price=None, reason: str = "", id_length: int = DEFAULT_ID_LENGTH,
               id_prefix: str = "pt") -> OrderIntent:
    """An intent with its deterministic client order id."""
    cid = client_order_id(run_id, symbol, side, leg, prefix=id_prefix, max_length=id_length)
    return OrderIntent(cid, symbol, side, type, amount, limit_price, arrival_price, reason, leg, run_id)
