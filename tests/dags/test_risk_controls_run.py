"""The live risk controls through Airflow (`airflow dags test`) on simulated candles: the risk monitor
liquidating a hard-limit breach, flatten_all previewing (and notifying the breaker level change it
finds) then closing every position, an infeasible optimisation failing rebalance, and a breaker at
level 3 halting rebalance. Five DAG runs in all (each costs 10-15 s); holdings are seeded in-process
through the desk's library steps instead. The monitor's dry-run preview (risk_monitor has no form)
is tested at library level: tests/execution/test_desk.py.

The tests share one desk (ledger and paper venue) and run in file order; each seeds the holdings it
needs and puts the base config back. The flatten test leaves the breaker at level 1 (warn: nothing
blocked); the breaker test comes last, as a halt lasts a day.
"""
import json
from decimal import Decimal

import pytest

from include.checked_config import load_checked_config
from include.execution import desk
from include.execution.ledger import Ledger, now_ms
from include.sources.sim.catalogue import market
from tests.dags.isolated_airflow import isolated_airflow
from tests.execution.desk_support import config_text, desk_data, paper_rebalance

HARD_LIMIT_WEIGHT = "  hard_limits: {max_weight: 0.2}"
INFEASIBLE = config_text().replace("max_weight: 0.45", "max_weight: 0.1")  # 3 x 10 % < 1 - 2 % cash buffer


@pytest.fixture(scope="module")
def airflow(tmp_path_factory):
    root = tmp_path_factory.mktemp("risk-controls-run")
    desk_data(root / "data")
    run = isolated_airflow(root, config_text())
    assert run("pools set duckdb 1 'DuckDB file: one task at a time'").returncode == 0
    # the in-process seeding below reads the same config file and data directory as the Airflow runs
    with pytest.MonkeyPatch.context() as env:
        env.setenv("PEAKTRADE_CONFIG", str(root / "config.yaml"))
        env.setenv("PEAKTRADE_DATA_DIR", str(root / "data"))
        env.delenv("PEAKTRADE_LEDGER_URL", raising=False)
        yield root, run


@pytest.fixture
def config_file(airflow):
    """Write a config for the next runs; the base config is back after the test."""
    root, _ = airflow
    yield lambda text: (root / "config.yaml").write_text(text)
    (root / "config.yaml").write_text(config_text())


def dags_test(run, dag_id: str, conf: dict | None = None):
    return run(f"dags test {dag_id}" + ("" if conf is None else " -c '" + json.dumps(conf) + "'"))


def output(result) -> str:
    return result.stdout + result.stderr


def ledger(root) -> Ledger:
    return Ledger(root / "data" / "ledger" / "ledger.sqlite")


def lot(symbol: str) -> Decimal:
    return Decimal(str(market(symbol)["precision"]["amount"]))


def plant_peak(root, config, above: Decimal) -> None:
    """An equity mark `above` x today's equity (prices do not move here), as if the desk had been worth
    that: the next evaluation's drawdown is 1 - 1 / above (include/execution/breaker.py)."""
    form = desk.validate_form(config, {})
    peak = Decimal(desk.load_positions(config, form, "probe", source="test")["equity"]) * above
    ledger(root).record_mark(ts_ms=now_ms(), equity=peak, peak=peak, drawdown=0, level=0, source="test")


def test_the_risk_monitor_liquidates_a_hard_limit_breach_through_the_order_path(airflow, config_file):
    root, run = airflow
    paper_rebalance(load_checked_config(), "seed__monitor", {"BTC/USDT": 0.3, "ETH/USDT": 0.3, "SOL/USDT": 0.1})
    before = {r.client_order_id for r in ledger(root).orders()}
    config_file(config_text(extra=HARD_LIMIT_WEIGHT))  # the 30 % positions are beyond a 20 % hard limit

    monitored = dags_test(run, "risk_monitor")
    assert monitored.returncode == 0, output(monitored)[-3000:]
    assert "hard limit breached: BTC/USDT max_weight" in output(monitored)
    new = [r for r in ledger(root).orders() if r.client_order_id not in before]
    assert {(r.intent.symbol, r.intent.side, r.intent.reason, r.status.value) for r in new} == {
        ("BTC/USDT", "sell", "hard limit", "filled"), ("ETH/USDT", "sell", "hard limit", "filled")}
    assert all(r.intent.run_id.endswith(":liquidate") for r in new)
    fills = [f for f in ledger(root).fills() if f.client_order_id in {r.client_order_id for r in new}]
    assert sorted(f.symbol for f in fills) == ["BTC/USDT", "ETH/USDT"] and {f.side for f in fills} == {"sell"}
    holdings = ledger(root).holdings()
    assert holdings["BTC/USDT"] < lot("BTC/USDT") and holdings["ETH/USDT"] < lot("ETH/USDT")
    assert holdings["SOL/USDT"] > 0  # within its limit: kept


def test_flatten_all_previews_in_a_dry_run_and_closes_every_position_when_sent(airflow):
    root, run = airflow
    config = load_checked_config()
    paper_rebalance(config, "seed__flatten", {"BTC/USDT": 0.2, "ETH/USDT": 0.2, "SOL/USDT": 0.2})
    held = ledger(root).holdings()
    orders = len(ledger(root).orders())
    assert all(q > 0 for q in held.values())
    plant_peak(root, config, Decimal("1.07"))  # drawdown 6.5 %: flatten's evaluation finds level 1 (warn)

    preview = dags_test(run, "flatten_all", {"dry_run": True})
    assert preview.returncode == 0, output(preview)[-3000:]
    assert "flatten orders:" in output(preview) and "dry run: 3 order(s) not sent" in output(preview)
    assert "[Peak Trade] circuit breaker: notified" in output(preview)  # the level change reaches the channels
    assert ledger(root).holdings() == held and len(ledger(root).orders()) == orders

    flat = dags_test(run, "flatten_all", {"dry_run": False})
    assert flat.returncode == 0, output(flat)[-3000:]
    assert "flatten: sent 3 order(s)" in output(flat)
    for symbol, quantity in ledger(root).holdings().items():
        assert 0 <= quantity < lot(symbol), symbol
    assert len(ledger(root).orders()) == orders + 3


def test_an_infeasible_optimisation_fails_rebalance_with_its_reason_and_orders_nothing(airflow, config_file):
    root, run = airflow
    orders = len(ledger(root).orders())
    config_file(INFEASIBLE)

    failed = dags_test(run, "rebalance", {"dry_run": False})
    assert failed.returncode != 0
    assert ("optimisation failed, current weights kept and nothing ordered: infeasible: the maximum weights of "
            "the 3 assets sum to 0.3") in output(failed)
    assert len(ledger(root).orders()) == orders


def test_a_breaker_at_level_3_halts_rebalance_before_any_order(airflow):
    root, run = airflow
    plant_peak(root, load_checked_config(), Decimal("1.25"))  # drawdown 20 % >= halt 15 %
    orders = len(ledger(root).orders())

    halted = dags_test(run, "rebalance", {"dry_run": False, "target_weights": {"BTC/USDT": 0.2}})
    assert halted.returncode != 0
    assert ("rebalance refused: circuit breaker at level 3 (halt), drawdown 20.00% beyond the limit 15.0%"
            in output(halted))
    assert len(ledger(root).orders()) == orders
    assert ledger(root).marks()[-1]["level"] == 3
