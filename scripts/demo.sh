#!/usr/bin/env bash
# Run every pipeline DAG (ingest, warehouse, sweeps, reports) through Airflow on the offline simulator,
# then a paper rebalance (not a dry run) so the desk's ledger holds positions, orders and fills.
set -euo pipefail
source "$(dirname "$0")/airflow_home.sh"

RUN_LOGS=()
task_logs() {  # dags test prints the task logs only: write them where the UI (`make airflow`) reads them
  python "$PEAKTRADE_ROOT/scripts/demo_task_logs.py" "${RUN_LOGS[@]}" || echo "(task logs for the UI not written)"
}

run_dag() {  # run_dag <dag_id> [airflow dags test options, e.g. -c '{"dry_run": false}']
  local dag_id=$1 log="$AIRFLOW_HOME/logs/demo-$1.log"
  shift
  echo "==> airflow dags test $dag_id $* (log: $log)"
  local began=$SECONDS
  local ok=0
  airflow dags test "$dag_id" "$@" >"$log" 2>&1 || ok=$?
  RUN_LOGS+=("$log")
  if [ "$ok" -ne 0 ] && [ "$(python "$PEAKTRADE_ROOT/scripts/demo_task_logs.py" --failed "$log")" = check_breaker ]; then
    # the work is done; the run is marked failed only to show the circuit breaker on the DAG list
    echo "    $dag_id done in $((SECONDS - began)) s; marked failed by check_breaker:" \
      "$(grep -o 'circuit breaker at level [0-9] of 3 ([a-z]*)' "$log" | head -n 1)"
    return 0
  fi
  if [ "$ok" -ne 0 ]; then
    task_logs
    grep -E "ERROR|Error|error" "$log" | tail -n 15 || true
    echo "$dag_id failed; full log: $log" >&2
    exit 1
  fi
  echo "    $dag_id succeeded in $((SECONDS - began)) s"
}

# The sweeps' Numba kernels compile (into their on-disk cache) on the second core while ingest and the
# warehouse build run; nightly_sweep then loads them instead of compiling in its first chunk.
WARMUP_LOG="$AIRFLOW_HOME/logs/demo-warmup.log"
python "$PEAKTRADE_ROOT/scripts/demo_warmup.py" >"$WARMUP_LOG" 2>&1 &
WARMUP_PID=$!
trap 'kill "$WARMUP_PID" 2>/dev/null || true' EXIT  # a failed DAG ends the demo: leave nothing running
echo "==> compiling the sweep kernels in the background (log: $WARMUP_LOG)"

sweep_kernels_ready() {  # wait for the background compile; its failure stops the demo like a DAG's
  local began=$SECONDS ok=0
  wait "$WARMUP_PID" || ok=$?
  trap - EXIT
  if [ "$ok" -ne 0 ]; then
    tail -n 15 "$WARMUP_LOG"
    echo "compiling the sweep kernels failed; full log: $WARMUP_LOG" >&2
    exit 1
  fi
  echo "    sweep kernels compiled (waited $((SECONDS - began)) s for them)"
}

run_dag market_data_ingest
run_dag warehouse_build
sweep_kernels_ready
run_dag nightly_sweep
run_dag daily_report
run_dag weekly_report
run_dag rebalance -c '{"dry_run": false}'
task_logs
python -m include.demo_listing
