"""risk_monitor: the drawdown breaker on the paper equity and the hard limits, on a schedule."""
from airflow.sdk import DAG, Param

from include.checked_config import load_checked_config
from include.execution.desk_account import broker_descriptions, broker_names
from include.execution.settings import execution_settings
from operators.breaker_check import check_desk_breaker
from operators.common import default_args, schedules_start
from operators.desk_roles import trade_access
from operators.execution_tasks import monitor_risk, publish_ledger
from operators.forms import SCHEDULED, SCHEDULED_SECTION, in_section

config = load_checked_config()
desk = execution_settings(config)

with DAG(
    dag_id="risk_monitor",
    description="Marks the desk's equity, moves the drawdown circuit breaker, liquidates hard-limit breaches.",
    schedule=desk.monitor_schedule,
    start_date=schedules_start(),  # from the first `make airflow`: nothing past runs at once
    catchup=False,
    max_active_runs=1,
    default_args=default_args(config),
    access_control=trade_access(config),  # FAB: only access.trade_roles trigger it (operators/desk_roles.py)
    tags=["execution", "risk"],
    # Off by default: the scheduled runs act. On in a manual run's form: the liquidations are previewed only.
    params=in_section({"broker": Param("paper", type="string", enum=broker_names(desk), title="Broker",
                            description="Whose equity and positions are watched (scheduled runs: paper): "
                                        + broker_descriptions(desk) + "."),
            "dry_run": Param(False, type="boolean", title="Dry run",
                             description="On: preview the liquidations of positions beyond their hard limits "
                                         "(nothing sent, the preview in the log and the warehouse's "
                                         "fct_desk_runs); off: send them. Scheduled runs use off.")}, SCHEDULED_SECTION),
    doc_md="""
### Risk monitor
Marks the desk's equity (paper; a manual run may pick a venue account), moves the
three-level drawdown circuit breaker (warn,
halve, halt: the backtester's levels) and notifies the channels at each level change.
A position beyond `execution.hard_limits` (loss below average cost, or weight) is
liquidated through the order path; trigger it with `dry_run` on to preview the liquidations
only (their summary, marked as a dry run, lands in `fct_desk_runs`). On an account whose
orders need a person's approval (every live account) nothing is sent unattended: the
liquidation is previewed and the channels are told to run `flatten_all`. Publishes the
paper ledger at the end (skipped for a venue account). `check_breaker` fails the run while the
breaker is at level 2 (halve) or 3 (halt), so the DAG list shows it; its log says why.
""" + SCHEDULED,
):
    monitored = monitor_risk()
    publish_ledger(monitored)
    check_desk_breaker(monitored)
