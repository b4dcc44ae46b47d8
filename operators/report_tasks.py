"""Airflow tasks of daily_report and weekly_report: build (PDF + Excel) -> email, alert on the breaker.

The report reads the warehouse's Parquet exports only, so it needs no DuckDB pool.
A run reports the period given in its form (`date`: any day in it, for a backfill)
or, by default, the day or ISO week that ended before the run started. Files go
to reports/YYYY/MM/ under stable names, so a re-run replaces them.
"""
from __future__ import annotations

import logging
from datetime import date, datetime, timezone
from pathlib import Path

from airflow.sdk import get_current_context, task

from include.config.loader import data_dir, load_config, reports_dir
from include.errors import ConfigError
from include.reports.model import ReportPeriod, ReportSummary
from operators.common import bad_input_fails_fast

log = logging.getLogger(__name__)


def period_for(kind: str, requested: str | None, started: datetime) -> ReportPeriod:
    """The form's date (YYYY-MM-DD, any day of the period) or the period just gone."""
    if not requested:
        return ReportPeriod.last_complete(kind, started)
    try:
        day = date.fromisoformat(str(requested))
    except ValueError:
        what = "any day of the week to report" if kind == "weekly" else "the day to report"
        raise ConfigError(f"params.date: {requested!r} is not a date; give YYYY-MM-DD ({what}), "
                          "or leave it empty") from None
    if day >= started.date():
        raise ConfigError(f"params.date: {day} is not in the past; a report covers whole days up to yesterday "
                          f"({started.date()} is today)")
    return ReportPeriod.covering(kind, day)


def _gather(kind: str, generated_at: datetime):
    from include.reports.gather import gather

    config = load_config()
    context = get_current_context()
    period = period_for(kind, context["params"].get("date"), context["dag_run"].start_date or generated_at)
    return gather(data_dir(config), period, generated_at, currency=config.reports.currency,
                  metrics_window_days=config.reports.metrics_window_days,
                  histogram_days=config.reports.histogram_days)


@task
def build_report(kind: str) -> dict:
    """Gather the figures, write the PDF and the workbook; returns their paths and the headline."""
    from include.reports.delivery import report_paths
    from include.reports.excel import render_workbook
    from include.reports.pdf import render_pdf

    generated_at = datetime.now(timezone.utc).replace(microsecond=0)
    with bad_input_fails_fast():
        data = _gather(kind, generated_at)
        paths = report_paths(data.period, reports_dir(load_config()))
        paths["pdf"].parent.mkdir(parents=True, exist_ok=True)
        render_pdf(data, paths["pdf"])
        render_workbook(data, paths["xlsx"])
    for line in data.attention:
        log.warning("needs attention: %s", line)
    log.info("%s: %s and %s (%s)", data.period.title, paths["pdf"], paths["xlsx"],
             "; ".join(f"{k}: {v}" for k, v in data.missing.items()) or "every section has data")
    # The email and the alert tasks send these figures: the files' own, not a second gather.
    return {"pdf": str(paths["pdf"]), "xlsx": str(paths["xlsx"]), "summary": ReportSummary.of(data).to_json()}


@task
def email_report(built: dict) -> dict:
    """Email both files to reports.recipients through the SMTP connection (skipped without recipients)."""
    from include.reports.delivery import compose_email
    from operators.report_delivery import send_report_email

    config = load_config()
    recipients = config.reports.recipients
    if not recipients or not get_current_context()["params"].get("email", True):
        log.info("not emailed (%s); the files are %s and %s",
                 "no reports.recipients in the config" if not recipients else "the run's form said no email",
                 built["pdf"], built["xlsx"])
        return {"sent_to": []}
    summary = ReportSummary.from_json(built["summary"])
    with bad_input_fails_fast():
        message = compose_email(summary, [Path(built["pdf"]), Path(built["xlsx"])], config.reports.sender,
                                recipients)
        send_report_email(message, config.reports.smtp_conn_id)
    log.info("emailed %s to %d recipients", summary.period.title, len(recipients))
    return {"sent_to": recipients}


@task
def alert_breaker(built: dict) -> dict:
    """A circuit breaker above level 0 notifies through the configured channels."""
    from airflow.sdk.exceptions import AirflowSkipException

    from operators.report_delivery import has_channels, notify_breaker

    summary = ReportSummary.from_json(built["summary"])
    level = summary.headline.breaker_level
    if not level:
        log.info("circuit breaker at level %s: nothing to notify", level)
        return {"notified": False}
    config = load_config()
    if not has_channels(config):  # shown as a skipped task: the event is in the report, but nobody was told
        raise AirflowSkipException(
            f"circuit breaker at level {level}, but no channel is configured: set notifications.email or "
            "reports.recipients (or notifications.slack_conn_id / discord_conn_id / telegram_conn_id)")
    with bad_input_fails_fast():
        sent = notify_breaker(config, summary)
    return {"notified": True, "channels": sent}


def report_params(kind: str) -> dict:
    """The manual-run form: which period (a backfill) and whether to email."""
    from airflow.sdk import Param

    span = "day" if kind == "daily" else "ISO week (Monday to Sunday)"
    return {
        "date": Param(None, type=["null", "string"], format="date", title="Report date",
                      description=f"Any day in the {span} to report, for a backfill; empty: the {span} just gone."),
        "email": Param(True, type="boolean", title="Email the report",
                       description="Send both files to reports.recipients (when the config lists any)."),
    }


def wire_report(kind: str) -> None:
    """build -> (email, breaker alert), inside the DAG being defined."""
    built = build_report(kind)
    email_report(built)
    alert_breaker(built)
