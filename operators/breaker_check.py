"""check_breaker: the task that makes a circuit breaker at level 2 or 3 visible on the DAG list.

The alerts go to the channels (alert_breaker, monitor_risk); this task fails the run, so the
DAG list's last-run state and the grid show it too, with the level and its consequence as the
first line of the task's log. Airflow 3.3 gives a task no supported way to write its run's
note (the execution API has no such call and tasks have no database access), so a failed task
with its one message is the flag. It has no retries (the level will not change on a retry) and
no failure callback: the channels have already been told by the alert step.
"""
from __future__ import annotations

import logging

from airflow.sdk import task
from airflow.sdk.exceptions import AirflowFailException

log = logging.getLogger(__name__)


def fail_on_flag(flag: str | None, quiet: str) -> str:
    """Fail with `flag` (a breaker at level 2 or 3), else log `quiet` and return it."""
    if flag:
        log.error(flag)
        raise AirflowFailException(flag)
    log.info(quiet)
    return quiet


@task(task_id="check_breaker", retries=0, on_failure_callback=None)
def check_report_breaker(built: dict) -> str:
    """The report's circuit breaker: the run fails at level 2 (halve) or 3 (halt)."""
    from include.reports.notify import report_breaker_flag

    return fail_on_flag(report_breaker_flag(built), "circuit breaker below level 2: nothing to flag")


@task(task_id="check_breaker", retries=0, on_failure_callback=None)
def check_desk_breaker(monitored: dict) -> str:
    """The desk's circuit breaker as monitor_risk evaluated it: the run fails at level 2 (halve) or 3 (halt)."""
    from include.reports.notify import breaker_flag

    b = monitored["breaker"]
    detail = (f"{monitored.get('broker', 'paper')} account, drawdown {b['drawdown']:.1%} "
              f"(equity {b['equity']:,.2f} from a peak of {b['peak']:,.2f})")
    return fail_on_flag(breaker_flag(b["level"], b["action"], detail),
                        f"circuit breaker at level {b['level']} ({b['action']}): nothing to flag")
