"""The training loop's hooks (rnncore.training.loop.Hooks) for a task's run outside the Trainer: a time limit,
a Stop, and something to do after each epoch."""

from __future__ import annotations

import threading
import time

from rnncore.training.loop import Stopped


class CommandLineHooks:
    """The loop's hooks for a run of the command line: a time limit, and each epoch handed on."""

    def __init__(self, seconds: float, on_epoch=None):
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


class StoppableHooks(CommandLineHooks):
    """The command line's hooks with a Stop: ``stop.set()`` from any thread ends the run within the batch."""

    def __init__(self, seconds: float, on_epoch=None):
        super().__init__(seconds, on_epoch)
        self.stop = threading.Event()

    def wait_turn(self, epoch: int) -> None:
        if self.stop.is_set():
            raise Stopped("stopped", epoch=epoch - 1)

    def check_batch(self, epoch: int) -> None:
        if self.stop.is_set():
            raise Stopped("stopped_mid", epoch=epoch)


class ThenCall:
    """The loop's ``hooks``, and after each epoch ``after(record)`` in the training thread (the model is not
    changing then): a recorder, a pruner, a page's live sample."""

    def __init__(self, hooks, after):
        self._hooks, self._after = hooks, after

    def __getattr__(self, name: str):
        return getattr(self._hooks, name)

    def epoch_done(self, record, *args) -> None:
        self._hooks.epoch_done(record, *args)
        self._after(record)
