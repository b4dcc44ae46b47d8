"""A reader outside the pipeline never makes it fail: the pipeline waits for the lock, readers get their own file.

Real DuckDB files and real processes: a separate Python process holds a connection (an
analyst's notebook) and lets go only when this test tells it to, so nothing here depends
on timing.
"""
from __future__ import annotations

import logging
import subprocess
import sys
import textwrap
import threading

import duckdb
import pytest

from include.paths import DataPaths
from include.warehouse.connection import (
    WarehouseLockedError,
    lock_holder,
    open_warehouse,
    publish_reader_copy,
    wait_until_unlocked,
)

HOLDER = textwrap.dedent("""
    import sys, duckdb
    con = duckdb.connect(sys.argv[1], read_only=sys.argv[2] == "read_only")
    print(con.execute("select max(v) from t").fetchone()[0], flush=True)   # holding the file now
    for line in sys.stdin:                                                # "query": read again; "release": let go
        if line.strip() == "release":
            break
        print(con.execute("select max(v) from t").fetchone()[0], flush=True)
    con.close()
""")


class Holder:
    """A process with the file open until release()."""

    def __init__(self, path, mode: str):
        self.process = subprocess.Popen([sys.executable, "-c", HOLDER, str(path), mode], stdin=subprocess.PIPE,
                                        stdout=subprocess.PIPE, text=True)
        self.first = self.process.stdout.readline().strip()  # returns once the connection is open
        assert self.first, f"holder of {path} did not start"

    def query(self) -> str:
        self.process.stdin.write("query\n")
        self.process.stdin.flush()
        return self.process.stdout.readline().strip()

    def release(self) -> None:
        if self.process.poll() is None:
            self.process.stdin.write("release\n")
            self.process.stdin.flush()
            self.process.wait(timeout=60)


@pytest.fixture
def holder():
    held: list[Holder] = []

    def start(path, mode="read_write") -> Holder:
        held.append(Holder(path, mode))
        return held[-1]

    yield start
    for h in held:
        h.release()


@pytest.fixture
def warehouse(tmp_path):
    paths = DataPaths(tmp_path)
    paths.warehouse.mkdir(parents=True)
    with duckdb.connect(str(paths.duckdb)) as con:
        con.execute("create table t as select 1 as v")
    return paths


class WaitSeen(logging.Handler):
    """Set when the pipeline logs that it waits for the lock."""

    def __init__(self):
        super().__init__(logging.INFO)
        self.event, self.messages = threading.Event(), []

    def emit(self, record):
        self.messages.append(record.getMessage())
        if record.getMessage().startswith("waiting for the warehouse lock held by"):
            self.event.set()


@pytest.fixture
def waits():
    handler, logger = WaitSeen(), logging.getLogger("include.warehouse.connection")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    yield handler
    logger.removeHandler(handler)
    logger.setLevel(logging.NOTSET)


def release_when_waiting(waits: WaitSeen, held: Holder) -> threading.Thread:
    def release():
        assert waits.event.wait(timeout=120), "the pipeline never logged that it waits"
        held.release()

    thread = threading.Thread(target=release, daemon=True)
    thread.start()
    return thread


@pytest.mark.parametrize("mode", ["read_write", "read_only"])
def test_the_pipeline_waits_for_a_lock_held_elsewhere_then_opens(warehouse, holder, waits, mode):
    notebook = holder(warehouse.duckdb, mode)
    releaser = release_when_waiting(waits, notebook)
    with open_warehouse(warehouse.duckdb, read_only=False) as con:  # dbt and the reader copy open it for writing
        con.execute("insert into t values (2)")
    releaser.join(timeout=120)
    assert notebook.process.returncode == 0  # it let go only after the pipeline had waited
    waited = [m for m in waits.messages if m.startswith("waiting for the warehouse lock held by")]
    assert waited and all(f"held by pid {notebook.process.pid} (" in m for m in waited), waits.messages


def test_a_lock_held_too_long_fails_with_one_clear_message(warehouse, holder):
    notebook = holder(warehouse.duckdb)
    with pytest.raises(WarehouseLockedError, match=rf"stayed locked by pid {notebook.process.pid} .*reader\.duckdb"):
        wait_until_unlocked(warehouse.duckdb, max_wait_s=1)


def test_a_reader_of_the_copy_never_blocks_a_publish(warehouse, holder, waits):
    reader = publish_reader_copy(warehouse.root)
    assert reader == warehouse.reader_duckdb
    analyst = holder(reader, "read_only")
    assert analyst.first == "1"
    with duckdb.connect(str(warehouse.duckdb)) as con:  # the next build
        con.execute("insert into t values (2)")
    publish_reader_copy(warehouse.root)
    assert not waits.event.is_set(), waits.messages  # the reader's lock on the copy did not hold the publish up
    assert analyst.query() == "1"  # the open connection keeps the version it opened
    with duckdb.connect(str(reader), read_only=True) as fresh:
        assert fresh.execute("select max(v) from t").fetchone()[0] == 2  # a new one gets the new build
    assert not list(warehouse.warehouse.glob(".*.tmp"))  # no temporary left beside it


def test_the_lock_holder_is_read_from_duckdbs_message():
    message = ('IO Error: Could not set lock on file "/d/peak_trade.duckdb": Conflicting lock is held in '
               "/usr/bin/python3.11 (PID 4242). However, you would be able to open this database in read-only mode")
    assert lock_holder(message) == "pid 4242 (/usr/bin/python3.11)"
    assert lock_holder("IO Error: Could not set lock on file") == "another process"
