#!/usr/bin/env bash
# Run every pipeline DAG (ingest, warehouse, sweeps, reports) through Airflow on the offline simulator,
# then a paper rebalance (not a dry run) so the desk's ledger holds positions, orders and fills.
set -euo pipefail
source "$(dirname "$0")/airflow_home.sh"

run_dag() {  # run_dag <dag_id> [airflow dags test options, e.g. -c '{"dry_run": false}']
  local dag_id=$1 log="$AIRFLOW_HOME/logs/demo-$1.log"
  shift
  echo "==> airflow dags test $dag_id $* (log: $log)"
  local began=$SECONDS
  local ok=0
  airflow dags test "$dag_id" "$@" >"$log" 2>&1 || ok=$?
  # dags test prints the task logs only: write them where the UI (`make airflow`) reads them
  python "$PEAKTRADE_ROOT/scripts/demo_task_logs.py" "$log" || echo "    (task logs for the UI not written)"
  if [ "$ok" -ne 0 ]; then
    grep -E "ERROR|Error|error" "$log" | tail -n 15 || true
    echo "$dag_id failed; full log: $log" >&2
    exit 1
  fi
  echo "    $dag_id succeeded in $((SECONDS - began)) s"
}

run_dag market_data_ingest
run_dag warehouse_build
run_dag nightly_sweep
run_dag daily_report
run_dag weekly_report
run_dag rebalance -c '{"dry_run": false}'
python -m include.demo_listing
