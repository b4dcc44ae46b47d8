"""Peak Trade benchmarks: `python -m benchmarks.run` (or `make bench`).

Every benchmark works in its own temporary data directory (PEAKTRADE_DATA_DIR)
with a temporary config (PEAKTRADE_CONFIG) and, for Airflow, a temporary
AIRFLOW_HOME and metadata database, so the project's data/ and airflow_home/
are never touched. Results are JSON files under benchmarks/results/, one per
benchmark with a stable name (reruns overwrite). Benchmarks only measure and
write results; nothing here asserts on timings.
"""
