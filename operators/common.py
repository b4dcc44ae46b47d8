"""What every Peak Trade task shares: default args and how bad input fails."""
from __future__ import annotations

from contextlib import contextmanager
from datetime import timedelta

from airflow.sdk.exceptions import AirflowFailException

from include.config.schema import PeakTradeConfig
from include.errors import PeakTradeError, TransientSourceError


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
    }


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
        raise AirflowFailException(str(exc)) from None
