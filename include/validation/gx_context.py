"""A Great Expectations context whose results and Data Docs live on disk.

Suites and validation definitions are rebuilt from the config each time
(ephemeral, so parallel tasks never race on shared JSON files); only the
validation results store and the Data Docs site are files, keyed by run.
"""
from __future__ import annotations

from pathlib import Path

import great_expectations as gx
from great_expectations.data_context.types.base import (
    DataContextConfig,
    InMemoryStoreBackendDefaults,
    ProgressBarsConfig,
)

from include.paths import DataPaths

# GX's loggers are quieted before it is imported, by include/logging_quiet.py.


def _filesystem(base: Path) -> dict:
    return {"class_name": "TupleFilesystemStoreBackend", "base_directory": str(base)}


def gx_context(paths: DataPaths):
    config = DataContextConfig(
        store_backend_defaults=InMemoryStoreBackendDefaults(init_temp_docs_sites=False),
        progress_bars=ProgressBarsConfig(globally=False),
        analytics_enabled=False,
    )
    config.stores["validation_results_store"] = {
        "class_name": "ValidationResultsStore",
        "store_backend": _filesystem(paths.gx_results),
    }
    config.data_docs_sites = {
        "local_site": {
            "class_name": "SiteBuilder",
            "show_how_to_buttons": False,
            "store_backend": _filesystem(paths.data_docs),
            "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
        }
    }
    return gx.get_context(project_config=config, mode="ephemeral")
