"""flatten_all: close every position of the desk (paper or a venue account) through the one order path."""
from datetime import datetime

from airflow.sdk import DAG, Param

from include.checked_config import load_checked_config
from include.execution.desk_account import broker_descriptions, broker_names
from include.execution.settings import execution_settings
from operators.common import default_args
from operators.desk_roles import trade_access
from operators.execution_tasks import needs_approval, plan_flatten, publish_ledger, send_flatten, summarise_flatten
from operators.forms import MANUAL_ONLY, MANUAL_SECTION, in_section
from operators.order_approval import OrderApproval

config = load_checked_config()
desk = execution_settings(config)

with DAG(
    dag_id="flatten_all",
    description="Close every position of the desk (paper or a venue account) with market orders (manual).",
    schedule=None,
    start_date=datetime(2024, 1, 1),
    catchup=False,
    max_active_runs=1,
    default_args=default_args(config),
    access_control=trade_access(config),  # FAB: only access.trade_roles trigger it (operators/desk_roles.py)
    tags=["execution", "risk"],
    params=in_section({"broker": Param("paper", type="string", enum=broker_names(desk), title="Broker",
                            description="Whose positions close: " + broker_descriptions(desk) + "."),
            # None, not "": the trigger form treats an empty required string as invalid and disables Trigger.
            "live_venue": Param(None, type=["null", "string"], maxLength=100, title="Live venue",
                                description="Empty for paper and sandbox accounts; type the live broker's name "
                                            "again to trade real money (a second confirmation)."),
            "dry_run": Param(True, type="boolean", title="Dry run",
                             description="On: preview the closing orders only; off: send them.")}, MANUAL_SECTION),
    doc_md="""
### Flatten all
Reconciles, then closes every position of the chosen account with market orders through
the same path as a rebalance (ledger write-ahead, risk rules, kill switch before each order).
An account whose orders need a person's approval (every live account, a sandbox with
`require_approval`) waits in `approve_orders`; Reject or no answer sends nothing. The circuit
breaker at level 3 does not stop it (closing reduces risk); the kill switch does, and the run
says so. Publishes the paper ledger at the end (skipped for a venue account).
""" + MANUAL_ONLY,
):
    planned = plan_flatten()
    branch = needs_approval(planned["form"], planned["positions"], planned["checked"], "send_flatten")
    sent = send_flatten(planned)
    branch >> OrderApproval() >> sent
    summary = summarise_flatten(planned)
    sent >> summary
    publish_ledger(summary)
