"""What a finished run gives back: metrics next to baselines, predictions, forecasts.

Everything here is in the data's original units (``windows.levels``: unscaled, and differences
added back where the model predicts differences).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import torch

from rnncore.config import ExperimentConfig
from rnncore.data.dataset import period_of
from rnncore.data.windows import make_windows
from rnncore.errors import Note, config_error
from rnncore.messages import BASELINE_NOTES
from rnncore.training.metrics import (
    Metrics,
    baseline_predictions,
    mase_scale,
    per_step_metrics,
    regression_metrics,
    seasonal_naive_note,
)
from rnncore.training.progress import EpochRecord, Status
from rnncore.training.steps import predict

EVAL_SPLITS = ("val", "test")


@dataclass
class RunResult:
    """The outcome of one run.

    ``metrics``: ``{"val": {rmse, mae, mape, r2}, "test": {...}}``, plus ``"per_step": {"val":
    [...], "test": [...]}`` (one dict per horizon step) when the horizon is above 1.
    ``baselines``: ``{name: {"val": {...}, "test": {...}}}`` for persistence, seasonal_naive and
    linear (series) or mean and linear (memory tasks); ``baseline_notes`` says why a baseline
    is missing (seasonal naive without a known period, or with lookback < period).
    ``predictions``: split name -> DataFrame indexed by time (or position) with columns
    ``truth``, ``model`` and one per baseline; for a horizon above 1 each name gets a step
    suffix, ``truth_1 ... truth_H``.
    """

    config: ExperimentConfig
    history: list[EpochRecord]
    metrics: dict[str, Metrics]  # split -> Metrics (and "per_step" -> split -> list[Metrics])
    baselines: dict[str, dict[str, Metrics]]  # baseline -> split -> Metrics
    baseline_notes: dict[str, Note]  # baseline -> why it is missing
    predictions: dict[str, pd.DataFrame]
    model: torch.nn.Module
    windows: object
    parameters: int
    status: str
    message: str
    data: dict = field(default_factory=dict)  # the data's identity (Dataset.identity): name, rows, sha256

    @property
    def y_unit(self) -> float | None:
        """One scaled unit of the target in the data's units."""
        return self.windows.y_unit


def _frame(split, columns: dict[str, np.ndarray], dataset, horizon: int) -> pd.DataFrame:
    index = pd.Index(split.positions, name="position")
    frame_index = None if dataset is None or dataset.sequences is not None else dataset.frame.index
    if isinstance(frame_index, pd.DatetimeIndex):
        index = pd.DatetimeIndex(frame_index[split.positions], name="time")
    data = {}
    for name, values in columns.items():
        if horizon == 1:
            data[name] = values[:, 0]
        else:
            data.update({f"{name}_{k + 1}": values[:, k] for k in range(horizon)})
    return pd.DataFrame(data, index=index)


def build_result(*, cfg, model, windows, dataset, period, history, status, message, device) -> RunResult:
    """Evaluate ``model`` (already holding the weights to report) on every split."""
    metrics: dict = {}
    baselines: dict = {}
    scale = mase_scale(windows)
    predictions = {}
    for name in ("train", *EVAL_SPLITS):
        split = getattr(windows, name)
        truth = windows.levels(split.y, split.positions)
        model_pred = windows.levels(predict(model, split.x, device), split.positions)
        base = baseline_predictions(windows, name, period) if name in EVAL_SPLITS else {}
        predictions[name] = _frame(split, {"truth": truth, "model": model_pred, **base}, dataset,
                                   windows.horizon)
        if name not in EVAL_SPLITS:
            continue
        metrics[name] = regression_metrics(truth, model_pred, scale)
        if windows.horizon > 1:
            metrics.setdefault("per_step", {})[name] = per_step_metrics(truth, model_pred, scale)
        for base_name, values in base.items():
            baselines.setdefault(base_name, {})[name] = regression_metrics(truth, values, scale)
    notes = {}
    if not windows.is_sequences:
        note = seasonal_naive_note(windows, period)
        if note:
            notes["seasonal_naive"] = note
    return RunResult(cfg, list(history), metrics, baselines, notes, predictions, model, windows,
                     model.num_parameters(), status, message, dataset.identity() if dataset is not None else {})


def baseline_note(values: dict) -> Note:
    """Why a baseline is missing, as metrics.json says it: a keyed note where the key is one rnncore knows."""
    key, details = values.get("note_key"), values.get("note_details", {})
    try:
        return Note.keyed(key, BASELINE_NOTES, **details)
    except (KeyError, IndexError, TypeError, ValueError):  # a key or details this version does not know
        return Note(values["note"])


def evaluate(cfg: ExperimentConfig, model, dataset, history, status=Status.IMPORTED,
             message: str = "imported") -> RunResult:
    """The RunResult of ``model`` (weights already in it) on ``dataset``, as a run that ended would give."""
    windows = make_windows(dataset, cfg.window, cfg.data.target, cfg.data.features)
    return build_result(cfg=cfg, model=model, windows=windows, dataset=dataset, period=period_of(dataset),
                        history=history, status=status, message=message, device=next(model.parameters()).device)


def forecast(source, steps: int, method: str = "recursive", windows=None) -> np.ndarray:
    """Forecast ``steps`` values beyond the end of the data, in original units: (steps,).

    ``source`` is a RunResult, or a model with ``windows`` given. ``recursive`` feeds each
    prediction back as input (possible only when the target is the only feature); ``direct``
    takes the model's horizon outputs at once (``steps <= horizon``).
    """
    model = source.model if isinstance(source, RunResult) else source
    windows = source.windows if isinstance(source, RunResult) else windows
    if windows is None:
        raise ValueError("pass windows=... along with a model (or pass a RunResult)")
    if steps < 1:
        raise config_error("forecast_steps")
    if method not in ("recursive", "direct"):
        raise config_error("forecast_method", method=repr(method))
    device = next(model.parameters()).device
    window = windows.last_window()  # DataError for memory tasks
    horizon = windows.horizon
    if method == "direct":
        if steps > horizon:
            raise config_error("direct_horizon", horizon=horizon)
        end = np.array([len(windows.target_values)])  # the first row past the data
        return windows.levels(predict(model, window, device), end)[0, :steps]
    if windows.features != [windows.target]:
        raise config_error("recursive_target", features=", ".join(windows.features))
    levels = windows.target_values.astype(np.float64).tolist()  # the data, then what is forecast
    known = len(levels)
    while len(levels) - known < steps:
        change = windows.inverse_y(predict(model, window, device))[0]  # values, or their differences
        for value in change.tolist():
            levels.append(value + levels[-windows.lag] if windows.lag else value)
        fed = change if windows.lag else np.asarray(levels[-len(change):], dtype=np.float32)
        scaled = windows.scale_x(np.asarray(fed, dtype=np.float32).reshape(-1, 1))
        window = np.concatenate([window[:, len(change):], scaled[None]], axis=1)[:, -windows.lookback:]
    return np.asarray(levels[known:known + steps], dtype=np.float32)
