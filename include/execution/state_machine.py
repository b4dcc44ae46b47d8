"""The order state machine: one transition table, in the style of nautilus_trader's.

new -> submitted is ours (written before the broker is called); the venue's answers
move it on. `unknown` is a submission whose outcome we do not know (a timeout, a
crash between send and answer): submit asks the venue by client order id, and `lost` is an
unknown order the venue did not know after that: still open (it may yet appear), tracked,
cancelled actively, and matched against later fills by reconciliation (hummingbot's
lost-order tracker); whatever the venue reports for it later is applied.
Late fills are legal: a fill can race a cancel (pending_cancel, cancelled) or an
expiry, and a fill that happened must be applied.
"""
from __future__ import annotations

from enum import Enum

from include.execution.errors import IllegalTransition


class OrderStatus(str, Enum):
    NEW = "new"
    SUBMITTED = "submitted"
    ACCEPTED = "accepted"
    PARTIALLY_FILLED = "partially_filled"
    FILLED = "filled"
    PENDING_CANCEL = "pending_cancel"
    CANCELLED = "cancelled"
    REJECTED = "rejected"
    EXPIRED = "expired"
    UNKNOWN = "unknown"
    LOST = "lost"


S = OrderStatus
_FILLS = {S.PARTIALLY_FILLED, S.FILLED}

TRANSITIONS: dict[OrderStatus, frozenset[OrderStatus]] = {
    S.NEW: frozenset({S.SUBMITTED, S.REJECTED, S.CANCELLED}),  # rejected/cancelled before sending (risk, operator)
    S.SUBMITTED: frozenset({S.ACCEPTED, S.REJECTED, S.UNKNOWN, S.PARTIALLY_FILLED, S.FILLED, S.CANCELLED,
                            S.EXPIRED, S.PENDING_CANCEL}),
    S.ACCEPTED: frozenset({S.PARTIALLY_FILLED, S.FILLED, S.PENDING_CANCEL, S.CANCELLED, S.EXPIRED}),
    S.PARTIALLY_FILLED: frozenset({S.PARTIALLY_FILLED, S.FILLED, S.PENDING_CANCEL, S.CANCELLED, S.EXPIRED}),
    S.PENDING_CANCEL: frozenset({S.CANCELLED, S.ACCEPTED, S.EXPIRED} | _FILLS),  # accepted: the cancel was refused
    S.CANCELLED: frozenset(_FILLS),   # late fills
    S.EXPIRED: frozenset(_FILLS),     # late fills
    S.UNKNOWN: frozenset({S.ACCEPTED, S.REJECTED, S.CANCELLED, S.EXPIRED, S.PENDING_CANCEL, S.LOST} | _FILLS),
    S.LOST: frozenset({S.ACCEPTED, S.REJECTED, S.CANCELLED, S.EXPIRED, S.PENDING_CANCEL} | _FILLS),
    S.FILLED: frozenset(),
    S.REJECTED: frozenset(),
}

OPEN = frozenset({S.SUBMITTED, S.ACCEPTED, S.PARTIALLY_FILLED, S.PENDING_CANCEL, S.UNKNOWN, S.LOST})
FINAL = frozenset({S.FILLED, S.CANCELLED, S.REJECTED, S.EXPIRED})  # cancelled/expired still take late fills


def status(value: str | OrderStatus) -> OrderStatus:
    try:
        return OrderStatus(value)
    except ValueError:
        valid = ", ".join(s.value for s in OrderStatus)
        raise IllegalTransition(f"order status {value!r} is unknown; valid: {valid}") from None


def is_legal(from_: OrderStatus | str, to: OrderStatus | str) -> bool:
    return status(to) in TRANSITIONS[status(from_)]


def check_transition(client_order_id: str, from_: OrderStatus | str, to: OrderStatus | str) -> OrderStatus:
    """The new status, or IllegalTransition naming the order, from and to."""
    from_, to = status(from_), status(to)
    if to not in TRANSITIONS[from_]:
        legal = ", ".join(sorted(s.value for s in TRANSITIONS[from_])) or "none (final)"
        raise IllegalTransition(f"order {client_order_id}: illegal transition {from_.value} -> {to.value}; "
                                f"legal from {from_.value}: {legal}")
    return to


class OrderStateMachine:
    """One order's status, moved only through the table."""

    def __init__(self, client_order_id: str, initial: OrderStatus | str = S.NEW):
        self.client_order_id = client_order_id
        self.status = status(initial)
        self.history: list[OrderStatus] = [self.status]

    def apply(self, to: OrderStatus | str) -> OrderStatus:
        self.status = check_transition(self.client_order_id, self.status, to)
        self.history.append(self.status)
        return self.status

    @property
    def is_open(self) -> bool:
        return self.status in OPEN


def status_after_fill(filled, amount) -> OrderStatus:
    """filled or partially_filled, from the cumulative filled amount."""
    return S.FILLED if filled >= amount else S.PARTIALLY_FILLED


def from_ccxt(order: dict) -> OrderStatus:
    """Our status for a ccxt unified order structure (status open/closed/canceled/expired/rejected)."""
    raw = order.get("status")
    filled = order.get("filled") or 0
    if raw == "open":
        return S.PARTIALLY_FILLED if filled > 0 else S.ACCEPTED
    mapped = {"closed": S.FILLED, "canceled": S.CANCELLED, "cancelled": S.CANCELLED, "expired": S.EXPIRED,
              "rejected": S.REJECTED}.get(raw)
    if mapped is None:
        raise IllegalTransition(f"order {order.get('clientOrderId') or order.get('id')}: venue status {raw!r} "
                                f"is unknown; valid: open, closed, canceled, expired, rejected")
    return mapped
