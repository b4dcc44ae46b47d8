"""Every desk summary (rebalance, flatten, the monitor's liquidations; dry runs too) is one row of the ledger's
desk_runs: written once per (run, kind), with the figures the summary shows."""
from __future__ import annotations

import json
from decimal import Decimal

import pytest

from include.execution import desk
from tests.execution.test_desk import NEVER, config, landed, ledger_of, rebalance, with_section  # noqa: F401


def runs_of(config) -> list[dict]:
    led = ledger_of(config)
    try:
        return led.desk_runs()
    finally:
        led.close()


def test_a_paper_rebalance_is_recorded_once_with_its_summary(config):
    run = rebalance(config, "manual__1")
    summary = run["summary"]
    (row,) = runs_of(config)
    assert (row["run_id"], row["kind"], row["dry_run"]) == ("manual__1", "rebalance", False)
    assert (row["orders"], row["fills"], row["rejected"], row["proposed"]) == (3, 3, 0, 3)
    fills = ledger_of(config).fills()
    assert row["notional"] == sum(f.amount * f.price for f in fills)
    assert row["fees"] == sum(f.fee_cost for f in fills) > 0  # the paper venue charges in the quote currency
    assert float(row["slippage_cost"]) == pytest.approx(summary["slippage_total"], rel=1e-12)
    # the run's bps: each fill's bps weighted by its notional at the arrival price
    at_arrival = [float(Decimal(f["arrival_price"]) * Decimal(f["amount"])) for f in summary["fills"]]
    weighted = sum(f["slippage_bps"] * w for f, w in zip(summary["fills"], at_arrival)) / sum(at_arrival)
    assert float(row["slippage_bps"]) == pytest.approx(weighted, rel=1e-9) and weighted > 0
    assert json.loads(row["weights_before"]) == summary["weights_before"]
    assert json.loads(row["weights_after"]) == pytest.approx(summary["weights_after"])
    assert str(row["equity_before"]) == summary["equity_before"]

    form = desk.validate_form(config, {"dry_run": False})  # a cleared summarise task runs again
    again = desk.summarise(config, "manual__1", form, run["positions"], run["targets"], run["plan"], run["checked"])
    assert again["orders"] == summary["orders"]
    assert runs_of(config) == [row]  # a re-run of the summary keeps the first row


def test_a_dry_run_is_recorded_as_a_preview_with_no_order(config):
    form = desk.validate_form(config, {})
    positions = desk.load_positions(config, form, "dry__1")
    targets = desk.compute_targets(config, form, positions)
    plan = desk.build_orders(config, "dry__1", positions, targets)
    checked = desk.check_risk(config, positions, plan, NEVER)
    desk.execute_orders(config, checked, NEVER, dry_run=True)
    desk.summarise(config, "dry__1", form, positions, targets, plan, checked)
    (row,) = runs_of(config)
    assert (row["kind"], row["dry_run"], row["orders"], row["fills"], row["proposed"]) == ("rebalance", True, 0, 0, 3)
    assert (row["notional"], row["slippage_cost"], row["slippage_bps"]) == (0, 0, None)
    assert json.loads(row["preview"]) == plan["preview"]
    assert ledger_of(config).orders() == []


def test_the_monitors_liquidations_are_recorded_previewed_and_done(config):
    rebalance(config, "manual__7", {"target_weights": {"BTC/USDT": 0.3, "ETH/USDT": 0.3, "SOL/USDT": 0.1}})
    config = with_section(config, "execution", {"hard_limits": {"max_weight": 0.2}})
    desk.monitor(config, "monitor__1", NEVER, dry_run=True)
    desk.monitor(config, "monitor__2", NEVER)
    runs = {(r["run_id"], r["kind"]): r for r in runs_of(config)}
    assert sorted(runs) == [("manual__7", "rebalance"), ("monitor__1:liquidate", "liquidation"),
                            ("monitor__2:liquidate", "liquidation")]
    preview, done = runs[("monitor__1:liquidate", "liquidation")], runs[("monitor__2:liquidate", "liquidation")]
    assert (preview["dry_run"], preview["orders"], preview["proposed"]) == (True, 0, 2)
    assert {r["symbol"] for r in json.loads(preview["preview"])} == {"BTC/USDT", "ETH/USDT"}
    assert (done["dry_run"], done["orders"], done["fills"]) == (False, 2, 2)
    assert json.loads(done["weights_after"])["BTC/USDT"] == 0


def test_a_flatten_is_recorded_with_its_kind(config):
    rebalance(config, "manual__4")
    desk.flatten(config, "flatten__1", dry_run=False)
    row = next(r for r in runs_of(config) if r["run_id"] == "flatten__1")
    assert (row["kind"], row["dry_run"], row["orders"], row["fills"]) == ("flatten", False, 3, 3)
