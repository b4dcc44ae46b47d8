"""The desk's three-level drawdown circuit breaker on the paper equity (the backtester's levels and actions).

drawdown = 1 - equity / peak, peak = the running maximum of the recorded equity marks.
Thresholds and actions are include.backtest.config.Breaker's defaults: level 1 at
warn (5 %) warns, level 2 at halve (10 %) halves risk-increasing orders, level 3 at
halt (15 %) halts: rebalances refuse, only risk-reducing orders may leave (flatten_all,
liquidations). Levels 0-2 follow the drawdown both ways. Level 3 lasts one day (the
backtester's halt_bars default on daily bars); after it the peak resets to the equity
then and the level returns to 0 (flat, equity cannot recover by itself).
Every evaluation is an append-only mark in the ledger (table equity_marks).
"""
from __future__ import annotations

from dataclasses import asdict, dataclass
from decimal import Decimal

from include.backtest.breaker import ACTIONS, HALT_LEVEL, level_for  # the backtester's levels, not a copy
from include.execution.ledger import Ledger
from include.timeframes import DAY_MS

__all__ = ["ACTIONS", "HALT_LEVEL", "BreakerState", "current", "evaluate", "level_for", "thresholds"]


def thresholds() -> tuple[float, float, float]:
    """(warn, halve, halt): the backtester's Breaker defaults, the one place these numbers live."""
    from include.backtest.config import Breaker

    default = Breaker()
    return default.warn, default.halve, default.halt


@dataclass(frozen=True)
class BreakerState:
    level: int
    previous: int
    drawdown: float
    equity: float
    peak: float
    limit: float | None  # the threshold of the current level (None at level 0)

    @property
    def action(self) -> str:
        return ACTIONS[self.level]

    @property
    def changed(self) -> bool:
        return self.level != self.previous

    def describe(self) -> str:
        limit = "" if self.limit is None else f" (limit {self.limit:.1%})"
        return (f"circuit breaker level {self.level} ({self.action}): drawdown {self.drawdown:.2%}{limit}, "
                f"equity {self.equity:,.2f} from a peak of {self.peak:,.2f}")

    def notification(self) -> str | None:
        """The text for the notifier channels when the level changed, else None."""
        if not self.changed:
            return None
        return f"[Peak Trade] paper desk: circuit breaker level {self.previous} -> {self.level}. {self.describe()}"

    def as_dict(self) -> dict:
        return asdict(self) | {"action": self.action, "notification": self.notification()}


def current(ledger: Ledger) -> int:
    """The level of the latest mark (0 before any)."""
    marks = ledger.marks()
    return int(marks[-1]["level"]) if marks else 0


def evaluate(ledger: Ledger, equity, *, ts_ms: int, source: str, run_id: str | None = None) -> BreakerState:
    """Mark equity, move the breaker, record the mark; the state after it."""
    warn, halve, halt = thresholds()
    marks = ledger.marks()
    equity = Decimal(str(equity))
    previous = int(marks[-1]["level"]) if marks else 0
    peak = max([m["peak"] for m in marks[-1:]] + [equity])
    drawdown = float(1 - equity / peak) if peak > 0 else 0.0
    if previous == HALT_LEVEL:
        halted_since = ts_ms
        for mark in reversed(marks):  # the first mark of the current halt
            if mark["level"] != HALT_LEVEL:
                break
            halted_since = mark["ts_ms"]
        if ts_ms - halted_since >= DAY_MS:  # the halt has lasted a day: resume from a fresh peak
            peak, drawdown, level = equity, 0.0, 0
        else:
            level = HALT_LEVEL
    else:
        level = level_for(drawdown, warn, halve, halt)
    ledger.record_mark(ts_ms=ts_ms, equity=equity, peak=peak, drawdown=Decimal(str(round(drawdown, 12))),
                       level=level, source=source, run_id=run_id)
    limit = (None, warn, halve, halt)[level]
    return BreakerState(level, previous, drawdown, float(equity), float(peak), limit)
