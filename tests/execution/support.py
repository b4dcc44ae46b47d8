"""Shared market fixtures for the execution tests."""
from include.execution.markets import Markets, spot_market

BTC = spot_market("BTC/USDT", amount_step=0.001, price_tick=0.01, min_amount=0.001, min_cost=5)
ETH = spot_market("ETH/USDT", amount_step=0.01, price_tick=0.01, min_amount=0.01, min_cost=5)
SOL = spot_market("SOL/USDT", amount_step=0.1, price_tick=0.001, min_amount=0.1, min_cost=10)


def markets() -> Markets:
    return Markets({m["symbol"]: m for m in (BTC, ETH, SOL)})
