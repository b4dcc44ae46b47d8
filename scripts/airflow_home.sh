# Source me: the embedded default's Airflow settings plus an initialised metadata database.
set -euo pipefail
PEAKTRADE_ROOT="${PEAKTRADE_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}"
export PEAKTRADE_ROOT
source "$PEAKTRADE_ROOT/.airflow.env"
export PATH="$PEAKTRADE_ROOT/.venv/bin:$PATH"
mkdir -p "$AIRFLOW_HOME/logs"
# The moment schedules start in this home (scripts/airflow.sh writes it once): `make demo` parses the same DAGs.
if [ -s "$AIRFLOW_HOME/schedules_start" ]; then
  PEAKTRADE_SCHEDULES_START="$(cat "$AIRFLOW_HOME/schedules_start")"
  export PEAKTRADE_SCHEDULES_START
fi
if ! airflow db migrate >"$AIRFLOW_HOME/logs/db-migrate.log" 2>&1; then
  tail -n 30 "$AIRFLOW_HOME/logs/db-migrate.log"
  echo "airflow db migrate failed; full log: $AIRFLOW_HOME/logs/db-migrate.log" >&2
  exit 1
fi
# DuckDB allows one writer: every task that opens the warehouse file shares this one-slot pool.
airflow pools set duckdb 1 "DuckDB warehouse file: one task at a time" >/dev/null 2>&1 || true
