"""Writing one run into the store while it trains, without slowing it down.

A RunRecorder is a Trainer callback. After each epoch (in the training thread) it only notes the
epochs not yet written and, every ``heartbeat_seconds`` or every ``checkpoint_epochs`` epochs, whichever
comes first, takes a copy of the weights (their tensors cloned: the file's bytes are made by the writer); a
writer thread of its own puts them in the store at most once every ``FLUSH_SECONDS`` and beats while the run
lives (paused included). An epoch of a small model takes a few milliseconds, and a transaction per epoch halved
the training speed; written a second at a time, recording costs a few percent (benchmarks/store_overhead.py).
A server killed mid-run loses at most the last second of epochs, and the run reads as interrupted; it continues
from weights at most ``checkpoint_epochs`` epochs or ``heartbeat_seconds`` older than that, whichever is less
work. ``finish`` writes the ended run whole (its full history again), so an epoch the writer could not store (the
database was down a moment) is not lost either.
"""

from __future__ import annotations

import threading
import time

from rnncore.errors import StoreError
from rnncore.io.model_files import copy_bytes, model_copy

FLUSH_SECONDS = 1.0  # how often the writer stores the epochs that ended meanwhile


class RunRecorder:
    def __init__(self, store, key: str, number: int, model):
        self.store, self.key, self.number, self.model = store, key, number, model
        self.every = store.settings.heartbeat_seconds
        self.every_epochs = store.settings.checkpoint_epochs
        self.error: StoreError | None = None  # the first write that failed (training goes on regardless)
        self._written = 0  # epochs handed to the writer so far
        self._epochs: list = []  # ended, not yet written
        self._checkpoint: tuple[int, tuple] | None = None  # the latest copy of the weights, not yet written
        self._saved_at = 0.0  # when the last copy of the weights was taken
        self._saved_epoch = None  # of which epoch (None: none yet)
        self._lock = threading.Lock()
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._write, name=f"rnnlab-recorder-{number}", daemon=True)
        self._thread.start()

    def __call__(self, progress) -> None:
        """After each epoch, in the training thread: note what is new (the writer stores it)."""
        new = progress.history[self._written:]
        self._written = len(progress.history)
        now = time.monotonic()
        weights = None
        if (self._saved_epoch is None or now - self._saved_at >= self.every
                or progress.epoch - self._saved_epoch >= self.every_epochs):
            self._saved_at, self._saved_epoch = now, progress.epoch
            weights = (progress.epoch, model_copy(self.model))
        with self._lock:
            self._epochs.extend(new)
            if weights is not None:
                self._checkpoint = weights

    def _write(self) -> None:
        beat_at, stopping = time.monotonic(), False
        while not stopping:
            stopping = self._done.wait(min(FLUSH_SECONDS, self.every))  # then one last write of what is noted
            with self._lock:
                epochs, self._epochs = self._epochs, []
                checkpoint, self._checkpoint = self._checkpoint, None
            try:
                if epochs:
                    self.store.append_epochs(self.key, self.number, epochs)
                if checkpoint is not None:
                    epoch, copy = checkpoint
                    self.store.save_checkpoint(self.key, self.number, epoch, copy_bytes(copy))
                if epochs or checkpoint is not None:
                    beat_at = time.monotonic()  # a write beats too
                elif not stopping and time.monotonic() - beat_at >= self.every:
                    self.store.beat(self.key, [self.number])
                    beat_at = time.monotonic()
            except StoreError as exc:
                self.error = self.error or exc

    def close(self) -> None:
        """Stop the writer after it wrote what was noted (it beats no more)."""
        self._done.set()
        if self._thread.is_alive() and self._thread is not threading.current_thread():
            self._thread.join(timeout=30)

    def finish(self, **ended) -> list[int]:
        """The run ended: write it whole (RunStore.finish_run's arguments); the runs whose model the quota
        removed. StoreError when the store cannot take it."""
        self.close()
        return self.store.finish_run(self.key, self.number, **ended)
