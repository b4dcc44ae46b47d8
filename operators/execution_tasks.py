"""Airflow tasks of rebalance, flatten_all and risk_monitor: context, params, XCom, pools, the kill switch.

The work is include.execution.desk's (imported inside each task: it loads the backtester's
cost kernels and the optimiser, which DAG parsing must not). The kill switch is the Airflow
Variable execution.kill_switch_variable, read with Variable.get at the moment of each
submission; "true", "1", "yes", "on" or "engaged" engage it, and a Variable that cannot be
read counts as engaged. Summaries and breaker level changes go to the notifier channels.

The form's `broker` picks the account: paper, or a venue account whose credentials each task
reads from its Airflow Connection (operators.venue_credentials: masked in the logs, never in an
XCom). Orders to an account that needs a person's approval wait in approve_orders
(operators.order_approval); submit_orders checks the live gate and the approval again.
"""
from __future__ import annotations

import logging

from airflow.sdk import Variable, get_current_context, task
from airflow.sdk.exceptions import AirflowFailException, AirflowSkipException

from include.checked_config import load_checked_config
from include.errors import ConfigError
from operators.common import bad_input_fails_fast
from operators.order_approval import ANSWER_KEY, BRANCH, REQUEST_KEY
from operators.venue_credentials import desk_account
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
    """reconcile_start: the form checked (a live account must be armed and named in live_venue) before any
    work, then the ledger against the account's venue (fails closed)."""
    from include.execution.desk import reconcile_desk, validate_form

    with bad_input_fails_fast():
        config = load_checked_config()
        form = validate_form(config, dict(get_current_context()["params"]))
        return {"form": form, "reconcile": reconcile_desk(config, "start", desk_account(config, form["broker"]))}


@task
def load_positions(start: dict) -> dict:
    from include.execution.desk import load_positions as load

    with bad_input_fails_fast():
        config = load_checked_config()
        positions = load(config, start["form"], get_current_context()["run_id"],
                         account=desk_account(config, start["form"]["broker"]))
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
def build_orders(start: dict, positions: dict, targets: dict) -> dict:
    """The priced orders; the preview table is in the log and this XCom."""
    from include.execution.desk import build_orders as build

    with bad_input_fails_fast():
        config = load_checked_config()
        return build(config, get_current_context()["run_id"], positions, targets,
                     desk_account(config, start["form"]["broker"]))


@task
def check_risk(start: dict, positions: dict, plan: dict) -> dict:
    from include.execution.desk import check_risk as check

    with bad_input_fails_fast():
        config = load_checked_config()
        return check(config, positions, plan, kill_switch(config), desk_account(config, start["form"]["broker"]))


@task.branch(task_id=BRANCH)
def needs_approval(form: dict, positions: dict, checked: dict, submit_task: str) -> list[str]:
    """approve_orders and then submit_task when a person must approve (a live account, or a sandbox with
    require_approval, orders to send and not a dry run); submit_task alone otherwise (approve_orders skipped).
    The request (subject, Markdown body, approvers, timeout) goes to the XCom approval_request."""
    from include.execution.approval_request import approval_request
    from include.execution.desk import preview
    from include.execution.desk_account import venue_account
    from include.execution.live_gate import approval_needed
    from include.execution.settings import execution_settings

    with bad_input_fails_fast():
        account = venue_account(execution_settings(load_checked_config()), form["broker"])
    if not approval_needed(account, dry_run=form["dry_run"], orders=len(checked["accepted"])):
        log.info("no approval needed on %s (%s): %s", form["broker"],
                 "paper" if account is None else "sandbox, require_approval false" if account.sandbox else "live",
                 "dry run" if form["dry_run"] else f"{len(checked['accepted'])} order(s)")
        return [submit_task]
    request = approval_request(form["broker"], account, preview(checked["accepted"], positions), checked["rejected"])
    get_current_context()["ti"].xcom_push(key=REQUEST_KEY, value=request)
    log.info("%s: asking %s\n%s", request["subject"], ", ".join(request["approvers"]), request["body"])
    return ["approve_orders", submit_task]


def approval_answer() -> dict | None:
    """approve_orders' answer in this run (chosen options, who), or None when it did not run."""
    return get_current_context()["ti"].xcom_pull(task_ids="approve_orders", key=ANSWER_KEY)


# Runs after needs_approval and approve_orders: when approve_orders succeeded (Approve) or was skipped (no
# approval needed). Reject skips this task itself; a timeout fails approve_orders and this is upstream_failed.
AFTER_APPROVAL = "none_failed_min_one_success"


@task(trigger_rule=AFTER_APPROVAL)
def submit_orders(start: dict, checked: dict) -> dict:
    from include.execution.desk import execute_orders

    form = start["form"]
    with bad_input_fails_fast():
        config = load_checked_config()
        return execute_orders(config, checked, kill_switch(config), dry_run=form["dry_run"],
                              account=desk_account(config, form["broker"]), live_venue=form["live_venue"],
                              approval=approval_answer())


@task
def track_fills(start: dict, submitted: dict) -> dict:
    from include.execution.desk import track_fills as track

    with bad_input_fails_fast():
        config = load_checked_config()
        return track(config, submitted, account=desk_account(config, start["form"]["broker"]))


@task
def reconcile_end(start: dict, fills: dict) -> dict:
    from include.execution.desk import reconcile_desk

    with bad_input_fails_fast():
        config = load_checked_config()
        return reconcile_desk(config, "end", desk_account(config, start["form"]["broker"]))


@task(pool=DUCKDB_POOL)
def publish_ledger(done: dict | None = None) -> dict:
    """The paper ledger into the warehouse: exported, its dbt models built and its marts exported (duckdb pool).
    A venue account's run skips: the warehouse models the paper desk's ledger (docs/execution.md)."""
    from include.execution.desk import publish_ledger_of

    broker = (done or {}).get("broker", "paper")
    if broker != "paper":
        raise AirflowSkipException(f"publish_ledger: the run traded the venue account {broker}; the warehouse "
                                   "publishes the paper desk's ledger only, so nothing is published")
    with bad_input_fails_fast():
        return publish_ledger_of(load_checked_config())


@task(trigger_rule="none_failed")
def summarise(start: dict, positions: dict, targets: dict, plan: dict, checked: dict) -> dict:
    """The run's summary to the log, the ledger's desk_runs (published next) and the notifier channels; after a
    Reject too (submit_orders skipped), saying who rejected and that nothing was submitted."""
    from include.execution.desk import summarise as summary

    form = start["form"]
    with bad_input_fails_fast():
        config = load_checked_config()
        out = summary(config, get_current_context()["run_id"], form, positions, targets, plan, checked,
                      account=desk_account(config, form["broker"]), approval=approval_answer())
    if not form["dry_run"]:
        notify(config, f"[Peak Trade] rebalance {out['run_id']} on {form['broker']}", out["text"])
    return out


def close_form(config, params, *, gate: bool = True) -> dict:
    from include.execution.desk import broker_fields
    from include.execution.settings import execution_settings

    broker, live_venue, dry_run = broker_fields(execution_settings(config), dict(params), gate=gate)
    return {"broker": broker, "live_venue": live_venue, "dry_run": dry_run}


@task
def plan_flatten() -> dict:
    """Reconcile the account, load its positions and plan the orders closing every one (risk rules applied)."""
    from include.execution.desk import plan_close
    from include.execution.settings import execution_settings

    context = get_current_context()
    with bad_input_fails_fast():
        config = load_checked_config()
        form = close_form(config, context["params"])
        planned = plan_close(config, context["run_id"], execution_settings(config).symbols, "flatten_all",
                             kill_switch(config), dry_run=form["dry_run"], what="flatten",
                             account=desk_account(config, form["broker"]))
    if planned["positions"]["breaker"]["notification"]:  # flatten evaluates the breaker too: a level change is told
        notify(config, "[Peak Trade] circuit breaker", planned["positions"]["breaker"]["notification"])
    planned["form"] |= form
    return planned


@task(trigger_rule=AFTER_APPROVAL)
def send_flatten(planned: dict) -> dict:
    from include.execution.desk import send_close

    form = planned["form"]
    with bad_input_fails_fast():
        config = load_checked_config()
        return send_close(config, planned, kill_switch(config), account=desk_account(config, form["broker"]),
                          live_venue=form["live_venue"], approval=approval_answer())


@task(trigger_rule="none_failed")
def summarise_flatten(planned: dict) -> dict:
    from include.execution.desk import summarise_close

    context = get_current_context()
    with bad_input_fails_fast():
        config = load_checked_config()
        out = summarise_close(config, context["run_id"], planned,
                              account=desk_account(config, planned["form"]["broker"]), approval=approval_answer())
    notify(config, f"[Peak Trade] flatten_all {context['run_id']} on {planned['form']['broker']}", out["text"])
    return out


@task
def monitor_risk() -> dict:
    """The breaker on the account's equity; hard-limit breaches liquidated (previewed with dry_run; never sent
    unattended on an account whose orders need approval: notified instead); a level change notified."""
    from include.execution.desk import monitor

    context = get_current_context()
    with bad_input_fails_fast():
        config = load_checked_config()
        # no live gate: the monitor never sends orders that need an approval (it notifies instead)
        form = close_form(config, {"dry_run": False} | dict(context["params"]), gate=False)
        out = monitor(config, context["run_id"], kill_switch(config), dry_run=form["dry_run"],
                      account=desk_account(config, form["broker"]))
    out["broker"] = form["broker"]
    if out["breaker"]["notification"]:
        notify(config, f"[Peak Trade] circuit breaker ({form['broker']})", out["breaker"]["notification"])
    if out["needs_approval"]:
        notify(config, f"[Peak Trade] hard limit breached on {form['broker']}: no order sent",
               f"Positions beyond their hard limits on {form['broker']}, whose orders need a person's approval: "
               "nothing was sent. Trigger flatten_all on it (with its approval) to close them.\n\n"
               + out["liquidation"]["text"])
    elif out["liquidation"]:
        notify(config, f"[Peak Trade] hard limit liquidation{' (dry run)' if form['dry_run'] else ''}",
               out["liquidation"]["text"])
    return out
