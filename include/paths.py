"""Where everything lives under the data directory."""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class DataPaths:
    root: Path

    @property
    def raw(self) -> Path:  # validated candles: what downstream models read
        return self.root / "raw"

    def landing(self, run_key: str) -> Path:  # one run's candidate partitions
        return self.landing_root / run_key

    @property
    def quarantine(self) -> Path:  # partitions that failed validation, with a JSON reason
        return self.root / "quarantine"

    @property
    def gaps(self) -> Path:  # missing candles, recorded per partition
        return self.root / "gaps"

    @property
    def validation(self) -> Path:  # results table, GX results store, Data Docs
        return self.root / "validation"

    @property
    def validation_results(self) -> Path:
        return self.validation / "results"

    @property
    def verdicts_root(self) -> Path:  # the gate's verdicts per run, kept apart from the landing area publish removes
        return self.validation / "verdicts"

    def verdicts(self, run_key: str) -> Path:  # one run's verdict files, one per series
        return self.verdicts_root / run_key

    @property
    def data_docs(self) -> Path:
        return self.validation / "data_docs"

    @property
    def gx_results(self) -> Path:  # Great Expectations' validation results store
        return self.validation / "gx_results"

    @property
    def locks(self) -> Path:  # advisory lock files shared by concurrent tasks
        return self.root / "locks"

    @property
    def landing_root(self) -> Path:  # the parent of every run's landing area
        return self.root / "landing"

    @property
    def warehouse(self) -> Path:
        return self.root / "warehouse"

    @property
    def duckdb(self) -> Path:  # the one DuckDB file; dbt/profiles.yml names the same path
        return self.warehouse / "peak_trade.duckdb"

    @property
    def reader_duckdb(self) -> Path:  # the readers' copy, replaced after each build: what notebooks open
        return self.warehouse / "reader.duckdb"

    @property
    def dbt_target(self) -> Path:  # dbt's compiled SQL, run results and logs
        return self.warehouse / "dbt_target"

    @property
    def preflight_marker(self) -> Path:  # the landed files the last passing preflight checked
        return self.warehouse / ".preflight_passed"

    @property
    def exports(self) -> Path:  # Parquet exports of the marts: what parallel readers open
        return self.warehouse / "exports"

    def export(self, table: str) -> Path:
        return self.exports / f"{table}.parquet"

    @property
    def sweeps(self) -> Path:
        return self.root / "sweeps"

    def sweep_run(self, sweep: str, key: str) -> Path:  # one run's chunk files and Optuna journal
        """`key` is the run's path-safe name, run_key(run_id)."""
        return self.sweeps / sweep / key

    def sweep_heatmaps(self, sweep: str, key: str) -> Path:
        return self.sweep_run(sweep, key) / "heatmaps"

    @property
    def ledger(self) -> Path:  # the order ledger's SQLite file (the embedded default)
        return self.root / "ledger" / "ledger.sqlite"

    def ledger_for(self, account: str) -> Path:  # a venue account's own ledger (SQLite), by account name
        return self.root / "ledger" / f"{account}.sqlite"

    @property
    def paper_venue(self) -> Path:  # the paper broker's own state (balances, orders, trades), JSON
        return self.root / "ledger" / "paper_venue.json"

    @property
    def desk_lock(self) -> Path:  # held by whoever loads, changes and saves the paper venue
        return self.locks / "desk.lock"

    @property
    def ledger_exports(self) -> Path:  # the ledger as Parquet: what the dbt source `ledger` reads
        return self.root / "ledger" / "exports"


def run_key(run_id: str) -> str:
    """A path-safe name for an Airflow run id (or any label)."""
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", run_id).strip("_") or "run"
