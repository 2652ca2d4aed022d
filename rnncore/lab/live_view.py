"""Copies of what the dashboard draws while a model trains, taken in the training thread.

A page must never read a model that another thread is updating. ``LiveView`` is a Trainer
callback: after each epoch it copies the weights and their last gradients; pages read the
latest ``LiveFrame`` and predict on a model of their own.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

import numpy as np
import torch

from rnncore.training.steps import predict

MAX_WINDOWS = 4000  # predicted windows per split; charts show at most ~2,000 points anyway


@dataclass(frozen=True)
class LiveFrame:
    version: int
    epoch: int
    state: dict[str, torch.Tensor]  # a copy of model.state_dict()
    grads: dict[str, torch.Tensor]  # a copy of each parameter's last .grad


def _spread(n: int, most: int) -> np.ndarray:
    """At most ``most`` indices spread evenly over range(n)."""
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    return np.unique(np.linspace(0, n - 1, num=min(n, most)).round().astype(np.int64))


class LiveView:
    """A Trainer callback (copies weights after each epoch) and the pages' reader of them.

    The copy is cheap; the predictions are computed by the reader, on a shadow model of its
    own, only when someone looks and only once per copy.
    """

    def __init__(self, model_config):
        self.model_config = model_config
        self.windows = None
        self.period: int | None = None
        self._baselines: dict | None = None
        self.model: torch.nn.Module | None = None
        self._frame: LiveFrame | None = None
        self._lock = threading.Lock()
        self._shadow_lock = threading.Lock()
        self._shadow: torch.nn.Module | None = None
        self._shadow_version = 0
        self._predictions: tuple[int, dict] = (0, {})

    def attach(self, model: torch.nn.Module, windows, period: int | None = None) -> None:
        """The model to copy after each epoch, the windows it trains on, the seasonal period."""
        self.model, self.windows, self.period = model, windows, period

    def __call__(self, progress) -> None:
        """After each epoch, in the training thread."""
        if self.model is not None:
            self.capture(progress.epoch)

    def capture(self, epoch: int) -> LiveFrame:
        model = self.model
        state = {k: v.detach().cpu().clone() for k, v in model.state_dict().items()}
        grads = {k: p.grad.detach().cpu().clone() for k, p in model.named_parameters() if p.grad is not None}
        with self._lock:
            version = self._frame.version + 1 if self._frame else 1
            self._frame = LiveFrame(version, epoch, state, grads)
            return self._frame

    def latest(self) -> LiveFrame | None:
        with self._lock:
            return self._frame

    def shadow(self, frame: LiveFrame) -> torch.nn.Module:
        """A model of the reader's own holding ``frame``'s weights (never the training one)."""
        from rnncore.nn.models import build_model

        with self._shadow_lock:
            if self._shadow is None:
                x = self.windows.train.x
                self._shadow = build_model(self.model_config, x.shape[2], self.windows.horizon,
                                           torch.Generator().manual_seed(0)).eval()
            if self._shadow_version != frame.version:
                self._shadow.load_state_dict(frame.state)
                self._shadow_version = frame.version
            return self._shadow

    def predictions(self, frame: LiveFrame) -> dict[str, tuple[np.ndarray, np.ndarray]]:
        """split -> (frame positions, first-step predictions in original units), for ``frame``."""
        version, cached = self._predictions
        if version == frame.version:
            return cached
        model = self.shadow(frame)
        out = {}
        for name in ("train", "val", "test"):
            split = getattr(self.windows, name)
            keep = _spread(len(split.x), MAX_WINDOWS)
            y_hat = predict(model, split.x[keep], torch.device("cpu"))
            values = self.windows.levels(y_hat, split.positions[keep])[:, 0] if len(keep) else np.zeros(0)
            out[name] = (split.positions[keep], np.asarray(values, dtype=np.float32))
        self._predictions = (frame.version, out)
        return out

    def metrics(self, frame: LiveFrame) -> dict[str, dict]:
        """Validation metrics in original units: {"model": {...}, baseline: {...}} (first step)."""
        from rnncore.training.metrics import baseline_predictions, mase_scale, regression_metrics

        name = "val" if len(self.windows.val.x) else "train"
        split = getattr(self.windows, name)
        if self._baselines is None:
            self._baselines = baseline_predictions(self.windows, name, self.period)
        positions, model_values = self.predictions(frame)[name]
        keep = _spread(len(split.x), MAX_WINDOWS)
        truth = self.windows.levels(split.y[keep], split.positions[keep])[:, 0]
        scale = mase_scale(self.windows)
        out = {"model": regression_metrics(truth, model_values, scale)}
        for base, values in self._baselines.items():
            out[base] = regression_metrics(truth, values[keep, 0], scale)
        return out
