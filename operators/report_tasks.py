"""Airflow tasks of daily_report and weekly_report: build (PDF + Excel) -> email, alert on the breaker.

Each task is a few lines around a function of include/reports (build, delivery, notify),
with the Airflow transports of operators/report_delivery.py passed in. The report reads
the warehouse's Parquet exports only, so it needs no DuckDB pool. A run reports the
period given in its form (`date`: any day in it, for a backfill) or, by default, the
day or ISO week that ended before the run started. Files go to reports/YYYY/MM/ under
stable names, so a re-run replaces them.
"""
from __future__ import annotations

import logging
from datetime import datetime, timezone

from airflow.sdk import get_current_context, task
from airflow.sdk.exceptions import AirflowSkipException

from include.checked_config import load_checked_config
from operators.breaker_check import check_report_breaker
from operators.common import bad_input_fails_fast

log = logging.getLogger(__name__)


@task
def build_report(kind: str) -> dict:
    """Gather the figures, write the PDF and the workbook; returns their paths and the headline."""
    from include.reports.build import build_report as build

    context = get_current_context()
    generated_at = datetime.now(timezone.utc).replace(microsecond=0)
    with bad_input_fails_fast():
        return build(load_checked_config(), kind, context["params"].get("date"),
                     report_anchor(context["dag_run"], generated_at), generated_at)


def report_anchor(dag_run, now: datetime) -> datetime:
    """The moment whose previous day or week is reported when the form gives no date: a scheduled or
    backfill run's scheduled time (its data interval end), so a backfill writes one period per run;
    a manual run's start."""
    run_type = getattr(dag_run.run_type, "value", dag_run.run_type)  # the Task SDK's str enum
    if run_type in ("scheduled", "backfill") and dag_run.data_interval_end:
        return dag_run.data_interval_end
    return dag_run.start_date or now


@task
def email_report(built: dict) -> dict:
    """Email both files to reports.recipients through the SMTP connection; skipped (saying why) when nothing is sent."""
    from include.reports.delivery import email_report as send
    from operators.report_delivery import send_report_email

    wanted = get_current_context()["params"].get("email", True)
    with bad_input_fails_fast():
        out = send(load_checked_config(), built, wanted, send_report_email)
    if not out["sent_to"]:  # a step that sent nothing is not shown as green
        raise AirflowSkipException(out["not_sent"])
    return out


@task
def alert_breaker(built: dict) -> dict:
    """A circuit breaker above level 0 notifies through the configured channels; skipped (saying why) otherwise."""
    from include.reports.notify import NobodyToNotify, alert_breaker as alert
    from operators.report_delivery import chat_message, send_report_email

    with bad_input_fails_fast():
        try:
            out = alert(load_checked_config(), built, send_report_email, chat_message)
        except NobodyToNotify as exc:  # the event is in the report and check_breaker flags levels 2-3
            log.warning("not notified: %s", exc)
            raise AirflowSkipException(f"not notified: {exc}") from None
    if not out["notified"]:
        raise AirflowSkipException("not notified: the circuit breaker is at level 0 (normal)")
    return out


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
    """build -> (email, breaker alert, breaker check), inside the DAG being defined."""
    built = build_report(kind)
    email_report(built)
    alert_breaker(built)
    check_report_breaker(built)
