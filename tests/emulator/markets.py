"""The emulated venue's markets: Binance spot filters (PRICE_FILTER, LOT_SIZE, NOTIONAL) per symbol."""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal


def _d(value) -> Decimal:
    return value if isinstance(value, Decimal) else Decimal(str(value))


@dataclass(frozen=True)
class MarketSpec:
    """One spot market. Values as Binance publishes them for the real pair (tick, step, min notional)."""
    base: str
    quote: str
    tick_size: Decimal
    step_size: Decimal
    min_qty: Decimal
    max_qty: Decimal = Decimal("9000")
    min_notional: Decimal = Decimal("5")
    max_notional: Decimal = Decimal("9000000")
    min_price: Decimal | None = None   # default: one tick
    max_price: Decimal = Decimal("1000000")

    def __post_init__(self):
        for name in ("tick_size", "step_size", "min_qty", "max_qty", "min_notional", "max_notional", "max_price"):
            object.__setattr__(self, name, _d(getattr(self, name)))
        object.__setattr__(self, "min_price", self.tick_size if self.min_price is None else _d(self.min_price))
        for name in ("tick_size", "step_size", "min_qty"):
            if getattr(self, name) <= 0:
                raise ValueError(f"market {self.symbol}: {name} must be positive, got {getattr(self, name)}")

    @property
    def id(self) -> str:
        return self.base + self.quote

    @property
    def symbol(self) -> str:
        return f"{self.base}/{self.quote}"

    def on_tick(self, price: Decimal) -> bool:
        return (price - self.min_price) % self.tick_size == 0

    def on_step(self, qty: Decimal) -> bool:
        return (qty - self.min_qty) % self.step_size == 0

    def floor_qty(self, qty: Decimal) -> Decimal:
        """qty rounded down to the step grid (what the venue can fill)."""
        return (qty // self.step_size) * self.step_size


DEFAULT_MARKETS = (
    MarketSpec("BTC", "USDT", tick_size="0.01", step_size="0.00001", min_qty="0.00001"),
    MarketSpec("ETH", "USDT", tick_size="0.01", step_size="0.0001", min_qty="0.0001"),
    MarketSpec("SOL", "USDT", tick_size="0.01", step_size="0.001", min_qty="0.001", max_qty="90000"),
    MarketSpec("XRP", "USDT", tick_size="0.0001", step_size="0.1", min_qty="0.1", max_qty="9222449"),
    MarketSpec("DOGE", "USDT", tick_size="0.00001", step_size="1", min_qty="1", max_qty="9000000"),
)


def market_specs(markets) -> dict[str, MarketSpec]:
    """{exchange id: spec} from None (the defaults), MarketSpecs, or {unified symbol: {field: value}}."""
    if markets is None:
        specs = list(DEFAULT_MARKETS)
    elif isinstance(markets, dict):
        specs = []
        for symbol, fields in markets.items():
            if isinstance(fields, MarketSpec):
                specs.append(fields)
                continue
            base, _, quote = symbol.partition("/")
            if not base or not quote:
                raise ValueError(f"market {symbol!r} must be a unified BASE/QUOTE symbol, e.g. 'BTC/USDT'")
            specs.append(MarketSpec(base, quote, **fields))
    else:
        specs = list(markets)
    return {spec.id: spec for spec in specs}
