#!/usr/bin/env bash
# The Airflow web UI, scheduler, DAG processor and triggerer on the embedded default.
set -euo pipefail
source "$(dirname "$0")/airflow_home.sh"
echo "Airflow UI: http://localhost:8080  user: ${PEAKTRADE_UI_USER:-admin}"
echo "password: in $AIRFLOW_HOME/simple_auth_manager_passwords.json.generated (printed below once it exists)"
( for _ in $(seq 60); do
    if [ -s "$AIRFLOW_HOME/simple_auth_manager_passwords.json.generated" ]; then
      echo "login: $(cat "$AIRFLOW_HOME/simple_auth_manager_passwords.json.generated")"; break
    fi; sleep 2
  done ) &
exec airflow standalone
