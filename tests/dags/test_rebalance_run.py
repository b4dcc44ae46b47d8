"""rebalance runs through Airflow (`airflow dags test`) on simulated candles: a dry run, a paper run that
reaches its targets within one lot, a cleared submit task that sends nothing twice, a bad form value,
and the kill switch Variable blocking a run; on a testnet account (the Binance spot emulator in this
process, its key in an AIRFLOW_CONN_ env Connection) a run that needs no approval trades end to end, and a
live-armed account without the form's live_venue fails at reconcile_start. Seven Airflow invocations in all
(each costs tens of seconds)."""
import json
import sqlite3
from decimal import Decimal

import pandas as pd
import pytest

from include.execution.ledger import Ledger
from include.sources.sim.catalogue import market
from tests.dags.isolated_airflow import isolated_airflow
from tests.emulator import running_emulator
from tests.execution.desk_support import config_text, desk_data

KEY, SECRET = "rebalance-run-key", "rebalance-run-secret"
PRICES = {"BTC/USDT": "60000", "ETH/USDT": "3000", "SOL/USDT": "150"}


@pytest.fixture(scope="module")
def emulator():
    with running_emulator(balances={"USDT": "50000"}, prices=PRICES, api_key=KEY, secret=SECRET) as venue:
        yield venue


@pytest.fixture(scope="module")
def airflow(tmp_path_factory, emulator):
    root = tmp_path_factory.mktemp("rebalance-run")
    desk_data(root / "data")
    common = f"exchange: binance, connection_id: venue_key, api_url: '{emulator.base_url}', query_interval_s: 0"
    venues = ("  venues:\n"
              f"    testnet: {{{common}, require_approval: false}}\n"
              f"    real: {{{common}, sandbox: false, live: true, approvers: [alice]}}")
    run = isolated_airflow(root, config_text(extra=venues),
                           AIRFLOW_CONN_VENUE_KEY=json.dumps({"conn_type": "generic", "login": KEY, "password": SECRET}))
    assert run("pools set duckdb 1 'DuckDB file: one task at a time'").returncode == 0
    return root, run


def trigger(run, conf: dict):
    return run("dags test rebalance -c '" + json.dumps(conf) + "'")


def task_state(root, task_id: str, run_id: str) -> str:
    db = sqlite3.connect(root / "airflow.db")
    return db.execute("select state from task_instance where dag_id = 'rebalance' and task_id = ? and run_id = ?",
                      (task_id, run_id)).fetchone()[0]


def xcom(root, task_id: str, run_id: str):
    db = sqlite3.connect(root / "airflow.db")
    (value,) = db.execute("select value from xcom where dag_id = 'rebalance' and task_id = ? and run_id = ? and key = 'return_value'",
                          (task_id, run_id)).fetchone()
    return json.loads(value) if isinstance(value, (str, bytes)) else value


def last_run_id(root) -> str:
    db = sqlite3.connect(root / "airflow.db")
    return db.execute("select run_id from dag_run where dag_id = 'rebalance' order by id desc").fetchone()[0]


def ledger(root) -> Ledger:
    return Ledger(root / "data" / "ledger" / "ledger.sqlite")


def test_dry_run_then_paper_run_then_a_cleared_submit_sends_nothing(airflow):
    root, run = airflow
    dry = trigger(run, {})
    assert dry.returncode == 0, (dry.stdout + dry.stderr)[-3000:]
    preview = xcom(root, "build_orders", last_run_id(root))["preview"]
    assert {r["symbol"] for r in preview} == {"BTC/USDT", "ETH/USDT", "SOL/USDT"}
    assert "weight after" in dry.stdout + dry.stderr  # the preview table in the log
    assert ledger(root).orders() == []

    paper = trigger(run, {"dry_run": False})
    assert paper.returncode == 0, (paper.stdout + paper.stderr)[-3000:]
    run_id = last_run_id(root)
    positions, targets = xcom(root, "load_positions", run_id), xcom(root, "compute_targets", run_id)
    holdings = ledger(root).holdings()
    for symbol, weight in targets["targets"].items():
        target = Decimal(str(weight)) * Decimal(positions["equity"]) / Decimal(str(positions["prices"][symbol]))
        assert abs(holdings[symbol] - target) < Decimal(str(market(symbol)["precision"]["amount"])), symbol
    orders = len(ledger(root).orders())
    assert orders == 3 and len(ledger(root).fills()) == 3
    assert (root / "data" / "ledger" / "exports" / "fills.parquet").is_file()
    # publish_ledger built the ledger marts: every position is marked at the venue's daily close
    marked = pd.read_parquet(root / "data" / "warehouse" / "exports" / "fct_positions.parquet")
    assert set(marked["symbol"]) == set(targets["targets"]) and marked["mark"].notna().all()

    again = run(f"tasks test rebalance submit_orders '{run_id}'")
    assert again.returncode == 0, (again.stdout + again.stderr)[-3000:]
    assert "sent 0 order(s), 3 already in the ledger" in again.stdout + again.stderr
    assert len(ledger(root).orders()) == orders and len(ledger(root).fills()) == 3


def test_a_bad_form_value_fails_with_one_message_naming_the_field(airflow):
    root, run = airflow
    bad = trigger(run, {"target_weights": {"BTC/USDT": 0.7, "ETH/USDT": 0.7}})
    assert bad.returncode != 0
    assert "params.target_weights: the weights sum to 1.4000; valid: at most 1" in bad.stdout + bad.stderr


def test_a_testnet_rebalance_without_approval_trades_on_the_venue(airflow, emulator):
    root, run = airflow
    done = trigger(run, {"broker": "testnet", "dry_run": False, "target_weights": {"BTC/USDT": 0.4, "ETH/USDT": 0.3}})
    out = done.stdout + done.stderr
    assert done.returncode == 0, out[-3000:]
    run_id = last_run_id(root)
    assert task_state(root, "approve_orders", run_id) == "skipped"
    assert task_state(root, "submit_orders", run_id) == "success"
    assert task_state(root, "publish_ledger", run_id) == "skipped"  # the warehouse models the paper ledger
    sent = emulator.create_requests()
    assert len(sent) == 2 and all(r["accepted"] for r in sent)
    venue_ledger = Ledger(root / "data" / "ledger" / "testnet.sqlite")
    try:
        assert {c: v for c, v in venue_ledger.balances().items() if v} == \
            {c: v for c, v in emulator.balances().items() if v}
        assert len(venue_ledger.fills()) == len(emulator.trades()) == 2
    finally:
        venue_ledger.close()
    # BTC at 40% of 50,000 USDT at 60,000, less Binance's 0.1% commission in BTC
    assert abs(emulator.balances()["BTC"] - Decimal("0.33333") * Decimal("0.999")) < Decimal("0.00002")
    assert "on testnet" in xcom(root, "summarise", run_id)["text"]
    assert KEY not in out and SECRET not in out


def test_a_live_account_without_live_venue_fails_at_reconcile_start(airflow, emulator):
    root, run = airflow
    before = len(emulator.create_requests())
    refused = trigger(run, {"broker": "real", "dry_run": False, "target_weights": {"BTC/USDT": 0.1}})
    assert refused.returncode != 0
    assert ("live trading on real refused (real money): (b) the form's live_venue is '', not the broker's name "
            "'real'") in refused.stdout + refused.stderr
    assert task_state(root, "reconcile_start", last_run_id(root)) == "failed"
    assert len(emulator.create_requests()) == before


# Last: it leaves the kill switch engaged.
def test_the_kill_switch_variable_blocks_a_run(airflow):
    root, run = airflow
    assert run("variables set peak_trade_kill_switch true").returncode == 0
    before = len(ledger(root).fills())
    blocked = trigger(run, {"dry_run": False, "target_weights": {"BTC/USDT": 0.1}})
    assert blocked.returncode != 0
    assert "the kill switch is engaged" in blocked.stdout + blocked.stderr
    assert len(ledger(root).fills()) == before
