"""The one atomic-write helper: a file appears complete at its name or not at all.

Every writer fills a temporary file in the target's own folder (a rename is atomic
only within one file system), the temporary is flushed to disk with fsync, then
`os.replace` moves it onto the target in one step. On any failure, including an
interrupt, the temporary is removed and a previous file at the target is left as it
was. Each temporary has a unique name, so concurrent writers of one target never
write into the same file: the last rename wins and a reader sees one whole version.
A process killed outright (SIGKILL, power cut) cannot remove its temporary: the next
writer that knows it is the target's only writer (it holds the target's lock, or the
name is its own run's) removes such leftovers with remove_temporaries.

    with atomic_path(target) as temporary:   # any writer that takes a path
        book.save(temporary)
"""
from __future__ import annotations

import os
import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def temporary_name(target: Path) -> Path:
    """A unique dot-named sibling of target: hidden from globs such as `*.parquet`."""
    return target.with_name(f".{target.name}.{uuid.uuid4().hex}.tmp")


def remove_temporaries(target: str | Path) -> int:
    """Remove the temporaries of `target` that killed writers left behind; returns how many.

    Only for a caller that is the target's one writer right now: another live writer's
    temporary would be removed under it.
    """
    target = Path(target)
    if not target.parent.is_dir():
        return 0
    pattern = re.compile(rf"^\.{re.escape(target.name)}\.[0-9a-f]{{32}}\.tmp$")
    stale = [p for p in target.parent.iterdir() if pattern.match(p.name)]
    for path in stale:
        path.unlink(missing_ok=True)
    return len(stale)


@contextmanager
def atomic_path(target: str | Path) -> Iterator[Path]:
    """Yield a temporary path to write; on leaving the block fsync it and replace target with it."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = temporary_name(target)
    try:
        yield temporary
        if not temporary.is_file():
            raise FileNotFoundError(f"nothing was written to {temporary} for {target}")
        with open(temporary, "rb") as written:  # the writer may have closed its own handle unsynced
            os.fsync(written.fileno())
        os.replace(temporary, target)
    finally:
        temporary.unlink(missing_ok=True)  # gone already after a successful replace


def write_bytes_atomic(data: bytes, target: str | Path) -> Path:
    with atomic_path(target) as temporary:
        temporary.write_bytes(data)
    return Path(target)


def write_text_atomic(text: str, target: str | Path) -> Path:
    with atomic_path(target) as temporary:
        temporary.write_text(text)
    return Path(target)


def write_parquet_atomic(frame_or_table, target: str | Path, schema=None) -> Path:
    """A pandas DataFrame (without its index, cast to `schema` if given) or a pyarrow Table as Parquet."""
    import pyarrow as pa  # imported here: most writers of this module never write Parquet
    import pyarrow.parquet as pq

    table = frame_or_table
    if not isinstance(table, pa.Table):
        table = pa.Table.from_pandas(frame_or_table, schema=schema, preserve_index=False)
    elif schema is not None:
        table = table.cast(schema)
    with atomic_path(target) as temporary:
        pq.write_table(table, temporary)
    return Path(target)
