"""The Airflow SMTP transport of report emails: a composed report sent through the Airflow
SMTP connection to a real SMTP server on loopback (aiosmtpd), parsed back; files arrive byte
for byte, no secret leaks, and a missing connection or a wrong password is one clear error."""
from __future__ import annotations

import hashlib
import logging
import re

import pytest

from include.reports.delivery import ReportDeliveryError, compose_email
from include.reports.formatting import money, pct, ratio
from operators.report_delivery import send_report_email
from tests.reports.smtp_support import CONN_ID, LOGIN, PASSWORD, connection_json, smtp_conn, smtp_server  # noqa: F401
from tests.reports.support import SENDER, report_files  # noqa: F401

DESK = ["desk@example.com", "risk@example.com"]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def test_the_report_arrives_with_headline_and_both_files_byte_for_byte(report_files, smtp_server, smtp_conn,
                                                                       caplog):
    data, paths = report_files
    caplog.set_level(logging.DEBUG)
    message = compose_email(data, [paths["pdf"], paths["xlsx"]], SENDER, DESK)
    result = send_report_email(message, smtp_conn)

    assert smtp_server.store.logins == [LOGIN]  # logged in with the connection's password
    [received] = smtp_server.received
    assert received.mail_from == SENDER
    assert sorted(received.rcpt_tos) == sorted(DESK)
    got = received.message
    assert got["Subject"] == "[Peak Trade] Daily report 2024-06-01"
    assert got["From"] == SENDER
    assert [a.addr_spec for a in got["To"].addresses] == DESK

    body = got.get_body(("plain",)).get_content()
    h = data.headline
    for line in (f"Equity:           {money(h.equity, 'USDT')}",
                 f"PnL:              {money(h.pnl, 'USDT')}",
                 f"Return:           {pct(h.period_return)}",
                 f"Sharpe ratio:     {ratio(h.sharpe_ratio)} (90-day window)",
                 f"Max drawdown:     {pct(h.max_drawdown)} (90-day window)",
                 f"VaR 95 (1 day):   {pct(h.var_95)} (a loss)",
                 f"Circuit breaker:  level {h.breaker_level} ({h.breaker_state})",
                 "- peak_trade_daily_2024-06-01.pdf", "- peak_trade_daily_2024-06-01.xlsx"):
        assert line in body.splitlines(), line
    for attention in data.attention:
        assert f"- {attention}" in body.splitlines()

    parts = {part.get_filename(): part for part in got.iter_attachments()}
    assert set(parts) == {paths["pdf"].name, paths["xlsx"].name}
    assert parts[paths["pdf"].name].get_content_type() == "application/pdf"
    assert parts[paths["xlsx"].name].get_content_type() == XLSX
    for path in paths.values():
        assert _sha(parts[path.name].get_content()) == _sha(path.read_bytes())

    assert result["to"] == DESK and result["attachments"] == [paths["pdf"].name, paths["xlsx"].name]
    assert PASSWORD not in received.raw.decode("utf-8", errors="replace")
    assert PASSWORD not in repr(result)
    assert PASSWORD not in caplog.text
    assert all(PASSWORD not in record.getMessage() for record in caplog.records)


def test_a_missing_connection_says_how_to_add_it(report_files, monkeypatch):
    data, paths = report_files
    monkeypatch.delenv("AIRFLOW_CONN_SMTP_NOT_CONFIGURED", raising=False)
    message = compose_email(data, [paths["pdf"]], SENDER, DESK)
    how_to_add = re.escape("SMTP connection 'smtp_not_configured' does not exist (reports.smtp_conn_id); add it "
                           "with `airflow connections add smtp_not_configured --conn-type smtp --conn-host <server> ")
    or_set = re.escape("or set AIRFLOW_CONN_SMTP_NOT_CONFIGURED to '{\"conn_type\": \"smtp\", \"host\": ...")
    with pytest.raises(ReportDeliveryError, match=f"^{how_to_add}.*{or_set}"):
        send_report_email(message, "smtp_not_configured")


def test_a_wrong_password_is_a_clear_error_without_the_password(report_files, smtp_server, monkeypatch, caplog):
    data, paths = report_files
    wrong = "Wr0ng-pa55word-xyz"
    monkeypatch.setenv("AIRFLOW_CONN_" + CONN_ID.upper(), connection_json(smtp_server, password=wrong))
    caplog.set_level(logging.DEBUG)
    message = compose_email(data, [paths["pdf"]], SENDER, DESK)
    with pytest.raises(ReportDeliveryError, match=f"SMTP connection '{CONN_ID}': .* refused the login '{LOGIN}'"
                       ) as caught:
        send_report_email(message, CONN_ID)
    assert wrong not in str(caught.value) and wrong not in caplog.text
    assert smtp_server.received == []


def test_the_connection_can_also_be_a_uri(report_files, smtp_server, monkeypatch):
    data, paths = report_files
    from urllib.parse import quote

    uri = (f"smtp://{LOGIN}:{quote(PASSWORD, safe='')}@{smtp_server.host}:{smtp_server.port}"
           "?disable_tls=true&disable_ssl=true&retry_limit=0")
    monkeypatch.setenv("AIRFLOW_CONN_SMTP_URI_TEST", uri)
    send_report_email(compose_email(data, [paths["xlsx"]], SENDER, DESK[:1]), "smtp_uri_test")
    [received] = smtp_server.received
    assert received.rcpt_tos == DESK[:1]
    assert smtp_server.store.logins == [LOGIN]
