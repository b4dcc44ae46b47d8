"""Where a report's files go and the emails that carry them (no Airflow here).

`report_paths` gives the stable file names of a period (a re-run replaces them);
`compose_email` builds the report email: subject "[Peak Trade] <period title>", a
plain-text body with the headline figures (naming their portfolio; the benchmark's below
them once the paper portfolio is the headline), the lines that need attention and the
attached file names, and both files with their real MIME types. `breaker_alert`
and `compose_alert` are the short circuit-breaker notification. `email_report` is the
step after build_report, with the sending passed in: the transport is
operators/report_delivery.py's, as the SMTP server and its password live in the Airflow
connection only, never in a message built here.
"""
from __future__ import annotations

import logging
import mimetypes
import re
from collections.abc import Callable
from datetime import datetime, timezone
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path

from include.config.schema import PeakTradeConfig
from include.errors import PeakTradeError
from include.reports.formatting import money, pct, ratio, timestamp
from include.reports.model import BENCHMARK_LABEL, BREAKER_STATES, ReportData, ReportPeriod, ReportSummary

log = logging.getLogger(__name__)

Report = ReportData | ReportSummary  # either carries what a message says: period, headline, attention
# Sends a prepared message through the SMTP connection of that id; returns what was sent
# (at least "to" and "subject", never the login or the password).
SendEmail = Callable[[EmailMessage, str], dict]

SUBJECT_PREFIX = "[Peak Trade]"
MIME_TYPES = {
    ".pdf": "application/pdf",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
# One address per item, nothing that could split or inject a header.
_ADDRESS = re.compile(r"^[^@\s,;<>\"]+@[^@\s,;<>\"]+$")


class ReportDeliveryError(PeakTradeError):
    """A report or notification cannot be sent as configured (recipients, files, SMTP connection)."""


def report_paths(period: ReportPeriod, reports_root: Path) -> dict[str, Path]:
    """{"pdf": <root>/YYYY/MM/<stem>.pdf, "xlsx": <root>/YYYY/MM/<stem>.xlsx}: a re-run of the period replaces them."""
    folder = period.folder(Path(reports_root))
    return {ext: folder / f"{period.stem}.{ext}" for ext in ("pdf", "xlsx")}


def compose_email(data: Report, attachments: list[Path], sender: str, recipients: list[str]) -> EmailMessage:
    """The report email: headline, attention lines and file names in the body, the files attached."""
    recipients = _checked_recipients(recipients, "reports.recipients",
                                     "list the addresses that get the report, e.g. [desk@example.com] "
                                     "(leave it empty to only save the files)")
    _check_address(sender, "reports.sender")
    files = [_checked_file(Path(p)) for p in attachments]
    message = _message(f"{SUBJECT_PREFIX} {data.period.title}", sender, recipients)
    message.set_content(_report_body(data, files))
    for path in files:
        maintype, subtype = mime_type(path).split("/", 1)
        message.add_attachment(path.read_bytes(), maintype=maintype, subtype=subtype, filename=path.name)
    return message


def email_report(config: PeakTradeConfig, built: dict, wanted: bool, send_email: SendEmail) -> dict:
    """Email both files of `built` (what build_report returned) to reports.recipients.

    Nothing is sent when the config lists no recipients or the run's form said no (`wanted`):
    {"sent_to": [], "not_sent": why}; else {"sent_to": [addresses]}.
    """
    recipients = config.reports.recipients
    if not recipients or not wanted:
        reason = (f"not emailed ({'no reports.recipients in the config' if not recipients else 'the run form said no email'}"
                  f"); the files are {built['pdf']} and {built['xlsx']}")
        log.info(reason)
        return {"sent_to": [], "not_sent": reason}
    summary = ReportSummary.from_json(built["summary"])
    message = compose_email(summary, [Path(built["pdf"]), Path(built["xlsx"])], config.reports.sender, recipients)
    send_email(message, config.reports.smtp_conn_id)
    log.info("emailed %s to %d recipients", summary.period.title, len(recipients))
    return {"sent_to": recipients}


def breaker_alert(data: Report) -> tuple[str, str]:
    """(subject, body) of the circuit-breaker notification; meaningful when the level is 1 or more."""
    h = data.headline
    level = "unknown" if h.breaker_level is None else f"{h.breaker_level} of {len(BREAKER_STATES) - 1}"
    subject = f"{SUBJECT_PREFIX} Circuit breaker at level {level} ({h.breaker_state})"
    lines = [
        f"The drawdown circuit breaker is at level {level} ({h.breaker_state}) as of {_day(h.as_of)}.",
        "",
        f"Report:           {data.period.title}",
        f"Portfolio:        {h.label}",
        f"Current drawdown: {pct(h.drawdown)}",
        f"Equity:           {money(h.equity, data.currency)}",
        f"PnL:              {money(h.pnl, data.currency)}",
        f"Max drawdown:     {pct(h.max_drawdown)} ({h.metrics_window_days}-day window)",
    ]
    others = [line for line in data.attention if "circuit breaker" not in line.lower()]
    if others:
        lines += ["", "Also needs attention:"] + [f"- {line}" for line in others]
    return subject, "\n".join(lines) + "\n"


def compose_alert(subject: str, body: str, sender: str, recipients: list[str],
                  key: str = "notifications.email") -> EmailMessage:
    """A plain-text notification email (no attachments); `key` is the config key the recipients came from."""
    recipients = _checked_recipients(recipients, key, "list the addresses to notify, e.g. [desk@example.com]")
    _check_address(sender, "reports.sender")
    message = _message(subject, sender, recipients)
    message.set_content(body)
    return message


def mime_type(path: Path) -> str:
    """application/pdf, the xlsx type, else what the extension says (application/octet-stream if nothing)."""
    suffix = Path(path).suffix.lower()
    return MIME_TYPES.get(suffix) or mimetypes.guess_type(path.name)[0] or "application/octet-stream"


# -- the body ------------------------------------------------------------------------------------------

def _report_body(data: Report, files: list[Path]) -> str:
    h = data.headline
    window = f"{h.metrics_window_days}-day window"
    lines = [
        f"Peak Trade - {data.period.title}",
        f"{h.label} as of {_day(h.as_of)}, generated {timestamp(data.generated_at)}.",
        "",
        f"Equity:           {money(h.equity, data.currency)}",
        f"PnL:              {money(h.pnl, data.currency)}",
        f"Return:           {pct(h.period_return)}",
        f"Sharpe ratio:     {ratio(h.sharpe_ratio)} ({window})",
        f"Max drawdown:     {pct(h.max_drawdown)} ({window})",
        f"VaR 95 (1 day):   {pct(h.var_95)} (a loss)",
        f"Circuit breaker:  {_breaker(h.breaker_level, h.breaker_state)}",
    ]
    if "headline" in data.missing:
        lines += ["", f"No figures: {data.missing['headline']}"]
    b = data.benchmark
    if b is not None:
        lines += ["", f"{BENCHMARK_LABEL} as of {_day(b.as_of)}:",
                  f"  Equity:         {money(b.equity, data.currency)}",
                  f"  PnL:            {money(b.pnl, data.currency)}",
                  f"  Return:         {pct(b.period_return)}",
                  f"  Sharpe ratio:   {ratio(b.sharpe_ratio)} ({window})",
                  f"  Max drawdown:   {pct(b.max_drawdown)} ({window})"]
    lines += ["", "Needs attention:" if data.attention else "Nothing needs attention."]
    lines += [f"- {line}" for line in data.attention]
    if files:
        lines += ["", "Attached:"] + [f"- {path.name}" for path in files]
    return "\n".join(lines) + "\n"


def _breaker(level: int | None, state: str) -> str:
    return "unknown" if level is None else f"level {level} ({state})"


def _day(day) -> str:
    return "n/a" if day is None else day.isoformat()


# -- checks and headers --------------------------------------------------------------------------------

def _message(subject: str, sender: str, recipients: list[str]) -> EmailMessage:
    message = EmailMessage()
    message["Subject"] = subject
    message["From"] = sender
    message["To"] = ", ".join(recipients)
    message["Date"] = format_datetime(datetime.now(timezone.utc))
    message["Message-ID"] = make_msgid(domain=sender.rsplit("@", 1)[-1])
    return message


def _checked_recipients(recipients, key: str, hint: str) -> list[str]:
    if isinstance(recipients, str):
        recipients = [recipients]
    recipients = list(recipients or [])
    if not recipients:
        raise ReportDeliveryError(f"{key}: no recipients, so there is nobody to email; {hint}")
    for address in recipients:
        _check_address(address, key)
    return recipients


def _check_address(address, key: str) -> None:
    if not isinstance(address, str) or not _ADDRESS.match(address):
        raise ReportDeliveryError(f"{key}: {address!r} is not an email address; give one name@domain per item")


def _checked_file(path: Path) -> Path:
    if not path.is_file():
        what = "is a folder, not a file" if path.is_dir() else "does not exist"
        raise ReportDeliveryError(f"attachment {path} {what}; render the report first (build_report writes "
                                  "the PDF and the workbook), or pass the paths it returned")
    return path
