"""What a desk user sees in the Airflow UI, in Debian's Chromium: bad backfill input fails the run at once
with its one message, a circuit breaker at halt shows on the DAG list, and the trigger forms (whose
screenshots go to docs/images/ with PEAKTRADE_DOC_SCREENSHOTS=1, else to a temporary folder: a test run
leaves git clean).

One isolated Airflow (api-server, scheduler, dag-processor; SQLite, LocalExecutor) serves the module,
on the simulator's candles and a paper desk; every DAG starts paused so no schedule runs by itself.
"""
from __future__ import annotations

import json
import os
import re
import tempfile
import urllib.request
from decimal import Decimal
from pathlib import Path

import pytest

from tests.conftest import REPO
from tests.dags.isolated_airflow import free_port, isolated_airflow, stop, wait_for
from tests.dags.stack_support import (PARSE_TIMEOUTS, admin_password, api_client, dags_folder, finished_run, ok, parsed,
                                      task_states)
from tests.execution.desk_support import build_warehouse, config_text, land_sim

IMAGES = (REPO / "docs" / "images" if os.environ.get("PEAKTRADE_DOC_SCREENSHOTS") == "1"
          else Path(tempfile.mkdtemp(prefix="peaktrade-screens-")))
SWEEPS = """
sweeps:
  - {name: sma_crossover_1h, strategy: sma_crossover, timeframe: 1h, method: grid, objective: sharpe_ratio,
     universe: [{exchange: sim_alpha, symbol: BTC/USDT}, {exchange: sim_alpha, symbol: ETH/USDT}], budget: 20}
  - {name: rsi_tpe_1h, strategy: rsi_mean_reversion, timeframe: 1h, method: tpe, objective: sharpe_ratio,
     universe: [{exchange: sim_alpha, symbol: BTC/USDT}], budget: 10}
"""
BAD_SYMBOL = "symbol 'BTC/USDX' is not listed on exchange 'sim_alpha'"
DAGS = ("market_data_backfill", "risk_monitor", "nightly_sweep", "rebalance")  # each its own file in dags/


def _healthy(base: str) -> bool:
    try:
        with urllib.request.urlopen(f"{base}/api/v2/monitor/health", timeout=5) as response:
            health = json.load(response)
    except OSError:
        return False
    return all((health.get(c) or {}).get("status") == "healthy" for c in ("metadatabase", "scheduler", "dag_processor"))


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    root = tmp_path_factory.mktemp("run-states")
    land_sim(root / "data")
    build_warehouse(root / "data")  # publish_ledger's dbt models need the daily returns
    port = free_port()
    dags = dags_folder(root, *(f"{dag_id}.py" for dag_id in DAGS))  # the only DAGs parsed
    cli = isolated_airflow(
        root, config_text(extra=SWEEPS), f"export AIRFLOW__CORE__DAGS_FOLDER={dags}",
        f"export AIRFLOW__API__PORT={port} AIRFLOW__API__HOST=127.0.0.1",
        f"export AIRFLOW__CORE__EXECUTION_API_SERVER_URL=http://127.0.0.1:{port}/execution/",
        "export AIRFLOW__API_AUTH__JWT_SECRET=peaktrade-states AIRFLOW__CORE__PARALLELISM=2",
        "export AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION=True",  # only the runs a test triggers
        "export AIRFLOW__SCHEDULER__SCHEDULER_HEARTBEAT_SEC=2 AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL=10",
        "export AIRFLOW__DAG_PROCESSOR__MIN_FILE_PROCESS_INTERVAL=3600",  # each file parsed once
        PARSE_TIMEOUTS,
    )
    # the api-server first (tasks report to it), as scripts/airflow.sh starts them
    procs, api = [cli.start("api-server")], None
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for(lambda: _healthy_api(base), 300, "the api-server")
        password = admin_password(root)
        api = api_client(base, "admin", password)  # the pool below, and unpausing risk_monitor
        ok(api.post("/pools", json={"name": "duckdb", "slots": 1, "description": "DuckDB warehouse file"}))
        procs += [cli.start("scheduler"), cli.start("dag-processor")]
        wait_for(lambda: _healthy(base), 300, "the scheduler and the dag-processor")
        # read-only from the metadata database: an `airflow` CLI call per poll costs seconds of CPU
        wait_for(lambda: parsed(root / "airflow.db", *DAGS), 300, "the DAGs to be parsed", every=1)
        yield {"base": base, "password": password, "api": api, "root": root, "db": root / "airflow.db"}
    finally:
        if api is not None:
            api.close()
        stop(procs)


def _healthy_api(base: str) -> bool:
    try:
        with urllib.request.urlopen(f"{base}/api/v2/monitor/health", timeout=5) as response:
            return json.load(response)["metadatabase"]["status"] == "healthy"
    except OSError:
        return False


@pytest.fixture
def ui(page, stack):
    """A page logged in as the SimpleAuthManager's admin."""
    page.set_default_timeout(60_000)
    page.goto(stack["base"] + "/")
    page.get_by_label("Username").fill("admin")
    page.get_by_label("Password").fill(stack["password"])
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(lambda url: "/auth/" not in url)
    return page


def _open_trigger_form(page, base: str, dag_id: str):
    page.goto(f"{base}/dags/{dag_id}")
    page.get_by_role("button", name="Trigger").first.click()
    dialog = page.locator("[role=dialog][data-state=open]")
    dialog.get_by_text("Run Parameters").first.wait_for()
    return dialog


def test_a_bad_symbol_from_the_trigger_form_fails_the_run_at_once_with_its_message(ui, stack):
    base, db = stack["base"], stack["db"]
    dialog = _open_trigger_form(ui, base, "market_data_backfill")
    # The Symbols field offers the configured symbols only; an unknown one comes in through the form's
    # Configuration JSON (Advanced Options), which the UI validates against the params' schema.
    dialog.get_by_text("Advanced Options").click()
    editor = dialog.locator(".monaco-editor").first
    editor.click()
    ui.keyboard.press("Control+A")
    ui.keyboard.insert_text(json.dumps({"exchange": "sim_alpha", "symbols": ["BTC/USDX"], "timeframe": "1h",
                                        "start": None, "end": None}))
    ui.keyboard.press("Shift+Control+End")  # what the editor auto-closed after the cursor
    ui.keyboard.press("Delete")
    assert dialog.get_by_role("checkbox").first.is_checked()  # "Unpause market_data_backfill on trigger"
    dialog.get_by_role("button", name="Trigger").click()

    run = finished_run(db, "market_data_backfill")
    assert run["state"] == "failed"
    states = task_states(db, "market_data_backfill", run["run_id"])
    assert states["plan_backfill"] == "failed"
    assert {states[t] for t in ("land", "validate", "publish")} == {"upstream_failed"}  # nothing retried
    assert "up_for_retry" not in set(states.values())

    # The UI's first error is the one message, as the first line the task logged.
    ui.goto(f"{base}/dags/market_data_backfill")
    ui.get_by_text("Recent Failed Task Logs").wait_for()
    ui.get_by_text("Show Logs").first.click()
    ui.get_by_text(BAD_SYMBOL).first.wait_for()
    lines = [line for line in ui.locator("body").inner_text().splitlines() if "ERROR" in line]
    assert lines and BAD_SYMBOL in lines[0], lines[:3]
    ui.screenshot(path=str(IMAGES / "run_bad_backfill_input.png"))


def test_a_circuit_breaker_at_halt_shows_on_the_dag_list(ui, stack, monkeypatch):
    base, db, root = stack["base"], stack["db"], stack["root"]
    monkeypatch.setenv("PEAKTRADE_CONFIG", str(root / "config.yaml"))
    monkeypatch.setenv("PEAKTRADE_DATA_DIR", str(root / "data"))
    monkeypatch.delenv("PEAKTRADE_LEDGER_URL", raising=False)
    _plant_peak(root, Decimal("1.25"))  # the desk was worth 25 % more: drawdown 20 % >= halt at 15 %
    # unpaused, the scheduler runs the latest */15 slot at once (no schedules_start here: catch-up of one)
    ok(stack["api"].patch("/dags/risk_monitor", json={"is_paused": False}))

    run = finished_run(db, "risk_monitor")
    states = task_states(db, "risk_monitor", run["run_id"])
    # the monitor's work is done (ledger published); the run is failed by the breaker alone
    assert states == {"monitor_risk": "success", "publish_ledger": "success", "check_breaker": "failed"}

    def latest_run_state_on_the_list():  # a later */15 slot may be running meanwhile: wait for it to end
        ui.goto(f"{base}/dags?search=risk_monitor")
        card = ui.get_by_test_id("dag-card").filter(has=ui.get_by_test_id("dag-id").filter(has_text="risk_monitor"))
        card.get_by_test_id("latest-run").get_by_test_id("state-badge").wait_for()
        state = card.get_by_test_id("latest-run").get_by_test_id("state-badge").get_attribute("aria-label")
        return state if state in ("success", "failed") else None

    assert wait_for(latest_run_state_on_the_list, 600, "risk_monitor's latest run to end") == "failed"
    ui.goto(f"{base}/dags?last_dag_run_state=failed")
    ui.get_by_test_id("dag-id").filter(has_text="risk_monitor").wait_for()
    ui.screenshot(path=str(IMAGES / "dag_list_breaker_at_halt.png"))

    ui.goto(f"{base}/dags/risk_monitor")
    ui.get_by_text("Recent Failed Task Logs").wait_for()
    assert ui.get_by_text("check_breaker").first.is_visible()
    ui.get_by_text("Show Logs").first.click()
    ui.get_by_text("circuit breaker at level 3 of 3 (halt): paper account, drawdown 20.0%").first.wait_for()
    ui.screenshot(path=str(IMAGES / "run_breaker_at_halt.png"))


def _plant_peak(root, above: Decimal) -> None:
    """An equity mark `above` x today's equity, as if the desk had been worth that (test_risk_controls_run)."""
    from include.checked_config import load_checked_config
    from include.execution import desk
    from include.execution.ledger import Ledger, now_ms

    config = load_checked_config()
    peak = Decimal(desk.load_positions(config, desk.validate_form(config, {}), "probe", source="test")["equity"]) * above
    Ledger(root / "data" / "ledger" / "ledger.sqlite").record_mark(ts_ms=now_ms(), equity=peak, peak=peak,
                                                                   drawdown=0, level=0, source="test")


@pytest.mark.parametrize("dag_id", ["nightly_sweep", "rebalance", "market_data_backfill"])
def test_trigger_forms_explain_airflows_fields_and_describe_every_field(ui, stack, dag_id):
    ui.set_viewport_size({"width": 1440, "height": 1700})
    dialog = _open_trigger_form(ui, stack["base"], dag_id)
    assert dialog.get_by_text("Logical Date", exact=True).first.is_visible()
    # the first of the project's fields says what Airflow's fields above it do
    assert dialog.get_by_text(re.compile(r"Airflow's Logical Date .*above only names? the run")).count() == 1
    ui.wait_for_timeout(1000)  # the dialog fades in: a screenshot taken at once shows the page through it
    ui.screenshot(path=str(IMAGES / f"trigger_form_{dag_id}.png"))
    if dag_id == "nightly_sweep":  # a multi-select of the configured sweeps, not free text
        assert "sma_crossover_1h: sma_crossover on BTC/USDT, ETH/USDT (1h)" in dialog.inner_text()
