"""A text or classification run in a thread of its own, for a page to start, watch and stop; and one
session's desk of them.

``TaskJob(cfg, data).start()`` trains the task's run (rnncore.tasks.run: ``data`` the text or the
LabelledSet) in a background thread, in one of the server's training slots (queued until one is free), and,
given a ``Recording``, writes it into a workspace of the run store as it trains; ``stop()`` ends it within
the batch, keeping the weights trained so far. ``epochs()`` is what it has trained so far, ``result`` the
result once it ended, ``error`` why it failed if it did, ``store_error`` why the store could not take it.
``TaskDesk`` is what one browser session holds: its last job, of which at most one trains at a time. Nothing
here knows about Streamlit.
"""

from __future__ import annotations

import logging
import threading
from typing import NamedTuple

from rnncore.config import TASKS as ALL_TASKS
from rnncore.config import ExperimentConfig
from rnncore.errors import StoreError
from rnncore.tasks.build import task_run
from rnncore.tasks.hooks import StoppableHooks, ThenCall
from rnncore.tasks.recording import failed, finish, recorded
from rnncore.training.slots import QUEUED

log = logging.getLogger(__name__)

TASKS = tuple(task for task in ALL_TASKS if task != "forecast")  # what a TaskJob trains
LIVE_SAMPLE = 160  # characters a language model writes after each epoch, for the page to show while it trains


class LiveSample(NamedTuple):
    """What a language model wrote after an epoch: after ``prompt``, at ``temperature``."""

    epoch: int
    prompt: str
    temperature: float
    text: str


class Recording(NamedTuple):
    """Where a job records its run: a workspace of the run store, the data's identity, and the file's bytes to
    keep there (an upload; None for a sample or a generator)."""

    store: object
    key: str
    data: dict
    content: bytes | None = None


class TaskJob:
    """One run of a task beside forecasting, trained in a background thread once started."""

    def __init__(self, cfg: ExperimentConfig, data, *, slots=None, seconds_cap: float = 0.0,
                 about: dict | None = None, recording: Recording | None = None):
        if cfg.data.task not in TASKS:
            raise ValueError(f"data.task must be one of {', '.join(TASKS)} (got {cfg.data.task!r})")
        self.cfg, self.data, self.slots, self.recording = cfg, data, slots, recording
        self.about = about or {"source": cfg.data.source}  # where the data came from, for the run's files
        limits = [s for s in (cfg.train.max_seconds, seconds_cap) if s]
        self._hooks = StoppableHooks(min(limits, default=0.0))
        self.result = None  # a CharResult or ClassResult once it ended
        self.error: Exception | None = None
        self.queued: str | None = None  # why it waits for a training slot (a reason: see GroupSlots.waiting_for)
        self.samples: list[LiveSample] = []  # charlm: what the model wrote after each epoch
        # charlm: (prompt, temperature) of the next live sample; a page may change it while the run trains
        self.sampling: tuple[str, float] = self.first_sampling(data, cfg) if self.task == "charlm" else ("", 1.0)
        self.number: int | None = None  # the run's number in the workspace, once recorded
        self.store_error: Exception | None = None  # why the run is not (wholly) in the store, if it is not
        self._thread: threading.Thread | None = None

    @staticmethod
    def first_sampling(text: str, cfg: ExperimentConfig) -> tuple[str, float]:
        """What a language model writes after each epoch unless a page says otherwise: after the text's first
        window, at temperature 0.8."""
        return text[:cfg.window.lookback], 0.8

    @classmethod
    def reopened(cls, result, data, about: dict, number: int | None = None) -> TaskJob:
        """A job that has ended with ``result`` (a run read back from the store): shown as a run of this session."""
        job = cls(result.config, data, about=about)
        job.result, job.number = result, number
        job._hooks.history.extend(result.history)
        return job

    @property
    def task(self) -> str:
        """What the run learns: its config's ``data.task``."""
        return self.cfg.data.task

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    @property
    def stopping(self) -> bool:
        return self.running and self._hooks.stop.is_set()

    def epochs(self) -> list:
        """The epochs trained so far (EpochRecord), a copy."""
        return list(self._hooks.history)

    def start(self) -> None:
        if self._thread is not None or self.result is not None:
            raise RuntimeError("a TaskJob starts once")
        self._thread = threading.Thread(target=self._work, name=f"task {self.task}", daemon=True)
        self._thread.start()

    def _work(self) -> None:
        held, recorder = False, None
        try:
            if self.slots is not None:
                while not (held := self.slots.acquire(timeout=0.05)):
                    waiting_for = getattr(self.slots, "waiting_for", None)
                    self.queued = waiting_for()[0] if waiting_for is not None else QUEUED
                    if self._hooks.stop.is_set():
                        return
                self.queued = None
            if self._hooks.stop.is_set():
                return
            run = task_run(self.cfg, self.data)
            hooks = self._hooks
            if self.task == "charlm":
                hooks = ThenCall(hooks, lambda _record: self._sample(run.model, run.parts.vocab))
            hooks, recorder = self._record(run, hooks)
            result = run.run(hooks)
            if recorder is not None:
                self._finish(recorder, result)
            self.result = result
        except Exception as exc:  # a bug or a refused input: said on the page, the traceback in the log
            log.exception("%s run failed", self.task)
            self.error = exc
            if recorder is not None:
                self._failed(recorder, exc)
        finally:
            self.queued = None
            if held:
                self.slots.release()

    def _record(self, run, hooks):
        """(the hooks, the recorder): the run numbered in the workspace and recorded as it trains; where the store
        cannot take it, the run trains unrecorded and ``store_error`` says why."""
        if self.recording is None:
            return hooks, None
        store, key, data, content = self.recording
        try:
            hooks, self.number, recorder = recorded(store, key, run, data, hooks, owner="tasks", content=content)
        except StoreError as exc:
            self.store_error = exc
            return hooks, None
        return hooks, recorder

    def _finish(self, recorder, result) -> None:
        """The ended run written whole; where the store cannot take it, ``store_error`` says why."""
        try:
            finish(recorder, result)
        except StoreError as exc:
            self.store_error = exc

    def _failed(self, recorder, exc: Exception) -> None:
        try:
            failed(recorder, self.epochs(), exc)
        except StoreError as store_exc:
            self.store_error = store_exc

    def _sample(self, model, vocab) -> None:
        """After an epoch, in the training thread: what the model writes now after ``sampling``'s prompt, at its
        temperature."""
        import torch

        from rnncore.tasks.charlm import sample

        prompt, temperature = self.sampling  # (one read: a page may replace it meanwhile)
        drawn = sample(model, vocab, prompt, LIVE_SAMPLE, self.cfg.window.lookback, temperature,
                       torch.Generator().manual_seed(self.cfg.train.seed))
        self.samples.append(LiveSample(len(self._hooks.history), prompt, temperature, drawn))

    def stop(self) -> None:
        self._hooks.stop.set()

    def join(self, timeout: float | None = None) -> bool:
        """Wait for the thread to end; True when it has (or never started)."""
        if self._thread is not None:
            self._thread.join(timeout)
        return not self.running


class TaskDesk:
    """One session's runs of the text and classification tasks: ``job``, the last one. Thread-safe."""

    def __init__(self):
        self.job: TaskJob | None = None
        self._lock = threading.Lock()

    @property
    def running(self) -> bool:
        job = self.job
        return job is not None and job.running

    def start(self, job: TaskJob) -> bool:
        """Train ``job`` (it becomes the one shown); False, and nothing changed, while another trains."""
        with self._lock:
            if self.running:
                return False
            self.job = job
            job.start()
            return True

    def show(self, job: TaskJob) -> bool:
        """Show ``job``, one that has ended (a run reopened from the store); False, and nothing changed, while
        another trains."""
        with self._lock:
            if self.running:
                return False
            self.job = job
            return True

    def stop(self) -> None:
        job = self.job
        if job is not None:
            job.stop()

    def close(self) -> None:
        """The session ended: stop its run, if any (no waiting: the thread ends on its own)."""
        self.stop()
