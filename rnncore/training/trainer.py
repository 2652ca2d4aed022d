"""The Trainer: one run of any task in a background thread, with controls (start, pause, step, stop) and a
snapshot.

What it trains is the task's (rnncore.tasks: a forecast, a character model, a classifier: its parts, model and
loss, and how the ended run is scored). The epoch loop itself is ``loop.fit``; the Trainer gives it the hooks
that pause and stop it and
that copy each epoch into the Progress a page reads. The thread never touches Streamlit: a page
polls ``snapshot()``, a thread-safe copy. A run is reproducible to the last bit on CPU: shuffling
and weight init draw from the run's own ``torch.Generator``; dropout draws from torch's
process-wide RNG, so each forward pass with dropout reseeds it from the run's generator under
``steps.GLOBAL_RNG_LOCK``.
"""

from __future__ import annotations

import logging
import threading
import time
import traceback
from collections.abc import Callable, Sequence
from dataclasses import replace

from rnncore.config import ExperimentConfig
from rnncore.errors import config_error
from rnncore.training.forecast import ForecastRun
from rnncore.training.limits import RunLimits
from rnncore.training.loop import Ending, Stopped, fit
from rnncore.training.progress import ENDED, EpochRecord, Progress, Status, say, time_left
from rnncore.training.results import RunResult, forecast
from rnncore.training.slots import QUEUED
from rnncore.training.task import TaskRun

log = logging.getLogger(__name__)

__all__ = ["EpochRecord", "Progress", "RunLimits", "RunResult", "Trainer", "forecast", "run_experiment"]


class Trainer:
    """Trains one model on one config. ``start()`` runs in a daemon thread, ``run()`` here.

    ``slots`` caps how many runs train at once (the status is "queued" while waiting);
    ``task`` is the run of a text or labels task (rnncore.tasks.build.task_run); without one, it forecasts
    ``dataset`` (or ``windows`` made of it; the config's source when neither is given).
    ``callbacks`` are called as ``callback(progress)`` in the training thread after each epoch, and
    ``on_end`` as ``callback(trainer, final_progress)`` once the run has ended and its result is
    ready, just before the ended status is published (and the run's training slot freed);
    ``limits`` (RunLimits) are checked here and raise ConfigError; ``initial_state`` (a state
    dict of the same model) and ``history`` (its epochs) continue an earlier run: its weights, and
    its epoch numbers and curve go on (``cfg.train.epochs`` more).
    """

    def __init__(self, cfg: ExperimentConfig, dataset=None, windows=None, *, task: TaskRun | None = None,
                 slots: threading.Semaphore | None = None,
                 callbacks: Sequence[Callable[[Progress], None]] = (), limits: RunLimits | None = None,
                 initial_state: dict | None = None, on_end: Sequence[Callable[[Trainer, Progress], None]] = (),
                 history: Sequence[EpochRecord] = ()):
        self.cfg, self.limits = cfg, limits or RunLimits()
        self.limits.check(cfg)
        if task is None:
            task = self._forecast(cfg, dataset, windows)
        self.limits.check(cfg, task.parameters)
        self.task = task
        if initial_state is not None:  # continue an earlier run from its weights
            self.task.model.load_state_dict(initial_state)
        self._slots, self._callbacks, self._on_end = slots, tuple(callbacks), tuple(on_end)
        self._lock = threading.Lock()
        self._wake = threading.Condition(self._lock)
        self._first_epoch = history[-1].epoch + 1 if history else 1  # a continued run numbers on
        self._progress = Progress(epochs=self._first_epoch - 1 + cfg.train.epochs, epoch=self._first_epoch - 1,
                                  history=list(history))
        self._thread: threading.Thread | None = None
        self._stop = self._pause = False
        self._steps_left: int | None = None
        self._active_since: float | None = None
        self._result = None

    # what it trains (the task's run: rnncore.tasks) ------------------------------------------
    @property
    def model(self):
        return self.task.model

    @property
    def dataset(self):
        """The data: a Dataset (forecast), a Text (charlm) or a LabelledSet (classify)."""
        return self.task.data

    @property
    def windows(self):
        """The task's parts: train, val and test, each with x and y."""
        return self.task.parts

    @property
    def period(self) -> int | None:
        return getattr(self.task, "period", None)

    @property
    def device(self):
        return self.task.device

    def _forecast(self, cfg: ExperimentConfig, dataset, windows) -> ForecastRun:
        """The run of a forecast (the data loaded where neither it nor its windows are given)."""
        if cfg.data.task != "forecast":
            raise config_error("task_run", task=cfg.data.task)
        if dataset is None and windows is None:
            from rnncore.data.sources import load_source

            dataset = load_source(cfg.data.source, cfg.data.params, layout=cfg.data.layout)
        return ForecastRun(cfg, dataset, windows, self.limits)

    def add_callback(self, callback: Callable[[Progress], None]) -> None:
        """One more per-epoch callback (a recorder that needs the run's number); before the run starts."""
        with self._lock:
            if self._thread is not None:
                raise RuntimeError("add callbacks before the run starts")
            self._callbacks = (*self._callbacks, callback)

    # controls (any thread) -------------------------------------------------------------
    def start(self) -> None:
        """Train in a daemon thread. Does nothing if the run has already started."""
        with self._lock:
            if self._thread is not None or self._progress.status != Status.IDLE:
                return
            self._thread = threading.Thread(target=self._run, name="rnnlab-trainer", daemon=True)
            self._set(status=Status.QUEUED, **say("starting"))  # not idle from the moment start() returns
        self._thread.start()

    def run(self):
        """Train in the caller's thread, then return the result."""
        with self._lock:
            if self._thread is not None or self._progress.status != Status.IDLE:
                raise RuntimeError("this Trainer has already run; create a new one for another run")
            self._thread = threading.current_thread()
        self._run()
        return self.result()

    def pause(self) -> None:
        """Pause after the current epoch."""
        with self._lock:
            self._pause, self._steps_left = True, None
            if self._progress.status == Status.RUNNING:
                self._set(**say("pausing"))

    def resume(self) -> None:
        with self._lock:
            self._pause, self._steps_left = False, None
            self._wake_up()

    def _wake_up(self) -> None:
        """Let a paused thread go on; it reads "running" from this moment (the lock is held)."""
        if self._progress.status == Status.PAUSED:
            self._active_since = time.monotonic()
            self._set(status=Status.RUNNING, **say("running", epoch=self._progress.epoch + 1))
        self._wake.notify_all()

    def step(self) -> None:
        """Train exactly one more epoch, then pause (from idle: start and train epoch 1)."""
        with self._lock:
            if self._progress.status == Status.RUNNING:
                self._pause = True
            else:
                self._pause, self._steps_left = False, 1
                self._wake_up()
        self.start()

    def stop(self) -> None:
        """End the run after the current batch (at once when queued, paused or idle)."""
        with self._lock:
            self._stop = True
            self._wake.notify_all()
            if self._thread is None and self._progress.status == Status.IDLE:
                self._set(status=Status.STOPPED, **say("stopped_idle"))
            elif self._progress.status == Status.PAUSED:  # it ends at once, but keeping and evaluating its weights
                # takes a moment: it reads as moving until its end is published, as a run stopped while training
                # does, so a page drawn now polls and follows (a "paused" page would not poll, and stay paused)
                self._set(status=Status.RUNNING, **say("stopping", epoch=self._progress.epoch))

    def join(self, timeout: float | None = None) -> bool:
        """Wait for the thread; True when it has ended."""
        thread = self._thread
        if thread is None or thread is threading.current_thread():
            return True
        thread.join(timeout)
        return not thread.is_alive()

    def snapshot(self) -> Progress:
        """A consistent copy of the progress; the lock is held only to copy."""
        with self._lock:
            p = replace(self._progress, history=list(self._progress.history),
                        timings=dict(self._progress.timings))
            if self._active_since is not None:
                p.elapsed += time.monotonic() - self._active_since
            p.pausing = self._pause and p.status.moving
        if p.grad_through_time is not None:
            p.grad_through_time = p.grad_through_time.copy()
        done = len(p.history) - (self._first_epoch - 1)  # epochs trained by this run (a continued one has more)
        if p.status == Status.RUNNING and done > 0:
            p.eta = time_left(p.history, p.epochs, done, p.elapsed, self.limits.seconds(self.cfg))
            p.eta_sooner = self.cfg.train.patience > 0
        return p

    def result(self):
        """The ended run's result, with the weights it kept: metrics and baselines, and for a forecast its
        predictions (a RunResult; a TaskResult for the other tasks)."""
        if self._result is not None:  # ready once the run has ended (on_end callbacks already see it)
            return self._result
        status = self._progress.status
        if status not in ENDED:
            raise RuntimeError(f"the run is {status}; call join() (or stop()) before result()")
        raise RuntimeError(f"the run {status} with nothing to evaluate: {self._progress.message}")

    # the thread ------------------------------------------------------------------------
    def _set(self, **changes) -> None:
        """Change the progress; the caller holds the lock."""
        for key, value in changes.items():
            setattr(self._progress, key, value)
        self._progress.version += 1

    def _update(self, **changes) -> None:
        with self._lock:
            self._set(**changes)

    def _run(self) -> None:
        acquired, error = False, None
        try:
            if self._slots is not None and not (acquired := self._slots.acquire(timeout=0.05)):
                while not acquired:  # said only when it has to wait: for a free slot, or for its workspace
                    self._say_queued()
                    if self._stop:
                        raise Stopped("stopped_queued")
                    acquired = self._slots.acquire(timeout=0.05)
            task = self.task
            ending = fit(task.trained.to(self.device), task.parts, self.cfg.train, generator=task.generator,
                         device=self.device, hooks=self, first_epoch=self._first_epoch, loss_fn=task.loss)
        except Stopped as stop:  # before the first epoch: nothing trained
            ending = Ending(stop.status, stop.reason, stop.details)
        except Exception as exc:  # anything else: say it in words, keep the traceback for logs
            epoch = len(self._progress.history) + 1
            ending = Ending(Status.FAILED, "failed", {"epoch": epoch, "error": f"{type(exc).__name__}: {exc}"})
            error = traceback.format_exc()
        try:  # still in the slot: evaluating is part of the run's work, and no other run reads "running" meanwhile
            final = self._evaluate(ending, error)
            for callback in self._on_end:
                try:
                    callback(self, final)
                except Exception:  # the run's own status must still be published; the trace goes with it
                    final.error = (final.error or "") + traceback.format_exc()
            self._callbacks = self._on_end = ()  # whoever gave them (a Lab, a run) is not kept alive by this run
            if final.error:  # the loop's, the evaluation's or a callback's traceback: for the teacher's log
                log.error("run of %s (%s) %s: %s\n%s", self.cfg.model.cell,
                          self.dataset.name if self.dataset else "-", final.status, final.message, final.error)
            with self._lock:  # published last: a page that reads an ended status finds the result ready
                self._set(**{k: getattr(final, k) for k in ("status", "error", "eta", "reason", "details",
                                                             "message", "kept_epoch", "partial_epoch")})
        finally:
            if acquired:
                self._slots.release()

    def _say_queued(self) -> None:
        """Queued, and why: the slots' word (``waiting_for``) where they have one, else for a free slot."""
        waiting_for = getattr(self._slots, "waiting_for", None)
        reason, details = waiting_for() if waiting_for is not None else (QUEUED, {})
        with self._lock:
            if (self._progress.status, self._progress.reason) != (Status.QUEUED, reason):
                self._set(status=Status.QUEUED, **say(reason, **details))

    def _evaluate(self, ending: Ending, error: str | None) -> Progress:
        """Keep the best weights and evaluate them; the final progress, not yet published."""
        if ending.kept_state is not None:
            self.task.trained.load_state_dict(ending.kept_state)
        with self._lock:
            self._fold_elapsed()
            final = replace(self._progress, status=ending.status, error=error, eta=None, kept_epoch=ending.kept_epoch,
                            partial_epoch=ending.partial,
                            history=list(self._progress.history), **say(ending.reason, **ending.details))
        try:
            self._result = self.task.result(history=final.history, status=final.status, reason=final.reason,
                                            details=dict(final.details), message=final.message,
                                            kept_epoch=final.kept_epoch)
        except Exception as exc:  # a failed run may have nothing to evaluate: result() says so; the log says why
            self._result = None
            final.error = (final.error or "") + traceback.format_exc()
            if final.status != Status.FAILED:  # it trained, but could not be scored: that is a failure too
                final.status = Status.FAILED
                for key, value in say("failed", epoch=len(final.history), error=f"{type(exc).__name__}: {exc}").items():
                    setattr(final, key, value)
        return final

    def _fold_elapsed(self) -> None:
        if self._active_since is not None:
            self._progress.elapsed += time.monotonic() - self._active_since
            self._active_since = None

    # the hooks of loop.fit (the training thread) -------------------------------------------
    def wait_turn(self, epoch: int) -> None:
        """Block while paused; raise Stopped when stopped."""
        with self._lock:
            while self._pause and not self._stop:
                if self._progress.status != Status.PAUSED:
                    self._fold_elapsed()
                    self._set(status=Status.PAUSED, **say("paused", epoch=epoch - 1))
                self._wake.wait()
            if self._stop:
                raise Stopped("stopped", epoch=epoch - 1)
            if self._progress.status != Status.RUNNING:
                self._active_since = time.monotonic()
            self._set(status=Status.RUNNING, **say("running", epoch=epoch))

    def check_batch(self, epoch: int) -> None:
        if self._stop:
            raise Stopped("stopped_mid", epoch=epoch)
        if self.out_of_time():
            raise Stopped("time_limit_mid", status=Status.FINISHED, epoch=epoch)

    def out_of_time(self) -> bool:
        limit = self.limits.seconds(self.cfg)
        if not limit:
            return False
        with self._lock:
            since = self._active_since
            elapsed = self._progress.elapsed + (time.monotonic() - since if since is not None else 0.0)
        return elapsed > limit

    def epoch_done(self, record: EpochRecord, best_epoch: int | None, probe, timings: dict) -> None:
        probed = {} if probe is None else {"grad_through_time": probe, "grad_through_time_epoch": record.epoch}
        with self._lock:
            totals = {k: self._progress.timings.get(k, 0.0) + v for k, v in timings.items()}
            self._set(epoch=record.epoch, history=[*self._progress.history, record], best_epoch=best_epoch,
                      timings={**self._progress.timings, **totals}, **probed)
            if self._steps_left is not None:
                self._steps_left -= 1
                if self._steps_left <= 0:
                    self._pause, self._steps_left = True, None
        for callback in self._callbacks:
            callback(self.snapshot())


def run_experiment(cfg: ExperimentConfig, dataset=None, task: TaskRun | None = None):
    """Train ``cfg`` in this thread and return the result (blocking): a forecast's RunResult, or the TaskResult of
    ``task`` (a text or labels task's run, rnncore.tasks.build.task_run)."""
    return Trainer(cfg, dataset, task=task).run()
