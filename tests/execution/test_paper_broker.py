"""The paper broker fills with the backtester's own formulas: the same order, the same fill, fee and slippage."""
import math

import ccxt
import numpy as np
import pytest

from include.backtest.bars import Bars
from include.backtest.config import Costs
from include.backtest.costs import slippage_fractions
from include.execution.markets import spot_market
from include.execution.paper_broker import Candle, PaperBroker
from tests.backtest.support import candles, run_scripted
from tests.execution.support import BTC

FINE = spot_market("BTC/USDT", amount_step=1e-8, price_tick=1e-8, min_amount=1e-8)


def test_same_order_same_fill_fee_and_slippage_as_the_backtest():
    # target 1 from bar 2's close: the backtest buys 10,000 / 100 = 100 units at bar 3's open, slippage
    # 5 bps + 0.5 x the std of the two returns known at bar 2's close (vol_window 2).
    frame = candles([100, 104, 99, 101, 102, 103], [100, 100, 104, 100, 101, 102], target=[0, 0, 1, 1, 1, 1])
    costs = Costs(taker_bps=10, slippage_bps=5, slippage_vol_k=0.5, vol_window=2)
    result = run_scripted(frame, costs, initial_capital=10_000)
    trade = result.trades.iloc[0]
    assert trade.entry_bar == 3 and trade.qty == 100

    bars = Bars(frame)
    known_std = bars.return_std(2)[2]
    assert known_std > 0
    broker = PaperBroker({"BTC/USDT": FINE}, {"USDT": 20_000}, costs)
    broker.set_candle("BTC/USDT", Candle(3, bars.open[3], bars.high[3], bars.low[3], bars.close[3], known_std))
    order = broker.create_order("BTC/USDT", "market", "buy", trade.qty, None, {"clientOrderId": "pt-1"})
    (fill,) = order["trades"]

    slip = slippage_fractions(bars, costs)[3]
    assert fill["price"] == pytest.approx(trade.entry_price, rel=1e-15, abs=0)
    assert fill["price"] == 100 * (1 + slip)
    assert fill["fee"]["cost"] == trade.fees                    # bit for bit: the same function
    assert fill["info"]["slippage"] == trade.slippage
    assert broker.balances["BTC"] == 100
    # the backtest's equity at bar 3's close: cash after the fill + 100 units at the close
    assert broker.balances["USDT"] - 10_000 + 100 * bars.close[3] == pytest.approx(result.equity.iloc[3], rel=1e-14)


def test_a_selling_fill_moves_the_price_down():
    costs = Costs(taker_bps=10, slippage_bps=20, slippage_vol_k=0)
    broker = PaperBroker({"BTC/USDT": BTC}, {"USDT": 0, "BTC": 1}, costs)
    broker.set_candle("BTC/USDT", Candle(1, 100.0, 100.0, 100.0, 100.0))
    (fill,) = broker.create_order("BTC/USDT", "market", "sell", 1)["trades"]
    assert fill["price"] == pytest.approx(99.8) and fill["fee"]["cost"] == pytest.approx(0.0998)
    assert broker.fetch_balance()["total"] == {"USDT": pytest.approx(99.7002), "BTC": 0.0}


def test_limit_orders_rest_fill_when_traded_through_and_cancel():
    broker = PaperBroker({"BTC/USDT": BTC}, {"USDT": 1_000}, Costs(maker_bps=2, slippage_bps=50))
    broker.set_candle("BTC/USDT", Candle(1, 100.0, 101.0, 99.5, 100.0))
    resting = broker.create_order("BTC/USDT", "limit", "buy", 1, 99.0, {"clientOrderId": "a"})
    other = broker.create_order("BTC/USDT", "limit", "buy", 1, 90.0, {"clientOrderId": "b"})
    assert resting["status"] == "open" and broker.fetch_balance()["used"]["USDT"] == 189.0
    broker.set_candle("BTC/USDT", Candle(2, 99.5, 99.6, 98.0, 98.5))
    filled = broker.fetch_order(None, "BTC/USDT", {"clientOrderId": "a"})
    assert filled["status"] == "closed" and filled["trades"][0]["price"] == 99.0   # at the limit, no slippage
    assert filled["fee"]["cost"] == pytest.approx(0.0002 * 99)
    assert [o["clientOrderId"] for o in broker.fetch_open_orders()] == ["b"]
    assert broker.cancel_order(other["id"])["status"] == "canceled"
    with pytest.raises(ccxt.OrderNotFound, match=f"^paper order {other['id']} is canceled, not open$"):
        broker.cancel_order(other["id"])


def test_venue_errors_are_ccxt_errors():
    broker = PaperBroker({"BTC/USDT": BTC}, {"USDT": 100}, Costs.zero())
    with pytest.raises(ccxt.ExchangeNotAvailable, match="no price for BTC/USDT yet"):
        broker.create_order("BTC/USDT", "market", "buy", 1)
    broker.set_candle("BTC/USDT", Candle(1, 100.0, 100.0, 100.0, 100.0))
    with pytest.raises(ccxt.BadSymbol, match="^paper does not have market symbol ETH/USDT$"):
        broker.create_order("ETH/USDT", "market", "buy", 1)
    with pytest.raises(ccxt.InsufficientFunds, match=r"^paper needs 200\.0 USDT, has 100\.0$"):
        broker.create_order("BTC/USDT", "market", "buy", 2)
    with pytest.raises(ccxt.InvalidOrder, match="below the venue's minimum cost 5"):
        broker.create_order("BTC/USDT", "market", "buy", 0.01)
    broker.create_order("BTC/USDT", "market", "buy", 0.5, None, {"clientOrderId": "x"})
    with pytest.raises(ccxt.InvalidOrder, match="duplicate clientOrderId x"):
        broker.create_order("BTC/USDT", "market", "buy", 0.1, None, {"clientOrderId": "x"})
    assert math.isclose(broker.fetch_balance()["free"]["USDT"], 50.0) and np.isclose(broker.balances["BTC"], 0.5)
