"""The one place that keeps library chatter out of task logs.

A task log starts with what happened (rows landed, partitions passed, where the
report is); libraries log their internals at INFO or DEBUG and would bury that
line (importing Great Expectations alone logs 214 INFO lines). Their loggers are
set to WARNING here, before they are imported: `include/__init__.py` calls
`quiet_libraries()`, so any task, test or script that imports `include` is quiet.
Their warnings and errors still show. `PEAKTRADE_LIBRARY_LOG_LEVEL=DEBUG` brings
them back when debugging a library.
"""
from __future__ import annotations

import logging
import os

# Logger name -> why it is noisy. Children (great_expectations.expectations.registry ...) inherit the level.
NOISY_LIBRARIES = {
    "great_expectations": "logs every decorator it registers at import and every metric it computes",
    "dbt": "dbt's Python API logs each node's events when dbt runs in-process",
    "cosmos": "logs its cache, parse timings and profile lookups at INFO on every DAG parse",
    "numba": "logs compiler passes at DEBUG",
    "matplotlib": "logs font cache builds and backend choices",
    "fontTools": "logs every glyph subset while a PDF embeds a font",
    "PIL": "logs every PNG chunk it reads at DEBUG",
    "optuna": "logs one INFO line per trial (include/sweeps/progress.py reports progress instead)",
    "urllib3": "logs every connection it opens",
    "asyncio": "logs its selector choice at DEBUG",
    "filelock": "logs every acquire and release at DEBUG",
    "fsspec": "logs file-system lookups at DEBUG",
    "alembic": "logs migration steps",
}
LEVEL_VARIABLE = "PEAKTRADE_LIBRARY_LOG_LEVEL"


def library_level() -> int:
    """WARNING, or the level named by PEAKTRADE_LIBRARY_LOG_LEVEL (DEBUG, INFO, WARNING, ERROR)."""
    name = os.environ.get(LEVEL_VARIABLE, "WARNING").strip().upper()
    level = logging.getLevelName(name)
    if not isinstance(level, int):
        raise ValueError(f"{LEVEL_VARIABLE}={name!r} is not a log level; use DEBUG, INFO, WARNING or ERROR")
    return level


def quiet_libraries() -> None:
    """Set every noisy library's logger to the library level (idempotent; cheap: imports nothing)."""
    level = library_level()
    for name in NOISY_LIBRARIES:
        logging.getLogger(name).setLevel(level)
