"""The desk's steps as plain functions on a small simulated data directory (no Airflow)."""
from __future__ import annotations

from decimal import Decimal

import pytest

from include.checked_config import load_checked_config
from include.config.loader import data_dir
from include.errors import ConfigError
from include.execution import desk
from include.execution.ledger import Ledger
from include.execution.paper_venue import open_paper_venue
from include.paths import DataPaths
from include.sources.sim.catalogue import market
from tests.execution.desk_support import config_text, land_sim

NEVER = lambda: False  # noqa: E731 - the kill switch, released


@pytest.fixture(scope="module")
def landed(tmp_path_factory):
    data = tmp_path_factory.mktemp("desk-data") / "data"
    land_sim(data)
    return data


@pytest.fixture
def config(tmp_path, landed, monkeypatch):
    import shutil

    shutil.copytree(landed, tmp_path / "data")
    (tmp_path / "config.yaml").write_text(config_text())
    monkeypatch.setenv("PEAKTRADE_CONFIG", str(tmp_path / "config.yaml"))
    monkeypatch.setenv("PEAKTRADE_DATA_DIR", str(tmp_path / "data"))
    return load_checked_config()


def rebalance(config, run_id, params=None, kill_switch=NEVER):
    form = desk.validate_form(config, {"dry_run": False} | (params or {}))
    desk.reconcile_desk(config, "start")
    positions = desk.load_positions(config, form, run_id)
    targets = desk.compute_targets(config, form, positions)
    plan = desk.build_orders(config, run_id, positions, targets)
    checked = desk.check_risk(config, positions, plan, kill_switch)
    submitted = desk.execute_orders(config, checked, kill_switch, dry_run=form["dry_run"])
    desk.track_fills(config, submitted)
    desk.reconcile_desk(config, "end")
    return {"positions": positions, "targets": targets, "plan": plan, "checked": checked, "submitted": submitted,
            "summary": desk.summarise(config, run_id, form, positions, targets, plan, checked)}


def ledger_of(config) -> Ledger:
    return Ledger(DataPaths(data_dir(config)).ledger)


def with_section(config, key: str, values: dict):
    """The checked config with keys of its raw `portfolio:` or `execution:` section replaced."""
    return config.model_copy(update={key: getattr(config, key) | values})


def test_a_paper_run_reaches_the_targets_within_one_lot(config):
    run = rebalance(config, "manual__1")
    equity = Decimal(run["positions"]["equity"])
    led = ledger_of(config)
    holdings = led.holdings()
    for symbol, weight in run["targets"]["targets"].items():
        target = Decimal(str(weight)) * equity / Decimal(str(run["positions"]["prices"][symbol]))
        step = Decimal(str(market(symbol)["precision"]["amount"]))
        assert abs(holdings[symbol] - target) < step, symbol
    assert len(led.fills()) == len(run["plan"]["orders"]) == 3
    assert run["summary"]["slippage_total"] > 0 and all(f["slippage_bps"] > 0 for f in run["summary"]["fills"])
    # the venue's state survived the processes' reopening: its balances are the ledger's
    assert desk.reconcile_desk(config, "again")["new_fills"] == 0


def test_running_the_same_run_again_sends_nothing(config):
    first = rebalance(config, "manual__2")
    again = rebalance(config, "manual__2")
    assert again["plan"]["orders"] == [] or again["submitted"]["sent"] == []
    # re-submitting the same checked orders (a cleared submit task) finds them in the ledger
    resent = desk.execute_orders(config, first["checked"], NEVER, dry_run=False)
    assert resent["sent"] == [] and len(resent["orders"]) == 3
    assert len(ledger_of(config).fills()) == 3


def test_the_kill_switch_blocks_every_order_before_it_leaves(config):
    with pytest.raises(desk.KillSwitchEngaged, match="the kill switch is engaged: 3 rebalance order"):
        _submit_with_switch(config)
    led = ledger_of(config)
    assert led.fills() == [] and {r.status.value for r in led.orders()} == {"rejected"}


def _submit_with_switch(config):
    form = desk.validate_form(config, {"dry_run": False})
    positions = desk.load_positions(config, form, "manual__3")
    plan = desk.build_orders(config, "manual__3", positions, desk.compute_targets(config, form, positions))
    checked = desk.check_risk(config, positions, plan, NEVER)  # released at the check, engaged at the send
    desk.execute_orders(config, checked, lambda: True, dry_run=False)


def test_a_dry_run_writes_no_order_and_no_fill(config):
    form = desk.validate_form(config, {})
    assert form["dry_run"] is True
    positions = desk.load_positions(config, form, "dry")
    plan = desk.build_orders(config, "dry", positions, desk.compute_targets(config, form, positions))
    assert [r["symbol"] for r in plan["preview"]] == ["BTC/USDT", "ETH/USDT", "SOL/USDT"]
    assert all(r["weight_before"] == 0 and r["notional"] > 0 for r in plan["preview"])
    submitted = desk.execute_orders(config, desk.check_risk(config, positions, plan, NEVER), NEVER, dry_run=True)
    assert submitted["sent"] == [] and ledger_of(config).orders() == []
    assert "weight after" in desk.preview_table(plan["preview"])


def test_breaker_level_3_halts_the_rebalance_and_still_lets_flatten_close(config):
    rebalance(config, "manual__4")
    led = ledger_of(config)
    equity = Decimal(desk.load_positions(config, desk.validate_form(config, {}), "probe")["equity"])
    led.record_mark(ts_ms=1, equity=equity * Decimal("1.25"), peak=equity * Decimal("1.25"), drawdown=0, level=0,
                    source="test")  # a peak 25 % above today's equity: drawdown 20 % >= halt 15 %
    with pytest.raises(desk.BreakerHalt, match=r"circuit breaker at level 3 \(halt\), drawdown 20\.00% beyond the "
                                               r"limit 15\.0%"):
        desk.load_positions(config, desk.validate_form(config, {}), "manual__5")
    closed = desk.flatten(config, "flatten__1", dry_run=False)
    assert closed["breaker"]["level"] == 3 and closed["rejected"] == []
    assert all(q == 0 for q in ledger_of(config).holdings().values())


def test_flatten_is_blocked_by_the_kill_switch_and_says_so(config):
    rebalance(config, "manual__6")
    with pytest.raises(desk.KillSwitchEngaged, match="blocks closing orders too"):
        desk.flatten(config, "flatten__2", dry_run=False, kill_switch=lambda: True)


def test_a_hard_limit_breach_is_liquidated_by_the_monitor(config):
    rebalance(config, "manual__7", {"target_weights": {"BTC/USDT": 0.3, "ETH/USDT": 0.3, "SOL/USDT": 0.1}})
    config = with_section(config, "execution", {"hard_limits": {"max_weight": 0.2}})  # 30 % positions breach
    orders = len(ledger_of(config).orders())
    previewed = desk.monitor(config, "monitor__1", NEVER, dry_run=True)
    assert {(b["symbol"], b["limit"]) for b in previewed["breaches"]} == {("BTC/USDT", "max_weight"),
                                                                          ("ETH/USDT", "max_weight")}
    assert {(r["symbol"], r["side"]) for r in previewed["liquidation"]["preview"]} == {("BTC/USDT", "sell"),
                                                                                     ("ETH/USDT", "sell")}
    assert ledger_of(config).holdings()["BTC/USDT"] > 0  # the dry run only previewed: nothing written or sent
    assert len(ledger_of(config).orders()) == orders and previewed["liquidation"]["dry_run"] is True
    marks = len(ledger_of(config).marks())
    done = desk.monitor(config, "monitor__2", NEVER)
    assert {r["symbol"] for r in done["liquidation"]["preview"]} == {"BTC/USDT", "ETH/USDT"}
    assert len(ledger_of(config).marks()) == marks + 1  # one breaker evaluation per monitor run, liquidation or not
    holdings = ledger_of(config).holdings()
    assert holdings["BTC/USDT"] == 0 and holdings["ETH/USDT"] == 0 and holdings["SOL/USDT"] > 0


def test_an_infeasible_optimisation_keeps_the_weights_and_says_why(config):
    rebalance(config, "manual__8", {"target_weights": {"BTC/USDT": 0.2, "ETH/USDT": 0.2}})
    tight = with_section(config, "portfolio", {"max_weight": 0.1})  # 3 symbols at <= 10 % cannot hold 98 %
    form = desk.validate_form(tight, {})
    positions = desk.load_positions(tight, form, "manual__9")
    targets = desk.compute_targets(tight, form, positions)
    assert targets["ok"] is False and "max_weight" in targets["reason"]
    assert targets["targets"] == targets["current"] and targets["current"]["BTC/USDT"] > 0.15
    assert desk.build_orders(tight, "manual__9", positions, targets)["orders"] == []


def test_bad_form_values_name_the_field(config):
    with pytest.raises(ConfigError, match=r"params\.drift_threshold: 2 is invalid"):
        desk.validate_form(config, {"drift_threshold": 2})
    with pytest.raises(ConfigError, match=r"params\.symbols: 'DOGE/USDT' is not an execution symbol"):
        desk.validate_form(config, {"symbols": ["DOGE/USDT"]})
    with pytest.raises(ConfigError, match=r"params\.target_weights: the weights sum to 1\.2000"):
        desk.validate_form(config, {"target_weights": {"BTC/USDT": 0.6, "ETH/USDT": 0.6}})


def test_the_paper_venue_is_saved_atomically_and_only_when_the_block_succeeds(tmp_path):
    paths = DataPaths(tmp_path)
    markets = {"BTC/USDT": market("BTC/USDT")}
    with open_paper_venue(paths, markets, {"USDT": 100.0}, {}) as (venue, created):
        assert created
        venue.balances["USDT"] = 90.0
    with pytest.raises(RuntimeError):
        with open_paper_venue(paths, markets, {"USDT": 100.0}, {}) as (venue, created):
            assert not created and venue.balances["USDT"] == 90.0
            venue.balances["USDT"] = 0.0
            raise RuntimeError("crash mid-change")
    with open_paper_venue(paths, markets, {"USDT": 100.0}, {}) as (venue, _):
        assert venue.balances["USDT"] == 90.0
    assert [p.name for p in paths.paper_venue.parent.iterdir()] == ["paper_venue.json"]
