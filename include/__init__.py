"""Peak Trade's domain library (no Airflow). Importing it quiets noisy library loggers first."""
from include.logging_quiet import quiet_libraries

quiet_libraries()
