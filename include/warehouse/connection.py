"""Opening the DuckDB file: the pipeline waits for a lock someone else holds, readers get their own file.

DuckDB lets one process write a file, or any number read it, never both: an analyst
with the warehouse open in a notebook (even read-only) stops dbt and the exports
with "Could not set lock on file". So:

- every pipeline open of `peak_trade.duckdb` (the exports, dbt through run_dbt, the
  cosmos producer) waits for such a lock with a bounded backoff, logging who holds
  it, and fails with one clear message only after `LOCK_WAIT_S`;
- after each build the warehouse is copied to `reader.duckdb` (a temporary file
  renamed over it): readers open that file, and a reader holding it never blocks a
  build, because a rename does not care about locks on the file it replaces (the
  reader keeps the version it opened; the next open gets the new one).

The pipeline's own tasks never meet each other on the file: they share the one-slot
`duckdb` pool (operators/warehouse_tasks.py).
"""
from __future__ import annotations

import logging
import re
import shutil
import time
from collections.abc import Callable
from pathlib import Path

from include.atomic import atomic_path
from include.errors import PeakTradeError
from include.paths import DataPaths

log = logging.getLogger(__name__)

LOCK_WAIT_S = 600.0  # an analyst's query finishes in minutes; longer means a forgotten notebook
FIRST_DELAY_S = 0.5
MAX_DELAY_S = 15.0
_LOCK_MESSAGE = "Could not set lock on file"
_HOLDER = re.compile(r"Conflicting lock is held in (?P<program>.*?) \(PID (?P<pid>\d+)\)")


class WarehouseLockedError(PeakTradeError):
    """Another process kept the DuckDB file locked for longer than the pipeline waits."""


def is_lock_error(message: str) -> bool:
    return _LOCK_MESSAGE in message


def lock_holder(message: str) -> str:
    """'pid 1234 (/usr/bin/python3)' from DuckDB's lock error, or 'another process' when it names none."""
    found = _HOLDER.search(message)
    return f"pid {found['pid']} ({found['program']})" if found else "another process"


def retry_while_locked(attempt: Callable[[], object], path: Path, max_wait_s: float = LOCK_WAIT_S,
                       lock_message: Callable[[BaseException], str | None] | None = None):
    """Call `attempt` until it does not fail on the DuckDB file lock; back off 0.5 s doubling to 15 s.

    `lock_message(exc)`: the lock error's text when `exc` is one (default: DuckDB's IOException
    with the lock message), None for any other failure, which is raised at once.
    """
    deadline = time.monotonic() + max_wait_s
    delay, tries = FIRST_DELAY_S, 0
    while True:
        tries += 1
        try:
            return attempt()
        except Exception as exc:  # noqa: BLE001 - only a lock error is retried, anything else re-raised
            message = (lock_message or _duckdb_lock_message)(exc)
            if message is None:
                raise
            holder = lock_holder(message)
            left = deadline - time.monotonic()
            if left <= 0:
                raise WarehouseLockedError(
                    f"the warehouse {path} stayed locked by {holder} for {max_wait_s:.0f} s: close that "
                    f"connection (readers open reader.duckdb beside it instead)"
                ) from None
            pause = min(delay, left)
            log.info("waiting for the warehouse lock held by %s on %s: try %d failed, next in %.1f s "
                     "(gives up in %.0f s)", holder, path, tries, pause, left)
            time.sleep(pause)
            delay = min(delay * 2, MAX_DELAY_S)


def _duckdb_lock_message(exc: BaseException) -> str | None:
    import duckdb

    return str(exc) if isinstance(exc, duckdb.IOException) and is_lock_error(str(exc)) else None


def open_warehouse(path: str | Path, read_only: bool = False, max_wait_s: float = LOCK_WAIT_S):
    """A DuckDB connection to the pipeline's file, after waiting (bounded) for a lock another process holds."""
    import duckdb  # here: DAG files import this package's lists at parse time

    path = Path(path)
    return retry_while_locked(lambda: duckdb.connect(str(path), read_only=read_only), path, max_wait_s)


def wait_until_unlocked(path: str | Path, max_wait_s: float = LOCK_WAIT_S) -> None:
    """Before a writer in another process (dbt) opens the file: wait until no one else holds it.

    A reader may take the file again in the moment between this check and dbt's open;
    run_dbt retries dbt itself on the lock error for that case.
    """
    path = Path(path)
    if path.is_file():
        open_warehouse(path, read_only=False, max_wait_s=max_wait_s).close()


def publish_reader_copy(data_dir: str | Path, max_wait_s: float = LOCK_WAIT_S) -> Path:
    """Copy the warehouse to reader.duckdb atomically; returns its path.

    Holding a write connection while copying means no writer is halfway through a
    transaction, and CHECKPOINT first moves the write-ahead log into the file, so the
    copy is one whole, consistent database.
    """
    paths = DataPaths(Path(data_dir))
    with open_warehouse(paths.duckdb, read_only=False, max_wait_s=max_wait_s) as con:
        con.execute("CHECKPOINT")
        with atomic_path(paths.reader_duckdb) as temporary:
            shutil.copyfile(paths.duckdb, temporary)
    log.info("published the readers' copy of the warehouse: %s", paths.reader_duckdb)
    return paths.reader_duckdb
