"""What every Peak Trade task shares: default args and how bad input fails."""
from __future__ import annotations

from contextlib import contextmanager
import logging
import os
from datetime import datetime, timedelta, timezone

from airflow.sdk.exceptions import AirflowFailException

from include.config.schema import PeakTradeConfig
from include.errors import PeakTradeError, TransientSourceError

log = logging.getLogger(__name__)


SCHEDULES_START_DEFAULT = datetime(2024, 1, 1, tzinfo=timezone.utc)


def schedules_start() -> datetime:
    """The start_date of the scheduled DAGs: PEAKTRADE_SCHEDULES_START, else 2024-01-01.

    scripts/airflow.sh sets it to the moment Airflow first started in this home (kept in a file
    there), so schedules begin from then: the first start runs no past sweep or report (a
    CronTriggerTimetable without catchup would otherwise run each DAG's latest past time at
    once). It is fixed per home, so the DAGs do not change from one parse to the next.
    """
    value = os.environ.get("PEAKTRADE_SCHEDULES_START", "").strip()
    if not value:
        return SCHEDULES_START_DEFAULT
    try:
        start = datetime.fromisoformat(value)
    except ValueError:
        raise ValueError(f"PEAKTRADE_SCHEDULES_START: {value!r} is not an ISO date-time, e.g. "
                         "2026-11-30T23:50:00+00:00 (scripts/airflow.sh writes it)") from None
    return start if start.tzinfo else start.replace(tzinfo=timezone.utc)


def default_args(config: PeakTradeConfig) -> dict:
    """Retries, timeouts and, when channels are configured, failure notifications for every task."""
    from operators.report_delivery import build_notifiers

    notifiers = build_notifiers(config)  # a chat channel without its provider: the DAG's import error names it
    return ({"on_failure_callback": notifiers} if notifiers else {}) | {
        "owner": config.owner,
        "retries": config.ingest.task_retries,
        "retry_delay": timedelta(minutes=1),
        "retry_exponential_backoff": True,
        "max_retry_delay": timedelta(minutes=15),
        "execution_timeout": timedelta(minutes=config.ingest.task_timeout_minutes),
        "pre_execute": reject_unknown_form_fields,
    }


def reject_unknown_form_fields(context) -> None:
    """Before each task's work: a run whose conf holds a key the DAG's form does not declare fails here.

    Airflow checks the form's fields at trigger time but keeps unknown keys, which no task reads: a
    misspelt `dryrun: false` would otherwise run with the form's default (dry_run) silently."""
    conf = getattr(context.get("dag_run"), "conf", None) or {}
    known = set(context["dag"].params)
    unknown = sorted(str(key) for key in conf if key not in known)
    if unknown:
        shown = ", ".join(repr(key[:40] + ("..." if len(key) > 40 else "")) for key in unknown[:5])
        raise AirflowFailException(f"params: unknown field{'s' if len(unknown) > 1 else ''} {shown}"
                                   f"{' and more' if len(unknown) > 5 else ''}; the form's fields: "
                                   f"{', '.join(sorted(known)) or 'none (this DAG takes no parameters)'}")


@contextmanager
def bad_input_fails_fast():
    """A user-fixable error fails the task at once with its one-line message.

    Retrying cannot fix a bad symbol or a malformed file, so those skip the
    task's retries; an exchange that kept timing out is left to them.
    """
    try:
        yield
    except TransientSourceError:
        raise
    except PeakTradeError as exc:
        log.error("%s", exc)  # the task log's first error is the message, above Airflow's traceback
        raise AirflowFailException(str(exc)) from None
