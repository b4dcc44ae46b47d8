"""Test-wide setup: Airflow and Peak Trade never touch the user's home or data."""
import atexit
import os
import shutil
import tempfile
from pathlib import Path

_scratch = Path(tempfile.mkdtemp(prefix="peaktrade-tests-"))
atexit.register(shutil.rmtree, _scratch, ignore_errors=True)
os.environ.setdefault("AIRFLOW_HOME", str(_scratch / "airflow_home"))
os.environ["PEAKTRADE_DATA_DIR"] = str(_scratch / "data")
os.environ.setdefault("AIRFLOW__CORE__LOAD_EXAMPLES", "False")
os.environ.setdefault("AIRFLOW__CORE__DAGBAG_IMPORT_ERROR_TRACEBACKS", "False")
# Parsing DAGs here needs no metadata database: cosmos keeps its dbt ls cache there otherwise.
os.environ.setdefault("AIRFLOW__COSMOS__ENABLE_CACHE_DBT_LS", "False")
os.environ.setdefault("AIRFLOW__COSMOS__ENABLE_TELEMETRY", "False")
os.environ.setdefault("DO_NOT_TRACK", "1")

REPO = Path(__file__).resolve().parents[1]
SHARED_REAL = REPO.parent / "shared" / "data" / "real"
