"""Expensive test inputs built once per test session and shared by both xdist workers.

`built_once(name, build)` returns a folder `build` filled, built by whichever worker asks first while
the other waits on a file lock; the folder only appears once complete (built under a temporary name,
then renamed), so a failed build leaves nothing behind and the next caller tries again. The folder
lives beside the workers' own temporary folders (the xdist recipe: getbasetemp().parent), so it goes
when pytest clears its old temporary folders. Callers copy what they need and never write into it.
"""
from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

from filelock import FileLock

_root: Path | None = None


def set_root(path: Path) -> None:
    """Called once per process by tests/conftest.py's session fixture."""
    global _root
    _root = path


def built_once(name: str, build: Callable[[Path], None]) -> Path:
    if _root is None:
        raise RuntimeError("session_cache used outside a pytest session (tests/conftest.py sets its root)")
    final = _root / "session-cache" / name
    final.parent.mkdir(parents=True, exist_ok=True)
    with FileLock(str(final) + ".lock"):
        if not final.is_dir():
            partial = final.with_name(name + ".partial")
            shutil.rmtree(partial, ignore_errors=True)
            partial.mkdir()
            build(partial)
            partial.rename(final)
    return final
