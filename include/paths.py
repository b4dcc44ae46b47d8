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
        return self.root / "landing" / run_key

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
    def data_docs(self) -> Path:
        return self.validation / "data_docs"


def run_key(run_id: str) -> str:
    """A path-safe name for an Airflow run id (or any label)."""
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", run_id).strip("_") or "run"
