"""The exchange emulator, driven by the unmodified ccxt.binance client over loopback HTTP.

Each test checks what the client sees (values, ccxt exception classes) against what the venue did
(its balances, orders, trades and create requests), with expected figures worked out by hand.
"""
from __future__ import annotations

import threading
import time
from decimal import Decimal as D

import ccxt
import pytest
import requests

from include.execution.ccxt_urls import point_at
from include.execution.errors import ExecutionError
from tests.emulator import Fault, FaultPlan, binance_client, running_emulator

KEY, SECRET = "emuTestKey0123456789", "emuTestSecret0123456789"
BALANCES = {"USDT": "10000", "BTC": "1"}
PRICES = {"BTC/USDT": "50000", "ETH/USDT": "3000"}
TIMEOUT_MS = 400          # the client's timeout; a lost response is held back longer
LOST_DELAY_S = 0.7


@pytest.fixture
def emu():
    with running_emulator(balances=BALANCES, prices=PRICES, api_key=KEY, secret=SECRET) as emulator:
        yield emulator


@pytest.fixture
def client(emu):
    client = binance_client(emu, KEY, SECRET, timeout=TIMEOUT_MS)
    client.load_markets()
    return client


def script(emu, *entries):
    emu.faults = FaultPlan.scripted(*entries, lost_delay_s=LOST_DELAY_S)


def cid_orders(emu, cid):
    return [o for o in emu.orders() if o["clientOrderId"] == cid]


# ---- markets, public data, account ------------------------------------------------------------------


def test_markets_are_spot_only_with_binance_filters():
    custom = {"ETH/BTC": {"tick_size": "0.00001", "step_size": "0.0001", "min_qty": "0.0001",
                          "min_notional": "0.0001"}}
    with running_emulator(markets=custom, balances={"BTC": 1}, prices={"ETH/BTC": "0.05"},
                          api_key=KEY, secret=SECRET) as emu:
        client = binance_client(emu, KEY, SECRET)
        markets = client.load_markets()
    assert list(markets) == ["ETH/BTC"]
    eth = markets["ETH/BTC"]
    assert (eth["spot"], eth["id"], eth["base"], eth["quote"]) == (True, "ETHBTC", "ETH", "BTC")
    assert eth["precision"]["price"] == 0.00001 and eth["precision"]["amount"] == 0.0001
    assert eth["limits"]["amount"]["min"] == 0.0001 and eth["limits"]["amount"]["max"] == 9000
    assert eth["limits"]["cost"]["min"] == 0.0001
    assert {f["filterType"] for f in eth["info"]["filters"]} == {"PRICE_FILTER", "LOT_SIZE", "NOTIONAL"}


def test_default_markets_and_public_endpoints(client, emu):
    assert set(client.markets) == {"BTC/USDT", "ETH/USDT", "SOL/USDT", "XRP/USDT", "DOGE/USDT"}
    btc = client.markets["BTC/USDT"]
    assert (btc["precision"]["price"], btc["precision"]["amount"], btc["limits"]["cost"]["min"]) == (0.01, 1e-05, 5)
    before = int(time.time() * 1000)
    assert before - 1000 <= client.fetch_time() <= before + 1000
    assert client.fetch_ticker("BTC/USDT")["last"] == 50000
    emu.set_price("BTC/USDT", "51000.5")
    tickers = client.fetch_tickers(["BTC/USDT", "ETH/USDT"])
    assert {s: t["last"] for s, t in tickers.items()} == {"BTC/USDT": 51000.5, "ETH/USDT": 3000}
    assert tickers["BTC/USDT"]["high"] == 51000.5 and tickers["BTC/USDT"]["low"] == 50000
    assert set(client.fetch_tickers()) == {"BTC/USDT", "ETH/USDT"}   # only markets with a price
    with pytest.raises(ValueError, match="tick 0.01"):
        emu.set_price("BTC/USDT", "50000.001")


def test_balance_shows_free_and_locked(client, emu):
    balance = client.fetch_balance()
    assert balance["total"] == {"BTC": 1.0, "USDT": 10000.0}
    client.create_order("BTC/USDT", "limit", "buy", 0.01, 40000, {"newClientOrderId": "lock-1"})
    balance = client.fetch_balance()
    assert (balance["USDT"]["free"], balance["USDT"]["used"], balance["USDT"]["total"]) == (9600, 400, 10000)
    assert emu.free_and_locked()["USDT"] == (D("9600"), D("400"))


# ---- orders and fills ------------------------------------------------------------------------------


def test_market_orders_fill_at_once_and_pay_commission_in_the_asset_received(client, emu):
    buy = client.create_order("BTC/USDT", "market", "buy", 0.01, None, {"newClientOrderId": "mkt-buy"})
    assert (buy["status"], buy["filled"], buy["cost"], buy["clientOrderId"]) == ("closed", 0.01, 500, "mkt-buy")
    assert buy["fee"] == {"currency": "BTC", "cost": 0.00001}
    emu.set_price("BTC/USDT", "51000")
    sell = client.create_order("BTC/USDT", "market", "sell", 0.002, None, {"newClientOrderId": "mkt-sell"})
    assert (sell["status"], sell["average"], sell["fee"]) == ("closed", 51000, {"currency": "USDT", "cost": 0.102})
    # 10000 - 500 + 102 - 0.102 ; 1 + 0.01 - 0.00001 - 0.002
    assert emu.balances() == {"BTC": D("1.00799"), "USDT": D("9601.898")}
    trades = client.fetch_my_trades("BTC/USDT")
    rows = [(t["side"], t["amount"], t["price"], t["fee"]["cost"], t["fee"]["currency"], t["order"]) for t in trades]
    assert rows == [("buy", 0.01, 50000, 0.00001, "BTC", buy["id"]), ("sell", 0.002, 51000, 0.102, "USDT", sell["id"])]
    assert [t["info"]["isBuyer"] for t in trades] == [True, False]
    assert all(t["timestamp"] and t["id"] for t in trades)
    assert [t["fee"] for t in emu.trades()] == [D("0.00001000"), D("0.10200000")]


def test_a_market_order_by_cost_fills_the_quantity_the_cost_buys(client, emu):
    order = client.create_order("BTC/USDT", "market", "buy", 0.01, 50000, {"newClientOrderId": "by-cost"})
    assert order["info"]["origQuoteOrderQty"] == "500.00000000" and order["filled"] == 0.01


def test_a_limit_order_rests_until_the_price_crosses_and_fills_at_its_limit(client, emu):
    buy = client.create_order("BTC/USDT", "limit", "buy", 0.01, 49000, {"newClientOrderId": "lim-buy"})
    sell = client.create_order("BTC/USDT", "limit", "sell", 0.1, 52000, {"newClientOrderId": "lim-sell"})
    assert buy["status"] == sell["status"] == "open"
    emu.set_price("BTC/USDT", "49500")
    assert len(client.fetch_open_orders("BTC/USDT")) == 2
    emu.set_price("BTC/USDT", "48000")   # crosses the buy: it fills at 49000, not 48000
    filled = client.fetch_order(buy["id"], "BTC/USDT")
    assert (filled["status"], filled["filled"], filled["average"]) == ("closed", 0.01, 49000)
    emu.set_price("BTC/USDT", "53000")
    assert client.fetch_order(sell["id"], "BTC/USDT")["average"] == 52000
    (maker_buy, maker_sell) = client.fetch_my_trades("BTC/USDT")
    assert (maker_buy["takerOrMaker"], maker_buy["price"]) == ("maker", 49000)
    assert maker_sell["fee"] == {"currency": "USDT", "cost": 5.2}
    # USDT: 10000 - 490 + 5200 - 5.2 ; BTC: 1 + 0.01 - 0.00001 - 0.1
    assert emu.balances() == {"BTC": D("0.90999"), "USDT": D("14704.8")}
    assert emu.free_and_locked()["USDT"][1] == 0 and emu.free_and_locked()["BTC"][1] == 0


def test_a_marketable_limit_order_fills_at_once(client):
    order = client.create_order("BTC/USDT", "limit", "buy", 0.01, 50100, {"newClientOrderId": "lim-now"})
    assert (order["status"], order["average"]) == ("closed", 50100)


def test_orders_are_found_and_cancelled_by_id_and_by_client_id(client, emu):
    a = client.create_order("BTC/USDT", "limit", "buy", 0.01, 40000, {"newClientOrderId": "q-a"})
    b = client.create_order("ETH/USDT", "limit", "buy", 0.1, 2000, {"newClientOrderId": "q-b"})
    assert client.fetch_order(a["id"], "BTC/USDT")["clientOrderId"] == "q-a"
    assert client.fetch_order(None, "ETH/USDT", {"origClientOrderId": "q-b"})["id"] == b["id"]
    assert client.fetch_order(None, "ETH/USDT", {"clientOrderId": "q-b"})["id"] == b["id"]
    assert [o["id"] for o in client.fetch_open_orders()] == [a["id"], b["id"]]
    assert [o["id"] for o in client.fetch_open_orders("ETH/USDT")] == [b["id"]]
    cancelled = client.cancel_order(None, "ETH/USDT", {"origClientOrderId": "q-b"})
    assert cancelled["status"] == "canceled" and cancelled["info"]["origClientOrderId"] == "q-b"
    assert client.cancel_order(a["id"], "BTC/USDT")["status"] == "canceled"
    assert client.fetch_open_orders() == []
    assert emu.free_and_locked()["USDT"] == (D("10000"), D("0"))
    with pytest.raises(ccxt.OrderNotFound, match="-2011"):
        client.cancel_order(a["id"], "BTC/USDT")   # no longer open
    with pytest.raises(ccxt.OrderNotFound, match="-2013"):
        client.fetch_order("999", "BTC/USDT")
    with pytest.raises(ccxt.OrderNotFound, match="-2013"):
        client.fetch_order(None, "BTC/USDT", {"origClientOrderId": "never-sent"})
    assert [o["status"] for o in client.fetch_orders("BTC/USDT")] == ["canceled"]


def test_my_trades_filter_by_time_and_limit(client):
    for n in range(3):
        client.create_order("BTC/USDT", "market", "buy", 0.001, None, {"newClientOrderId": f"t-{n}"})
    trades = client.fetch_my_trades("BTC/USDT")
    assert len(trades) == 3
    assert [t["id"] for t in client.fetch_my_trades("BTC/USDT", limit=2)] == [t["id"] for t in trades[1:]]
    assert client.fetch_my_trades("BTC/USDT", since=trades[-1]["timestamp"] + 1) == []
    assert client.fetch_my_trades("ETH/USDT") == []


# ---- refusals ---------------------------------------------------------------------------------------


def signed_order(client, **fields):
    """A create request exactly as given (ccxt's implicit API signs it, nothing is rounded)."""
    return client.private_post_order({"symbol": "BTCUSDT", "side": "BUY", "newClientOrderId": "raw", **fields})


def test_filters_refuse_with_binance_filter_failures(client, emu):
    with pytest.raises(ccxt.InvalidOrder, match="Filter failure: PRICE_FILTER"):
        signed_order(client, type="LIMIT", timeInForce="GTC", quantity="0.01", price="49000.005")
    with pytest.raises(ccxt.InvalidOrder, match="Filter failure: LOT_SIZE"):
        signed_order(client, type="MARKET", quantity="0.000015")
    with pytest.raises(ccxt.InvalidOrder, match="Filter failure: LOT_SIZE"):
        signed_order(client, type="MARKET", quantity="0.000001")
    with pytest.raises(ccxt.InvalidOrder, match="Filter failure: LOT_SIZE"):
        signed_order(client, type="LIMIT", timeInForce="GTC", quantity="9000.1", price="1")
    # Binance's -1013 without a filter name in ccxt's legacy checks maps to BadRequest, as on the real venue.
    with pytest.raises(ccxt.BadRequest, match="Filter failure: NOTIONAL"):
        client.create_order("BTC/USDT", "market", "buy", 0.00009)   # 4.5 USDT < 5
    with pytest.raises(ccxt.BadSymbol, match="-1121"):
        signed_order(client, symbol="NOPEUSDT", type="MARKET", quantity="1")
    with pytest.raises(ccxt.BadRequest, match="-1102"):
        signed_order(client, type="LIMIT", timeInForce="GTC", quantity="0.01")
    assert emu.orders() == [] and emu.balances() == {"BTC": D("1"), "USDT": D("10000")}
    assert [r["error"] for r in emu.create_requests()] == [-1013, -1013, -1013, -1013, -1013, -1121, -1102]


def test_insufficient_funds_refused(client, emu):
    with pytest.raises(ccxt.InsufficientFunds):
        client.create_order("BTC/USDT", "market", "buy", 0.3)          # 15000 USDT > 10000
    with pytest.raises(ccxt.InsufficientFunds):
        client.create_order("BTC/USDT", "limit", "sell", 1.5, 60000)   # 1.5 BTC > 1
    client.create_order("BTC/USDT", "limit", "buy", 0.15, 50000, {"newClientOrderId": "holds-7500"})
    with pytest.raises(ccxt.InsufficientFunds):   # 7500 of 10000 locked: 3000 more does not fit
        client.create_order("BTC/USDT", "limit", "buy", 0.06, 50000)
    assert [r["accepted"] for r in emu.create_requests()] == [False, False, True, False]
    assert [r["error"] for r in emu.create_requests()] == [-2010, -2010, None, -2010]


def test_a_client_order_id_is_refused_while_open_and_accepted_again_once_closed(client, emu):
    first = client.create_order("BTC/USDT", "limit", "buy", 0.01, 40000, {"newClientOrderId": "cid-1"})
    with pytest.raises(ccxt.InvalidOrder, match="Duplicate order sent."):
        client.create_order("BTC/USDT", "limit", "buy", 0.01, 40000, {"newClientOrderId": "cid-1"})
    client.cancel_order(first["id"], "BTC/USDT")
    again = client.create_order("BTC/USDT", "limit", "buy", 0.01, 40000, {"newClientOrderId": "cid-1"})
    assert again["id"] != first["id"]
    assert client.fetch_order(None, "BTC/USDT", {"origClientOrderId": "cid-1"})["id"] == again["id"]
    # What makes a blind retry dangerous: a filled market order's id is free again, so the retry trades twice.
    for _ in range(2):
        client.create_order("BTC/USDT", "market", "buy", 0.01, None, {"newClientOrderId": "retry-me"})
    assert [o["status"] for o in cid_orders(emu, "retry-me")] == ["FILLED", "FILLED"]
    assert [(r["clientOrderId"], r["accepted"]) for r in emu.create_requests()] == [
        ("cid-1", True), ("cid-1", False), ("cid-1", True), ("retry-me", True), ("retry-me", True)]
    times = [r["time"] for r in emu.create_requests()]
    assert times == sorted(times)


def test_signature_and_api_key_are_checked(emu):
    with pytest.raises(ccxt.AuthenticationError, match="-1022"):
        binance_client(emu, KEY, "wrong-secret").fetch_balance()
    with pytest.raises(ccxt.AuthenticationError, match="-2015"):
        binance_client(emu, "someOtherKey", SECRET).fetch_balance()
    answer = requests.get(f"{emu.base_url}/api/v3/account?timestamp=1&signature=00", timeout=5)
    assert (answer.status_code, answer.json()["code"]) == (401, -2014)   # no X-MBX-APIKEY header
    late = binance_client(emu, KEY, SECRET, timeDifference=30_000)   # its clock 30 s behind
    with pytest.raises(ccxt.InvalidNonce, match="-1021"):
        late.fetch_balance()
    assert emu.create_requests() == []


# ---- faults -----------------------------------------------------------------------------------------


def test_rate_limit_and_ban_refuse_before_the_venue_acts(client, emu):
    script(emu, ("create", "rate_limit_429"), ("any", "ban_418"))
    with pytest.raises(ccxt.DDoSProtection, match="429"):
        client.create_order("BTC/USDT", "market", "buy", 0.01, None, {"newClientOrderId": "rl-1"})
    assert client.last_response_headers["Retry-After"] == "1"
    with pytest.raises(ccxt.DDoSProtection, match="418"):
        client.fetch_balance()
    assert emu.orders() == [] and emu.create_requests() == []
    assert emu.fault_counts() == {"rate_limit_429": 1, "ban_418": 1}
    assert client.fetch_balance()["total"]["USDT"] == 10000   # the script is spent: no more faults


@pytest.mark.parametrize("processed", [True, False])
def test_server_errors_leave_the_outcome_unknown(client, emu, processed):
    script(emu, Fault("server_5xx", "create", processed=processed, status=502),
           Fault("server_5xx", "any", status=500), Fault("server_5xx", "any", status=503))
    with pytest.raises(ccxt.ExchangeNotAvailable, match="502"):
        client.create_order("BTC/USDT", "market", "buy", 0.01, None, {"newClientOrderId": "srv-1"})
    assert len(cid_orders(emu, "srv-1")) == (1 if processed else 0)
    for status in ("500", "503"):
        with pytest.raises(ccxt.ExchangeNotAvailable, match=status):
            client.fetch_open_orders()
    assert emu.fault_counts() == {"server_5xx": 3}
    assert emu.create_requests()[0]["fault"] == "server_5xx"


@pytest.mark.parametrize("processed", [True, False])
def test_backend_timeout_1007_maps_to_request_timeout(client, emu, processed):
    script(emu, Fault("unknown_1007", "create", processed=processed))
    with pytest.raises(ccxt.RequestTimeout, match="-1007"):
        client.create_order("BTC/USDT", "market", "buy", 0.01, None, {"newClientOrderId": "to-1"})
    assert [o["status"] for o in cid_orders(emu, "to-1")] == (["FILLED"] if processed else [])
    assert emu.balances()["USDT"] == (D("9500") if processed else D("10000"))


def test_a_lost_response_times_out_after_the_order_was_placed(client, emu):
    script(emu, ("create", "lost_response"))
    started = time.monotonic()
    with pytest.raises(ccxt.RequestTimeout):
        client.create_order("BTC/USDT", "market", "buy", 0.01, None, {"newClientOrderId": "lost-1"})
    assert time.monotonic() - started < LOST_DELAY_S   # the client gave up first
    assert [o["status"] for o in cid_orders(emu, "lost-1")] == ["FILLED"]
    found = client.fetch_order(None, "BTC/USDT", {"origClientOrderId": "lost-1"})
    assert (found["status"], found["filled"]) == ("closed", 0.01)
    assert emu.fault_counts() == {"lost_response": 1}


def test_a_duplicate_reject_creates_nothing(client, emu):
    script(emu, ("create", "duplicate_reject"))
    with pytest.raises(ccxt.InvalidOrder, match="Duplicate order sent."):
        client.create_order("BTC/USDT", "market", "buy", 0.01, None, {"newClientOrderId": "dup-1"})
    assert emu.orders() == []
    (request,) = emu.create_requests()
    assert (request["clientOrderId"], request["accepted"], request["error"], request["fault"]) == (
        "dup-1", False, -2010, "duplicate_reject")


def test_a_partial_market_fill_expires_the_rest(client, emu):
    script(emu, Fault("partial_fill", "create", fraction=D("0.4")))
    order = client.create_order("BTC/USDT", "market", "buy", 0.01, None, {"newClientOrderId": "pm-1"})
    assert (order["status"], order["filled"], order["remaining"]) == ("expired", 0.004, 0.006)
    assert sum(t["amount"] for t in client.fetch_my_trades("BTC/USDT")) == 0.004
    assert emu.balances() == {"BTC": D("1.003996"), "USDT": D("9800")}   # 1 + 0.004 - 0.000004 ; 10000 - 200
    assert emu.fault_counts() == {"partial_fill": 1}


def test_a_partial_limit_fill_keeps_the_rest_resting(client, emu):
    script(emu, Fault("partial_fill", "create", fraction=D("0.5")), Fault("partial_fill", "create", fraction=D("0.3")))
    now = client.create_order("BTC/USDT", "limit", "buy", 0.01, 50000, {"newClientOrderId": "pl-now"})
    assert (now["status"], now["filled"]) == ("open", 0.005)
    later = client.create_order("BTC/USDT", "limit", "sell", 0.1, 52000, {"newClientOrderId": "pl-later"})
    emu.set_price("BTC/USDT", "52000")   # first cross: 30% fills
    assert client.fetch_order(later["id"], "BTC/USDT")["filled"] == 0.03
    emu.set_price("BTC/USDT", "52500")   # still crossing: the rest fills at the limit
    assert client.fetch_order(later["id"], "BTC/USDT")["status"] == "closed"
    emu.set_price("BTC/USDT", "49000")
    assert client.fetch_order(now["id"], "BTC/USDT")["status"] == "closed"
    assert [t["amount"] for t in emu.trades()] == [D("0.005"), D("0.03"), D("0.07"), D("0.005")]


def test_not_found_lag_hides_an_accepted_order_from_the_next_queries(client, emu):
    script(emu, Fault("not_found_lag", "create", lag=3))
    order = client.create_order("BTC/USDT", "limit", "buy", 0.01, 40000, {"newClientOrderId": "lag-1"})
    with pytest.raises(ccxt.OrderNotFound, match="-2013"):
        client.fetch_order(order["id"], "BTC/USDT")
    with pytest.raises(ccxt.OrderNotFound, match="-2013"):
        client.fetch_order(None, "BTC/USDT", {"origClientOrderId": "lag-1"})
    assert client.fetch_open_orders("BTC/USDT") == []
    assert client.fetch_order(order["id"], "BTC/USDT")["status"] == "open"
    assert [o["id"] for o in client.fetch_open_orders()] == [order["id"]]
    assert emu.fault_counts() == {"not_found_lag": 1}


def test_a_fill_just_before_a_cancel_shows_up_after_it(client, emu):
    order = client.create_order("BTC/USDT", "limit", "buy", 0.01, 49000, {"newClientOrderId": "late-1"})
    script(emu, Fault("late_fill_after_cancel", "cancel", fraction=D("0.5")))
    cancelled = client.cancel_order(order["id"], "BTC/USDT")
    assert (cancelled["status"], cancelled["filled"]) == ("canceled", 0)   # the answer predates the fill
    after = client.fetch_order(order["id"], "BTC/USDT")
    assert (after["status"], after["filled"], after["cost"]) == ("canceled", 0.005, 245)
    (trade,) = client.fetch_my_trades("BTC/USDT")
    assert (trade["order"], trade["amount"], trade["price"]) == (order["id"], 0.005, 49000)
    assert trade["timestamp"] < int(cancelled["info"]["transactTime"])
    assert emu.balances() == {"BTC": D("1.004995"), "USDT": D("9755")}
    assert emu.free_and_locked()["USDT"] == (D("9755"), D("0"))


def test_a_seeded_plan_meets_the_same_faults_on_every_run():
    def run() -> tuple[list[str], dict]:
        rates = {"rate_limit_429": 0.2, "server_5xx": 0.2, "unknown_1007": 0.2, "not_found_lag": 0.3}
        seen = []
        with running_emulator(balances=BALANCES, prices=PRICES, api_key=KEY, secret=SECRET, seed=7,
                              faults=rates) as emu:
            client = binance_client(emu, KEY, SECRET, timeout=TIMEOUT_MS)
            client.load_markets()
            for n in range(12):
                try:
                    client.create_order("BTC/USDT", "market", "buy", 0.001, None, {"newClientOrderId": f"s-{n}"})
                    seen.append("ok")
                except ccxt.BaseError as e:
                    seen.append(type(e).__name__)
            emu.faults = FaultPlan.none()
            client.fetch_balance()
            return seen, emu.fault_counts(), len(emu.orders())

    first, second = run(), run()
    assert first == second
    seen, counts, orders = first
    assert {"ok", "DDoSProtection", "RequestTimeout"} <= set(seen)
    assert seen.count("DDoSProtection") == counts["rate_limit_429"]
    assert seen.count("RequestTimeout") + seen.count("ExchangeNotAvailable") == (
        counts.get("unknown_1007", 0) + counts.get("server_5xx", 0))
    assert seen.count("ok") <= orders <= len(seen) - counts["rate_limit_429"]


def test_fault_plans_reject_what_they_cannot_do():
    with pytest.raises(ValueError, match="valid: lost_response"):
        FaultPlan(rates={"gremlins": 0.1})
    with pytest.raises(ValueError, match="cannot happen on endpoint 'query'"):
        Fault("partial_fill", "query")
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        FaultPlan(rates={"server_5xx": 1.5})
    plan = FaultPlan.scripted(("cancel", "late_fill_after_cancel"), ("any", "server_5xx"))
    assert plan.draw("create").kinds() == []   # the head waits for a cancel
    assert plan.draw("cancel").kinds() == ["server_5xx", "late_fill_after_cancel"]
    assert plan.pending() == []


def test_concurrent_clients_keep_the_books_consistent(emu):
    def trade(n: int) -> None:
        client = binance_client(emu, KEY, SECRET)
        for k in range(4):
            client.create_order("BTC/USDT", "market", "buy", 0.001, None, {"newClientOrderId": f"c{n}-{k}"})

    workers = [threading.Thread(target=trade, args=(n,)) for n in range(4)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    assert len(emu.trades()) == 16 and len({t["tradeId"] for t in emu.trades()}) == 16
    # 16 x 0.001 BTC at 50000 = 800 USDT; 16 x (0.001 - 0.000001) BTC
    assert emu.balances() == {"BTC": D("1.015984"), "USDT": D("9200")}


# ---- ccxt_urls --------------------------------------------------------------------------------------


def test_point_at_rebases_every_api_url_and_keeps_paths():
    client = ccxt.binance()
    point_at(client, "http://127.0.0.1:9999/")
    api = client.urls["api"]
    assert api["public"] == "http://127.0.0.1:9999/api/v3" and api["sapi"] == "http://127.0.0.1:9999/sapi/v1"
    assert api["fapiPublic"] == "http://127.0.0.1:9999/fapi/v1"
    nested = type("Fake", (), {"urls": {"api": {"rest": {"spot": "https://a.example.com/v5/x?y=1"}, "ws": 3}}})()
    point_at(nested, "https://gw.example.org/prefix")
    assert nested.urls["api"] == {"rest": {"spot": "https://gw.example.org/prefix/v5/x?y=1"}, "ws": 3}
    with pytest.raises(ExecutionError, match="api_url 'ftp://x' is not an http"):
        point_at(client, "ftp://x")
