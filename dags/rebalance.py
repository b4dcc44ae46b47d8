"""rebalance: the desk (paper or a venue account) from its holdings to target weights, through the one order path."""
from datetime import datetime

from airflow.sdk import DAG, Param

from include.checked_config import load_checked_config
from include.execution.desk_account import broker_descriptions, broker_names
from include.execution.settings import execution_settings
from include.portfolio.settings import Method, portfolio_settings
from operators.common import default_args
from operators.desk_roles import trade_access
from operators.execution_tasks import (build_orders, check_risk, compute_targets, load_positions, needs_approval,
                                       publish_ledger, reconcile_end, submit_orders, summarise, track_fills,
                                       validate_and_reconcile)
from operators.forms import MANUAL_ONLY, MANUAL_SECTION, in_section
from operators.order_approval import OrderApproval

config = load_checked_config()
desk = execution_settings(config)

with DAG(
    dag_id="rebalance",
    description="Move the desk (paper or a venue account) to target weights through the order path (manual).",
    schedule=None,
    start_date=datetime(2024, 1, 1),
    catchup=False,
    max_active_runs=1,
    default_args=default_args(config),
    access_control=trade_access(config),  # FAB: only access.trade_roles trigger it (operators/desk_roles.py)
    tags=["execution", "portfolio"],
    params=in_section({
        "method": Param(portfolio_settings(config).method.value, type="string", enum=[m.value for m in Method],
                        title="Method", description="How target weights are chosen (docs/portfolio.md)."),
        "symbols": Param(desk.symbols, type="array", items={"type": "string", "enum": desk.symbols}, minItems=1,
                         examples=desk.symbols,  # a multi-select of execution.symbols
                         title="Symbols", description="The universe to rebalance (execution.symbols)."),
        "target_weights": Param(None, type=["object", "null"], title="Target weights (optional)",
                                description="symbol -> weight; replaces the optimiser, e.g. {\"BTC/USDT\": 0.5}."),
        "drift_threshold": Param(desk.drift_threshold, type="number", minimum=0, maximum=1, title="Drift threshold",
                                 description="Symbols whose |target - current| weight is below it keep their weight."),
        "max_turnover": Param(desk.max_turnover, type=["number", "null"], title="Maximum turnover",
                              description="Sum of |target - current| weights; empty: no cap."),
        "broker": Param("paper", type="string", enum=broker_names(desk), title="Broker",
                        description="Where orders go: " + broker_descriptions(desk) + "."),
        # None, not "": the trigger form treats an empty required string as invalid and disables Trigger.
        "live_venue": Param(None, type=["null", "string"], maxLength=100, title="Live venue",
                            description="Empty for paper and sandbox accounts; type the live broker's name again "
                                        "to trade real money (a second confirmation)."),
        "dry_run": Param(True, type="boolean", title="Dry run",
                         description="On: the proposed orders only (preview), nothing written or sent."),
    }, MANUAL_SECTION),
    doc_md="""
### Rebalance
Validates the form (a live account must have `live: true` and its name typed in
`live_venue`), reconciles the account's ledger with its venue (fails closed), loads
positions and evaluates the drawdown circuit breaker (level 3 refuses), computes target
weights (the optimiser on the `fct_daily_returns` export, or the form's override; symbols
within the drift threshold keep their weight), builds and prices the orders (a preview
table in the log and the XCom), runs the pre-trade risk rules, asks an approver when the
account needs it (`approve_orders`: every live account, a sandbox with `require_approval`;
Reject or no answer sends nothing), submits (dry run: nothing; the kill switch Variable is
read before each order, the live gate and approval checked again), tracks fills (cancels after
`execution.fill_timeout_s`), reconciles again, summarises (orders, fills, slippage against
the arrival price, weights before and after, rejections; recorded in the ledger's desk_runs)
and publishes the paper ledger to the warehouse (skipped for a venue account).
""" + MANUAL_ONLY,
):
    start = validate_and_reconcile()
    positions = load_positions(start)
    targets = compute_targets(start, positions)
    plan = build_orders(start, positions, targets)
    checked = check_risk(start, positions, plan)
    branch = needs_approval(start["form"], positions, checked, "submit_orders")
    submitted = submit_orders(start, checked)
    branch >> OrderApproval() >> submitted
    ended = reconcile_end(start, track_fills(start, submitted))
    summary = summarise(start, positions, targets, plan, checked)
    ended >> summary
    publish_ledger(summary)
