"""What a run reports while it goes on: its status, one record per epoch, and the Progress snapshot."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum

import numpy as np

from rnncore.messages import RUN_MESSAGES


class Status(StrEnum):
    """Where a run is. A StrEnum: it equals its value ("finished"), in JSON and in tests."""

    IDLE = "idle"  # made, not started
    QUEUED = "queued"  # waiting for a free training slot
    RUNNING = "running"
    PAUSED = "paused"
    FINISHED = "finished"  # every epoch, early stopping or the time limit
    STOPPED = "stopped"  # by the user
    DIVERGED = "diverged"  # the loss became NaN or infinite
    FAILED = "failed"  # an error in the loop
    IMPORTED = "imported"  # a run brought back from a zip
    INTERRUPTED = "interrupted"  # read from the run store: its server stopped while it trained

    @property
    def ended(self) -> bool:
        return self in ENDED

    @property
    def active(self) -> bool:
        """Started and not ended: the run holds its trainer (queued, running or paused)."""
        return self in ACTIVE

    @property
    def moving(self) -> bool:
        """Changes without a click (queued or running): a page showing it polls."""
        return self in MOVING

    @property
    def went_wrong(self) -> bool:
        """Ended without a model worth its metrics (diverged or failed)."""
        return self in WENT_WRONG

    @property
    def submittable(self) -> bool:
        """Ended with weights this server trained (finished or stopped): a class can score it."""
        return self in SUBMITTABLE


ENDED = frozenset({Status.FINISHED, Status.STOPPED, Status.DIVERGED, Status.FAILED, Status.IMPORTED,
                   Status.INTERRUPTED})
ACTIVE = frozenset({Status.QUEUED, Status.RUNNING, Status.PAUSED})
MOVING = frozenset({Status.QUEUED, Status.RUNNING})
WENT_WRONG = frozenset({Status.DIVERGED, Status.FAILED})
SUBMITTABLE = frozenset({Status.FINISHED, Status.STOPPED})


PACE_EPOCHS = 5  # the latest epochs whose durations give the pace of the next ones


def time_left(history: Sequence[EpochRecord], epochs: int, done: int, elapsed: float, limit: float) -> float:
    """Seconds a run will still train: its ``epochs`` less those in ``history``, at the pace of the latest of the
    ``done`` epochs it trained itself (their median duration: the first epoch's warm-up, or one slowed by another
    run, does not skew it), and never past its time ``limit`` (seconds; 0: none) given ``elapsed``."""
    recent = [record.seconds for record in history[len(history) - min(done, PACE_EPOCHS):]]
    left = float(np.median(recent)) * max(epochs - len(history), 0)
    return min(left, max(limit - elapsed, 0.0)) if limit else left


def say(reason: str, **details) -> dict:
    """Progress fields for ``reason``: the code, its details and the English message."""
    return {"reason": reason, "details": details, "message": RUN_MESSAGES[reason].format(**details)}


@dataclass(frozen=True)
class EpochRecord:
    epoch: int
    train_loss: float           # mean over the epoch's batches, scaled units, the chosen loss
    val_loss: float | None      # None when there are no validation windows
    seconds: float
    grad_norm: float            # total gradient norm before clipping, mean over batches
    layer_grad_norms: dict[str, float]
    lr: float


@dataclass(frozen=True)
class PartialEpoch:
    """The epoch a run diverged in: the losses of its batches up to the divergence."""

    epoch: int
    batch_losses: tuple[float, ...]
    batches: int  # in a whole epoch

    def points(self) -> tuple[list[float], list[float]]:
        """(x, loss) for a loss chart: batch k of epoch e at e - 1 + k / batches."""
        x = [self.epoch - 1 + (k + 1) / max(self.batches, 1) for k in range(len(self.batch_losses))]
        return x, list(self.batch_losses)


@dataclass
class Progress:
    status: Status = Status.IDLE
    epoch: int = 0
    epochs: int = 0
    history: list[EpochRecord] = field(default_factory=list)
    message: str = ""           # in English; ``reason`` and ``details`` say the same for translation
    reason: str = "idle"        # a key of rnncore.messages.RUN_MESSAGES
    details: dict = field(default_factory=dict)
    error: str | None = None    # the traceback text of a failure, for logs
    elapsed: float = 0.0        # seconds spent training (not queued, not paused)
    eta: float | None = None    # seconds it still trains at the pace of its latest epochs, within its time limit
    eta_sooner: bool = False    # early stopping may end it before that
    version: int = 0
    grad_through_time: np.ndarray | None = None
    grad_through_time_epoch: int | None = None
    best_epoch: int | None = None
    partial_epoch: PartialEpoch | None = None  # a diverged run: its last epoch's batches up to the divergence
    pausing: bool = False  # Pause was pressed: the run pauses after this epoch (a page shows Resume at once)
    kept_epoch: int | None = None  # once ended: whose weights the run kept (None: the initial ones)
    timings: dict[str, float] = field(default_factory=dict)  # seconds: train, validate, probe
