"""The emulator's fault plan: which request meets which fault, drawn from a seed or read from a script.

Two classes of fault:
- response faults (at most one per request) change what the client hears: the response is lost,
  refused, or an error whose outcome is unknown;
- venue behaviours (any number per request) change what the venue does with an order: a partial
  fill, a lag before queries see the order, a fill that lands just before a cancel.

Random mode: each request on an eligible endpoint draws every kind's probability in a fixed order
from one `random.Random(seed)`, so a single-threaded client meets the same faults on every run.
Script mode: a queue of Fault(kind, endpoint); the head is consumed by the next request it
matches, which is what unit tests use to hit one exact request. Both can be combined.
"""
from __future__ import annotations

import random
from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from decimal import Decimal

RESPONSE_KINDS = ("lost_response", "unknown_1007", "rate_limit_429", "ban_418", "server_5xx", "duplicate_reject")
BEHAVIOUR_KINDS = ("partial_fill", "not_found_lag", "late_fill_after_cancel")
KINDS = RESPONSE_KINDS + BEHAVIOUR_KINDS

PUBLIC_ENDPOINTS = ("exchange_info", "time", "ticker")
PRIVATE_ENDPOINTS = ("account", "create", "query", "cancel", "open_orders", "all_orders", "my_trades")
ENDPOINTS = PUBLIC_ENDPOINTS + PRIVATE_ENDPOINTS

# Where a kind can happen; "any" = every endpoint.
WHERE = {
    "lost_response": ENDPOINTS, "unknown_1007": ENDPOINTS, "rate_limit_429": ENDPOINTS, "ban_418": ENDPOINTS,
    "server_5xx": ENDPOINTS, "duplicate_reject": ("create",), "partial_fill": ("create",),
    "not_found_lag": ("create",), "late_fill_after_cancel": ("cancel",),
}
SERVER_STATUSES = (500, 502, 503)


@dataclass(frozen=True)
class Fault:
    """One fault. Unset details are drawn from the plan's seed when the fault is injected.

    processed: unknown_1007 / server_5xx: whether the venue acted on the request before failing.
    status: server_5xx: 500, 502 or 503.   lag: not_found_lag: how many queries miss the order (1..4).
    fraction: partial_fill / late_fill_after_cancel: the share of the (remaining) quantity that fills.
    """
    kind: str
    endpoint: str = "any"
    processed: bool | None = None
    status: int | None = None
    lag: int | None = None
    fraction: Decimal | None = None

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(f"fault kind {self.kind!r} is unknown; valid: {', '.join(KINDS)}")
        if self.endpoint != "any" and self.endpoint not in WHERE[self.kind]:
            raise ValueError(f"fault {self.kind!r} cannot happen on endpoint {self.endpoint!r}; "
                             f"valid: any, {', '.join(WHERE[self.kind])}")
        if self.status is not None and self.status not in SERVER_STATUSES:
            raise ValueError(f"fault status {self.status} is not one of {SERVER_STATUSES}")
        if self.lag is not None and self.lag < 1:
            raise ValueError(f"fault lag {self.lag} must be at least 1 query")
        if self.fraction is not None and not Decimal(0) < Decimal(self.fraction) <= Decimal(1):
            raise ValueError(f"fault fraction {self.fraction} must be in (0, 1]")

    def applies_to(self, endpoint: str) -> bool:
        return endpoint in WHERE[self.kind] and self.endpoint in ("any", endpoint)


@dataclass
class Injection:
    """The faults one request meets, every detail resolved."""
    response: Fault | None = None
    behaviours: dict[str, Fault] | None = None

    def behaviour(self, kind: str) -> Fault | None:
        return (self.behaviours or {}).get(kind)

    def kinds(self) -> list[str]:
        return ([self.response.kind] if self.response else []) + list(self.behaviours or {})


class FaultPlan:
    """Faults per request: probabilities per kind (seeded) and/or a script of Faults.

    rates: {kind: probability per eligible request}; endpoints: where random faults may happen
    (default: the private endpoints, so market loading stays clean unless asked for);
    lost_delay_s: how long a lost response is held back (just beyond the client's timeout);
    retry_after_s: the Retry-After of 429/418 answers.
    """

    def __init__(self, seed: int = 0, rates: Mapping[str, float] | None = None,
                 script: Iterable[Fault | tuple] = (), *, endpoints: Iterable[str] = PRIVATE_ENDPOINTS,
                 lost_delay_s: float = 0.8, retry_after_s: int = 1):
        self.seed = seed
        self.rates = dict(rates or {})
        for kind, p in self.rates.items():
            if kind not in KINDS:
                raise ValueError(f"fault rate for unknown kind {kind!r}; valid: {', '.join(KINDS)}")
            if not 0.0 <= p <= 1.0:
                raise ValueError(f"fault rate {kind}={p} must be a probability in [0, 1]")
        self.endpoints = tuple(endpoints)
        for e in self.endpoints:
            if e not in ENDPOINTS:
                raise ValueError(f"fault endpoint {e!r} is unknown; valid: {', '.join(ENDPOINTS)}")
        if lost_delay_s <= 0:
            raise ValueError(f"lost_delay_s {lost_delay_s} must be positive (beyond the client's timeout)")
        self.lost_delay_s = lost_delay_s
        self.retry_after_s = retry_after_s
        self.script: deque[Fault] = deque(_as_fault(entry) for entry in script)
        self._rng = random.Random(seed)

    @classmethod
    def none(cls) -> FaultPlan:
        return cls()

    @classmethod
    def scripted(cls, *entries: Fault | tuple, seed: int = 0, **options) -> FaultPlan:
        return cls(seed=seed, script=entries, **options)

    def pending(self) -> list[Fault]:
        """Scripted faults not yet met by a request."""
        return list(self.script)

    def draw(self, endpoint: str) -> Injection:
        """The faults of the next request on `endpoint` (called under the venue's lock)."""
        injection = Injection(behaviours={})
        while self.script and self.script[0].applies_to(endpoint):
            head = self.script[0]
            if head.kind in RESPONSE_KINDS:
                if injection.response is not None:
                    break
                injection.response = self._resolve(head)
            else:
                if head.kind in injection.behaviours:
                    break
                injection.behaviours[head.kind] = self._resolve(head)
            self.script.popleft()
        if endpoint in self.endpoints:
            for kind in KINDS:  # fixed order: the same seed gives the same faults
                p = self.rates.get(kind, 0.0)
                if not p or endpoint not in WHERE[kind]:
                    continue
                hit = self._rng.random() < p
                if not hit:
                    continue
                if kind in RESPONSE_KINDS and injection.response is None:
                    injection.response = self._resolve(Fault(kind))
                elif kind in BEHAVIOUR_KINDS and kind not in injection.behaviours:
                    injection.behaviours[kind] = self._resolve(Fault(kind))
        return injection

    def _resolve(self, fault: Fault) -> Fault:
        rng = self._rng
        if fault.kind in ("unknown_1007", "server_5xx") and fault.processed is None:
            fault = replace(fault, processed=rng.random() < 0.5)
        if fault.kind == "server_5xx" and fault.status is None:
            fault = replace(fault, status=rng.choice(SERVER_STATUSES))
        if fault.kind == "not_found_lag" and fault.lag is None:
            fault = replace(fault, lag=rng.randint(1, 4))
        if fault.kind in ("partial_fill", "late_fill_after_cancel") and fault.fraction is None:
            fault = replace(fault, fraction=Decimal(rng.randint(1, 9)) / 10)
        return fault


def _as_fault(entry: Fault | tuple) -> Fault:
    """A script entry: a Fault, or (endpoint-or-"any", kind) with an optional dict of details."""
    if isinstance(entry, Fault):
        return entry
    if isinstance(entry, tuple) and len(entry) in (2, 3):
        endpoint, kind = entry[0], entry[1]
        details = entry[2] if len(entry) == 3 else {}
        return Fault(kind=kind, endpoint=endpoint, **details)
    raise ValueError(f"fault script entry {entry!r} must be a Fault or (endpoint, kind[, details])")
