#!/usr/bin/env bash
# The Airflow web UI, scheduler, DAG processor and triggerer on the embedded default, started one after
# another: each waits until the one before it is healthy, so no task starts before the API server that
# tasks report to is up. Ctrl-C stops all four.
set -euo pipefail
PEAKTRADE_ROOT="${PEAKTRADE_ROOT:-$(cd "$(dirname "$0")/.." && pwd)}"
source "$PEAKTRADE_ROOT/.airflow.env"
# Schedules start when Airflow first starts in this home (operators/common.py schedules_start): the first
# start runs no past sweep or report; the moment is kept, so the DAGs stay the same from then on.
mkdir -p "$AIRFLOW_HOME"
[ -s "$AIRFLOW_HOME/schedules_start" ] || date -u +%Y-%m-%dT%H:%M:%S+00:00 >"$AIRFLOW_HOME/schedules_start"
source "$(dirname "$0")/airflow_home.sh"

PORT="${AIRFLOW__API__PORT:-8080}"
HEALTH="http://localhost:$PORT/api/v2/monitor/health"
LOGS="$AIRFLOW_HOME/logs"
export AIRFLOW__CORE__EXECUTION_API_SERVER_URL="${AIRFLOW__CORE__EXECUTION_API_SERVER_URL:-http://localhost:$PORT/execution/}"
PIDS=()

stop() {
  trap - INT TERM EXIT
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap stop INT TERM EXIT

start() {  # start <component>: in the background, its output in $LOGS/<component>.log
  airflow "$1" >"$LOGS/$1.log" 2>&1 &
  PIDS+=($!)
}

healthy() {  # healthy <component>: the API server's health report says the component is healthy
  curl -fsS "$HEALTH" 2>/dev/null | python -c "
import json, sys
sys.exit(0 if json.load(sys.stdin)['$1']['status'] == 'healthy' else 1)" 2>/dev/null
}

wait_for() {  # wait_for <component> <seconds>
  local component=$1 seconds=$2 pid=${PIDS[-1]}
  for _ in $(seq "$seconds"); do
    if healthy "$component"; then echo "    $component: healthy"; return 0; fi
    if ! kill -0 "$pid" 2>/dev/null; then
      tail -n 20 "$LOGS/$3.log"; echo "$3 exited; full log: $LOGS/$3.log" >&2; exit 1
    fi
    sleep 1
  done
  tail -n 20 "$LOGS/$3.log"; echo "$3 not healthy after $seconds s; full log: $LOGS/$3.log" >&2; exit 1
}

echo "==> api-server on port $PORT (log: $LOGS/api-server.log)"
start api-server
wait_for metadatabase 300 api-server
echo "==> scheduler (log: $LOGS/scheduler.log)"
start scheduler
wait_for scheduler 300 scheduler
echo "==> dag-processor (log: $LOGS/dag-processor.log)"
start dag-processor
wait_for dag_processor 300 dag-processor
echo "==> triggerer (log: $LOGS/triggerer.log)"
start triggerer
wait_for triggerer 300 triggerer

PASSWORDS="$AIRFLOW_HOME/simple_auth_manager_passwords.json.generated"
echo
echo "Airflow UI: http://localhost:$PORT  user: ${PEAKTRADE_UI_USER:-admin}"
if [ -s "$PASSWORDS" ]; then
  echo "login: $(cat "$PASSWORDS")  (from $PASSWORDS)"
else
  echo "password: in $PASSWORDS"
fi
echo "Schedules run from $(cat "$AIRFLOW_HOME/schedules_start"); Ctrl-C stops Airflow."
wait -n "${PIDS[@]}" || true
echo "an Airflow component stopped; see the logs in $LOGS" >&2
