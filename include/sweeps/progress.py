"""Progress of a chunk in the task log: trials done / total, elapsed time and an ETA.

Logged about every 5 % of the trials (and at the last), so a 1,000-trial chunk
writes some 20 lines, not 1,000. The ETA assumes the remaining trials take as
long on average as those done.
"""
from __future__ import annotations

import logging
import time

logger = logging.getLogger("include.sweeps")
STEPS = 20


class Progress:
    def __init__(self, label: str, total: int, log: logging.Logger = logger):
        self.label, self.total, self.log = label, total, log
        self.done = 0
        self.every = max(1, total // STEPS)
        self.started = time.monotonic()

    def step(self, count: int = 1) -> None:
        """count more trials done (a batch evaluates many at once); logs when a 5 % mark is passed."""
        before = self.done
        self.done += count
        if self.done // self.every > before // self.every or self.done == self.total:
            elapsed = time.monotonic() - self.started
            eta = elapsed / self.done * max(self.total - self.done, 0)
            self.log.info("%s: %d/%d trials, %.1f s elapsed, ETA %.1f s",
                          self.label, self.done, self.total, elapsed, eta)
