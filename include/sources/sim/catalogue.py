"""What the offline simulator quotes: its exchanges, assets and timeframes.

Numbers are loosely shaped on real markets (price level, daily volatility,
beta to the market factor, typical 1-minute volume) so that downstream
features and risk metrics look like crypto, not like white noise.
"""
from __future__ import annotations

import math
import re
import zlib
from dataclasses import dataclass


@dataclass(frozen=True)
class SimAsset:
    start_price: float  # price on the anchor day
    daily_vol: float  # standard deviation of daily log returns in calm markets
    beta: float  # loading on the market factor
    minute_volume: float  # typical base-asset volume of one minute


@dataclass(frozen=True)
class SimVenue:
    basis_bps: float  # constant premium against the consolidated price
    basis_noise_bps: float  # std of the mean-reverting basis wobble
    volume_share: float  # fraction of the consolidated volume traded here
    zero_volume_prob: float  # chance a minute had no trades (flat, zero-volume candle)
    missing_prob: float  # chance a minute is absent from the venue's answer


ASSETS: dict[str, SimAsset] = {
    "BTC": SimAsset(42_000.0, 0.030, 1.00, 12.0),
    "ETH": SimAsset(2_300.0, 0.038, 1.10, 150.0),
    "SOL": SimAsset(95.0, 0.055, 1.35, 2_500.0),
    "BNB": SimAsset(310.0, 0.034, 0.85, 400.0),
    "XRP": SimAsset(0.60, 0.045, 1.05, 300_000.0),
    "DOGE": SimAsset(0.085, 0.060, 1.25, 2_000_000.0),
    "ADA": SimAsset(0.55, 0.050, 1.15, 250_000.0),
    "AVAX": SimAsset(35.0, 0.058, 1.30, 4_000.0),
}
QUOTES = ("USDT", "USDC")

VENUES: dict[str, SimVenue] = {
    "sim_alpha": SimVenue(basis_bps=0.0, basis_noise_bps=1.5, volume_share=0.55, zero_volume_prob=0.0005, missing_prob=0.0),
    "sim_beta": SimVenue(basis_bps=4.0, basis_noise_bps=3.0, volume_share=0.30, zero_volume_prob=0.003, missing_prob=0.0005),
    "sim_gamma": SimVenue(basis_bps=-6.0, basis_noise_bps=6.0, volume_share=0.15, zero_volume_prob=0.02, missing_prob=0.004),
}

TIMEFRAMES = ("1m", "5m", "15m", "30m", "1h", "4h", "1d")


SYNTHETIC_QUOTE = "USDT"
MAX_SYNTHETIC = 999  # simulator.synthetic_assets' upper bound
_SYNTHETIC = re.compile(r"^SYN(\d{2,3})$")
MIN_COST = 5.0  # quote: every simulated market's minimum order notional (limits.cost.min)


def synthetic_name(n: int) -> str:
    return f"SYN{n:02d}"


def synthetic_index(base: str) -> int | None:
    """n of a synthetic asset's name SYNnn (None for any other name)."""
    match = _SYNTHETIC.match(base)
    return None if match is None or synthetic_name(int(match.group(1))) != base else int(match.group(1))


def synthetic_asset(n: int) -> SimAsset:
    """The n-th synthetic asset: its parameters a pure function of n (not of the seed), within the real ones' range."""
    u = [(zlib.crc32(f"SYN{n}:{k}".encode()) % 10_000) / 10_000 for k in range(4)]
    price = 10 ** (-1.5 + 4.5 * u[0])  # 0.03 .. 1000
    return SimAsset(start_price=price, daily_vol=0.03 + 0.035 * u[1], beta=0.8 + 0.55 * u[2],
                    minute_volume=2_000.0 / price * (0.5 + u[3]))


def asset(base: str) -> SimAsset:
    """A simulated asset by its base currency: one of ASSETS or a synthetic SYNnn."""
    if base in ASSETS:
        return ASSETS[base]
    n = synthetic_index(base)
    if n is None or n < 1:
        raise KeyError(base)
    return synthetic_asset(n)


def sim_symbols(synthetic_assets: int = 0) -> list[str]:
    """Every simulated symbol: each asset in both quotes, then SYN01..SYNnn in USDT."""
    return ([f"{base}/{quote}" for base in ASSETS for quote in QUOTES]
            + [f"{synthetic_name(n)}/{SYNTHETIC_QUOTE}" for n in range(1, synthetic_assets + 1)])


def market(symbol: str) -> dict:
    """ccxt's unified market structure of a simulated spot market (TICK_SIZE precision).

    Steps follow the asset's anchor price the way real venues set them: about six
    significant digits of price, an amount step worth 0.1 to 1 quote, the amount step as
    the minimum amount and MIN_COST quote as the minimum notional.
    """
    base, quote = symbol.split("/")
    magnitude = math.floor(math.log10(asset(base).start_price))
    step, tick = 10.0 ** (-magnitude - 1), 10.0 ** (magnitude - 5)
    return {"id": base + quote, "symbol": symbol, "base": base, "quote": quote, "baseId": base, "quoteId": quote,
            "type": "spot", "spot": True, "active": True,
            "precision": {"amount": float(f"{step:.0e}"), "price": float(f"{tick:.0e}")},
            "limits": {"amount": {"min": float(f"{step:.0e}"), "max": None}, "price": {"min": None, "max": None},
                       "cost": {"min": MIN_COST, "max": None}}}
