"""Airflow tasks of rebalance, flatten_all and risk_monitor: context, params, XCom, pools, the kill switch.

The work is include.execution.desk's (imported inside each task: it loads the backtester's
cost kernels and the optimiser, which DAG parsing must not). The kill switch is the Airflow
Variable execution.kill_switch_variable, read with Variable.get at the moment of each
submission; "true", "1", "yes", "on" or "engaged" engage it, and a Variable that cannot be
read counts as engaged. Summaries and breaker level changes go to the notifier channels.
"""
from __future__ import annotations

import logging

from airflow.sdk import Variable, get_current_context, task
from airflow.sdk.exceptions import AirflowFailException

from include.checked_config import load_checked_config
from include.errors import ConfigError
from operators.common import bad_input_fails_fast
from operators.warehouse_tasks import DUCKDB_POOL

log = logging.getLogger(__name__)
ENGAGED = {"true", "1", "yes", "on", "engaged"}


def kill_switch(config):
    """The callable the desk calls just before each order leaves."""
    from include.execution.settings import execution_settings

    name = execution_settings(config).kill_switch_variable
    return lambda: str(Variable.get(name, default="false")).strip().lower() in ENGAGED


def notify(config, subject: str, text: str) -> list[str]:
    """The text to every configured channel (email, chat) through the reports' fan-out; none configured: logged."""
    from include.reports.notify import notify_channels
    from operators.report_delivery import chat_message, send_report_email

    sent = [s["channel"] for s in notify_channels(config, subject, text, send_report_email, chat_message)]
    log.info("%s: notified %s", subject, ", ".join(sent) or "no channel (none configured)")
    return sent


@task(task_id="reconcile_start")
def validate_and_reconcile() -> dict:
    """reconcile_start: the form checked before any work, then the ledger against the paper venue (fails closed)."""
    from include.execution.desk import reconcile_desk, validate_form

    with bad_input_fails_fast():
        config = load_checked_config()
        form = validate_form(config, dict(get_current_context()["params"]))
        return {"form": form, "reconcile": reconcile_desk(config, "start")}


@task
def load_positions(start: dict) -> dict:
    from include.execution.desk import load_positions as load

    with bad_input_fails_fast():
        config = load_checked_config()
        positions = load(config, start["form"], get_current_context()["run_id"])
    if positions["breaker"]["notification"]:
        notify(config, "[Peak Trade] circuit breaker", positions["breaker"]["notification"])
    return positions


@task
def compute_targets(start: dict, positions: dict) -> dict:
    from include.execution.desk import compute_targets as compute

    with bad_input_fails_fast():
        targets = compute(load_checked_config(), start["form"], positions)
    if not targets["ok"]:
        # The desk keeps the current weights (explicit in the XCom); the run asked for new ones and
        # did not get them, so the task says so instead of ending green with nothing to do.
        raise AirflowFailException(f"optimisation failed, current weights kept and nothing ordered: {targets['reason']}")
    return targets


@task
def build_orders(positions: dict, targets: dict) -> dict:
    """The priced orders; the preview table is in the log and this XCom."""
    from include.execution.desk import build_orders as build

    with bad_input_fails_fast():
        return build(load_checked_config(), get_current_context()["run_id"], positions, targets)


@task
def check_risk(positions: dict, plan: dict) -> dict:
    from include.execution.desk import check_risk as check

    with bad_input_fails_fast():
        config = load_checked_config()
        return check(config, positions, plan, kill_switch(config))


@task
def submit_orders(start: dict, checked: dict) -> dict:
    from include.execution.desk import execute_orders

    with bad_input_fails_fast():
        config = load_checked_config()
        return execute_orders(config, checked, kill_switch(config), dry_run=start["form"]["dry_run"])


@task
def track_fills(submitted: dict) -> dict:
    from include.execution.desk import track_fills as track

    with bad_input_fails_fast():
        return track(load_checked_config(), submitted)


@task
def reconcile_end(fills: dict) -> dict:
    from include.execution.desk import reconcile_desk

    with bad_input_fails_fast():
        return reconcile_desk(load_checked_config(), "end")


@task(pool=DUCKDB_POOL)
def publish_ledger(_after=None) -> dict:
    """The ledger into the warehouse: exported, its dbt models built and its marts exported (duckdb pool)."""
    from include.execution.desk import publish_ledger_of

    with bad_input_fails_fast():
        return publish_ledger_of(load_checked_config())


@task
def summarise(start: dict, positions: dict, targets: dict, plan: dict, checked: dict, _ended=None) -> dict:
    """The run's summary to the log, the ledger's desk_runs (published next) and the notifier channels."""
    from include.execution.desk import summarise as summary

    with bad_input_fails_fast():
        config = load_checked_config()
        out = summary(config, get_current_context()["run_id"], start["form"], positions, targets, plan, checked)
    if not start["form"]["dry_run"]:
        notify(config, f"[Peak Trade] rebalance {out['run_id']}", out["text"])
    return out


@task
def flatten_positions() -> dict:
    from include.execution.desk import flatten

    context = get_current_context()
    with bad_input_fails_fast():
        config = load_checked_config()
        out = flatten(config, context["run_id"], bool(context["params"].get("dry_run", True)), kill_switch(config))
    if out["breaker"]["notification"]:  # flatten evaluates the breaker too: a level change it finds is told
        notify(config, "[Peak Trade] circuit breaker", out["breaker"]["notification"])
    notify(config, f"[Peak Trade] flatten_all {context['run_id']}", out["text"])
    return out


@task
def monitor_risk() -> dict:
    """The breaker on the paper equity; hard-limit breaches liquidated (previewed with dry_run); a level change notified."""
    from include.execution.desk import monitor

    context = get_current_context()
    with bad_input_fails_fast():
        config = load_checked_config()
        dry_run = context["params"].get("dry_run", False)
        if not isinstance(dry_run, bool):
            raise ConfigError(f"params.dry_run: {dry_run!r} is invalid; valid: true or false")
        out = monitor(config, context["run_id"], kill_switch(config), dry_run=dry_run)
    if out["breaker"]["notification"]:
        notify(config, "[Peak Trade] circuit breaker", out["breaker"]["notification"])
    if out["liquidation"]:
        notify(config, f"[Peak Trade] hard limit liquidation{' (dry run)' if dry_run else ''}",
               out["liquidation"]["text"])
    return out
