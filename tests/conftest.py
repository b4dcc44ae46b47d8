"""Test-wide setup: Airflow and Peak Trade never touch the user's home or data."""
import atexit
import os
import shutil
import sys
import tempfile
from pathlib import Path

import pytest

_scratch = Path(tempfile.mkdtemp(prefix="peaktrade-tests-"))
atexit.register(shutil.rmtree, _scratch, ignore_errors=True)
os.environ.setdefault("AIRFLOW_HOME", str(_scratch / "airflow_home"))
os.environ["PEAKTRADE_DATA_DIR"] = str(_scratch / "data")
os.environ["PEAKTRADE_REPORTS_DIR"] = str(_scratch / "reports")
os.environ.setdefault("AIRFLOW__CORE__LOAD_EXAMPLES", "False")
os.environ.setdefault("AIRFLOW__CORE__DAGBAG_IMPORT_ERROR_TRACEBACKS", "False")
# Parsing DAGs here needs no metadata database: cosmos keeps its dbt ls cache there otherwise.
os.environ.setdefault("AIRFLOW__COSMOS__ENABLE_CACHE_DBT_LS", "False")
os.environ.setdefault("AIRFLOW__COSMOS__ENABLE_TELEMETRY", "False")
os.environ.setdefault("DO_NOT_TRACK", "1")

REPO = Path(__file__).resolve().parents[1]

# Each Airflow or dbt command a test runs is a new interpreter importing some 3,000 modules. Without
# bytecode caches (PYTHONDONTWRITEBYTECODE set, and the venv is installed without them) every one of
# them compiles all those modules again: about half of its CPU. The caches go to .cache/pycache here
# (*.pyc is ignored by git), for this process and every command it starts.
os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
os.environ.setdefault("PYTHONPYCACHEPREFIX", str(REPO / ".cache" / "pycache"))
sys.dont_write_bytecode = False
sys.pycache_prefix = os.environ["PYTHONPYCACHEPREFIX"]

SHARED_REAL = REPO.parent / "shared" / "data" / "real"


@pytest.fixture(scope="session", autouse=True)
def _session_cache(request, tmp_path_factory):
    """tests/session_cache.py keeps what both xdist workers share beside their own temporary folders."""
    from tests.session_cache import set_root

    base = tmp_path_factory.getbasetemp()
    set_root(base.parent if hasattr(request.config, "workerinput") else base)


@pytest.fixture(scope="session")
def real_frames():
    """The real candles of ../shared/data/real/ by Series (tests/warehouse/conftest.py)."""
    from tests.warehouse.conftest import real_candles

    return real_candles()


@pytest.fixture(scope="session")
def real_warehouse(tmp_path_factory) -> Path:
    """A data dir with the real candles in raw/ and `dbt build` done: built once per session for both
    xdist workers (tests/session_cache.py), copied for each worker (tests write exports into theirs)."""
    from tests.session_cache import built_once

    data_dir = tmp_path_factory.mktemp("warehouse")
    shutil.copytree(built_once("real-warehouse", _build_real_warehouse), data_dir, dirs_exist_ok=True)
    return data_dir


def _build_real_warehouse(data_dir: Path) -> None:
    from include.warehouse.dbt_runner import run_dbt
    from tests.warehouse.conftest import real_candles, write_raw

    write_raw(data_dir, real_candles())
    run_dbt(["build"], data_dir)


# The longest files first: with `pytest -n 3 --dist loadfile` each file runs on one worker, and a long
# file collected last leaves the other worker idle at the end (the suite's wall time is its longest tail).
LONGEST_FIRST = (
    "scaleout/test_celery_stack.py", "browser/test_desk_page.py", "dags/test_scheduler_run.py",
    "browser/test_run_states.py", "dags/test_venue_approval_run.py",
    "dags/test_rebalance_run.py",
    "dags/test_ingest_run.py", "dags/test_risk_controls_run.py", "dags/test_report_run.py",
    "faults/test_warehouse_kill.py", "faults/test_ingest_kills.py",
    "warehouse/test_features_incremental.py", "execution/test_fault_sequences.py", "sweeps/test_publish.py",
    "dags/test_sweep_run.py", "security/test_access.py",
)


def pytest_sessionstart(session):
    """The dbt manifest warehouse_build renders from (make writes it; a bare `pytest` gets it here once,
    on the controller before any xdist worker starts)."""
    if not hasattr(session.config, "workerinput"):
        from include.warehouse.dbt_manifest import fresh_manifest, write_manifest

        if fresh_manifest() is None:
            write_manifest()


def pytest_collection_modifyitems(session, config, items):
    def rank(item) -> int:
        path = item.nodeid.split("::")[0].removeprefix("tests/")
        return LONGEST_FIRST.index(path) if path in LONGEST_FIRST else len(LONGEST_FIRST)
    items.sort(key=rank)  # stable: the order within a file and among the rest is kept
