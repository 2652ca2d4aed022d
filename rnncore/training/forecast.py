"""Forecasting a series: the task the Data and Train pages began with. Its parts are ``Windows``
(rnncore.data.windows: the series cut into windows, scalers fitted on the training part), its model reads
``lookback`` rows of the inputs and predicts the next ``horizon`` values of the target, trained with the
config's loss, and its result is a ``RunResult`` (rnncore.training.results: metrics in the data's units next
to persistence, the seasonal naive forecast and a linear model)."""

from __future__ import annotations

import math

from rnncore.config import ExperimentConfig
from rnncore.data.dataset import Dataset, period_of
from rnncore.training.task import TaskRun


class ForecastRun(TaskRun):
    """A forecaster of ``dataset`` (or of ``windows`` already made of it), built."""

    task = "forecast"

    def __init__(self, cfg: ExperimentConfig, dataset: Dataset | None, windows=None, limits=None):
        from rnncore.data.windows import make_windows

        windows = windows or make_windows(dataset, cfg.window, cfg.data.target, cfg.data.features)
        self.period = period_of(dataset)
        super().__init__(cfg, dataset, windows, windows.train.x.shape[2], windows.horizon, limits=limits)

    def identity(self) -> dict:
        return self.data.identity() if self.data is not None else {}

    def objective(self, result, history) -> float | None:
        """The lowest validation loss of any epoch (the weights a run keeps by default)."""
        losses = [r.val_loss for r in history if r.val_loss is not None and math.isfinite(r.val_loss)]
        return min(losses) if losses else None

    def result(self, *, history, status, message, **ended):
        from rnncore.training.results import build_result

        return build_result(cfg=self.cfg, model=self.model, windows=self.parts, dataset=self.data,
                            period=self.period, history=history, status=status, message=message, device=self.device)
