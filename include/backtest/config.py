"""The engine's settings: costs, position sizing, exits and the drawdown circuit breaker.

Frozen dataclasses so a sweep can build them once and reuse them across thousands
of runs; each checks its own values on construction and raises BacktestConfigError
naming the field and the valid range. Formulas: module docstrings of costs.py,
sizing.py, exits.py and breaker.py, and docs/backtest.md.
"""
from __future__ import annotations

from dataclasses import dataclass

from include.errors import PeakTradeError


class BacktestConfigError(PeakTradeError):
    """A cost, sizing, exit or breaker setting is out of range."""


def _require(ok: bool, owner: str, field: str, value, valid: str) -> None:
    if not ok:
        raise BacktestConfigError(f"{owner}.{field} = {value!r} is invalid; valid: {valid}")


def _fraction(owner: str, field: str, value, *, allow_zero: bool = True) -> None:
    low_ok = value >= 0 if allow_zero else value > 0
    _require(low_ok and value <= 1, owner, field, value, "a fraction in " + ("[0, 1]" if allow_zero else "(0, 1]"))


@dataclass(frozen=True)
class Costs:
    """Fees in basis points of traded notional, and adverse slippage.

    fee_side: which fee signal orders pay ('taker' for market orders, the default;
    'maker' for resting limit orders). Exits (stop, trailing stop, take profit) always
    pay taker: once triggered they are market orders.
    slippage per fill = slippage_bps / 1e4 + slippage_vol_k * the per-bar std of simple
    returns over the last vol_window bars, known at the previous close (costs.py).
    """

    taker_bps: float = 10.0
    maker_bps: float = 2.0
    fee_side: str = "taker"
    slippage_bps: float = 2.0
    slippage_vol_k: float = 0.5
    vol_window: int = 20

    def __post_init__(self):
        for field in ("taker_bps", "maker_bps", "slippage_bps", "slippage_vol_k"):
            value = getattr(self, field)
            _require(value >= 0, "Costs", field, value, "a number >= 0")
        _require(self.fee_side in ("taker", "maker"), "Costs", "fee_side", self.fee_side, "'taker' or 'maker'")
        _require(self.vol_window >= 2, "Costs", "vol_window", self.vol_window, "an int >= 2")

    @classmethod
    def zero(cls) -> Costs:
        """No fees, no slippage."""
        return cls(taker_bps=0.0, maker_bps=0.0, slippage_bps=0.0, slippage_vol_k=0.0)

    @property
    def signal_fee(self) -> float:
        return (self.taker_bps if self.fee_side == "taker" else self.maker_bps) / 1e4

    @property
    def exit_fee(self) -> float:
        return self.taker_bps / 1e4


SIZING_METHODS = ("fixed", "vol_target", "kelly")


@dataclass(frozen=True)
class Sizing:
    """How much of equity a full signal (|target| = 1) puts at risk; see sizing.py."""

    method: str = "fixed"
    fraction: float = 1.0            # fixed: exposure per unit of signal
    target_vol: float = 0.5          # vol_target: annualised volatility aimed at
    vol_window: int = 20             # vol_target: bars of returns in the realised vol
    max_leverage: float = 1.0        # vol_target: cap on the exposure
    kelly_window: int = 50           # kelly: closed trades the win rate and payoff use
    kelly_min_trades: int = 10       # kelly: fewer closed trades -> fallback
    kelly_fraction: float = 0.25     # kelly: multiplier on the full Kelly fraction
    kelly_cap: float = 0.20          # kelly: largest exposure
    kelly_fallback: float = 0.02     # kelly: exposure when Kelly is not meaningful

    def __post_init__(self):
        _require(self.method in SIZING_METHODS, "Sizing", "method", self.method, ", ".join(SIZING_METHODS))
        _require(0 < self.fraction <= 10, "Sizing", "fraction", self.fraction, "a number in (0, 10]")
        _require(self.target_vol > 0, "Sizing", "target_vol", self.target_vol, "a number > 0")
        _require(self.vol_window >= 2, "Sizing", "vol_window", self.vol_window, "an int >= 2")
        _require(0 < self.max_leverage <= 10, "Sizing", "max_leverage", self.max_leverage, "a number in (0, 10]")
        _require(self.kelly_window >= 1, "Sizing", "kelly_window", self.kelly_window, "an int >= 1")
        _require(1 <= self.kelly_min_trades <= self.kelly_window, "Sizing", "kelly_min_trades",
                 self.kelly_min_trades, f"an int in [1, kelly_window={self.kelly_window}]")
        _fraction("Sizing", "kelly_fraction", self.kelly_fraction, allow_zero=False)
        _fraction("Sizing", "kelly_cap", self.kelly_cap, allow_zero=False)
        _fraction("Sizing", "kelly_fallback", self.kelly_fallback, allow_zero=False)


@dataclass(frozen=True)
class Exits:
    """Stops and targets, fractions of the entry price; None switches one off. See exits.py."""

    stop_loss: float | None = None
    take_profit: float | None = None
    trail_atr_mult: float | None = None  # ATR trailing stop on when set
    atr_window: int = 14
    trail_min_pct: float = 0.005         # the trailing distance stays within [min, max] of the best price
    trail_max_pct: float = 0.05
    lock_trigger: float = 0.03           # once the best price is this far in profit ...
    lock_profit: float = 0.01            # ... the stop locks at least this much profit

    def __post_init__(self):
        for field in ("stop_loss", "take_profit"):
            value = getattr(self, field)
            _require(value is None or 0 < value < 1, "Exits", field, value, "None or a fraction in (0, 1)")
        _require(self.trail_atr_mult is None or self.trail_atr_mult > 0, "Exits", "trail_atr_mult",
                 self.trail_atr_mult, "None or a number > 0")
        _require(self.atr_window >= 1, "Exits", "atr_window", self.atr_window, "an int >= 1")
        _require(0 < self.trail_min_pct <= self.trail_max_pct < 1, "Exits", "trail_min_pct/trail_max_pct",
                 (self.trail_min_pct, self.trail_max_pct), "0 < trail_min_pct <= trail_max_pct < 1")
        _require(self.lock_trigger > self.lock_profit >= 0, "Exits", "lock_trigger/lock_profit",
                 (self.lock_trigger, self.lock_profit), "lock_trigger > lock_profit >= 0")

    @property
    def active(self) -> bool:
        return any(x is not None for x in (self.stop_loss, self.take_profit, self.trail_atr_mult))


@dataclass(frozen=True)
class Breaker:
    """Drawdown circuit breaker on equity from its running peak; see breaker.py.

    warn/halve/halt: drawdowns (fractions) that start levels 1, 2 and 3.
    halve_scale: exposure multiplier at level 2. halt_bars: bars level 3 lasts
    before trading resumes from a new peak; None means one day of bars for the
    series' timeframe (1440 on 1m, 24 on 1h, 1 on 1d).
    """

    warn: float = 0.05
    halve: float = 0.10
    halt: float = 0.15
    halve_scale: float = 0.5
    halt_bars: int | None = None

    def __post_init__(self):
        _require(0 < self.warn < self.halve < self.halt < 1, "Breaker", "warn/halve/halt",
                 (self.warn, self.halve, self.halt), "0 < warn < halve < halt < 1")
        _fraction("Breaker", "halve_scale", self.halve_scale, allow_zero=False)
        _require(self.halt_bars is None or self.halt_bars >= 1, "Breaker", "halt_bars", self.halt_bars,
                 "None or an int >= 1")
