"""What the offline simulator quotes: its exchanges, assets and timeframes.

Numbers are loosely shaped on real markets (price level, daily volatility,
beta to the market factor, typical 1-minute volume) so that downstream
features and risk metrics look like crypto, not like white noise.
"""
from __future__ import annotations

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


def sim_symbols() -> list[str]:
    return [f"{base}/{quote}" for base in ASSETS for quote in QUOTES]
