"""The Desk page in a real Airflow UI, driven by Chromium: an isolated api-server loads the project's plugin
over a data directory that looks like a finished demo (desk_data.py); a user logs in through the login
form, opens Desk from the navigation, and the page's figures match the exports and the ledger read here
independently; the report and the data-quality page download through the plugin; an anonymous request
is refused. The same page behind the FAB auth manager (a Viewer logs in through FAB's form). One data
directory for the whole file (it costs about two minutes to build)."""
from __future__ import annotations

import json
import os
import re
from contextlib import contextmanager
import time
import urllib.error
import urllib.request
from pathlib import Path

import pandas as pd
import pytest

from include.execution.ledger import Ledger
from include.paths import DataPaths
from include.reports.export_readers import read_export
from include.reports.formatting import money, pct
from tests.browser import desk_data
from tests.conftest import REPO, SHARED_REAL
from tests.dags.isolated_airflow import IsolatedAirflow, free_port, isolated_airflow
from tests.dags.stack_support import PARSE_TIMEOUTS, api_client, ok
from tests.reports import ledger_support as hand

USER, PASSWORD = "desk", "desk-secret"
SCREENSHOT = REPO / "docs" / "images" / "desk.png"
CONFIG = f"""
universe:
  symbols: [BTC/USD]
  timeframes: [1m]
  exchanges:
    - id: bus_usd
      source: file
      symbols: [BTC/USD]
      timeframes: [1m]
      files:
        BTC/USD: {{path: {SHARED_REAL}/binanceus_BTCUSD_1m_2023-03-01_2023-03-21.csv.gz, format: csv,
                   timestamp_unit: iso, columns: {{timestamp: open_time, open: open, high: high, low: low,
                   close: close, volume: volume}}}}
history: {{start: {{1m: 3d}}}}
execution: {{venue: bus_usd, quote: USD}}
"""


@pytest.fixture(scope="module")
def desk(real_warehouse, tmp_path_factory):
    """(root, base URL, its IsolatedAirflow) of an api-server with the plugin over the demo-like data; stopped
    at the end."""
    root = tmp_path_factory.mktemp("desk-page")
    desk_data.build(real_warehouse, root)
    port = free_port()
    airflow = isolated_airflow(
        root, CONFIG, f"export AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS='{USER}:admin'",
        f"export AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE='{root}/passwords.json'",
        f"export AIRFLOW__API__BASE_URL='http://127.0.0.1:{port}'", PARSE_TIMEOUTS)
    (root / "passwords.json").write_text(json.dumps({USER: PASSWORD}))
    done = airflow("dags reserialize")  # every DAG on the page's list, none run
    assert done.returncode == 0, (done.stdout + done.stderr)[-2000:]
    with _api_server(airflow, port) as base:
        # through the running api-server: an `airflow` CLI call costs seconds of CPU for each
        with api_client(base, USER, PASSWORD) as api:
            ok(api.post("/dags/daily_report/dagRuns", json={"logical_date": None}))
            ok(api.post("/variables", json={"key": desk_data.KILL_SWITCH, "value": "true"}))
        yield root, base, airflow


@contextmanager
def _api_server(airflow, port: int):
    server = airflow.start(f"api-server --port {port} --host 127.0.0.1")
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_for(f"{base}/api/v2/monitor/health", server, airflow.root)
        yield base
    finally:
        server.terminate()
        server.wait(timeout=60)


def _wait_for(url: str, server, root: Path, timeout: float = 240) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise AssertionError("api-server exited:\n" + (root / "api-server.log").read_text()[-3000:])
        try:
            with urllib.request.urlopen(url, timeout=5):
                return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(1)
    raise AssertionError(f"api-server not up in {timeout} s:\n" + (root / "api-server.log").read_text()[-3000:])


def _status(url: str) -> tuple[int, str]:
    """An anonymous request's status and, for a redirect, where it goes (not followed)."""
    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args):
            return None
    try:
        with urllib.request.build_opener(NoRedirect).open(url, timeout=30) as r:
            return r.status, ""
    except urllib.error.HTTPError as e:
        return e.code, e.headers.get("location", "")


def test_anonymous_requests_are_refused(desk):
    _, base, _ = desk
    for path in ("/peak-trade/data.json", "/peak-trade/files/reports/2023/03/peak_trade_daily_2023-03-14.pdf"):
        assert _status(base + path)[0] == 401, path
    code, location = _status(base + "/peak-trade/")
    assert code == 303 and "/auth/login" in location  # a browser is sent to the login form
    forged = urllib.request.Request(base + "/peak-trade/data.json", headers={"Authorization": "Bearer not.a.jwt"})
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(forged, timeout=30)
    assert refused.value.code in (401, 403)


def _login(page, base: str) -> None:
    page.goto(f"{base}/auth/login")
    page.get_by_label(re.compile("username", re.I)).fill(USER)
    page.get_by_label(re.compile("password", re.I)).fill(PASSWORD)
    page.get_by_role("button", name=re.compile("sign in|log ?in", re.I)).click()
    page.wait_for_url(re.compile(rf"^{re.escape(base)}/?(\?.*)?$|/dags"), timeout=60_000)


def test_the_desk_page_shows_the_exports_and_the_ledger(desk, page):
    root, base, _ = desk
    data_dir = root / "data"
    _login(page, base)
    page.get_by_role("link", name="Desk").first.click()
    page.wait_for_url(re.compile(r"/plugin/desk"), timeout=60_000)
    frame = page.frame_locator("iframe").first
    frame.get_by_test_id("paper-equity").wait_for(timeout=120_000)

    # the paper portfolio and the benchmark, read from the exports here
    pnl = read_export(data_dir, "fct_pnl")
    total = pnl[pnl.level == "total"].sort_values("trade_date").iloc[-1]
    bench = read_export(data_dir, "fct_portfolio_daily").sort_values("trade_date").iloc[-1]
    assert frame.get_by_test_id("paper-equity").inner_text() == money(total.equity, "USD")
    assert frame.get_by_test_id("paper-day-pnl").inner_text() == money(total.pnl, "USD")
    assert frame.get_by_test_id("paper-total-pnl").inner_text() == money(total.total_pnl, "USD")
    assert frame.get_by_test_id("benchmark-equity").inner_text() == money(bench.equity, "USD")

    # positions against the last rebalance's target
    day = pnl[(pnl.trade_date == pnl.trade_date.max()) & (pnl.level == "symbol")].iloc[0]
    row = frame.get_by_test_id("positions").locator("tbody tr").first.inner_text()
    assert hand.SYMBOL in row and money(day.market_value, "").strip() in row
    assert pct(float(day.market_value) / float(total.equity)) in row and pct(desk_data.TARGETS[hand.SYMBOL]) in row

    # the desk's last day with orders (14 March): order C and its fill t4, slippage +8.3 bp (a cost)
    orders = frame.get_by_test_id("orders").locator("tbody tr")
    assert orders.count() == 1 and "sell" in orders.first.inner_text() and "+8.3 bp" in orders.first.inner_text()
    fills = frame.get_by_test_id("fills").locator("tbody tr")
    assert fills.count() == 1 and "23,980.00" in fills.first.inner_text()
    assert money(float(hand.D("0.7") * 20), "").strip() in fills.first.inner_text()  # 0.7 x (24,000 - 23,980)

    # breaker as the ledger marked it last; the kill switch Variable set above
    ledger = Ledger(DataPaths(data_dir).ledger)
    try:
        last_mark = ledger.marks()[-1]
    finally:
        ledger.close()
    assert frame.get_by_test_id("breaker").inner_text() == f"level {last_mark['level']} (warn)"
    assert frame.get_by_test_id("kill-switch").inner_text() == "ENGAGED"

    # the validation run: 1 passed, 1 flagged, 1 quarantined, as its results file says
    results = pd.read_parquet(next(DataPaths(data_dir).validation_results.glob("run=*.parquet")))
    flagged = int((results.passed & (results.flagged != "")).sum())
    assert frame.get_by_test_id("quality").inner_text() == (
        f"{int(results.passed.sum()) - flagged} passed · {flagged} flagged · {int((~results.passed).sum())} quarantined")
    problems = frame.get_by_test_id("quality-problems").inner_text()
    assert "quarantined" in problems and "volume" in problems

    # the sweep's best parameters as exported
    best = read_export(data_dir, "fct_sweep_best").iloc[0]
    assert json.loads(best.params)["fast"] is not None
    sweeps = frame.get_by_test_id("sweeps").inner_text()
    assert best.sweep in sweeps and f"{best.total_return * 100:,.2f} %" in sweeps

    # every DAG with its last run: the triggered daily_report is queued, the others never ran
    dag_rows = frame.get_by_test_id("dag-runs").locator("tbody tr")
    assert dag_rows.count() == len(list((REPO / "dags").glob("*.py"))) + 1  # reports.py holds daily and weekly
    assert "queued" in frame.locator("tr[data-dag=daily_report]").inner_text()
    assert "never run" in frame.locator("tr[data-dag=rebalance]").inner_text()

    # the report and the data-quality page through the plugin, with the session's cookie
    pdf = frame.get_by_test_id("report-daily-pdf")
    with page.expect_download() as download:
        pdf.click()
    saved = download.value.path()
    assert Path(saved).read_bytes() == (root / "reports/2023/03/peak_trade_daily_2023-03-14.pdf").read_bytes()
    href = frame.get_by_test_id("quality-report").first.get_attribute("href")
    quality = page.request.get(f"{base}/peak-trade/{href}")
    assert quality.ok and "Data quality report" in quality.text()
    assert page.request.get(f"{base}/peak-trade/files/reports/../../config.yaml").status == 404

    # the page alone, full length: into docs/ when asked (PEAKTRADE_DOC_SCREENSHOTS=1), so a test run leaves git clean
    page.goto(f"{base}/peak-trade/")
    shot = SCREENSHOT if os.environ.get("PEAKTRADE_DOC_SCREENSHOTS") == "1" else root / SCREENSHOT.name
    shot.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 50_000  # a rendered page, not a blank one


def test_the_desk_page_behind_the_fab_auth_manager(desk, page):
    """FAB's own login form, then the page; its figures are the same files' (the first test checks them all).
    A second api-server on the same metadata database (FAB's tables migrated into it) and data: a fresh
    database would cost another migration."""
    root, _, simple = desk
    fab_root = root / "fab"  # its api-server's log
    fab_root.mkdir()
    port = free_port()
    airflow = IsolatedAirflow(fab_root, simple.env, " && ".join([
        simple.prelude,
        "export AIRFLOW__CORE__AUTH_MANAGER=airflow.providers.fab.auth_manager.fab_auth_manager.FabAuthManager",
        f"export AIRFLOW__API__BASE_URL='http://127.0.0.1:{port}'"]))
    for command in ("fab-db migrate", f"users create -u viewer -p {PASSWORD} -r Viewer -f Desk -l Viewer "
                                      "-e viewer@example.com"):
        done = airflow(command)
        assert done.returncode == 0, (command, (done.stdout + done.stderr)[-2000:])
    with _api_server(airflow, port) as base:
        assert _status(base + "/peak-trade/data.json")[0] == 401
        page.goto(f"{base}/peak-trade/")  # sent to FAB's login form, and back after it
        page.get_by_label(re.compile("username", re.I)).fill("viewer")
        page.get_by_label(re.compile("password", re.I)).fill(PASSWORD)
        page.get_by_role("button", name=re.compile("sign in|log ?in", re.I)).click()
        page.wait_for_url(re.compile(r"/peak-trade/$"), timeout=60_000)
        total = read_export(root / "data", "fct_pnl").query("level == 'total'").sort_values("trade_date").iloc[-1]
        assert page.get_by_test_id("paper-equity").inner_text() == money(total.equity, "USD")
        assert "signed in as viewer" in page.locator("header").inner_text()
