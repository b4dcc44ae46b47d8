"""Report emails: composed (headline, attention lines, both files with their MIME types), the
clear errors of a bad address or a missing file, and the email step after build_report, sent
to a real SMTP server on loopback (aiosmtpd) and parsed back. The Airflow SMTP transport has
its own tests in tests/adapters/test_report_email.py."""
from __future__ import annotations

import hashlib
from datetime import date

import pytest

from include.reports.delivery import MIME_TYPES, ReportDeliveryError, compose_email, email_report, report_paths
from include.reports.model import ReportPeriod, ReportSummary
from tests.reports.smtp_support import PASSWORD, loopback_sender, smtp_server  # noqa: F401
from tests.reports.support import SENDER, notify_config, report_files, sample_report  # noqa: F401

DESK = ["desk@example.com", "risk@example.com"]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def test_report_paths_are_the_stable_names_in_the_period_folder(tmp_path):
    daily = report_paths(ReportPeriod.covering("daily", date(2024, 6, 1)), tmp_path)
    weekly = report_paths(ReportPeriod.covering("weekly", date(2024, 6, 1)), tmp_path)
    assert daily == {"pdf": tmp_path / "2024" / "06" / "peak_trade_daily_2024-06-01.pdf",
                     "xlsx": tmp_path / "2024" / "06" / "peak_trade_daily_2024-06-01.xlsx"}
    assert weekly["pdf"] == tmp_path / "2024" / "05" / "peak_trade_weekly_2024-W22.pdf"


def test_weekly_subject_and_mime_types_are_fixed_by_extension(report_files):
    data, paths = report_files
    weekly = sample_report("weekly")
    message = compose_email(weekly, [paths["xlsx"]], SENDER, DESK[:1])
    assert message["Subject"] == "[Peak Trade] Weekly report 2024-W22 (2024-05-27 to 2024-06-02)"
    assert MIME_TYPES[".xlsx"] == XLSX and MIME_TYPES[".pdf"] == "application/pdf"
    [part] = message.iter_attachments()
    assert part.get_content_type() == XLSX


def test_an_empty_report_says_n_a_and_why(report_files):
    _, paths = report_files
    empty = sample_report(empty=True)
    body = compose_email(empty, [paths["pdf"]], SENDER, DESK).get_body(("plain",)).get_content()
    assert "Equity:           n/a" in body
    assert f"No figures: {empty.missing['headline']}" in body
    assert "Nothing needs attention." in body


def test_no_recipients_names_the_config_key(report_files):
    data, paths = report_files
    with pytest.raises(ReportDeliveryError, match=r"reports\.recipients: no recipients"):
        compose_email(data, [paths["pdf"]], SENDER, [])


def test_a_bad_address_is_named(report_files):
    data, paths = report_files
    with pytest.raises(ReportDeliveryError, match=r"reports\.recipients: 'desk@example.com\\nBcc: x@y' is not"):
        compose_email(data, [paths["pdf"]], SENDER, ["desk@example.com\nBcc: x@y"])


def test_a_missing_attachment_names_the_path(report_files, tmp_path):
    data, paths = report_files
    gone = tmp_path / "reports" / "2024" / "06" / "peak_trade_daily_2024-05-31.pdf"
    with pytest.raises(ReportDeliveryError, match="attachment .*peak_trade_daily_2024-05-31.pdf does not exist"):
        compose_email(data, [gone, paths["xlsx"]], SENDER, DESK)


def _built(data, paths) -> dict:
    """What build_report returns for these files."""
    return {"pdf": str(paths["pdf"]), "xlsx": str(paths["xlsx"]), "summary": ReportSummary.of(data).to_json()}


def test_the_email_step_sends_both_files_to_the_report_recipients(report_files, smtp_server):
    data, paths = report_files
    assert email_report(notify_config(DESK), _built(data, paths), True, loopback_sender(smtp_server)) == {
        "sent_to": DESK}
    [received] = smtp_server.received
    assert sorted(received.rcpt_tos) == sorted(DESK)
    assert received.message["Subject"] == "[Peak Trade] Daily report 2024-06-01"
    attached = {part.get_filename(): part.get_content() for part in received.message.iter_attachments()}
    assert {name: hashlib.sha256(body).hexdigest() for name, body in attached.items()} == {
        p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in paths.values()}
    assert PASSWORD not in received.raw.decode("utf-8", errors="replace")


@pytest.mark.parametrize("recipients, wanted", [([], True), (DESK, False)])
def test_no_recipients_or_a_form_that_says_no_sends_nothing(report_files, smtp_server, recipients, wanted):
    data, paths = report_files
    built = _built(data, paths)
    outcome = email_report(notify_config(recipients), built, wanted, loopback_sender(smtp_server))
    assert outcome["sent_to"] == [] and outcome["not_sent"].startswith(
        "not emailed (no reports.recipients in the config)" if not recipients else "not emailed (the run form said no")
    assert str(paths["pdf"]) in outcome["not_sent"]
    assert smtp_server.received == []
