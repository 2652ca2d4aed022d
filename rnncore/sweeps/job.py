"""A sweep in a thread of its own, for a page to start, watch and stop; and one session's desk of them.

``SweepJob(sweep).start()`` trains the sweep's trials in a background thread (the page's own thread only
draws); ``stop()`` asks it to end after the current epoch. What it shows comes from the study itself
(``sweep.outcomes()``, ``sweep.figures()``), so a job shows every worker's trials, and a study opened
again after a reload (``SweepJob(Sweep.view(...))``, never started) shows the same.

``SweepDesk`` is what one browser session holds: the job it looks at, of which at most one trains at a
time. Nothing here knows about Streamlit.
"""

from __future__ import annotations

import logging
import threading
import time

from rnncore.errors import KeyedError, SweepError
from rnncore.sweeps.sweep import Sweep

log = logging.getLogger(__name__)


class SweepJob:
    """One sweep, trained in a background thread once started."""

    def __init__(self, sweep: Sweep):
        self.sweep = sweep
        self.error: Exception | None = None  # why the sweep ended early (its storage went away...), if it did
        self.began: float | None = None  # time.monotonic() at start
        self.ended: float | None = None  # time.monotonic() at its end
        self._thread: threading.Thread | None = None

    @property
    def name(self) -> str:
        return self.sweep.name

    @property
    def started(self) -> bool:
        return self._thread is not None

    @property
    def running(self) -> bool:
        """Training, or ending after a Stop."""
        return self._thread is not None and self._thread.is_alive()

    @property
    def stopping(self) -> bool:
        return self.running and self.sweep.stopping

    @property
    def elapsed(self) -> float:
        if self.began is None:
            return 0.0
        return (self.ended if self.ended is not None else time.monotonic()) - self.began

    def start(self) -> None:
        if self._thread is not None:
            raise RuntimeError("a SweepJob starts once")
        self.began = time.monotonic()
        self._thread = threading.Thread(target=self._work, name=f"sweep {self.name}", daemon=True)
        self._thread.start()

    def _work(self) -> None:
        try:
            self.sweep.run()
        except KeyedError as exc:  # the storage or the run store went away: the trials told so far are kept
            self.error = exc
        except Exception as exc:  # a bug: said on the page, with the traceback in the server's log
            log.exception("sweep %s failed", self.name)
            self.error = exc
        finally:
            self.ended = time.monotonic()

    def stop(self) -> None:
        self.sweep.stop()

    def join(self, timeout: float | None = None) -> bool:
        """Wait for the thread to end; True when it has (or never started)."""
        if self._thread is not None:
            self._thread.join(timeout)
        return not self.running

    def close(self) -> None:
        self.stop()
        self.join(timeout=30)
        self.sweep.close()


class SweepDesk:
    """One session's sweeps: ``job``, the one it looks at (training or not). Thread-safe."""

    def __init__(self):
        self.job: SweepJob | None = None
        self._lock = threading.Lock()

    @property
    def running(self) -> bool:
        job = self.job
        return job is not None and job.running

    def start(self, sweep: Sweep) -> SweepJob:
        """Train ``sweep`` (and look at it); refused, with ``sweep`` closed, while another sweep trains."""
        return self._put(SweepJob(sweep), start=True)

    def open(self, sweep: Sweep) -> SweepJob:
        """Look at ``sweep`` (one made by Sweep.view) without training it; refused while a sweep trains."""
        return self._put(SweepJob(sweep), start=False)

    def _put(self, job: SweepJob, start: bool) -> SweepJob:
        with self._lock:
            if self.running:
                job.sweep.close()
                raise SweepError.keyed("sweep_going", study=self.job.name)
            old, self.job = self.job, job
            if start:
                job.start()
        if old is not None:
            old.close()
        return job

    def stop(self) -> None:
        job = self.job
        if job is not None:
            job.stop()

    def close(self) -> None:
        """The session ended: stop the sweep training, if any (no waiting: its thread ends on its own)."""
        self.stop()
