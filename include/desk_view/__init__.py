"""The Desk page's figures and HTML (plugins/peak_trade_desk.py serves them inside the Airflow UI).

Everything here reads files only: the warehouse's Parquet exports, the ledger (its own SQLite
file or PostgreSQL schema), the validation results, the report files. Never the DuckDB file, so
the page opens while the warehouse builds. What only Airflow knows (the kill-switch Variable,
the DAG runs) is read by the plugin and handed in as plain data.
"""
