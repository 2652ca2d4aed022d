"""The Trainer: the training loop, in a background thread, with controls and a snapshot.

The thread never touches Streamlit: a page polls ``snapshot()``, a thread-safe copy. A run
is reproducible to the last bit on CPU: shuffling and weight init draw from the run's own
``torch.Generator``; dropout draws from torch's process-wide RNG, so each forward pass with
dropout reseeds it from the run's generator under ``steps.GLOBAL_RNG_LOCK``.
"""

from __future__ import annotations

import copy
import math
import threading
import time
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass, fields, replace

import numpy as np
import torch

from rnncore.config import ExperimentConfig, config_error
from rnncore.training import steps
from rnncore.training.progress import ENDED, EpochRecord, Progress, say
from rnncore.training.results import RunResult, build_result, forecast, period_of

__all__ = ["EpochRecord", "Progress", "RunLimits", "RunResult", "Trainer", "forecast", "run_experiment"]

PROBE_SIZE = 16


@dataclass(frozen=True)
class RunLimits:
    """Caps a shared server puts on each run; None means no limit."""

    max_epochs: int | None = None
    max_parameters: int | None = None
    max_lookback: int | None = None
    max_seconds: float | None = None

    def check(self, cfg: ExperimentConfig, parameters: int | None = None) -> None:
        asked = {"max_epochs": cfg.train.epochs, "max_lookback": cfg.window.lookback,
                 "max_seconds": cfg.train.max_seconds or None, "max_parameters": parameters}
        names = {"max_epochs": "epochs", "max_lookback": "lookback", "max_seconds": "max_seconds"}
        for f in fields(self):
            limit, value = getattr(self, f.name), asked[f.name]
            if limit is not None and value is not None and value > limit:
                key = "over_limit" if f.name in names else "over_parameter_limit"
                raise config_error(key, value=f"{value:g}", limit_name=f.name, limit=f"{limit:g}",
                                   **({"name": names[f.name]} if f.name in names else {}))


class _Stop(Exception):
    """Raised inside an epoch to end the run after the current batch."""

    def __init__(self, reason: str, status: str = "stopped", **details):
        super().__init__(reason)
        self.reason, self.status, self.details = reason, status, details


class Trainer:
    """Trains one model on one config. ``start()`` runs in a daemon thread, ``run()`` here.

    ``slots`` caps how many runs train at once (the status is "queued" while waiting);
    ``callbacks`` are called as ``callback(progress)`` in the training thread after each epoch;
    ``limits`` (RunLimits) are checked here and raise ConfigError; ``initial_state`` (a state
    dict of the same model) continues an earlier run from its weights.
    """

    def __init__(self, cfg: ExperimentConfig, dataset=None, windows=None, *,
                 slots: threading.Semaphore | None = None,
                 callbacks: Sequence[Callable[[Progress], None]] = (), limits: RunLimits | None = None,
                 initial_state: dict | None = None):
        from rnncore.data.sources import load_source
        from rnncore.data.windows import make_windows
        from rnncore.nn.models import build_model

        self.cfg, self.limits = cfg, limits or RunLimits()
        self.limits.check(cfg)
        self.device = steps.resolve_device(cfg.train.device)
        if dataset is None and windows is None:
            dataset = load_source(cfg.data.source, cfg.data.params)
        self.dataset = dataset
        self.windows = windows or make_windows(dataset, cfg.window, cfg.data.target, cfg.data.features)
        self.generator = torch.Generator().manual_seed(cfg.train.seed)
        n_features = self.windows.train.x.shape[2]
        with steps.GLOBAL_RNG_LOCK, torch.random.fork_rng(devices=[]):
            self.model = build_model(cfg.model, n_features, self.windows.horizon, self.generator)
        if initial_state is not None:  # continue an earlier run from its weights
            self.model.load_state_dict(initial_state)
        self.limits.check(cfg, self.model.num_parameters())
        self.period = period_of(dataset)
        self._slots, self._callbacks = slots, tuple(callbacks)
        self._lock = threading.Lock()
        self._wake = threading.Condition(self._lock)
        self._progress = Progress(epochs=cfg.train.epochs)
        self._thread: threading.Thread | None = None
        self._stop = self._pause = False
        self._steps_left: int | None = None
        self._active_since: float | None = None
        self._result: RunResult | None = None
        self._best_state: dict | None = None

    # controls (any thread) -------------------------------------------------------------
    def start(self) -> None:
        """Train in a daemon thread. Does nothing if the run has already started."""
        with self._lock:
            if self._thread is not None or self._progress.status != "idle":
                return
            self._thread = threading.Thread(target=self._run, name="rnnlab-trainer", daemon=True)
            self._set(status="queued", **say("starting"))  # not idle from the moment start() returns
        self._thread.start()

    def run(self) -> RunResult:
        """Train in the caller's thread, then return the result."""
        with self._lock:
            if self._thread is not None or self._progress.status != "idle":
                raise RuntimeError("this Trainer has already run; create a new one for another run")
            self._thread = threading.current_thread()
        self._run()
        return self.result()

    def pause(self) -> None:
        """Pause after the current epoch."""
        with self._lock:
            self._pause, self._steps_left = True, None
            if self._progress.status == "running":
                self._set(**say("pausing"))

    def resume(self) -> None:
        with self._lock:
            self._pause, self._steps_left = False, None
            self._wake_up()

    def _wake_up(self) -> None:
        """Let a paused thread go on; it reads "running" from this moment (the lock is held)."""
        if self._progress.status == "paused":
            self._active_since = time.monotonic()
            self._set(status="running", **say("running", epoch=self._progress.epoch + 1))
        self._wake.notify_all()

    def step(self) -> None:
        """Train exactly one more epoch, then pause (from idle: start and train epoch 1)."""
        with self._lock:
            if self._progress.status == "running":
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
            if self._thread is None and self._progress.status == "idle":
                self._set(status="stopped", **say("stopped_idle"))

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
        if p.grad_through_time is not None:
            p.grad_through_time = p.grad_through_time.copy()
        done = len(p.history)
        if p.status == "running" and done:
            p.eta = p.elapsed / done * (p.epochs - done)
        return p

    def result(self) -> RunResult:
        """Metrics, baselines and predictions of the finished run (best weights)."""
        status = self._progress.status
        if status not in ENDED:
            raise RuntimeError(f"the run is {status}; call join() (or stop()) before result()")
        if self._result is None:
            p = self.snapshot()
            self._result = build_result(cfg=self.cfg, model=self.model, windows=self.windows,
                                        dataset=self.dataset, period=self.period, history=p.history,
                                        status=p.status, message=p.message, device=self.device)
        return self._result

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
        acquired = False
        try:
            if self._slots is not None:
                self._update(status="queued", **say("queued"))
                while not (acquired := self._slots.acquire(timeout=0.05)):
                    if self._stop:
                        raise _Stop("stopped_queued")
            self._loop()
        except _Stop as stop:
            self._end(stop.status, stop.reason, **stop.details)
        except Exception as exc:  # anything else: say it in words, keep the traceback for logs
            epoch = len(self._progress.history) + 1
            self._end("failed", "failed", epoch=epoch, error=f"{type(exc).__name__}: {exc}",
                      traceback=traceback.format_exc())
        finally:
            if acquired:
                self._slots.release()

    def _end(self, status: str, reason: str, traceback: str | None = None, **details) -> None:
        if self._best_state is not None:
            self.model.load_state_dict(self._best_state)
        with self._lock:
            self._fold_elapsed()
            self._set(status=status, error=traceback, eta=None, **say(reason, **details))

    def _fold_elapsed(self) -> None:
        if self._active_since is not None:
            self._progress.elapsed += time.monotonic() - self._active_since
            self._active_since = None

    def _wait_turn(self, epoch: int) -> None:
        """Block while paused; raise _Stop when stopped."""
        with self._lock:
            while self._pause and not self._stop:
                if self._progress.status != "paused":
                    self._fold_elapsed()
                    self._set(status="paused", **say("paused", epoch=epoch - 1))
                self._wake.wait()
            if self._stop:
                raise _Stop("stopped", epoch=epoch - 1)
            if self._progress.status != "running":
                self._active_since = time.monotonic()
            self._set(status="running", **say("running", epoch=epoch))

    def _out_of_time(self) -> bool:
        limit = min([s for s in (self.cfg.train.max_seconds, self.limits.max_seconds) if s], default=0)
        if not limit:
            return False
        with self._lock:
            since = self._active_since
            elapsed = self._progress.elapsed + (time.monotonic() - since if since is not None else 0.0)
        return elapsed > limit

    def _loop(self) -> None:
        tc, w, model = self.cfg.train, self.windows, self.model.to(self.device)
        optimizer = steps.make_optimizer(model.parameters(), tc)
        plateau = None
        if tc.scheduler == "plateau":
            plateau = torch.optim.lr_scheduler.ReduceLROnPlateau(optimizer, factor=0.5,
                                                                 patience=max(1, tc.patience // 2 or 5))
        loss_fn = steps.LOSSES[tc.loss]()
        probe_split = w.val if len(w.val.x) else w.train
        probe = torch.from_numpy(np.array(probe_split.x[:PROBE_SIZE])).to(self.device)
        self._best_state, best_loss, waited = copy.deepcopy(model.state_dict()), math.inf, 0
        for epoch in range(1, tc.epochs + 1):
            self._wait_turn(epoch)
            started = time.monotonic()
            order = torch.randperm(len(w.train.x), generator=self.generator).numpy()
            try:
                train_loss, grad_norm, layer_norms = steps.train_epoch(
                    model, w.train.x, w.train.y, order, batch_size=tc.batch_size, optimizer=optimizer,
                    loss_fn=loss_fn, clip_norm=tc.clip_norm, device=self.device,
                    before_batch=lambda e=epoch: self._check_batch(e), forward=self._forward_fn())
                trained = time.monotonic()
                val_loss = steps.evaluate(model, w.val.x, w.val.y, loss_fn, self.device)
                if val_loss is not None and not math.isfinite(val_loss):
                    raise steps.NonFinite(val_loss)
            except steps.NonFinite as bad:
                self._diverged(epoch, float(bad.args[0]))
                return
            validated = time.monotonic()
            watched = train_loss if val_loss is None else val_loss
            if watched < best_loss:
                self._best_state, best_loss, waited = copy.deepcopy(model.state_dict()), watched, 0
                self._update(best_epoch=epoch)
            else:
                waited += 1
            lr = optimizer.param_groups[0]["lr"]
            if plateau is not None:
                plateau.step(watched)
            record = EpochRecord(epoch, train_loss, val_loss, validated - started, grad_norm,
                                 dict(zip(model.layer_parameters(), layer_norms, strict=True)), lr)
            stopping = tc.patience and waited >= tc.patience
            self._finish_epoch(record, probe, last=epoch == tc.epochs or bool(stopping),
                               timings={"train": trained - started, "validate": validated - trained})
            if stopping:
                best = self._progress.best_epoch
                self._end("finished", "early_stop", epoch=epoch, patience=tc.patience, best=best)
                return
            if self._out_of_time():
                self._end("finished", "time_limit", epoch=epoch, best=self._progress.best_epoch)
                return
        self._end("finished", "finished", epochs=tc.epochs, best=self._progress.best_epoch)

    def _forward_fn(self):
        if self.cfg.model.dropout > 0:
            return lambda xb: steps.seeded_forward(self.model, xb, self.generator)
        return self.model

    def _check_batch(self, epoch: int) -> None:
        if self._stop:
            raise _Stop("stopped_mid", epoch=epoch, best=self._progress.best_epoch or 0)
        if self._out_of_time():
            raise _Stop("time_limit_mid", status="finished", epoch=epoch, best=self._progress.best_epoch or 0)

    def _finish_epoch(self, record: EpochRecord, probe: torch.Tensor, last: bool, timings: dict) -> None:
        epoch, every = record.epoch, self.cfg.train.probe_every
        probed = {}
        if epoch == 1 or epoch % every == 0 or last:
            started = time.monotonic()
            probed = {"grad_through_time": steps.grad_through_time(self.model, probe),
                      "grad_through_time_epoch": epoch}
            timings["probe"] = time.monotonic() - started
        with self._lock:
            totals = {k: self._progress.timings.get(k, 0.0) + v for k, v in timings.items()}
            self._set(epoch=epoch, history=[*self._progress.history, record],
                      timings={**self._progress.timings, **totals}, **probed)
            if self._steps_left is not None:
                self._steps_left -= 1
                if self._steps_left <= 0:
                    self._pause, self._steps_left = True, None
        for callback in self._callbacks:
            callback(self.snapshot())

    def _diverged(self, epoch: int, value: float) -> None:
        best = self._progress.best_epoch
        self._end("diverged", "diverged" if best else "diverged_at_once", epoch=epoch, value=value,
                  lr=f"{self.cfg.train.lr:g}", best=best)


def run_experiment(cfg: ExperimentConfig, dataset=None) -> RunResult:
    """Train ``cfg`` in this thread and return the result (blocking)."""
    return Trainer(cfg, dataset).run()
