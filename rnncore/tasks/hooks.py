"""The training loop's hooks for a task run from the command line (rnncore.training.loop.Hooks)."""

from __future__ import annotations

import time


class CommandLineHooks:
    """The loop's hooks for a run of the command line: a time limit, and each epoch handed on."""

    def __init__(self, seconds: float, on_epoch):
        self.deadline = time.monotonic() + seconds if seconds else None
        self.on_epoch, self.history = on_epoch, []

    def wait_turn(self, epoch: int) -> None:
        pass

    def check_batch(self, epoch: int) -> None:
        pass

    def out_of_time(self) -> bool:
        return self.deadline is not None and time.monotonic() >= self.deadline

    def epoch_done(self, record, best_epoch, probe, timings) -> None:
        self.history.append(record)
        if self.on_epoch is not None:
            self.on_epoch(record)
