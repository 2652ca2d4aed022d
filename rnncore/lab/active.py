"""A run that was started, of any task: everything it was started with, and the questions a page asks of it.

An ActiveRun owns its config, its data (a series' Dataset, a Text, a LabelledSet) and the task's parts, its
Trainer and the live copies of its weights (and, for a text model, what it writes after each epoch); none of
them is ever replaced. A page that reads one ActiveRun per refresh therefore
draws one run from that run's own data, whatever data or settings the person picks meanwhile for
the next run, and whichever thread starts the next run of a series.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from rnncore.config import ExperimentConfig
from rnncore.lab.live_view import LiveFrame, LiveView
from rnncore.lab.records import RunRecord
from rnncore.training.lineage import FRESH, Lineage
from rnncore.training.progress import Progress, Status


@dataclass(frozen=True)
class ModelView:
    """A model no thread is updating, for the Inside page: the run's own once it ended, else a live copy."""

    model: object
    gradients: dict | None  # parameter name -> its last gradient, when taken from a live copy
    version: tuple  # changes whenever the weights shown change
    live: bool  # a copy taken while the run goes on (it is refreshed every few seconds)


class ActiveRun:
    """One run and everything it was started with (see the module docstring)."""

    def __init__(self, config: ExperimentConfig, dataset, *, slots=None, limits=None, initial_state=None,
                 history=(), lineage: Lineage = FRESH,
                 on_end: Callable[[ActiveRun, RunRecord], None] = lambda run, record: None):
        """Build the run's Trainer (ConfigError or DataError when it cannot run; nothing has started).
        ``initial_state``, ``history`` and ``lineage``: the run it continues (its weights, epochs and lineage)."""
        from rnncore.tasks.build import task_run  # torch loads only when training is asked for
        from rnncore.tasks.charlm import LiveText
        from rnncore.training.trainer import Trainer

        task = task_run(config, dataset, limits=limits)
        self.id, self.config, self.dataset = 0, config, dataset  # the Lab numbers the run when it starts
        self.identity = task.identity()  # what the run store keeps of its data
        self.lineage = lineage.then(self.identity)  # where its weights come from, this run's data included
        # a forecast's weights copied after each epoch (its live predictions and Inside); a text model's words
        self._live = LiveView(config.model) if self.task == "forecast" else None
        self.text = LiveText(task) if self.task == "charlm" else None
        watching = [w for w in (self._live, self.text) if w is not None]
        self._trainer = Trainer(config, task=task, slots=slots, limits=limits, callbacks=watching,
                                initial_state=initial_state, history=history, on_end=[self._ended])
        if self._live is not None:
            self._live.attach(task.model, task.parts, self._trainer.period)
        self._on_end = on_end
        self.record: RunRecord | None = None  # set when the run has ended

    def _ended(self, trainer, progress: Progress) -> None:
        """In the training thread, once the run has ended: the kept weights for the pages, and its record."""
        if self._live is not None:
            self._live.capture(progress.epoch)
        try:
            result = trainer.result()
        except RuntimeError:  # a failed run may have nothing to evaluate
            result = None
        self.record = RunRecord.of(self.id, self.config, progress, result, self.dataset)
        self.record.lineage = self.lineage
        on_end, self._on_end = self._on_end, None  # the Lab is not kept alive by a run that has ended
        on_end(self, self.record)

    # what the run trains on --------------------------------------------------------------
    @property
    def task(self) -> str:
        """What it learns: forecast, charlm or classify (its config's ``data.task``)."""
        return self.config.data.task

    @property
    def windows(self):
        return self._trainer.windows

    @property
    def period(self) -> int | None:
        return self._trainer.period

    @property
    def model(self):
        """The model being trained (only the training thread changes it)."""
        return self._trainer.model

    def watch(self, callback) -> None:
        """Call ``callback(progress)`` after each epoch too (a RunRecorder); before the run starts."""
        self._trainer.add_callback(callback)

    @property
    def parameters(self) -> int:
        return self._trainer.model.num_parameters()

    # how far it is ----------------------------------------------------------------------
    def progress(self) -> Progress:
        """A consistent copy of the run's progress (thread-safe)."""
        return self._trainer.snapshot()

    @property
    def status(self) -> Status:
        return self.progress().status

    def frame(self) -> LiveFrame | None:
        """The latest copy of a forecast's weights (after the last epoch, or the kept ones once ended); None before
        its first epoch, and for a text or labels run (its panel draws no predictions)."""
        return self._live.latest() if self._live is not None else None

    def predictions(self, frame: LiveFrame) -> dict:
        """split -> (frame positions, first-step predictions in the data's units) for ``frame``."""
        return self._live.predictions(frame)

    def metrics(self, frame: LiveFrame) -> dict:
        """Metrics of ``frame``'s weights on the validation part (training when there is none), with baselines."""
        return self._live.metrics(frame)

    def metrics_split(self) -> str:
        return "val" if len(self.windows.val.x) else "train"

    def model_view(self) -> ModelView | None:
        """The model to look inside: the run's own once it ended, else a copy of its latest weights."""
        if self.progress().status.ended:
            return ModelView(self._trainer.model, None, (self.id, "end"), live=False)
        frame = self.frame()
        if frame is None:
            return None
        return ModelView(self._live.shadow(frame), frame.grads, (self.id, frame.version), live=True)

    # controls (any thread) --------------------------------------------------------------
    def start(self, one_epoch: bool = False) -> None:
        self._trainer.step() if one_epoch else self._trainer.start()

    def pause(self) -> None:
        self._trainer.pause()

    def resume(self) -> None:
        self._trainer.resume()

    def step(self) -> None:
        self._trainer.step()

    def stop(self) -> None:
        self._trainer.stop()

    def join(self, timeout: float | None = None) -> bool:
        """Wait for the run to end (and its record to be made); True when it has."""
        return self._trainer.join(timeout)


class KeptRun:
    """A run the archive keeps (ended here, in another tab, or before a restart), with the questions the
    Inside page asks of an ActiveRun: its windows (a forecast's; None for a text or labels run, which the page
    shows through its result), its progress, its model."""

    def __init__(self, record: RunRecord, result):
        self.id, self.config, self.record, self.result = record.id, record.config, record, result
        self.windows = result.windows if record.config.data.task == "forecast" else None

    def progress(self) -> Progress:
        history = list(self.record.history)
        grad = self.record.grad_through_time
        return Progress(status=self.record.status, epoch=len(history), epochs=len(history), history=history,
                        kept_epoch=self.record.kept_epoch, message=self.record.message,
                        grad_through_time=None if grad is None else np.asarray(grad, dtype=np.float32),
                        grad_through_time_epoch=self.record.grad_epoch)

    def model_view(self) -> ModelView:
        return ModelView(self.result.model, None, (self.id, "kept"), live=False)
