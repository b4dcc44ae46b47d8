"""daily_report and weekly_report run through Airflow (`airflow dags test`) on the real candles'
warehouse: files under reports/YYYY/MM/, the email with both attachments on a loopback SMTP
server, the circuit-breaker alert of 10 March 2023, and a re-run that replaces its files."""
import hashlib
import json
import re
import shutil

import pandas as pd
import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

from include.reports.formatting import money, pct, ratio
from include.reports.export_readers import read_export
from include.warehouse.exports import EXPORTED_MARTS, export_dir, export_marts
from tests.dags.isolated_airflow import isolated_airflow
from tests.reports.smtp_support import CONN_ID, PASSWORD, connection_json, smtp_server  # noqa: F401

CONFIG = f"""
universe:
  symbols: [BTC/USDT]
  timeframes: [1h]
  exchanges: [{{id: sim_alpha, source: sim}}]
history: {{start: {{1h: 3d}}}}
reports:
  recipients: [desk@example.com]
  sender: peak-trade@example.com
  smtp_conn_id: {CONN_ID}
notifications:
  email: [oncall@example.com]
"""


@pytest.fixture(scope="module")
def exports(real_warehouse):
    export_marts(real_warehouse, EXPORTED_MARTS)
    return export_dir(real_warehouse)


@pytest.fixture
def run(tmp_path, exports, smtp_server):  # noqa: F811
    shutil.copytree(exports, export_dir(tmp_path / "data"))
    airflow = isolated_airflow(tmp_path, CONFIG, **{"AIRFLOW_CONN_" + CONN_ID.upper(): connection_json(smtp_server)})
    return tmp_path, airflow, smtp_server


def test_daily_report_is_saved_emailed_and_the_breaker_alerts(run):
    root, airflow, server = run
    done = airflow("dags test daily_report -c '" + json.dumps({"date": "2023-03-10"}) + "'")
    # built, emailed and alerted; the run is failed by check_breaker alone, so the DAG list shows the halt
    assert HALT in done.stdout + done.stderr
    assert assert_failed_by_the_breaker_alone(airflow, done) == {"build_report": "success", "email_report": "success",
                                                                  "alert_breaker": "success"}
    folder = root / "reports" / "2023" / "03"
    pdf, xlsx = folder / "peak_trade_daily_2023-03-10.pdf", folder / "peak_trade_daily_2023-03-10.xlsx"
    assert sorted(p.name for p in folder.iterdir()) == [pdf.name, xlsx.name]
    by_subject = {r.message["Subject"]: r for r in server.received}
    report = by_subject["[Peak Trade] Daily report 2023-03-10"]
    assert report.rcpt_tos == ["desk@example.com"]
    attached = {part.get_filename(): part.get_content() for part in report.message.iter_attachments()}
    assert {name: hashlib.sha256(body).hexdigest() for name, body in attached.items()} == {
        p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in (pdf, xlsx)}
    alerts = [r for subject, r in by_subject.items() if "circuit breaker" in subject.lower()]
    assert len(alerts) == 1 and alerts[0].rcpt_tos == ["oncall@example.com"]
    assert "level 3" in alerts[0].message.get_content()
    assert PASSWORD not in done.stdout + done.stderr

    assert_files_show_the_warehouse_figures(pdf, xlsx, root / "data")

    stamp, sent = pdf.stat().st_mtime_ns, len(server.received)
    again = airflow("dags test daily_report -c '" + json.dumps({"date": "2023-03-10", "email": False}) + "'")
    # the form said no email: email_report says so as skipped, not as a green step that sent nothing
    assert assert_failed_by_the_breaker_alone(airflow, again)["email_report"] == "skipped"
    assert "not emailed (the run form said no email)" in again.stdout + again.stderr
    assert sorted(p.name for p in folder.iterdir()) == [pdf.name, xlsx.name]  # replaced, not added
    assert pdf.stat().st_mtime_ns != stamp
    assert len(server.received) == sent + 1  # the form said no email: only the breaker alert again


HALT = ("circuit breaker at level 3 of 3 (halt): Equal-weight universe portfolio, drawdown ")


def assert_failed_by_the_breaker_alone(airflow, done, dag_id="daily_report") -> dict:
    """The run failed, and check_breaker is its one failed task (build, email and alert did their work)."""
    output = done.stdout + done.stderr
    assert done.returncode != 0 and re.search(r"circuit breaker at level [23] of 3 \((halve|halt)\): ", output), \
        output[-3000:]
    run_id = re.search(rf"<TaskInstance: {dag_id}\.\S+ (\S+) ", output).group(1)
    listed = airflow(f"tasks states-for-dag-run {dag_id} '{run_id}' -o json").stdout
    states = {row["task_id"]: row["state"] for row in json.loads(next(l for l in listed.splitlines() if l.startswith("[")))}
    assert states.pop("check_breaker") == "failed" and "failed" not in states.values(), states
    return states


def assert_files_show_the_warehouse_figures(pdf, xlsx, data_dir):
    """Page 1 of the PDF and the workbook's Summary carry the warehouse's figures of 10 March 2023,
    money to the cent and fractions to the basis point."""
    day = read_export(data_dir, "fct_portfolio_daily").set_index("trade_date").loc[pd.Timestamp("2023-03-10").date()]
    rolling = read_export(data_dir, "fct_portfolio_risk_rolling")
    risk = rolling[(rolling.as_of_date == pd.Timestamp("2023-03-10").date()) & (rolling.window_days == 90)].iloc[0]
    page_one = PdfReader(pdf).pages[0].extract_text()
    assert len(PdfReader(pdf).pages) == 5
    expected = [money(day.equity, "USDT"), money(day.pnl, "USDT"), pct(day.drawdown), "halt (level 3)",
                pct(risk.var_hist_95), pct(risk.cvar_hist_99), ratio(risk.sharpe_ratio), pct(risk.max_drawdown)]
    assert [text for text in expected if text not in page_one] == []
    summary = {row[0].value: row[1].value for row in load_workbook(xlsx)["Summary"].iter_rows(min_row=3)
               if row[0].value is not None and len(row) > 1}
    want = {"Equity": day.equity, "PnL": day.pnl, "Drawdown": day.drawdown, "Sharpe ratio": risk.sharpe_ratio,
            "VaR 95 %": risk.var_hist_95, "CVaR 99 %": risk.cvar_hist_99, "Max drawdown": risk.max_drawdown}
    for label, value in want.items():  # openpyxl writes 16 significant digits
        assert summary[label] == pytest.approx(value, rel=1e-15), label
    assert summary["Circuit breaker level"] == 3


def test_weekly_report_of_a_past_week(run):
    root, airflow, server = run
    done = airflow("dags test weekly_report -c '" + json.dumps({"date": "2023-03-15", "email": False}) + "'")
    assert done.returncode == 0, (done.stdout + done.stderr)[-3000:]
    assert "circuit breaker below level 2: nothing to flag" in done.stdout + done.stderr
    folder = root / "reports" / "2023" / "03"
    assert (folder / "peak_trade_weekly_2023-W11.pdf").is_file() and (folder / "peak_trade_weekly_2023-W11.xlsx").is_file()
    assert not [r for r in server.received if "Weekly" in r.message["Subject"]]


def test_a_bad_date_in_the_form_fails_with_one_message(run):
    root, airflow, server = run
    done = airflow("dags test daily_report -c '" + json.dumps({"date": "2023-02-30"}) + "'")
    assert done.returncode != 0
    assert "Invalid input for param date: '2023-02-30' is not a 'date'" in done.stdout + done.stderr  # the form's schema
    future = airflow("dags test daily_report -c '" + json.dumps({"date": "2999-01-01"}) + "'")
    assert future.returncode != 0
    assert "params.date: 2999-01-01 is not in the past; a report covers whole days up to yesterday" \
        in future.stdout + future.stderr
    assert not list((root / "reports").rglob("*2999*")) and not list((root / "reports").rglob(".*tmp"))
    [failure] = server.received  # the failure notifier (on_failure_callback) told the notification address
    assert failure.message["Subject"].startswith("[Peak Trade] failed: daily_report.build_report (run manual__")
    assert failure.rcpt_tos == ["oncall@example.com"]
