"""include/atomic.py: a target holds one whole version or its previous content, never half a file."""
from __future__ import annotations

import os
import re
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from types import SimpleNamespace

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from include import atomic
from include.atomic import (
    atomic_path,
    remove_temporaries,
    temporary_name,
    write_bytes_atomic,
    write_parquet_atomic,
    write_text_atomic,
)


def names(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def test_success_replaces_the_target_and_leaves_no_temporary(tmp_path):
    target = tmp_path / "deep" / "er" / "out.txt"  # missing folders are created
    assert write_text_atomic("first", target) == target
    assert write_text_atomic("second", target) == target
    assert target.read_text() == "second"
    assert names(target.parent) == ["out.txt"]


def test_the_temporary_is_a_hidden_sibling_of_the_target(tmp_path):
    target = tmp_path / "report.pdf"
    with atomic_path(target) as temporary:
        assert temporary.parent == tmp_path and temporary.name.startswith(".report.pdf.")
        assert not temporary.exists() and not target.exists()
        temporary.write_bytes(b"%PDF-")
    assert target.read_bytes() == b"%PDF-"


def test_a_failure_mid_write_keeps_the_old_file_and_removes_the_temporary(tmp_path):
    target = tmp_path / "out.bin"
    write_bytes_atomic(b"old", target)
    with pytest.raises(OSError, match="disk full"):
        with atomic_path(target) as temporary, open(temporary, "wb") as out:
            out.write(b"half a fi")
            raise OSError("disk full")
    assert target.read_bytes() == b"old"
    assert names(tmp_path) == ["out.bin"]


def test_an_interrupt_also_removes_the_temporary(tmp_path):
    target = tmp_path / "out.bin"
    with pytest.raises(KeyboardInterrupt, match="^interrupted mid-write$"):
        with atomic_path(target) as temporary:
            temporary.write_bytes(b"partial")
            raise KeyboardInterrupt("interrupted mid-write")
    assert names(tmp_path) == []


def test_a_failed_replace_keeps_the_old_file_and_removes_the_temporary(tmp_path, monkeypatch):
    target = tmp_path / "out.txt"
    write_text_atomic("old", target)

    def refuse(source, destination):
        raise PermissionError(f"cannot replace {destination}")

    monkeypatch.setattr(atomic, "os", SimpleNamespace(replace=refuse, fsync=os.fsync))
    with pytest.raises(PermissionError, match=f"^cannot replace {re.escape(str(target))}$"):
        write_text_atomic("new", target)
    assert target.read_text() == "old"
    assert names(tmp_path) == ["out.txt"]


def test_a_writer_that_wrote_nothing_fails_and_keeps_the_old_file(tmp_path):
    target = tmp_path / "out.txt"
    write_text_atomic("old", target)
    with pytest.raises(FileNotFoundError, match="nothing was written"):
        with atomic_path(target):
            pass
    assert target.read_text() == "old"


def test_the_complete_temporary_is_fsynced_before_it_replaces_the_target(tmp_path, monkeypatch):
    """Each fsync is recorded with the file behind its descriptor and that file's bytes at that moment."""
    target = tmp_path / "out.txt"
    write_text_atomic("old", target)
    synced = []

    def recording_fsync(fd):
        where = Path(os.readlink(f"/proc/self/fd/{fd}"))
        synced.append((where, where.read_text(), target.read_text()))
        os.fsync(fd)

    monkeypatch.setattr(atomic, "os", SimpleNamespace(replace=os.replace, fsync=recording_fsync))
    write_text_atomic("new content", target)
    ((where, content, target_then),) = synced
    assert where.parent == tmp_path and where.name.startswith(".out.txt.")
    assert (content, target_then) == ("new content", "old")  # synced whole, before the replace
    assert target.read_text() == "new content"


def test_concurrent_writers_of_one_target_never_leave_half_a_file(tmp_path):
    target = tmp_path / "shared.txt"
    size, writers, rounds = 512 * 1024, 4, 8
    versions = {str(n): str(n) * size for n in range(writers)}
    done, seen, torn = threading.Event(), set(), []

    def write(n: int) -> None:
        for _ in range(rounds):
            write_text_atomic(versions[str(n)], target)

    def read() -> None:
        while not done.is_set():
            if target.exists():
                text = target.read_text()
                if text and text == versions.get(text[0]):
                    seen.add(text[0])
                else:
                    torn.append(len(text))

    reader = threading.Thread(target=read)
    reader.start()
    try:
        with ThreadPoolExecutor(writers) as pool:
            list(pool.map(write, range(writers)))
    finally:
        done.set()
        reader.join()
    assert torn == []  # a thread's assert would not fail the test: the reader records what it saw
    assert target.read_text() in versions.values()
    assert seen  # the reader did read while writers wrote
    assert names(tmp_path) == ["shared.txt"]


def test_parquet_from_a_frame_or_a_table_and_cast_to_a_schema(tmp_path):
    frame = pd.DataFrame({"a": [1, 2], "b": ["x", "y"]}, index=[5, 6])
    write_parquet_atomic(frame, tmp_path / "frame.parquet")
    pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "frame.parquet"), frame.reset_index(drop=True))

    schema = pa.schema([("a", pa.float64()), ("b", pa.string())])
    write_parquet_atomic(frame, tmp_path / "cast.parquet", schema=schema)
    write_parquet_atomic(pa.table({"a": [1, 2], "b": ["x", "y"]}), tmp_path / "table.parquet", schema=schema)
    assert pq.read_schema(tmp_path / "cast.parquet").remove_metadata().equals(schema)
    assert pq.read_table(tmp_path / "table.parquet").equals(pq.read_table(tmp_path / "cast.parquet").replace_schema_metadata())
    assert names(tmp_path) == ["cast.parquet", "frame.parquet", "table.parquet"]


def test_a_frame_parquet_cannot_hold_fails_before_touching_the_target(tmp_path):
    target = tmp_path / "x.parquet"
    write_parquet_atomic(pd.DataFrame({"a": [1]}), target)
    before = target.read_bytes()
    with pytest.raises(pa.ArrowInvalid, match="Conversion failed for column a with type object"):
        write_parquet_atomic(pd.DataFrame({"a": [object()]}), target)
    assert target.read_bytes() == before
    assert names(tmp_path) == ["x.parquet"]


def test_remove_temporaries_removes_only_the_targets_leftovers(tmp_path):
    """What a SIGKILLed writer leaves (tests/faults kills publish there); other names' temporaries stay."""
    target = tmp_path / "candles.parquet"
    leftovers = [temporary_name(target), temporary_name(target)]
    other = temporary_name(tmp_path / "gaps.parquet")
    for path in [*leftovers, other]:
        path.write_bytes(b"half")
    target.write_bytes(b"whole")
    (tmp_path / ".candles.parquet.notes.tmp").write_bytes(b"not ours")  # not a temporary_name

    assert remove_temporaries(target) == 2
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        [other.name, "candles.parquet", ".candles.parquet.notes.tmp"])
    assert remove_temporaries(tmp_path / "missing" / "candles.parquet") == 0
