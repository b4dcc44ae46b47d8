"""The desk's steps on a venue account: the unmodified ccxt client against the Binance spot emulator on loopback.

A sandbox account without approval reaches its targets and its ledger equals the venue's balances;
an account that needs an approval sends nothing without one; a live account is refused at the form.
"""
from __future__ import annotations

from decimal import Decimal

import pytest

from include.checked_config import load_checked_config
from include.errors import ConfigError
from include.execution import desk
from include.execution.credentials import Credentials
from include.execution.desk_account import DeskAccount
from include.execution.ledger import open_ledger
from include.execution.live_gate import LiveTradingRefused
from include.paths import DataPaths
from tests.emulator import running_emulator
from tests.execution.desk_support import config_text

KEY, SECRET = "desk-test-key", "desk-test-secret"
PRICES = {"BTC/USDT": "60000", "ETH/USDT": "3000", "SOL/USDT": "150"}
STEPS = {"BTC/USDT": Decimal("0.00001"), "ETH/USDT": Decimal("0.0001"), "SOL/USDT": Decimal("0.001")}
NEVER = lambda: False  # noqa: E731 - the kill switch, released


def venues(url: str, **accounts) -> str:
    lines = ["  venues:"]
    for name, fields in accounts.items():
        lines.append(f"    {name}: {{exchange: binance, connection_id: {name}, api_url: '{url}', "
                     f"query_interval_s: 0, {fields}}}")
    return "\n".join(lines)


@pytest.fixture
def venue(tmp_path, monkeypatch):
    with running_emulator(balances={"USDT": "100000", "BTC": "0.1"}, prices=PRICES, api_key=KEY,
                          secret=SECRET) as emulator:
        extra = venues(emulator.base_url, testnet="require_approval: false",
                       checked="approvers: [alice]",
                       live_one="sandbox: false, live: true, approvers: [alice]")
        (tmp_path / "config.yaml").write_text(config_text(extra=extra))
        monkeypatch.setenv("PEAKTRADE_CONFIG", str(tmp_path / "config.yaml"))
        monkeypatch.setenv("PEAKTRADE_DATA_DIR", str(tmp_path / "data"))
        yield emulator, load_checked_config()


def account(name: str) -> DeskAccount:
    return DeskAccount(name, Credentials(KEY, SECRET))


def ledger_of(config, name):
    return open_ledger(None, DataPaths(tmp_root(config)), name)


def tmp_root(config):
    from include.config.loader import data_dir

    return data_dir(config)


def rebalance(config, acc, run_id, weights, approval=None):
    form = desk.validate_form(config, {"dry_run": False, "broker": acc.name, "target_weights": weights})
    desk.reconcile_desk(config, "start", acc)
    positions = desk.load_positions(config, form, run_id, account=acc)
    targets = desk.compute_targets(config, form, positions)
    plan = desk.build_orders(config, run_id, positions, targets, acc)
    checked = desk.check_risk(config, positions, plan, NEVER, acc)
    submitted = desk.execute_orders(config, checked, NEVER, dry_run=False, account=acc, approval=approval)
    desk.track_fills(config, submitted, account=acc)
    end = desk.reconcile_desk(config, "end", acc)
    summary = desk.summarise(config, run_id, form, positions, targets, plan, checked, account=acc, approval=approval)
    return {"positions": positions, "targets": targets, "plan": plan, "end": end, "summary": summary}


def test_a_sandbox_rebalance_reaches_its_targets_and_the_ledger_equals_the_venue(venue):
    emulator, config = venue
    acc = account("testnet")
    run = rebalance(config, acc, "manual__venue1", {"BTC/USDT": 0.3, "ETH/USDT": 0.3, "SOL/USDT": 0.2})
    # the opening balances (100,000 USDT and 0.1 BTC) were adopted: equity at the venue's last prices
    assert Decimal(run["positions"]["equity"]) == Decimal("106000")
    assert run["positions"]["quantities"]["BTC/USDT"] == "0.1"
    with desk.desk(config, acc) as d:
        holdings = desk._holdings(d)
    led = ledger_of(config, "testnet")
    try:
        for symbol, weight in run["targets"]["targets"].items():
            target = Decimal(str(weight)) * Decimal("106000") / Decimal(PRICES[symbol])
            # within one lot plus the 0.1% commission Binance takes from the base bought
            assert abs(holdings[symbol] - target) <= STEPS[symbol] + target * Decimal("0.0011"), symbol
        venue_balances = {c: v for c, v in emulator.balances().items() if v != 0}
        ledger_balances = {c: v for c, v in led.balances().items() if v != 0}
        assert ledger_balances == venue_balances
        assert len(led.fills()) == len(emulator.trades()) == len(run["plan"]["orders"]) == 3
        assert {o["clientOrderId"] for o in emulator.orders()} == {o["client_order_id"] for o in run["plan"]["orders"]}
    finally:
        led.close()
    assert run["summary"]["broker"] == "testnet" and "on testnet" in run["summary"]["text"]
    # the same run again sends nothing twice
    again = rebalance(config, acc, "manual__venue1", {"BTC/USDT": 0.3, "ETH/USDT": 0.3, "SOL/USDT": 0.2})
    assert len(emulator.create_requests()) == 3 and again["end"]["new_fills"] == 0


def test_an_account_that_needs_an_approval_sends_nothing_without_one(venue):
    emulator, config = venue
    acc = account("checked")
    with pytest.raises(LiveTradingRefused, match="orders on checked refused: nobody approved"):
        rebalance(config, acc, "manual__venue2", {"BTC/USDT": 0.2})
    rejected = {"chosen_options": ["Reject"], "responded_by_user": {"id": "alice", "name": "alice"}}
    with pytest.raises(LiveTradingRefused, match="not approved"):
        rebalance(config, acc, "manual__venue2", {"BTC/USDT": 0.2}, approval=rejected)
    assert emulator.create_requests() == []
    led = ledger_of(config, "checked")
    try:
        assert led.orders() == []
    finally:
        led.close()
    approved = {"chosen_options": ["Approve"], "responded_by_user": {"id": "alice", "name": "alice"}}
    run = rebalance(config, acc, "manual__venue2", {"BTC/USDT": 0.2}, approval=approved)
    assert len(emulator.create_requests()) == 1 and "approved by alice" in run["summary"]["text"]


def test_a_live_account_is_refused_at_the_form_naming_what_is_missing(venue):
    _, config = venue
    with pytest.raises(LiveTradingRefused, match=r"live trading on live_one refused.*\(b\) the form's live_venue is ''"):
        desk.validate_form(config, {"dry_run": False, "broker": "live_one"})
    form = desk.validate_form(config, {"dry_run": False, "broker": "live_one", "live_venue": "live_one"})
    assert form["live_venue"] == "live_one"
    with pytest.raises(ConfigError, match="params.broker: 'nope' is not a broker; valid: paper, testnet, checked, live_one"):
        desk.validate_form(config, {"broker": "nope"})
