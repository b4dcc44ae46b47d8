"""Kill points for a forked task process: SIGKILL itself at the n-th file-system boundary.

Installed only inside the child process a soak forks for one task (tests/faults/task_process.py),
never in production code: the task's own modules are unmodified, the child wraps the `os`
calls and `open` they reach. A boundary is one call that changes the file system as a writer
sees it (create a file for writing, fsync, rename, unlink, rmdir, mkdir); the child dies just
before or just after the n-th one, as a power cut or the OOM killer would leave it.

`count` mode kills nothing and reports how many boundaries a clean task passes, so the soak
can draw n uniformly over the whole task.
"""
from __future__ import annotations

import builtins
import io
import os
import signal

WRAPPED_OS = ("replace", "rename", "unlink", "remove", "rmdir", "mkdir", "fsync")
_WRITE_MODES = set("wax+")


class Boundaries:
    """Counts boundaries; at `kill_at` (1-based) SIGKILLs the process `side` ('before' or 'after') the call."""

    def __init__(self, kill_at: int | None = None, side: str = "before"):
        if side not in ("before", "after"):
            raise ValueError(f"side {side!r}: valid: 'before' or 'after'")
        self.kill_at, self.side, self.count = kill_at, side, 0
        self.trace: list[str] = []  # "<call> <path> [<path>]" per boundary: lets a test pick one by what it does

    def _cross(self, name: str, call, *args, **kwargs):
        self.count += 1
        self.trace.append(" ".join([name, *(str(a) for a in args[:2] if isinstance(a, (str, os.PathLike)))]))
        hit = self.count == self.kill_at
        if hit and self.side == "before":
            _die()
        result = call(*args, **kwargs)
        if hit:
            _die()
        return result

    def install(self) -> "Boundaries":
        for name in WRAPPED_OS:
            original = getattr(os, name)
            setattr(os, name, self._wrap(name, original))
        original_open = builtins.open

        def opened(file, mode="r", *args, **kwargs):
            if _WRITE_MODES & set(mode):
                return self._cross("open", original_open, file, mode, *args, **kwargs)
            return original_open(file, mode, *args, **kwargs)

        builtins.open = io.open = opened  # pathlib's write_text opens through io.open
        return self

    def _wrap(self, name: str, original):
        def crossing(*args, **kwargs):
            return self._cross(name, original, *args, **kwargs)

        crossing.__name__ = original.__name__
        return crossing


def _die() -> None:
    os.kill(os.getpid(), signal.SIGKILL)
