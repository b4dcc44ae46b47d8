"""A small valid config to break one key at a time."""
from __future__ import annotations

import copy

import yaml

BASE = yaml.safe_load("""
universe:
  symbols: [BTC/USDT, ETH/USDT]
  timeframes: [1h]
  exchanges: [{id: sim_alpha, source: sim}]
history: {start: {1h: 3d}}
""")
SWEEP = {"name": "s", "strategy": "sma_crossover", "universe": [{"exchange": "sim_alpha", "symbol": "BTC/USDT"}],
         "timeframe": "1h", "method": "random", "budget": 5}
BULK_FILES = {"BTC/USDT": {"path": "btc.csv", "format": "binance_klines"}}


def config(**top) -> dict:
    """BASE with top-level keys replaced."""
    return copy.deepcopy(BASE) | top


def universe(**keys) -> dict:
    """BASE with universe keys replaced."""
    raw = config()
    raw["universe"] |= keys
    return raw


def with_exchanges(*extra: dict, **first) -> dict:
    """BASE with keys of its first exchange replaced and more exchanges appended."""
    raw = config()
    raw["universe"]["exchanges"] = [raw["universe"]["exchanges"][0] | first, *extra]
    return raw
