#!/bin/bash
# First start of the postgres service only (docker-entrypoint-initdb.d): the order ledger's own database,
# owned by the same user as Airflow's metadata database. PEAKTRADE_LEDGER_URL in .env points at it.
set -euo pipefail
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
  -c "CREATE DATABASE peaktrade_ledger OWNER \"$POSTGRES_USER\""
