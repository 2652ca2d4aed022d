"""A text or classification run in a thread of its own, for a page to start, watch and stop; and one
session's desk of them (issue 16).

``TaskJob(task, cfg, data).start()`` trains ``train_charlm`` (``data``: the text) or ``train_classify``
(``data``: a LabelledSet) in a background thread, in one of the server's training slots (queued until one
is free); ``stop()`` ends it within the batch, keeping the weights trained so far. ``epochs()`` is what it
has trained so far, ``result`` the result once it ended, ``error`` why it failed if it did. ``TaskDesk``
is what one browser session holds: its last job, of which at most one trains at a time. Nothing here
knows about Streamlit.
"""

from __future__ import annotations

import logging
import threading

from rnncore.config import ExperimentConfig
from rnncore.tasks.hooks import CommandLineHooks
from rnncore.training.loop import Stopped

log = logging.getLogger(__name__)

TASKS = ("charlm", "classify")  # what a TaskJob trains
LIVE_SAMPLE = 160  # characters a language model writes after each epoch, for the page to show while it trains


class _JobHooks(CommandLineHooks):
    """The command line's hooks (the time limit, each epoch kept) with a Stop."""

    def __init__(self, seconds: float):
        super().__init__(seconds, None)
        self.stop = threading.Event()

    def wait_turn(self, epoch: int) -> None:
        if self.stop.is_set():
            raise Stopped("stopped", epoch=epoch - 1)

    def check_batch(self, epoch: int) -> None:
        if self.stop.is_set():
            raise Stopped("stopped_mid", epoch=epoch)


class TaskJob:
    """One run of a task beside forecasting, trained in a background thread once started."""

    def __init__(self, task: str, cfg: ExperimentConfig, data, *, slots=None, seconds_cap: float = 0.0,
                 about: dict | None = None):
        if task not in TASKS:
            raise ValueError(f"task must be one of {', '.join(TASKS)} (got {task!r})")
        self.task, self.cfg, self.data, self.slots = task, cfg, data, slots
        self.about = about or {"source": cfg.data.source}  # where the data came from, for the run's files
        limits = [s for s in (cfg.train.max_seconds, seconds_cap) if s]
        self._hooks = _JobHooks(min(limits, default=0.0))
        self.result = None  # a CharResult or ClassResult once it ended
        self.error: Exception | None = None
        self.queued = False  # waiting for a training slot
        self.samples: list[tuple[int, str]] = []  # charlm: (epoch, text the model wrote after it)
        self._thread: threading.Thread | None = None

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
        if self._thread is not None:
            raise RuntimeError("a TaskJob starts once")
        self._thread = threading.Thread(target=self._work, name=f"task {self.task}", daemon=True)
        self._thread.start()

    def _work(self) -> None:
        from rnncore.tasks.charlm import train_charlm
        from rnncore.tasks.classify import train_classify

        train = train_charlm if self.task == "charlm" else train_classify
        held = False
        try:
            if self.slots is not None:
                self.queued = True
                while not (held := self.slots.acquire(timeout=0.05)):
                    if self._hooks.stop.is_set():
                        return
                self.queued = False
            if not self._hooks.stop.is_set():
                extra = {"each_epoch": self._sample} if self.task == "charlm" else {}
                self.result = train(self.cfg, self.data, hooks=self._hooks, **extra)
        except Exception as exc:  # a bug or a refused input: said on the page, the traceback in the log
            log.exception("%s run failed", self.task)
            self.error = exc
        finally:
            self.queued = False
            if held:
                self.slots.release()

    def _sample(self, model, vocab) -> None:
        """After an epoch, in the training thread: what the model writes now after the text's first window."""
        import torch

        from rnncore.tasks.charlm import sample

        lookback = self.cfg.window.lookback
        drawn = sample(model, vocab, self.data[:lookback], LIVE_SAMPLE, lookback, 0.8,
                       torch.Generator().manual_seed(self.cfg.train.seed))
        self.samples.append((len(self._hooks.history), drawn))

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

    def stop(self) -> None:
        job = self.job
        if job is not None:
            job.stop()

    def close(self) -> None:
        """The session ended: stop its run, if any (no waiting: the thread ends on its own)."""
        self.stop()
