"""flatten_all: close every paper position through the one order path (the kill switch still blocks it)."""
from datetime import datetime

from airflow.sdk import DAG, Param

from include.checked_config import load_checked_config
from operators.common import default_args
from operators.execution_tasks import flatten_positions, publish_ledger

config = load_checked_config()

with DAG(
    dag_id="flatten_all",
    schedule=None,
    start_date=datetime(2024, 1, 1),
    catchup=False,
    max_active_runs=1,
    default_args=default_args(config),
    tags=["execution", "risk"],
    params={"dry_run": Param(True, type="boolean", title="Dry run",
                             description="On: preview the closing orders only; off: send them.")},
    doc_md="""
### Flatten all
Reconciles, then closes every position of the paper desk with market orders through the
same path as a rebalance (ledger write-ahead, risk rules, kill switch before each order).
The circuit breaker at level 3 does not stop it (closing reduces risk); the kill switch
does, and the run says so. Publishes the ledger at the end.
""",
):
    publish_ledger(flatten_positions())
