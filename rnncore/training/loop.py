"""The training loop: one plain function, read top to bottom.

``fit`` trains a model on a Windows' training part, validates after each epoch, keeps the best
weights, and returns why it ended. It knows nothing of threads or pages: the caller (the Trainer)
passes ``hooks`` that may block (pause), raise ``Stopped`` (Stop, the time limit) and hear about
each epoch.
"""

from __future__ import annotations

import copy
import math
import time
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np
import torch

from rnncore.config import TrainConfig
from rnncore.training.progress import EpochRecord, PartialEpoch, Status
from rnncore.training.steps import (
    EVAL_BATCH,
    LOSSES,
    NonFinite,
    evaluate,
    grad_through_time,
    seeded_forward,
    train_epoch,
)
from rnncore.training.update import make_optimizer

PROBE_SIZE = 16  # windows in the fixed batch the gradient through time is measured on


class Stopped(Exception):  # noqa: N818  (a way to end, not an error)
    """Raised by a hook to end the run: ``reason`` is a key of RUN_MESSAGES."""

    def __init__(self, reason: str, status: Status = Status.STOPPED, **details):
        super().__init__(reason)
        self.reason, self.status, self.details = reason, status, details


class Hooks(Protocol):
    def wait_turn(self, epoch: int) -> None:
        """Before each epoch: block while paused; raise Stopped to end."""

    def check_batch(self, epoch: int) -> None:
        """Before each batch: raise Stopped to end within the epoch."""

    def out_of_time(self) -> bool:
        """After each epoch: whether the time limit is reached."""

    def epoch_done(self, record: EpochRecord, best_epoch: int | None, probe: np.ndarray | None,
                   timings: dict[str, float]) -> None:
        """After each epoch: its record, the best epoch so far, the gradient through time if measured."""


@dataclass
class Ending:
    """How a run ended: its status, the reason (a RUN_MESSAGES key) with details, the weights it keeps."""

    status: Status
    reason: str
    details: dict = field(default_factory=dict)
    kept_state: dict | None = None  # the best epoch's weights or the last epoch's (TrainConfig.keep)
    kept_epoch: int | None = None  # None: the initial weights (nothing trained)
    partial: PartialEpoch | None = None  # a divergence: the batches of its epoch up to it


def probe_batch(windows, device: torch.device) -> torch.Tensor:
    """The fixed batch for the gradient through time: the first validation windows (else training)."""
    split = windows.val if len(windows.val.x) else windows.train
    return torch.from_numpy(np.array(split.x[:PROBE_SIZE])).to(device)


def streams_of(part) -> int:
    """How many streams a part is read as, side by side (0: its windows stand alone). A part of streams is read in
    order, a window of each stream per batch, each continuing the one before: the module trained carries the state
    from batch to batch (rnncore.tasks.charlm.Carried). Other parts are shuffled each epoch."""
    return getattr(part, "streams", 0)


def fit(model: torch.nn.Module, windows, tc: TrainConfig, *, generator: torch.Generator, device: torch.device,
        hooks: Hooks, first_epoch: int = 1, loss_fn: torch.nn.Module | None = None) -> Ending:
    """Train ``model`` for epochs ``first_epoch`` to ``first_epoch + tc.epochs - 1``; see the module docstring.
    ``loss_fn``: the task's loss (default: the config's, for forecasting; cross-entropy for a language model)."""
    optimizer = make_optimizer(model.parameters(), tc)
    plateau = None
    if tc.scheduler == "plateau":  # halve the learning rate when the validation loss stalls
        plateau = torch.optim.lr_scheduler.ReduceLROnPlateau(optimizer, factor=0.5,
                                                             patience=max(1, tc.patience // 2 or 5))
    loss_fn = loss_fn if loss_fn is not None else LOSSES[tc.loss]()
    dropout = model.config.dropout > 0 and model.config.num_layers > 1
    forward = (lambda xb: seeded_forward(model, xb, generator)) if dropout else model
    probe = probe_batch(windows, device)
    best = Kept(model)  # the epoch with the lowest validation loss (training loss without a validation part)
    unvalidated = "" if len(windows.val.x) else "_no_val"  # what the ending says it watched
    last = Kept(model)  # the last epoch trained, when the run keeps its last weights
    waited, final_epoch, epoch = 0, first_epoch + tc.epochs - 1, first_epoch - 1

    def ending(status: Status, reason: str, partial: PartialEpoch | None = None, **details) -> Ending:
        kept = best if tc.keeps_best else last
        details = {**details, "kept": kept.epoch or 0, "best": best.epoch or 0}
        return Ending(status, reason, details, kept.state, kept.epoch, partial)

    try:
        for epoch in range(first_epoch, final_epoch + 1):
            hooks.wait_turn(epoch)
            started = time.monotonic()
            streams, count = streams_of(windows.train), len(windows.train.x)
            order = np.arange(count) if streams else torch.randperm(count, generator=generator).numpy()
            train_loss, grad_norm, layer_norms = train_epoch(
                model, windows.train.x, windows.train.y, order, batch_size=streams or tc.batch_size,
                optimizer=optimizer, loss_fn=loss_fn, clip_norm=tc.clip_norm, device=device,
                before_batch=lambda e=epoch: hooks.check_batch(e), forward=forward)
            trained = time.monotonic()
            val_loss = evaluate(model, windows.val.x, windows.val.y, loss_fn, device,
                                streams_of(windows.val) or EVAL_BATCH)
            if val_loss is not None and not math.isfinite(val_loss):
                raise NonFinite(val_loss)
            validated = time.monotonic()

            watched = train_loss if val_loss is None else val_loss  # early stopping and the best epoch
            if watched < best.loss:
                best.take(model, epoch, watched)
                waited = 0
            else:
                waited += 1
            if not tc.keeps_best:
                last.take(model, epoch)
            lr = optimizer.param_groups[0]["lr"]
            if plateau is not None:
                plateau.step(watched)
            stopping = bool(tc.patience) and waited >= tc.patience

            record = EpochRecord(epoch, train_loss, val_loss, validated - started, grad_norm,
                                 dict(zip(model.layer_parameters(), layer_norms, strict=True)), lr)
            timings = {"train": trained - started, "validate": validated - trained}
            gradient = None
            if epoch == first_epoch or epoch % tc.probe_every == 0 or epoch == final_epoch or stopping:
                gradient = grad_through_time(model, probe)
                timings["probe"] = time.monotonic() - validated
            hooks.epoch_done(record, best.epoch, gradient, timings)

            if stopping:
                return ending(Status.FINISHED, "early_stop" + unvalidated, epoch=epoch, patience=tc.patience)
            if hooks.out_of_time():
                return ending(Status.FINISHED, "time_limit", epoch=epoch)
        return ending(Status.FINISHED, "finished" + unvalidated, epochs=tc.epochs)
    except NonFinite as bad:
        partial = PartialEpoch(epoch, tuple(bad.batch_losses), bad.batches)
        return ending(Status.DIVERGED, "diverged" if best.epoch else "diverged_at_once", partial, epoch=epoch,
                      value=not_finite(bad.args[0]), lr=f"{tc.lr:g}")
    except Stopped as stop:
        return ending(stop.status, stop.reason, **stop.details)


def not_finite(value: float) -> str:
    """A loss that is not a number as a reader (and a JSON file) can take it: "NaN", "inf" or "-inf"."""
    return "NaN" if math.isnan(value) else ("inf" if value > 0 else "-inf")


class Kept:
    """A copy of a model's weights as they were after some epoch (the initial weights until then)."""

    def __init__(self, model: torch.nn.Module):
        self.state, self.epoch, self.loss = copy.deepcopy(model.state_dict()), None, math.inf

    def take(self, model: torch.nn.Module, epoch: int, loss: float = math.inf) -> None:
        self.state, self.epoch, self.loss = copy.deepcopy(model.state_dict()), epoch, loss
